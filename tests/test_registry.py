"""The activation registry is the only place an activation is declared (engine/activations.py):
a throw-away family registered inside a test, and nowhere else, works in the command line, the
settings panel and the JSON configuration, and every registered family works in the engine."""
import json
import math

import numpy as np
import pytest

from engine import gaussian
from engine.activations import FAMILIES, Activation, Family, parse_activation
from engine.errors import InputError
from engine.model import sample_inputs, sample_teacher, teacher_rng
from engine.spectrum import population_spectrum, sample_spectrum

SCALE = 2.0          # g(z) = 2·erf(z/√2): every Hessian entry, and eigenvalue, is 4× erf's
KEY = "twoerf"


def _twoerf(arg):
    """Built from erf's registry entry: derivatives times 2, closed forms times 4."""
    erf = parse_activation("erf")
    derivs = tuple((lambda z, k=k: SCALE * erf.d(z, k)) for k in range(4))
    closed = lambda C: {k: SCALE ** 2 * v for k, v in gaussian.erf_expectations(C).items()}
    return Activation(KEY, KEY, derivs, expectations=closed,
                      pair_value=lambda *c: SCALE ** 2 * gaussian.erf_pair(*c),
                      seconds_per_value=3e-8)


@pytest.fixture
def twoerf(monkeypatch):
    monkeypatch.setitem(FAMILIES, KEY, Family(KEY, "2·erf(z/√2)", KEY, _twoerf, log_axis=True))
    return parse_activation(KEY)


def test_a_new_family_needs_only_its_registry_entry_in_the_engine(twoerf):
    t = sample_teacher(teacher_rng(3, 0), 4, 3, 0.5, 0.6)
    X = sample_inputs(np.random.default_rng(1), 60, 4)
    erf = parse_activation("erf")
    np.testing.assert_allclose(population_spectrum(t, twoerf).eigenvalues,
                               SCALE ** 2 * population_spectrum(t, erf).eigenvalues, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(sample_spectrum(t, twoerf, X).eigenvalues,
                               SCALE ** 2 * sample_spectrum(t, erf, X).eigenvalues, rtol=1e-10, atol=1e-15)
    # --nodes: the trapezoidal rule (the default quadrature of a registry entry) agrees
    q = population_spectrum(t, twoerf, nodes=201).eigenvalues
    np.testing.assert_allclose(q, population_spectrum(t, twoerf).eigenvalues, rtol=0, atol=1e-12 * q[-1])
    import pickle
    assert pickle.loads(pickle.dumps(twoerf)) == twoerf


def test_a_new_family_runs_in_the_command_line(twoerf, tmp_path):
    """In process (a subprocess would not see the monkeypatch): engine.cli through main.main."""
    from main import main

    out, ref = tmp_path / "new.json", tmp_path / "erf.json"
    for act, path in ((KEY, out), ("erf", ref)):
        assert main(["spectrum", "--activation", act, "--ni", "4", "--nh", "3", "--population",
                     "--json", str(path)]) == 0
    new, old = json.loads(out.read_text()), json.loads(ref.read_text())
    assert new["config"]["activation"] == KEY and new["predicted_rank"] == 15
    np.testing.assert_allclose(new["teachers"][0]["eigenvalues"],
                               SCALE ** 2 * np.asarray(old["teachers"][0]["eigenvalues"]), rtol=1e-12)
    assert main(["landscape", "--activation", KEY, "--ni", "3", "--nh", "2", "--population",
                 "--grid", "5", "--json", str(tmp_path / "l.json")]) == 0


def test_a_new_family_is_in_the_settings_panel_and_the_json_configuration(twoerf, qtbot):
    from gui.config import normalize, check_values, view_options
    from gui.config_panel import ConfigPanel

    cfg = normalize({"activation": KEY, "ni": 4, "nh": 3})
    check_values(cfg)                                      # the engine's check: parse_activation
    assert view_options(cfg)["log_axis"] is True           # the family's preference
    with pytest.raises(InputError):
        check_values(normalize({"activation": KEY + "x", "ni": 4, "nh": 3}))
    panel = ConfigPanel()
    qtbot.addWidget(panel)
    assert panel.activation.findData(KEY) >= 0
    panel.set_config(cfg)
    assert panel.config()["activation"] == KEY


# ----------------------------------------------------------------------------- every family

def every_family():
    return [f.spec(f.example) if f.parameter else f.spec() for f in FAMILIES.values()]


@pytest.mark.parametrize("spec", every_family())
def test_every_family_declares_what_the_engine_needs(spec):
    act = parse_activation(spec)
    assert act.quadrature in ("gauss-hermite", "trapezoid", None)
    assert act.expectations is not None or act.quadrature is not None   # some route to H_pop
    assert act.seconds_per_value > 0 and act.seconds_per_pair > 0
    if act.homogeneity is not None:           # g(c z) = c^k g(z) for c > 0
        z = np.linspace(-3, 3, 13)
        np.testing.assert_allclose(act.g(2.5 * z), 2.5 ** act.homogeneity * act.g(z), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("spec", every_family())
def test_population_hessian_is_the_mean_of_sample_hessians_for_every_family(spec):
    """H_pop = E[j jᵀ]: every entry within 5 standard errors of its mean over 2·10⁵ inputs
    (the error of each entry estimated from the same samples)."""
    from engine.model import jacobian
    from engine.population import population_hessian

    act = parse_activation(spec)
    t = sample_teacher(teacher_rng(2, 0), 3, 2, 1 / math.sqrt(3), 1 / math.sqrt(2))
    H = population_hessian(t, act)
    J = jacobian(t, act, sample_inputs(np.random.default_rng(7), 200_000, 3))
    n = J.shape[0]
    mean = J.T @ J / n
    se = np.sqrt(np.maximum(np.square(J).T @ np.square(J) / n - mean ** 2, 0.0) / n)
    assert np.all(np.abs(mean - H) <= 5 * se + 1e-12 * np.abs(H).max())
