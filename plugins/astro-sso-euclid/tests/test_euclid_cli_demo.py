"""``astro-sso simulate euclid-cnn`` and the ``euclid-field`` demo step."""

import json

import numpy as np
from astropy.nddata import CCDData
from astropy.table import QTable

from astro_sso.cli import main
from astro_sso.demo import run_demo


def test_simulate_command_writes_four_fits_and_truth(tmp_path, capsys):
    out = tmp_path / "field"
    assert main(["simulate", "euclid-cnn", "--out", str(out), "--seed", "3", "--size", "96"]) == 0
    assert "4 dithers 96x96 px" in capsys.readouterr().out
    ims = [CCDData.read(out / f"dither_{k}.fits") for k in range(1, 5)]
    truth = QTable.read(out / "truth.ecsv")
    assert all(im.data.shape == (96, 96) and im.unit.to_string() == "adu" for im in ims)
    assert [im.header["DITHER"] for im in ims] == [1, 2, 3, 4]
    p = ims[0].wcs.pixel_to_world(10, 10)
    assert p.separation(ims[3].wcs.pixel_to_world(10, 10)).arcsec < 1e-3
    assert truth["x_dither"].shape == (len(truth), 4)
    assert not list(out.glob(".*"))  # no temporary files left
    # same seed, same files
    out2 = tmp_path / "again"
    main(["simulate", "euclid-cnn", "--out", str(out2), "--seed", "3", "--size", "96"])
    assert np.array_equal(CCDData.read(out2 / "dither_2.fits").data, ims[1].data)


def test_demo_step_writes_figure_and_truth(tmp_path, astro_sso_plugin_manager):
    from astro_sso_euclid import plugin

    astro_sso_plugin_manager.register(plugin, name="euclid")
    report = run_demo(tmp_path, seed=2, quick=True, only=["euclid-field"], progress=lambda m: None)
    entry = next(s for s in report["steps"] if s["name"] == "euclid-field")
    assert entry["status"] == "ok", entry.get("traceback")
    assert entry["metrics"]["n_sso"] == 3
    assert abs(entry["metrics"]["stack_depth_10sigma"] - 25.6) < 0.01
    out = tmp_path / "euclid-field"
    assert (out / "euclid_dithers.png").stat().st_size > 20_000
    truth = QTable.read(out / "euclid_truth.ecsv")
    assert set(truth["label"]) >= {"sso", "cosmic_ray"}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [s["name"] for s in summary["steps"]] == ["euclid-field"]
