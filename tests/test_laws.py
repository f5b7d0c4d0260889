"""engine.laws against routes that share none of its code: closed forms, Monte Carlo of s + μ,
and eigenvalues of sampled linear teachers computed directly with numpy (docs/methods.md §3)."""
import numpy as np
import pytest

from engine import laws
from engine.errors import InputError


# ----------------------------------------------------------------------------- independent tools

def mp_density(mu, ni, nh, sigma1):
    """docs/methods.md §3: ρ(μ) = √((b−μ)(μ−a)) / (2π σ1² Nh γ μ) on [a, b] (continuous part)."""
    gam, sig2 = ni / nh, sigma1 ** 2 * nh
    a, b = sig2 * (1 - np.sqrt(gam)) ** 2, sig2 * (1 + np.sqrt(gam)) ** 2
    mu = np.asarray(mu, dtype=float)
    inside = (mu > a) & (mu < b)
    out = np.zeros_like(mu)
    out[inside] = np.sqrt((b - mu[inside]) * (mu[inside] - a)) / (2 * np.pi * sig2 * gam * mu[inside])
    return out, a, b


def sample_mp(rng, n, ni, nh, sigma1):
    """n draws of μ: rejection sampling from the closed-form density, the atom 1 − 1/γ at 0."""
    gam = ni / nh
    _, a, b = mp_density(0.0, ni, nh, sigma1)
    top = mp_density(np.linspace(a, b, 20001)[1:-1], ni, nh, sigma1)[0].max() * 1.01
    out = np.empty(0)
    while out.size < n:
        x = rng.uniform(a, b, 4 * n)
        keep = rng.uniform(0, top, x.size) < mp_density(x, ni, nh, sigma1)[0]
        out = np.concatenate([out, x[keep]])
    out = out[:n]
    if gam > 1:
        out[rng.uniform(size=n) < 1 - 1 / gam] = 0.0
    return out


def linear_teacher_eigenvalues(ni, nh, teachers, seed, samples=None, sigma1=None, sigma2=None):
    """Nonzero Hessian eigenvalues of random linear teachers: the eigenvalues of
    M = ‖W2‖² I + W1ᵀW1 (N → ∞), or of S^{1/2} M S^{1/2} ~ Lᵀ S L with M = L Lᵀ (N samples)."""
    rng = np.random.default_rng(seed)
    s1 = ni ** -0.5 if sigma1 is None else sigma1
    s2 = nh ** -0.5 if sigma2 is None else sigma2
    W1 = s1 * rng.standard_normal((teachers, nh, ni))
    W2 = s2 * rng.standard_normal((teachers, nh))
    s = np.einsum("tj,tj->t", W2, W2)
    M = np.einsum("tji,tjk->tik", W1, W1) + s[:, None, None] * np.eye(ni)
    if samples is None:
        return np.linalg.eigvalsh(M).ravel()
    X = rng.standard_normal((teachers, samples, ni))
    L = np.linalg.cholesky(M)
    A = np.einsum("tji,tnj,tnk,tkl->til", L, X, X, L, optimize=True) / samples
    ev = np.linalg.eigvalsh(A)
    return ev[:, max(0, ni - samples):].ravel()      # the nonzero ones


def trapezoid(y, x):
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(x)))


# ----------------------------------------------------------------------------- normalisation

LAWS = {
    "pooled γ=1/2": lambda: laws.pooled_law(10, 20),
    "pooled γ=3": lambda: laws.pooled_law(30, 10),
    "pooled γ=1": lambda: laws.pooled_law(20, 20),
    "pooled σ given": lambda: laws.pooled_law(12, 7, 0.5, 0.2),
    "conditional γ=1/2": lambda: laws.conditional_law(10, 20, None, 0.8),
    "conditional γ=3 (atom)": lambda: laws.conditional_law(30, 10, None, 1.3),
    "finite pooled c=1/2": lambda: laws.pooled_law(40, 80, samples=80),
    "finite pooled c=3/2, γ=3": lambda: laws.pooled_law(30, 10, samples=20),
    "finite conditional γ=3": lambda: laws.conditional_law(30, 10, None, 1.0, samples=60),
    "finite from eigenvalues": lambda: laws.finite_data_law_from_eigenvalues(
        linear_teacher_eigenvalues(25, 10, 1, 3), 25, 50),
}


