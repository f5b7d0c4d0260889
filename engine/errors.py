"""The two exceptions every front end (CLI, GUI) turns into a one-line message."""


class InputError(ValueError):
    """Bad user input: the message says what is wrong and how to fix it, in one line."""


class Cancelled(Exception):
    """Raised inside a computation when its job was cancelled; partial results stay valid."""
