"""Random-matrix laws of the linear-network Hessian spectrum (docs/methods.md §3).

For g(z) = z the nonzero Hessian eigenvalues at the optimum are, as N → ∞, λ = s + μ with
s = ‖W2‖² ~ σ2²·χ²(Nh) (one value per teacher) and μ an eigenvalue of W1ᵀW1 (Marchenko–Pastur,
ratio γ = Ni/Nh, scale σ1²·Nh, atom 1 − 1/γ at 0 when Ni > Nh). With N samples they are the
eigenvalues of S^{1/2} M S^{1/2}, M = s I + W1ᵀW1, S = XᵀX/N, whose law solves the
Marchenko–Pastur–Silverstein (MPS) equation with ratio c = Ni/N and population law F_M.

Every constructor returns a `Law`: density and CDF on a grid that resolves the edges, the
support, the point masses and the total mass. Laws describe the *nonzero* eigenvalues only:
with N < Ni there are N of them (the other Ni − N are exactly 0), so the finite-data density is
renormalised to the nonzero part (multiplied by c = Ni/N) and carries no atom at 0.

Methods (details in docs/theory.md):

* N → ∞, one teacher: closed-form shifted MP density and closed-form CDF on a Chebyshev grid
  (λ = mid − half·cos θ, θ uniform, so the square-root edges are resolved), atom at s.
* N → ∞, pooled: density(λ) = ∫ f_s(λ − μ) dP_MP(μ) + (1 − 1/γ)₊ f_s(λ), computed per grid point
  by Gauss–Legendre quadrature in the MP angle θ over the window of μ where the χ² density f_s is
  non-negligible; the CDF likewise from the χ² CDF and the closed-form MP CDF.
* finite N: the MPS equation is written in y = −1/m̲ (m̲ the companion Stieltjes transform),
  where it reads Z(y) = y(1 − c) − c y² m_H(y) = λ with m_H the Stieltjes transform of F_M (closed
  form for shifted MP, a sum for a discrete list). Support edges are Z(y*) at the real solutions
  of Z'(y) = 1 − c ∫ t²/(y − t)² dF_M(t) = 0, found by bisection in each gap of the population
  support, where that integral is convex (Silverstein–Choi). Inside each support interval the
  solution y(θ) is smooth in the Chebyshev angle θ and starts at the real edge root: it is traced
  by adaptive predictor–corrector Newton continuation (vectorised over all intervals), fitted by
  cubic splines, and polished by vectorised Newton on the output grid. Only the physical root
  lies in the open upper half plane, which is how a Newton result is accepted. The density is
  Im y / (π |y|² min(c, 1)); the CDF integrates it in θ.
* finite N, pooled: the average over s of the one-teacher finite-data laws (the MPS equation is
  not linear in F_M): a mixture over s-cells uniform in a Chebyshev-clustered χ² quantile, each
  at its exact conditional mean with its exact probability. The equation is solved at every
  sixth node; the laws in between are interpolated linearly in s (edges, and CDF and density
  as functions of θ), so the square-root edges of the components sweep instead of rippling.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Integral
from typing import Callable

import numpy as np
from scipy import special
from scipy.interpolate import CubicSpline

from .errors import InputError
from .validate import positive, sigmas, whole

TAIL = 1e-12          # laws with unbounded support: mass left out beyond each end of the grid
ATOM_RTOL = 1e-9      # eigenvalues this close (relative to the law's scale) to an atom sit on it
GRID_MIN, GRID_MAX = 32, 1_000_000
_COARSE_STEPS = 96    # θ steps of the continuation along one support interval (refined if needed)
_SPLINE_TOL = 1e-5    # spline error (relative to Im y) below which no Newton polish is needed
_GL_NODES = 64        # Gauss–Legendre nodes per grid point of the pooled N → ∞ convolution
_EPS = np.finfo(float).eps
# Shifts s of the population below S_FLOOR × its scale are solved at S_FLOOR × scale: when Ni = Nh
# the shifted Marchenko–Pastur law has an inverse-square-root edge at s, and for s → 0 the MPS edge
# becomes a boundary layer of width ~s that the continuation cannot follow. The law moves by O(s)
# in λ, so the CDF changes only below ~S_FLOOR × scale (docs/methods.md §6).
S_FLOOR = 1e-6


# ============================================================================ the Law

@dataclass(frozen=True, eq=False)
class Law:
    """A probability law of nonzero eigenvalues, tabulated on a grid.

    lam      increasing grid; includes the support edges, except an edge where the density is
             infinite (MP with γ = 1, or finite data with N = Ni, at the hard lower edge)
    density  density of the continuous part at lam (atoms excluded)
    cdf      right-continuous CDF at lam, atoms included (for laws with unbounded support the
             grid leaves out ≤ 1e-12 of the mass beyond each end)
    support  (lo, hi): the closed support; for unbounded laws (the pooled χ² tail) the interval
             holding all but ~1e-12 of the mass
    atoms    list of (location, weight) point masses
    mass     integral of the density (by the same quadrature as the CDF) plus the atoms' weights
    label    short human-readable description
    """

    lam: np.ndarray
    density: np.ndarray
    cdf: np.ndarray
    support: tuple[float, float]
    atoms: list[tuple[float, float]] = field(default_factory=list)
    mass: float = 1.0
    label: str = ""

    def __post_init__(self):
        for name in ("lam", "density", "cdf"):
            arr = np.array(getattr(self, name), dtype=float)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "support", (float(self.support[0]), float(self.support[1])))
        object.__setattr__(self, "atoms", [(float(x), float(w)) for x, w in self.atoms])
        object.__setattr__(self, "mass", float(self.mass))

    # ------------------------------------------------------------------ evaluation
    @property
    def scale(self) -> float:
        lo, hi = self.support
        return max(abs(lo), abs(hi), hi - lo, 1e-300)

    def _atom_steps(self, x: np.ndarray, strict: bool) -> np.ndarray:
        out = np.zeros(np.shape(x))
        for loc, w in self.atoms:
            out += w * ((x > loc) if strict else (x >= loc))
        return out

    def continuous_cdf(self) -> np.ndarray:
        """CDF of the continuous part alone on `lam` (cdf minus the atoms' steps)."""
        return self.cdf - self._atom_steps(self.lam, strict=False)

    def cdf_at(self, x, left: bool = False) -> np.ndarray:
        """F(x) at any points (F(x−) with left=True): the continuous part interpolated on the
        grid (its error is that of linear interpolation between grid points) plus exact atoms."""
        x = np.asarray(x, dtype=float)
        xs, cont = self.lam, self.continuous_cdf()
        if cont[0] > 0.0 and self.support[0] < xs[0]:   # a dropped hard edge
            xs, cont = np.concatenate([[self.support[0]], xs]), np.concatenate([[0.0], cont])
        fc = np.interp(x, xs, cont, left=0.0, right=cont[-1])
        return fc + self._atom_steps(x, strict=left)

    def density_at(self, x) -> np.ndarray:
        """The continuous density interpolated linearly on the grid (0 outside it)."""
        return np.interp(np.asarray(x, dtype=float), self.lam, self.density, left=0.0, right=0.0)

    def expect(self, fn: Callable[[np.ndarray], np.ndarray]) -> float:
        """∫ fn dF over the law (atoms included), by the trapezoid rule in the CDF."""
        cont = self.continuous_cdf()
        vals = np.asarray(fn(self.lam), dtype=float)
        total = 0.5 * np.sum((vals[1:] + vals[:-1]) * np.diff(cont)) + vals[0] * cont[0]
        for loc, w in self.atoms:
            total += w * float(np.asarray(fn(np.array([loc])), dtype=float)[0])
        return float(total)

    def ks_distance(self, eigenvalues) -> float:
        """Kolmogorov–Smirnov distance sup_x |F_emp(x) − F(x)| to the given nonzero eigenvalues.

        The supremum is taken over both one-sided limits at every eigenvalue and every atom.
        Eigenvalues within ATOM_RTOL·scale of an atom are counted as sitting on it (rounding
        puts the Ni − Nh eigenvalues equal to s at s ± 1e-15, not exactly at s).
        """
        x = np.asarray(eigenvalues, dtype=float).ravel()
        if x.size == 0:
            raise InputError("no eigenvalues were given to compare with the law; pass at least one")
        if not np.all(np.isfinite(x)):
            raise InputError("the eigenvalues contain NaN or infinite values; pass finite numbers")
        x = x.copy()
        tol = ATOM_RTOL * self.scale
        for loc, _ in self.atoms:
            x[np.abs(x - loc) <= tol] = loc
        x.sort()
        n = x.size
        pts = np.unique(np.concatenate([x, [loc for loc, _ in self.atoms]]))
        emp_right = np.searchsorted(x, pts, side="right") / n
        emp_left = np.searchsorted(x, pts, side="left") / n
        d_right = np.abs(emp_right - self.cdf_at(pts))
        d_left = np.abs(emp_left - self.cdf_at(pts, left=True))
        return float(max(d_right.max(), d_left.max()))

    def to_dict(self) -> dict:
        return {"lambda": self.lam, "density": self.density, "cdf": self.cdf,
                "support": list(self.support), "atoms": [list(a) for a in self.atoms],
                "mass": self.mass, "label": self.label}


def _make_law(lam, density, cdf, support, atoms, mass, label) -> Law:
    """Drop grid points where the density is infinite (hard edges), then build the Law."""
    lam, density, cdf = (np.asarray(v, dtype=float) for v in (lam, density, cdf))
    keep = np.isfinite(density)
    density = np.where(keep, np.maximum(density, 0.0), 0.0)
    return Law(lam[keep], density[keep], np.maximum.accumulate(cdf[keep]), support,
               atoms, mass, label)


# ============================================================================ validation

def _grid(value) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise InputError(f"grid must be an integer number of points, got {value!r}")
    if not GRID_MIN <= value <= GRID_MAX:
        raise InputError(f"grid must be between {GRID_MIN} and {GRID_MAX} points, got {value}")
    return int(value)


def _samples(samples) -> int | None:
    return None if samples is None else whole(samples, "samples", "--samples")


# ============================================================================ helpers

def chebyshev_grid(lo: float, hi: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(λ, θ): λ = mid − half·cos θ with θ uniform on [0, π], so points cluster at both ends."""
    theta = np.linspace(0.0, np.pi, n)
    lam = 0.5 * (lo + hi) - 0.5 * (hi - lo) * np.cos(theta)
    lam[0], lam[-1] = lo, hi
    return lam, theta


def _mp_params(ni: int, nh: int, sigma1: float) -> tuple[float, float, float, float, float]:
    """(σ², γ, a, b, atom) of the Marchenko–Pastur law of the eigenvalues of W1ᵀW1."""
    gam = ni / nh
    sig2 = sigma1 * sigma1 * nh
    r = math.sqrt(gam)
    a, b = sig2 * (1.0 - r) ** 2, sig2 * (1.0 + r) ** 2
    if ni == nh:
        a = 0.0
    return sig2, gam, a, b, max(0.0, 1.0 - 1.0 / gam)


def _mp_theta_weight(theta, sig2, gam, a, b):
    """dF_MP/dθ for μ = mid − half·cos θ: half² sin²θ / (2π σ² γ μ), finite at a hard edge."""
    half = 0.5 * (b - a)
    s2 = np.sin(0.5 * theta) ** 2
    c2 = np.cos(0.5 * theta) ** 2
    denom = a + 2.0 * half * s2
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(denom > 0.0, s2 / np.where(denom > 0.0, denom, 1.0), 1.0 / (2.0 * half))
    return 4.0 * half * half * c2 * ratio / (2.0 * np.pi * sig2 * gam)


def _mp_theta_cdf(theta, sig2, gam, a, b):
    """Closed-form CDF of the continuous MP part at μ(θ) (mass min(1, 1/γ) at θ = π)."""
    mid, half = 0.5 * (a + b), 0.5 * (b - a)
    val = half * np.sin(theta) + mid * theta
    if a > 0.0:
        val = val - 2.0 * math.sqrt(a * b) * np.arctan(math.sqrt(b / a) * np.tan(0.5 * theta))
    return val / (2.0 * np.pi * sig2 * gam)


def _theta_of(lam, lo, hi):
    """The Chebyshev angle of λ in [lo, hi] (exactly 0 and π at and beyond the ends)."""
    mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
    th = np.arccos(np.clip((mid - lam) / half, -1.0, 1.0))
    return np.where(lam <= lo, 0.0, np.where(lam >= hi, np.pi, th))


def _chi2_logpdf(x, k):
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (0.5 * k - 1.0) * np.log(x) - 0.5 * x - 0.5 * k * math.log(2.0) - special.gammaln(0.5 * k)
    return np.where(x > 0.0, out, -np.inf)


def _chi2_quantile(u, k):
    """Quantiles of χ²(k), accurate in both tails."""
    u = np.asarray(u, dtype=float)
    lower = 2.0 * special.gammaincinv(0.5 * k, np.minimum(u, 0.5))
    upper = 2.0 * special.gammainccinv(0.5 * k, np.minimum(1.0 - u, 0.5))
    return np.where(u <= 0.5, lower, upper)


# ============================================================================ N → ∞ laws

def _conditional_population(ni, nh, sigma1, s, grid) -> Law:
    sig2, gam, a, b, atom = _mp_params(ni, nh, sigma1)
    half = 0.5 * (b - a)
    mu, theta = chebyshev_grid(a, b, grid)
    with np.errstate(divide="ignore", invalid="ignore"):
        density = half * np.sin(theta) / (2.0 * np.pi * sig2 * gam * mu)
    density[0] = np.inf if a == 0.0 else 0.0
    density[-1] = 0.0
    cont = _mp_theta_cdf(theta, sig2, gam, a, b)
    lam = s + mu
    cdf = cont + atom
    atoms = []
    lo = s + a
    if atom > 0.0:
        atoms = [(s, atom)]
        lam = np.concatenate([[s], lam])
        density = np.concatenate([[0.0], density])
        cdf = np.concatenate([[atom], cdf])
        lo = s
    label = f"shifted Marchenko–Pastur (N → ∞), Ni={ni}, Nh={nh}, s={s:.6g}"
    return _make_law(lam, density, cdf, (lo, s + b), atoms, cont[-1] + atom, label)


def _pooled_population(ni, nh, sigma1, sigma2, grid) -> Law:
    sig2, gam, a, b, atom = _mp_params(ni, nh, sigma1)
    mid, half = 0.5 * (a + b), 0.5 * (b - a)
    k = float(nh)
    v2 = sigma2 * sigma2
    x_lo, x_hi = _chi2_quantile([TAIL, 1.0 - TAIL], k)
    s_lo, s_hi = v2 * x_lo, v2 * x_hi
    lo = (0.0 if atom > 0.0 else a) + s_lo
    hi = b + s_hi
    lam, _ = chebyshev_grid(lo, hi, grid)

    # window of μ where f_s(λ − μ) matters, mapped to the MP angle θ
    mu1 = np.clip(lam - s_hi, a, b)
    mu2 = np.clip(lam - s_lo, a, b)
    th1, th2 = _theta_of(mu1, a, b), _theta_of(mu2, a, b)
    xg, wg = np.polynomial.legendre.leggauss(_GL_NODES)
    density = np.empty_like(lam)
    cdf = np.empty_like(lam)
    chunk = max(1, 2_000_000 // _GL_NODES)
    for i in range(0, lam.size, chunk):
        sl = slice(i, i + chunk)
        t1, t2 = th1[sl, None], th2[sl, None]
        th = 0.5 * (t1 + t2) + 0.5 * (t2 - t1) * xg
        w = 0.5 * (t2 - t1) * wg * _mp_theta_weight(th, sig2, gam, a, b)
        x = (lam[sl, None] - (mid - half * np.cos(th))) / v2
        density[sl] = np.sum(w * np.exp(_chi2_logpdf(x, k)), axis=1) / v2
        cdf[sl] = (_mp_theta_cdf(th1[sl], sig2, gam, a, b)
                   + np.sum(w * special.gammainc(0.5 * k, np.maximum(x, 0.0) / 2.0), axis=1))
    if atom > 0.0:
        xs = lam / v2
        density += atom * np.exp(_chi2_logpdf(xs, k)) / v2
        cdf += atom * special.gammainc(0.5 * k, np.maximum(xs, 0.0) / 2.0)
    label = f"χ² ⊛ Marchenko–Pastur (N → ∞), Ni={ni}, Nh={nh}"
    return _make_law(lam, density, cdf, (lo, hi), [], cdf[-1], label)


# ============================================================================ MPS populations

class _MPPopulation:
    """F_M = law of s + μ, μ ~ MP(γ, scale σ²) including its atom at 0; one s per node."""

    def __init__(self, sig2: float, gam: float, a: float, b: float, s):
        self.sig2, self.gam, self.a, self.b = sig2, gam, a, b
        self.s = np.asarray(s, dtype=float).reshape(-1)
        self.atom = max(0.0, 1.0 - 1.0 / gam)

    def take(self, idx) -> "_MPPopulation":
        return _MPPopulation(self.sig2, self.gam, self.a, self.b, self.s[idx])

    def _shift(self, y):
        return self.s.reshape(self.s.shape + (1,) * (y.ndim - 1))

    def _m_dm(self, y):
        u = y - self._shift(y)
        root = np.sqrt(u - self.a) * np.sqrt(u - self.b)
        B = u - self.sig2 * (1.0 - self.gam)
        # m = −2/(B + R) = (R − B)/(2σ²γu), as (B + R)(B − R) = 4σ²γu: take the form without
        # cancellation (the second near the pole u = 0 of the atom when γ > 1)
        plus, minus = B + root, B - root
        with np.errstate(divide="ignore", invalid="ignore"):
            m = np.where(np.abs(plus) >= np.abs(minus), -2.0 / plus,
                         -minus / (2.0 * self.sig2 * self.gam * u))
        dm = -(self.sig2 * self.gam * m * m + m) / root
        return m, dm

    def h(self, y):
        y = np.asarray(y, dtype=complex)
        m, dm = self._m_dm(y)
        return y * y * dm + 2.0 * y * m + 1.0

    def z_dz(self, y, c):
        m, dm = self._m_dm(y)
        h = y * y * dm + 2.0 * y * m + 1.0
        return y * (1.0 - c) - c * y * y * m, 1.0 - c * h

    def bounds(self):
        t_min = self.s + (0.0 if self.atom > 0.0 else self.a)
        t_max = self.s + self.b
        m2 = (self.s + self.sig2) ** 2 + self.sig2 ** 2 * self.gam
        return t_min, t_max, m2

    def inner_gaps(self, c):
        """(node index, lo, hi) of gaps inside the population support: (s, s + a) if γ > 1."""
        if self.atom > 0.0:
            idx = np.arange(self.s.size)
            return idx, self.s.copy(), self.s + self.a
        e = np.zeros(0, dtype=int)
        return e, np.zeros(0), np.zeros(0)


class _DiscretePopulation:
    """F_M = Σ w_i δ(t_i): a given matrix's eigenvalues (merged when equal)."""

    _CHUNK = 4_000_000

    def __init__(self, t, w):
        self.t, self.w = np.asarray(t, dtype=float), np.asarray(w, dtype=float)

    def take(self, idx) -> "_DiscretePopulation":
        return self

    def _sums(self, y, want_z: bool):
        y = np.asarray(y, dtype=complex)
        flat = y.reshape(-1)
        s1 = np.empty_like(flat)
        s2 = np.empty_like(flat)
        step = max(1, self._CHUNK // max(1, self.t.size))
        wt, wt2 = self.w * self.t, self.w * self.t * self.t
        for i in range(0, flat.size, step):
            inv = 1.0 / (flat[i:i + step, None] - self.t)
            if want_z:
                s1[i:i + step] = inv @ wt
            s2[i:i + step] = (inv * inv) @ wt2
        return s1.reshape(y.shape), s2.reshape(y.shape)

    def h(self, y):
        return self._sums(y, False)[1]

    def z_dz(self, y, c):
        s1, s2 = self._sums(y, True)
        return y + c * y * s1, 1.0 - c * s2

    def bounds(self):
        m2 = float(np.sum(self.w * self.t * self.t))
        return np.array([self.t[0]]), np.array([self.t[-1]]), np.array([m2])

    def inner_gaps(self, c):
        """Gaps (t_i, t_{i+1}) that may open: drop those where even the two nearest terms of
        h = Σ w t²/(y − t)² keep it above 1/c (their minimum is (A^⅓ + B^⅓)³/d²)."""
        t, w = self.t, self.w
        if t.size < 2:
            e = np.zeros(0, dtype=int)
            return e, np.zeros(0), np.zeros(0)
        A, B = w[:-1] * t[:-1] ** 2, w[1:] * t[1:] ** 2
        d = np.diff(t)
        bound = (np.cbrt(A) + np.cbrt(B)) ** 3 / d ** 2
        keep = np.nonzero(bound < 1.0 / c)[0]
        return np.zeros(keep.size, dtype=int), t[keep], t[keep + 1]



# ============================================================================ MPS solver

def _h_real(pop, y):
    return pop.h(np.asarray(y, dtype=float) + 0j).real


def _h_prime(pop, y, scale):
    """dh/dy on the real axis by the complex step (h is real and analytic in the gaps)."""
    eps = 1e-30 * scale
    return pop.h(np.asarray(y, dtype=float) + 1j * eps).imag / eps


def _bisect(fn, lo, hi, increasing, scale, iters=200):
    """Vectorised bisection for the sign change of fn on [lo, hi]."""
    lo, hi = np.array(lo, dtype=float), np.array(hi, dtype=float)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        right = (fn(mid) < 0.0) == increasing
        lo = np.where(right, mid, lo)
        hi = np.where(right, hi, mid)
        if np.all(hi - lo <= 4.0 * _EPS * np.maximum(np.maximum(np.abs(lo), np.abs(hi)), 1e-8 * scale)):
            break
    return 0.5 * (lo + hi)


def _nudge(pop, y, direction, c, scale, take=None):
    """A point just inside a population gap next to its boundary y, where h > 1/c."""
    y = np.asarray(y, dtype=float)
    sub = pop if take is None else pop.take(take)
    delta = 1e-12 * np.maximum(np.abs(y), scale)
    out = y + direction * delta
    for _ in range(4):
        low = _h_real(sub, out) <= 1.0 / c
        if not np.any(low):
            break
        delta = np.where(low, delta * 1e-2, delta)
        out = y + direction * np.maximum(delta, 4 * _EPS * np.abs(y))
    return out


@dataclass
class _Traced:
    """Cubic splines (in θ) of y and of the CDF for a set of intervals sharing one θ grid."""
    theta: np.ndarray
    y_coef: np.ndarray     # (4, n, m) coefficients of y(θ)
    g_coef: np.ndarray     # (5, n, m) coefficients of F(θ) − F(0) within the interval


@dataclass
class _Intervals:
    """Support intervals of finite-data laws (one population node each) and their solutions."""
    node: np.ndarray      # population node of each interval
    y_l: np.ndarray       # real roots of Z'(y) = 0 at the edges
    y_r: np.ndarray
    e_l: np.ndarray       # edges Z(y_l), Z(y_r)
    e_r: np.ndarray
    a_l: np.ndarray       # y ≈ y_l + i a_l θ near the left edge
    a_r: np.ndarray       # y ≈ y_r + i a_r (π − θ) near the right edge
    theta: np.ndarray | None = None       # while tracing: the θ grid and the solution on it
    Y: np.ndarray | None = None
    groups: list = field(default_factory=list)   # _Traced per refinement level
    group_of: np.ndarray | None = None
    col_of: np.ndarray | None = None
    mass: np.ndarray | None = None
    needs_polish: np.ndarray | None = None

    @property
    def mid(self):
        return 0.5 * (self.e_l + self.e_r)

    @property
    def half(self):
        return 0.5 * (self.e_r - self.e_l)

    def subset(self, idx) -> "_Intervals":
        out = _Intervals(self.node[idx], self.y_l[idx], self.y_r[idx], self.e_l[idx],
                         self.e_r[idx], self.a_l[idx], self.a_r[idx])
        if self.Y is not None:
            out.theta, out.Y = self.theta, self.Y[idx]
        return out


def _support_intervals(pop, c: float, hard_zero: bool, scale: float) -> _Intervals:
    t_min, t_max, m2 = pop.bounds()
    n = t_min.size
    inv_c = 1.0 / c
    spread = 2.0 * np.sqrt(c * m2) + 1e-3 * scale

    # lowest edge: h increases from 0 (y → −∞) to ∞ (y → t_min)
    if hard_zero:
        y_low = np.zeros(n)
    else:
        hi = _nudge(pop, t_min, -1.0, c, scale)
        y_low = _bisect(lambda y: _h_real(pop, y) - inv_c, -spread, hi, True, scale)
    # highest edge: h decreases from ∞ (y → t_max) to 0
    lo = _nudge(pop, t_max, +1.0, c, scale)
    y_up = _bisect(lambda y: _h_real(pop, y) - inv_c, lo, t_max + spread, False, scale)

    # gaps inside the population support: h is convex there; a support gap opens when min h < 1/c
    gnode, glo, ghi = pop.inner_gaps(c)
    opened = {}
    if gnode.size:
        sub = pop.take(gnode)
        glo = _nudge(pop, glo, +1.0, c, scale, gnode)
        ghi = _nudge(pop, ghi, -1.0, c, scale, gnode)
        ymin = _bisect(lambda y: _h_prime(sub, y, scale), glo, ghi, True, scale)
        is_open = _h_real(sub, ymin) < inv_c
        if np.any(is_open):
            k = np.nonzero(is_open)[0]
            sub2 = pop.take(gnode[k])
            left = _bisect(lambda y: _h_real(sub2, y) - inv_c, glo[k], ymin[k], False, scale)
            right = _bisect(lambda y: _h_real(sub2, y) - inv_c, ymin[k], ghi[k], True, scale)
            for j, node in enumerate(gnode[k]):
                opened.setdefault(int(node), []).append((left[j], right[j]))

    nodes, yl, yr = [], [], []
    for node in range(n):
        cuts = sorted(opened.get(node, []))
        starts = [y_low[node]] + [g[1] for g in cuts]
        ends = [g[0] for g in cuts] + [y_up[node]]
        nodes += [node] * len(starts)
        yl += starts
        yr += ends
    node = np.array(nodes, dtype=int)
    y_l, y_r = np.array(yl), np.array(yr)
    sub = pop.take(node)
    e_l = sub.z_dz(y_l + 0j, c)[0].real
    e_r = sub.z_dz(y_r + 0j, c)[0].real
    if hard_zero:
        e_l = np.where(y_l == 0.0, 0.0, e_l)
    half = 0.5 * (e_r - e_l)
    zpp_l = -c * _h_prime(sub, y_l, scale)
    zpp_r = -c * _h_prime(sub, y_r, scale)
    a_l = np.sqrt(half / np.maximum(np.abs(zpp_l), 1e-300))
    a_r = np.sqrt(half / np.maximum(np.abs(zpp_r), 1e-300))
    return _Intervals(node, y_l, y_r, e_l, e_r, a_l, a_r)


def _newton(pop, c, lam, y, tol, maxit=40):
    """Newton for Z(y) = λ in the upper half plane; returns (y, converged)."""
    y = np.array(y, dtype=complex)
    conv = np.zeros(y.shape, dtype=bool)
    for _ in range(maxit):
        with np.errstate(all="ignore"):
            z, dz = pop.z_dz(y, c)
            f = z - lam
            conv = np.abs(f) <= tol
            if np.all(conv):
                break
            new = y - f / dz
        new = np.where(np.isfinite(new) & ~conv, new, y)
        low = new.imag < 0.1 * y.imag        # do not cross (or hug) the real axis
        new = np.where(low, new.real + 0.1j * y.imag, new)
        y = new
    return y, conv


def _extrapolate(ht, hy, count, t, y_l, a_l):
    """Predict y(t) from the last accepted points: the edge expansion y_l + i a_l θ alone, then a
    quadratic with that slope at the edge, then the quadratic through the last three points."""
    pred = y_l + 1j * a_l * t
    two = count == 2
    if np.any(two):
        t1, y1 = ht[two, 2], hy[two, 2]
        beta = (y1 - y_l[two] - 1j * a_l[two] * t1) / (t1 * t1)
        pred[two] = pred[two] + beta * t[two] ** 2
    three = count >= 3
    if np.any(three):
        t0, t1, t2 = ht[three, 0], ht[three, 1], ht[three, 2]
        tt = t[three]
        pred[three] = (hy[three, 0] * (tt - t1) * (tt - t2) / ((t0 - t1) * (t0 - t2))
                       + hy[three, 1] * (tt - t0) * (tt - t2) / ((t1 - t0) * (t1 - t2))
                       + hy[three, 2] * (tt - t0) * (tt - t1) / ((t2 - t0) * (t2 - t1)))
    return pred


def _trace(iv: _Intervals, pop, c: float, knots: int, scale: float) -> np.ndarray:
    """Trace y(θ) from the left edge to every knot of a uniform θ grid, all intervals at once.

    Adaptive predictor–corrector continuation: a step is accepted only if Newton converges in the
    upper half plane to within half of the predicted Im y of the prediction; otherwise the step
    is shortened. This keeps the trace on the physical branch where a gap is about to open and
    spurious real roots of Z(y) = λ come close. Returns which intervals were traced."""
    theta = np.linspace(0.0, np.pi, knots + 1)
    dk = theta[1]
    n_int = iv.node.size
    Y = np.empty((n_int, knots + 1), dtype=complex)
    Y[:, 0], Y[:, -1] = iv.y_l, iv.y_r
    mid, half = iv.mid, iv.half
    tol = 1e-13 * np.maximum(np.maximum(np.abs(iv.e_l), np.abs(iv.e_r)), half)
    ht = np.zeros((n_int, 3))                      # last accepted points, most recent last
    hy = np.zeros((n_int, 3), dtype=complex)
    hy[:, 2] = iv.y_l
    count = np.ones(n_int, dtype=int)
    cur = np.zeros(n_int)
    nxt = np.ones(n_int, dtype=int)                # next knot to reach
    h = np.full(n_int, dk)
    ok = np.ones(n_int, dtype=bool)
    active = np.nonzero(nxt < knots)[0]
    while active.size:
        i = active
        target = theta[nxt[i]]
        t = np.minimum(cur[i] + h[i], target)
        pred = _extrapolate(ht[i], hy[i], count[i], t, iv.y_l[i], iv.a_l[i])
        floor = 0.5 * np.abs(hy[i, 2].imag) + 1e-12 * np.abs(pred)
        pred = np.where(pred.imag > 0.0, pred, pred.real + 1j * floor)
        lam = mid[i] - half[i] * np.cos(t)
        y, conv = _newton(pop.take(iv.node[i]), c, lam, pred, tol[i], maxit=8)
        good = conv & (y.imag > 0.0) & (np.abs(y - pred) <= 0.5 * pred.imag)
        acc = i[good]
        ht[acc, :2], hy[acc, :2] = ht[acc, 1:], hy[acc, 1:]
        ht[acc, 2], hy[acc, 2] = t[good], y[good]
        count[acc] = np.minimum(count[acc] + 1, 3)
        cur[acc] = t[good]
        h[acc] = np.minimum(2.0 * h[acc], dk)
        hit = good & (t >= target)
        Y[i[hit], nxt[i[hit]]] = y[hit]
        nxt[i[hit]] += 1
        rej = i[~good]
        h[rej] *= 0.25
        ok[rej[h[rej] < 1e-10 * dk]] = False
        active = np.nonzero((nxt < knots) & ok)[0]
    iv.theta, iv.Y = theta, Y
    return ok


def _density_from_y(y, c):
    with np.errstate(divide="ignore", invalid="ignore"):
        return y.imag / (np.pi * (y.real ** 2 + y.imag ** 2) * min(c, 1.0))


def _fit_splines(iv: _Intervals, c: float) -> tuple[_Traced, np.ndarray]:
    theta, Y = iv.theta, iv.Y
    half = iv.half[:, None]
    g = _density_from_y(Y, c) * half * np.sin(theta)
    g[:, 0] = np.where(iv.y_l == 0.0, iv.half / (np.pi * iv.a_l * min(c, 1.0)), 0.0)
    g[:, -1] = 0.0
    # y(θ) is analytic with y'(0) = i a_l and y'(π) = −i a_r; dF/dθ is even about 0 and π
    ys = CubicSpline(theta, Y.T, axis=0, bc_type=((1, 1j * iv.a_l), (1, -1j * iv.a_r)))
    gs = CubicSpline(theta, g.T, axis=0, bc_type="clamped").antiderivative()
    return _Traced(theta, ys.c, gs.c), gs(np.pi)


def _eval_pp(coef, theta_knots, col, th):
    """Evaluate the piecewise polynomials coef[:, :, col] (one column per point) at θ."""
    h = theta_knots[1] - theta_knots[0]
    j = np.clip((th / h).astype(int), 0, theta_knots.size - 2)
    d = th - theta_knots[j]
    out = coef[0, j, col]
    for k in range(1, coef.shape[0]):
        out = out * d + coef[k, j, col]
    return out


def _solve_intervals(pop, c: float, hard_zero: bool, scale: float) -> _Intervals:
    """Support intervals, traced on the coarse θ grid and fitted with splines.

    Where the spline between knots is off by more than _SPLINE_TOL relative to the density
    (near a cusp, where a gap is about to open), the interval is resampled on a 4× and then 16×
    finer θ grid by Newton from the spline; what is still off is polished at evaluation."""
    iv = _support_intervals(pop, c, hard_zero, scale)
    ok = _trace(iv, pop, c, _COARSE_STEPS, scale)
    if not np.all(ok):
        raise InputError("the finite-data (Marchenko–Pastur–Silverstein) law did not converge for "
                         "these sizes and sample count; try another --samples, or the N → ∞ law")
    err = _spline_error(iv, pop, c)
    traced, iv.mass = _fit_splines(iv, c)
    n = iv.node.size
    iv.groups, iv.group_of, iv.col_of = [traced], np.zeros(n, dtype=int), np.arange(n)
    iv.needs_polish = err > _SPLINE_TOL
    knots = _COARSE_STEPS
    for _ in range(2):
        sel = np.nonzero(iv.needs_polish)[0]
        if sel.size == 0:
            break
        knots *= 4
        sub = iv.subset(sel)
        sub.theta = np.linspace(0.0, np.pi, knots + 1)
        which = np.repeat(sel, knots + 1)
        lam = (sub.mid[:, None] - sub.half[:, None] * np.cos(sub.theta)).ravel()
        sub.Y = _solve_points(iv, pop, c, which, lam).reshape(sel.size, knots + 1)
        err = _spline_error(sub, pop, c)
        traced, iv.mass[sel] = _fit_splines(sub, c)
        iv.group_of[sel], iv.col_of[sel] = len(iv.groups), np.arange(sel.size)
        iv.groups.append(traced)
        iv.needs_polish[sel] = err > _SPLINE_TOL
    return iv


def _spline_error(sub: _Intervals, pop, c: float) -> np.ndarray:
    """Per interval: the largest Newton correction at the midpoints of the θ grid, relative to
    Im y (so relative to the density): how far the spline between the traced points is off."""
    ys = CubicSpline(sub.theta, sub.Y.T, axis=0, bc_type=((1, 1j * sub.a_l), (1, -1j * sub.a_r)))
    tm = 0.5 * (sub.theta[1:] + sub.theta[:-1])
    y = ys(tm).T
    lam = sub.mid[:, None] - sub.half[:, None] * np.cos(tm)
    with np.errstate(all="ignore"):
        z, dz = pop.take(sub.node).z_dz(y, c)
        # relative to Im y (i.e. to the density), floored at 1% of its largest value so that the
        # bottom of a near-cusp dip, where the density is ~0, does not demand endless refinement
        floor = 0.01 * np.max(sub.Y.imag, axis=1, keepdims=True) + 1e-9 * np.abs(y)
        rel = np.abs((z - lam) / dz) / (np.maximum(y.imag, 0.0) + floor)
    rel = np.where(np.isfinite(rel), rel, np.inf)
    return rel.max(axis=1)


def _solve_points(iv: _Intervals, pop, c: float, which: np.ndarray, lam: np.ndarray,
                  polish: bool = True) -> np.ndarray:
    """y at λ in interval which[i], from the splines, polished by Newton when asked or needed."""
    half = iv.half[which]
    th = _theta_of(lam, iv.e_l[which], iv.e_r[which])
    y = np.empty(which.size, dtype=complex)
    gid = iv.group_of[which]
    for g, traced in enumerate(iv.groups):
        sel = np.nonzero(gid == g)[0]
        if sel.size:
            y[sel] = _eval_pp(traced.y_coef, traced.theta, iv.col_of[which[sel]], th[sel])
    at_edge = (th <= 0.0) | (th >= np.pi)
    y = np.where(th <= 0.0, iv.y_l[which], np.where(th >= np.pi, iv.y_r[which], y))
    todo = ~at_edge & (polish | iv.needs_polish[which])
    if np.any(todo):
        k = np.nonzero(todo)[0]
        sub = pop.take(iv.node[which[k]])
        tol = 1e-13 * np.maximum(np.abs(lam[k]), half[k])
        yk = np.where(y[k].imag > 0, y[k], y[k].real + 1e-3j * np.abs(y[k]))
        yn, conv = _newton(sub, c, lam[k], yk, tol, maxit=10)
        # In the open upper half plane Z(y) = λ has only the physical root (the limit of the
        # unique root for λ + i0); a root reached only by creeping onto the real axis is not
        # in it: there Im y is below what the residual tolerance can account for.
        with np.errstate(all="ignore"):
            dz = np.abs(sub.z_dz(yn, c)[1])
        y[k] = np.where(conv & (yn.imag > 100.0 * tol / dz), yn, y[k])
    return y


def _evaluate(iv: _Intervals, pop, c: float, which: np.ndarray, lam: np.ndarray, polish: bool):
    """Density and within-interval CDF of interval `which[i]` at `lam[i]` (pairs)."""
    y = _solve_points(iv, pop, c, which, lam, polish)
    th = _theta_of(lam, iv.e_l[which], iv.e_r[which])
    at_edge = (th <= 0.0) | (th >= np.pi)
    part = np.empty(which.size)
    gid = iv.group_of[which]
    for g, traced in enumerate(iv.groups):
        sel = np.nonzero(gid == g)[0]
        if sel.size:
            part[sel] = _eval_pp(traced.g_coef, traced.theta, iv.col_of[which[sel]], th[sel]).real
    dens = np.maximum(_density_from_y(y, c), 0.0)
    dens = np.where(at_edge & (y == 0.0), np.inf, np.where(at_edge, 0.0, dens))
    part = np.where(th >= np.pi, iv.mass[which], np.where(th <= 0.0, 0.0, part))
    return dens, part


def _finite_single(pop, c: float, hard_zero: bool, grid: int, label: str, scale: float) -> Law:
    iv = _solve_intervals(pop, c, hard_zero, scale)
    widths = iv.e_r - iv.e_l
    counts = np.maximum(17, np.round(grid * widths / widths.sum()).astype(int))
    counts[np.argmax(counts)] += max(0, grid - counts.sum())
    lams, dens, cdfs = [], [], []
    before = 0.0
    for i in range(iv.node.size):
        lam_i, theta = chebyshev_grid(iv.e_l[i], iv.e_r[i], counts[i])
        d, part = _evaluate(iv, pop, c, np.full(lam_i.size, i), lam_i, polish=True)
        # the CDF from the polished fine grid (trapezoid in θ; dF/dθ is smooth and finite)
        g = np.where(np.isinf(d), 0.0, d) * iv.half[i] * np.sin(theta)
        if np.isinf(d[0]):
            g[0] = iv.half[i] / (np.pi * iv.a_l[i] * min(c, 1.0))
        part = np.concatenate([[0.0], np.cumsum(0.5 * (g[1:] + g[:-1]) * np.diff(theta))])
        lams.append(lam_i)
        dens.append(d)
        cdfs.append(before + part)
        before += part[-1]
    return _make_law(np.concatenate(lams), np.concatenate(dens), np.concatenate(cdfs),
                     (iv.e_l[0], iv.e_r[-1]), [], before, label)


def _s_cells(nh: int, sigma2: float, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
    """(s nodes, weights): χ² cells uniform in a Chebyshev-clustered quantile u, each at its exact
    conditional mean with its exact probability (so the mixture keeps mass 1 and mean σ2² Nh)."""
    u = 0.5 * (1.0 - np.cos(np.pi * np.arange(n_cells + 1) / n_cells))
    x = _chi2_quantile(u, nh)
    x[0], x[-1] = 0.0, np.inf
    w = np.diff(u)
    # E[X 1{X < x}] = k F_{k+2}(x); the upper tail form keeps precision near u = 1
    lower = special.gammainc(0.5 * nh + 1.0, x / 2.0)
    upper = special.gammaincc(0.5 * nh + 1.0, x / 2.0)
    part = np.where(u[:-1] < 0.5, np.diff(lower), -np.diff(upper))
    mean = nh * part / w
    keep = w > 0.0
    return sigma2 * sigma2 * mean[keep], w[keep]


def _pooled_finite(ni, nh, sigma1, sigma2, samples, grid, n_solve=48, sub=6,
                   polish=False) -> Law:
    """χ²-average of the one-teacher finite-data laws.

    The s axis is cut into n_solve·sub cells (uniform in a Chebyshev-clustered quantile), each
    represented by its exact probability at its exact conditional mean. The MPS equation is
    solved at every sub-th of those nodes; the law at the nodes in between is interpolated
    linearly in s — edges, and the CDF and density as functions of the Chebyshev angle θ — so
    that the square-root edges of the mixture's components sweep smoothly instead of leaving
    ripples. Where the number of support intervals changes between two solved nodes (a gap
    opens) the nearer solved node is used."""
    sig2, gam, a, b, _ = _mp_params(ni, nh, sigma1)
    c = ni / samples
    hard = ni == samples
    scale = sig2 + sigma2 * sigma2 * nh
    s_f, w_f = _s_cells(nh, sigma2, n_solve * sub)
    nf = s_f.size
    cidx = np.unique(np.concatenate([np.arange(0, nf, sub), [nf - 1]]))
    s_c = np.maximum(s_f[cidx], S_FLOOR * scale)
    pop = _MPPopulation(sig2, gam, a, b, s_c)
    iv = _solve_intervals(pop, c, hard, scale)
    nc = cidx.size
    first = np.searchsorted(iv.node, np.arange(nc))
    cnt = np.bincount(iv.node, minlength=nc)

    # every fine node between solved nodes A and B = A + 1, at fraction tau
    if nc > 1:
        A = np.clip(np.searchsorted(cidx, np.arange(nf), side="right") - 1, 0, nc - 2)
        B = A + 1
        gap = s_c[B] - s_c[A]                # 0 between nodes raised to the floor
        tau = np.clip(np.divide(s_f - s_c[A], gap, out=np.zeros(nf), where=gap > 0), 0.0, 1.0)
    else:
        A = B = np.zeros(nf, dtype=int)
        tau = np.zeros(nf)
    same = cnt[A] == cnt[B]
    near = np.where(tau < 0.5, A, B)
    src_a, src_b = np.where(same, A, near), np.where(same, B, near)
    tau = np.where(same, tau, 0.0)
    nv = cnt[src_a]
    f_of = np.repeat(np.arange(nf), nv)
    j_in = np.arange(nv.sum()) - np.repeat(np.cumsum(nv) - nv, nv)
    ia, ib = first[src_a][f_of] + j_in, first[src_b][f_of] + j_in
    tv, wv = tau[f_of], w_f[f_of]
    el = (1.0 - tv) * iv.e_l[ia] + tv * iv.e_l[ib]
    er = (1.0 - tv) * iv.e_r[ia] + tv * iv.e_r[ib]
    mid, half = 0.5 * (el + er), 0.5 * (er - el)
    mass_v = (1.0 - tv) * iv.mass[ia] + tv * iv.mass[ib]

    lo, hi = float(el.min()), float(er.max())
    lam, _ = chebyshev_grid(lo, hi, grid)
    j0 = np.searchsorted(lam, el, side="left")
    j1 = np.searchsorted(lam, er, side="right")
    counts = j1 - j0
    which = np.repeat(np.arange(el.size), counts)
    idx = np.arange(which.size) + np.repeat(j0 - (np.cumsum(counts) - counts), counts)
    cos_t = np.clip((mid[which] - lam[idx]) / half[which], -1.0, 1.0)
    ka, kb = ia[which], ib[which]
    t = tv[which]
    lam_a = iv.mid[ka] - iv.half[ka] * cos_t
    lam_a[cos_t == 1.0], lam_a[cos_t == -1.0] = iv.e_l[ka][cos_t == 1.0], iv.e_r[ka][cos_t == -1.0]
    dens_a, part_a = _evaluate(iv, pop, c, ka, lam_a, polish)
    dens = np.where(np.isinf(dens_a), np.inf, iv.half[ka] * dens_a)
    part = part_a.copy()
    mix = np.nonzero(t > 0.0)[0]
    if mix.size:
        kb, tm = kb[mix], t[mix]
        lam_b = iv.mid[kb] - iv.half[kb] * cos_t[mix]
        lam_b[cos_t[mix] == 1.0] = iv.e_l[kb][cos_t[mix] == 1.0]
        lam_b[cos_t[mix] == -1.0] = iv.e_r[kb][cos_t[mix] == -1.0]
        dens_b, part_b = _evaluate(iv, pop, c, kb, lam_b, polish)
        with np.errstate(invalid="ignore"):
            both = (1.0 - tm) * dens[mix] + tm * iv.half[kb] * dens_b
        dens[mix] = np.where(np.isinf(dens[mix]) | np.isinf(dens_b), np.inf, both)
        part[mix] = (1.0 - tm) * part[mix] + tm * part_b
    dens = dens / half[which]
    w = wv[which]
    density = np.bincount(idx, weights=w * np.where(np.isinf(dens), 0.0, dens), minlength=lam.size)
    if hard:
        density[lam == 0.0] = np.inf
    cdf = np.bincount(idx, weights=w * part, minlength=lam.size)
    above = np.bincount(np.minimum(j1, lam.size), weights=wv * mass_v, minlength=lam.size + 1)
    cdf += np.cumsum(above)[:lam.size]
    mass = float(np.sum(wv * mass_v))
    label = (f"χ²-average of finite-data MPS laws, Ni={ni}, Nh={nh}, N={samples} "
             f"({nc} solved s-nodes, {nf} s-cells)")
    return _make_law(lam, density, cdf, (lo, hi), [], mass, label)


# ============================================================================ public API

# Cost of each way of computing a law: fixed bytes, bytes and seconds per grid point (measured
# with benchmarks/bench_memory.py, JSON output included): the pooled finite-data law evaluates
# every s-cell that covers a grid point (~40 kB a point: the default grid takes 80 MB, the
# largest 40 GB); the pooled N → ∞ law integrates each point over Gauss–Legendre nodes in chunks.
_LAW_COST = {"pooled finite": (2e7, 40e3, 1.5e-4), "pooled": (1.6e8, 100.0, 4e-5),
             "conditional finite": (2e7, 340.0, 1.5e-5), "conditional": (2e7, 130.0, 1.2e-5)}


def estimate(law: str, samples: int | None, grid: int) -> "Estimate":
    """Peak memory and time of pooled_law / conditional_law with these settings."""
    from .memory import Estimate
    fixed, per_point, seconds = _LAW_COST[law + (" finite" if samples is not None else "")]
    return Estimate(fixed + per_point * grid, 0.05 + seconds * grid)


def pooled_law(ni: int, nh: int, sigma1: float | None = None, sigma2: float | None = None,
               samples: int | None = None, grid: int = 2000) -> Law:
    """Law of the nonzero eigenvalues pooled over random linear teachers.

    samples=None: the N → ∞ law, scaled χ²(Nh) ⊛ scaled Marchenko–Pastur (the paper's result).
    samples=N: the χ²-average over s of the finite-data (MPS) laws of one teacher.
    σ1, σ2 are standard deviations (default 1/√Ni, 1/√Nh)."""
    ni, nh = whole(ni, "Ni", "--ni"), whole(nh, "Nh", "--nh")
    sigma1, sigma2 = sigmas(ni, nh, sigma1, sigma2)
    samples, grid = _samples(samples), _grid(grid)
    if samples is None:
        return _pooled_population(ni, nh, sigma1, sigma2, grid)
    return _pooled_finite(ni, nh, sigma1, sigma2, samples, grid)


def conditional_law(ni: int, nh: int, sigma1: float | None, s: float,
                    samples: int | None = None, grid: int = 2000) -> Law:
    """Law of the nonzero eigenvalues for one teacher with ‖W2‖² = s.

    samples=None: Marchenko–Pastur shifted by s, with an atom 1 − 1/γ at s when Ni > Nh.
    samples=N: the MPS law whose population law is that shifted MP law (no atom then)."""
    ni, nh = whole(ni, "Ni", "--ni"), whole(nh, "Nh", "--nh")
    sigma1, _ = sigmas(ni, nh, sigma1, None)
    s = positive(s, "s (the squared norm of W2)", "--s")
    samples, grid = _samples(samples), _grid(grid)
    if samples is None:
        return _conditional_population(ni, nh, sigma1, s, grid)
    sig2, gam, a, b, _ = _mp_params(ni, nh, sigma1)
    solved = max(s, S_FLOOR * (sig2 + s))
    pop = _MPPopulation(sig2, gam, a, b, [solved])
    label = f"finite-data MPS law of shifted Marchenko–Pastur, Ni={ni}, Nh={nh}, N={samples}, s={s:.6g}"
    if solved != s:
        label += f" (solved at s={solved:.3g}, the smallest shift the solver resolves)"
    return _finite_single(pop, ni / samples, ni == samples, grid, label, sig2 + s)


def finite_data_law_from_eigenvalues(m_eigenvalues, ni: int, samples: int,
                                     grid: int = 2000) -> Law:
    """Law of the nonzero eigenvalues of S^{1/2} M S^{1/2} (S = XᵀX/N, X N×Ni standard normal)
    for a given M, from the MPS equation with the discrete population law of M's eigenvalues."""
    ni, samples, grid = whole(ni, "Ni", "--ni"), whole(samples, "samples", "--samples"), _grid(grid)
    t = np.asarray(m_eigenvalues, dtype=float).ravel()
    if t.size != ni:
        raise InputError(f"got {t.size} eigenvalues of M but ni={ni}; pass all Ni eigenvalues")
    if not np.all(np.isfinite(t)) or np.any(t <= 0.0):
        raise InputError("the eigenvalues of M must be positive finite numbers "
                         "(M = ‖W2‖² I + W1ᵀW1 is positive definite)")
    t = np.sort(t)
    # merge eigenvalues equal to rounding (e.g. the Ni − Nh copies of s)
    brk = np.nonzero(np.diff(t) > 1e-10 * t[-1])[0] + 1
    groups = np.split(t, brk)
    tt = np.array([g.mean() for g in groups])
    ww = np.array([g.size for g in groups], dtype=float) / t.size
    label = f"finite-data MPS law of given M eigenvalues, Ni={ni}, N={samples}"
    return _finite_single(_DiscretePopulation(tt, ww), ni / samples, ni == samples, grid, label,
                          float(tt[-1]))