@pytest.mark.parametrize("name", list(LAWS))
def test_density_integrates_to_one_with_atoms(name):
    law = LAWS[name]()
    lam, rho, cdf = law.lam, law.density, law.cdf
    assert np.all(np.diff(lam) > 0) and np.all(np.isfinite(rho)) and np.all(rho >= 0)
    assert np.all(np.diff(cdf) >= 0)
    atoms = sum(w for _, w in law.atoms)
    # the density integrated on its own grid, independently of the CDF quadrature
    assert trapezoid(rho, lam) + atoms == pytest.approx(1.0, abs=2e-4)
    assert law.mass == pytest.approx(1.0, abs=1e-6)
    assert cdf[-1] == pytest.approx(law.mass, abs=1e-9)
    # the CDF is the integral of the density (plus the atoms it has passed)
    running = np.concatenate([[0.0], np.cumsum(0.5 * (rho[1:] + rho[:-1]) * np.diff(lam))])
    passed = np.array([sum(w for x, w in law.atoms if x <= v) for v in lam])
    assert np.max(np.abs(cdf - cdf[0] - running - (passed - passed[0]))) < 2e-4
    lo, hi = law.support
    assert lo <= lam[0] and lam[-1] <= hi


def test_hard_edge_density_diverges_but_mass_is_one():
    """γ = 1 (and N = Ni): density ~ 1/√λ at the lower edge; that grid point is left out."""
    for law in (laws.conditional_law(20, 20, None, 1.0), laws.pooled_law(20, 20, samples=20)):
        assert law.lam[0] > law.support[0]
        assert law.density[0] > 20 * np.median(law.density)
        assert law.mass == pytest.approx(1.0, abs=1e-6)
        assert law.cdf_at(law.support[0]) == pytest.approx(0.0, abs=1e-12)


# ----------------------------------------------------------------------------- N → ∞ laws

def test_conditional_law_is_the_closed_form_shifted_marchenko_pastur():
    for ni, nh, sigma1, s in [(10, 20, 0.3, 0.7), (30, 10, None, 1.3)]:
        law = laws.conditional_law(ni, nh, sigma1, s)
        sg1 = ni ** -0.5 if sigma1 is None else sigma1
        rho, a, b = mp_density(law.lam - s, ni, nh, sg1)
        # (at the edges the rounding of λ − s alone moves √((b−μ)(μ−a)) by ~1e-8)
        assert np.max(np.abs(law.density - rho)) < 1e-7 * rho.max()
        gam = ni / nh
        if gam > 1:
            assert law.atoms == [(pytest.approx(s), pytest.approx(1 - 1 / gam))]
            assert law.support == (pytest.approx(s), pytest.approx(s + b))
        else:
            assert law.atoms == []
            assert law.support == (pytest.approx(s + a), pytest.approx(s + b))


@pytest.mark.parametrize("ni,nh", [(10, 20), (30, 10)])
def test_pooled_density_matches_monte_carlo_of_s_plus_mu(ni, nh):
    rng = np.random.default_rng(7)
    n = 10 ** 6
    sigma1, sigma2 = ni ** -0.5, nh ** -0.5
    draws = sigma2 ** 2 * rng.chisquare(nh, n) + sample_mp(rng, n, ni, nh, sigma1)
    law = laws.pooled_law(ni, nh)
    edges = np.quantile(draws, [0.0005, 0.9995])
    counts, edges = np.histogram(draws, bins=100, range=tuple(edges))
    width = np.diff(edges)
    hist = counts / (n * width)
    centres = 0.5 * (edges[1:] + edges[:-1])
    l1 = float(np.sum(np.abs(hist - law.density_at(centres)) * width))
    assert l1 < 0.02, l1
    # and the same test does fail for the law of one teacher at the mean s (no χ² spread)
    wrong = laws.conditional_law(ni, nh, sigma1, sigma2 ** 2 * nh)
    l1_wrong = float(np.sum(np.abs(hist - wrong.density_at(centres)) * width))
    assert l1_wrong > 0.1


@pytest.mark.parametrize("ni,nh", [(10, 20), (30, 10)])
def test_sampled_linear_teachers_follow_the_pooled_law(ni, nh):
    ev = linear_teacher_eigenvalues(ni, nh, 20000, seed=ni)
    law = laws.pooled_law(ni, nh)
    assert law.ks_distance(ev) < 0.02
    assert laws.pooled_law(ni, nh, None, None, None).ks_distance(ev) < 0.02
    # the test can fail: without the χ² spread of s the fit is visibly worse
    assert laws.conditional_law(ni, nh, None, 1.0).ks_distance(ev) > 0.05


