"""Which random-matrix law a linear network's run is compared with, and how far it lies from it.

The rule (docs/methods.md §3, "Which law a run is compared with"), used by the command line
and the GUI alike:

* one teacher — an ensemble of K = 1, or a fixed teacher read from a weights file — is compared
  with the *conditional* law given that teacher's s = ‖W2‖²: Marchenko–Pastur shifted by s
  (N → ∞), or its finite-data (Marchenko–Pastur–Silverstein) law with N samples. Its s is known,
  and the pooled law would add a spread of s that this run does not have;
* an ensemble of K ≥ 2 random teachers is compared with the *pooled* law: χ² ⊛ Marchenko–Pastur
  (N → ∞), or the s-average of the finite-data laws with N samples.

A law describes the nonzero eigenvalues: each teacher's min(Ni, N) largest (the rest are exact
zeros of rank H = Ni); the distance is Kolmogorov–Smirnov over all of them pooled.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .ensemble import Problem
from .errors import InputError


@dataclass(frozen=True)
class LawChoice:
    """The law matching a run: kind "pooled" or "conditional" (then s, once the teacher is known)."""
    kind: str
    ni: int
    nh: int
    sigma1: float
    sigma2: float
    samples: int | None          # None: N → ∞
    s: float | None = None       # conditional: the teacher's ‖W2‖²

    @property
    def needs_teacher(self) -> bool:
        """A conditional law waits for the first teacher's s = ‖W2‖²."""
        return self.kind == "conditional" and self.s is None

    def with_teacher_s(self, s: float) -> "LawChoice":
        return replace(self, s=float(s))

    @property
    def has_law(self) -> bool:
        """False for a teacher with ‖W2‖² = 0: its output is zero and no law describes it."""
        return not (self.kind == "conditional" and self.s is not None and not self.s > 0)

    @property
    def label(self) -> str:
        where = "N → ∞" if self.samples is None else f"N = {self.samples}"
        if self.kind == "pooled":
            return ("theory: χ² ⊛ Marchenko–Pastur (N → ∞)" if self.samples is None
                    else f"theory: finite-data law, pooled ({where})")
        return f"theory: Marchenko–Pastur shifted by ‖W2‖² = {self.s:.3g} ({where})"

    def law(self):
        """The engine.laws.Law (seconds for the pooled finite-data law; milliseconds otherwise)."""
        from . import laws

        if self.kind == "pooled":
            return laws.pooled_law(self.ni, self.nh, self.sigma1, self.sigma2, self.samples)
        if self.s is None:
            raise ValueError("the conditional law needs the teacher's s = ‖W2‖² (with_teacher_s)")
        return laws.conditional_law(self.ni, self.nh, self.sigma1, self.s, self.samples)

    @property
    def nonzero_per_teacher(self) -> int:
        return self.ni if self.samples is None else min(self.ni, self.samples)

    def eigenvalues(self, spectra) -> np.ndarray:
        """The nonzero eigenvalues the law describes, pooled over the given Spectrum objects."""
        k = self.nonzero_per_teacher
        parts = [np.asarray(s.eigenvalues, dtype=float)[-k:] for s in spectra]
        return np.concatenate(parts) if parts else np.zeros(0)

    def ks_distance(self, law, spectra) -> float | None:
        """Kolmogorov–Smirnov distance of the spectra to `law` (None without eigenvalues)."""
        eig = self.eigenvalues(spectra)
        return float(law.ks_distance(eig)) if eig.size else None


def law_choice(problem: Problem) -> LawChoice | None:
    """The law for this run by the rule above; None when theory has none (nonlinear g)."""
    if not problem.act.is_linear:
        return None
    args = (problem.ni, problem.nh, problem.sigma1, problem.sigma2, problem.n_samples)
    if problem.n_teachers == 1:
        s = None if problem.teacher is None else problem.teacher.w2_norm_sq
        return LawChoice("conditional", *args, s=s)
    return LawChoice("pooled", *args)


@dataclass(frozen=True, eq=False)
class TheoryCurve:
    """A computed law with the choice that picked it: what a spectrum plot overlays."""
    choice: LawChoice
    law: object                  # engine.laws.Law

    @property
    def label(self) -> str:
        return self.choice.label

    def ks_distance(self, spectra) -> float | None:
        return self.choice.ks_distance(self.law, spectra)


def theory_curve(choice: LawChoice) -> TheoryCurve:
    return TheoryCurve(choice, choice.law())


def theory_record(problem: Problem, spectra) -> dict | None:
    """The `theory` block of a spectrum result: the law used and its KS distance to the run
    (None for a network theory has no law for). A teacher the laws do not cover (‖W2‖² = 0)
    gets the reason instead of a distance — the spectrum itself is still the result."""
    choice = law_choice(problem)
    if choice is None:
        return None
    if choice.needs_teacher:
        choice = choice.with_teacher_s(spectra[0].w2_norm_sq)
    try:
        if not choice.has_law:
            raise InputError("‖W2‖² = 0: the teacher's output is zero and no random-matrix law "
                             "describes its spectrum")
        law = choice.law()
    except InputError as exc:
        return {"law": None, "law_kind": choice.kind, "ks_distance": None,
                "n_eigenvalues": int(choice.eigenvalues(spectra).size), "unavailable": str(exc)}
    return {"law": law.label, "law_kind": choice.kind, "ks_distance": choice.ks_distance(law, spectra),
            "n_eigenvalues": int(choice.eigenvalues(spectra).size)}
