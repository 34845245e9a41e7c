"""The hook implementations of astro-sso-euclid: what astro-sso calls.

Registered through the ``astro_sso`` entry point ``euclid`` (block the plugin with
``ASTRO_SSO_DISABLED_PLUGINS=euclid``). The module stays light: the simulator is
imported when a hook's command or step runs.
"""

from __future__ import annotations

from astro_sso import hookimpl

__all__ = ["astro_sso_commands", "astro_sso_demo_steps", "astro_sso_detectors"]


@hookimpl
def astro_sso_commands():
    """Add ``astro-sso simulate euclid-cnn``."""
    from astro_sso.base import Command

    from .cli import add_simulate_arguments, run_simulate

    return [
        Command(
            name="euclid-cnn",
            verb="simulate",
            help="Simulate a Euclid VIS field: four dithered exposures (FITS) and a truth ECSV.",
            add_arguments=add_simulate_arguments,
            run=run_simulate,
        )
    ]


@hookimpl
def astro_sso_demo_steps():
    """Add the ``euclid-field`` step to ``astro-sso demo``."""
    from astro_sso.base import DemoStep

    from .demo import run_field_step

    return [
        DemoStep(
            name="euclid-field",
            title="Simulate a Euclid VIS field: four dithers with SSO trails and cosmic rays",
            run=run_field_step,
            order=150,
        )
    ]


@hookimpl
def astro_sso_detectors():
    """Add the ``euclid-cutouts`` detector (sources of the dithers -> cutouts)."""
    from .cutouts import EuclidCutoutDetector

    return [EuclidCutoutDetector]
