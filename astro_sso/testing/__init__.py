"""Conformance checks that any plugin class can run on itself.

In the spirit of scikit-learn's ``check_estimator``: call
`check_plugin` on your class in your own test suite::

    from astro_sso.testing import check_plugin
    from my_package import MyDetector

    def test_conformance():
        check_plugin(MyDetector)

Each check raises `AssertionError` with a message saying what the contract
requires. The inputs used by the checks come from the class's
``conformance_inputs()`` classmethod when it has one (returning a dict with
``'valid'``, ``'empty'`` and ``'bad'`` inputs, and optionally ``'params'``,
the keyword parameters to instantiate with), else from generic defaults
for its kind (`default_inputs`).

A pytest plugin (`astro_sso.testing.pytest_plugin`, loaded automatically
when astro-sso is installed) provides the ``astro_sso_plugin_manager``
fixture: a plugin manager with entry-point discovery blocked.
"""

from __future__ import annotations

import inspect

import numpy as np
from astropy import units as u
from astropy.table import QTable

from ..base import PLUGIN_KINDS, OrbitFitResult, PluginBase
from ..exceptions import AstroSSOError
from ..tables import COLUMNS, SCHEMAS

__all__ = [
    "check_plugin",
    "check_declares_name_and_kind",
    "check_documented_parameters",
    "check_output",
    "check_empty_input",
    "check_bad_input",
    "default_inputs",
    "synthetic_image",
    "realdata_path",
    "astroquery_test_file",
    "recorded_horizons",
]


def realdata_path():
    """Locate the project's folder of small real test files, or return None.

    The folder (``shared/realdata`` next to a checkout, with its own README of
    provenance) is not part of the package. It is found from the
    ``ASTRO_SSO_REALDATA`` environment variable, else by looking for
    ``shared/realdata`` in the parents of the current folder and of this
    package. Tests that need it skip with that reason when it is absent.

    Returns
    -------
    pathlib.Path or None

    Examples
    --------
    >>> from astro_sso.testing import realdata_path
    >>> p = realdata_path()
    >>> p is None or (p / "README.md").exists()
    True
    """
    import os
    from pathlib import Path

    env = os.environ.get("ASTRO_SSO_REALDATA")
    if env:
        return Path(env) if Path(env).is_dir() else None
    starts = [Path.cwd().resolve(), Path(__file__).resolve()]
    for start in starts:
        for parent in [start, *start.parents]:
            cand = parent / "shared" / "realdata"
            if cand.is_dir():
                return cand
    return None


def astroquery_test_file(package: str, name: str):
    """Path of a real service answer recorded in astroquery's test data.

    astroquery's wheel ships real answers of the services it wraps (JPL
    Horizons, SkyBoT...) in ``<package>/tests/data``: offline tests replay them.

    Parameters
    ----------
    package : str
        e.g. ``"astroquery.jplhorizons"`` or ``"astroquery.imcce"``.
    name : str
        File name, e.g. ``"ceres_ephemerides_range.txt"``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        When the package or the file is not installed (tests turn it into a skip).

    Examples
    --------
    >>> from astro_sso.testing import astroquery_test_file
    >>> astroquery_test_file("astroquery.imcce", "skybot_query.vot").suffix
    '.vot'
    """
    from importlib import resources
    from pathlib import Path

    try:
        path = Path(str(resources.files(package) / "tests" / "data" / name))
    except ModuleNotFoundError:
        raise FileNotFoundError(f"{package} is not installed") from None
    if not path.is_file():
        raise FileNotFoundError(
            f"astroquery's recorded answer {package}/tests/data/{name} is absent"
        )
    return path


def recorded_horizons(name: str):
    """Header and rows of a recorded JPL Horizons CSV answer (astroquery's test data).

    Parameters
    ----------
    name : str
        File in ``astroquery/jplhorizons/tests/data``, e.g.
        ``"ceres_ephemerides_range.txt"``.

    Returns
    -------
    header : list of str
        Column names (the line two above ``$$SOE``).
    rows : list of list of str
        The fields of each line between ``$$SOE`` and ``$$EOE``, stripped.

    Examples
    --------
    >>> from astro_sso.testing import recorded_horizons
    >>> header, rows = recorded_horizons("ceres_elements_range.txt")
    >>> "EC" in header and len(rows) > 1
    True
    """
    lines = astroquery_test_file("astroquery.jplhorizons", name).read_text().splitlines()
    start, stop = lines.index("$$SOE"), lines.index("$$EOE")
    header = [h.strip() for h in lines[start - 2].split(",")]
    rows = [[c.strip() for c in line.split(",")] for line in lines[start + 1 : stop]]
    return header, rows


