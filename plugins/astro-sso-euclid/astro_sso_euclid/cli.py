"""``astro-sso simulate euclid-cnn``: write a simulated Euclid VIS field.

.. code-block:: console

    $ astro-sso simulate euclid-cnn --out field --seed 1 --size 512
    4 dithers 512x512 px, 0 SSO, 1 stars, 21 galaxies, 4220 cosmic rays -> field

Products (written atomically): ``dither_1.fits`` ... ``dither_4.fits`` (CCDData in
ADU with WCS, header times and the saturation mask) and ``truth.ecsv``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["add_simulate_arguments", "run_simulate", "write_field"]


def add_simulate_arguments(parser) -> None:
    """Options of ``astro-sso simulate euclid-cnn``."""
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument(
        "--size", type=int, default=512, help="image size N (N x N px; default: %(default)s)"
    )
    parser.add_argument("--n-sso", type=int, help="number of SSOs (default: 0.6 per arcmin^2)")
    parser.add_argument("--n-stars", type=int, help="number of stars (default: density)")
    parser.add_argument("--n-galaxies", type=int, help="number of galaxies (default: density)")
    parser.add_argument(
        "--cr-rate",
        type=float,
        default=5.0,
        help="cosmic-ray hits per cm^2 per s (default: %(default)s)",
    )


def write_field(images, truth, out) -> list[Path]:
    """Write the dithers (FITS) and the truth table (ECSV) atomically into ``out``.

    Examples
    --------
    >>> import tempfile
    >>> from astro_sso_euclid.simulate import simulate_field
    >>> from astro_sso_euclid.cli import write_field
    >>> ims, truth = simulate_field(shape=(32, 32), n_sso=0, n_stars=1, n_galaxies=0,
    ...                             n_cosmic_rays=0, seed=1)
    >>> [p.name for p in write_field(ims, truth, tempfile.mkdtemp())]
    ['dither_1.fits', 'dither_2.fits', 'dither_3.fits', 'dither_4.fits', 'truth.ecsv']
    """
    from astro_sso.io import atomic_path, write_table

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, ccd in enumerate(images):
        path = out / f"dither_{k + 1}.fits"
        with atomic_path(path) as tmp:
            ccd.write(tmp, overwrite=True)
        paths.append(path)
    paths.append(write_table(truth, out / "truth.ecsv"))
    return paths


def run_simulate(args) -> int:
    """Run ``astro-sso simulate euclid-cnn`` (see the module documentation)."""
    import numpy as np

    from astro_sso.exceptions import InputError

    from .simulate import simulate_field

    if args.size < 8:
        raise InputError(f"--size {args.size}: the image needs at least 8 x 8 px")
    images, truth = simulate_field(
        shape=(args.size, args.size),
        n_sso=args.n_sso,
        n_stars=args.n_stars,
        n_galaxies=args.n_galaxies,
        cr_rate=args.cr_rate,
        seed=args.seed,
    )
    write_field(images, truth, args.out)
    lab = np.asarray(truth["label"])
    print(
        f"4 dithers {args.size}x{args.size} px, {int((lab == 'sso').sum())} SSO, "
        f"{int((lab == 'star').sum())} stars, {int((lab == 'galaxy').sum())} galaxies, "
        f"{int((lab == 'cosmic_ray').sum())} cosmic rays -> {args.out}"
    )
    return 0
