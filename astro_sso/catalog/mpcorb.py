"""Reader of the Minor Planet Center's orbit files (MPCORB.DAT and its JSON export).

:func:`read_mpcorb` reads ``MPCORB.DAT`` (and the other files in its
fixed-width "export format for minor-planet orbits": ``NEA.txt``,
``DAILY.DAT``...; plain or gzip) and the MPC's JSON export
(``mpcorb_extended.json(.gz)``, `astro_sso.catalog.mpcorb_json`) into an
orbits `~astropy.table.QTable` in the package vocabulary. The fixed-width
parse is vectorized over the whole file (the text becomes a 2-D byte array;
each field is decoded column-wise with NumPy, `astro_sso.catalog.fixedwidth`),
and the parsed columns are cached in binary ``.npy`` files keyed by the file's
path, size and modification time (`astro_sso.catalog.mpcorb_cache`), so a
second read of the 1.4-million-row MPCORB.DAT takes well under a second.

The writer of the same format is `astro_sso.catalog.mpcorb_writer`, the
reader of ``CometEls.txt`` `astro_sso.catalog.comets`.

Format reference: MPC, "Export Format for Minor-Planet Orbits"
(minorplanetcenter.net/iau/info/MPOrbitFormat.html).

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

import re
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.table import MaskedColumn, QTable
from astropy.time import Time

from ..ephemeris.constants import GAUSS_K_DEG
from .fixedwidth import (
    _decode,
    _line_matrix,
    _parse_numbers,
    _read_bytes,
    _require_file,
    _shrink,
    _split_lines,
    _strip_to_bytes,
)
from .mpcorb_cache import _cache_dir, _load_cache, _save_cache
from .mpcorb_json import _parse_json
from .orbit_classes import FLAG_NEO, FLAG_PHA, _classes_from_flags
from .packed import _epoch_jd_from_matrix, _numbers_from_matrix, _tt_to_tdb, unpack_designation
from .rowerrors import _Bad, _check_errors_option, _report_bad

__all__ = ["read_mpcorb", "MPCORB_FIELDS"]

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
_WHAT = "MPCORB.DAT(.gz)"  # what a missing file should have been
_HEX_LUT = np.full(256, -1, dtype=np.int64)
for _k, _ch in enumerate(b"0123456789ABCDEF"):
    _HEX_LUT[_ch] = _k
for _k, _ch in enumerate(b"abcdef"):
    _HEX_LUT[_ch] = 10 + _k


def _field(mat, name):
    c0, c1 = MPCORB_FIELDS[name]
    return mat[:, c0 - 1 : c1]


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
    a[from_n] = (GAUSS_K_DEG / out["n"][from_n]) ** (2.0 / 3.0)
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
    return arrays, _Bad.concatenate([p[1] for p in parts])


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
    cls = _classes_from_flags(flags, arr["a"], arr["e"], arr["i"])
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
    _check_errors_option(errors)
    path = _require_file(path, _WHAT)
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
    if kind == "json":
        _report_bad(path, bad_info, errors, "object")
    else:
        _report_bad(path, bad_info, errors, "line", MPCORB_FIELDS)
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
    """Columns of every readable row, the ``bad_info`` of the others, and the file kind."""
    data = _read_bytes(path, _WHAT)
    head = data[:4096].lstrip()
    if head[:1] in (b"[", b"{"):
        arrays, bad = _parse_json(data)
        kind = "json"
        line_no = np.arange(1, bad.mask.size + 1)  # object index, 1-based
        texts = np.full(bad.mask.size, "", dtype=object)
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
        texts = np.full(mat.shape[0], "", dtype=object)
        for r in np.flatnonzero(bad.mask)[:1000]:
            f = bad.field[r]
            if f in MPCORB_FIELDS:
                c0, c1 = MPCORB_FIELDS[f]
                texts[r] = bytes(mat[r, c0 - 1 : c1]).decode("ascii", "replace").strip()
            else:
                texts[r] = bytes(mat[r, :80]).decode("ascii", "replace").rstrip()
    bad_info = bad.info(line_no, texts)
    keep = ~bad.mask
    arrays = {k: v[keep] for k, v in arrays.items()}
    return arrays, bad_info, kind