def test_ks_distance_handles_atoms_and_rounding():
    law = laws.conditional_law(30, 10, None, 1.0)            # atom 2/3 at s = 1
    (s, w), = law.atoms
    cont = law.lam[1:]
    target = w + (1 - w) * (np.arange(100) + 0.5) / 100      # continuous part at its quantiles
    quantiles = np.interp(target, law.cdf[1:], cont)
    noise = np.random.default_rng(0).uniform(-1e-14, 1e-14, 200)
    ev = np.concatenate([s + noise, quantiles])              # 200 eigenvalues "equal" to s
    assert law.ks_distance(ev) < 0.01
    assert law.ks_distance(np.concatenate([np.full(200, 0.9), quantiles])) > 0.6
    # exact sup over both one-sided limits: a single point mass at the atom
    assert law.ks_distance([s]) == pytest.approx(1 - w, abs=1e-12)


# ----------------------------------------------------------------------------- finite data

def test_finite_data_law_fits_where_the_infinite_law_does_not():
    ni, nh, n = 40, 80, 80
    ev = linear_teacher_eigenvalues(ni, nh, 400, seed=5, samples=n)
    finite = laws.pooled_law(ni, nh, None, None, n)
    infinite = laws.pooled_law(ni, nh, None, None, None)
    assert finite.ks_distance(ev) <= 0.02
    assert infinite.ks_distance(ev) > 0.1
    assert finite.support[1] - finite.support[0] > infinite.support[1] - infinite.support[0] - 1.0


def test_finite_data_law_of_one_teacher_from_its_eigenvalues():
    ni, nh, n = 30, 10, 45                                  # γ = 3: M has 20 eigenvalues equal to s
    rng = np.random.default_rng(11)
    W1 = rng.standard_normal((nh, ni)) / np.sqrt(ni)
    W2 = rng.standard_normal(nh) / np.sqrt(nh)
    M = (W2 @ W2) * np.eye(ni) + W1.T @ W1
    L = np.linalg.cholesky(M)
    X = rng.standard_normal((400, n, ni))
    ev = np.linalg.eigvalsh(np.einsum("ji,tnj,tnk,kl->til", L, X, X, L, optimize=True) / n).ravel()
    law = laws.finite_data_law_from_eigenvalues(np.linalg.eigvalsh(M), ni, n)
    assert law.ks_distance(ev) <= 0.02
    assert laws.conditional_law(ni, nh, None, W2 @ W2).ks_distance(ev) > 0.1   # N → ∞ law


@pytest.mark.parametrize("c", [0.25, 1.0, 2.0, 0.01])
def test_mps_with_point_mass_population_is_marchenko_pastur(c):
    """F_M = δ(1): the sample covariance of the identity, MP with ratio c (closed form). For
    c > 1 the N nonzero eigenvalues carry the continuous part, renormalised: ×c."""
    ni = 100
    law = laws.finite_data_law_from_eigenvalues(np.ones(ni), ni, round(ni / c))
    a, b = (1 - np.sqrt(c)) ** 2, (1 + np.sqrt(c)) ** 2
    assert law.support == (pytest.approx(a, abs=1e-12), pytest.approx(b, rel=1e-12))
    x = law.lam
    exact = np.sqrt(np.clip((b - x) * (x - a), 0, None)) / (2 * np.pi * x * min(c, 1.0))
    inner = slice(1, -1)      # at the edges the rounding of b − λ alone moves the root by ~1e-7
    assert np.max(np.abs(law.density - exact)[inner]) < 1e-8 * exact.max()
    assert law.mass == pytest.approx(1.0, abs=1e-9)


