import json

import pytest
from astropy.table import QTable

from astro_sso import hookimpl
from astro_sso.base import Command
from astro_sso.cli import main
from astro_sso.testing import synthetic_image


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("astro-sso ")


def test_plugins_table_and_json(capsys):
    assert main(["plugins"]) == 0
    assert "segmentation" in capsys.readouterr().out
    assert main(["plugins", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"name", "kind", "distribution", "version", "summary"} <= set(rows[0])


def test_errors_are_one_line_without_traceback(capsys, tmp_path):
    assert main(["detect", str(tmp_path / "missing.fits")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "does not exist" in err


def test_debug_shows_the_exception(tmp_path):
    from astro_sso.exceptions import InputError

    with pytest.raises(InputError):
        main(["--debug", "detect", str(tmp_path / "missing.fits")])


def test_plugin_verb_without_method_lists_methods(capsys):
    assert main(["train"]) == 1
    assert "methods:" in capsys.readouterr().err
    assert main(["simulate", "no-such-method", "--n", "3"]) == 1
    assert "no method 'no-such-method' to simulate" in capsys.readouterr().err


def test_detect_writes_sources(tmp_path, capsys):
    path = tmp_path / "img.fits"
    synthetic_image().write(path)
    out = tmp_path / "src.ecsv"
    assert main(["detect", str(path), "--out", str(out), "--param", "nsigma=4"]) == 0
    t = QTable.read(out)
    assert len(t) == 2 and t["ra"].unit == "deg"
    assert t.meta["provenance"]["parameters"]["nsigma"] == 4


def test_plugin_commands_are_added(astro_sso_plugin_manager, capsys):
    calls = []

    class P:
        @hookimpl
        def astro_sso_commands(self):
            return [
                Command(
                    name="toy",
                    verb="simulate",
                    help="simulate toys",
                    add_arguments=lambda p: p.add_argument("--n", type=int, default=1),
                    run=lambda a: calls.append(("sim", a.n)),
                ),
                Command(
                    name="toysearch",
                    verb=None,
                    help="search toys",
                    add_arguments=lambda p: None,
                    run=lambda a: calls.append(("top",)),
                ),
            ]

    astro_sso_plugin_manager.register(P(), name="toy")
    assert main(["simulate", "toy", "--n", "3"]) == 0
    assert main(["toysearch"]) == 0
    assert calls == [("sim", 3), ("top",)]


def test_ephemeris_command(tmp_path, capsys):
    from astro_sso.simulate import synthetic_orbits

    path = tmp_path / "orbits.ecsv"
    synthetic_orbits(3, seed=1).write(path)
    out = tmp_path / "eph.ecsv"
    args = [
        "ephemeris",
        str(path),
        "--start",
        "2024-01-01",
        "--stop",
        "2024-01-03",
        "--observer",
        "I41",
        "--method",
        "twobody",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    eph = QTable.read(out)
    assert len(eph) == 9 and eph["ra"].unit == "deg"
    assert eph.meta["provenance"]["parameters"]["observer"] == "I41"
    assert main(args[:-2] + ["--observer", "ZZZ"]) == 1
    assert "unknown MPC observatory code 'ZZZ'" in capsys.readouterr().err
