"""The two services of the online backend, through astroquery's clients.

* `skybot_cone`: one IMCCE SkyBoT cone search (Berthier et al. 2006): which
  known objects are in a cone at an epoch, seen from an observer. The request is
  built by ``astroquery.imcce.Skybot.cone_search`` and sent by the client's
  ``_request`` (astroquery's on-disk cache), to the URL, with the timeout, of
  `astro_sso_skybot.conf`.
* `horizons_ephemerides`: astrometric RA/Dec and V of one object at a list of
  epochs from JPL Horizons (``astroquery.jplhorizons.Horizons``), the list split
  into batches of ``conf.horizons_batch_size`` epochs.

Both tell "the service failed" from "no object there". A failure (no network,
timeout, HTTP error, an answer saying the service failed, an answer that is not
what was asked for) is retried ``conf.retries`` times with exponential backoff,
is never kept in the cache, and then raises
`~astro_sso.exceptions.ServiceError`, whose message suggests
``backend="local"``. SkyBoT answering that no object is in the cone is not a
failure: `skybot_cone` returns an empty table with the usual columns.
"""

from __future__ import annotations

import re
import time
import warnings
from io import BytesIO

import numpy as np
from astropy import units as u
from astropy.table import QTable

from astro_sso.exceptions import ServiceError

from .config import conf

__all__ = [
    "SKYBOT_CLASSES",
    "skybot_class",
    "horizons_location",
    "read_skybot_answer",
    "skybot_cone",
    "horizons_ephemerides",
]

#: SkyBoT class prefixes -> classes of the astro-sso vocabulary (the MPCORB names
#: where both exist), tried in this order; anything else is kept as SkyBoT writes it.
SKYBOT_CLASSES = (
    ("NEA>Atira", "Atira"),
    ("NEA>Aten", "Aten"),
    ("NEA>Apollo", "Apollo"),
    ("NEA>Amor", "Amor"),
    ("NEA", "NEA"),
    ("Mars-Crosser", "Mars-crosser"),
    ("Hungaria", "Hungaria"),
    ("MB>Hilda", "Hilda"),
    ("MB", "MBA"),
    ("Trojan", "Jupiter Trojan"),
    ("Centaur", "Centaur"),
    ("KBO", "TNO"),
    ("Comet", "Comet"),
)

_NO_OBJECT = re.compile(r"no\s+solar\s+system\s+object", re.I)
_FLAG = re.compile(r"^#\s*Flag:\s*(-?\d+)", re.M)


class _Failure(Exception):
    """An attempt failed; ``retry`` says whether trying again may help."""

    def __init__(self, message, retry=True):
        super().__init__(message)
        self.retry = retry


def skybot_class(label) -> str:
    """Translate a SkyBoT class (``'MB>Middle'``, ``'NEA>Apollo'``...) to the vocabulary.

    Parameters
    ----------
    label : str
        The ``Class`` field of a SkyBoT answer.

    Returns
    -------
    str
        ``'MBA'``, ``'Apollo'``, ``'Jupiter Trojan'``, ``'TNO'``... (see
        `SKYBOT_CLASSES`); an unknown class is returned unchanged.

    Examples
    --------
    >>> from astro_sso_skybot.services import skybot_class
    >>> skybot_class("MB>Middle"), skybot_class("KBO>Detached"), skybot_class("NEA>Apollo")
    ('MBA', 'TNO', 'Apollo')
    """
    text = str(label).strip()
    for prefix, ours in SKYBOT_CLASSES:
        if text.startswith(prefix):
            return ours
    return text


def horizons_location(code) -> str:
    """JPL Horizons ``location`` of an MPC observer code.

    The geocentre ``'500'`` becomes ``'500@399'`` and HST's ``'250'`` becomes
    ``'@hst'`` (Horizons then uses the telescope's own position, as the paper
    did); other codes are MPC site codes, which Horizons knows.

    Examples
    --------
    >>> from astro_sso_skybot.services import horizons_location
    >>> horizons_location("250"), horizons_location("500"), horizons_location("I41")
    ('@hst', '500@399', 'I41')
    """
    code = str(code).strip()
    return {"500": "500@399", "250": "@hst"}.get(code, code)


