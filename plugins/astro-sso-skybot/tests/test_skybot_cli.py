"""``astro-sso match``: a detections or trails file in, the matches ECSV and one line out."""

import astropy.units as u
import numpy as np
import pytest
from astro_sso_skybot.simulate import simulate_trails
from astropy.table import QTable
from astropy.time import Time

from astro_sso.catalog import write_mpcorb
from astro_sso.cli import main
from astro_sso.ephemeris import ephemeris
from astro_sso.simulate import synthetic_orbits

T = Time("2024-01-12T05:00", scale="utc")


@pytest.fixture
def mpcorb(tmp_path):
    """A synthetic catalogue written as an MPCORB.DAT file."""
    orb = synthetic_orbits(300, seed=8)
    orb["designation"] = [f"2023 TA{k + 1}" for k in range(len(orb))]
    path = tmp_path / "MPCORB.DAT"
    write_mpcorb(orb, path)
    return orb, path


def _detections(orb, path):
    eph = ephemeris(orb[:3], T, observer="I41", method="twobody")
    det = QTable(
        {
            "det_id": [10, 11, 12, 13],
            "ra": [*eph["ra"].value, eph["ra"][0].value] * u.deg,
            "dec": [*(eph["dec"].value + 0.5 / 3600), eph["dec"][0].value + 6 / 3600] * u.deg,
            "obstime": Time([T] * 4),
            "observer": ["I41"] * 4,
        }
    )
    det.write(path, format="ascii.ecsv")
    return det


def test_match_detections_with_an_mpcorb_file(tmp_path, mpcorb, capsys):
    orb, cat = mpcorb
    _detections(orb, tmp_path / "detections.ecsv")
    out = tmp_path / "matches.ecsv"
    code = main(["match", "--backend", "local", "--catalog", str(cat),
                 str(tmp_path / "detections.ecsv"), "--out", str(out)])  # fmt: skip
    assert code == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line == f"3 matched / 4 total -> {out}"
    table = QTable.read(out)
    assert table["designation"].filled("").tolist()[:3] == orb["designation"][:3].tolist()
    assert table["det_id"].tolist() == [10, 11, 12, 13]
    assert table["separation"].unit == u.arcsec
    assert table.meta["provenance"]["backend"] == "local"
    # a wider tolerance takes the 6" decoy too
    assert main(["match", "--catalog", str(cat), str(tmp_path / "detections.ecsv"),
                 "--out", str(out), "--tolerance", "8"]) == 0  # fmt: skip
    assert capsys.readouterr().out.strip().startswith("4 matched / 4 total")


def test_match_trails_with_points_and_an_ecsv_catalogue(tmp_path, capsys):
    orb = synthetic_orbits(200, seed=9)
    orb.write(tmp_path / "orbits.ecsv")
    trails, points = simulate_trails(orb[:3], T, 30 * u.min, observer="I41", n_points=5, seed=2)
    trails.write(tmp_path / "trails.ecsv")
    points.write(tmp_path / "points.ecsv")
    out = tmp_path / "m.ecsv"
    args = ["match", str(tmp_path / "trails.ecsv"), "--catalog", str(tmp_path / "orbits.ecsv")]
    args += ["--trail-points", str(tmp_path / "points.ecsv"), "--out", str(out)]
    assert main(args) == 0
    assert capsys.readouterr().out.strip() == f"3 matched / 3 total -> {out}"
    table = QTable.read(out)
    assert table["designation"].tolist() == trails["true_designation"].tolist()
    assert table["d_oc"].unit == u.arcsec


@pytest.mark.parametrize(
    "args, message",
    [
        (["match", "det.ecsv"], "needs --catalog"),
        (["match", "missing.ecsv", "--catalog", "MPCORB.DAT"], "does not exist"),
    ],
)
def test_errors_are_one_line(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "MPCORB.DAT").write_text("")
    assert main(args) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit):
        main(["match", "--help"])
    text = capsys.readouterr().out
    for option in ("--backend", "--catalog", "--tolerance", "--trail-points", "--out"):
        assert option in text
    assert np.all([w in text for w in ("local", "online")])
