"""MPC packed designations and packed dates.

The Minor Planet Center stores designations and dates in short "packed" forms
in its fixed-width files (MPCORB.DAT, the 80-column observation format):

* permanent numbers in 5 characters: ``"00001"`` = (1), ``"A0345"`` = (100345)
  (the first character is a base-62 digit for ``number // 10000``), and
  ``"~0000"`` = (620000): a tilde then 4 base-62 digits of ``number - 620000``;
* provisional designations in 7 characters: ``"J95X00A"`` = 1995 XA,
  ``"K07Tf8A"`` = 2007 TA418 (century letter I/J/K = 18/19/20, two digits of
  the year, the half-month letter, the cycle count as a base-62 digit and a
  decimal digit, the second letter); survey designations ``"PLS2040"`` =
  2040 P-L, ``"T1S3138"`` = 3138 T-1; and the extended form for cycle counts
  of 620 and more, ``"_QC0000"`` = 2026 CA620 (underscore, base-62 year - 2000,
  half-month letter, 4 base-62 digits of ``25 * (cycle - 620) + order``);
* dates in 5 characters: ``"K2555"`` = 2025-05-05 (century letter, two digits
  of the year, then month and day as base-32-like characters 1-9, A-V).

Reference: MPC, "Packed Provisional and Permanent Designations" and "Packed
Dates" (minorplanetcenter.net/iau/info/PackedDes.html, .../PackedDates.html).

The array versions work on whole columns without a Python loop where it
matters (numbers and dates, which a million-row MPCORB read needs).

Examples
--------
>>> from astro_sso.catalog.packed import unpack_designation, pack_designation, unpack_number
>>> unpack_designation("K07Tf8A")
'2007 TA418'
>>> pack_designation("1995 XA")
'J95X00A'
>>> int(unpack_number("~0000"))
620000
"""

from __future__ import annotations

import re
import warnings

import numpy as np
from astropy.time import Time

from ..exceptions import InputError

__all__ = [
    "unpack_number",
    "pack_number",
    "unpack_designation",
    "pack_designation",
    "unpack_epoch",
    "pack_epoch",
    "calendar_to_jd",
]

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# byte -> base-62 value, -1 for anything else
_B62_LUT = np.full(256, -1, dtype=np.int64)
for _k, _ch in enumerate(_B62):
    _B62_LUT[ord(_ch)] = _k
# half-month letters and second letters: A-Z without I (25 letters)
_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"
_HALF_MONTH = "ABCDEFGHJKLMNOPQRSTUVWXY"
_MAX_NUMBER = 620000 + 62**4 - 1  # 15396335, '~zzzz'
_SURVEYS = {"PLS": "P-L", "T1S": "T-1", "T2S": "T-2", "T3S": "T-3"}
_SURVEYS_INV = {v: k for k, v in _SURVEYS.items()}


def _as_byte_matrix(values, width):
    """Left-aligned ASCII strings -> (N, width) uint8 matrix padded with spaces."""
    arr = np.asarray(values)
    if arr.dtype.kind == "U":
        try:
            arr = arr.astype(f"S{max(width, 1)}")
        except UnicodeEncodeError:
            arr = np.array([s.encode("ascii", "replace") for s in arr.ravel()], dtype=f"S{width}")
    elif arr.dtype.kind != "S":
        arr = arr.astype(str).astype(f"S{width}")
    arr = np.ascontiguousarray(arr.ravel().astype(f"S{width}"))
    mat = arr.view(np.uint8).reshape(-1, width).copy()
    mat[mat == 0] = 32
    return mat


def _numbers_from_matrix(m):
    """Minor-planet numbers from an (N, >=5) byte matrix; -1 where not a packed number."""
    n = m.shape[0]
    out = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return out
    tail_blank = np.all(m[:, 5:] == 32, axis=1) if m.shape[1] > 5 else np.ones(n, bool)
    v = _B62_LUT[m[:, :5]]
    digits = (m[:, 1:5] >= 48) & (m[:, 1:5] <= 57)
    plain = tail_blank & (v[:, 0] >= 0) & digits.all(axis=1)
    val = v[:, 0] * 10000 + v[:, 1] * 1000 + v[:, 2] * 100 + v[:, 3] * 10 + v[:, 4]
    out[plain] = val[plain]
    tilde = tail_blank & (m[:, 0] == ord("~")) & (v[:, 1:5] >= 0).all(axis=1)
    tval = 620000 + ((v[:, 1] * 62 + v[:, 2]) * 62 + v[:, 3]) * 62 + v[:, 4]
    out[tilde] = tval[tilde]
    return out


