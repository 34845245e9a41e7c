"""The online backend, offline: real SkyBoT and Horizons answers replayed, failures simulated.

Requests go through astroquery's clients; their ``_request`` method is replaced
by a replay of a recorded answer (as astroquery's own tests do), and the
network itself is blocked for the whole module.
"""

import astropy.units as u
import numpy as np
import pytest
import requests
from astro_sso_skybot import conf
from astro_sso_skybot.services import (
    horizons_ephemerides,
    horizons_location,
    read_skybot_answer,
    skybot_class,
    skybot_cone,
)
from astropy.coordinates import SkyCoord
from astropy.table import QTable
from astropy.time import Time
from astroquery.imcce import SkybotClass
from astroquery.jplhorizons import HorizonsClass
from skybot_testdata import (
    SKYBOT_CENTER,
    SKYBOT_EPOCH,
    SKYBOT_RADIUS,
    SYNTHETIC_SKYBOT_ERROR_TEXT,
    SYNTHETIC_SKYBOT_NO_OBJECT_TEXT,
    Calls,
    ceres_positions,
    file_replay,
    horizons_replay,
    recorded_skybot,
    skybot_replay,
    synthetic_skybot_votable,
)

import astro_sso
from astro_sso.exceptions import InputError, ServiceError


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """No network, no waiting between retries, a private cache folder."""

    def no_network(*args, **kwargs):
        raise AssertionError("a test tried to reach the network")

    monkeypatch.setattr("astroquery.query.AstroQuery.request", no_network)
    with (
        conf.set_temp("backoff", 0.0),
        conf.set_temp("retries", 2),
        conf.set_temp("cache_location", str(tmp_path / "cache")),
    ):
        yield


def _detections(ra, dec, time=SKYBOT_EPOCH, observer="500"):
    n = len(ra)
    return QTable(
        {
            "det_id": np.arange(n),
            "ra": np.asarray(ra) * u.deg,
            "dec": np.asarray(dec) * u.deg,
            "obstime": Time([time] * n),
            "observer": [observer] * n,
        }
    )


def _ceres_trail(reverse=False, observer="500"):
    t, ra, dec, _ = ceres_positions()
    s, e = (2, 0) if reverse else (0, 2)
    return QTable(
        {
            "trail_id": [1],
            "ra_start": [ra[s]] * u.deg,
            "dec_start": [dec[s]] * u.deg,
            "ra_end": [ra[e]] * u.deg,
            "dec_end": [dec[e]] * u.deg,
            "obstime_start": Time([t[0]]),
            "obstime_end": Time([t[2]]),
            "observer": [observer],
        }
    )


def _ceres_skybot():
    """Synthetic SkyBoT answer listing Ceres (its position: the recorded Horizons one)."""
    t, ra, dec, V = ceres_positions()
    row = {"num": "1", "name": "Ceres", "ra": ra[1], "dec": dec[1], "class": "MB>Outer",
           "V": V[1], "dist": 12.0, "ra_rate": 60.0, "dec_rate": -1.0, "dgeo": 3.5,
           "dhelio": 2.55}  # fmt: skip
    return synthetic_skybot_votable([row])


# ------------------------------------------------------------------- reading answers


def test_recorded_answer_reads_as_four_objects_with_our_columns():
    sky = read_skybot_answer(recorded_skybot())
    assert sky["designation"].tolist() == ["229762", "523748", "2019 RB21", "2007 TE366"]
    assert sky["number"].tolist() == [229762, 523748, -1, -1]
    assert sky["class"].tolist() == ["TNO", "TNO", "MBA", "Mars-crosser"]
    assert sky["separation"].unit == u.arcsec and sky["ra_rate"].unit == u.arcsec / u.h
    np.testing.assert_allclose(sky["ra"].to_value(u.deg)[0], 81.303190599627357)
    assert sky["separation"].max() < SKYBOT_RADIUS


