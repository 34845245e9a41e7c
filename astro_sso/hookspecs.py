"""Hook specifications: the whole contract between astro-sso and its plugins.

A plugin is a module (or object) with functions named like the hooks below and
decorated with `astro_sso.hookimpl`. It is found through the ``astro_sso``
entry-point group of its distribution::

    # pyproject.toml of a plugin distribution
    [project.entry-points.astro_sso]
    my_plugin = "my_package.plugin"

Registration hooks return *classes*; the host decides when to instantiate them
(when a user calls ``astro_sso.get_detector(name, **params)``). Every hook is
optional: implement only those you need. The core registers its own built-in
plugin (`astro_sso.builtin`) through these same hooks.

Hooks are called with keyword arguments only; a plugin may declare a subset of
a hook's arguments.
"""

from __future__ import annotations

import pluggy

__all__ = [
    "hookspec",
    "astro_sso_detectors",
    "astro_sso_classifiers",
    "astro_sso_orbit_fitters",
    "astro_sso_matchers",
    "astro_sso_commands",
    "astro_sso_demo_steps",
]

#: Marker of hook specifications (used by the core only).
hookspec = pluggy.HookspecMarker("astro_sso")


@hookspec
def astro_sso_detectors():
    """Register detector classes.

    Returns
    -------
    list of type
        Subclasses of `astro_sso.base.Detector`. Each has a unique ``name``
        (e.g. ``"hst-trails"``), keyword-only parameters with defaults documented
        in its class docstring, and a ``detect(images, **kw) -> QTable`` method
        taking one `~astropy.nddata.NDData`/`~astropy.nddata.CCDData` or a
        sequence of exposures of one field (dithers), and returning a sources or
        trails table in the vocabulary of `astro_sso.tables`.

    Examples
    --------
    .. code-block:: python

        from astro_sso import hookimpl
        from astro_sso.base import Detector

        class Brightest(Detector):
            '''Report the brightest pixel of each image.'''
            name = "brightest"
            def detect(self, images, **kw): ...

        @hookimpl
        def astro_sso_detectors():
            return [Brightest]
    """


@hookspec
def astro_sso_classifiers():
    """Register classifier classes.

    Returns
    -------
    list of type
        Subclasses of `astro_sso.base.Classifier`, each with a unique ``name``,
        a ``classes`` tuple, ``classify(cutouts) -> QTable`` (one row per cutout:
        ``source_id``, ``label``, ``score``, ``probabilities``) and
        ``fit(cutouts, **kw)``. A classifier that needs TensorFlow imports it
        inside these methods, never at module import time.
    """


@hookspec
def astro_sso_orbit_fitters():
    """Register orbit-fitter classes.

    Returns
    -------
    list of type
        Subclasses of `astro_sso.base.OrbitFitter`, each with a unique ``name``
        and ``fit_orbits(detections) -> OrbitFitResult`` whose ``orbits`` and
        ``links`` are QTables of the shared vocabulary.
    """


@hookspec
def astro_sso_matchers():
    """Register matcher classes.

    Returns
    -------
    list of type
        Subclasses of `astro_sso.base.Matcher`, each with a unique ``name`` and
        ``match(table, **kw) -> QTable`` that identifies detections or trails
        with known objects, one output row per input row.
    """


@hookspec
def astro_sso_commands():
    """Add command-line subcommands.

    A plugin brings the commands of its method without the core naming it:
    ``astro-sso train <name>``, ``astro-sso evaluate <name>``,
    ``astro-sso simulate <name>``, or a top-level ``astro-sso <name>``.

    Returns
    -------
    list of astro_sso.base.Command
        Each with a ``verb`` (``'train'``, ``'evaluate'``, ``'simulate'`` or
        None for a top-level command), a ``name``, a one-line ``help``,
        ``add_arguments(parser)`` and ``run(args) -> int | None``.

    Examples
    --------
    .. code-block:: python

        from astro_sso import hookimpl
        from astro_sso.base import Command

        def _add(parser):
            parser.add_argument("--n", type=int, default=10)

        def _run(args):
            print(args.n)

        @hookimpl
        def astro_sso_commands():
            return [Command(name="my-method", verb="simulate", help="Simulate data.",
                            add_arguments=_add, run=_run)]
    """


@hookspec
def astro_sso_demo_steps():
    """Add steps to ``astro-sso demo``, the package's main job.

    The demo runs offline on simulated data. Each step writes its products
    (ECSV tables, PNG figures) into its own folder and returns a short summary
    that the demo collects into an HTML page.

    Returns
    -------
    list of astro_sso.base.DemoStep
        Each with a ``name``, a ``title``, an ``order`` (steps run by increasing
        order) and ``run(context: DemoContext) -> DemoResult``. The step must
        honour ``context.quick`` (a small, fast version for tests) and use
        ``context.seed`` for everything random.
    """
