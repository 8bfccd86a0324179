"""The error a user's input gets: which field, what is wrong with it, how to fix it.

Every rule in ``esap.core`` (paths, URLs, ids) refuses input with a
subclass of :class:`FieldError`, so each face turns it into its own answer
in one way: REST a 400 naming the field, the CLI a line, a notebook the
exception with the same words.
"""

from __future__ import annotations


class FieldError(ValueError):
    """Input a rule refused: ``field`` names it, ``message`` says why, ``fix`` what to do."""

    def __init__(self, field: str, message: str, fix: str) -> None:
        super().__init__(f"{field}: {message} — {fix}")
        self.field = field
        self.message = message
        self.fix = fix


__all__ = ["FieldError"]
