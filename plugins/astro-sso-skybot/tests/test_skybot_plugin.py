"""The plugin contract: entry point, hooks, conformance checks, parameters, light import."""

import subprocess
import sys
import tomllib
from pathlib import Path

import astropy.units as u
import pytest
from astro_sso_skybot import SkybotHorizonsMatcher, conf
from astro_sso_skybot import plugin as skybot_plugin

import astro_sso
from astro_sso.base import Command, DemoStep
from astro_sso.exceptions import InputError, PluginError
from astro_sso.plugins import ENTRY_POINT_GROUP, demo_steps, plugin_commands
from astro_sso.simulate import synthetic_orbits
from astro_sso.testing import check_plugin

ROOT = Path(__file__).parents[1]


def test_pyproject_declares_the_entry_point_and_dependencies():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["name"] == "astro-sso-skybot"
    assert meta["project"]["entry-points"][ENTRY_POINT_GROUP] == {
        "skybot": "astro_sso_skybot.plugin"
    }
    deps = " ".join(meta["project"]["dependencies"])
    assert "astro-sso" in deps and "astroquery" in deps


def test_conformance_checks_pass():
    check_plugin(SkybotHorizonsMatcher)


def test_registered_by_hand_in_a_manager_without_discovery(astro_sso_plugin_manager):
    assert "skybot-horizons" not in list(astro_sso.list_plugins()["name"])
    astro_sso_plugin_manager.register(skybot_plugin, name="skybot")
    table = astro_sso.list_plugins()
    row = table[list(table["name"]).index("skybot-horizons")]
    assert row["kind"] == "matcher" and "10.1051/0004-6361/202142998" in row["citation"]
    m = astro_sso.get_matcher("skybot-horizons", backend="online", tolerance=3 * u.arcsec)
    assert isinstance(m, SkybotHorizonsMatcher) and m.tolerance == 3 * u.arcsec
    commands = [c for c in plugin_commands() if c.name == "match"]
    assert len(commands) == 1 and commands[0].verb is None
    assert "skybot-match" in [s.name for s in demo_steps()]


def test_hooks_return_what_the_contract_says():
    assert skybot_plugin.astro_sso_matchers() == [SkybotHorizonsMatcher]
    (cmd,) = skybot_plugin.astro_sso_commands()
    assert isinstance(cmd, Command) and cmd.name == "match" and cmd.verb is None
    (step,) = skybot_plugin.astro_sso_demo_steps()
    assert isinstance(step, DemoStep) and 300 <= step.order < 400


def test_installed_plugin_is_found_through_the_entry_point():
    infos = [
        i for i in astro_sso.plugins.plugin_classes("matcher") if i.cls.name == "skybot-horizons"
    ]
    if not infos:
        pytest.skip("astro-sso-skybot is not installed (pip install -e plugins/astro-sso-skybot)")
    assert infos[0].distribution == "astro-sso-skybot" and infos[0].plugin == "skybot"


@pytest.mark.parametrize(
    "params, message",
    [
        ({"backend": "cloud"}, "backend must be"),
        ({"tolerance": 3.0}, "tolerance must be an angle"),
        ({"tolerance": -1 * u.arcsec}, "tolerance must be one angle"),
        ({"cone_radius": 20 * u.deg}, "cone_radius must be one angle"),
        ({"step": 5 * u.arcsec}, "step must be a time"),
        ({"time_allowance": 0.9}, "time_allowance"),
        ({"method": "magic"}, "method='magic' is unknown"),
        ({"catalog": "/no/such/MPCORB.DAT"}, "does not exist"),
    ],
)
def test_bad_parameters_raise_input_errors(params, message):
    with pytest.raises(InputError, match=message):
        SkybotHorizonsMatcher(**params)


def test_unknown_parameter_is_refused_by_the_lookup():
    with pytest.raises(PluginError, match="has no parameter"):
        astro_sso.get_matcher("skybot-horizons", radius=3)


def test_parameters_summarise_the_catalogue_for_provenance():
    m = SkybotHorizonsMatcher(catalog=synthetic_orbits(7, seed=1))
    params = m.get_params()
    assert params["catalog"] == "orbits table of 7 rows"
    assert "orbits table of 7 rows" in repr(m)


def test_configuration_namespace():
    assert conf.skybot_server.startswith("https://") and conf.horizons_server.startswith("https")
    assert conf.timeout > 0 and conf.retries >= 0 and conf.horizons_batch_size >= 1
    with conf.set_temp("timeout", 5.0):
        assert conf.timeout == 5.0


def test_import_is_light():
    code = (
        "import sys, astro_sso_skybot.plugin; "
        "bad = [m for m in ('astroquery', 'matplotlib', 'tensorflow', 'requests') "
        "if m in sys.modules]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
