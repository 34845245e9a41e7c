"""The plugin system: registry, lookup API, entry points, blocking."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

import astro_sso
from astro_sso import hookimpl
from astro_sso.base import Command, DemoStep, Detector, Matcher
from astro_sso.exceptions import PluginError
from astro_sso.plugins import (
    DISABLE_ENV,
    demo_steps,
    get_plugin_class,
    make_plugin_manager,
    plugin_classes,
    plugin_commands,
)


class _EchoMatcher(Matcher):
    """Match nothing (test plugin).

    Parameters
    ----------
    radius : float
        Unused.
    """

    name = "echo"

    def __init__(self, *, radius: float = 1.0):
        self.radius = radius

    def match(self, table, **kwargs):
        return table


class _Plugin:
    @hookimpl
    def astro_sso_matchers(self):
        return [_EchoMatcher]

    @hookimpl
    def astro_sso_commands(self):
        return [
            Command(
                name="echo",
                verb="simulate",
                help="x",
                add_arguments=lambda p: None,
                run=lambda a: 0,
            )
        ]

    @hookimpl
    def astro_sso_demo_steps(self):
        return [DemoStep(name="echo", title="Echo", run=lambda ctx: None, order=50)]


def test_builtin_registered_and_listed():
    table = astro_sso.list_plugins()
    assert set(table.colnames) >= {"name", "kind", "distribution", "version", "summary"}
    row = table[list(table["name"]).index("segmentation")]
    assert row["kind"] == "detector" and row["distribution"] == "astro-sso"


def test_hookimpl_marker_is_exported():
    assert astro_sso.hookimpl.project_name == "astro_sso"


def test_fixture_registers_plugin_and_lookup_api(astro_sso_plugin_manager):
    astro_sso_plugin_manager.register(_Plugin(), name="echo-plugin")
    assert "echo" in list(astro_sso.list_plugins()["name"])
    m = astro_sso.get_matcher("echo", radius=3.0)
    assert isinstance(m, _EchoMatcher) and m.radius == 3.0
    assert [c.name for c in plugin_commands()] == ["echo"]
    assert [s.name for s in demo_steps()] == ["identify", "echo"]


def test_fixture_blocks_discovery(astro_sso_plugin_manager):
    assert astro_sso_plugin_manager.list_plugin_distinfo() == []
    assert set(astro_sso.list_plugins()["plugin"]) == {"builtin"}


def test_unknown_name_lists_installed_names(astro_sso_plugin_manager):
    with pytest.raises(
        PluginError, match="no detector named 'nope'; installed detectors: segmentation"
    ):
        astro_sso.get_detector("nope")
    with pytest.raises(PluginError, match="installed matchers: none"):
        astro_sso.get_matcher("nope")


def test_unknown_parameter_lists_parameters():
    with pytest.raises(PluginError, match="no parameter.*'sigma'.*'nsigma'"):
        astro_sso.get_detector("segmentation", sigma=3)


def test_hook_returning_wrong_kind_is_an_error():
    class Bad:
        @hookimpl
        def astro_sso_matchers(self):
            return [_EchoMatcher, Detector]

    pm = make_plugin_manager(load_entrypoints=False)
    pm.register(Bad(), name="bad")
    with pytest.raises(PluginError, match="must return subclasses of astro_sso.base.Matcher"):
        plugin_classes("matcher", pm=pm)


def test_duplicate_names_are_an_error():
    pm = make_plugin_manager(load_entrypoints=False)
    pm.register(_Plugin(), name="one")
    pm.register(_Plugin(), name="two")
    with pytest.raises(PluginError, match="two matchers are named 'echo'"):
        plugin_classes("matcher", pm=pm)


def test_misspelt_hook_fails_loudly():
    class Typo:
        @hookimpl
        def astro_sso_matcher(self):
            return []

    pm = make_plugin_manager(load_entrypoints=False)
    pm.register(Typo(), name="typo")
    from pluggy import PluginValidationError

    with pytest.raises(PluginValidationError):
        pm.check_pending()


def test_disabled_env_blocks_plugin_and_class(monkeypatch):
    monkeypatch.setenv(DISABLE_ENV, "builtin")
    pm = make_plugin_manager(load_entrypoints=False)
    assert not pm.has_plugin("builtin")
    monkeypatch.setenv(DISABLE_ENV, "segmentation")
    pm = make_plugin_manager(load_entrypoints=False)
    with pytest.raises(PluginError):
        get_plugin_class("detector", "segmentation", pm=pm)


def _fake_distribution(root):
    """Write an installed distribution (dist-info with an astro_sso entry point) under root."""
    (root / "demo_plugin_pkg.py").write_text(
        textwrap.dedent('''
        """A third-party plugin installed through an entry point (test)."""
        from astro_sso import hookimpl
        from astro_sso.base import Matcher

        class NearestStar(Matcher):
            """Match detections with nothing (entry-point test)."""
            name = "nearest-star"
            def match(self, table, **kwargs):
                return table

        @hookimpl
        def astro_sso_matchers():
            return [NearestStar]
    ''')
    )
    dist = root / "demo_plugin-1.2.3.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-plugin\nVersion: 1.2.3\n")
    (dist / "entry_points.txt").write_text("[astro_sso]\ndemo = demo_plugin_pkg\n")
    return dist


def _cli_plugins(env_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(env_path), env.get("PYTHONPATH", "")]))
    out = subprocess.run(
        [sys.executable, "-m", "astro_sso.cli", "plugins", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return {row["name"]: row for row in json.loads(out.stdout)}


def test_entry_point_plugin_appears_and_disappears_when_uninstalled(tmp_path):
    dist = _fake_distribution(tmp_path)
    rows = _cli_plugins(tmp_path)
    assert rows["nearest-star"]["distribution"] == "demo-plugin"
    assert rows["nearest-star"]["version"] == "1.2.3"
    assert rows["nearest-star"]["plugin"] == "demo"
    # "uninstall": remove the distribution's metadata
    for f in dist.iterdir():
        f.unlink()
    dist.rmdir()
    assert "nearest-star" not in _cli_plugins(tmp_path)
    assert "segmentation" in _cli_plugins(tmp_path)


def test_entry_point_plugin_in_process(tmp_path, monkeypatch):
    _fake_distribution(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    pm = make_plugin_manager()
    assert pm.has_plugin("demo")
    assert "nearest-star" in [p.cls.name for p in plugin_classes("matcher", pm=pm)]
    monkeypatch.setenv(DISABLE_ENV, "demo")
    assert not make_plugin_manager().has_plugin("demo")


def test_every_kind_registers_through_its_hook(astro_sso_plugin_manager):
    import numpy as np
    from astropy.table import QTable

    from astro_sso.base import Classifier, OrbitFitResult, OrbitFitter

    class Brightest(Detector):
        """Report the brightest pixel (test)."""

        name = "brightest"

        def detect(self, images, **kwargs):
            return QTable()

    class Constant(Classifier):
        """Call everything a star (test)."""

        name = "constant"
        classes = ("star",)

        def classify(self, cutouts):
            return QTable({"source_id": cutouts["source_id"], "label": ["star"] * len(cutouts)})

        def fit(self, cutouts, **kwargs):
            return self

    class Nothing(OrbitFitter):
        """Find no orbit (test)."""

        name = "nothing"

        def fit_orbits(self, detections, **kwargs):
            return OrbitFitResult(QTable(), QTable())

    class AllKinds:
        @hookimpl
        def astro_sso_detectors(self):
            return [Brightest]

        @hookimpl
        def astro_sso_classifiers(self):
            return [Constant]

        @hookimpl
        def astro_sso_orbit_fitters(self):
            return [Nothing]

    astro_sso_plugin_manager.register(AllKinds(), name="all-kinds")
    kinds = dict(
        zip(astro_sso.list_plugins()["name"], astro_sso.list_plugins()["kind"], strict=True)
    )
    assert kinds["brightest"] == "detector"
    assert kinds["constant"] == "classifier"
    assert kinds["nothing"] == "orbit_fitter"
    assert isinstance(astro_sso.get_detector("brightest"), Brightest)
    clf = astro_sso.get_classifier("constant")
    assert list(clf.classify(QTable({"source_id": np.arange(2)}))["label"]) == ["star", "star"]
    assert isinstance(astro_sso.get_orbit_fitter("nothing").fit_orbits(QTable()), OrbitFitResult)
