"""engine.curves: predicted learning curves against the dynamics they predict (docs/methods.md §5)."""
import warnings

import numpy as np
import pytest
from scipy.linalg import expm

from engine import curves, laws
from engine.errors import InputError


def random_spd(p, seed, zero_modes=0):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    lam = np.sort(10.0 ** rng.uniform(-3, 0, p))
    lam[:zero_modes] = 0.0
    return (q * lam) @ q.T, rng, lam, q


def test_gd_loss_equals_the_exact_eigenmode_sum():
    H, rng, lam, V = random_spd(30, 1, zero_modes=3)     # H = V diag(λ) Vᵀ, three λ exactly 0
    lr = 1.0 / lam.max()
    delta = 1e-2 * rng.standard_normal(30)
    steps = np.arange(0, 801, 40)
    c2 = (V.T @ delta) ** 2
    loss = []
    d = delta.copy()
    for t in range(steps[-1] + 1):                      # δ ← δ − η H δ on L = ½ δᵀ H δ
        if t in steps:
            loss.append(0.5 * d @ H @ d)
        d = d - lr * (H @ d)
    pred = curves.predicted_loss(lam, c2, steps, lr)
    assert np.allclose(pred, loss, rtol=1e-10, atol=0)
    energies = curves.mode_energies(lam, c2, steps, lr)
    assert energies.shape == (steps.size, 30)
    assert np.allclose(energies.sum(axis=1), pred, rtol=1e-12)
    assert np.all(energies[:, :3] == 0.0)                # zero modes never change L
    # the slowest nonzero mode takes over at long times
    assert np.argmax(energies[-1]) == 3


def test_gradient_flow_equals_the_matrix_exponential():
    H, rng, _, _ = random_spd(12, 2)
    delta = rng.standard_normal(12)
    lam, V = np.linalg.eigh(H)
    c2 = (V.T @ delta) ** 2
    for t in (0.0, 0.7, 25.0, 400.0):
        d = expm(-t * H) @ delta
        assert curves.predicted_loss(lam, c2, [t])[0] == pytest.approx(0.5 * d @ H @ d, rel=1e-9)


