"""The main job, end to end (quick mode): every installed step runs offline."""

import json

from astropy.table import QTable

from astro_sso.cli import main


def test_demo_quick_runs_every_step_and_identifies(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--quick", "--seed", "3"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert all(s["status"] == "ok" for s in summary["steps"]), summary
    ident = next(s for s in summary["steps"] if s["name"] == "identify")
    m = ident["metrics"]
    assert m["n_detections_of_catalogue_objects"] > 20
    assert m["fraction_identified"] >= 0.99
    assert m["n_unrelated_matched"] <= 0.001 * m["n_unrelated"] + 1
    table = QTable.read(tmp_path / "identify" / "identified_detections.ecsv")
    assert {"det_id", "ra", "dec", "obstime", "designation", "separation"} <= set(table.colnames)
    assert (tmp_path / "identify" / "sky_identifications.png").stat().st_size > 10_000
    assert "identified" in (tmp_path / "index.html").read_text()