def synthetic_image(
    shape=(96, 96),
    sources=((20.0, 30.0, 800.0), (60.0, 70.0, 500.0)),
    *,
    noise=5.0,
    seed=0,
    with_wcs=True,
):
    """A small noisy image with Gaussian sources, a TAN WCS and a DATE-OBS.

    Parameters
    ----------
    shape : tuple of int
        Image shape (ny, nx).
    sources : sequence of (x, y, amplitude)
        Gaussian sources (sigma 1.5 px) on a background of 100.
    noise : float
        Standard deviation of the Gaussian noise.
    seed : int
        Random seed.
    with_wcs : bool
        Attach a WCS (0.2"/px at RA 150, Dec 2).

    Returns
    -------
    `~astropy.nddata.CCDData`

    Examples
    --------
    >>> from astro_sso.testing import synthetic_image
    >>> synthetic_image().shape
    (96, 96)
    """
    from astropy.nddata import CCDData
    from astropy.wcs import WCS

    rng = np.random.default_rng(seed)
    data = rng.normal(100.0, noise, shape)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    for x, y, amp in sources:
        data += amp * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.5**2))
    wcs = None
    if with_wcs:
        wcs = WCS(naxis=2)
        wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
        wcs.wcs.crval = [150.0, 2.0]
        wcs.wcs.crpix = [shape[1] / 2, shape[0] / 2]
        wcs.wcs.cdelt = [-0.2 / 3600, 0.2 / 3600]
    meta = {"DATE-OBS": "2024-03-01T03:00:00", "EXPTIME": 30.0}
    return CCDData(data, unit="adu", wcs=wcs, meta=meta)


def default_inputs(kind: str) -> dict:
    """Generic valid, empty and bad inputs for a plugin kind.

    Examples
    --------
    >>> from astro_sso.testing import default_inputs
    >>> sorted(default_inputs("matcher"))
    ['bad', 'empty', 'valid']
    """
    from astropy.time import Time

    from ..tables import empty_table

    if kind == "detector":
        return {
            "valid": synthetic_image(),
            "empty": synthetic_image(sources=()),
            "bad": np.zeros((8, 8)),
        }
    if kind == "classifier":
        rng = np.random.default_rng(0)
        cut = QTable(
            {"source_id": np.arange(4), "cutout": rng.normal(size=(4, 32, 32, 1)).astype("f4")}
        )
        empty = QTable({"source_id": np.zeros(0, int), "cutout": np.zeros((0, 32, 32, 1), "f4")})
        return {"valid": cut, "empty": empty, "bad": QTable({"source_id": [1, 2]})}
    if kind in ("matcher", "orbit_fitter"):
        det = QTable(
            {
                "det_id": np.arange(3),
                "ra": [10.0, 10.1, 10.2] * u.deg,
                "dec": [5.0, 5.05, 5.1] * u.deg,
                "obstime": Time(["2024-01-01T03:00", "2024-01-01T04:00", "2024-01-01T05:00"]),
                "observer": ["I41"] * 3,
            }
        )
        empty = empty_table("detections", ["det_id", "ra", "dec", "obstime", "observer"])
        return {"valid": det, "empty": empty, "bad": QTable({"ra": [1.0] * u.deg})}
    raise AstroSSOError(f"no default inputs for kind '{kind}'")


def _inputs(cls) -> dict:
    base = default_inputs(cls.kind)
    custom = getattr(cls, "conformance_inputs", None)
    if custom is not None:
        base.update(custom())
    return base


def _run(instance, data):
    method = {
        "detector": "detect",
        "classifier": "classify",
        "orbit_fitter": "fit_orbits",
        "matcher": "match",
    }[instance.kind]
    return getattr(instance, method)(data)


def check_declares_name_and_kind(cls) -> None:
    """The class subclasses one plugin kind, and declares a name and a docstring."""
    assert isinstance(cls, type) and issubclass(cls, PluginBase), (
        f"{cls!r} must subclass one of astro_sso.base.Detector/Classifier/OrbitFitter/Matcher"
    )
    assert cls.kind in PLUGIN_KINDS, (
        f"{cls.__name__}.kind is {cls.kind!r}; kinds: {list(PLUGIN_KINDS)}"
    )
    assert isinstance(cls, type) and issubclass(cls, PLUGIN_KINDS[cls.kind]), (
        f"{cls.__name__}.kind is {cls.kind!r} but it does not subclass "
        f"{PLUGIN_KINDS[cls.kind].__name__}"
    )
    assert isinstance(cls.name, str) and cls.name, f"{cls.__name__} must set a non-empty `name`"
    assert cls.name == cls.name.lower() and " " not in cls.name, (
        f"{cls.__name__}.name {cls.name!r} must be lower case without spaces (e.g. 'my-detector')"
    )
    assert cls.summary(), f"{cls.__name__} needs a docstring whose first line says what it does"
    assert cls.output_table in SCHEMAS, (
        f"{cls.__name__}.output_table {cls.output_table!r} is not a table kind: {sorted(SCHEMAS)}"
    )
    unknown = [c for c in cls.output_columns if c not in COLUMNS]
    assert not unknown, (
        f"{cls.__name__}.output_columns has names outside the vocabulary of astro_sso.tables: "
        f"{unknown}"
    )