@pytest.mark.parametrize(
    "answer",
    [
        b"",
        SYNTHETIC_SKYBOT_NO_OBJECT_TEXT,
        "synthetic_empty_votable",
        "synthetic_votable_no_object_message",
    ],
)
def test_no_object_answers_are_empty_tables_not_errors(answer):
    if answer == "synthetic_empty_votable":
        answer = synthetic_skybot_votable([])
    elif answer == "synthetic_votable_no_object_message":
        answer = synthetic_skybot_votable(
            [], status="ERROR", message="No solar system object was found in the FOV"
        )
    sky = read_skybot_answer(answer)
    assert len(sky) == 0
    assert {"designation", "ra", "dec", "V", "separation"} <= set(sky.colnames)


@pytest.mark.parametrize(
    "answer, match",
    [
        (SYNTHETIC_SKYBOT_ERROR_TEXT, "flag -1"),
        ("synthetic_status_error", "reported an error: MySQL"),
        (b"<html><body>503 Service Unavailable</body></html>", "not a VOTable"),
        (b"<?xml version='1.0'?><VOTABLE version='1.3'></VOTABLE>", "no table"),
    ],
)
def test_failure_answers_raise_service_error(answer, match):
    if answer == "synthetic_status_error":
        answer = synthetic_skybot_votable([], status="ERROR", message="MySQL server has gone")
    with pytest.raises(ServiceError, match=match):
        read_skybot_answer(answer)


def test_class_translation_and_horizons_locations():
    assert skybot_class("NEA>Aten") == "Aten"
    assert skybot_class("MB>Hilda") == "Hilda"
    assert skybot_class("Trojan") == "Jupiter Trojan"
    assert skybot_class("Something new") == "Something new"
    assert horizons_location("250") == "@hst"
    assert horizons_location("500") == "500@399"


# ----------------------------------------------------------------------- SkyBoT queries


def test_cone_search_request_is_built_by_astroquery_and_replayed(monkeypatch):
    calls = Calls()
    monkeypatch.setattr(SkybotClass, "_request", skybot_replay(recorded_skybot(), calls))
    with conf.set_temp("timeout", 12.5):
        sky = skybot_cone(SkyCoord(*SKYBOT_CENTER, unit="deg"), SKYBOT_RADIUS, SKYBOT_EPOCH)
    assert len(sky) == 4 and len(calls) == 1
    p = calls[0]
    assert p["-ep"] == str(SKYBOT_EPOCH.jd) and p["-loc"] == "500"
    assert float(p["-rd"]) == pytest.approx(0.2)
    assert p["-mime"] == "votable" and p["_url"] == conf.skybot_server
    assert p["_timeout"] == 12.5
    assert sky.meta["skybot_location"] == "500"


def test_no_object_is_an_unmatched_row_after_one_query(monkeypatch):
    calls = Calls()
    monkeypatch.setattr(
        SkybotClass, "_request", skybot_replay(SYNTHETIC_SKYBOT_NO_OBJECT_TEXT, calls)
    )
    m = astro_sso.get_matcher("skybot-horizons", backend="online")
    out = m.match(_detections([10.0, 10.01], [5.0, 5.0]))
    assert len(calls) == 1  # not retried: an answer, not a failure
    assert out["designation"].tolist() == ["", ""] and out["n_candidates"].tolist() == [0, 0]
    assert np.isnan(out["separation"]).all()
    assert out.meta["provenance"]["n_matched"] == 0


@pytest.mark.parametrize(
    "failure",
    ["connection", "timeout", "http503", "error_answer"],
)
def test_service_failures_are_retried_then_raise_with_the_local_hint(monkeypatch, failure):
    from astroquery.utils.mocks import MockResponse

    calls = Calls()

    def _request(self, method="GET", url="", **kwargs):
        calls.append(kwargs)
        if failure == "connection":
            raise requests.exceptions.ConnectionError("Name or service not known")
        if failure == "timeout":
            raise requests.exceptions.ReadTimeout("read timed out")
        if failure == "http503":
            return MockResponse(content=b"busy", url=url, status_code=503)
        return MockResponse(content=SYNTHETIC_SKYBOT_ERROR_TEXT, url=url)

    monkeypatch.setattr(SkybotClass, "_request", _request)
    m = astro_sso.get_matcher("skybot-horizons", backend="online")
    with pytest.raises(ServiceError) as err:
        m.match(_detections([10.0], [5.0]))
    assert len(calls) == 3  # conf.retries = 2
    msg = str(err.value)
    assert 'backend="local"' in msg and "not an empty answer" in msg and "SkyBoT" in msg


