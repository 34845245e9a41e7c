"""Reader of the MPC's comet orbits file, ``CometEls.txt``.

Format reference: MPC, "Export Format for Comet Orbits"
(minorplanetcenter.net/iau/info/CometOrbitFormat.html).
"""

from __future__ import annotations

import re

import numpy as np
from astropy import units as u
from astropy.table import QTable
from astropy.utils.masked import Masked

from ..ephemeris.constants import GAUSS_K_DEG
from .fixedwidth import _read_bytes
from .packed import _tt_to_tdb, calendar_to_jd
from .rowerrors import _bad_info, _check_errors_option, _report_bad

__all__ = ["read_comet_els"]

# Fields of a CometEls.txt line: name -> (first, last) column (1-based, inclusive), kind.
_FIELDS = {
    "perihelion year": (15, 18, "int"),
    "perihelion month": (20, 21, "int"),
    "perihelion day": (23, 29, "float"),
    "q": (31, 39, "float"),
    "e": (42, 49, "float"),
    "argperi": (52, 59, "float"),
    "node": (62, 69, "float"),
    "i": (72, 79, "float"),
    "epoch": (82, 89, "date or blank"),
    "H": (92, 95, "float or blank"),
    "K": (97, 100, "float or blank"),
}

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
    _check_errors_option(errors)
    data = _read_bytes(path, "CometEls.txt(.gz)")
    rows = []
    bad = []  # (line number, field, reason, text)
    for k, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip():
            continue
        rec = {}
        err = None
        for name, (c0, c1, kind) in _FIELDS.items():
            txt = line[c0 - 1 : c1].strip()
            try:
                if kind == "int":
                    rec[name] = int(txt)
                elif kind == "float":
                    rec[name] = float(txt)
                elif kind == "float or blank":
                    rec[name] = float(txt) if txt else np.nan
                else:  # "date or blank": YYYYMMDD
                    rec[name] = (int(txt[:4]), int(txt[4:6]), int(txt[6:8])) if txt else None
            except ValueError:
                err = (name, "not a valid value", txt)
                break
        if err is None and rec["q"] <= 0:
            err = ("q", "the perihelion distance must be > 0 AU", line[30:39].strip())
        if err is None and rec["e"] < 0:
            err = ("e", "the eccentricity must be >= 0", line[41:49].strip())
        if err is not None:
            bad.append((k, *err))
            continue
        rec["designation"], rec["name"] = _comet_designation(line[102:158])
        rec["reference"] = line[159:168].strip()
        rows.append(rec)
    lines, fields, reasons, texts = zip(*bad, strict=True) if bad else ((), (), (), ())
    _report_bad(path, _bad_info(lines, fields, reasons, texts), errors, columns=_FIELDS)
    n = len(rows)

    def column(name, dtype):
        return np.array([r[name] for r in rows], dtype=dtype) if n else np.zeros(0, dtype)

    t = QTable(meta={"source": str(path), "format": "MPC CometEls", "n_skipped": len(bad)})
    t["designation"] = column("designation", str)
    t["name"] = column("name", str)
    t["number"] = np.full(n, -1, dtype=np.int64)
    t["class"] = np.full(n, "Comet")
    dy = column("perihelion day", float)
    day0 = np.floor(dy)
    tp_tt = calendar_to_jd(
        column("perihelion year", np.int64), column("perihelion month", np.int64), day0
    )
    tp = _tt_to_tdb(tp_tt, dy - day0)
    # unperturbed orbits (no epoch): 0h TT of the perihelion date
    ep_tt = np.array(
        [calendar_to_jd(*r["epoch"]) if r["epoch"] else tp_tt[j] for j, r in enumerate(rows)],
        dtype=float,
    )
    epoch = _tt_to_tdb(ep_tt)
    q = column("q", float)
    e = column("e", float)
    t["q"] = q * u.AU
    t["e"] = e
    t["tp"] = tp
    for name in ("i", "node", "argperi"):
        t[name] = column(name, float) * u.deg
    t["epoch"] = epoch
    # a and M: elliptic and hyperbolic orbits (a < 0 with the hyperbolic mean anomaly,
    # the convention of the package's Keplerian elements); masked for parabolic ones
    conic = e != 1.0
    a = np.where(conic, q / np.where(conic, 1.0 - e, 1.0), np.nan)
    nmot = np.where(conic, GAUSS_K_DEG / np.abs(np.where(conic, a, 1.0)) ** 1.5, np.nan)
    since = (epoch.jd1 - tp.jd1) + (epoch.jd2 - tp.jd2)
    M = nmot * since
    M = np.where(e < 1, np.mod(M, 360.0), M)
    t["a"] = Masked(np.where(conic, a, 0.0) * u.AU, mask=~conic)
    t["M"] = Masked(np.where(conic, M, 0.0) * u.deg, mask=~conic)
    t["H"] = column("H", float) * u.mag
    t["K"] = column("K", float)
    t["reference"] = column("reference", str)
    return t