def test_large_times_no_overflow_no_nan():
    lam = np.array([0.0, 1e-9, 0.5, 1.0, 1.999, 2.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e = curves.mode_energies(lam, 1.0, [0, 1, 10 ** 9, 10 ** 12], lr=1.0)
        flow = curves.predicted_loss(lam[:-1], 1.0, [0.0, 1e300])
    assert np.all(np.isfinite(e[:, :5])) and not np.any(np.isnan(e))
    assert e[0] == pytest.approx(0.5 * lam)                # t = 0, including ηλ = 1
    assert e[1, 3] == 0.0                                   # ηλ = 1: gone after one step
    # a slow mode over 10⁹ steps: (1 − 1e-9)^(2·10⁹) = e^{−2 − 1e-9 − …}, kept exact (log1p)
    assert e[2, 1] == pytest.approx(0.5e-9 * np.exp(2e9 * np.log1p(-1e-9)), rel=1e-12)
    assert e[2, 1] == pytest.approx(0.5e-9 * np.exp(-2.0), rel=2e-9)
    assert e[3, 2] == 0.0 and e[3, 4] == 0.0                # underflow to exactly 0
    assert e[3, 5] == np.inf                                # |1 − ηλ| > 1: GD diverges
    assert flow[1] == 0.0 and flow[0] == pytest.approx(0.5 * lam[:-1].sum())


def test_random_start_expectation():
    H, rng, _, _ = random_spd(40, 3)
    lam = np.linalg.eigvalsh(H)
    eps, lr, steps = 0.1, 1.0, np.array([0, 5, 50])
    expected = curves.predicted_loss(lam, curves.expected_coeff_sq(eps, 40), steps, lr)
    # average of the exact loss over random directions of norm ε
    deltas = rng.standard_normal((20000, 40))
    deltas *= eps / np.linalg.norm(deltas, axis=1, keepdims=True)
    V = np.linalg.eigh(H)[1]
    mc = curves.predicted_loss(lam, ((deltas @ V) ** 2).mean(axis=0), steps, lr)
    assert np.allclose(mc, expected, rtol=0.03)


def test_loss_from_a_density_matches_its_closed_form():
    """Uniform density on [a, b], gradient flow: ∫ λ e^{−2λt} dλ/(b−a) in closed form."""
    a, b = 0.5, 2.0
    lam = np.linspace(a, b, 4001)
    rho = np.full(lam.size, 1.0 / (b - a))
    eps, rank, p = 0.3, 10, 50
    t = np.array([0.0, 0.3, 2.0])
    got = curves.predicted_loss_from_density(lam, rho, t, eps=eps, rank=rank, n_params=p)

    def prim(x, tt):                                     # ∫ x e^{−2xt} dx
        return -np.exp(-2 * x * tt) * (2 * x * tt + 1) / (4 * tt * tt)

    integral = np.array([(b * b - a * a) / 2 if tt == 0 else prim(b, tt) - prim(a, tt) for tt in t])
    exact = 0.5 * eps ** 2 * rank / p * integral / (b - a)
    assert np.allclose(got, exact, rtol=1e-6)


def test_loss_from_a_law_uses_its_mean_and_atoms():
    """At t = 0 the integral is the law's mean, s + σ1²Nh, with the atom at s included."""
    ni, nh, s = 30, 10, 1.3
    law = laws.conditional_law(ni, nh, None, s)
    eps, p = 0.01, ni * nh + nh
    got = curves.predicted_loss_from_law(law, [0], eps=eps, rank=ni, n_params=p)[0]
    assert got == pytest.approx(0.5 * eps ** 2 * ni / p * (s + nh / ni), rel=1e-9)
    # and at t > 0 it is a sample average of the exact sum over the law's eigenvalues
    lr, t = 0.2, [30]
    q = (np.arange(4000) + 0.5) / 4000
    ev = np.where(q < law.atoms[0][1], s, np.interp(q, law.cdf, law.lam))
    exact = curves.predicted_loss(ev, eps ** 2 / p * ni / ev.size, t, lr)
    assert curves.predicted_loss_from_law(law, t, lr, eps=eps, rank=ni, n_params=p) == \
        pytest.approx(exact, rel=1e-3)


def test_max_stable_lr():
    assert curves.max_stable_lr([0.0, 0.5, 4.0]) == 0.5


@pytest.mark.parametrize("call", [
    lambda: curves.predicted_loss([1.0, 2.0], [1.0], [0, 1]),
    lambda: curves.predicted_loss([1.0], [1.0], [-1]),
    lambda: curves.predicted_loss([1.0], [1.0], [1], lr=0.0),
    lambda: curves.predicted_loss([1.0, np.nan], 1.0, [1]),
    lambda: curves.mode_energies([1.0], [-1.0], [1]),
    lambda: curves.expected_coeff_sq(-1.0, 10),
    lambda: curves.predicted_loss_from_density([1.0, 0.5], [1.0, 1.0], [0], eps=1, rank=1, n_params=2),
    lambda: curves.max_stable_lr([0.0]),
])
def test_bad_input_raises_input_error(call):
    with pytest.raises(InputError):
        call()


def test_expected_curve_is_the_mean_curve_and_its_takeover_the_first_such_step():
    from engine.ensemble import SpectrumConfig, compute_one, prepare

    spec = compute_one(prepare(SpectrumConfig("erf", 3, 2, samples=200, seed=1)), 0).spectrum
    e = curves.expected_curve(spec, 1e-2, "auto", 3000, 2)
    lam = spec.eigenvalues
    c2 = 1e-4 / lam.size
    np.testing.assert_allclose(e.loss, 0.5 * (lam * c2 * (1 - lam / lam[-1]) ** (2.0 * e.steps[:, None])).sum(1),
                               rtol=1e-10)
    slow = lam[lam > spec.rank_tolerance][:2]
    np.testing.assert_array_equal(e.slow_eigenvalues, slow)
    # brute force over every step: the first where the two slowest carry more than half
    t = np.arange(3001.0)
    f = lambda x: 0.5 * (x * c2 * (1 - x / lam[-1]) ** (2 * t[:, None])).sum(1)   # noqa: E731
    share = f(slow) / f(lam)
    assert e.takeover_step == int(np.flatnonzero(share > 0.5)[0])
    assert curves.expected_curve(spec.__class__(**{**spec.__dict__, "eigenvalues": 0 * lam}),
                                 1e-2, "auto", 10, 1) is None
