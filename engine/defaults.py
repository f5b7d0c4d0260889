"""Every default of a run, in one place: the settings' declarations (engine.settings, on the
fields of SpectrumConfig and DynamicsConfig) take them from here, and the command line and the
GUI take them from the declarations, so a default can only ever have one value."""
from __future__ import annotations

# The model and its data (engine.ensemble.SpectrumConfig).
ACTIVATION = "erf"
NI = 10
NH = 20
TEACHERS = 1
SEED = 0
SAMPLES_PER_PARAMETER = 4      # default N = 4·P: full rank and a visible bulk

# Training from near the optimum (engine.dynamics.DynamicsConfig).
LR = "auto"                    # 1/λ_max
STEPS = 2000
INIT_DISTANCE = 1e-2           # ε = |δ0|
SLOW_MODES = 3                 # the slowest nonzero modes followed
RECORD_EVERY = 1
TARGET_DECADES = 3.0           # time to target: the loss falls by 10^3


def default_samples(n_params: int) -> int:
    """N = 4·P when the user gives no number of samples."""
    return SAMPLES_PER_PARAMETER * n_params
