"""Readers and a writer of the Minor Planet Center's orbit files.

* :func:`read_mpcorb` reads ``MPCORB.DAT`` (and the other files in its
  fixed-width "export format for minor-planet orbits": ``NEA.txt``,
  ``DAILY.DAT``...; plain or gzip) and the MPC's JSON export
  (``mpcorb_extended.json(.gz)``) into an orbits `~astropy.table.QTable` in
  the package vocabulary. The fixed-width parse is vectorized over the whole
  file (the text becomes a 2-D byte array; each field is decoded column-wise
  with NumPy), and the parsed columns are cached in binary ``.npy`` files
  keyed by the file's path, size and modification time, so a second read of
  the 1.4-million-row MPCORB.DAT takes well under a second.
* :func:`write_mpcorb` writes an orbits table in the same fixed-width format
  (vectorized too), for exchange with other software and for tests.
* :func:`read_comet_els` reads the MPC's ``CometEls.txt``.

Format reference: MPC, "Export Format for Minor-Planet Orbits"
(minorplanetcenter.net/iau/info/MPOrbitFormat.html) and "Export Format for
Comet Orbits" (.../CometOrbitFormat.html).

Examples
--------
>>> import tempfile, pathlib
>>> from astro_sso.catalog import read_mpcorb
>>> line = ("00001    3.34  0.15 K2555 188.70269   73.27343   80.25221   10.58780  0.0794013"
...         "  0.21424651   2.7660512  0 E2024-V47  7330 125 1801-2024 0.80 M-v 30k MPCLINUX"
...         "   4000      (1) Ceres              20241101")
>>> path = pathlib.Path(tempfile.mkdtemp()) / "MPCORB.DAT"
>>> _ = path.write_text(line + "\\n")
>>> orb = read_mpcorb(path, cache=False)
>>> str(orb["designation"][0]), str(orb["name"][0]), float(orb["a"][0].value)
('1', 'Ceres', 2.7660512)
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.table import MaskedColumn, QTable
from astropy.time import Time
from astropy.utils.masked import Masked

from ..exceptions import AstroSSOWarning, InputError
from ..io import atomic_path
from .packed import (
    _epoch_jd_from_matrix,
    _numbers_from_matrix,
    calendar_to_jd,
    pack_designation,
    pack_epoch,
    pack_number,
    unpack_designation,
)

__all__ = [
    "read_mpcorb",
    "write_mpcorb",
    "read_comet_els",
    "classify_orbits",
    "ORBIT_TYPES",
    "MPCORB_FIELDS",
    "FLAG_NEO",
    "FLAG_KM_NEO",
    "FLAG_PHA",
]

#: Orbit types coded in the bottom 6 bits of the MPCORB hex flags (0: none of
#: them, mostly main-belt objects). The MPC's current format page marks 7 as
#: "unused or internal MPC use only" (older editions of the page used other
#: codings), so rows with code 7, or any code not listed here, get the class
#: that their elements give (`classify_orbits`, which includes the Phocaea group).
ORBIT_TYPES = {
    0: "MBA",
    1: "Atira",
    2: "Aten",
    3: "Apollo",
    4: "Amor",
    5: "Object with q<1.665",
    6: "Hungaria",
    8: "Hilda",
    9: "Jupiter Trojan",
    10: "Distant object",
}
#: Hex-flag bit: the object is a near-Earth object.
FLAG_NEO = 2048
#: Hex-flag bit: 1-km (or larger) NEO.
FLAG_KM_NEO = 4096
#: Hex-flag bit: potentially hazardous asteroid.
FLAG_PHA = 32768

#: Fields of the fixed-width format: name -> (first, last) column, 1-based inclusive.
MPCORB_FIELDS = {
    "packed": (1, 7),
    "H": (9, 13),
    "G": (15, 19),
    "epoch": (21, 25),
    "M": (27, 35),
    "argperi": (38, 46),
    "node": (49, 57),
    "i": (60, 68),
    "e": (71, 79),
    "n": (81, 91),
    "a": (93, 103),
    "U": (106, 106),
    "reference": (108, 116),
    "n_obs": (118, 122),
    "n_opp": (124, 126),
    "arc": (128, 136),
    "rms": (138, 141),
    "perturbers": (143, 145),
    "perturbers_2": (147, 149),
    "computer": (151, 160),
    "flags": (162, 165),
    "readable": (167, 194),
    "last_obs": (195, 202),
}
_WIDTH = 202
_MIN_WIDTH = 103  # a line must reach the semi-major axis
_CACHE_VERSION = "mpcorb-cache-2"
_GAUSS_K_DEG = np.degrees(0.01720209895)  # deg/d for a = 1 AU
_FLOAT_RE = re.compile(rb"^[+-]?(\d+\.?\d*|\.\d+)$")
_INT_RE = re.compile(rb"^[+-]?\d+$")
_HEX_LUT = np.full(256, -1, dtype=np.int64)
for _k, _ch in enumerate(b"0123456789ABCDEF"):
    _HEX_LUT[_ch] = _k
for _k, _ch in enumerate(b"abcdef"):
    _HEX_LUT[_ch] = 10 + _k


# --------------------------------------------------------------------------- file bytes


def _read_bytes(path) -> bytes:
    path = Path(path)
    if not path.exists():
        raise InputError(f"orbit file '{path}' does not exist; give the path of MPCORB.DAT(.gz)")
    with open(path, "rb") as fh:
        data = fh.read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(
                f"'{path}' looks gzip-compressed but does not decompress ({exc})"
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


def _field(mat, name):
    c0, c1 = MPCORB_FIELDS[name]
    return mat[:, c0 - 1 : c1]


class _Bad:
    """Collects the first bad field of each bad row."""

    def __init__(self, n):
        self.field = np.full(n, "", dtype=object)
        self.reason = np.full(n, "", dtype=object)
        self.mask = np.zeros(n, dtype=bool)

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


def _parse_fixed_width(mat):
    """Decode every field of an (N, 202) MPCORB byte matrix."""
    n = mat.shape[0]
    bad = _Bad(n)
    out = {}
    packed = _field(mat, "packed")
    bad.add((packed == 32).all(axis=1), "packed", "blank designation")
    number = _numbers_from_matrix(packed)
    out["number"] = number
    out["packed"] = _strip_to_bytes(packed)
    for name in ("H", "G", "M", "argperi", "node", "i", "e", "n", "a", "rms"):
        vals, b = _parse_numbers(_field(mat, name))
        bad.add(b, name, "not a number")
        out[name] = vals
    for name in ("M", "argperi", "node", "i", "e"):
        bad.add(np.isnan(out[name]) & ~bad.mask, name, "blank but required")
    jd = _epoch_jd_from_matrix(_field(mat, "epoch"))
    bad.add(np.isnan(jd), "epoch", "not a packed date such as 'K2555'")
    out["epoch_jd_tt"] = jd
    # a from n when a is blank
    a = out["a"]
    from_n = np.isnan(a) & (out["n"] > 0)
    a[from_n] = (_GAUSS_K_DEG / out["n"][from_n]) ** (2.0 / 3.0)
    bad.add(np.isnan(a) & ~bad.mask, "a", "blank but required (and no mean motion n)")
    e, inc = out["e"], out["i"]
    with np.errstate(invalid="ignore"):
        bad.add((e < 0) | (e >= 1), "e", "eccentricity outside [0, 1) for an elliptic orbit")
        bad.add(a <= 0, "a", "semi-major axis must be > 0")
        bad.add((inc < 0) | (inc > 180), "i", "inclination outside [0, 180] deg")
        for name in ("M", "argperi", "node"):
            bad.add((out[name] < -360) | (out[name] > 360), name, "angle outside [-360, 360] deg")
    # U: digit, or E/D/F codes
    ucol = _field(mat, "U")[:, 0]
    isdig = (ucol >= 48) & (ucol <= 57)
    out["U"] = np.where(isdig, ucol.astype(np.int8) - 48, -1).astype(np.int8)
    letter = np.isin(ucol, np.frombuffer(b"EDF", dtype=np.uint8))
    bad.add(~isdig & ~letter & (ucol != 32), "U", "not a digit or E/D/F")
    out["U_flag"] = np.where(letter, np.ascontiguousarray(ucol).view("S1"), b"")
    for name in ("n_obs", "n_opp"):
        vals, b = _parse_numbers(_field(mat, name), integer=True)
        bad.add(b, name, "not an integer")
        out[name] = np.where(np.isnan(vals), -1, vals).astype(np.int32)
    arc = _field(mat, "arc")
    multi = arc[:, 4] == ord("-")
    days = (arc[:, 5:9] == np.frombuffer(b"days", dtype=np.uint8)).all(axis=1)
    first, b1 = _parse_numbers(arc[:, 0:4], integer=True)
    last, b2 = _parse_numbers(arc[:, 5:9], integer=True)
    blank_arc = (arc == 32).all(axis=1)
    bad.add(~blank_arc & ~multi & ~days, "arc", "neither 'yyyy-yyyy' nor 'nnnn days'")
    bad.add((multi & (b1 | b2)) | (days & b1), "arc", "not a year range or a number of days")
    out["first_year"] = np.where(multi & ~np.isnan(first), first, -1).astype(np.int16)
    out["last_year"] = np.where(multi & ~np.isnan(last), last, -1).astype(np.int16)
    arc_days = np.full(n, np.nan)
    arc_days[days] = first[days]
    span = multi & ~np.isnan(first) & ~np.isnan(last)
    arc_days[span] = (last[span] - first[span]) * 365.25
    out["arc"] = arc_days
    out["reference"] = _strip_to_bytes(_field(mat, "reference"))
    out["perturbers"] = _strip_to_bytes(_field(mat, "perturbers"))
    out["perturbers_2"] = _strip_to_bytes(_field(mat, "perturbers_2"))
    out["computer"] = _strip_to_bytes(_field(mat, "computer"))
    fl = _field(mat, "flags")
    hx = _HEX_LUT[fl]
    blank_fl = (fl == 32).all(axis=1)
    bad.add(~blank_fl & (hx < 0).any(axis=1), "flags", "not 4 hexadecimal digits")
    out["flags"] = np.where(
        blank_fl | (hx < 0).any(axis=1),
        -1,
        ((hx[:, 0] * 16 + hx[:, 1]) * 16 + hx[:, 2]) * 16 + hx[:, 3],
    ).astype(np.int32)
    out["last_obs"] = _strip_to_bytes(_field(mat, "last_obs"))
    desig, name, prov = _readable(_field(mat, "readable"), number, out["packed"])
    out["designation"] = desig
    out["name"] = name
    out["provisional"] = prov
    return out, bad


_BLOCK_ROWS = 65536


def _parse_blocks(mat):
    """:func:`_parse_fixed_width` over blocks of rows (cache-friendly), concatenated."""
    n = mat.shape[0]
    if n <= _BLOCK_ROWS:
        return _parse_fixed_width(mat)
    parts = [_parse_fixed_width(mat[s : s + _BLOCK_ROWS]) for s in range(0, n, _BLOCK_ROWS)]
    arrays = {k: np.concatenate([p[0][k] for p in parts]) for k in parts[0][0]}
    bad = _Bad(n)
    bad.field = np.concatenate([p[1].field for p in parts])
    bad.reason = np.concatenate([p[1].reason for p in parts])
    bad.mask = np.concatenate([p[1].mask for p in parts])
    return arrays, bad


_PROV_NAME_RE = re.compile(rb"^(\d{4}|A\d{3}) [A-Y][A-Z]\d*$|^\d{1,4} (P-L|T-[123])$")


def _provisional_like(names):
    """Mask of byte strings that are provisional designations ('1974 FV1', '2040 P-L')."""
    mask = np.zeros(names.size, dtype=bool)
    rows = np.flatnonzero(names != b"")
    if rows.size == 0:
        return mask
    w = max(names.dtype.itemsize, 8)
    m = np.ascontiguousarray(names[rows].astype(f"S{w}")).view(np.uint8).reshape(rows.size, w)
    isd = (m >= 48) & (m <= 57)
    lead = (isd[:, 0] | (m[:, 0] == 65)) & isd[:, 1:4].all(axis=1)
    letters = (m[:, 5] >= 65) & (m[:, 5] <= 89) & (m[:, 6] >= 65) & (m[:, 6] <= 90)
    tail_ok = ((m[:, 7:] == 0) | isd[:, 7:]).all(axis=1)
    mask[rows] = lead & (m[:, 4] == 32) & letters & tail_ok
    # survey designations ('6074 P-L') are rare: check candidates with a regular expression
    for k in rows[~mask[rows] & isd[:, 0] & (m == 45).any(axis=1)]:
        mask[k] = bool(_PROV_NAME_RE.match(bytes(names[k])))
    return mask


def _readable(f, number, packed):
    """Designation, name and provisional designation from the readable field (cols 167-194).

    Numbered objects show "(number) name", or "(number) provisional designation"
    when unnamed; unnumbered objects show their provisional designation.
    """
    n = f.shape[0]
    text = _strip_to_bytes(f)
    desig = np.zeros(n, dtype="S16")
    numbered = number >= 0
    if n == 0:
        return desig, np.zeros(0, dtype="S1"), np.zeros(0, dtype="S1")
    paren = f == ord(")")
    has_paren = paren.any(axis=1) & (text.view(np.uint8).reshape(n, -1)[:, 0] == ord("("))
    names = np.zeros(n, dtype=f"S{f.shape[1]}")
    close = np.argmax(paren, axis=1)
    for c in np.unique(close[has_paren]):
        sel = has_paren & (close == c)
        names[sel] = _strip_to_bytes(np.ascontiguousarray(f[sel, c + 1 :]))
    unnamed = _provisional_like(names)
    prov = np.where(unnamed, names, b"")
    names = np.where(unnamed, b"", names)
    if numbered.any():
        desig[numbered] = number[numbered].astype("S16")
    notnum = ~numbered
    if notnum.any():
        given = notnum & (text != b"")
        desig[given] = text[given]
        missing = np.flatnonzero(notnum & ~given)
        if missing.size:
            desig[missing] = np.array(
                [unpack_designation(p.decode()) for p in packed[missing]], dtype="S16"
            )
        prov = np.where(notnum, desig, prov)
    return _shrink(desig), _shrink(names), _shrink(np.asarray(prov, dtype="S16"))


# --------------------------------------------------------------------------- JSON


def _json_float(v):
    if v is None or v == "":
        return np.nan
    return float(v)


_JSON_TYPES = {
    "mba": "MBA",
    "atira": "Atira",
    "aten": "Aten",
    "apollo": "Apollo",
    "amor": "Amor",
    "hungaria": "Hungaria",
    "phocaea": "Phocaea",
    "hilda": "Hilda",
    "jupiter trojan": "Jupiter Trojan",
    "distant object": "Distant object",
    "object with perihelion distance < 1.665 au": "Object with q<1.665",
    "object with q < 1.665 au": "Object with q<1.665",
}


def _parse_json(data: bytes):
    try:
        rows = json.loads(data)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON ({exc}); read_mpcorb reads MPCORB.DAT or the MPC's "
            "mpcorb_extended.json"
        ) from None
    if isinstance(rows, dict):
        rows = [rows]
    if not isinstance(rows, list):
        raise InputError("the MPC JSON export must be a list of objects (dicts)")
    n = len(rows)
    bad = _Bad(n)
    out = {
        k: np.full(n, np.nan)
        for k in ("H", "G", "M", "argperi", "node", "i", "e", "n", "a", "rms", "arc")
    }
    out["epoch_jd_tt"] = np.full(n, np.nan)
    ints = {
        k: np.full(n, -1, dtype=np.int64)
        for k in ("number", "U", "n_obs", "n_opp", "first_year", "last_year", "flags")
    }
    strs = {
        k: [b""] * n
        for k in (
            "packed",
            "reference",
            "perturbers",
            "perturbers_2",
            "computer",
            "last_obs",
            "U_flag",
            "designation",
            "name",
            "provisional",
        )
    }
    otype = [""] * n
    keys = {
        "M": "M",
        "argperi": "Peri",
        "node": "Node",
        "i": "i",
        "e": "e",
        "a": "a",
        "n": "n",
        "H": "H",
        "G": "G",
        "rms": "rms",
    }
    for k, row in enumerate(rows):
        if not isinstance(row, dict):
            bad.add_row(k, "row", "not a JSON object")
            continue
        field = None
        try:
            for col, key in keys.items():
                field = key
                out[col][k] = _json_float(row.get(key))
            field = "Epoch"
            out["epoch_jd_tt"][k] = _json_float(row.get("Epoch"))
            field = "Number"
            num = str(row.get("Number") or "").strip().strip("()")
            ints["number"][k] = int(num) if num else -1
            field = "U"
            uval = str(row.get("U", "")).strip()
            if uval.isdigit():
                ints["U"][k] = int(uval)
            elif uval in ("E", "D", "F"):
                strs["U_flag"][k] = uval.encode()
            field = "Num_obs"
            ints["n_obs"][k] = int(row.get("Num_obs", -1) or -1)
            field = "Num_opps"
            ints["n_opp"][k] = int(row.get("Num_opps", -1) or -1)
            field = "Arc_years"
            arcy = str(row.get("Arc_years") or "")
            if "-" in arcy:
                y0, y1 = arcy.split("-")
                ints["first_year"][k], ints["last_year"][k] = int(y0), int(y1)
                out["arc"][k] = (int(y1) - int(y0)) * 365.25
            elif row.get("Arc_length") is not None:
                out["arc"][k] = float(row["Arc_length"])
            field = "Hex_flags"
            hx = str(row.get("Hex_flags") or "").strip()
            if hx:
                ints["flags"][k] = int(hx, 16)
        except (TypeError, ValueError):
            bad.add_row(k, field, "not a number")
            continue
        name = str(row.get("Name") or "").strip()
        prov = str(row.get("Principal_desig") or "").strip()
        num = ints["number"][k]
        strs["designation"][k] = (str(num) if num >= 0 else prov).encode("utf-8")
        strs["name"][k] = name.encode("utf-8")
        strs["provisional"][k] = prov.encode("utf-8")
        if num >= 0:
            strs["packed"][k] = str(pack_number(num)).encode() if 0 < num <= 15396335 else b""
        elif prov:
            try:
                strs["packed"][k] = pack_designation(prov).encode()
            except InputError:
                strs["packed"][k] = b""
        strs["reference"][k] = str(row.get("Ref") or "").encode()
        strs["perturbers"][k] = str(row.get("Perturbers") or "").encode()
        strs["perturbers_2"][k] = str(row.get("Perturbers_2") or "").encode()
        strs["computer"][k] = str(row.get("Computer") or "").encode()
        strs["last_obs"][k] = str(row.get("Last_obs") or "").replace("-", "").encode()
        otype[k] = str(row.get("Orbit_type") or "")
        if ints["flags"][k] < 0:
            fl = 0
            if row.get("NEO_flag"):
                fl |= FLAG_NEO
            if row.get("One_km_NEO_flag"):
                fl |= FLAG_KM_NEO
            if row.get("PHA_flag"):
                fl |= FLAG_PHA
            if fl or otype[k]:
                ints["flags"][k] = fl | _type_code(otype[k])
    for name in ("M", "argperi", "node", "i", "e"):
        bad.add(np.isnan(out[name]), name, "missing but required")
    bad.add(np.isnan(out["epoch_jd_tt"]), "Epoch", "missing but required")
    a = out["a"]
    from_n = np.isnan(a) & (out["n"] > 0)
    a[from_n] = (_GAUSS_K_DEG / out["n"][from_n]) ** (2.0 / 3.0)
    with np.errstate(invalid="ignore"):
        bad.add(np.isnan(a) | (a <= 0), "a", "missing or not > 0")
        bad.add((out["e"] < 0) | (out["e"] >= 1), "e", "eccentricity outside [0, 1)")
    no_desig = np.array([len(s) == 0 for s in strs["designation"]], dtype=bool)
    bad.add(no_desig, "Principal_desig", "no designation (Number or Principal_desig)")
    out.update(ints)
    for k, v in strs.items():
        out[k] = np.array(v, dtype="S") if n else np.zeros(0, dtype="S1")
    return out, bad


def _type_code(orbit_type: str) -> int:
    name = _JSON_TYPES.get(orbit_type.strip().lower())
    for code, label in ORBIT_TYPES.items():
        if label == name:
            return code
    return 0


# --------------------------------------------------------------------------- cache


def _cache_dir(path: Path, cache, size: int, mtime_ns: int):
    """Folder of the cached columns of ``path`` (None when caching is off)."""
    if cache is False or cache is None:
        return None
    if cache is True:
        from astropy.config.paths import get_cache_dir_path

        try:
            folder = get_cache_dir_path() / "astro_sso" / "mpcorb"
        except OSError:  # no writable home: no cache
            return None
    else:
        folder = Path(cache)
    who = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    state = hashlib.sha256(f"{size}|{mtime_ns}|{_CACHE_VERSION}".encode()).hexdigest()[:12]
    return folder / f"{path.name}-{who}-{state}"


def _save_cache(target: Path, arrays: dict, bad_info: dict):
    """Write one .npy per column into a temporary folder, then rename it into place.

    Older caches of the same file (other size or modification time) are removed,
    so a daily MPCORB update does not pile up copies.
    """
    stem = target.name.rsplit("-", 1)[0]
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        for k, v in arrays.items():
            np.save(tmp / f"c_{k}.npy", v, allow_pickle=False)
        for k, v in bad_info.items():
            np.save(tmp / f"b_{k}.npy", v, allow_pickle=False)
        (tmp / "complete").write_text(_CACHE_VERSION)
        for old in target.parent.glob(f"{stem}-*"):
            if old != target and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    except OSError as exc:
        warnings.warn(
            f"could not write the MPCORB cache {target} ({exc}); "
            "the next read parses the text again",
            AstroSSOWarning,
            stacklevel=3,
        )
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _load_cache(target: Path):
    marker = target / "complete"
    if not marker.exists() or marker.read_text() != _CACHE_VERSION:
        return None
    try:
        arrays, bad = {}, {}
        for f in target.glob("*.npy"):
            d = arrays if f.name.startswith("c_") else bad
            d[f.stem[2:]] = np.load(f, allow_pickle=False)
        return arrays, bad
    except (OSError, ValueError):
        return None


# --------------------------------------------------------------------------- table


def _tt_to_tdb(jd_tt):
    """TDB `~astropy.time.Time` of TT Julian dates.

    TDB - TT from the two leading periodic terms (1.657 ms sin g + 0.014 ms
    sin 2g, g the Earth's mean anomaly; accurate to ~30 us), which needs no
    UTC or UT1 and so works for any date.
    """
    jd_tt = np.asarray(jd_tt, dtype=float)
    g = np.radians(357.53 + 0.98560028 * (jd_tt - 2451545.0))
    dt_s = 0.001657 * np.sin(g) + 0.000014 * np.sin(2 * g)
    return Time(jd_tt, dt_s / 86400.0, format="jd", scale="tdb")


def classify_orbits(a, e, i):
    """Approximate dynamical class from osculating elements (MPC-like cuts).

    Used when a catalogue carries no MPC orbit-type flags. The cuts follow the
    usual definitions (q = a(1-e), Q = a(1+e)): Atira (a < 1 AU, Q < 0.983),
    Aten (a < 1, Q > 0.983), Apollo (a > 1, q < 1.017), Amor (1.017 < q <
    1.3), 'Object with q<1.665' (q < 1.665), Hungaria (1.78 < a < 2.0, e <
    0.18, 16 < i < 34 deg), Phocaea (2.25 < a < 2.5, e > 0.1, 18 < i < 32),
    Hilda (3.7 < a < 4.2, e < 0.3, i < 20), Jupiter Trojan (5.05 < a < 5.35,
    e < 0.25), 'Distant object' (a > 5.5 AU or hyperbolic), else 'MBA'.

    Parameters
    ----------
    a : array-like or `~astropy.units.Quantity`
        Semi-major axis [AU] (negative for hyperbolic orbits).
    e, i : array-like
        Eccentricity and inclination [deg] (or Quantity).

    Returns
    -------
    ndarray of str

    Examples
    --------
    >>> from astro_sso.catalog import classify_orbits
    >>> a, e, i = [2.77, 0.92, 1.5, 5.2, 3.97], [0.08, 0.19, 0.2, 0.1, 0.1], [10.6, 3.3, 5, 10, 8]
    >>> classify_orbits(a, e, i).tolist()
    ['MBA', 'Aten', 'Amor', 'Jupiter Trojan', 'Hilda']
    """
    a = np.atleast_1d(u.Quantity(a, u.AU).value).astype(float)
    e = np.atleast_1d(np.asarray(getattr(e, "value", e), dtype=float))
    i = np.atleast_1d(u.Quantity(i, u.deg).value).astype(float)
    q = a * (1 - e)
    Q = a * (1 + e)
    out = np.full(np.broadcast(a, e, i).shape, "MBA", dtype="U19")
    rules = [
        ((a > 5.5) | (e >= 1) | (a < 0), "Distant object"),
        ((a > 5.05) & (a < 5.35) & (e < 0.25), "Jupiter Trojan"),
        ((a > 3.7) & (a < 4.2) & (e < 0.3) & (i < 20), "Hilda"),
        ((a > 2.25) & (a < 2.5) & (e > 0.1) & (i > 18) & (i < 32), "Phocaea"),
        ((a > 1.78) & (a < 2.0) & (e < 0.18) & (i > 16) & (i < 34), "Hungaria"),
        ((q < 1.665) & (a > 0), "Object with q<1.665"),
        ((q > 1.017) & (q < 1.3) & (a > 1), "Amor"),
        ((a >= 1) & (q < 1.017), "Apollo"),
        ((a < 1) & (a > 0) & (Q > 0.983), "Aten"),
        ((a < 1) & (a > 0) & (Q <= 0.983), "Atira"),
    ]
    for mask, label in rules:  # later rules take precedence
        out[np.broadcast_to(mask, out.shape)] = label
    return out


def _decode(arr):
    """Byte strings -> str array (fast path for ASCII, UTF-8 otherwise)."""
    if arr.size == 0:
        return np.zeros(0, dtype="U1")
    raw = np.ascontiguousarray(arr).view(np.uint8)
    if raw.size and raw.max() >= 128:
        return np.char.decode(arr, "utf-8")
    return arr.astype(f"U{arr.dtype.itemsize}")


def _to_table(arr: dict, meta: dict) -> QTable:
    """The orbits QTable from the parsed (or cached) columns, without needless copies."""

    def q(name, unit):
        return u.Quantity(arr[name], unit, copy=False)

    def masked(name):
        return MaskedColumn(arr[name], mask=arr[name] < 0, copy=False)

    jd = arr["epoch_jd_tt"]
    if jd.size and jd.min() == jd.max():
        tdb = _tt_to_tdb(jd[:1])
        epoch = Time(
            np.full(jd.size, tdb.jd1[0]), np.full(jd.size, tdb.jd2[0]), format="jd", scale="tdb"
        )
    elif jd.size:
        uniq, inv = np.unique(jd, return_inverse=True)
        tdb = _tt_to_tdb(uniq)
        epoch = Time(tdb.jd1[inv], tdb.jd2[inv], format="jd", scale="tdb")
    else:
        epoch = Time(np.zeros(0), format="jd", scale="tdb")
    flags = arr["flags"]
    code = np.where(flags >= 0, flags & 63, 7)
    labels = np.array([ORBIT_TYPES.get(k, "") for k in range(64)], dtype="U19")
    cls = labels[code]
    need = np.flatnonzero(cls == "")
    if need.size:
        cls[need] = classify_orbits(arr["a"][need], arr["e"][need], arr["i"][need])
    cols = {
        "designation": _decode(arr["designation"]),
        "number": arr["number"],
        "name": _decode(arr["name"]),
        "provisional": _decode(arr["provisional"]),
        "packed": arr["packed"],
        "a": q("a", u.AU),
        "e": arr["e"],
        "i": q("i", u.deg),
        "node": q("node", u.deg),
        "argperi": q("argperi", u.deg),
        "M": q("M", u.deg),
        "epoch": epoch,
        "H": q("H", u.mag),
        "G": arr["G"],
        "n": q("n", u.deg / u.day),
        "U": masked("U"),
        "U_flag": arr["U_flag"],
        "class": cls,
        "neo": (flags >= 0) & ((flags & FLAG_NEO) > 0),
        "pha": (flags >= 0) & ((flags & FLAG_PHA) > 0),
        "flags": masked("flags"),
        "n_obs": masked("n_obs"),
        "n_opp": masked("n_opp"),
        "first_year": masked("first_year"),
        "last_year": masked("last_year"),
        "arc": q("arc", u.day),
        "rms": q("rms", u.arcsec),
        "reference": arr["reference"],
        "perturbers": arr["perturbers"],
        "perturbers_2": arr["perturbers_2"],
        "computer": arr["computer"],
        "last_obs": arr["last_obs"],
    }
    return QTable(cols, meta=meta, copy=False)


def _report_bad(path, bad_info, errors, kind):
    lines = bad_info["line"]
    if lines.size == 0:
        return
    fields = bad_info["field"].astype(str)
    reasons = bad_info["reason"].astype(str)
    texts = bad_info["text"].astype(str)
    if errors == "raise":
        c = MPCORB_FIELDS.get(fields[0])
        where = f" (columns {c[0]}-{c[1]})" if c and kind == "fixed" else ""
        what = "line" if kind == "fixed" else "object"
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


def read_mpcorb(path, *, errors="raise", cache=True) -> QTable:
    """Read an MPC orbit file (MPCORB.DAT format or the JSON export) into an orbits table.

    Parameters
    ----------
    path : str or path-like
        ``MPCORB.DAT`` or any file in its fixed-width format (``NEA.txt``,
        ``DAILY.DAT``...; a header ending with a line of dashes is skipped,
        blank lines are ignored), or ``mpcorb_extended.json``; ``.gz``
        compression is recognised from the content.
    errors : {'raise', 'skip', 'warn'}
        What to do with a line that cannot be read (a field that is not a
        number, a missing required element, an eccentricity >= 1...):
        ``'raise'`` an `~astro_sso.exceptions.InputError` naming the line
        number and the field; ``'skip'`` the line (the table's
        ``meta['skipped_lines']`` lists them); ``'warn'``: skip and emit one
        `~astro_sso.exceptions.AstroSSOWarning` with the count and the first
        line numbers.
    cache : bool or path-like
        Cache the parsed columns in binary ``.npy`` files (in a folder keyed by
        the file's absolute path, size and modification time; the cache of an
        older version of the same file is removed) under the astropy cache
        folder (``True``: ``astro_sso/mpcorb`` under
        ``astropy.config.get_cache_dir_path()``), under a given folder, or not
        at all (``False``).

    Returns
    -------
    `~astropy.table.QTable`
        One row per object: ``designation`` (the number as a string for
        numbered objects, e.g. ``'1'``, else the provisional designation,
        e.g. ``'2007 TA418'``), ``number`` (-1 when unnumbered), ``name``
        (empty when none), ``provisional`` (the principal provisional
        designation when the file gives it: the readable designation of an
        unnumbered object, or the one an unnamed numbered object shows instead
        of a name), ``packed`` (the packed designation), ``a`` [AU],
        ``e``, ``i``, ``node``, ``argperi``, ``M`` [deg] (heliocentric,
        ecliptic J2000), ``epoch`` (Time, TDB), ``H`` [mag] and ``G`` (NaN
        when blank), ``n`` [deg/d], ``U`` (uncertainty parameter 0-9, masked
        when absent or a letter), ``U_flag`` ('E', 'D', 'F' or ''), ``class``
        (from the orbit-type flags, see `ORBIT_TYPES`; from the elements with
        `classify_orbits` when the file has no flags or code 7), ``neo``, ``pha``
        (bool), ``flags`` (the hex flags as an int), ``n_obs``, ``n_opp``,
        ``first_year``, ``last_year`` (masked for one-opposition orbits),
        ``arc`` [d] (days for one-opposition orbits; for multi-opposition
        orbits, years between first and last observation times 365.25),
        ``rms`` [arcsec], ``reference``, ``perturbers``, ``perturbers_2``,
        ``computer``, ``last_obs`` ('YYYYMMDD'). ``meta`` records the source
        file and the number of rows read and skipped.

    Raises
    ------
    InputError
        Missing file, unknown format, or (``errors='raise'``) a bad line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from astro_sso.catalog import read_mpcorb
    >>> from astro_sso.exceptions import InputError
    >>> pallas = ("00002    4.13  0.11 K107N  96.14829  310.15090  173.12949   34.84091  0.2309995"
    ...           "  0.21353950   2.7721533  0 MPO135420  7253  93 1827-2008 0.59 M-v 28h MPCW"
    ...           "       0000      (2) Pallas             20080101")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "two.dat"
    >>> _ = path.write_text(pallas + "\\n" + pallas.replace(" 0.2309995", " 1.2309995") + "\\n")
    >>> try:
    ...     read_mpcorb(path, cache=False)
    ... except InputError as exc:
    ...     print(str(exc).split(": ", 1)[1][:60])
    line 2: field 'e' (columns 71-79) holds '1.2309995': eccentr
    >>> len(read_mpcorb(path, errors="skip", cache=False))
    1
    """
    if errors not in ("raise", "skip", "warn"):
        raise InputError(f"errors must be 'raise', 'skip' or 'warn', got {errors!r}")
    path = Path(path)
    if not path.exists():
        raise InputError(f"orbit file '{path}' does not exist; give the path of MPCORB.DAT(.gz)")
    st = path.stat()
    cfile = _cache_dir(path, cache, st.st_size, st.st_mtime_ns)
    loaded = _load_cache(cfile) if cfile is not None else None
    if loaded is not None:
        arrays, bad_info = loaded
        kind = str(bad_info.get("kind", np.array("fixed")))
    else:
        arrays, bad_info, kind = _parse_file(path)
        if cfile is not None:
            _save_cache(cfile, arrays, {**bad_info, "kind": np.array(kind)})
    _report_bad(path, bad_info, errors, kind)
    meta = {
        "source": str(path),
        "format": "MPC JSON export" if kind == "json" else "MPCORB fixed-width",
        "n_rows": int(arrays["a"].size),
        "n_skipped": int(bad_info["line"].size),
    }
    if bad_info["line"].size:
        meta["skipped_lines"] = bad_info["line"][:1000].astype(int).tolist()
    return _to_table(arrays, meta)


def _parse_file(path: Path):
    data = _read_bytes(path)
    head = data[:4096].lstrip()
    if head[:1] in (b"[", b"{"):
        arrays, bad = _parse_json(data)
        kind = "json"
        line_no = np.arange(1, bad.mask.size + 1)  # object index, 1-based
        texts = np.array([""] * bad.mask.size, dtype=object)
    else:
        buf = np.frombuffer(data, dtype=np.uint8)
        starts, lengths = _split_lines(buf)
        # skip a header that ends with a line of dashes (within the first 200 lines)
        first = 0
        for k in range(min(200, starts.size)):
            if data[starts[k] : starts[k] + 5] == b"-----":
                first = k + 1
                break
        line_no = np.arange(1, starts.size + 1)[first:]
        starts, lengths = starts[first:], lengths[first:]
        nonblank = lengths > 0
        mat = _line_matrix(buf, starts[nonblank], lengths[nonblank], _WIDTH)
        line_no = line_no[nonblank]
        lengths = lengths[nonblank]
        # lines of spaces only are blank too (check the rows whose designation is blank)
        cand = np.flatnonzero((mat[:, :7] == 32).all(axis=1))
        if cand.size:
            spaces = cand[~(mat[cand] != 32).any(axis=1)]
            if spaces.size:
                keep = np.ones(mat.shape[0], dtype=bool)
                keep[spaces] = False
                mat, line_no, lengths = mat[keep], line_no[keep], lengths[keep]
        short = lengths < _MIN_WIDTH
        arrays, bad = _parse_blocks(mat)
        # a short line: report it as such, whatever field failed first
        bad.field[short] = "line"
        bad.reason[short] = (
            f"line shorter than {_MIN_WIDTH} characters (the elements end in column 103)"
        )
        bad.mask |= short
        kind = "fixed"
        texts = np.array([""] * mat.shape[0], dtype=object)
        for r in np.flatnonzero(bad.mask)[:1000]:
            f = bad.field[r]
            if f in MPCORB_FIELDS:
                c0, c1 = MPCORB_FIELDS[f]
                texts[r] = bytes(mat[r, c0 - 1 : c1]).decode("ascii", "replace").strip()
            else:
                texts[r] = bytes(mat[r, :80]).decode("ascii", "replace").rstrip()
    badrows = np.flatnonzero(bad.mask)
    bad_info = {
        "line": line_no[badrows].astype(np.int64),
        "field": np.array(bad.field[badrows].tolist() or [""], dtype="U16")[: badrows.size],
        "reason": np.array(bad.reason[badrows].tolist() or [""], dtype="U80")[: badrows.size],
        "text": np.array(texts[badrows].tolist() or [""], dtype="U80")[: badrows.size],
    }
    keep = ~bad.mask
    arrays = {k: v[keep] for k, v in arrays.items()}
    return arrays, bad_info, kind


# --------------------------------------------------------------------------- writer


def _fmt_fixed(values, width, decimals, *, blank_nan=True, name="field"):
    """Right-justified fixed-point text of floats (Fortran ``fW.D``) as an (N, W) byte matrix.

    NaN gives a blank field (or an error when ``blank_nan`` is False).
    """
    v = np.asarray(values, dtype=float).ravel()
    n = v.size
    out = np.full((n, width), 32, dtype=np.uint8)
    nan = ~np.isfinite(v)
    if nan.any() and not blank_nan:
        r = int(np.flatnonzero(nan)[0])
        raise InputError(f"{name}: row {r} is not finite ({v[r]}); the MPCORB field needs a value")
    rem = np.rint(np.abs(np.where(nan, 0.0, v)) * 10.0**decimals).astype(np.int64)
    neg = (v < 0) & (rem > 0)
    point = width - 1 - decimals if decimals else width
    units = point - 1
    for j in range(width - 1, -1, -1):
        if j == point:
            out[:, j] = 46
            continue
        digit = rem % 10
        rem //= 10
        if j >= units:  # decimals and the units digit are always written
            out[:, j] = 48 + digit
        else:
            more = (digit > 0) | (rem > 0)
            out[more, j] = 48 + digit[more]
    first = np.argmax(out != 32, axis=1)
    overflow = ~nan & ((rem > 0) | (neg & (first == 0)))
    if overflow.any():
        r = int(np.flatnonzero(overflow)[0])
        raise InputError(
            f"{name}: value {v[r]!r} (row {r}) does not fit the {width}-character field "
            "of the MPCORB format"
        )
    rows = np.flatnonzero(neg)
    out[rows, first[rows] - 1] = 45
    out[nan] = 32
    return out


def _fmt_int(values, width, *, blank=None, name="field"):
    v = np.asarray(values)
    mask = np.zeros(v.shape, dtype=bool) if blank is None else np.asarray(blank, dtype=bool)
    return _fmt_fixed(np.where(mask, np.nan, v.astype(float)), width, 0, name=name)


def _fmt_str(values, width, *, right=False):
    arr = np.asarray(values)
    if arr.dtype.kind == "U":
        try:
            arr = arr.astype("S") if arr.size else arr.astype("S1")
        except UnicodeEncodeError:
            arr = np.char.encode(arr, "ascii", "replace")
    arr = np.asarray(arr, dtype="S")
    n = arr.size
    lens = np.char.str_len(arr) if n else np.zeros(0, dtype=int)
    if n and lens.max() > width:
        r = int(np.argmax(lens))
        raise InputError(
            f"text {arr[r]!r} (row {r}) is longer than its {width}-character MPCORB field"
        )
    mat = np.zeros((n, width), dtype=np.uint8)
    if n:
        raw = np.ascontiguousarray(arr.astype(f"S{width}")).view(np.uint8).reshape(n, width)
        mat[:] = raw
    mat[mat == 0] = 32
    if right:
        for L in np.unique(lens):
            sel = lens == L
            shifted = np.full((int(sel.sum()), width), 32, dtype=np.uint8)
            shifted[:, width - L :] = mat[sel, :L]
            mat[sel] = shifted
    return mat


def _values(col, unit=None):
    if unit is not None and hasattr(col, "unit") and col.unit is not None:
        col = col.to(unit)
    val = getattr(col, "value", col)
    if isinstance(col, MaskedColumn) or np.ma.isMaskedArray(val):
        return np.ma.getdata(val), np.ma.getmaskarray(val)
    if isinstance(val, Masked):
        return val.unmasked, val.mask
    return np.asarray(val), np.zeros(np.shape(val), dtype=bool)


def write_mpcorb(table, path, *, header=True, overwrite=False):
    """Write an orbits table in the MPCORB fixed-width format.

    Parameters
    ----------
    table : `~astropy.table.Table`
        Orbits with ``designation`` (or ``number``), ``a``, ``e``, ``i``,
        ``node``, ``argperi``, ``M``, ``epoch`` (on 0h TT, as the format
        holds whole days); optional ``H``, ``G``, ``n`` (else from ``a``),
        ``U``, ``U_flag``, ``reference``, ``n_obs``, ``n_opp``,
        ``first_year``/``last_year`` or ``arc``, ``rms``, ``perturbers``,
        ``perturbers_2``, ``computer``, ``flags`` (else from ``class``, ``neo``
        and ``pha`` when present), ``name``, ``last_obs``.
    path : str or path-like
        Output file; gzip-compressed when it ends with ``.gz``.
    header : bool
        Write a short header ending with a line of dashes, as MPCORB.DAT has.
    overwrite : bool
        Replace an existing file.

    Raises
    ------
    InputError
        Missing columns, values that do not fit their fields, epochs not at
        0h TT, or an existing file without ``overwrite``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from astro_sso.catalog import read_mpcorb, write_mpcorb
    >>> from astro_sso.simulate import synthetic_orbits
    >>> orb = synthetic_orbits(3, seed=1)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "syn.dat"
    >>> orb["designation"] = ["2024 AA", "2024 AB", "2024 AC"]
    >>> write_mpcorb(orb, path)
    >>> back = read_mpcorb(path, cache=False)
    >>> back["designation"].tolist(), bool(abs(back["a"] - orb["a"]).max().value < 1e-7)
    (['2024 AA', '2024 AB', '2024 AC'], True)
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise InputError(f"'{path}' exists; pass overwrite=True to replace it")
    cols = table.colnames
    missing = [c for c in ("a", "e", "i", "node", "argperi", "M", "epoch") if c not in cols]
    if "designation" not in cols and "number" not in cols:
        missing.insert(0, "designation")
    if missing:
        raise InputError(
            f"write_mpcorb needs columns {missing} (Keplerian elements, epoch and a designation); "
            f"got {cols}"
        )
    n = len(table)
    lines = np.full((n, _WIDTH + 1), 32, dtype=np.uint8)
    lines[:, -1] = 10

    def put(name, mat):
        c0, c1 = MPCORB_FIELDS[name]
        lines[:, c0 - 1 : c1] = mat

    number = (
        _values(table["number"])[0].astype(np.int64)
        if "number" in cols
        else np.full(n, -1, np.int64)
    )
    if "number" in cols:
        nmask = _values(table["number"])[1]
        number = np.where(nmask, -1, number)
    desig = (
        np.asarray(table["designation"], dtype=str) if "designation" in cols else number.astype(str)
    )
    numbered = number > 0
    packed = np.empty(n, dtype="U7")
    if numbered.any():
        packed[numbered] = pack_number(number[numbered])
    rest = np.flatnonzero(~numbered)
    if rest.size:
        packed[rest] = pack_designation(desig[rest])
        # a designation that is a number packs as a number
        isnum = np.char.isdigit(desig[rest])
        if isnum.any():
            number[rest[isnum]] = desig[rest[isnum]].astype(np.int64)
            numbered = number > 0
    put("packed", _fmt_str(packed, 7))
    H, Hm = _values(table["H"], u.mag) if "H" in cols else (np.full(n, np.nan), np.ones(n, bool))
    put("H", _fmt_fixed(np.where(Hm, np.nan, H), 5, 2, name="H"))
    G, Gm = _values(table["G"]) if "G" in cols else (np.full(n, np.nan), np.ones(n, bool))
    put("G", _fmt_fixed(np.where(Gm, np.nan, G), 5, 2, name="G"))
    if n:
        ep = table["epoch"]
        ep = ep if ep.scale == "tdb" else ep.tdb
        pair = np.stack([ep.jd1, ep.jd2], axis=1)
        uniq, inv = np.unique(pair, axis=0, return_inverse=True)
        packed_ep = pack_epoch(Time(uniq[:, 0], uniq[:, 1], format="jd", scale="tdb"))
        put("epoch", _fmt_str(np.atleast_1d(packed_ep)[inv.ravel()], 5))
    M = np.mod(_values(table["M"], u.deg)[0], 360.0)
    put("M", _fmt_fixed(M, 9, 5, blank_nan=False, name="M"))
    put(
        "argperi",
        _fmt_fixed(
            np.mod(_values(table["argperi"], u.deg)[0], 360.0),
            9,
            5,
            blank_nan=False,
            name="argperi",
        ),
    )
    put(
        "node",
        _fmt_fixed(
            np.mod(_values(table["node"], u.deg)[0], 360.0), 9, 5, blank_nan=False, name="node"
        ),
    )
    put("i", _fmt_fixed(_values(table["i"], u.deg)[0], 9, 5, blank_nan=False, name="i"))
    e = _values(table["e"])[0].astype(float)
    a = _values(table["a"], u.AU)[0].astype(float)
    if np.any((e < 0) | (e >= 1) | (a <= 0)):
        r = int(np.flatnonzero((e < 0) | (e >= 1) | (a <= 0))[0])
        raise InputError(
            f"row {r} ('{desig[r]}'): e={e[r]}, a={a[r]} AU; the MPCORB format holds elliptic "
            "orbits only (0 <= e < 1, a > 0); write comets and hyperbolic orbits elsewhere"
        )
    put("e", _fmt_fixed(e, 9, 7, blank_nan=False, name="e"))
    nmot = _values(table["n"], u.deg / u.day)[0] if "n" in cols else _GAUSS_K_DEG / a**1.5
    put("n", _fmt_fixed(nmot, 11, 8, blank_nan=False, name="n"))
    put("a", _fmt_fixed(a, 11, 7, blank_nan=False, name="a"))
    if "U" in cols:
        U, Um = _values(table["U"])
        Uc = np.where(Um | (U < 0), 32, 48 + np.clip(U, 0, 9)).astype(np.uint8)
    else:
        Uc = np.full(n, 32, dtype=np.uint8)
    if "U_flag" in cols:
        fl = _fmt_str(np.asarray(table["U_flag"]), 1)[:, 0]
        Uc = np.where(fl != 32, fl, Uc)
    put("U", Uc[:, None])
    if "reference" in cols:
        put("reference", _fmt_str(np.asarray(table["reference"]), 9))
    if "n_obs" in cols:
        v, m = _values(table["n_obs"])
        put("n_obs", _fmt_int(v, 5, blank=m | (v < 0), name="n_obs"))
    if "n_opp" in cols:
        v, m = _values(table["n_opp"])
        put("n_opp", _fmt_int(v, 3, blank=m | (v < 0), name="n_opp"))
    arcm = np.full((n, 9), 32, dtype=np.uint8)
    if "first_year" in cols and "last_year" in cols:
        y0, m0 = _values(table["first_year"])
        y1, m1 = _values(table["last_year"])
        ok = ~m0 & ~m1 & (y0 > 0) & (y1 > 0)
        arcm[ok, 0:4] = _fmt_int(y0[ok], 4, name="first_year")
        arcm[ok, 4] = ord("-")
        arcm[ok, 5:9] = _fmt_int(y1[ok], 4, name="last_year")
    else:
        ok = np.zeros(n, dtype=bool)
    if "arc" in cols:
        ad, am = _values(table["arc"], u.day)
        one = ~ok & ~am & np.isfinite(ad)
        arcm[one, 0:4] = _fmt_int(np.rint(ad[one]), 4, name="arc")
        arcm[one, 5:9] = np.frombuffer(b"days", dtype=np.uint8)
    put("arc", arcm)
    if "rms" in cols:
        v, m = _values(table["rms"], u.arcsec)
        put("rms", _fmt_fixed(np.where(m, np.nan, v), 4, 2, name="rms"))
    for name, w in (("perturbers", 3), ("perturbers_2", 3), ("computer", 10)):
        if name in cols:
            put(name, _fmt_str(np.asarray(table[name]), w))
    flags = np.full(n, -1, dtype=np.int64)
    if "flags" in cols:
        v, m = _values(table["flags"])
        flags = np.where(m, -1, v).astype(np.int64)
    elif "class" in cols:
        # MPC orbit-type names map to their codes; other labels ('NEA', 'Trojan'...)
        # are replaced by the class the elements give
        codes = {lab: code for code, lab in ORBIT_TYPES.items()}
        cls = np.asarray(table["class"], dtype=str).astype("U32")
        other = ~np.isin(cls, list(codes))
        if other.any():
            cls[other] = classify_orbits(a[other], e[other], _values(table["i"], u.deg)[0][other])
        flags = np.zeros(n, dtype=np.int64)
        for lab, code in codes.items():
            flags[cls == lab] = code
        if "neo" in cols:
            flags |= np.where(np.asarray(table["neo"], dtype=bool), FLAG_NEO, 0)
        if "pha" in cols:
            flags |= np.where(np.asarray(table["pha"], dtype=bool), FLAG_PHA, 0)
    hexd = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)
    fm = np.full((n, 4), 32, dtype=np.uint8)
    has = flags >= 0
    for j, sh in enumerate((12, 8, 4, 0)):
        fm[has, j] = hexd[(flags[has] >> sh) & 15]
    put("flags", fm)
    names = np.asarray(table["name"], dtype=str) if "name" in cols else np.full(n, "")
    if "provisional" in cols:  # unnamed numbered objects show their provisional designation
        prov = np.asarray(table["provisional"], dtype=str)
        names = np.where((names == "") & (number > 0), prov, names)
    readable = np.full((n, 28), 32, dtype=np.uint8)
    if numbered.any():
        idx = np.flatnonzero(numbered)
        nums = np.char.add(np.char.add("(", number[idx].astype(str)), ")")
        short = np.char.str_len(nums) <= 8
        readable[idx[short], :8] = _fmt_str(nums[short], 8, right=True)
        readable[idx[short], 9:] = _fmt_str(names[idx[short]], 19)
        if (~short).any():  # numbers of 7 digits: "(1234567) Name" from column 167
            long = np.char.add(np.char.add(nums[~short], " "), names[idx[~short]])
            readable[idx[~short]] = _fmt_str(np.char.rstrip(long), 28)
    if (~numbered).any():
        readable[~numbered, 9:] = _fmt_str(desig[~numbered], 19)
    put("readable", readable)
    if "last_obs" in cols:
        put(
            "last_obs",
            _fmt_str(np.char.replace(np.asarray(table["last_obs"], dtype=str), "-", ""), 8),
        )
    body = lines.tobytes()
    head = b""
    if header:
        head = (
            b"MINOR PLANET CENTER ORBIT DATABASE (MPCORB) format, written by astro-sso\n"
            b"Columns as in https://minorplanetcenter.net/iau/info/MPOrbitFormat.html\n\n"
            b"Des'n     H     G   Epoch     M        Peri.      Node       Incl.       e"
            b"            n           a        Reference #Obs #Opp    Arc    rms  Perts"
            b"   Computer\n" + b"-" * _WIDTH + b"\n"
        )
    payload = head + body
    with atomic_path(path) as tmp:
        if path.suffix == ".gz":
            with gzip.open(tmp, "wb", compresslevel=6) as fh:
                fh.write(payload)
        else:
            tmp.write_bytes(payload)