def check_documented_parameters(cls) -> None:
    """Every ``__init__`` parameter is keyword-only, has a default, and is documented."""
    sig = inspect.signature(cls.__init__)
    for p in sig.parameters.values():
        if p.name == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        assert p.kind == p.KEYWORD_ONLY, (
            f"{cls.__name__}: parameter '{p.name}' must be keyword-only (put it after `*`)"
        )
        assert p.default is not p.empty, f"{cls.__name__}: parameter '{p.name}' needs a default"
    missing = sorted(set(cls.param_names()) - set(cls.documented_params()))
    assert not missing, (
        f"{cls.__name__}: parameters {missing} are not documented in the 'Parameters' section "
        "of the class docstring (numpydoc)"
    )


def _check_table(cls, table, what: str) -> None:
    assert isinstance(table, QTable), (
        f"{cls.__name__} returned {type(table).__name__} for {what}; must be a QTable"
    )
    missing = [c for c in cls.output_columns if c not in table.colnames]
    assert not missing, f"{cls.__name__} output for {what} lacks documented columns {missing}"
    for name in table.colnames:
        spec = COLUMNS.get(name)
        if spec is None or spec.unit is None or spec.kind != "float":
            continue
        unit = getattr(table[name], "unit", None)
        assert unit is not None and u.Unit(unit).is_equivalent(spec.unit), (
            f"{cls.__name__} output column '{name}' has unit {unit}; "
            f"the vocabulary says {spec.unit}"
        )


def check_output(cls, params=None, data=None) -> None:
    """A valid input gives a QTable with the documented columns, units and provenance."""
    inputs = _inputs(cls)
    inst = cls(**(params if params is not None else inputs.get("params", {})))
    out = _run(inst, inputs["valid"] if data is None else data)
    tables = [("output", out)]
    if isinstance(out, OrbitFitResult):
        tables = [("orbits", out.orbits), ("links", out.links)]
    for what, table in tables:
        _check_table(cls, table, f"a valid input ({what})")
        assert "provenance" in table.meta, (
            f"{cls.__name__} output ({what}) has no meta['provenance']: use self._stamp(table)"
        )


def check_empty_input(cls, params=None) -> None:
    """An input with nothing to find gives a typed empty table with the documented columns."""
    inputs = _inputs(cls)
    inst = cls(**(params if params is not None else inputs.get("params", {})))
    out = _run(inst, inputs["empty"])
    tables = [out.orbits, out.links] if isinstance(out, OrbitFitResult) else [out]
    for table in tables:
        _check_table(cls, table, "an empty input")
        assert len(table) == 0, f"{cls.__name__} found {len(table)} rows in an empty input"


def check_bad_input(cls, params=None) -> None:
    """A malformed input raises an astro-sso error (InputError) with a message."""
    inputs = _inputs(cls)
    inst = cls(**(params if params is not None else inputs.get("params", {})))
    try:
        _run(inst, inputs["bad"])
    except AstroSSOError as exc:
        assert str(exc), f"{cls.__name__} raised {type(exc).__name__} with an empty message"
        return
    except Exception as exc:  # anything else is a contract violation
        raise AssertionError(
            f"{cls.__name__} raised {type(exc).__name__}: {exc} for a malformed input; raise "
            "astro_sso.exceptions.InputError with a message that says what is wrong"
        ) from exc
    raise AssertionError(f"{cls.__name__} accepted a malformed input without an error")


def check_plugin(cls, params=None) -> None:
    """Run every conformance check on a plugin class.

    Parameters
    ----------
    cls : type
        The plugin class.
    params : dict, optional
        Keyword parameters to instantiate it with (default: those of its
        ``conformance_inputs()``, else its defaults).

    Raises
    ------
    AssertionError
        Naming the first rule the class breaks.

    Examples
    --------
    >>> from astro_sso.testing import check_plugin
    >>> from astro_sso.builtin.segmentation import SegmentationDetector
    >>> check_plugin(SegmentationDetector)
    """
    check_declares_name_and_kind(cls)
    check_documented_parameters(cls)
    check_output(cls, params)
    check_empty_input(cls, params)
    check_bad_input(cls, params)
