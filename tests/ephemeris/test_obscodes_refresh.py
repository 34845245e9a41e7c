"""Refreshing the MPC observatory list: astroquery's answer replayed offline (synthetic HTML)."""

import gzip
import json

import pytest

from astro_sso.ephemeris import observers
from astro_sso.ephemeris.obscodes import refresh_observatory_codes
from astro_sso.exceptions import ServiceError


class _Response:
    """A synthetic MPC ObsCodes.html page in the MPC's layout (not a recorded answer)."""

    def __init__(self, n):
        def row(code, lon=None, cos=None, sin=None, name=""):
            if lon is None:  # space telescope: no site constants
                return f"{code:3s} {'':9s}{'':8s}{'':9s}{name}"
            return f"{code:3s} {lon:9.4f}{cos:8.5f}{sin:+9.5f}{name}"

        rows = [
            "Code  Long.   cos      sin    Name",
            row("000", 0.0, 0.62411, 0.77873, "Greenwich"),
            row("250", name="Hubble Space Telescope"),
            row("500", 0.0, 0.0, 0.0, "Geocentric"),
        ]
        rows += [
            row(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[k // 100] + f"{k % 100:02d}",
                float(k % 360),
                0.8,
                0.6,
                f"Synthetic site {k}",
            )
            for k in range(n)
        ]
        self.content = ("<html><body><pre>" + "\n".join(rows) + "\n</pre></body></html>").encode()
        self.text = self.content.decode()

    def raise_for_status(self):
        pass


def test_refresh_writes_and_is_preferred(tmp_path, monkeypatch):
    from astroquery.mpc import MPC

    monkeypatch.setattr(MPC, "_request", lambda *a, **k: _Response(1200))
    path = refresh_observatory_codes(tmp_path / "codes.json.gz")
    with gzip.open(path, "rt") as fh:
        codes = json.load(fh)
    assert codes["250"] == {"Name": "Hubble Space Telescope"}
    assert codes["000"]["Longitude"] == 0.0 and codes["A05"]["Name"] == "Synthetic site 5"
    monkeypatch.setattr("astro_sso.ephemeris.obscodes.user_obscodes_path", lambda: path)
    observers._obscodes.cache_clear()
    try:
        assert observers.observatory_codes()["A05"]["Name"] == "Synthetic site 5"
    finally:
        monkeypatch.undo()
        observers._obscodes.cache_clear()
    assert observers.observatory_codes().get("A05", {}).get("Name") != "Synthetic site 5"


def test_refresh_refuses_a_truncated_list(tmp_path, monkeypatch):
    from astroquery.mpc import MPC

    monkeypatch.setattr(MPC, "_request", lambda *a, **k: _Response(3))
    with pytest.raises(ServiceError, match="does not look like the full list"):
        refresh_observatory_codes(tmp_path / "codes.json.gz")
    assert not (tmp_path / "codes.json.gz").exists()


def test_refresh_without_network_is_a_service_error(tmp_path, monkeypatch):
    from astroquery.mpc import MPC

    def down(*a, **k):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(MPC, "_request", down)
    with pytest.raises(ServiceError, match="still used"):
        refresh_observatory_codes(tmp_path / "codes.json.gz")