def _empty_skybot() -> QTable:
    from astro_sso.catalog import from_skybot

    return from_skybot(
        QTable(
            {
                "num": np.zeros(0, "U1"),
                "name": np.zeros(0, "U1"),
                "_raj2000": np.zeros(0) * u.deg,
                "_decj2000": np.zeros(0) * u.deg,
                "class": np.zeros(0, "U1"),
                "magV": np.zeros(0),
                "errpos": np.zeros(0) * u.arcsec,
                "angdist": np.zeros(0) * u.arcsec,
                "dracosdec": np.zeros(0) * u.arcsec / u.h,
                "ddec": np.zeros(0) * u.arcsec / u.h,
                "dgeo": np.zeros(0) * u.AU,
                "dhelio": np.zeros(0) * u.AU,
            }
        )
    )


def read_skybot_answer(content) -> QTable:
    """Read a SkyBoT cone-search answer, telling "no object" from "the service failed".

    Parameters
    ----------
    content : bytes or str
        The body of SkyBoT's answer (VOTable, or SkyBoT's text format).

    Returns
    -------
    `~astropy.table.QTable`
        The objects, in the columns of `astro_sso.catalog.from_skybot`
        (``designation``, ``number``, ``name``, ``class``, ``ra``, ``dec``,
        ``V``, ``ra_rate``, ``dec_rate``, ``separation``, ``r``, ``delta``,
        ``posunc``), ``class`` translated by `skybot_class`. Empty (same
        columns) when SkyBoT says no object is in the cone: an empty body, a
        ``No solar system object was found`` message, ``# Flag: 0``, or a
        VOTable whose table has no row.

    Raises
    ------
    astro_sso.exceptions.ServiceError
        The answer says the service failed (``# Flag: -1``, a VOTable
        ``QUERY_STATUS`` of ``ERROR``) or is not a SkyBoT answer (an HTML
        error page, a VOTable without a table...).

    Examples
    --------
    >>> from astro_sso_skybot.services import read_skybot_answer
    >>> len(read_skybot_answer(b"# Flag: 0\\n# Ticket: 1\\nNo solar system object was found"))
    0
    """
    try:
        return _read_skybot_answer(content)
    except _Failure as exc:
        raise ServiceError(f"SkyBoT: {exc}") from None