def test_client_errors_are_not_retried(monkeypatch):
    from astroquery.utils.mocks import MockResponse

    calls = Calls()

    def _request(self, method="GET", url="", **kwargs):
        calls.append(kwargs)
        return MockResponse(content=b"bad request", url=url, status_code=400)

    monkeypatch.setattr(SkybotClass, "_request", _request)
    with pytest.raises(ServiceError, match="HTTP status 400"):
        skybot_cone(SkyCoord(10, 5, unit="deg"), 1 * u.arcmin, SKYBOT_EPOCH)
    assert len(calls) == 1


def test_answers_are_cached_on_disk_and_failures_are_not(monkeypatch, tmp_path):
    """astroquery's own cache (its _request), with the network call replaced."""
    served = []
    answers = [SYNTHETIC_SKYBOT_ERROR_TEXT, recorded_skybot()]

    def fake_network(self, session, cache_location=None, **kwargs):
        body = answers[min(len(served), len(answers) - 1)]
        served.append(self.params)
        r = requests.Response()
        r._content = body
        r.status_code = 200
        r.url = self.url
        r.encoding = "utf-8"
        r.request = requests.Request("GET", self.url, params=self.params).prepare()
        return r

    monkeypatch.setattr("astroquery.query.AstroQuery.request", fake_network)
    center = SkyCoord(*SKYBOT_CENTER, unit="deg")
    with conf.set_temp("retries", 0):
        with pytest.raises(ServiceError):
            skybot_cone(center, SKYBOT_RADIUS, SKYBOT_EPOCH)  # failure: not kept
        first = skybot_cone(center, SKYBOT_RADIUS, SKYBOT_EPOCH)  # asks again, keeps it
        again = skybot_cone(center, SKYBOT_RADIUS, SKYBOT_EPOCH)  # from the cache
    assert len(served) == 2
    assert len(first) == len(again) == 4
    assert list((tmp_path / "cache").glob("*.pickle"))
    with conf.set_temp("retries", 0):
        skybot_cone(center, SKYBOT_RADIUS, SKYBOT_EPOCH, cache=False)
    assert len(served) == 3


def test_points_from_recorded_answer_match_the_nearest_object(monkeypatch):
    monkeypatch.setattr(SkybotClass, "_request", skybot_replay(recorded_skybot()))
    sky = read_skybot_answer(recorded_skybot())
    c = SkyCoord(sky["ra"], sky["dec"]).directional_offset_by(30 * u.deg, 1.0 * u.arcsec)
    far = SkyCoord(sky["ra"][:1], sky["dec"][:1]).directional_offset_by(0 * u.deg, 5 * u.arcsec)
    det = _detections(
        np.concatenate([c.ra.deg, far.ra.deg]), np.concatenate([c.dec.deg, far.dec.deg])
    )
    out = astro_sso.get_matcher("skybot-horizons", backend="online").match(det)
    assert out["designation"].tolist() == [*sky["designation"].tolist(), ""]
    np.testing.assert_allclose(out["separation"][:4].to_value(u.arcsec), 1.0, atol=1e-6)
    assert out["class"].tolist()[:4] == ["TNO", "TNO", "MBA", "Mars-crosser"]
    np.testing.assert_allclose(out["V"][:4].value, [19.6, 22.1, 22.1, 21.6], atol=1e-5)
    prov = out.meta["provenance"]
    assert prov["backend"] == "online" and prov["services"]["skybot_queries"] == 1
    assert prov["services"]["astroquery_version"]


def test_positions_only_observer_is_refused_online():
    det = _detections([10.0], [5.0], observer="")
    det["obs_x"], det["obs_y"], det["obs_z"] = [4e-5] * u.AU, [0.0] * u.AU, [0.0] * u.AU
    with pytest.raises(InputError, match="backend='local'"):
        astro_sso.get_matcher("skybot-horizons", backend="online").match(det)


