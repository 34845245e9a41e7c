"""The ``astro-sso`` command line.

Core commands: ``plugins``, ``demo``, ``detect``, ``ephemeris``, ``obscodes``;
``train``, ``evaluate`` and ``simulate`` dispatch to the methods that plugins
register through the ``astro_sso_commands`` hook, and plugins may add
top-level commands of their own. Errors are printed as one line (no
traceback) unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from .exceptions import AstroSSOError, InputError

__all__ = ["main", "build_parser"]

PLUGIN_VERBS = {
    "train": "Train a method's model (e.g. `astro-sso train euclid-cnn ...`).",
    "evaluate": "Evaluate a method on freshly simulated data.",
    "simulate": "Simulate data for a method.",
}


def _progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _cmd_plugins(args) -> int:
    from .plugins import list_plugins

    table = list_plugins()
    if args.json:
        print(
            json.dumps(
                [dict(zip(table.colnames, map(str, row), strict=True)) for row in table], indent=2
            )
        )
        return 0
    show = table["name", "kind", "distribution", "version", "summary"]
    show.pprint_all() if len(show) else print("no plugins installed")
    return 0


def _cmd_demo(args) -> int:
    from .demo import run_demo

    report = run_demo(
        args.out, seed=args.seed, quick=args.quick, only=args.step, progress=_progress
    )
    failed = [s["name"] for s in report["steps"] if s["status"] != "ok"]
    print(
        f"demo: {len(report['steps']) - len(failed)}/{len(report['steps'])} steps ok; "
        f"open {Path(args.out) / 'index.html'}"
    )
    if failed:
        print(f"failed steps: {', '.join(failed)} (details in {Path(args.out) / 'summary.json'})")
        return 1
    return 0


def _parse_params(items) -> dict:
    params = {}
    for item in items or []:
        if "=" not in item:
            raise InputError(f"parameter '{item}' must look like name=value")
        key, value = item.split("=", 1)
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params


def _first_line(exc) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _read_image(path, hdu, unit):
    from astropy.nddata import CCDData

    if not Path(path).exists():
        raise InputError(f"image file '{path}' does not exist")
    hdu = int(hdu) if str(hdu).isdigit() else hdu
    try:
        try:
            return CCDData.read(path, hdu=hdu, unit=unit)
        except ValueError as exc:
            if unit is None and "unit" in str(exc).lower():
                return CCDData.read(path, hdu=hdu, unit="adu")  # no BUNIT in the header
            raise
    except Exception as exc:  # astropy raises many types for unreadable files
        raise InputError(
            f"cannot read an image from '{path}' (extension {hdu!r}): {_first_line(exc)}; "
            "give a FITS file and the extension holding the image (--hdu number or name)"
        ) from None


def _cmd_detect(args) -> int:
    from .io import write_table
    from .plugins import get_detector

    det = get_detector(args.detector, **_parse_params(args.param))
    images = [_read_image(path, args.hdu, args.unit) for path in args.images]
    _progress(f"detecting with '{args.detector}' in {len(images)} image(s)")
    table = det.detect(images if len(images) > 1 else images[0])
    write_table(table, args.out)
    print(f"{len(table)} rows -> {args.out}")
    return 0


_TABLE_SUFFIXES = (".ecsv", ".fits", ".fit", ".vot", ".xml", ".csv", ".hdf5", ".h5", ".parquet")


def _read_orbits(path):
    from astropy.table import QTable

    p = Path(path)
    if not p.exists():
        raise InputError(f"orbits file '{path}' does not exist")
    name = p.name.lower().removesuffix(".gz")
    try:
        if name.endswith(_TABLE_SUFFIXES):
            return QTable.read(path)
        from .catalog import read_mpcorb  # MPCORB.DAT, NEA.txt, the MPC's JSON (gzip too)

        return read_mpcorb(path)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"cannot read orbits from '{path}': {_first_line(exc)}; give an astropy table "
            "(ECSV, FITS, VOTable...) or an MPC orbit file (MPCORB.DAT, NEA.txt, JSON)"
        ) from None


def _parse_time(text, option):
    from astropy.time import Time

    try:
        value = float(text)
    except ValueError:
        value = None
    try:
        if value is not None:  # a number: JD when large, else MJD (UTC)
            return Time(value, format="jd" if value > 1e6 else "mjd", scale="utc")
        return Time(text, scale="utc")
    except ValueError:
        raise InputError(
            f"{option} '{text}' is not a time: give ISO (2024-01-01T00:00), a JD or an MJD (UTC)"
        ) from None


def _cmd_ephemeris(args) -> int:
    import numpy as np
    from astropy import units as u

    from .ephemeris import ephemeris
    from .io import write_table

    orbits = _read_orbits(args.orbits)
    start, stop = _parse_time(args.start, "--start"), _parse_time(args.stop, "--stop")
    span = (stop - start).to_value(u.d)
    if span < 0 or args.step <= 0:
        raise InputError("--stop must not precede --start, and --step must be positive")
    n_times = int(np.floor(span / args.step + 1e-9)) + 1
    n_rows = len(orbits) * n_times
    if n_rows > args.max_rows:
        raise InputError(
            f"{len(orbits)} orbits x {n_times} times = {n_rows:,} rows is more than "
            f"--max-rows {args.max_rows:,}; use a larger --step or fewer orbits, or raise "
            "--max-rows"
        )
    times = start + np.arange(n_times) * args.step * u.d
    eph = ephemeris(orbits, times, observer=args.observer, method=args.method)
    write_table(eph, args.out)
    print(f"{len(eph)} rows -> {args.out}")
    return 0


def _cmd_obscodes(args) -> int:
    from .ephemeris.obscodes import refresh_observatory_codes

    path = refresh_observatory_codes()
    print(f"observatory codes refreshed from the MPC -> {path}")
    return 0


def _seed(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"seed must be >= 0, got {value}")
    return value


def build_parser(pm=None) -> argparse.ArgumentParser:
    """Build the argument parser, with the subcommands contributed by plugins.

    Examples
    --------
    >>> from astro_sso.cli import build_parser
    >>> build_parser().parse_args(["demo", "--out", "x"]).out
    'x'
    """
    from . import __version__
    from .plugins import plugin_commands

    parser = argparse.ArgumentParser(
        prog="astro-sso",
        description="Find Solar System objects in astronomical data and identify them.",
    )
    parser.add_argument("--version", action="version", version=f"astro-sso {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("plugins", help="List the installed plugins.")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_cmd_plugins)

    p = sub.add_parser("demo", help="Run the main job offline on simulated data.")
    p.add_argument("--out", default="astro-sso-demo", help="output folder (default: %(default)s)")
    p.add_argument("--seed", type=_seed, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="small and fast version of every step")
    p.add_argument("--step", action="append", help="run only this step (repeatable)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("detect", help="Detect sources or trails in FITS images.")
    p.add_argument("images", nargs="+", help="FITS files (several: exposures of one field)")
    p.add_argument(
        "--detector", default="segmentation", help="detector name (default: %(default)s)"
    )
    p.add_argument("--param", action="append", metavar="NAME=VALUE", help="detector parameter")
    p.add_argument(
        "--hdu", default="0", help="FITS extension, number or name (default: %(default)s)"
    )
    p.add_argument(
        "--unit",
        default=None,
        help="data unit, overriding the header's BUNIT (default: BUNIT, else adu)",
    )
    p.add_argument("--out", default="sources.ecsv", help="output ECSV (default: %(default)s)")
    p.set_defaults(func=_cmd_detect)

    p = sub.add_parser("ephemeris", help="Predict positions of objects from their orbits.")
    p.add_argument("orbits", help="orbits table (ECSV) or MPCORB file")
    p.add_argument("--start", required=True, help="first time (ISO, JD or MJD; UTC)")
    p.add_argument("--stop", required=True, help="last time (ISO, JD or MJD; UTC)")
    p.add_argument("--step", type=float, default=1.0, help="step in days (default: %(default)s)")
    p.add_argument("--observer", default="500", help="MPC code (default: %(default)s geocentre)")
    p.add_argument("--method", default="twobody", choices=["twobody", "nbody", "accurate"])
    p.add_argument(
        "--max-rows",
        type=int,
        default=20_000_000,
        help="refuse larger requests (default: %(default)s)",
    )
    p.add_argument("--out", default="ephemeris.ecsv", help="output ECSV (default: %(default)s)")
    p.set_defaults(func=_cmd_ephemeris)

    p = sub.add_parser("obscodes", help="Refresh the MPC observatory code list (needs network).")
    p.set_defaults(func=_cmd_obscodes)

    commands = plugin_commands(pm)
    for verb, help_text in PLUGIN_VERBS.items():
        vp = sub.add_parser(verb, help=help_text)
        methods = [c for c in commands if c.verb == verb]
        vp.set_defaults(func=_no_method(verb, [c.name for c in methods]))
        if not methods:  # say so in one line whatever method is asked for
            vp.add_argument("method", nargs="?", help="no installed plugin provides one")
            vp.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
            continue
        vp.error = _verb_error(verb, [c.name for c in methods])
        vsub = vp.add_subparsers(dest="method", metavar="METHOD")
        for cmd in methods:
            mp = vsub.add_parser(cmd.name, help=cmd.help)
            cmd.add_arguments(mp)
            mp.set_defaults(func=cmd.run)
    for cmd in commands:
        if cmd.verb is None:
            tp = sub.add_parser(cmd.name, help=cmd.help)
            cmd.add_arguments(tp)
            tp.set_defaults(func=cmd.run)
        elif cmd.verb not in PLUGIN_VERBS:
            raise AstroSSOError(
                f"plugin command '{cmd.name}' has verb '{cmd.verb}'; verbs: "
                f"{sorted(PLUGIN_VERBS)} or None for a top-level command"
            )
    return parser


def _verb_error(verb, names):
    # argparse reports an unknown method as a usage error: make it the one-line kind
    def error(message):
        import re

        m = re.search(r"invalid choice: '([^']*)'", message)
        avail = ", ".join(names) or "none (install a plugin that provides one)"
        if m:
            raise InputError(f"no method '{m.group(1)}' to {verb}; methods: {avail}")
        raise InputError(f"astro-sso {verb}: {message}")

    return error


def _no_method(verb, names):
    def run(args):
        avail = ", ".join(names) or "none (install a plugin that provides one)"
        asked = getattr(args, "method", None)
        if asked:
            raise InputError(f"no method '{asked}' to {verb}; methods: {avail}")
        raise InputError(f"say which method to {verb}: `astro-sso {verb} METHOD`; methods: {avail}")

    return run


def main(argv=None) -> int:
    """Entry point of the ``astro-sso`` command.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 1 on a reported error, 2 on usage errors.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]  # accepted anywhere on the line
    if not debug:  # far-future UTC dates are expected here (predictions); say it once, not per row
        warnings.filterwarnings("ignore", message=".*dubious year.*")
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("astro-sso: interrupted", file=sys.stderr)
        return 130
    except (AstroSSOError, OSError) as exc:
        if debug:
            raise
        print(f"astro-sso: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if debug:
            raise
        print(
            f"astro-sso: unexpected error: {type(exc).__name__}: {exc} "
            "(run again with --debug for the traceback, and report it)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
