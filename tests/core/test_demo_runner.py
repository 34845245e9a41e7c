"""The demo runner: steps from hooks, one folder each, summary, failures reported."""

import json

import pytest

from astro_sso import hookimpl
from astro_sso.base import DemoResult, DemoStep
from astro_sso.demo import run_demo
from astro_sso.exceptions import AstroSSOError
from astro_sso.io import write_table


class _Steps:
    @hookimpl
    def astro_sso_demo_steps(self):
        def good(ctx):
            from astropy.table import QTable

            path = write_table(QTable({"seed": [ctx.seed]}), ctx.out / "t.ecsv")
            ctx.shared["good"] = True
            return DemoResult("made a table", tables=[path], metrics={"n": 1})

        def bad(ctx):
            assert ctx.shared["good"], "steps see earlier products"
            raise RuntimeError("boom")

        return [
            DemoStep("good", "Good step", good, order=10),
            DemoStep("bad", "Bad step", bad, order=20),
        ]


def test_runner_collects_steps_and_reports_failures(astro_sso_plugin_manager, tmp_path):
    astro_sso_plugin_manager.register(_Steps(), name="steps")
    report = run_demo(tmp_path, seed=7, only=["good", "bad"], progress=lambda m: None)
    status = {s["name"]: s["status"] for s in report["steps"]}
    assert status == {"good": "ok", "bad": "failed"}
    assert (tmp_path / "good" / "t.ecsv").exists()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["steps"][0]["tables"] == ["good/t.ecsv"]
    assert "boom" in summary["steps"][1]["error"]
    html = (tmp_path / "index.html").read_text()
    assert "made a table" in html and "Failed: RuntimeError: boom" in html


def test_unknown_step_is_an_error(tmp_path):
    with pytest.raises(AstroSSOError, match="no demo step named"):
        run_demo(tmp_path, only=["nope"])


def test_cli_demo_exit_status(astro_sso_plugin_manager, tmp_path, capsys):
    from astro_sso.cli import main

    astro_sso_plugin_manager.register(_Steps(), name="steps")
    assert main(["demo", "--out", str(tmp_path), "--step", "good"]) == 0
    assert main(["demo", "--out", str(tmp_path), "--step", "good", "--step", "bad"]) == 1
    assert "failed steps: bad" in capsys.readouterr().out
