"""The exceptions every front end (CLI, GUI) turns into a one-line message, and `user_message`,
the one function that does it, so the command line and the window say the same thing."""
from numpy.linalg import LinAlgError


class InputError(ValueError):
    """Bad user input: the message says what is wrong and how to fix it, in one line."""


class Cancelled(Exception):
    """Raised inside a computation when its job was cancelled; partial results stay valid."""


# What a user can cause and fix: anything else is a bug (the command line's --debug re-raises it).
FORESEEN = (InputError, Cancelled, MemoryError, OSError, LinAlgError, FloatingPointError)


def is_bug(exc: BaseException) -> bool:
    return not isinstance(exc, FORESEEN)


def first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else ""


def user_message(exc: BaseException) -> str:
    """The user's one line for an exception (without "error: "): what went wrong and what to
    try. Anything not foreseen here is a bug, and the line says so."""
    # InputError first: LinAlgError and InputError are both ValueErrors
    if isinstance(exc, InputError):
        return first_line(exc)
    if isinstance(exc, Cancelled):
        return "cancelled"
    if isinstance(exc, MemoryError):
        return ("out of memory; use fewer samples, smaller sizes (Ni, Nh) or population mode "
                "(--population)")
    if isinstance(exc, OSError):
        where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        return (f"cannot read or write{where}: {exc.strerror or first_line(exc)}; check the "
                "path, its permissions and the free disk space")
    if isinstance(exc, LinAlgError):
        return (f"the linear algebra did not converge ({first_line(exc)}); the weights or "
                "coefficients are probably too large or degenerate, try smaller ones")
    if isinstance(exc, FloatingPointError):
        return f"the computation overflowed ({first_line(exc)}); use smaller weights or coefficients"
    return (f"unexpected {exc.__class__.__name__}: {first_line(exc)} — this is a bug; please "
            "report it with the settings that caused it (--debug shows the traceback)")
