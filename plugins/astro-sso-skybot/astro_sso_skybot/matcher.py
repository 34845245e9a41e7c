"""The ``skybot-horizons`` matcher: identify detections and trails with known objects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.table import QTable, Table

from astro_sso.base import Matcher
from astro_sso.exceptions import InputError
from astro_sso.tables import SCHEMAS, validate_table

__all__ = ["SkybotHorizonsMatcher", "load_catalog"]

_TRAIL_REQUIRED = tuple(SCHEMAS["trails"].required)
_POINT_REQUIRED = ("ra", "dec", "obstime")
#: Default tolerances: Kepler's Sieve's 2" for point detections, the paper's 3" for trails.
DEFAULT_TOLERANCE = {"detections": 2.0 * u.arcsec, "trails": 3.0 * u.arcsec}
_TABLE_SUFFIXES = (".ecsv", ".fits", ".fit", ".hdf5", ".h5", ".parquet", ".vot", ".xml")


def _angle(value, name, low=0.0, high=10.0):
    try:
        q = u.Quantity(value)
        deg = float(q.to_value(u.deg))
    except (TypeError, ValueError, u.UnitConversionError):
        raise InputError(f"{name} must be an angle (e.g. 3 * u.arcsec), got {value!r}") from None
    if np.ndim(q) or not low < deg <= high:
        raise InputError(f"{name} must be one angle in ({low}, {high}] deg, got {value}")
    return q.to(u.arcsec)


def load_catalog(catalog, method="twobody"):
    """The local backend's catalogue as a `~astro_sso.catalog.KnownObjects` index.

    Parameters
    ----------
    catalog : `~astro_sso.catalog.KnownObjects`, `~astropy.table.Table`, str or path
        An index, an orbits table (e.g. from `astro_sso.catalog.read_mpcorb`),
        or a file: an MPC orbit file (``MPCORB.DAT``, ``.gz``, the JSON export)
        or an orbits table file (``.ecsv``, ``.fits``...).
    method : {'twobody', 'nbody', 'accurate'}
        Propagation of an index built here.

    Returns
    -------
    `~astro_sso.catalog.KnownObjects`

    Raises
    ------
    InputError
        A missing file, or something that is not a catalogue.

    Examples
    --------
    >>> from astro_sso.simulate import synthetic_orbits
    >>> from astro_sso_skybot.matcher import load_catalog
    >>> len(load_catalog(synthetic_orbits(20, seed=1)))
    20
    """
    from astro_sso.catalog import KnownObjects, read_mpcorb

    if isinstance(catalog, KnownObjects):
        return catalog
    if isinstance(catalog, Table):
        return KnownObjects(catalog, method=method)
    if isinstance(catalog, str | Path):
        path = Path(catalog)
        if not path.is_file():
            raise InputError(
                f"catalogue file '{path}' does not exist: give an MPC orbit file (MPCORB.DAT, "
                "download it from https://minorplanetcenter.net/iau/MPCORB.html) or an orbits "
                "table (.ecsv)"
            )
        if path.suffix.lower() in _TABLE_SUFFIXES:
            table = QTable.read(path)
        else:
            table = read_mpcorb(path)
        return KnownObjects(table, method=method)
    raise InputError(
        "catalog must be an orbits table (e.g. astro_sso.catalog.read_mpcorb('MPCORB.DAT')), a "
        f"KnownObjects index or a file path; got {type(catalog).__name__}"
    )


class SkybotHorizonsMatcher(Matcher):
    """Identify detections and trails with known Solar System objects (SkyBoT + Horizons).

    The method of Kruk et al. (2022, Hubble Asteroid Hunter I, sect. 3.4.2).
    For each trail, candidates come from a cone search (radius ``cone_radius``)
    around the trail's mean position at mid-exposure, seen from the trail's
    observer; their ephemerides are computed over the exposure at ``step``
    (1 minute), and the O-C distance ``d_oc`` between the predicted track and
    the trail is minimised over both motion directions and over time shifts
    within ``time_allowance`` (3 %) of the exposure time
    (`astro_sso_skybot.trails` gives the formula; with trail points, their RMS
    distance). The trail is identified with the candidate of smallest ``d_oc``
    when ``d_oc <= tolerance``. A point detection is identified with the nearest
    predicted position at its time within the tolerance.

    ``backend="online"`` asks the IMCCE SkyBoT service for candidates and JPL
    Horizons for their tracks, through astroquery (on-disk cache, timeouts and
    retries in `astro_sso_skybot.conf`); a service failure raises
    `~astro_sso.exceptions.ServiceError`, while "no object in the cone" is an
    unmatched row. ``backend="local"`` does the same offline with the core's
    `~astro_sso.catalog.KnownObjects` index (point detections through
    `~astro_sso.catalog.associate`) and ephemeris engine, on a catalogue the
    user supplies.

    Parameters
    ----------
    backend : {'local', 'online'}
        Offline with ``catalog``, or through the SkyBoT and Horizons services.
    catalog : `~astropy.table.Table`, `~astro_sso.catalog.KnownObjects`, str or None
        The local backend's catalogue: an orbits table (e.g.
        `astro_sso.catalog.read_mpcorb`), an index, or a file (``MPCORB.DAT``,
        ``.ecsv``). Ignored online.
    tolerance : `~astropy.units.Quantity` or None
        Largest separation (points) or ``d_oc`` (trails) of a match; None: 2"
        for point detections (as Kepler's Sieve) and 3" for trails (as the
        paper). ``match(..., tolerance=...)`` overrides it for one call.
    cone_radius : `~astropy.units.Quantity`
        Radius of the candidate cone search around a trail (900" in the paper,
        to absorb every uncertainty); online, also the margin of the SkyBoT
        cones around point detections.
    step : `~astropy.units.Quantity`
        Time step of the predicted tracks of trail candidates.
    time_allowance : float
        Allowed error of a trail's times, as a fraction of its exposure time.
    method : {'twobody', 'nbody', 'accurate'}
        Propagation of the local backend (see `astro_sso.ephemeris.ephemeris`);
        ``'twobody'`` suits catalogues with recent epochs, as MPCORB's.
    observer : str or None
        MPC code of the observer of rows without an ``observer`` column.
    cache : bool
        Online: keep the services' answers in astroquery's on-disk cache.

    Examples
    --------
    >>> import astropy.units as u
    >>> from astropy.table import QTable
    >>> from astropy.time import Time
    >>> import astro_sso
    >>> from astro_sso.ephemeris import ephemeris
    >>> from astro_sso.simulate import synthetic_orbits
    >>> orbits = synthetic_orbits(200, seed=5)
    >>> t = Time("2024-01-12T05:00", scale="utc")
    >>> eph = ephemeris(orbits[:1], t, observer="I41", method="twobody")
    >>> det = QTable({"det_id": [1, 2], "ra": [eph["ra"][0]] * 2,
    ...               "dec": eph["dec"][0] + [0.4, 8.0] * u.arcsec,
    ...               "obstime": Time([t, t]), "observer": ["I41", "I41"]})
    >>> m = astro_sso.get_matcher("skybot-horizons", backend="local", catalog=orbits)
    >>> m.match(det, tolerance=3 * u.arcsec)["designation"].tolist()
    ['S000000', '']
    """

    name = "skybot-horizons"
    output_table = "matches"
    output_columns = (
        "designation",
        "number",
        "class",
        "ra_pred",
        "dec_pred",
        "V",
        "direction",
        "n_candidates",
    )
    citation = (
        "Kruk, S., et al. 2022, Hubble Asteroid Hunter: I. Identifying asteroid trails in "
        "Hubble Space Telescope images, A&A, doi:10.1051/0004-6361/202142998 (sect. 3.4)"
    )

    def __init__(
        self,
        *,
        backend: str = "local",
        catalog=None,
        tolerance=None,
        cone_radius=900.0 * u.arcsec,
        step=1.0 * u.min,
        time_allowance: float = 0.03,
        method: str = "twobody",
        observer: str | None = None,
        cache: bool = True,
    ):
        from astro_sso.ephemeris import METHODS

        if backend not in ("local", "online"):
            raise InputError(f"backend must be 'local' or 'online', got {backend!r}")
        if tolerance is not None:
            tolerance = _angle(tolerance, "tolerance")
        cone_radius = _angle(cone_radius, "cone_radius")
        try:
            step_q = u.Quantity(step).to(u.min)
        except (TypeError, ValueError, u.UnitConversionError):
            raise InputError(f"step must be a time (e.g. 1 * u.min), got {step!r}") from None
        if np.ndim(step_q) or not 0 < step_q.value <= 30 * 1440:
            raise InputError(f"step must be one time between 0 and 30 days, got {step}")
        if not (np.isscalar(time_allowance) and 0.0 <= float(time_allowance) < 0.5):
            raise InputError(f"time_allowance must be in [0, 0.5), got {time_allowance!r}")
        if method not in METHODS:
            raise InputError(f"method={method!r} is unknown: use one of {', '.join(METHODS)}")
        if observer is not None and not isinstance(observer, str):
            raise InputError(f"observer must be an MPC code string, got {observer!r}")
        if isinstance(catalog, str | Path) and not Path(catalog).is_file():
            raise InputError(f"catalogue file '{catalog}' does not exist")
        self.backend = backend
        self.catalog = catalog
        self.tolerance = tolerance
        self.cone_radius = cone_radius
        self.step = step_q
        self.time_allowance = float(time_allowance)
        self.method = method
        self.observer = observer
        self.cache = bool(cache)
        self._known = None

    # ------------------------------------------------------------------ helpers

    def get_params(self):
        """The parameters, with the catalogue summarised (for display and provenance).

        Examples
        --------
        >>> from astro_sso.simulate import synthetic_orbits
        >>> from astro_sso_skybot import SkybotHorizonsMatcher
        >>> SkybotHorizonsMatcher(catalog=synthetic_orbits(5)).get_params()["catalog"]
        'orbits table of 5 rows'
        """
        params = super().get_params()
        cat = params.get("catalog")
        if isinstance(cat, Table):
            params["catalog"] = f"orbits table of {len(cat)} rows"
        elif cat is not None and not isinstance(cat, str | Path):
            params["catalog"] = f"{type(cat).__name__} of {len(cat)} objects"
        elif cat is not None:
            params["catalog"] = str(cat)
        return params

    def known_objects(self):
        """The local backend's `~astro_sso.catalog.KnownObjects` index (built once).

        Raises
        ------
        InputError
            No catalogue was given.
        """
        if self._known is None:
            if self.catalog is None:
                raise InputError(
                    "backend='local' needs a catalogue: pass catalog= an orbits table (e.g. "
                    "astro_sso.catalog.read_mpcorb('MPCORB.DAT')) or a file path, or use "
                    "backend='online' (SkyBoT and JPL Horizons, needs the network)"
                )
            self._known = load_catalog(self.catalog, method=self.method)
        return self._known

    @classmethod
    def conformance_inputs(cls):
        """Inputs of `astro_sso.testing.check_plugin`: a small synthetic local catalogue.

        The valid input is the harness's three ZTF-like detections with the
        first one moved onto a catalogue object, so that one row is identified.
        """
        from astropy.time import Time

        from astro_sso.ephemeris import ephemeris
        from astro_sso.simulate import synthetic_orbits
        from astro_sso.testing import default_inputs

        orbits = synthetic_orbits(40, seed=11)
        det = default_inputs("matcher")["valid"]
        t = Time(det["obstime"][0])
        eph = ephemeris(orbits[:1], t, observer="I41", method="twobody")
        det["ra"][0] = eph["ra"][0]
        det["dec"][0] = eph["dec"][0]
        return {"params": {"backend": "local", "catalog": orbits}, "valid": det}

    @staticmethod
    def table_kind(table) -> str:
        """``'trails'`` or ``'detections'``, from the columns of ``table``.

        Raises
        ------
        InputError
            It is neither (the message lists what each needs).

        Examples
        --------
        >>> from astropy.table import QTable
        >>> from astro_sso_skybot import SkybotHorizonsMatcher
        >>> SkybotHorizonsMatcher.table_kind(QTable({"ra": [1.0], "dec": [2.0], "obstime": ["x"]}))
        'detections'
        """
        if not isinstance(table, Table):
            raise InputError(
                f"match() takes an astropy Table/QTable of detections or trails, got "
                f"{type(table).__name__}; read files with astropy.table.QTable.read(path)"
            )
        cols = set(table.colnames)
        if set(_TRAIL_REQUIRED) <= cols:
            return "trails"
        if set(_POINT_REQUIRED) <= cols:
            return "detections"
        need_t = [c for c in _TRAIL_REQUIRED if c not in cols]
        need_p = [c for c in _POINT_REQUIRED if c not in cols]
        raise InputError(
            f"the table is neither detections (missing {need_p}) nor trails (missing {need_t}); "
            f"got columns {table.colnames}. Detections need ra, dec, obstime and observer; "
            "trails need trail_id, ra_start, dec_start, ra_end, dec_end, obstime_start, "
            "obstime_end and observer"
        )

    # ------------------------------------------------------------------ the method

    def match(self, table, *, tolerance=None, trail_points=None) -> QTable:
        """Identify each row of a detections or trails table with a known object.

        Parameters
        ----------
        table : `~astropy.table.QTable`
            Point detections (``ra``, ``dec``, ``obstime``, ``observer``;
            optional ``det_id`` and ADES ``obs_x, obs_y, obs_z`` with
            ``obs_center``) or trails (``trail_id``, ``ra_start``,
            ``dec_start``, ``ra_end``, ``dec_end``, ``obstime_start``,
            ``obstime_end``, ``observer``).
        tolerance : `~astropy.units.Quantity`, optional
            Overrides the matcher's ``tolerance`` for this call.
        trail_points : `~astropy.table.QTable`, optional
            Positions measured along the trails (``trail_id``, ``obstime``,
            ``ra``, ``dec``): a trail with two or more points is matched on
            their RMS distance to the predicted track.

        Returns
        -------
        `~astropy.table.QTable`
            One row per input row, in order: ``det_id`` (or ``trail_id``),
            ``designation`` (empty when unmatched), ``number`` (-1 when none),
            ``class``, ``ra_pred``, ``dec_pred`` [deg] (at the detection time,
            or mid-exposure for trails), ``separation`` (or ``d_oc``) [arcsec],
            ``V`` [mag], ``direction`` (trails: +1 start->end, -1 reversed;
            0 for points and unmatched rows), ``n_candidates`` (known objects
            considered). ``meta['provenance']`` records the backend, the
            parameters, the catalogue (size and epochs) or the services
            (URLs, versions, number of queries), and the counts.

        Raises
        ------
        InputError
            A table that is neither detections nor trails, bad units or times,
            no observer, no catalogue for the local backend.
        astro_sso.exceptions.ServiceError
            Online: SkyBoT or Horizons failed or cannot be reached (the message
            suggests ``backend="local"``).
        """
        kind = self.table_kind(table)
        if tolerance is not None:
            tol = _angle(tolerance, "tolerance")
        else:
            tol = self.tolerance if self.tolerance is not None else DEFAULT_TOLERANCE[kind]
        points = None
        if kind == "trails":
            data = validate_table(table, "trails")
            if trail_points is not None:
                points = validate_table(trail_points, "trail_points")
        else:
            if trail_points is not None:
                raise InputError("trail_points apply to a trails table, not to detections")
            data = validate_table(table, "detections")
        run = self._match_local if self.backend == "local" else self._match_online
        out, extra = run(kind, data, points, tol)
        matched = int(np.count_nonzero(np.asarray(out["designation"], dtype=str) != ""))
        return self._stamp(
            out,
            backend=self.backend,
            table_kind=kind,
            tolerance_arcsec=float(u.Quantity(tol).to_value(u.arcsec)),
            n_rows=len(out),
            n_matched=matched,
            method_reference="Kruk et al. 2022, A&A, sect. 3.4.2 (trail matching)",
            **extra,
        )

    def _match_local(self, kind, data, points, tol):
        from astropy.time import Time

        from .local import match_points_local, match_trails_local

        known = self.known_objects()
        epochs = []
        if len(known):
            epochs = [Time(jd, format="jd", scale="tdb").isot for jd in known.epoch_range]
        table = known.prepared.table
        catalogue = {
            "size": len(known),
            "method": known.method,
            "planets": known.planets,
            "epoch_range_tdb": epochs,
            "description": "" if table is None else str(table.meta.get("description", "")),
        }
        if kind == "detections":
            out, assoc = match_points_local(data, known, tol, observer=self.observer)
            return out, {"catalogue": catalogue, "associate": assoc}
        out = match_trails_local(
            data,
            points,
            known,
            tol,
            cone_radius=self.cone_radius,
            step=self.step,
            time_allowance=self.time_allowance,
            observer=self.observer,
        )
        return out, {"catalogue": catalogue}

    def _match_online(self, kind, data, points, tol):
        import datetime as dt

        import astroquery

        from .config import conf
        from .online import OnlineLog, match_points_online, match_trails_online

        log = OnlineLog()
        if kind == "detections":
            out = match_points_online(
                data, tol, cone_radius=self.cone_radius, observer=self.observer,
                cache=self.cache, log=log,
            )  # fmt: skip
        else:
            out = match_trails_online(
                data,
                points,
                tol,
                cone_radius=self.cone_radius,
                step=self.step,
                time_allowance=self.time_allowance,
                observer=self.observer,
                cache=self.cache,
                log=log,
            )
        services = {
            "skybot_server": conf.skybot_server,
            "horizons_server": conf.horizons_server,
            "astroquery_version": astroquery.__version__,
            **log.as_dict(),
        }
        queried = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        return out, {"services": services, "catalogue": f"SkyBoT and JPL Horizons, {queried}"}
