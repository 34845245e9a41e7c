"""``astro-sso match``: identify a detections or trails file with known objects.

.. code-block:: console

    $ astro-sso match --backend local --catalog MPCORB.DAT detections.ecsv
    412 matched / 530 total -> matches.ecsv

The input is an ECSV (or any table astropy reads) of point detections or of
trails (`astro_sso.tables`); the matches table is written atomically
(`astro_sso.io.write_table`), and one line says how many rows were identified.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["add_match_arguments", "run_match"]


def add_match_arguments(parser) -> None:
    """Options of ``astro-sso match``."""
    parser.add_argument("table", help="detections or trails table (ECSV)")
    parser.add_argument(
        "--backend",
        choices=["local", "online"],
        default="local",
        help="local: offline with --catalog; online: SkyBoT and JPL Horizons "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--catalog", help="orbit catalogue for the local backend (MPCORB.DAT, or an orbits ECSV)"
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        help='largest separation or d_oc of a match [arcsec] (default: 2" points, 3" trails)',
    )
    parser.add_argument("--trail-points", help="trail points table (ECSV) for a trails table")
    parser.add_argument(
        "--observer", help="MPC code of the observer of rows without an 'observer' column"
    )
    parser.add_argument(
        "--cone-radius",
        type=float,
        default=900.0,
        help="radius of the candidate cone search [arcsec] (default: %(default)s)",
    )
    parser.add_argument(
        "--method",
        default="twobody",
        choices=["twobody", "nbody", "accurate"],
        help="ephemeris method of the local backend (default: %(default)s)",
    )
    parser.add_argument("--out", default="matches.ecsv", help="output ECSV (default: %(default)s)")


def _read(path, what):
    from astropy.table import QTable

    from astro_sso.exceptions import InputError

    if not Path(path).is_file():
        raise InputError(f"{what} file '{path}' does not exist")
    try:
        return QTable.read(path)
    except Exception as exc:  # any reader error is a bad input file
        raise InputError(f"cannot read {what} file '{path}' as a table: {exc}") from None


def run_match(args) -> int:
    """Run ``astro-sso match`` (see the module documentation)."""
    import astropy.units as u

    from astro_sso.exceptions import InputError
    from astro_sso.io import write_table

    from .matcher import SkybotHorizonsMatcher

    if args.backend == "local" and not args.catalog:
        raise InputError(
            "--backend local needs --catalog (an MPC orbit file such as MPCORB.DAT, or an "
            "orbits ECSV); or use --backend online (needs the network)"
        )
    table = _read(args.table, "input")
    points = _read(args.trail_points, "trail points") if args.trail_points else None
    matcher = SkybotHorizonsMatcher(
        backend=args.backend,
        catalog=args.catalog if args.backend == "local" else None,
        tolerance=None if args.tolerance is None else args.tolerance * u.arcsec,
        cone_radius=args.cone_radius * u.arcsec,
        method=args.method,
        observer=args.observer,
    )
    out = matcher.match(table, trail_points=points)
    write_table(out, args.out)
    matched = int(sum(1 for d in out["designation"] if str(d)))
    print(f"{matched} matched / {len(out)} total -> {args.out}")
    return 0
