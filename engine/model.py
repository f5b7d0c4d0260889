"""The two-layer network y = W2·g(W1 x), its teachers, inputs and Jacobian (docs/methods.md §1–2).

Parameter order everywhere (vectors, eigenvectors, files): W1 row by row, then W2.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .activations import Activation
from .arrays import read_npy, read_npz, real_finite
from .errors import InputError


@dataclass(frozen=True)
class Teacher:
    W1: np.ndarray   # (Nh, Ni)
    W2: np.ndarray   # (Nh,)

    @property
    def nh(self) -> int:
        return self.W1.shape[0]

    @property
    def ni(self) -> int:
        return self.W1.shape[1]

    @property
    def n_params(self) -> int:
        return self.W1.size + self.W2.size

    @property
    def w2_norm_sq(self) -> float:
        return float(self.W2 @ self.W2)

    def flat(self) -> np.ndarray:
        return np.concatenate([self.W1.ravel(), self.W2])


def n_params(ni: int, nh: int) -> int:
    return nh * ni + nh


def unflatten(theta: np.ndarray, ni: int, nh: int) -> Teacher:
    return Teacher(theta[: nh * ni].reshape(nh, ni), theta[nh * ni:])


def default_sigmas(ni: int, nh: int) -> tuple[float, float]:
    """σ1 = 1/√Ni, σ2 = 1/√Nh: keeps pre-activations and outputs of order one."""
    return 1.0 / math.sqrt(ni), 1.0 / math.sqrt(nh)


def teacher_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of teacher `index` of an ensemble: independent streams from one seed."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))


def sample_teacher(rng: np.random.Generator, ni: int, nh: int,
                   sigma1: float, sigma2: float) -> Teacher:
    """Entries N(0, σ1²) for W1, then N(0, σ2²) for W2, in that order from `rng`."""
    W1 = sigma1 * rng.standard_normal((nh, ni))
    W2 = sigma2 * rng.standard_normal(nh)
    return Teacher(W1, W2)


def sample_inputs(rng: np.random.Generator, n: int, ni: int) -> np.ndarray:
    return rng.standard_normal((n, ni))


def forward(teacher: Teacher, act: Activation, X: np.ndarray) -> np.ndarray:
    return act.g(X @ teacher.W1.T) @ teacher.W2


def jacobian(teacher: Teacher, act: Activation, X: np.ndarray) -> np.ndarray:
    """J (N×P), J[i] = ∂y(x_i)/∂θ: [W2_j g'(w_j·x) x_k for j, k] then [g(w_j·x) for j]."""
    n, ni = X.shape
    nh = teacher.nh
    U = X @ teacher.W1.T
    J = np.empty((n, nh * ni + nh))
    J1 = J[:, : nh * ni].reshape(n, nh, ni)
    np.multiply((act.d(U, 1) * teacher.W2)[:, :, None], X[:, None, :], out=J1)
    J[:, nh * ni:] = act.g(U)
    return J


# ----------------------------------------------------------------------------- files

def load_teacher(path: str | Path, ni: int | None = None, nh: int | None = None) -> Teacher:
    """Read an .npz holding W1 (Nh×Ni) and W2 (Nh); sizes, if given, must agree."""
    data = read_npz(path, "weights", ("W1", "W2"), "save with np.savez(f, W1=..., W2=...)")
    W1 = real_finite(data["W1"], "W1 in the weights file")
    W2 = real_finite(data["W2"], "W2 in the weights file")
    if W1.ndim != 2 or W2.ndim != 1 or W2.shape[0] != W1.shape[0]:
        raise InputError(f"weights file {str(path)!r}: W1 must be Nh×Ni and W2 of length Nh; "
                         f"got W1 {W1.shape} and W2 {W2.shape}")
    if ni is not None and W1.shape[1] != ni or nh is not None and W1.shape[0] != nh:
        raise InputError(f"weights file {str(path)!r} holds Nh={W1.shape[0]}, Ni={W1.shape[1]} "
                         f"but Nh={nh}, Ni={ni} were asked for; make them agree")
    return Teacher(W1, W2)


def load_inputs(path: str | Path, ni: int) -> np.ndarray:
    """Read an .npy of shape N×Ni."""
    X = real_finite(read_npy(path, "inputs"), f"inputs file {str(path)!r}")
    if X.ndim != 2 or X.shape[1] != ni:
        raise InputError(f"inputs file {str(path)!r} has shape {X.shape}; it must be N×Ni with Ni={ni}")
    if X.shape[0] < 1:
        raise InputError(f"inputs file {str(path)!r} holds no rows")
    return X


def save_teacher(path: str | Path, teacher: Teacher) -> None:
    np.savez(path, W1=teacher.W1, W2=teacher.W2)
