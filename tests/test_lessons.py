"""Lessons that cannot disagree with their plots (issue 19).

Every lesson is rendered from its preset's own run (gui.lesson_facts.run_facts): no field may be
left unfilled. The facts are then checked against routes of their own — the Hessian JᵀJ/N
diagonalised here, gradient descent stepped here, the loss evaluated point by point — and the
numbers a lesson writes out (P, a rank formula, a claim about another setting) against the
engine. Colours a lesson names are read from the views' own pens (gui.style's names)."""
from __future__ import annotations

import functools
import math
import re

import numpy as np
import pytest

from engine.ensemble import compute_one, prepare, teacher_and_inputs
from engine.model import forward, jacobian
from gui.config import normalize, prepare_config, spectrum_config
from gui.lesson_facts import (PENDING, LessonFacts, fields, format_value, render, run_facts,
                              anatomy_facts)
from gui.presets import find_preset, list_presets

PRESETS = [p.name for p in list_presets()]


@functools.lru_cache(maxsize=None)
def _facts(name: str) -> dict:
    return run_facts(config(name))


def facts(name: str) -> dict:
    return dict(_facts(name))


def config(name: str, **changes) -> dict:
    return normalize({**find_preset(name).config(), **changes})


def lesson(name: str) -> str:
    return find_preset(name).lesson()[0]


def hessians(cfg: dict):
    """(teacher, X, H = JᵀJ/N) of every teacher of a sample-mode configuration, written out."""
    problem = prepare_config(cfg)
    for k in range(problem.n_teachers):
        t, X = teacher_and_inputs(problem, k)
        J = jacobian(t, problem.act, X)
        yield t, X, J, J.T @ J / X.shape[0]


def numerical_rank(cfg: dict) -> int:
    return compute_one(prepare(spectrum_config(cfg)), 0).spectrum.rank


# ----------------------------------------------------------------------------- the template

def test_formats_and_placeholders():
    assert format_value(1.87e-5, "sci") == "1.9·10⁻⁵"
    assert format_value(2.15e-11, "sci0") == "2·10⁻¹¹"
    assert format_value(9.96, "sci") == "10¹" and format_value(1234.5, "sci") == "1.2·10³"
    assert format_value(5.8e-33, "pow") == "10⁻³²" and format_value(0.4, "pow") == "10⁰" and format_value(0.3, "pow") == "10⁻¹"
    assert format_value(-0.9499, ".2f") == "−0.95" and format_value(20000, ",") == "20\u2009000"
    assert format_value(0.979, ".0%") == "98%" and format_value("a-b", "") == "a-b"
    text = "rank {rank} of {params}, {decades:.1f} decades"
    assert fields(text) == ["rank", "params", "decades"]
    assert render(text, {"rank": 56}) == f"rank 56 of {PENDING}, {PENDING} decades"
    assert render(text, {"rank": 56, "params": 70, "decades": 11.618}) == "rank 56 of 70, 11.6 decades"


@pytest.mark.parametrize("name", PRESETS)
def test_every_lesson_is_filled_by_its_presets_run(name):
    """Each field names a fact the preset's run produces: rendered, no field is left."""
    text = lesson(name)
    f = facts(name)
    missing = sorted({n for n in fields(text) if n not in f})
    assert not missing, f"{name}: the run gives no {missing}"
    out = render(text, f)
    assert "{" not in out and "}" not in out


def test_the_menu_titles_have_no_fields():
    for preset in list_presets():
        assert not fields(preset.title) and PENDING not in preset.title


# ----------------------------------------------------------------------------- spectra

@pytest.mark.parametrize("name", ["03_quadratic", "04_cubic", "05_cubic_alexander_hirschowitz",
                                  "06_erf_full_rank", "08_polynomial_bound"])
