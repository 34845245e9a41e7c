"""Writer of orbits tables in the MPC's fixed-width MPCORB format.

The whole file is built as one byte matrix (a row per object, the columns of
`astro_sso.catalog.MPCORB_FIELDS`), each field formatted for all rows at once.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.table import MaskedColumn
from astropy.time import Time
from astropy.utils.masked import Masked

from ..ephemeris.constants import GAUSS_K_DEG
from ..exceptions import InputError
from ..io import atomic_path
from .mpcorb import _WIDTH, MPCORB_FIELDS
from .orbit_classes import _flags_from_classes
from .packed import pack_designation, pack_epoch, pack_number

__all__ = ["write_mpcorb"]


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

    if "number" in cols:
        num, nmask = _values(table["number"])
        number = np.where(nmask, -1, num.astype(np.int64))
    else:
        number = np.full(n, -1, np.int64)
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
    for name in ("M", "argperi", "node"):
        angle = np.mod(_values(table[name], u.deg)[0], 360.0)
        put(name, _fmt_fixed(angle, 9, 5, blank_nan=False, name=name))
    inc = _values(table["i"], u.deg)[0].astype(float)
    put("i", _fmt_fixed(inc, 9, 5, blank_nan=False, name="i"))
    e = _values(table["e"])[0].astype(float)
    a = _values(table["a"], u.AU)[0].astype(float)
    if np.any((e < 0) | (e >= 1) | (a <= 0)):
        r = int(np.flatnonzero((e < 0) | (e >= 1) | (a <= 0))[0])
        raise InputError(
            f"row {r} ('{desig[r]}'): e={e[r]}, a={a[r]} AU; the MPCORB format holds elliptic "
            "orbits only (0 <= e < 1, a > 0); write comets and hyperbolic orbits elsewhere"
        )
    put("e", _fmt_fixed(e, 9, 7, blank_nan=False, name="e"))
    nmot = _values(table["n"], u.deg / u.day)[0] if "n" in cols else GAUSS_K_DEG / a**1.5
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
        flags = _flags_from_classes(
            table["class"],
            a,
            e,
            inc,
            neo=table["neo"] if "neo" in cols else None,
            pha=table["pha"] if "pha" in cols else None,
        )
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
