"""The numbers a lesson states, taken from the run it describes (Qt-free).

A lesson (resources/lessons/*.md) writes each number that depends on the run — decades spanned,
a mode's neuron share, a loss at some step — as a field: `{name}` or `{name:format}`. `render`
fills the fields from a dict of facts and writes "…" for a fact the run has not produced
(yet), so a lesson cannot state a number its plots disagree with. `LessonFacts` gathers the
facts from the same engine results the views draw (the run controller's signals carry them);
`run_facts` computes them in-process for a configuration, as the window's run does, for tests
and headless use. Numbers that follow from the settings alone (P, a rank formula) stay written
out in the lesson and tests/test_lessons.py checks them against the run.

Formats: any of Python's format specs (`.1f`, `.0%`, `,` — a thin space groups the
thousands, and a minus is a minus), and `sci` (1.9·10⁻⁵), `sci0` (2·10⁻¹¹) and `pow` (10⁻¹⁴:
the nearest power of ten).
"""
from __future__ import annotations

import math
import re

import numpy as np

PENDING = "…"
FIELD = re.compile(r"\{([a-z_][a-z0-9_]*)(?::([^{}]*))?\}")
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fields(template: str) -> list[str]:
    """The fact names a lesson uses, in order of appearance (repeats kept)."""
    return [m.group(1) for m in FIELD.finditer(template)]


def _power(k: int) -> str:
    return "10" + str(k).translate(_SUPERSCRIPT)


def format_value(value, spec: str = "") -> str:
    """One fact as the lesson shows it (see the module's docstring for the formats)."""
    if spec in ("sci", "sci0", "pow"):
        x = float(value)
        if not (math.isfinite(x) and x > 0):
            return f"{x:.2g}"
        if spec == "pow":
            return _power(round(math.log10(x)))
        digits = 1 if spec == "sci" else 0
        k = math.floor(math.log10(x))
        m = round(x / 10.0 ** k, digits)
        if m >= 10:
            m, k = m / 10, k + 1
        if k == 0:
            return f"{m:.{digits}f}"
        mant = f"{m:.{digits}f}"
        return _power(k) if float(mant) == 1.0 else f"{mant}·{_power(k)}"
    text = format(value, spec)
    if isinstance(value, (int, float, np.number)):
        text = text.replace(",", "\u2009").replace("-", "−")   # 20 000, −0.95: as typeset
    return text


def render(template: str, facts: dict) -> str:
    """The lesson with every field filled from `facts`, "…" where a fact is not known."""
    def fill(m):
        name, spec = m.group(1), m.group(2) or ""
        return format_value(facts[name], spec) if name in facts else PENDING
    return FIELD.sub(fill, template)


def _range(values) -> int | str:
    """One value when all teachers agree, else 'lo–hi'."""
    lo, hi = min(values), max(values)
    return lo if lo == hi else f"{lo}–{hi}"


class LessonFacts:
    """Facts gathered from a run's results, as they arrive: `add` each engine result (a
    TeacherResult, TheoryCurve, Anatomy, DynamicsStart, TrajectoryChunk or Slice), then
    `facts()`. Each fact is what a view draws of the same result — e.g. `decades` is the width of
    the log-axis histogram, `slowest_share` the Modes view's largest neuron share."""

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        self._spectra: list = []
        self._theory = None
        self._anatomy = None
        self._start = None
        self._steps: list[np.ndarray] = []
        self._loss: list[np.ndarray] = []
        self._lin: list[np.ndarray] = []
        self._last_chunk = None
        self._slice = None
        self._cache: dict | None = None

    def add(self, item) -> None:
        """One engine result; unknown kinds are ignored."""
        kind = type(item).__name__
        if kind == "TeacherResult":
            self._spectra.append(item.spectrum)
        elif kind == "TheoryCurve":
            self._theory = item
        elif kind == "Anatomy":
            self._anatomy = item
        elif kind == "DynamicsStart":
            self._start, self._steps, self._loss, self._lin = item, [], [], []
            self._last_chunk = None
        elif kind == "TrajectoryChunk":
            self._steps.append(np.asarray(item.steps))
            self._loss.append(np.asarray(item.loss))
            self._lin.append(np.asarray(item.loss_linearized))
            self._last_chunk = item
        elif kind == "Slice":
            self._slice = item
        else:
            return
        self._cache = None

    def facts(self) -> dict:
        if self._cache is None:
            out: dict = {}
            if self._spectra:
                out.update(spectrum_facts(self._spectra, self._theory))
            if self._anatomy is not None:
                out.update(anatomy_facts(self._anatomy))
            if self._start is not None:
                out.update(training_facts(self._start, self._steps, self._loss, self._lin,
                                          self._last_chunk))
            if self._slice is not None:
                out.update(slice_facts(self._slice))
            self._cache = out
        return dict(self._cache)


