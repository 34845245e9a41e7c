"""The one registry of table columns shared by every astro-sso plugin.

Every table that flows between plugins (detections, sources, cutouts, trails,
trail points, classifications, orbits, links, matches, ephemerides) uses the
column names, units and meanings defined here, and nowhere else. One meaning
per name:

- ``obstime`` (`~astropy.time.Time`) is when something was observed;
  ``epoch`` (`~astropy.time.Time`, TDB) is the osculation epoch of an orbit.
- ``mag`` (with ``band``) is a *measured* magnitude; ``V`` is a *predicted*
  V magnitude (from H, G).
- ``observer`` is an MPC observatory code; a spacecraft without a registered
  code travels as ADES-style columns ``obs_x``, ``obs_y``, ``obs_z`` with
  ``obs_center``.

The validation helpers turn any `~astropy.table.Table` into a
`~astropy.table.QTable` in canonical units, or raise
`~astro_sso.exceptions.InputError` with a message that says which column is
missing or wrong and what the table needs it for.

Examples
--------
>>> from astropy.table import QTable
>>> from astropy.time import Time
>>> import astropy.units as u
>>> from astro_sso.tables import validate_table
>>> det = QTable({"ra": [10.0] * u.deg, "dec": [20.0] * u.deg})
>>> validate_table(det, "detections")  # doctest: +NORMALIZE_WHITESPACE
Traceback (most recent call last):
...
astro_sso.exceptions.InputError: column 'obstime' missing: detections need an observation time
(astropy Time); got columns ['ra', 'dec']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from astropy import units as u
from astropy.table import Column as _TableColumn
from astropy.table import MaskedColumn, QTable, Table
from astropy.time import Time

from .exceptions import InputError

__all__ = [
    "ColumnSpec",
    "TableSchema",
    "COLUMNS",
    "SCHEMAS",
    "column",
    "schema",
    "validate_table",
    "require_columns",
    "empty_table",
    "schema_rst",
    "columns_rst",
]

_KINDS = ("float", "int", "str", "time", "bool", "array")


@dataclass(frozen=True)
class ColumnSpec:
    """A column of the shared vocabulary.

    Parameters
    ----------
    name : str
        Column name, as it appears in every table that carries it.
    kind : {'float', 'int', 'str', 'time', 'bool', 'array'}
        What the column holds. ``'time'`` columns are `~astropy.time.Time`.
    unit : `~astropy.units.Unit` or None
        Canonical unit; tables are converted to it on validation. ``None`` for
        dimensionless numbers, strings, times and columns whose unit is free
        (fluxes keep the unit of the image).
    description : str
        One line: what the column means.
    scale : str or None
        For time columns whose time scale is part of their meaning (``epoch``
        is TDB).
    """

    name: str
    kind: str
    unit: u.UnitBase | None
    description: str
    scale: str | None = None

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise ValueError(f"column kind must be one of {_KINDS}, got {self.kind!r}")

    @property
    def unit_str(self) -> str:
        """The unit as a short string ('' when there is none)."""
        return "" if self.unit is None else self.unit.to_string()


def _c(name, kind, unit, description, scale=None):
    return ColumnSpec(name, kind, None if unit is None else u.Unit(unit), description, scale)


_ALL = [
    # identifiers
    _c("det_id", "int", None, "Identifier of a detection, unique within its table."),
    _c("source_id", "int", None, "Identifier of a source (or cutout), unique within its table."),
    _c("trail_id", "int", None, "Identifier of a trail, unique within its table."),
    _c(
        "exposure",
        "int",
        None,
        "Index of the exposure a row comes from, in a sequence of exposures.",
    ),
    _c("designation", "str", None, "Designation of a Solar System object, e.g. '2004 MN4' or '1'."),
    _c("number", "int", None, "Minor-planet number; -1 (or masked) when unnumbered."),
    _c("name", "str", None, "Name of a numbered object, e.g. 'Ceres'; empty when it has none."),
    _c(
        "class",
        "str",
        None,
        "Dynamical class: NEA (Atira, Aten, Apollo, Amor), MBA, Hungaria, Hilda, Trojan, "
        "Centaur, TNO, Comet...",
    ),
    # sky positions and times
    _c("ra", "float", "deg", "Right ascension (ICRS)."),
    _c("dec", "float", "deg", "Declination (ICRS)."),
    _c("obstime", "time", None, "When the row was observed (mid-exposure for point detections)."),
    _c("obstime_start", "time", None, "Start of the exposure in which a trail was observed."),
    _c("obstime_end", "time", None, "End of the exposure in which a trail was observed."),
    _c("sigma", "float", "arcsec", "Astrometric uncertainty (1 sigma) of a measured position."),
    # photometry
    _c("mag", "float", "mag", "Measured magnitude, in the photometric band of column 'band'."),
    _c("mag_err", "float", "mag", "Uncertainty (1 sigma) of 'mag'."),
    _c("band", "str", None, "Photometric band of 'mag' (e.g. 'g', 'r', 'VIS', 'F606W')."),
    _c("V", "float", "mag", "Predicted V magnitude (from H, G); never a measurement."),
    _c("flux", "float", None, "Measured flux, in the unit of the image it comes from."),
    _c("flux_err", "float", None, "Uncertainty (1 sigma) of 'flux'."),
    _c("snr", "float", None, "Signal-to-noise ratio."),
    # observers
    _c(
        "observer",
        "str",
        None,
        "MPC observatory code of the observer ('500' geocentre, 'I41' ZTF, '250' HST...).",
    ),
    _c(
        "obs_x",
        "float",
        "AU",
        "Observer position x (ICRF axes, ADES style), relative to 'obs_center'.",
    ),
    _c(
        "obs_y",
        "float",
        "AU",
        "Observer position y (ICRF axes, ADES style), relative to 'obs_center'.",
    ),
    _c(
        "obs_z",
        "float",
        "AU",
        "Observer position z (ICRF axes, ADES style), relative to 'obs_center'.",
    ),
    _c(
        "obs_center",
        "str",
        None,
        "Origin of obs_x/y/z as a NAIF id: '399' geocentre, '10' Sun, '0' barycentre.",
    ),
    # image sources
    _c("xcentroid", "float", "pix", "Centroid column in the image (0-based pixel)."),
    _c("ycentroid", "float", "pix", "Centroid row in the image (0-based pixel)."),
    _c("area", "float", "pix2", "Number of pixels of the source's segment."),
    _c("semimajor_sigma", "float", "pix", "1-sigma extent along the source's major axis."),
    _c("semiminor_sigma", "float", "pix", "1-sigma extent along the source's minor axis."),
    _c(
        "orientation",
        "float",
        "deg",
        "Angle of the major axis from the +x axis, counter-clockwise.",
    ),
    _c("elongation", "float", None, "Ratio semimajor_sigma / semiminor_sigma."),
    _c("cutout", "array", None, "Pixels of a cutout, shape (H, W, C): C channels, e.g. dithers."),
    # classifications
    _c(
        "label",
        "str",
        None,
        "Class label (true label in training sets, predicted one in classifications).",
    ),
    _c("score", "float", None, "Probability or confidence of 'label', in [0, 1]."),
    _c(
        "probabilities",
        "array",
        None,
        "Probability of every class, in the order of meta['classes'].",
    ),
    _c("speed", "float", "arcsec / h", "Apparent speed on the sky (measured or predicted)."),
    # trails
    _c("x_min", "float", "pix", "Left edge of a trail's pixel box."),
    _c("x_max", "float", "pix", "Right edge of a trail's pixel box."),
    _c("y_min", "float", "pix", "Bottom edge of a trail's pixel box."),
    _c("y_max", "float", "pix", "Top edge of a trail's pixel box."),
    _c("ra_start", "float", "deg", "Right ascension of a trail's start point."),
    _c("dec_start", "float", "deg", "Declination of a trail's start point."),
    _c("ra_end", "float", "deg", "Right ascension of a trail's end point."),
    _c("dec_end", "float", "deg", "Declination of a trail's end point."),
    _c("length", "float", "arcsec", "Length of a trail on the sky."),
    # orbits
    _c("a", "float", "AU", "Semi-major axis (negative for hyperbolic orbits)."),
    _c("e", "float", None, "Eccentricity."),
    _c("i", "float", "deg", "Inclination to the ecliptic of J2000."),
    _c("node", "float", "deg", "Longitude of the ascending node (ecliptic J2000)."),
    _c("argperi", "float", "deg", "Argument of perihelion."),
    _c("M", "float", "deg", "Mean anomaly at 'epoch'."),
    _c("q", "float", "AU", "Perihelion distance."),
    _c("tp", "time", None, "Time of perihelion passage (TDB).", scale="tdb"),
    _c("epoch", "time", None, "Osculation epoch of the orbit (TDB).", scale="tdb"),
    _c("H", "float", "mag", "Absolute magnitude (H, G system)."),
    _c("G", "float", None, "Slope parameter (H, G system)."),
    _c("x", "float", "AU", "Position x of a Cartesian state (frame in meta['frame'])."),
    _c("y", "float", "AU", "Position y of a Cartesian state."),
    _c("z", "float", "AU", "Position z of a Cartesian state."),
    _c("vx", "float", "AU / d", "Velocity x of a Cartesian state."),
    _c("vy", "float", "AU / d", "Velocity y of a Cartesian state."),
    _c("vz", "float", "AU / d", "Velocity z of a Cartesian state."),
    _c("A1", "float", "AU / d2", "Radial non-gravitational acceleration parameter."),
    _c("A2", "float", "AU / d2", "Transverse non-gravitational acceleration parameter."),
    _c("A3", "float", "AU / d2", "Normal non-gravitational acceleration parameter."),
    _c("n_hits", "int", None, "Number of detections within the hit radius of a fitted orbit."),
    _c("rms", "float", "arcsec", "Root-mean-square of the astrometric residuals of an orbit."),
    # ephemerides and matches
    _c("ra_rate", "float", "arcsec / h", "Rate of motion in RA times cos(Dec)."),
    _c("dec_rate", "float", "arcsec / h", "Rate of motion in Dec."),
    _c("r", "float", "AU", "Heliocentric distance."),
    _c("delta", "float", "AU", "Distance from the observer."),
    _c("phase", "float", "deg", "Phase angle Sun-object-observer."),
    _c("elong", "float", "deg", "Solar elongation seen from the observer."),
    _c("ra_pred", "float", "deg", "Predicted right ascension of the identified object."),
    _c("dec_pred", "float", "deg", "Predicted declination of the identified object."),
    _c(
        "separation",
        "float",
        "arcsec",
        "Angular distance between a measured and a predicted position.",
    ),
    _c(
        "d_oc",
        "float",
        "arcsec",
        "Observed-minus-computed distance between a trail and a predicted track.",
    ),
    _c(
        "residual",
        "float",
        "arcsec",
        "Distance between a linked detection and its orbit's prediction.",
    ),
    _c("n_candidates", "int", None, "Number of known objects considered for the identification."),
    _c("direction", "int", None, "Motion direction used for a trail: +1 start->end, -1 reversed."),
]

#: All columns of the vocabulary, by name.
COLUMNS: dict[str, ColumnSpec] = {c.name: c for c in _ALL}


@dataclass(frozen=True)
class TableSchema:
    """What a kind of table holds.

    Parameters
    ----------
    name : str
        Kind of table, e.g. ``'detections'``.
    description : str
        One paragraph for the docs.
    required : dict
        Required column names, each with the reason the table needs it (used
        in error messages: "detections need an observation time").
    optional : tuple of str
        Columns that the table may carry.
    """

    name: str
    description: str
    required: dict[str, str]
    optional: tuple[str, ...] = field(default_factory=tuple)

    @property
    def columns(self) -> tuple[str, ...]:
        """Required then optional column names."""
        return tuple(self.required) + tuple(self.optional)


_OBS = ("observer", "obs_x", "obs_y", "obs_z", "obs_center")

#: Every kind of table, by name.
SCHEMAS: dict[str, TableSchema] = {
    s.name: s
    for s in [
        TableSchema(
            "detections",
            "Point detections on the sky: the input of matchers and orbit fitters.",
            {
                "ra": "a right ascension",
                "dec": "a declination",
                "obstime": "an observation time (astropy Time)",
            },
            ("det_id", "mag", "mag_err", "band", "sigma", *_OBS, "exposure"),
        ),
        TableSchema(
            "sources",
            "Sources found in images by a detector, with pixel and sky positions.",
            {
                "source_id": "a source identifier",
                "xcentroid": "a pixel column",
                "ycentroid": "a pixel row",
            },
            (
                "exposure",
                "ra",
                "dec",
                "obstime",
                "flux",
                "flux_err",
                "snr",
                "mag",
                "band",
                "area",
                "semimajor_sigma",
                "semiminor_sigma",
                "orientation",
                "elongation",
                "observer",
                "label",
            ),
        ),
        TableSchema(
            "cutouts",
            "Image cutouts centred on sources: the input of classifiers. 'cutout' has shape "
            "(N, H, W, C) with C channels (e.g. dithers).",
            {"source_id": "a source identifier", "cutout": "the pixels, shape (N, H, W, C)"},
            ("label", "speed", "mag", "xcentroid", "ycentroid", "ra", "dec", "snr"),
        ),
        TableSchema(
            "classifications",
            "Output of a classifier, one row per cutout; meta['classes'] lists the classes.",
            {"source_id": "a source identifier", "label": "a predicted label", "score": "a score"},
            ("probabilities", "speed"),
        ),
        TableSchema(
            "trails",
            "Trails found in images (asteroids, satellites, cosmic rays...), with their ends on "
            "the sky and the exposure they come from.",
            {
                "trail_id": "a trail identifier",
                "ra_start": "a start right ascension",
                "dec_start": "a start declination",
                "ra_end": "an end right ascension",
                "dec_end": "an end declination",
                "obstime_start": "the exposure start (astropy Time)",
                "obstime_end": "the exposure end (astropy Time)",
            },
            (
                "label",
                "score",
                "x_min",
                "x_max",
                "y_min",
                "y_max",
                "length",
                "mag",
                "band",
                *_OBS,
            ),
        ),
        TableSchema(
            "trail_points",
            "Positions measured along trails, with the time each position is reached.",
            {
                "trail_id": "a trail identifier",
                "obstime": "a time (astropy Time)",
                "ra": "a right ascension",
                "dec": "a declination",
            },
            ("flux", "snr"),
        ),
        TableSchema(
            "orbits",
            "Heliocentric osculating orbits, ecliptic J2000 (as JPL and the MPC give them), "
            "or cometary elements (q, e, tp) or Cartesian states (x..vz).",
            {"designation": "a designation per object"},
            (
                "number",
                "name",
                "class",
                "a",
                "e",
                "i",
                "node",
                "argperi",
                "M",
                "epoch",
                "q",
                "tp",
                "H",
                "G",
                "x",
                "y",
                "z",
                "vx",
                "vy",
                "vz",
                "A1",
                "A2",
                "A3",
                "n_hits",
                "rms",
            ),
        ),
        TableSchema(
            "links",
            "Which detections an orbit fitter linked to which orbit.",
            {"designation": "an orbit designation", "det_id": "a detection identifier"},
            ("residual",),
        ),
        TableSchema(
            "matches",
            "Identifications of detections or trails with known objects, one row per input row "
            "(unmatched rows keep an empty designation).",
            {"designation": "an identified designation (empty when unmatched)"},
            (
                "det_id",
                "trail_id",
                "number",
                "name",
                "class",
                "ra_pred",
                "dec_pred",
                "separation",
                "d_oc",
                "V",
                "direction",
                "n_candidates",
            ),
        ),
        TableSchema(
            "ephemeris",
            "Predicted positions: one row per (object, time), ICRF astrometric RA/Dec.",
            {
                "designation": "a designation",
                "obstime": "a time (astropy Time)",
                "ra": "a right ascension",
                "dec": "a declination",
            },
            ("ra_rate", "dec_rate", "r", "delta", "phase", "elong", "V"),
        ),
    ]
}


def column(name: str) -> ColumnSpec:
    """Return the specification of a column of the vocabulary.

    Parameters
    ----------
    name : str
        Column name.

    Returns
    -------
    ColumnSpec

    Examples
    --------
    >>> from astro_sso.tables import column
    >>> column("ra_rate").unit
    Unit("arcsec / h")
    """
    try:
        return COLUMNS[name]
    except KeyError:
        raise InputError(
            f"'{name}' is not a column of the astro-sso vocabulary; "
            f"known columns: {sorted(COLUMNS)}"
        ) from None


def schema(kind: str) -> TableSchema:
    """Return the schema of a kind of table (``'detections'``, ``'orbits'``...).

    Examples
    --------
    >>> from astro_sso.tables import schema
    >>> list(schema("trail_points").required)
    ['trail_id', 'obstime', 'ra', 'dec']
    """
    try:
        return SCHEMAS[kind]
    except KeyError:
        raise InputError(f"unknown kind of table '{kind}'; kinds: {sorted(SCHEMAS)}") from None


def _to_time(col, name: str, kind: str, spec: ColumnSpec) -> Time:
    if isinstance(col, Time):
        return col
    arr = np.asarray(col)
    if arr.dtype.kind in "US":
        try:
            return Time(arr, scale=spec.scale or "utc")
        except ValueError as exc:
            raise InputError(
                f"column '{name}' of the {kind} table holds strings that are not times ({exc}); "
                "give ISO times or an astropy Time column"
            ) from None
    raise InputError(
        f"column '{name}' of the {kind} table must be an astropy Time, got {arr.dtype} values; "
        f"build it with Time(values, format='jd' or 'mjd', scale=...) so the time scale is explicit"
    )


def _to_unit(col, name: str, kind: str, spec: ColumnSpec):
    if isinstance(col, u.Quantity):
        try:
            return col.to(spec.unit)
        except u.UnitConversionError:
            raise InputError(
                f"column '{name}' of the {kind} table has unit '{col.unit}', which does not "
                f"convert to {spec.unit}: {spec.description}"
            ) from None
    unit = getattr(col, "unit", None)
    data = col.filled(np.nan) if isinstance(col, MaskedColumn) and col.dtype.kind == "f" else col
    if unit is not None:
        return _to_unit(u.Quantity(np.asarray(data), unit), name, kind, spec)
    try:
        values = np.asarray(data, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            f"column '{name}' of the {kind} table must be numeric ({spec.description}), "
            f"got {np.asarray(data).dtype}"
        ) from None
    return values * spec.unit


def require_columns(table, kind: str, columns=None) -> None:
    """Raise `~astro_sso.exceptions.InputError` unless ``table`` has the columns.

    Parameters
    ----------
    table : `~astropy.table.Table`
        The table to check.
    kind : str
        Kind of table (for the message and the default columns).
    columns : iterable of str, optional
        Columns to require; default the required columns of ``kind``.

    Examples
    --------
    >>> from astropy.table import QTable
    >>> from astro_sso.tables import require_columns
    >>> require_columns(QTable({"designation": ["1"]}), "orbits")
    """
    sch = schema(kind)
    cols = list(sch.required) if columns is None else list(columns)
    names = list(getattr(table, "colnames", []))
    for name in cols:
        if name not in names:
            reason = (
                sch.required.get(name)
                or COLUMNS.get(name, ColumnSpec(name, "str", None, "")).description
            )
            raise InputError(f"column '{name}' missing: {kind} need {reason}; got columns {names}")


def validate_table(
    table,
    kind: str,
    *,
    required=None,
    allow_empty: bool = True,
    allow_nan: bool = False,
    copy: bool = True,
) -> QTable:
    """Check a table against a schema and return it as a QTable in canonical units.

    Columns of the vocabulary are converted to their canonical unit (a column
    without a unit is read in the canonical unit), time columns must be
    `~astropy.time.Time` (or ISO strings), and required numeric columns must
    not hold NaN unless ``allow_nan``. Columns outside the vocabulary pass
    through unchanged.

    Parameters
    ----------
    table : `~astropy.table.Table` or `~astropy.table.QTable`
        The table.
    kind : str
        Kind of table, a key of `SCHEMAS`.
    required : iterable of str, optional
        Columns to require instead of the schema's required ones.
    allow_empty : bool
        Whether a table with no rows is accepted.
    allow_nan : bool
        Whether NaN is accepted in the required numeric columns.
    copy : bool
        Work on a copy (default) rather than on ``table`` itself.

    Returns
    -------
    `~astropy.table.QTable`

    Raises
    ------
    astro_sso.exceptions.InputError
        With a message naming the column or rows at fault and what to do.

    Examples
    --------
    >>> from astropy.table import Table
    >>> from astropy.time import Time
    >>> from astro_sso.tables import validate_table
    >>> t = Table({"ra": [10.0], "dec": [-5.0], "obstime": Time(["2024-01-01"])})
    >>> validate_table(t, "detections")["ra"].unit
    Unit("deg")
    """
    if not isinstance(table, Table):
        raise InputError(
            f"expected an astropy Table or QTable of {kind}, got {type(table).__name__}; "
            "read files with astropy.table.QTable.read(path)"
        )
    sch = schema(kind)
    require_columns(table, kind, required)
    out = QTable(table, copy=copy)
    if len(out) == 0 and not allow_empty:
        raise InputError(f"the {kind} table is empty: nothing to process")
    required_cols = list(sch.required) if required is None else list(required)
    for name in out.colnames:
        spec = COLUMNS.get(name)
        if spec is None:
            continue
        col = out[name]
        if spec.kind == "time":
            t = _to_time(col, name, kind, spec)
            if spec.scale and t.scale != spec.scale:
                t = getattr(t, spec.scale)
            out[name] = t
        elif spec.kind == "float" and spec.unit is not None:
            out[name] = _to_unit(col, name, kind, spec)
        if spec.kind == "float" and name in required_cols and not allow_nan and len(out):
            vals = np.asarray(getattr(out[name], "value", out[name]), dtype=float)
            bad = np.flatnonzero(~np.isfinite(vals))
            if bad.size:
                raise InputError(
                    f"column '{name}' of the {kind} table has {bad.size} non-finite value(s) "
                    f"(rows {bad[:10].tolist()}{'...' if bad.size > 10 else ''}); "
                    "remove or fill those rows"
                )
    return out


def empty_table(kind: str, columns=None) -> QTable:
    """Return a typed, empty table of a kind: the right columns, dtypes and units.

    Plugins return it when they find nothing, so chained steps keep working.

    Parameters
    ----------
    kind : str
        Kind of table, a key of `SCHEMAS`.
    columns : iterable of str, optional
        Columns to include; default the schema's required columns.

    Examples
    --------
    >>> from astro_sso.tables import empty_table
    >>> t = empty_table("detections", ["det_id", "ra", "dec", "obstime", "mag"])
    >>> len(t), t["mag"].unit
    (0, Unit("mag"))
    """
    sch = schema(kind)
    names = list(sch.required) if columns is None else list(columns)
    out = QTable()
    for name in names:
        spec = column(name)
        if spec.kind == "time":
            out[name] = Time([], format="jd", scale=spec.scale or "utc")
        elif spec.kind == "float":
            data = np.zeros(0, dtype=float)
            out[name] = data * spec.unit if spec.unit is not None else data
        elif spec.kind == "int":
            out[name] = np.zeros(0, dtype=np.int64)
        elif spec.kind == "bool":
            out[name] = np.zeros(0, dtype=bool)
        elif spec.kind == "array":
            out[name] = np.zeros((0, 0, 0, 0), dtype=np.float32)
        else:
            out[name] = _TableColumn(np.zeros(0, dtype="U1"))
    return out


def columns_rst() -> str:
    """Render the whole vocabulary as a reStructuredText list-table (for the docs).

    Examples
    --------
    >>> from astro_sso.tables import columns_rst
    >>> "``obstime``" in columns_rst()
    True
    """
    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 15 10 12 63",
        "",
        "   * - Column",
        "     - Kind",
        "     - Unit",
        "     - Meaning",
    ]
    for spec in COLUMNS.values():
        kind = spec.kind + (f" ({spec.scale.upper()})" if spec.scale else "")
        lines += [
            f"   * - ``{spec.name}``",
            f"     - {kind}",
            f"     - {spec.unit_str or '-'}",
            f"     - {spec.description}",
        ]
    return "\n".join(lines) + "\n"


def schema_rst(kind: str) -> str:
    """Render one table schema as reStructuredText (for the docs).

    Examples
    --------
    >>> from astro_sso.tables import schema_rst
    >>> print(schema_rst("links").splitlines()[0])
    ``links``
    """
    sch = schema(kind)
    lines = [f"``{kind}``", "^" * (len(kind) + 4), "", sch.description, ""]
    lines.append("Required: " + ", ".join(f"``{c}`` ({r})" for c, r in sch.required.items()) + ".")
    if sch.optional:
        lines += ["", "Optional: " + ", ".join(f"``{c}``" for c in sch.optional) + "."]
    return "\n".join(lines) + "\n"