def test_spectrum_facts_from_the_hessian_written_out(name):
    """rank, decades, λ range and conditioning from eigvalsh(JᵀJ/N); the rank view's cliff
    from the singular values of J: any tolerance inside [cliff_floor, cliff_top] keeps the rank."""
    f = facts(name)
    problem = prepare_config(config(name))
    rank = problem.predicted_rank or problem.n_params
    assert f["rank"] == rank and f["teachers"] == problem.n_teachers
    nonzero, svs = [], []
    for _t, _X, J, H in hessians(config(name)):
        nonzero.append(np.linalg.eigvalsh(H)[-rank:])
        svs.append(np.linalg.svd(J, compute_uv=False))
    pooled = np.concatenate(nonzero)
    assert f["lam_min"] == pytest.approx(pooled.min(), rel=1e-3)
    assert f["lam_max"] == pytest.approx(pooled.max(), rel=1e-9)
    assert f["decades"] == pytest.approx(math.log10(pooled.max() / pooled.min()), abs=1e-3)
    conds = [n.max() / n.min() for n in nonzero]
    assert f["cond_min"] == pytest.approx(min(conds), rel=1e-3)
    assert f["cond_max"] == pytest.approx(max(conds), rel=1e-3)
    if "cliff_top" in f:
        for sv in svs:
            for tol in (f["cliff_floor"] * 1.01, f["cliff_top"] * 0.99):
                assert np.count_nonzero(sv > tol) == rank
        assert min(math.log10(sv[rank - 1] / sv[rank]) for sv in svs) == \
            pytest.approx(f["cliff_decades"], abs=0.01)


def test_lesson_04_spans_what_its_histogram_spans():
    """The issue's 'about eight decades' against 11.6: the number now is the histogram's width."""
    f = facts("04_cubic")
    assert f["decades"] == pytest.approx(11.6, abs=0.05)
    assert "{decades:.1f} decades" in lesson("04_cubic")
    assert not re.search(r"\beight\b", lesson("04_cubic"))


def test_lesson_02_one_hump_and_the_atom_share():
    """2/3 of the eigenvalues equal their teacher's ‖W2‖² (Ni − Nh of Ni), yet the pooled
    histogram (16 bins) and the law are single humps: the issue's 'tall peak on a bulk' is gone."""
    from engine.theory import law_choice

    name = "02_linear_30x10"
    f = facts(name)
    assert f["atom_share"] == pytest.approx(20 / 30, abs=1e-12)
    problem = prepare_config(config(name))
    pooled = np.concatenate([compute_one(problem, k).spectrum.eigenvalues[-30:]
                             for k in range(problem.n_teachers)])
    counts, _ = np.histogram(pooled, 16)
    top = int(np.argmax(counts))
    assert np.all(np.diff(counts[:top + 1]) > 0) and np.all(np.diff(counts[top:]) < 0)
    law = law_choice(problem).law()
    assert not law.atoms
    slope = np.diff(law.density)
    slope = slope[np.abs(slope) > 1e-9 * law.density.max()]
    assert np.count_nonzero(np.diff(np.sign(slope))) == 1
    text = lesson(name)
    assert "one hump" in text and "tall peak" not in text
    one = run_facts(config(name, teachers=1))           # Try: one teacher, the spike of 20
    assert one["atom_share"] == pytest.approx(20 / 30)
    swapped = run_facts(config(name, ni=10, nh=30, teachers=5))   # Try: γ < 1, no atom
    assert swapped["atom_share"] == 0


def test_lesson_01_ks_against_the_empirical_distribution():
    """The KS distance the lesson quotes, from the law's CDF and the eigenvalues' own ECDF."""
    from engine.theory import law_choice

    name = "01_linear_10x20"
    problem = prepare_config(config(name))
    x = np.sort(np.concatenate([compute_one(problem, k).spectrum.eigenvalues[-10:]
                                for k in range(problem.n_teachers)]))
    F = law_choice(problem).law().cdf_at(x)
    i = np.arange(1, x.size + 1)
    ks = max(np.max(i / x.size - F), np.max(F - (i - 1) / x.size))
    f = facts(name)
    assert f["ks"] == pytest.approx(ks, abs=2e-4) and f["ks"] < 0.02
    assert f["rank"] == 10 and f["nonzero_count"] == 20000 and f["zero_modes"] == 210
    lo, hi = 2 * (1 - math.sqrt(0.5)) ** 2, 2 * (1 + math.sqrt(0.5)) ** 2
    assert f"≈ [{lo:.2f}, {hi:.1f}]" in lesson(name)


