"""Unreadable rows of the orbit-file readers: collect them, then raise, skip or warn.

Every reader takes ``errors='raise' | 'skip' | 'warn'``. While parsing, a
:class:`_Bad` keeps the first bad field of each row and why; the reader turns
it into a ``bad_info`` dict (``line``, ``field``, ``reason``, ``text`` arrays,
one entry per bad row) and :func:`_report_bad` acts on it.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..exceptions import AstroSSOWarning, InputError

__all__: list[str] = []

_ERRORS = ("raise", "skip", "warn")


def _check_errors_option(errors):
    if errors not in _ERRORS:
        raise InputError(f"errors must be 'raise', 'skip' or 'warn', got {errors!r}")


class _Bad:
    """Collects the first bad field of each bad row."""

    def __init__(self, n):
        self.field = np.full(n, "", dtype=object)
        self.reason = np.full(n, "", dtype=object)
        self.mask = np.zeros(n, dtype=bool)

    @classmethod
    def concatenate(cls, parts):
        """One collector for the rows of several, in order."""
        out = cls(0)
        out.field = np.concatenate([p.field for p in parts])
        out.reason = np.concatenate([p.reason for p in parts])
        out.mask = np.concatenate([p.mask for p in parts])
        return out

    def add_row(self, k, field, reason):
        if not self.mask[k]:
            self.field[k] = field
            self.reason[k] = reason
            self.mask[k] = True

    def add(self, mask, field, reason):
        new = mask & ~self.mask
        if new.any():
            self.field[new] = field
            self.reason[new] = reason
            self.mask |= new

    def info(self, line_no, texts):
        """The ``bad_info`` dict of the bad rows, given every row's line number and text."""
        rows = np.flatnonzero(self.mask)
        return _bad_info(
            line_no[rows], self.field[rows].tolist(), self.reason[rows].tolist(), texts[rows]
        )


def _bad_info(lines, fields, reasons, texts):
    """``bad_info`` arrays (fixed-width dtypes, so that they can be cached as .npy)."""
    n = len(lines)
    return {
        "line": np.asarray(lines, dtype=np.int64).reshape(n),
        "field": np.array(list(fields) or [""], dtype="U16")[:n],
        "reason": np.array(list(reasons) or [""], dtype="U80")[:n],
        "text": np.array(list(texts) or [""], dtype="U80")[:n],
    }


def _report_bad(path, bad_info, errors, what="line", columns=None):
    """Raise for the first bad row, or warn once, as ``errors`` asks ('skip': nothing).

    ``what`` names a row in the messages ('line', 'object'); ``columns`` maps
    field names to their (first, last) columns for the message.
    """
    lines = bad_info["line"]
    if lines.size == 0:
        return
    fields = bad_info["field"].astype(str)
    reasons = bad_info["reason"].astype(str)
    texts = bad_info["text"].astype(str)
    if errors == "raise":
        c = (columns or {}).get(fields[0])
        where = f" (columns {c[0]}-{c[1]})" if c else ""
        raise InputError(
            f"{path}: {what} {int(lines[0])}: field '{fields[0]}'{where} holds {str(texts[0])!r}: "
            f"{reasons[0]}; {lines.size} bad {what}(s) in all. Fix the {what}, or read with "
            "errors='skip' (or 'warn') to drop such rows"
        )
    if errors == "warn":
        first = ", ".join(f"{int(n)} ({f})" for n, f in zip(lines[:5], fields[:5], strict=True))
        warnings.warn(
            f"{path}: skipped {lines.size} unreadable row(s); first: {first}",
            AstroSSOWarning,
            stacklevel=3,
        )
