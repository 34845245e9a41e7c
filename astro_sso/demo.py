"""``astro-sso demo``: the package's main job, offline on simulated data.

The demo runs every step that the installed plugins contribute through the
``astro_sso_demo_steps`` hook (the core contributes the first one), each in
its own folder of the output directory, and writes ``summary.json`` and
``index.html`` describing what each step made. A step that fails is reported
and the others still run; the command exits non-zero if any failed.
"""

from __future__ import annotations

import html
import json
import time
import traceback
from pathlib import Path

from .base import DemoContext, DemoResult
from .exceptions import AstroSSOError
from .io import write_text
from .plugins import demo_steps
from .provenance import package_version

__all__ = ["run_demo"]


def run_demo(
    out, *, seed: int = 0, quick: bool = False, only=None, progress=print, pm=None
) -> dict:
    """Run the demo steps and write their products and a summary into ``out``.

    Parameters
    ----------
    out : str or pathlib.Path
        Output folder (created).
    seed : int
        Seed for the simulations.
    quick : bool
        Small, fast versions of every step (used by the tests).
    only : iterable of str, optional
        Run only the steps with these names.
    progress : callable
        Receives progress messages.
    pm : pluggy.PluginManager, optional
        Default: the process-wide one.

    Returns
    -------
    dict
        The summary (also written to ``summary.json``): per step its status,
        summary, metrics, files and run time.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    steps = demo_steps(pm)
    if only:
        wanted = set(only)
        missing = wanted - {s.name for s in steps}
        if missing:
            raise AstroSSOError(
                f"no demo step named {sorted(missing)}; steps: {[s.name for s in steps]}"
            )
        steps = [s for s in steps if s.name in wanted]
    shared: dict = {}
    report = {"astro_sso_version": package_version(), "seed": seed, "quick": quick, "steps": []}
    for k, step in enumerate(steps, 1):
        progress(f"[{k}/{len(steps)}] {step.title}")
        ctx = DemoContext(
            out=out / step.name, seed=seed, quick=quick, shared=shared, progress=progress
        )
        ctx.out.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        entry = {"name": step.name, "title": step.title}
        try:
            result = step.run(ctx)
            if not isinstance(result, DemoResult):
                raise AstroSSOError(f"demo step '{step.name}' returned {type(result).__name__}")
            entry.update(
                status="ok",
                summary=result.summary,
                metrics=result.metrics,
                figures=[str(Path(p).relative_to(out)) for p in result.figures],
                tables=[str(Path(p).relative_to(out)) for p in result.tables],
            )
            progress(f"    {result.summary}")
        except Exception as exc:  # one failing step must not hide the others
            entry.update(
                status="failed",
                error=f"{type(exc).__name__}: {exc}",
                traceback=traceback.format_exc(),
            )
            progress(f"    FAILED: {type(exc).__name__}: {exc}")
        entry["seconds"] = round(time.perf_counter() - t0, 2)
        report["steps"].append(entry)
    write_text(json.dumps(report, indent=2, default=str), out / "summary.json")
    write_text(_html(report), out / "index.html")
    return report


def _html(report: dict) -> str:
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>astro-sso demo</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "img{max-width:100%;border:1px solid #ccc}.failed{color:#b00}"
        "td,th{padding:0 1em 0 0;text-align:left}</style></head><body>",
        f"<h1>astro-sso demo</h1><p>astro-sso {esc(report['astro_sso_version'])}, "
        f"seed {report['seed']}{', quick mode' if report['quick'] else ''}.</p>",
    ]
    for st in report["steps"]:
        parts.append(f"<h2>{esc(st['title'])}</h2>")
        if st["status"] != "ok":
            parts.append(f"<p class='failed'>Failed: {esc(st['error'])}</p>")
            continue
        parts.append(f"<p>{esc(st['summary'])} ({st['seconds']} s)</p>")
        if st["metrics"]:
            rows = "".join(
                f"<tr><th>{esc(str(k))}</th><td>{esc(str(v))}</td></tr>"
                for k, v in st["metrics"].items()
            )
            parts.append(f"<table>{rows}</table>")
        for t in st["tables"]:
            parts.append(f"<p>Table: <a href='{esc(t)}'>{esc(t)}</a></p>")
        for f in st["figures"]:
            parts.append(f"<p><img src='{esc(f)}' alt='{esc(f)}'></p>")
    parts.append("</body></html>")
    return "\n".join(parts)
