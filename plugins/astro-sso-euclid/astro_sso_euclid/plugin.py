"""The hook implementations of astro-sso-euclid: what astro-sso calls.

Registered through the ``astro_sso`` entry point ``euclid`` (block the plugin with
``ASTRO_SSO_DISABLED_PLUGINS=euclid``). The module stays light: the simulator is
imported when a hook's command or step runs.
"""

from __future__ import annotations

import importlib.util

from astro_sso import hookimpl

__all__ = [
    "astro_sso_classifiers",
    "astro_sso_commands",
    "astro_sso_demo_steps",
    "astro_sso_detectors",
]


@hookimpl
def astro_sso_commands():
    """Add ``astro-sso simulate/train/evaluate euclid-cnn``."""
    from astro_sso.base import Command

    from .cli import add_simulate_arguments, run_simulate
    from .cli_cnn import add_evaluate_arguments, add_train_arguments, run_evaluate, run_train

    return [
        Command(
            name="euclid-cnn",
            verb="simulate",
            help="Simulate a Euclid VIS field: four dithered exposures (FITS) and a truth ECSV.",
            add_arguments=add_simulate_arguments,
            run=run_simulate,
        ),
        Command(
            name="euclid-cnn",
            verb="train",
            help="Simulate a labelled cutout set and train the Euclid SSO classifier.",
            add_arguments=add_train_arguments,
            run=run_train,
        ),
        Command(
            name="euclid-cnn",
            verb="evaluate",
            help="Evaluate the classifier on a fresh simulated test set; print JSON, write plots.",
            add_arguments=add_evaluate_arguments,
            run=run_evaluate,
        ),
    ]


@hookimpl
def astro_sso_demo_steps():
    """Add the ``euclid-field`` and ``euclid-classify`` steps to ``astro-sso demo``."""
    from astro_sso.base import DemoStep

    from .demo import run_field_step
    from .demo_classify import run_classify_step

    steps = [
        DemoStep(
            name="euclid-field",
            title="Simulate a Euclid VIS field: four dithers with SSO trails and cosmic rays",
            run=run_field_step,
            order=150,
        ),
    ]
    # The classification step needs TensorFlow (the [cpu] or [gpu] extra); without it
    # the demo runs the simulator alone rather than report a failure.
    if importlib.util.find_spec("tensorflow") is not None:
        steps.append(
            DemoStep(
                name="euclid-classify",
                title="Classify the Euclid field's cutouts with the shipped CNNs (mosaic)",
                run=run_classify_step,
                order=250,
            )
        )
    return steps


@hookimpl
def astro_sso_detectors():
    """Add the ``euclid-cutouts`` detector (sources of the dithers -> cutouts)."""
    from .cutouts import EuclidCutoutDetector

    return [EuclidCutoutDetector]


@hookimpl
def astro_sso_classifiers():
    """Add the ``euclid-cnn`` classifier (TensorFlow is imported when it runs)."""
    from .classifier import EuclidCNNClassifier

    return [EuclidCNNClassifier]
