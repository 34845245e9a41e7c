"""Reader of the MPC's JSON export of minor-planet orbits (``mpcorb_extended.json``).

:func:`_parse_json` returns the same columns as the fixed-width MPCORB parser
(`astro_sso.catalog.mpcorb`), so that both feed one table builder.
"""

from __future__ import annotations

import json

import numpy as np

from ..ephemeris.constants import GAUSS_K_DEG
from ..exceptions import InputError
from .orbit_classes import _CODE_OF, FLAG_KM_NEO, FLAG_NEO, FLAG_PHA
from .packed import _MAX_NUMBER, pack_designation, pack_number
from .rowerrors import _Bad

__all__: list[str] = []


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
            strs["packed"][k] = str(pack_number(num)).encode() if 0 < num <= _MAX_NUMBER else b""
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
    a[from_n] = (GAUSS_K_DEG / out["n"][from_n]) ** (2.0 / 3.0)
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
    """MPCORB orbit-type code of an ``Orbit_type`` text (0 when it has none)."""
    return _CODE_OF.get(_JSON_TYPES.get(orbit_type.strip().lower()), 0)