# ----------------------------------------------------------------------------- modes

def _modes_written_out(name: str, **changes):
    (t, _X, _J, H), = hessians(config(name, **changes))
    lam, V = np.linalg.eigh(H)
    nh, ni = t.W1.shape

    def anatomy_of(v):
        per = (v[:nh * ni].reshape(nh, ni) ** 2).sum(axis=1) + v[nh * ni:] ** 2
        return per / per.sum(), float(np.sum(v[nh * ni:] ** 2)), float(np.sum(v ** 2) ** 2 / np.sum(v ** 4))
    return t, lam, V, anatomy_of


def test_lesson_09_the_slowest_mode_is_one_neuron():
    """The issue's 'delicate cancellations between neurons': the slowest mode puts 98 % on one
    neuron — the one with the smallest |W2| — and the fastest is spread, mostly W2."""
    name = "09_slow_mode_anatomy"
    f = facts(name)
    t, lam, V, anatomy_of = _modes_written_out(name)
    shares, w2_share, pr = anatomy_of(V[:, 0])
    assert f["slowest_lambda"] == pytest.approx(lam[0], rel=1e-6)
    assert f["slowest_share"] == pytest.approx(shares.max(), abs=1e-6)
    assert f["slowest_neuron"] == np.argmax(shares) + 1 == np.argmin(np.abs(t.W2)) + 1
    assert f["slowest_w2_share"] == pytest.approx(w2_share, abs=1e-6)
    assert f["slowest_participation"] == pytest.approx(pr, rel=1e-6)
    assert f["slowest_neuron_w2"] == pytest.approx(np.abs(t.W2).min())
    shares, w2_share, pr = anatomy_of(V[:, -1])
    assert f["fastest_top_share"] == pytest.approx(shares.max(), abs=1e-6)
    assert f["fastest_w2_share"] == pytest.approx(w2_share, abs=1e-6)
    assert f["slowest_share"] > 0.95 and f["fastest_top_share"] < 0.5 and f["fastest_w2_share"] > 0.5
    assert "cancellations" not in lesson(name)
    for seed in (4, 5):                     # Try: other seeds, the same neuron
        _t, lam, V, anatomy_of = _modes_written_out(name, seed=seed)
        assert np.argmax(anatomy_of(V[:, 0])[0]) == np.argmin(np.abs(_t.W2))
    assert facts("06_erf_full_rank")["lam_min"] < f["slowest_lambda"] / 100   # Try: P = 220


def test_lesson_09_facts_follow_the_anatomy_given():
    """anatomy_facts reads the anatomy it is given (teacher 1 of another seed: other numbers)."""
    from engine.anatomy import anatomy

    other = anatomy_facts(anatomy(prepare_config(config("09_slow_mode_anatomy", seed=6))))
    assert other["slowest_share"] < 0.6 < facts("09_slow_mode_anatomy")["slowest_share"]


