"""Fixed-width text as NumPy byte matrices: the vectorized decoding behind the MPC readers.

A file becomes one ``uint8`` matrix with a row per line (:func:`_line_matrix`);
a field is a slice of columns, decoded for all rows at once: right-justified
numbers (:func:`_parse_numbers`, exact as ``float(text)``) and stripped
strings (:func:`_strip_to_bytes`).
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np

from ..exceptions import InputError

__all__: list[str] = []

_FLOAT_RE = re.compile(rb"^[+-]?(\d+\.?\d*|\.\d+)$")
_INT_RE = re.compile(rb"^[+-]?\d+$")


# --------------------------------------------------------------------------- file bytes


def _require_file(path, what) -> Path:
    """``path`` as a Path; an InputError naming ``what`` it should be when it does not exist."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"orbit file '{path}' does not exist; give the path of {what}")
    return path


def _read_bytes(path, what) -> bytes:
    """The bytes of a file, gunzipped when they are gzip-compressed."""
    path = _require_file(path, what)
    with open(path, "rb") as fh:
        data = fh.read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(
                f"'{path}' looks gzip-compressed but does not decompress ({exc}): "
                "decompress it by hand to check it, or download it again"
            ) from None
    return data


def _split_lines(buf: np.ndarray):
    """Start offsets and lengths (without the line break) of every line."""
    nl = np.flatnonzero(buf == 10)
    starts = np.concatenate([[0], nl + 1])
    ends = np.concatenate([nl, [buf.size]])
    if starts.size and starts[-1] >= buf.size:  # text ends with a newline
        starts, ends = starts[:-1], ends[:-1]
    lengths = ends - starts
    cr = (lengths > 0) & (buf[np.maximum(ends - 1, 0)] == 13)
    lengths = lengths - cr
    return starts.astype(np.int64), lengths.astype(np.int64)


def _line_matrix(buf, starts, lengths, width):
    """(N, width) byte matrix of the lines, padded with spaces.

    Consecutive lines of equal length and equal stride (the usual case: the
    MPC writes every line with the same length) are copied as strided views
    of the file buffer; the other lines are gathered by fancy indexing.
    """
    n = starts.size
    mat = np.full((n, width), 32, dtype=np.uint8)
    if n == 0:
        return mat
    stride = np.diff(starts)
    gap = stride - lengths[:-1]
    gmode = int(np.bincount(np.clip(gap, 0, 3)).argmax()) if gap.size else 1
    cont = np.zeros(n, dtype=bool)
    cont[1:] = (lengths[1:] == lengths[:-1]) & (gap == gmode)
    run_start = np.flatnonzero(~cont)
    run_end = np.append(run_start[1:], n)
    leftovers = []
    for i, j in zip(run_start.tolist(), run_end.tolist(), strict=True):
        cnt = j - i
        L = int(lengths[i])
        if cnt >= 16 and L > 0:
            w = min(L, width)
            view = np.lib.stride_tricks.as_strided(
                buf[starts[i] :], shape=(cnt, w), strides=(L + gmode, 1), writeable=False
            )
            mat[i:j, :w] = view
        else:
            leftovers.append(np.arange(i, j))
    if leftovers:
        rows = np.concatenate(leftovers)
        cols = np.arange(width)
        for c0 in range(0, rows.size, 65536):
            r = rows[c0 : c0 + 65536]
            idx = starts[r][:, None] + cols[None, :]
            valid = cols[None, :] < lengths[r][:, None]
            mat[r] = np.where(valid, buf[np.minimum(idx, buf.size - 1)], 32)
    return mat


# --------------------------------------------------------------------------- field decoders


# character classes: 0 space, 1 digit, 2 decimal point, 3 minus, 4 plus, 5 anything else
_CLASS_LUT = np.full(256, 5, dtype=np.uint8)
_CLASS_LUT[32] = 0
_CLASS_LUT[48:58] = 1
_CLASS_LUT[46] = 2
_CLASS_LUT[45] = 3
_CLASS_LUT[43] = 4


