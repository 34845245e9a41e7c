"""The ``skybot-match`` demo step (quick mode), alone and after the core's ``identify`` step."""

import json

import pytest
from astropy.table import QTable

from astro_sso.demo import run_demo


@pytest.mark.parametrize("steps", [["skybot-match"], ["identify", "skybot-match"]])
def test_demo_step_identifies_trails_and_points(tmp_path, steps, astro_sso_plugin_manager):
    from astro_sso_skybot import plugin

    astro_sso_plugin_manager.register(plugin, name="skybot")
    report = run_demo(tmp_path, seed=4, quick=True, only=steps, progress=lambda m: None)
    entry = next(s for s in report["steps"] if s["name"] == "skybot-match")
    assert entry["status"] == "ok", entry.get("traceback")
    m = entry["metrics"]
    assert m["fraction_points_identified"] >= 0.99 and m["n_point_decoys_matched"] == 0
    assert m["n_trails"] >= 6 and m["fraction_trails_identified"] == 1.0
    assert m["fraction_hst_like_trails_identified"] == 1.0
    assert m["n_trail_decoys_matched"] == 0
    out = tmp_path / "skybot-match"
    trails = QTable.read(out / "trail_matches.ecsv")
    assert {"trail_id", "designation", "d_oc", "direction", "true_designation"} <= set(
        trails.colnames
    )
    assert set(trails["direction"].tolist()) >= {-1, 1}
    assert "SIMHST" in set(trails["observer"].tolist())
    assert (out / "trail_tracks.png").stat().st_size > 20_000
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [s["name"] for s in summary["steps"]] == steps
    assert m["catalogue_from_identify_step"] == ("identify" in steps)
    points = QTable.read(out / "point_matches.ecsv")
    assert len(points) == m["n_point_detections"] + m["n_point_decoys"]