def _read_skybot_answer(content) -> QTable:
    from astropy.io import votable

    from astro_sso.catalog import from_skybot

    raw = content.encode() if isinstance(content, str) else bytes(content or b"")
    text = raw.decode("utf-8", errors="replace")
    body = text.strip()
    if not body or _NO_OBJECT.search(body):
        return _empty_skybot()
    flag = _FLAG.search(body)
    if flag is not None:
        if int(flag.group(1)) == 0:
            return _empty_skybot()
        detail = " ".join(ln.strip() for ln in body.splitlines()[1:4] if ln.strip())
        raise _Failure(f"the service reported an error (flag {flag.group(1)}): {detail[:300]}")
    if "votable" not in body[:2000].lower():
        raise _Failure(f"the answer is not a VOTable: {body[:200]!r}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            vot = votable.parse(BytesIO(raw), verify="ignore")
    except Exception as exc:  # an unreadable VOTable is a broken answer
        raise _Failure(f"the VOTable cannot be read ({type(exc).__name__}: {exc})") from None
    infos = list(vot.infos) + [i for r in vot.resources for i in r.infos]
    for info in infos:
        if str(info.name).upper() == "QUERY_STATUS" and str(info.value).upper() == "ERROR":
            detail = (info.content or "").strip()
            if _NO_OBJECT.search(detail):
                return _empty_skybot()
            raise _Failure(f"the service reported an error: {detail[:300] or 'no detail'}")
    tables = list(vot.iter_tables())
    if not tables:
        if any(_NO_OBJECT.search(str(i.content or "")) for i in infos):
            return _empty_skybot()
        raise _Failure("the VOTable holds no table and no status message")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = tables[0].to_table()
    if len(table) == 0:
        return _empty_skybot()
    out = from_skybot(table)
    out["class"] = np.array([skybot_class(c) for c in out["class"]], dtype=str)
    return out


def _client(cls):
    client = cls()
    if conf.cache_location:
        client.cache_location = conf.cache_location
    return client


def _forget(client):
    """Remove the cached answer of the client's last request (a failed answer)."""
    query = getattr(client, "_last_query", None)
    if query is None:
        return
    try:
        query.remove_cache_file(client.cache_location)
    except (OSError, AttributeError):
        pass


def _attempts(service: str, url: str, attempt):
    """Call ``attempt()`` with retries and exponential backoff; failures -> ServiceError."""
    import requests

    tries = max(0, int(conf.retries)) + 1
    last = "no attempt made"
    for k in range(tries):
        try:
            return attempt()
        except _Failure as exc:
            last = str(exc)
            if not exc.retry:
                tries = k + 1
                break
        except requests.exceptions.RequestException as exc:
            last = f"{type(exc).__name__}: {exc}"
        except OSError as exc:  # sockets, DNS, certificates
            last = f"{type(exc).__name__}: {exc}"
        if k + 1 < tries:
            time.sleep(float(conf.backoff) * 2.0**k)
    raise ServiceError(
        f"{service} ({url}) failed after {tries} attempt(s): {last}. This is a failure of "
        "the service or of the network, not an empty answer. Check the connection and the "
        "service status, raise astro_sso_skybot.conf.timeout or .retries, or match offline "
        'with backend="local" and a catalogue (astro_sso.catalog.read_mpcorb("MPCORB.DAT"))'
    )


def _check_http(response):
    status = int(getattr(response, "status_code", 200) or 200)
    if status >= 400:
        raise _Failure(f"HTTP status {status}", retry=status >= 500 or status == 429)


def skybot_cone(center, radius, epoch, location="500", *, cache=True) -> QTable:
    """Known objects in a cone at an epoch, from the IMCCE SkyBoT service.

    Parameters
    ----------
    center : `~astropy.coordinates.SkyCoord`
        Centre of the cone.
    radius : `~astropy.units.Quantity`
        Radius (up to 10 deg, SkyBoT's limit).
    epoch : `~astropy.time.Time`
        Epoch (scalar; sent as a UTC Julian date).
    location : str
        MPC observatory code of the observer (``'500'`` geocentre, ``'250'``
        HST, ``'I41'`` ZTF...).
    cache : bool
        Use astroquery's on-disk cache of answers.

    Returns
    -------
    `~astropy.table.QTable`
        See `read_skybot_answer`; ``meta`` holds the query (centre, radius,
        epoch, location, URL). Empty when SkyBoT finds no object in the cone.

    Raises
    ------
    astro_sso.exceptions.ServiceError
        SkyBoT could not be reached or failed (after the retries of `astro_sso_skybot.conf`).

    Examples
    --------
    .. code-block:: python

        from astropy.coordinates import SkyCoord
        from astropy.time import Time
        import astropy.units as u
        from astro_sso_skybot.services import skybot_cone

        skybot_cone(SkyCoord(81.2833, 4.49278, unit="deg"), 720 * u.arcsec,
                    Time("2025-01-02"), location="500")
    """
    from astroquery.imcce import SkybotClass

    client = _client(SkybotClass)
    rad = u.Quantity(radius).to(u.deg)
    payload = client.cone_search(
        center.icrs, rad, epoch.utc.jd, location=str(location), get_query_payload=True
    )
    url = conf.skybot_server

    def attempt():
        response = client._request(
            method="GET", url=url, params=payload, timeout=float(conf.timeout), cache=cache
        )
        try:
            _check_http(response)
            return _read_skybot_answer(response.content)
        except _Failure:
            _forget(client)
            raise

    table = _attempts("SkyBoT", url, attempt)
    table.meta.update(
        {
            "skybot_center": [float(center.icrs.ra.deg), float(center.icrs.dec.deg)],
            "skybot_radius_arcsec": float(rad.to_value(u.arcsec)),
            "skybot_epoch_jd_utc": float(epoch.utc.jd),
            "skybot_location": str(location),
            "skybot_server": url,
        }
    )
    return table


def horizons_ephemerides(target, location, epochs_jd_utc, *, cache=True) -> dict:
    """Astrometric RA/Dec and V of one object at a list of epochs, from JPL Horizons.

    Parameters
    ----------
    target : str
        The object: a number (``'433'``) or a designation (``'2019 RB21'``),
        queried as a small body (comets: closest apparition).
    location : str
        Horizons location (see `horizons_location`).
    epochs_jd_utc : array-like
        UTC Julian dates; split into batches of ``conf.horizons_batch_size``.
    cache : bool
        Use astroquery's on-disk cache of answers.

    Returns
    -------
    dict
        ``jd`` (UTC Julian dates of the rows Horizons returned, sorted),
        ``ra``, ``dec`` [deg] (astrometric ICRF), ``V`` [mag] (NaN when
        Horizons gives none), ``api_version`` (from the answer's header).

    Raises
    ------
    astro_sso.exceptions.ServiceError
        Horizons could not be reached, failed, or answered with something
        other than an ephemeris (for instance an unknown object).

    Examples
    --------
    .. code-block:: python

        from astro_sso_skybot.services import horizons_ephemerides
        eph = horizons_ephemerides("1", "500@399", [2459740.5, 2459750.5])
    """
    from astroquery.jplhorizons import HorizonsClass

    epochs = np.atleast_1d(np.asarray(epochs_jd_utc, dtype=float))
    size = max(1, int(conf.horizons_batch_size))
    url = conf.horizons_server
    target = str(target).strip()
    parts = {"jd": [], "ra": [], "dec": [], "V": []}
    version = "unknown"
    for s in range(0, epochs.size, size):
        batch = [float(x) for x in epochs[s : s + size]]
        client = HorizonsClass(id=target, location=str(location), epochs=batch, id_type="smallbody")
        if conf.cache_location:
            client.cache_location = conf.cache_location
        payload = client.ephemerides_async(
            quantities="1,9", closest_apparition="/" in target, get_query_payload=True
        )

        def attempt(client=client, payload=payload):
            response = client._request(
                "GET", url, params=payload, timeout=float(conf.timeout), cache=cache
            )
            try:
                _check_http(response)
                text = response.content.decode("utf-8", errors="replace")
                if "$$SOE" not in text:
                    first = " ".join(
                        ln.strip()
                        for ln in text.splitlines()
                        if ln.strip() and not ln.startswith("API ")
                    )
                    raise _Failure(
                        f"no ephemeris of '{target}' in the answer: {first[:300]!r}",
                        retry=not text.strip(),
                    )
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        table = client._parse_result(response)
                except Exception as exc:
                    raise _Failure(
                        f"the answer for '{target}' cannot be read ({type(exc).__name__}: {exc})",
                        retry=False,
                    ) from None
                return table, text
            except _Failure:
                _forget(client)
                raise

        table, text = _attempts("JPL Horizons", url, attempt)
        m = re.search(r"^API VERSION:\s*(\S+)", text, re.M)
        if m:
            version = m.group(1)
        parts["jd"].append(np.asarray(table["datetime_jd"], dtype=float))
        parts["ra"].append(np.asarray(table["RA"], dtype=float))
        parts["dec"].append(np.asarray(table["DEC"], dtype=float))
        if "V" in table.colnames:
            vals = np.ma.filled(np.ma.asarray(table["V"], dtype=float), np.nan)
        else:
            vals = np.full(len(table), np.nan)
        parts["V"].append(np.asarray(vals, dtype=float))
    out = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
    jd, first = np.unique(out["jd"], return_index=True)
    out = {k: v[first] for k, v in out.items()}
    out["jd"] = jd
    out["api_version"] = version
    return out