def spectrum_facts(spectra, theory=None) -> dict:
    """From every teacher's spectrum (and the law overlaid, for linear networks)."""
    ranks = [s.rank for s in spectra]
    nonzero = [s.eigenvalues[s.eigenvalues > s.rank_tolerance] for s in spectra]
    pooled = np.concatenate(nonzero)
    p = spectra[0].eigenvalues.size
    f = {"teachers": len(spectra), "params": p, "rank": _range(ranks),
         "zero_modes": _range([p - r for r in ranks]), "nonzero_count": int(pooled.size)}
    if pooled.size:
        lo, hi = float(pooled.min()), float(pooled.max())
        conds = [float(n.max() / n.min()) for n in nonzero if n.size]
        f.update(lam_min=lo, lam_max=hi, decades=math.log10(hi / lo),
                 cond_min=min(conds), cond_max=max(conds), ratio_min=1.0 / max(conds))
        # eigenvalues equal to their teacher's ‖W2‖² (the linear network's atom, Ni > Nh)
        at_s = sum(int(np.count_nonzero(np.abs(n - s.w2_norm_sq) <= 1e-9 * s.w2_norm_sq))
                   for n, s in zip(nonzero, spectra))
        f["atom_share"] = at_s / pooled.size
    zeros = [np.abs(s.eigenvalues[s.eigenvalues <= s.rank_tolerance]) for s in spectra]
    if all(z.size for z in zeros):
        f["zero_level"] = float(max(z.max() for z in zeros))
        # the rank view's cliff: the last singular value kept and the first one dropped
        kept = [float(s.singular_values[r - 1]) for s, r in zip(spectra, ranks) if r > 0]
        dropped = [float(s.singular_values[r]) for s, r in zip(spectra, ranks)]
        if kept and min(dropped) > 0:      # exact zeros (linear networks) have no floor
            f.update(cliff_top=min(kept), cliff_floor=max(dropped),
                     cliff_decades=min(math.log10(k / max(d, 1e-300)) for k, d in zip(kept, dropped)))
    if theory is not None:
        ks = theory.ks_distance(spectra)
        if ks is not None:
            f["ks"] = ks
    return f


def anatomy_facts(anatomy) -> dict:
    """Teacher 1 taken apart: the slowest and the fastest nonzero mode, as the Modes view shows
    them, and the zero modes against the symmetries (the Modes view's summary line)."""
    from engine.modes import describe_mode, gallery

    s = anatomy.spectrum
    f: dict = {}
    slow, fast = gallery(s.eigenvalues, s.rank_tolerance, 1)
    w2 = np.abs(anatomy.teacher.W2)
    if slow.size:
        d = describe_mode(s.eigenvalues, s.eigenvectors, int(slow[0]), anatomy.ni, anatomy.nh,
                          s.rank_tolerance)
        j = int(np.argmax(d.shares))
        e = describe_mode(s.eigenvalues, s.eigenvectors, int(fast[0]), anatomy.ni, anatomy.nh,
                          s.rank_tolerance)
        f.update(slowest_lambda=d.eigenvalue, slowest_share=float(d.shares[j]),
                 slowest_neuron=j + 1, slowest_neuron_w2=float(w2[j]),
                 slowest_participation=d.participation,
                 slowest_w2_share=float(np.sum(d.w2 ** 2)),
                 smallest_w2_neuron=int(np.argmin(w2)) + 1,
                 fastest_lambda=e.eigenvalue, fastest_top_share=float(e.shares.max()),
                 fastest_participation=e.participation,
                 fastest_w2_share=float(np.sum(e.w2 ** 2)))
    if anatomy.symmetry is not None:
        f.update(symmetry=anatomy.symmetry.text(), symmetry_residual=anatomy.symmetry.residual)
    return f