# --------------------------------------------------------------------------- comets


_COMET_NUMBERED = re.compile(r"^(\d+[PDIX](?:-[A-Z]{1,2})?)/(.*)$")
_COMET_PROV = re.compile(r"^([PCDXAI]/\d{4} [A-Z]{1,2}\d*(?:-[A-Z]{1,2})?)\s*(?:\((.*)\))?\s*$")


def _comet_designation(text: str):
    text = text.strip()
    m = _COMET_NUMBERED.match(text)
    if m:
        return m.group(1), m.group(2).strip()
    m = _COMET_PROV.match(text)
    if m:
        return m.group(1), (m.group(2) or "").strip()
    return text, ""


def read_comet_els(path, *, errors="raise") -> QTable:
    """Read the MPC's comet elements file (``CometEls.txt``).

    Parameters
    ----------
    path : str or path-like
        The file (plain or gzip), in the MPC's "Ephemerides and Orbital
        Elements" comet format: perihelion date (cols 15-29), q (31-39), e
        (42-49), argperi (52-59), node (62-69), i (72-79), epoch (82-89, blank
        for unperturbed orbits), H (92-95), K (97-100), designation and name
        (103-158), reference (160-168).
    errors : {'raise', 'skip', 'warn'}
        As in `read_mpcorb`.

    Returns
    -------
    `~astropy.table.QTable`
        ``designation`` ('1P', 'C/1995 O1'...), ``name``, ``number`` (-1:
        comets have no minor-planet number), ``class`` ('Comet'), ``q`` [AU],
        ``e``, ``tp`` (Time TDB; the file gives TT), ``i``, ``node``,
        ``argperi`` [deg], ``epoch`` (Time TDB; the perihelion date rounded to
        0h when the file gives none), ``a`` [AU] and ``M`` [deg] (hyperbolic
        orbits: a < 0 and the hyperbolic mean anomaly; masked for parabolic
        orbits, e = 1, which only the cometary elements describe: remove ``a``
        and ``M`` before `~astro_sso.ephemeris.prepare_orbits` for such
        tables), ``H`` [mag] and ``K`` (the comet total-magnitude law
        m = H + 5 log(delta) + 2.5 K log(r)), ``reference``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from astro_sso.catalog import read_comet_els
    >>> line = ("0001P         2061 08 31.8266  0.583972  0.967311  112.5470   59.6368  162.2146"
    ...         "  20250501   4.0  6.0  1P/Halley" + " " * 49 + "98, 1083")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "CometEls.txt"
    >>> _ = path.write_text(line + "\\n")
    >>> c = read_comet_els(path)
    >>> str(c["designation"][0]), str(c["name"][0]), round(float(c["a"][0].value), 3)
    ('1P', 'Halley', 17.864)
    """
    if errors not in ("raise", "skip", "warn"):
        raise InputError(f"errors must be 'raise', 'skip' or 'warn', got {errors!r}")
    data = _read_bytes(path)
    text_lines = data.decode("utf-8", "replace").splitlines()
    rows = []
    bad = []
    fields = {
        "perihelion year": (15, 18, "int"),
        "perihelion month": (20, 21, "int"),
        "perihelion day": (23, 29, "float"),
        "q": (31, 39, "float"),
        "e": (42, 49, "float"),
        "argperi": (52, 59, "float"),
        "node": (62, 69, "float"),
        "i": (72, 79, "float"),
    }
    for k, line in enumerate(text_lines, start=1):
        if not line.strip():
            continue
        rec = {}
        err = None
        for name, (c0, c1, kind) in fields.items():
            txt = line[c0 - 1 : c1].strip()
            try:
                rec[name] = int(txt) if kind == "int" else float(txt)
            except ValueError:
                err = (name, txt)
                break
        if err is None:
            ep = line[81:89].strip()
            try:
                rec["epoch"] = (int(ep[:4]), int(ep[4:6]), int(ep[6:8])) if ep else None
            except ValueError:
                err = ("epoch", ep)
        if err is None:
            for name, (c0, c1) in (("H", (92, 95)), ("K", (97, 100))):
                txt = line[c0 - 1 : c1].strip()
                try:
                    rec[name] = float(txt) if txt else np.nan
                except ValueError:
                    err = (name, txt)
                    break
        if err is None and (rec["e"] < 0 or rec["q"] <= 0):
            err = ("e", line[41:49].strip())
        if err is not None:
            bad.append((k, err[0], err[1]))
            continue
        rec["designation"], rec["name"] = _comet_designation(line[102:158])
        rec["reference"] = line[159:168].strip()
        rows.append(rec)
    if bad:
        if errors == "raise":
            k, f, txt = bad[0]
            raise InputError(
                f"{path}: line {k}: field '{f}' holds {txt!r}: not a valid value; "
                f"{len(bad)} bad line(s) in all. Fix the line or read with errors='skip'"
            )
        if errors == "warn":
            warnings.warn(
                f"{path}: skipped {len(bad)} unreadable line(s); first: {[b[0] for b in bad[:5]]}",
                AstroSSOWarning,
                stacklevel=2,
            )
    n = len(rows)
    t = QTable(meta={"source": str(path), "format": "MPC CometEls", "n_skipped": len(bad)})
    t["designation"] = (
        np.array([r["designation"] for r in rows], dtype=str) if n else np.zeros(0, "U1")
    )
    t["name"] = np.array([r["name"] for r in rows], dtype=str) if n else np.zeros(0, "U1")
    t["number"] = np.full(n, -1, dtype=np.int64)
    t["class"] = np.full(n, "Comet")
    yr = np.array([r["perihelion year"] for r in rows], dtype=np.int64)
    mo = np.array([r["perihelion month"] for r in rows], dtype=np.int64)
    dy = np.array([r["perihelion day"] for r in rows], dtype=float)
    tp_tt = calendar_to_jd(yr, mo, np.floor(dy).astype(np.int64)) + (dy - np.floor(dy))
    tp = _tt_to_tdb(tp_tt)
    ep_tt = np.array(
        [
            calendar_to_jd(*r["epoch"]) if r["epoch"] else np.floor(tp_tt[j] - 0.5) + 0.5
            for j, r in enumerate(rows)
        ],
        dtype=float,
    )
    epoch = _tt_to_tdb(ep_tt)
    q = np.array([r["q"] for r in rows], dtype=float)
    e = np.array([r["e"] for r in rows], dtype=float)
    t["q"] = q * u.AU
    t["e"] = e
    t["tp"] = tp
    for name in ("i", "node", "argperi"):
        t[name] = np.array([r[name] for r in rows], dtype=float) * u.deg
    t["epoch"] = epoch
    # a and M: elliptic and hyperbolic orbits (a < 0 with the hyperbolic mean anomaly,
    # the convention of the package's Keplerian elements); masked for parabolic ones
    conic = e != 1.0
    a = np.where(conic, q / np.where(conic, 1.0 - e, 1.0), np.nan)
    nmot = np.where(conic, _GAUSS_K_DEG / np.abs(np.where(conic, a, 1.0)) ** 1.5, np.nan)
    since = (epoch.jd1 - tp.jd1) + (epoch.jd2 - tp.jd2)
    M = nmot * since
    M = np.where(e < 1, np.mod(M, 360.0), M)
    t["a"] = Masked(np.where(conic, a, 0.0) * u.AU, mask=~conic)
    t["M"] = Masked(np.where(conic, M, 0.0) * u.deg, mask=~conic)
    t["H"] = np.array([r["H"] for r in rows], dtype=float) * u.mag
    t["K"] = np.array([r["K"] for r in rows], dtype=float)
    t["reference"] = np.array([r["reference"] for r in rows], dtype=str) if n else np.zeros(0, "U1")
    return t