# ---------------------------------------------------------------------- Horizons and trails


def test_horizons_epochs_are_batched_and_rows_come_back_sorted(monkeypatch):
    calls = Calls()
    monkeypatch.setattr(
        HorizonsClass, "_request", horizons_replay("ceres_ephemerides_range.txt", calls)
    )
    t, ra, dec, V = ceres_positions()
    with conf.set_temp("horizons_batch_size", 3):
        eph = horizons_ephemerides("1", "500@399", t.jd[::-1])
    assert [len(c["TLIST"].split("\n")) for c in calls] == [3, 1]
    assert all(c["COMMAND"] == '"1;"' and c["CENTER"] == "'500@399'" for c in calls)
    np.testing.assert_allclose(eph["jd"], t.jd)
    np.testing.assert_allclose(eph["ra"], ra)
    np.testing.assert_allclose(eph["V"], V)
    assert eph["api_version"] == "1.1"


def test_real_horizons_error_answer_is_a_service_error_not_retried(monkeypatch):
    calls = Calls()
    monkeypatch.setattr(HorizonsClass, "_request", file_replay("tlist_error.txt", calls))
    with pytest.raises(ServiceError, match="no TLIST values found"):
        horizons_ephemerides("1", "500@399", [2459740.5])
    assert len(calls) == 1


@pytest.mark.parametrize("reverse", [False, True])
def test_trail_online_uses_skybot_then_horizons_over_the_exposure(monkeypatch, reverse):
    sk, hz = Calls(), Calls()
    monkeypatch.setattr(SkybotClass, "_request", skybot_replay(_ceres_skybot(), sk))
    monkeypatch.setattr(
        HorizonsClass, "_request", horizons_replay("ceres_ephemerides_range.txt", hz)
    )
    m = astro_sso.get_matcher(
        "skybot-horizons", backend="online", step=10 * u.day, time_allowance=0.0
    )
    out = m.match(_ceres_trail(reverse=reverse))
    assert out["designation"].tolist() == ["1"] and out["number"].tolist() == [1]
    assert out["direction"].tolist() == [-1 if reverse else 1]
    assert out["d_oc"][0] < 1e-6 * u.arcsec and out["n_candidates"].tolist() == [1]
    # SkyBoT asked at mid-exposure around the trail's middle, radius 900"
    t, ra, dec, _ = ceres_positions()
    assert sk[0]["-ep"] == str(t[1].jd) and float(sk[0]["-rd"]) == pytest.approx(0.25)
    # Horizons asked for the 10-day grid over the exposure (the step given)
    assert hz[0]["TLIST"].split("\n") == [str(x) for x in t.jd[:3]]
    prov = out.meta["provenance"]["services"]
    assert prov["horizons_objects"] == 1 and prov["horizons_api_version"] == "1.1"


def test_hst_trails_ask_for_code_250_and_at_hst(monkeypatch):
    sk, hz = Calls(), Calls()
    monkeypatch.setattr(SkybotClass, "_request", skybot_replay(_ceres_skybot(), sk))
    monkeypatch.setattr(
        HorizonsClass, "_request", horizons_replay("ceres_ephemerides_range.txt", hz)
    )
    m = astro_sso.get_matcher(
        "skybot-horizons", backend="online", step=10 * u.day, time_allowance=0.0
    )
    m.match(_ceres_trail(observer="250"))
    assert sk[0]["-loc"] == "250"
    assert hz[0]["CENTER"] == "'@hst'"


def test_horizons_answer_not_covering_the_exposure_is_a_service_error(monkeypatch):
    monkeypatch.setattr(SkybotClass, "_request", skybot_replay(_ceres_skybot()))
    monkeypatch.setattr(HorizonsClass, "_request", file_replay("ceres_ephemerides_single.txt"))
    m = astro_sso.get_matcher(
        "skybot-horizons", backend="online", step=10 * u.day, time_allowance=0.0
    )
    with pytest.raises(ServiceError, match="do not cover"):
        m.match(_ceres_trail())