@pytest.mark.parametrize("name", ["10_flat_valley", "14_relu_flat_directions"])
def test_zero_modes_are_the_rescalings_and_the_valley_is_quartic(name):
    """Lessons 10 and 14 quote the Modes view's line: its counts are P − rank and Nh; the slice's
    edge losses are the loss itself at θ* + S·v; along the zero mode it grows like a⁴."""
    from engine.landscape import compute_slice
    from engine.dynamics import loss_at

    f = facts(name)
    cfg = config(name)
    problem = prepare_config(cfg)
    nh, p = problem.nh, problem.n_params
    assert f["zero_modes"] == p - f["rank"] == nh
    assert f["symmetry"].startswith(f"{nh} zero modes = {nh} symmetries (per-neuron rescalings: {nh})")
    assert f["symmetry_residual"] < 1e-13
    s = compute_slice(problem, modes=tuple(cfg["view"]["slice"]))
    t, X = teacher_and_inputs(problem, 0)
    y = forward(t, problem.act, X)
    flat, fast = s.directions
    assert f["edge_loss_first"] == pytest.approx(loss_at(t, problem.act, X, y, s.span * flat), rel=1e-9)
    assert f["edge_loss_second"] == pytest.approx(loss_at(t, problem.act, X, y, s.span * fast), rel=1e-9)
    ratio = loss_at(t, problem.act, X, y, s.span * flat) / loss_at(t, problem.act, X, y, s.span / 2 * flat)
    assert ratio == pytest.approx(16, rel=0.1)          # a², not a⁴, would give 4
    assert f["edge_loss_second"] > 1e4 * f["edge_loss_first"]
    assert np.all(np.abs(s.quadratic[:, s.b.size // 2]) < 1e-25)   # "the dashed model is zero along it"


def test_lesson_14_numbers():
    """The relu lesson's numbers (formerly asserted in tests/test_relu.py) from eigvalsh(H)."""
    name = "14_relu_flat_directions"
    f = facts(name)
    (_t, _X, _J, H), = hessians(config(name))
    lam = np.linalg.eigvalsh(H)
    assert f["rank"] == 40 and f["params"] == 48
    assert f["lam_max"] == pytest.approx(lam[-1], rel=1e-9) and format_value(f["lam_max"], ".1f") == "2.3"
    assert f["ratio_min"] == pytest.approx(lam[8] / lam[-1], rel=1e-4)
    assert f["zero_level"] < 1e-31 and np.max(np.abs(lam[:8])) < 1e-13
    assert numerical_rank(config(name, population=True, samples=None)) == 40     # Try
    assert numerical_rank(config(name, activation="softplus")) == 48             # Try


# ----------------------------------------------------------------------------- training

def _descend(name: str, steps: int):
    """Gradient descent stepped here from the run's δ0: (losses, slow-mode shares)."""
    from engine.dynamics import loss_and_gradient, start_dynamics
    from gui.config import prepare_training

    cfg = config(name)
    start = start_dynamics(prepare_training(cfg, prepare_config(cfg)))
    t, X, act = start.teacher, start.inputs, start.problem.model.act
    V = np.linalg.eigh(jacobian(t, act, X).T @ jacobian(t, act, X) / X.shape[0])[1]
    lam = start.eigenvalues
    slow = start.slow_modes
    delta = start.delta0.copy()
    losses, shares = [], []
    for _ in range(steps + 1):
        loss, grad = loss_and_gradient(t, act, X, start.targets, delta)
        energy = 0.5 * lam[slow] * (V[:, slow].T @ delta) ** 2
        losses.append(loss)
        shares.append(energy.sum() / loss)
        delta -= start.lr * grad
    return start, np.array(losses), np.array(shares)


def test_lesson_07_losses_from_gradient_descent_written_out():
    name = "07_erf_slow_tail"
    f = facts(name)
    start, losses, shares = _descend(name, 1000)
    for s in (0, 1, 10, 100, 1000):
        assert f[f"loss_{s}"] == pytest.approx(losses[s], rel=1e-6)
    assert f["takeover"] == int(np.argmax(shares > 0.5))
    assert losses[0] / losses[10] > 100                     # "two decades in the first ten steps"
    lam = np.linalg.eigvalsh(next(hessians(config(name, teachers=1)))[3])
    assert f["slow_lambda"] == pytest.approx(lam[0], rel=1e-6)
    assert f["slow_steps"] == pytest.approx(lam[-1] / (2 * lam[0]), rel=1e-6)
    c = np.linalg.eigh(next(hessians(config(name, teachers=1)))[3])[1].T @ start.delta0
    T = f["step_final"]
    assert T == 20000
    predicted = 0.5 * np.sum(lam * c ** 2 * (1 - start.lr * lam) ** (2 * T))
    assert f["loss_final"] == pytest.approx(predicted, rel=0.02)
    assert f["lin_deviation"] < 0.015                       # "within 1%"
    assert facts("06_erf_full_rank")["cond_min"] > 1e6     # Try: below 10⁻⁶ at Ni = 10, Nh = 20


def test_lesson_11_the_step_against_its_limit():
    from engine.dynamics import run_dynamics
    from gui.config import prepare_training

    name = "11_edge_of_stability"
    f = facts(name)
    lam = np.linalg.eigvalsh(next(hessians(config(name)))[3])
    assert f["lr_limit"] == pytest.approx(2 / lam[-1], rel=1e-9)
    assert f["fast_factor"] == pytest.approx(1 - 1.22 * lam[-1], rel=1e-9)
    assert f["slow_factor"] == pytest.approx(1 - 1.22 * lam[0], rel=1e-9)
    assert f["inv_lam_max"] == pytest.approx(1 / lam[-1], rel=1e-9)
    assert f["lr"] == 1.22 < f["lr_limit"] < 1.3
    from engine.dynamics import loss_and_gradient, start_dynamics
    start = start_dynamics(prepare_training(config(name), prepare_config(config(name))))
    v_fast = np.linalg.eigh(next(hessians(config(name)))[3])[1][:, -1]
    delta, losses, fast = start.delta0.copy(), [], []
    for _ in range(300):
        loss, grad = loss_and_gradient(start.teacher, start.problem.model.act, start.inputs,
                                       start.targets, delta)
        losses.append(loss)
        fast.append(v_fast @ delta)
        delta -= start.lr * grad
    assert np.all(np.diff(losses) < 0) and "without a saw-tooth" in lesson(name)
    fast = np.array(fast[:20])                          # the zig-zag: −0.95 per step
    assert np.all(np.sign(fast[1:]) == -np.sign(fast[:-1]))
    assert np.all(np.abs(fast[1:] / fast[:-1] - f["fast_factor"]) < 0.02)
    cfg = config(name)
    cfg["dynamics"]["lr"] = 1.3                 # Try: above the limit — a catapult, not divergence
    r = run_dynamics(prepare_training(cfg, prepare_config(cfg)))
    top = int(np.argmax(r.loss))
    assert r.status == "finished" and r.loss[top] > 10 * r.loss[0] and 20 <= top <= 40
    assert r.loss[-1] < r.loss[0] and r.loss_linearized[-1] > 1e6 * r.loss[0]
    assert "training diverges" not in lesson(name)


# ----------------------------------------------------------------------------- written-out numbers

def test_the_written_out_numbers_of_each_lesson():
    """Numbers that follow from the settings (P, rank formulas, other settings in Try)."""
    for name, p in {"01_linear_10x20": 220, "02_linear_30x10": 310, "03_quadratic": 45,
                    "04_cubic": 70, "06_erf_full_rank": 220, "08_polynomial_bound": 8,
                    "14_relu_flat_directions": 48, "07_erf_slow_tail": 15, "09_slow_mode_anatomy": 35,
                    "10_flat_valley": 8, "11_edge_of_stability": 15}.items():
        assert prepare_config(config(name)).n_params == p and f"P = {p}" in lesson(name)
    r3 = math.sqrt(3)                                          # lesson 02's Why
    assert f"(1/3)(1 ± √3)² ≈ [{(1 - r3) ** 2 / 3:.2f}, {(1 + r3) ** 2 / 3:.1f}]" in lesson("02_linear_30x10")
    assert f"√0.2 ≈ {math.sqrt(0.2):.2f}" in lesson("02_linear_30x10")
    assert facts("02_linear_30x10")["rank"] == 30 == prepare_config(config("02_linear_30x10")).predicted_rank
    assert prepare_config(config("03_quadratic")).predicted_rank == 30
    assert "40 − 10 = **30**" in lesson("03_quadratic")
    assert numerical_rank(config("03_quadratic", ni=6, nh=10)) == 21
    assert "min(60, 56) = **56**" in lesson("04_cubic")
    assert numerical_rank(config("04_cubic", nh=5)) == 30
    assert prepare_config(config("05_cubic_alexander_hirschowitz")).predicted_rank == 34
    assert [numerical_rank(config("05_cubic_alexander_hirschowitz", nh=h)) for h in (6, 8)] == [30, 35]
    assert numerical_rank(config("05_cubic_alexander_hirschowitz", activation="power:4", ni=3, nh=5)) == 14
    f6 = facts("06_erf_full_rank")
    assert round(f6["decades"]) == 11 and "up to eleven decades" in lesson("06_erf_full_rank")
    assert prepare_config(config("06_erf_full_rank")).n_samples == 880
    problem = prepare_config(config("06_erf_full_rank"))
    for k in range(problem.n_teachers):      # "the smallest stays far above the tolerance line"
        spec = compute_one(problem, k).spectrum
        assert spec.singular_values[-1] > 100 * spec.singular_tolerance
        sv = spec.singular_values                  # "decay smoothly, with no cliff"
        assert np.max(sv[:-1] / sv[1:]) < 10
    assert prepare_config(config("14_relu_flat_directions")).n_samples == 192
    assert "N = 4·P = 192 samples" in lesson("14_relu_flat_directions")
    from gui.views.spectrum import bin_edges        # "on a linear axis … the first bin"
    lam = np.concatenate([compute_one(problem, k).spectrum.eigenvalues for k in range(problem.n_teachers)])
    counts, _ = np.histogram(lam, bin_edges(lam))
    assert counts[0] > 0.9 * lam.size and "squeezed into the first bin" in lesson("06_erf_full_rank")
    quadratic = config("10_flat_valley", activation="quadratic")   # lesson 10's Try
    assert 8 - numerical_rank(quadratic) == 3 > 2
    assert prepare_config(config("08_polynomial_bound")).predicted_rank == 7
    assert "2·4 − 1 = 7" in lesson("08_polynomial_bound")
    assert numerical_rank(config("08_polynomial_bound", ni=6)) == 13
    assert [numerical_rank(config("08_polynomial_bound", nh=h)) for h in (3, 4, 5)] == [9, 9, 9]
    assert prepare_config(config("08_polynomial_bound", activation="poly:0,1,0,1")).predicted_rank is None


def test_lesson_12_rank_vs_width():
    """z² saturates at 10, z³ at 20, erf is full rank: numerical ranks at Ni = 4, Nh = 1…12."""
    base = config("12_rank_vs_width")
    for nh in range(1, 13):
        p = nh * 4 + nh
        assert numerical_rank({**base, "activation": "erf", "nh": nh}) == p
        assert numerical_rank({**base, "activation": "cubic", "nh": nh}) == min(4 * nh, 20)
        assert numerical_rank({**base, "activation": "quadratic", "nh": nh}) == \
            (4 * nh - nh * (nh - 1) // 2 if nh <= 4 else 10)
    assert "C(Ni + 2, 3) = 20" in lesson("12_rank_vs_width")
    assert "Ni(Ni + 1)/2 = 10" in lesson("12_rank_vs_width")


def test_lesson_13_three_exceptions():
    """naive count − numerical rank is 1 in exactly the three cells the lesson names."""
    base = config("13_alexander_hirschowitz_map")
    ones = set()
    for ni in range(2, 7):
        for nh in range(2, 15):
            naive = min(nh * ni, math.comb(ni + 3, 4))
            gap = naive - numerical_rank({**base, "ni": ni, "nh": nh})
            assert gap in (0, 1)
            if gap:
                ones.add((ni, nh))
    assert ones == {(3, 5), (4, 9), (5, 14)}
    assert "Ni = 3, Nh = 5; Ni = 4, Nh = 9; Ni = 5, Nh = 14" in lesson("13_alexander_hirschowitz_map")


# ----------------------------------------------------------------------------- colours

# (lesson, the words in it, view class, item, "pen" or "brush", gui.style's name, pen style)
COLOURS = [
    ("01_linear_10x20", "vermillion curve is the theory", "SpectrumView", "theory_item", "pen", "VERMILLION", None),
    ("02_linear_30x10", "vermillion theory curve", "SpectrumView", "theory_item", "pen", "VERMILLION", None),
    ("03_quadratic", "orange dashed line", "RankView", "pred_line", "pen", "ORANGE", "DashLine"),
    ("03_quadratic", "vermillion dashed tolerance line", "RankView", "tol_line", "pen", "VERMILLION", "DashLine"),
    ("07_erf_slow_tail", "black loss", "DynamicsView", "loss_item", "pen", "BLACK", None),
    ("07_erf_slow_tail", "dashed blue **linearised prediction**", "DynamicsView", "lin_item", "pen", "BLUE", "DashLine"),
    ("07_erf_slow_tail", "vermillion dash-dotted marker", "DynamicsView", "takeover_line", "pen", "VERMILLION", "DashDotLine"),
    ("11_edge_of_stability", "trajectory (vermillion)", "LandscapeView", "path", "pen", "VERMILLION", None),
    ("11_edge_of_stability", "black point on the landscape", "LandscapeView", "point", "brush", "BLACK", None),
]
COLOUR_WORDS = ("vermillion", "orange", "black", "blue", "green", "purple", "yellow", "grey", "red")


def _paint(item, kind: str):
    if kind == "brush":
        return item.opts["brush"]
    pen = getattr(item, "pen", None)
    return pen if pen is not None and not callable(pen) else item.opts["pen"]


def test_the_colours_a_lesson_names_are_the_views(qtbot):
    """Read at test time from the views' items, named as gui.style names them: whoever changes a
    colour there sees which lesson to change."""
    import gui.views as views
    from gui import style

    made = {}
    for name, words, cls, attr, kind, colour, line in COLOURS:
        assert words in lesson(name), f"{name} no longer says {words!r}: update COLOURS"
        if cls not in made:
            made[cls] = getattr(views, cls)()
            qtbot.addWidget(made[cls])
        paint = _paint(getattr(made[cls], attr), kind)
        assert paint.color().name().lower() == getattr(style, colour).lower(), \
            f"{name}: {words!r}, but {cls}.{attr} is {paint.color().name()}"
        if line is not None:
            assert paint.style().name == line
    named = {(n, w) for n, w, *_ in COLOURS}
    for preset in PRESETS:         # a colour word not in the table would go unchecked
        text = lesson(preset).lower()
        for word in COLOUR_WORDS:
            if re.search(rf"\b{word}\b", text) and not any(n == preset and word in w for n, w in named):
                assert preset == "09_slow_mode_anatomy" and word in ("red", "blue"), \
                    f"{preset} names {word!r}: add it to COLOURS"


def test_lesson_09_red_and_blue_are_the_heatmaps_ends():
    from gui.views.modes import DIVERGING

    lo, _mid, hi = DIVERGING.getLookupTable(nPts=3)
    assert lo[2] > lo[0] and hi[0] > hi[2]         # blue at one end, red at the other
    assert "red and blue are opposite signs" in lesson("09_slow_mode_anatomy")


# ----------------------------------------------------------------------------- the panel

def test_the_panel_fills_the_lesson_from_the_controllers_results(qtbot):
    """LessonPanel.attach: "…" while a run starts, the run's numbers when a job ends, "…" again
    at the next run."""
    from PySide6.QtCore import QObject, Signal

    from gui.lesson_panel import LessonPanel

    class Controller(QObject):
        started = Signal(object)
        spectrum_result = Signal(object)
        theory_ready = Signal(object)
        anatomy_ready = Signal(object)
        landscape_ready = Signal(object)
        dynamics_started = Signal(object)
        dynamics_chunk = Signal(object)
        job_done = Signal(str, str)

    panel = LessonPanel()
    qtbot.addWidget(panel)
    controller = Controller()
    panel.attach(controller)
    panel.show_lesson("04_cubic")
    assert "cliff sits at …" in panel.text()
    controller.started.emit(None)
    problem = prepare_config(config("04_cubic"))
    acc = LessonFacts()
    for k in range(3):
        result = compute_one(problem, k)
        acc.add(result)
        controller.spectrum_result.emit(result)
    assert "cliff sits at …" in panel.text()               # shown when the job ends
    controller.job_done.emit("spectrum", "finished")
    decades = format_value(acc.facts()["decades"], ".1f")
    assert "cliff sits at 56" in panel.text() and f"3 teachers span {decades} decades" in panel.text()
    controller.started.emit(None)
    assert "cliff sits at …" in panel.text()


def test_the_window_fills_a_lesson_from_its_run(window, qtbot):
    """The real path: a preset loaded, its run in the worker processes, the lesson panel fed by
    the run controller (gui/main_window.py attaches it) — the same numbers as run_facts."""
    name = "10_flat_valley"
    window.load_preset(name)
    qtbot.waitUntil(lambda: not window.controller.is_running()
                    and "symmetries" in window.lesson_panel.text(), timeout=60_000)
    text = window.lesson_panel.text()
    f = facts(name)
    assert f["symmetry"] in text
    assert f"{f['zero_modes']} of the eight eigenvalues" in text


# ----------------------------------------------------------------------------- page links

PAGE_LINK = re.compile(r"\]\(page:([^)\s]*)\)")
GONE = ("Ctrl+0", "Ctrl+8", "Ctrl+9", "View →")    # keys and menu entries of the time before pages


@pytest.mark.parametrize("name", PRESETS)
def test_a_lessons_page_links_open_pages_that_exist(name):
    """A lesson's `[text](page:NAME)` opens the page it talks about (part of issue 19): every
    NAME is one of gui.views.PAGES (MainWindow.show_page would open the Spectrum page for any
    other), every lesson links at least one page, and none names the keys or View menu entries
    of the time before pages."""
    from gui.views import PAGES

    text = lesson(name)
    links = PAGE_LINK.findall(text)
    assert links, f"{name} links no page"
    unknown = sorted(set(links) - set(PAGES))
    assert not unknown, f"{name} links to pages that do not exist: {unknown} (pages: {list(PAGES)})"
    gone = [g for g in GONE if g in text]
    assert not gone, f"{name} still mentions {gone}"


def test_the_panel_renders_each_page_link_as_a_link(qtbot):
    """What the panel draws: every page link of the Markdown is an anchor of the rendered
    document (also inside bold), and clicking it asks for that page."""
    from PySide6.QtCore import QUrl

    from gui.lesson_panel import LessonPanel

    panel = LessonPanel()
    qtbot.addWidget(panel)
    for name in PRESETS:
        panel.show_lesson(name)
        anchors, block = [], panel.browser.document().begin()
        while block.isValid():
            it, previous = block.begin(), None
            while not it.atEnd():
                fmt = it.fragment().charFormat()
                href = fmt.anchorHref() if fmt.isAnchor() else None
                if href and href.startswith("page:") and href != previous:
                    anchors.append(href[len("page:"):])    # a link over several fragments: once
                previous = href
                it += 1
            block = block.next()
        assert anchors == PAGE_LINK.findall(lesson(name)), name
    with qtbot.waitSignal(panel.page_requested) as shown:
        panel.follow_link(QUrl("page:landscape"))
    assert shown.args == ["landscape"]
