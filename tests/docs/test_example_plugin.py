"""The example plugin of docs/plugins/writing.rst works as the page says.

The page shows the files of docs/examples/astro-sso-example/ with
``literalinclude``, so these tests check the very code a plugin author reads:
its class passes the conformance checks, its hook implementations register
the detector, the command and the demo step, and its pyproject.toml declares
the entry point that makes astro-sso find it.
"""

import tomllib
from pathlib import Path

import numpy as np
import pytest
from astropy.table import QTable

import astro_sso
from astro_sso.cli import main
from astro_sso.demo import run_demo
from astro_sso.plugins import ENTRY_POINT_GROUP, demo_steps, plugin_commands
from astro_sso.testing import check_plugin, synthetic_image

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "astro-sso-example"

pytestmark = pytest.mark.skipif(
    not EXAMPLE.is_dir(), reason=f"example plugin folder {EXAMPLE} is absent (installed package)"
)


@pytest.fixture
def example(monkeypatch):
    """The example plugin module, imported from its folder in docs/."""
    monkeypatch.syspath_prepend(str(EXAMPLE))
    import astro_sso_example

    return astro_sso_example


@pytest.fixture
def registered(example, astro_sso_plugin_manager):
    """The example plugin registered by hand in a manager with discovery blocked."""
    astro_sso_plugin_manager.register(example, name="example")
    return example


def test_pyproject_declares_the_entry_point(example):
    meta = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())
    entry_points = meta["project"]["entry-points"][ENTRY_POINT_GROUP]
    assert entry_points == {"example": "astro_sso_example"}
    assert "astro-sso" in meta["project"]["dependencies"]
    assert meta["tool"]["setuptools"]["packages"] == ["astro_sso_example"]


def test_class_passes_the_conformance_checks(example):
    check_plugin(example.PeakDetector)


def test_detector_finds_the_synthetic_sources(example):
    sources = example.PeakDetector(nsigma=10.0).detect(synthetic_image())
    assert isinstance(sources, QTable)
    assert len(sources) == 2
    np.testing.assert_allclose(sources["xcentroid"].value, [20.0, 60.0], atol=0.1)
    np.testing.assert_allclose(sources["ycentroid"].value, [30.0, 70.0], atol=0.1)
    assert sources["ra"].unit == "deg" and "obstime" in sources.colnames
    assert sources.meta["provenance"]["plugin"] == "peaks"
    assert sources.meta["provenance"]["parameters"]["nsigma"] == 10.0


def test_detector_rejects_bad_parameters(example):
    with pytest.raises(astro_sso.InputError, match="nsigma > 0"):
        example.PeakDetector(nsigma=-1.0)


def test_not_registered_without_the_plugin(astro_sso_plugin_manager):
    assert "peaks" not in list(astro_sso.list_plugins()["name"])
    with pytest.raises(astro_sso.PluginError, match="no detector named 'peaks'"):
        astro_sso.get_detector("peaks")


def test_registration_lists_and_builds_the_detector(registered):
    table = astro_sso.list_plugins()
    row = table[list(table["name"]).index("peaks")]
    assert row["kind"] == "detector"
    assert row["plugin"] == "example"
    assert row["summary"] == "Find point sources as local maxima above a noise threshold."
    det = astro_sso.get_detector("peaks", nsigma=8.0)
    assert isinstance(det, registered.PeakDetector) and det.nsigma == 8.0


def test_command_is_registered(registered):
    commands = {(c.verb, c.name) for c in plugin_commands()}
    assert ("simulate", "peaks") in commands


def test_command_runs_and_detect_reads_its_image(registered, tmp_path, capsys):
    image = tmp_path / "field.fits"
    args = ["simulate", "peaks", "--out", str(image), "--n-sources", "4", "--size", "64"]
    assert main(args) == 0
    assert image.is_file()
    assert "4 sources" in capsys.readouterr().out

    out = tmp_path / "sources.ecsv"
    assert main(["detect", str(image), "--detector", "peaks", "--out", str(out)]) == 0
    sources = QTable.read(out)
    assert len(sources) == 4
    assert sources.meta["provenance"]["plugin"] == "peaks"


def test_command_reports_impossible_fields(registered, tmp_path, capsys):
    args = [
        "simulate",
        "peaks",
        "--out",
        str(tmp_path / "x.fits"),
        "--n-sources",
        "50",
        "--size",
        "32",
    ]
    assert main(args) == 1
    assert "cannot place 50 separated sources" in capsys.readouterr().err
    assert not (tmp_path / "x.fits").exists()


def test_demo_step_runs(registered, tmp_path):
    assert "example-peaks" in [s.name for s in demo_steps()]
    report = run_demo(tmp_path, quick=True, only=["example-peaks"], progress=lambda msg: None)
    (step,) = report["steps"]
    assert step["status"] == "ok", step.get("error")
    assert step["metrics"]["completeness"] == 1.0
    assert step["metrics"]["n_spurious"] == 0
    assert (tmp_path / "example-peaks" / "peaks_sources.ecsv").is_file()
    assert (tmp_path / "summary.json").is_file()


def test_disabled_by_the_operator(example, monkeypatch):
    from astro_sso.plugins import make_plugin_manager

    monkeypatch.setenv("ASTRO_SSO_DISABLED_PLUGINS", "peaks")
    pm = make_plugin_manager(load_entrypoints=False)
    pm.register(example, name="example")
    assert "peaks" not in list(astro_sso.list_plugins(pm)["name"])


def test_whole_plugin_blocked_by_the_operator(example, monkeypatch):
    from astro_sso.plugins import make_plugin_manager

    monkeypatch.setenv("ASTRO_SSO_DISABLED_PLUGINS", "example")
    pm = make_plugin_manager(load_entrypoints=False)
    assert pm.register(example, name="example") is None
    assert "peaks" not in list(astro_sso.list_plugins(pm)["name"])
    assert "example-peaks" not in [s.name for s in demo_steps(pm)]