def _layout_keys(w, p):
    """Keys of the accepted layouts of a w-wide field with the point in column p.

    A layout is leading spaces, an optional sign, digits, the point (when p <
    w), digits; its key is the base-6 number of its character classes. Returns
    (sorted keys, negative flags).
    """
    pw = 6 ** np.arange(w, dtype=np.int64)
    keys, neg = [], []
    n_int = p  # columns left of the point (or all columns for integers)
    for lead in range(n_int + 1):
        for sign in (None, 3, 4):
            cls = [0] * lead
            if sign is not None:
                if lead >= n_int:
                    continue
                cls.append(sign)
            cls += [1] * (n_int - len(cls))
            if p < w:
                cls += [2] + [1] * (w - p - 1)
            if 1 not in cls:
                continue
            keys.append(int(np.dot(cls, pw)))
            neg.append(sign == 3)
    order = np.argsort(keys)
    return np.asarray(keys, dtype=np.int64)[order], np.asarray(neg, dtype=bool)[order]


def _parse_numbers(f, integer=False):
    """Decode right-justified numbers of a (N, w) byte matrix.

    Returns ``(values, bad)``: float64 values (NaN where the field is blank)
    and a mask of fields that are neither blank nor a plain decimal number.
    Rows in the usual layout (leading spaces, optional sign, digits, the
    decimal point in the column most rows use, digits) are recognised by a
    key built from their character classes and decoded with integer array
    arithmetic, column by column: the digits form an exact integer mantissa
    that is divided by a power of ten, which rounds exactly as ``float(text)``
    does. Other rows go through ``float`` one by one.
    """
    n, w = f.shape
    vals = np.full(n, np.nan)
    bad = np.zeros(n, dtype=bool)
    if n == 0:
        return vals, bad
    fT = np.ascontiguousarray(f.T)  # one contiguous vector per column
    cls = _CLASS_LUT[fT]
    key = np.zeros(n, dtype=np.int64)
    for j in range(w - 1, -1, -1):
        key *= 6
        key += cls[j]
    blank = key == 0
    if integer:
        p = w
    else:
        sample = cls[:, : min(n, 4096)] == 2
        has = sample.any(axis=0)
        p = int(np.bincount(np.argmax(sample[:, has], axis=0)).argmax()) if has.any() else w - 1
    keys, negk = _layout_keys(w, p)
    idx = np.clip(np.searchsorted(keys, key), 0, keys.size - 1)
    fast = keys[idx] == key
    if fast.any():
        mant = np.zeros(n, dtype=np.int64)
        for j in range(w):
            if j == p:
                continue
            digit = fT[j].astype(np.int64) - 48
            digit[cls[j] != 1] = 0
            mant *= 10
            mant += digit
        dec = w - 1 - p if p < w else 0
        v = mant / (10.0**dec)
        v[negk[idx]] *= -1.0
        vals[fast] = v[fast]
    rex = _INT_RE if integer else _FLOAT_RE
    for r in np.flatnonzero(~fast & ~blank):
        text = bytes(f[r]).strip()
        if rex.match(text):
            vals[r] = float(text)
        else:
            bad[r] = True
    return vals, bad


_STRINGS = getattr(np, "strings", np.char)  # NumPy >= 2: ufuncs; NumPy 1.26: np.char


def _strip_to_bytes(f):
    """Fixed-width text (N, w) -> array of stripped byte strings (dtype S)."""
    n, w = f.shape
    if n == 0 or w == 0:
        return np.zeros(n, dtype="S1")
    out = _STRINGS.strip(np.ascontiguousarray(f).view(f"S{w}").ravel())
    return _shrink(out)


def _shrink(arr):
    """Byte strings in the narrowest S dtype that holds them."""
    if arr.size == 0:
        return arr.astype("S1")
    width = max(1, int(_STRINGS.str_len(arr).max()))
    return arr.astype(f"S{width}")


def _decode(arr):
    """Byte strings -> str array (fast path for ASCII, UTF-8 otherwise)."""
    if arr.size == 0:
        return np.zeros(0, dtype="U1")
    raw = np.ascontiguousarray(arr).view(np.uint8)
    if raw.size and raw.max() >= 128:
        return np.char.decode(arr, "utf-8")
    return arr.astype(f"U{arr.dtype.itemsize}")