LOSS_STEPS = (0, 1, 10, 100, 1000, 10000)


def training_facts(start, steps, loss, lin, last) -> dict:
    """Training of teacher 1: the step and its limit, the slowest mode's time, and the loss at
    the steps of LOSS_STEPS that were recorded (`loss_10`, …) and at the last (`loss_final`)."""
    lam = start.eigenvalues
    lam_max, lam_min = float(lam[-1]), float(start.slow_eigenvalues[0]) \
        if start.slow_modes.size else math.nan
    f = {"lr": start.lr, "lr_limit": start.stability_limit, "train_lam_max": lam_max,
         "inv_lam_max": 1.0 / lam_max, "fast_factor": 1.0 - start.lr * lam_max,
         "slow_lambda": lam_min, "slow_steps": 1.0 / (2.0 * start.lr * lam_min),
         "slow_factor": 1.0 - start.lr * lam_min, "slow_count": int(start.slow_modes.size)}
    if steps:
        t, y, yl = np.concatenate(steps), np.concatenate(loss), np.concatenate(lin)
        for s in LOSS_STEPS:
            i = np.flatnonzero(t == s)
            if i.size:
                f[f"loss_{s}"] = float(y[i[0]])
        if last is not None and last.done and t.size:
            f.update(loss_final=float(y[-1]), step_final=int(t[-1]))
            ok = y > 0
            if ok.any():
                f["lin_deviation"] = float(np.max(np.abs(yl[ok] - y[ok]) / y[ok]))
            if last.takeover_step_actual is not None:
                f["takeover"] = int(last.takeover_step_actual)
    return f


def slice_facts(sl) -> dict:
    """The landscape slice: the loss at the edge of the plot along each mode (the other at 0)."""
    c = sl.a.size // 2
    return {"edge_loss_first": float(sl.loss[-1, c]), "edge_loss_second": float(sl.loss[c, -1]),
            "slice_modes": f"{sl.modes[0] + 1} and {sl.modes[1] + 1}"}


def run_facts(config: dict) -> dict:
    """Every fact a run of `config` (a gui.config dict) gives, computed here in one process with
    the engine calls the window's jobs make: the spectra of all teachers, the law (linear
    networks), teacher 1 taken apart and its landscape slice (P ≤ engine.anatomy.MAX_PARAMS),
    and training (when enabled, with N samples). The window computes the anatomy and the slice
    only while a view that shows them is open; until then their facts read "…"."""
    from engine.anatomy import MAX_PARAMS, anatomy
    from engine.dynamics import iter_trajectory, start_dynamics
    from engine.ensemble import iter_spectra
    from engine.landscape import compute_slice, default_modes
    from engine.theory import law_choice, theory_curve

    from .config import prepare_config, prepare_training

    problem = prepare_config(config)
    acc = LessonFacts()
    first = None
    for result in iter_spectra(problem):
        first = first or result
        acc.add(result)
    choice = law_choice(problem)
    if choice is not None:
        if choice.needs_teacher:
            choice = choice.with_teacher_s(first.spectrum.w2_norm_sq)
        if choice.has_law:
            acc.add(theory_curve(choice))
    if problem.n_params <= MAX_PARAMS:
        a = anatomy(problem)
        acc.add(a)
        sl = (config.get("view") or {}).get("slice")
        modes = tuple(sl) if sl is not None else \
            default_modes(a.spectrum.eigenvalues, a.spectrum.rank_tolerance)
        acc.add(compute_slice(problem, modes=modes, spectrum=a.spectrum))
    if config["dynamics"]["enabled"] and problem.n_samples is not None:
        start = start_dynamics(prepare_training(config, problem))
        acc.add(start)
        for chunk in iter_trajectory(start):
            acc.add(chunk)
    return acc.facts()