def unpack_number(packed):
    """Minor-planet number of a packed permanent designation.

    Parameters
    ----------
    packed : str or array-like of str
        Packed designations (``"00433"``, ``"A0345"``, ``"~AZaz"``); anything
        else (a packed provisional designation, blanks) gives -1.

    Returns
    -------
    int or ndarray of int64
        The numbers, -1 where the input is not a packed number.

    Examples
    --------
    >>> from astro_sso.catalog.packed import unpack_number
    >>> unpack_number(["00001", "A0345", "a0017", "~0000", "~AZaz", "K07Tf8A"]).tolist()
    [1, 100345, 360017, 620000, 3140113, -1]
    """
    scalar = np.ndim(packed) == 0
    flat = np.atleast_1d(np.asarray(packed))
    out = _numbers_from_matrix(_as_byte_matrix(flat, 7))
    return int(out[0]) if scalar else out.reshape(np.shape(packed))


def pack_number(number):
    """Packed 5-character form of minor-planet numbers.

    Parameters
    ----------
    number : int or array-like of int
        Numbers from 1 to 15,396,335.

    Returns
    -------
    str or ndarray of str

    Raises
    ------
    InputError
        A number outside the range the packed form can hold.

    Examples
    --------
    >>> from astro_sso.catalog.packed import pack_number
    >>> pack_number([1, 100345, 203289, 620061, 15396335]).tolist()
    ['00001', 'A0345', 'K3289', '~000z', '~zzzz']
    """
    scalar = np.ndim(number) == 0
    n = np.atleast_1d(np.asarray(number)).astype(np.int64)
    bad = (n < 1) | (n > _MAX_NUMBER)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"minor-planet number {int(n[k])} (item {k}) cannot be packed: the MPC packed form "
            f"holds numbers 1 to {_MAX_NUMBER}"
        )
    b62 = np.frombuffer(_B62.encode(), dtype=np.uint8)
    out = np.empty((n.size, 5), dtype=np.uint8)
    low = n < 620000
    nl = n[low]
    out[low, 0] = b62[nl // 10000]
    rem = nl % 10000
    for j, p in enumerate((1000, 100, 10, 1)):
        out[low, 1 + j] = 48 + (rem // p) % 10
    nh = n[~low] - 620000
    out[~low, 0] = ord("~")
    for j, p in enumerate((62**3, 62**2, 62, 1)):
        out[~low, 1 + j] = b62[(nh // p) % 62]
    res = out.view("S5").ravel().astype(str)
    return str(res[0]) if scalar else res.reshape(np.shape(number))


def _unpack_one(s: str) -> str:
    s0 = s.strip()
    if not s0:
        raise InputError(
            "empty packed designation; give a 5- or 7-character MPC packed designation"
        )
    num = _numbers_from_matrix(_as_byte_matrix([s0], 7))[0]
    if num >= 0 and len(s0) == 5:
        return str(int(num))
    if len(s0) == 7:
        head = s0[:3]
        if head in _SURVEYS and s0[3:].isdigit():
            return f"{int(s0[3:])} {_SURVEYS[head]}"
        if s0[0] == "_":
            yv, hm, tail = _B62.find(s0[1]), s0[2], s0[3:]
            vals = [_B62.find(c) for c in tail]
            if 10 <= yv <= 61 and hm in _HALF_MONTH and min(vals) >= 0:
                k = ((vals[0] * 62 + vals[1]) * 62 + vals[2]) * 62 + vals[3]
                cycle, order = 620 + k // 25, k % 25
                return f"{2000 + yv} {hm}{_LETTERS[order]}{cycle}"
        if (
            s0[0] in "IJK"
            and s0[1:3].isdigit()
            and s0[3] in _HALF_MONTH
            and _B62.find(s0[4]) >= 0
            and s0[5].isdigit()
            and s0[6] in _LETTERS
        ):
            year = (_B62.find(s0[0])) * 100 + int(s0[1:3])
            cycle = _B62.find(s0[4]) * 10 + int(s0[5])
            ystr = f"A{year % 1000:03d}" if year < 1925 else str(year)
            return f"{ystr} {s0[3]}{s0[6]}{cycle if cycle else ''}"
    raise InputError(
        f"'{s}' is not an MPC packed minor-planet designation (5-character number such as "
        "'00433'/'A0345'/'~0000', or 7-character provisional such as 'K07Tf8A', 'PLS2040', "
        "'_QC0000')"
    )


def unpack_designation(packed):
    """Readable designation of MPC packed designations.

    Numbered objects give their number as a string (``"A0345"`` ->
    ``"100345"``); provisional designations give the readable form
    (``"K07Tf8A"`` -> ``"2007 TA418"``); designations of years before 1925
    use the MPC's ``A`` prefix (``"I99O00F"`` -> ``"A899 OF"``).

    Parameters
    ----------
    packed : str or array-like of str
        Packed designations.

    Returns
    -------
    str or ndarray of str

    Raises
    ------
    InputError
        An input that is not a packed minor-planet designation.

    Examples
    --------
    >>> from astro_sso.catalog.packed import unpack_designation
    >>> unpack_designation(["J95X00A", "K07Tf8A", "PLS2040", "A0345", "_QC0000"]).tolist()
    ['1995 XA', '2007 TA418', '2040 P-L', '100345', '2026 CA620']
    """
    if np.ndim(packed) == 0:
        return _unpack_one(str(packed))
    flat = np.asarray(packed).ravel()
    out = np.array([_unpack_one(str(s)) for s in flat], dtype=str)
    return out.reshape(np.shape(packed))


_PROV_RE = re.compile(r"^(\d{4}|A\d{3}) ([A-Y])([A-Z])(\d*)$")
_SURVEY_RE = re.compile(r"^(\d{1,4}) (P-L|T-1|T-2|T-3)$")
_NUMBER_RE = re.compile(r"^\(?(\d+)\)?$")


def _pack_one(s) -> str:
    if isinstance(s, int | np.integer):
        return str(pack_number(int(s)))
    s0 = str(s).strip()
    m = _NUMBER_RE.match(s0)
    if m:
        return str(pack_number(int(m.group(1))))
    m = _SURVEY_RE.match(s0)
    if m:
        return f"{_SURVEYS_INV[m.group(2)]}{int(m.group(1)):04d}"
    m = _PROV_RE.match(s0)
    if m and m.group(2) in _HALF_MONTH and m.group(3) in _LETTERS:
        ytxt, hm, l2, ctxt = m.groups()
        # 'A904 OA' is the MPC's form of 1904 OA
        year = 1000 + int(ytxt[1:]) if ytxt[0] == "A" else int(ytxt)
        cycle = int(ctxt) if ctxt else 0
        if ctxt.startswith("0"):
            raise InputError(f"'{s0}': a cycle count has no leading zero")
        if cycle < 620:
            if not 1800 <= year <= 2099:
                raise InputError(
                    f"'{s0}': year {year} outside 1800-2099, which the packed form holds"
                )
            return f"{_B62[year // 100]}{year % 100:02d}{hm}{_B62[cycle // 10]}{cycle % 10}{l2}"
        if not 2010 <= year <= 2061:
            raise InputError(f"'{s0}': extended packed designations hold years 2010-2061 only")
        k = (cycle - 620) * 25 + _LETTERS.index(l2)
        if k >= 62**4:
            raise InputError(f"'{s0}': cycle count too large for the extended packed form")
        digits = "".join(_B62[(k // 62**p) % 62] for p in (3, 2, 1, 0))
        return f"_{_B62[year - 2000]}{hm}{digits}"
    raise InputError(
        f"'{s0}' is not a minor-planet designation that can be packed: give a number "
        "('433', '(433)'), a provisional designation ('2007 TA418', 'A899 OF') or a survey "
        "designation ('2040 P-L')"
    )


def pack_designation(designation):
    """MPC packed form of readable minor-planet designations.

    Parameters
    ----------
    designation : str, int or array-like
        Numbers (``433``, ``"433"``, ``"(433)"``), provisional designations
        (``"1995 XA"``, ``"2007 TA418"``, ``"A899 OF"``) or survey designations
        (``"2040 P-L"``).

    Returns
    -------
    str or ndarray of str

    Raises
    ------
    InputError
        Something that is not a minor-planet designation.

    Examples
    --------
    >>> from astro_sso.catalog.packed import pack_designation
    >>> pack_designation(["1995 XA", "1998 SQ108", "2008 AA360", "3138 T-1", "100345"]).tolist()
    ['J95X00A', 'J98SA8Q', 'K08Aa0A', 'T1S3138', 'A0345']
    """
    if np.ndim(designation) == 0:
        return _pack_one(designation.item() if isinstance(designation, np.generic) else designation)
    arr = np.asarray(designation)
    flat = arr.ravel()
    out = np.empty(flat.size, dtype="U7")
    done = np.zeros(flat.size, dtype=bool)
    if flat.dtype.kind in "US" and flat.size:
        done, fast = _pack_provisional_fast(flat)
        out[done] = fast[done]
    for k in np.flatnonzero(~done):
        out[k] = _pack_one(flat[k].item() if isinstance(flat[k], np.generic) else flat[k])
    return out.reshape(np.shape(designation))


def _pack_provisional_fast(flat):
    """Vectorized packing of the common 'YYYY LL[n]' designations (cycle < 620)."""
    try:
        m = _as_byte_matrix(np.char.strip(flat.astype(str)), 12)
    except UnicodeEncodeError:
        return np.zeros(flat.size, dtype=bool), None
    isd = (m >= 48) & (m <= 57)
    hm_ok = np.isin(m[:, 5], np.frombuffer(_HALF_MONTH.encode(), dtype=np.uint8))
    l2_ok = np.isin(m[:, 6], np.frombuffer(_LETTERS.encode(), dtype=np.uint8))
    tail = m[:, 7:]
    ntail = (tail != 32).sum(axis=1)
    tail_ok = (isd[:, 7:].sum(axis=1) == ntail) & (ntail <= 3) & (tail[:, 3:] == 32).all(axis=1)
    tail_ok &= (ntail == 0) | (tail[:, 0] != 48)  # no leading zero in the cycle count
    year = (m[:, 0:4].astype(np.int64) - 48) @ np.array([1000, 100, 10, 1])
    ok = isd[:, :4].all(axis=1) & (m[:, 4] == 32) & hm_ok & l2_ok & tail_ok
    ok &= (year >= 1925) & (year <= 2099)
    digits = np.where(isd[:, 7:10], m[:, 7:10].astype(np.int64) - 48, 0)
    # cycle from the right-aligned digits
    cyc = np.zeros(flat.size, dtype=np.int64)
    for j in range(3):
        has = j < ntail
        cyc = np.where(has, cyc * 10 + digits[:, j], cyc)
    ok &= cyc < 620
    b62 = np.frombuffer(_B62.encode(), dtype=np.uint8)
    res = np.empty((flat.size, 7), dtype=np.uint8)
    res[:, 0] = b62[np.clip(year // 100, 0, 61)]
    res[:, 1:3] = m[:, 2:4]
    res[:, 3] = m[:, 5]
    res[:, 4] = b62[np.clip(cyc // 10, 0, 61)]
    res[:, 5] = 48 + cyc % 10
    res[:, 6] = m[:, 6]
    return ok, res.view("S7").ravel().astype("U7")


def calendar_to_jd(year, month, day):
    """Julian date at 0h of Gregorian calendar dates (vectorized).

    Parameters
    ----------
    year, month, day : array-like of int
        Calendar date (proleptic Gregorian).

    Returns
    -------
    ndarray of float
        Julian dates at 0h (``... .5``).

    Examples
    --------
    >>> from astro_sso.catalog.packed import calendar_to_jd
    >>> float(calendar_to_jd(2000, 1, 1))
    2451544.5
    """
    y = np.asarray(year, dtype=np.int64)
    m = np.asarray(month, dtype=np.int64)
    d = np.asarray(day, dtype=np.int64)
    a = (14 - m) // 12
    yy = y + 4800 - a
    mm = m + 12 * a - 3
    jdn = d + (153 * mm + 2) // 5 + 365 * yy + yy // 4 - yy // 100 + yy // 400 - 32045
    return jdn - 0.5


def _epoch_jd_from_matrix(m):
    """TT Julian dates of packed dates in an (N, 5) byte matrix; NaN where invalid."""
    v = _B62_LUT[m[:, :5]]
    digits = (m[:, 1:3] >= 48) & (m[:, 1:3] <= 57)
    century = v[:, 0]
    month, day = v[:, 3], v[:, 4]
    ok = (
        (century >= 10)
        & (century <= 21)
        & digits.all(axis=1)
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (day <= 31)
    )
    year = century * 100 + v[:, 1] * 10 + v[:, 2]
    jd = calendar_to_jd(np.where(ok, year, 2000), np.where(ok, month, 1), np.where(ok, day, 1))
    # reject impossible days such as Feb 30 (they would roll into the next month)
    jd_next = calendar_to_jd(np.where(ok, year, 2000), np.where(ok, month, 1), 1)
    ok &= (jd - jd_next) < _days_in_month(np.where(ok, year, 2000), np.where(ok, month, 1))
    return np.where(ok, jd, np.nan)


def _days_in_month(year, month):
    nxt_y = np.where(month == 12, year + 1, year)
    nxt_m = np.where(month == 12, 1, month + 1)
    return calendar_to_jd(nxt_y, nxt_m, 1) - calendar_to_jd(year, month, 1)


def _tt_to_tdb(jd1_tt, jd2_tt=0.0):
    """TDB `~astropy.time.Time` of TT Julian dates (the MPC's dates are TT).

    astropy's conversion (ERFA ``dtdb`` at the geocentre) wants an approximate
    UT only for its topocentric terms, which are zero at the geocentre; its
    "dubious year" warning for dates outside the leap-second table is
    therefore irrelevant here and silenced.
    """
    from erfa import ErfaWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ErfaWarning)
        return Time(jd1_tt, jd2_tt, format="jd", scale="tt").tdb


def unpack_epoch(packed):
    """Time (TT, 0h) of MPC packed dates.

    Parameters
    ----------
    packed : str or array-like of str
        Packed dates such as ``"K2555"`` (2025-05-05); a fraction of a day may
        follow the five characters (``"K01AM138303"`` = 2001 Oct 22.138303).

    Returns
    -------
    `~astropy.time.Time`
        In the TT scale (the MPC's epochs are 0h TT).

    Raises
    ------
    InputError
        A string that is not a packed date.

    Examples
    --------
    >>> from astro_sso.catalog.packed import unpack_epoch
    >>> unpack_epoch("K2555").tt.iso
    '2025-05-05 00:00:00.000'
    >>> unpack_epoch(["J9611", "J969U", "K01AM"]).iso.tolist()
    ['1996-01-01 00:00:00.000', '1996-09-30 00:00:00.000', '2001-10-22 00:00:00.000']
    """
    scalar = np.ndim(packed) == 0
    flat = [str(s).strip() for s in np.atleast_1d(np.asarray(packed)).ravel()]
    heads = [s[:5] for s in flat]
    jd = _epoch_jd_from_matrix(_as_byte_matrix(heads, 5)) if flat else np.zeros(0)
    frac = np.zeros(len(flat))
    for k, s in enumerate(flat):
        if len(s) < 5 or not np.isfinite(jd[k]):
            raise InputError(
                f"'{s}' is not an MPC packed date (e.g. 'K2555' = 2025-05-05); item {k}"
            )
        if len(s) > 5:
            if not s[5:].isdigit():
                raise InputError(f"'{s}': the fraction of day after the packed date must be digits")
            frac[k] = float("0." + s[5:])
    jd = jd + frac
    t = Time(jd, format="jd", scale="tt")
    return t[0] if scalar else t.reshape(np.shape(packed))


def pack_epoch(time):
    """MPC packed form of dates at 0h TT.

    Parameters
    ----------
    time : `~astropy.time.Time`
        Dates; converted to TT. They must fall on 0h TT (to the millisecond),
        which is what the MPCORB format can hold.

    Returns
    -------
    str or ndarray of str

    Raises
    ------
    InputError
        A date that is not at 0h TT, or outside the years 1000-2199.

    Examples
    --------
    >>> from astropy.time import Time
    >>> from astro_sso.catalog.packed import pack_epoch
    >>> pack_epoch(Time("2025-05-05", scale="tt"))
    'K2555'
    """
    t = time.tt
    scalar = t.isscalar
    frac = np.atleast_1d(t.jd2 + t.jd1 - 0.5) % 1.0
    off = np.minimum(frac, 1.0 - frac) * 86400.0
    if np.any(off > 1e-3):
        k = int(np.flatnonzero(off > 1e-3)[0])
        raise InputError(
            f"epoch {np.atleast_1d(t.iso)[k]} TT (item {k}) is not at 0h TT: the MPC packed date "
            "holds whole days; propagate the orbits to a 0h TT epoch first"
        )
    # round to the nearest day
    jd0 = np.round(np.atleast_1d(t.jd1 + t.jd2) - 0.5) + 0.5
    tt = Time(jd0, format="jd", scale="tt")
    ymd = np.atleast_1d(tt.ymdhms)
    year = np.asarray(ymd["year"], dtype=np.int64)
    if np.any((year < 1000) | (year > 2199)):
        raise InputError("packed dates hold years 1000-2199 only (century letters A-L)")
    out = np.array(
        [
            f"{_B62[y // 100]}{y % 100:02d}{_B62[mo]}{_B62[d]}"
            for y, mo, d in zip(year, ymd["month"], ymd["day"], strict=True)
        ],
        dtype=str,
    )
    return str(out[0]) if scalar else out.reshape(t.shape)