def test_closed_form_population_agrees_with_a_fine_discretisation():
    """The shifted-MP population (closed-form Stieltjes transform) against 4000 of its own
    quantiles, computed here from the density formula, fed as a discrete population."""
    ni, nh, sigma1, s, n = 30, 10, 30 ** -0.5, 1.2, 60
    rho, a, b = mp_density(np.linspace(0, 1, 2)[:1], ni, nh, sigma1)
    mu = np.linspace(a, b, 400001)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * np.diff(mu) * (mp_density(mu, ni, nh, sigma1)[0][1:]
                                                                  + mp_density(mu, ni, nh, sigma1)[0][:-1]))])
    m = 4000
    atom = 1 - nh / ni
    u = (np.arange(m) + 0.5) / m
    q = np.where(u < atom, 0.0, np.interp((u - atom) / (1 - atom), cdf / cdf[-1], mu))
    closed = laws.conditional_law(ni, nh, sigma1, s, samples=n)
    discrete = laws.finite_data_law_from_eigenvalues(s + q, m, round(m * n / ni))
    grid = np.linspace(*closed.support, 500)
    assert np.max(np.abs(closed.cdf_at(grid) - discrete.cdf_at(grid))) < 2e-3
    assert closed.support[0] == pytest.approx(discrete.support[0], rel=1e-2)
    assert closed.support[1] == pytest.approx(discrete.support[1], rel=1e-2)


def test_separated_support_intervals_and_many_samples():
    """N ≫ Ni: the law of a few distinct M eigenvalues splits into one interval per eigenvalue."""
    t = np.array([1.0, 2.0, 4.0])
    law = laws.finite_data_law_from_eigenvalues(np.repeat(t, 10), 30, 30000)
    zero = law.density == 0
    assert zero.sum() >= 6                                   # three intervals: six edges
    for v in t:
        assert law.cdf_at(v * 1.05) - law.cdf_at(v * 0.95) == pytest.approx(1 / 3, abs=1e-6)


def test_pooled_finite_law_is_the_average_of_conditional_laws():
    """Averaging is not the same as feeding the pooled law to the equation: check the mean,
    E λ = E s + σ1² Nh (= 1 + Nh/Ni by default), which the sample covariance keeps."""
    ni, nh, n = 40, 80, 80
    law = laws.pooled_law(ni, nh, samples=n)
    assert law.expect(lambda x: x) == pytest.approx(1.0 + nh / ni, rel=1e-4)
    cond = laws.conditional_law(ni, nh, None, 1.3, samples=n)
    assert cond.expect(lambda x: x) == pytest.approx(1.3 + nh / ni, rel=1e-6)


# ----------------------------------------------------------------------------- input errors

@pytest.mark.parametrize("call", [
    lambda: laws.pooled_law(0, 5),
    lambda: laws.pooled_law(5, 2.5),
    lambda: laws.pooled_law(5, 5, sigma1=-1.0),
    lambda: laws.pooled_law(5, 5, sigma2=float("nan")),
    lambda: laws.pooled_law(5, 5, samples=0),
    lambda: laws.pooled_law(5, 5, grid=3),
    lambda: laws.conditional_law(5, 5, None, 0.0),
    lambda: laws.finite_data_law_from_eigenvalues([1.0, 2.0], 3, 10),
    lambda: laws.finite_data_law_from_eigenvalues([1.0, 0.0, 2.0], 3, 10),
    lambda: laws.pooled_law(5, 5).ks_distance([]),
    lambda: laws.pooled_law(5, 5).ks_distance([1.0, np.nan]),
])
def test_bad_input_raises_one_line_input_error(call):
    with pytest.raises(InputError) as info:
        call()
    assert "\n" not in str(info.value)


def test_one_input_one_neuron_finite_data_law_is_a_result(monkeypatch):
    """Ni = Nh = 1: s ~ χ²(1) piles up at 0, where the shifted MP edge becomes a boundary layer the
    continuation cannot follow (it used to stop the run). Cells below S_FLOOR × scale are solved
    at the floor; moving the floor tenfold must not move the law (an independent check that the
    floor only touches λ at its own scale)."""
    law = laws.pooled_law(1, 1, samples=4)
    assert abs(law.mass - 1.0) < 1e-3 and np.all(np.diff(law.cdf) >= -1e-12)
    monkeypatch.setattr(laws, "S_FLOOR", 10 * laws.S_FLOOR)
    coarser = laws.pooled_law(1, 1, samples=4)
    assert np.max(np.abs(coarser.cdf_at(law.lam) - law.cdf)) < 2e-3
    tiny = laws.conditional_law(1, 1, 1.0, 1e-14, samples=4)
    assert "solved at s=" in tiny.label and abs(tiny.mass - 1.0) < 1e-3
