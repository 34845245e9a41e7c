"""Base classes of the four plugin kinds, and of plugin commands and demo steps.

A plugin class subclasses one of `Detector`, `Classifier`, `OrbitFitter` or
`Matcher`, sets a ``name``, documents its keyword parameters in its docstring
(numpydoc ``Parameters`` section of the class), takes them as keyword-only
arguments with defaults in ``__init__``, and implements the one method of its
kind. The host (`astro_sso.plugins`) collects the classes through the
registration hooks of `astro_sso.hookspecs` and instantiates them on demand
(`astro_sso.get_detector` and friends).
"""

from __future__ import annotations

import abc
import inspect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from astropy.nddata import NDData
from astropy.table import QTable

from .exceptions import InputError
from .provenance import stamp

__all__ = [
    "PluginBase",
    "as_exposures",
    "Detector",
    "Classifier",
    "OrbitFitter",
    "OrbitFitResult",
    "Matcher",
    "Command",
    "DemoStep",
    "DemoContext",
    "DemoResult",
    "PLUGIN_KINDS",
]


class PluginBase(abc.ABC):  # noqa: B024 (the kinds below declare the abstract method)
    """Common behaviour of every plugin class.

    Subclasses set the class attributes below and take their parameters as
    keyword-only arguments of ``__init__`` with defaults, stored on ``self``
    under the same names (as scikit-learn estimators do), so that
    `get_params` and the provenance stamped on products can list them.

    Attributes
    ----------
    name : str
        The name users pass to ``astro_sso.get_<kind>(name)``; lower case,
        words joined by ``-`` (e.g. ``'euclid-cnn'``).
    kind : str
        ``'detector'``, ``'classifier'``, ``'orbit_fitter'`` or ``'matcher'``
        (set by the base class of the kind).
    output_table : str
        Kind of table the plugin returns (a key of `astro_sso.tables.SCHEMAS`).
    output_columns : tuple of str
        Columns every output table carries (a subset of the vocabulary).
    citation : str
        The paper the method comes from (shown in ``astro-sso plugins`` and
        the docs); empty for general-purpose tools.
    """

    name: ClassVar[str] = ""
    kind: ClassVar[str] = ""
    output_table: ClassVar[str] = ""
    output_columns: ClassVar[tuple[str, ...]] = ()
    citation: ClassVar[str] = ""

    @classmethod
    def summary(cls) -> str:
        """The first line of the class docstring."""
        doc = inspect.getdoc(cls) or ""
        return doc.strip().splitlines()[0] if doc.strip() else ""

    @classmethod
    def param_names(cls) -> list[str]:
        """Names of the keyword parameters of ``__init__``."""
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]

    @classmethod
    def documented_params(cls) -> list[str]:
        """Parameter names listed in the ``Parameters`` section of the class docstring."""
        doc = inspect.getdoc(cls) or ""
        m = re.search(r"^Parameters\n-+\n(.*?)(?:^\S[^\n]*\n-+\n|\Z)", doc, re.S | re.M)
        if not m:
            return []
        names = []
        for line in m.group(1).splitlines():
            if line and not line.startswith(" ") and ":" in line:
                names += [n.strip() for n in line.split(":")[0].split(",")]
            elif line and not line.startswith(" "):
                names.append(line.strip())
        return names

    def get_params(self) -> dict[str, Any]:
        """Return the instance's parameters as a dict (for provenance and display).

        Examples
        --------
        >>> from astro_sso.builtin.segmentation import SegmentationDetector
        >>> SegmentationDetector(nsigma=5.0).get_params()["nsigma"]
        5.0
        """
        return {name: getattr(self, name, None) for name in self.param_names()}

    def _stamp(self, table: QTable, **extra) -> QTable:
        return stamp(table, plugin=self, parameters=self.get_params(), **extra)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"


def as_exposures(images, *, require_wcs: bool = False) -> list[NDData]:
    """Normalise the ``images`` argument of `Detector.detect` to a list of NDData.

    Parameters
    ----------
    images : `~astropy.nddata.NDData` or sequence of NDData
        One image, or several exposures of one field (e.g. dithers).
    require_wcs : bool
        Raise when an image has no WCS.

    Returns
    -------
    list of `~astropy.nddata.NDData`

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.nddata import NDData
    >>> from astro_sso.base import as_exposures
    >>> len(as_exposures(NDData(np.zeros((4, 4)))))
    1
    """
    if isinstance(images, NDData):
        seq = [images]
    elif isinstance(images, np.ndarray):
        raise InputError(
            "detectors take NDData or CCDData (with WCS and header meta), not a bare array; "
            "wrap it: astropy.nddata.NDData(array, wcs=wcs, meta=header)"
        )
    elif isinstance(images, Sequence) and not isinstance(images, str | bytes):
        seq = list(images)
    else:
        raise InputError(
            f"detectors take an NDData/CCDData or a sequence of them, got {type(images).__name__}"
        )
    for k, img in enumerate(seq):
        if not isinstance(img, NDData):
            raise InputError(f"exposure {k} is a {type(img).__name__}, not an NDData/CCDData")
        data = np.asarray(img.data)
        if data.ndim != 2:
            raise InputError(f"exposure {k} has shape {data.shape}; detectors need 2-D images")
        if require_wcs and img.wcs is None:
            raise InputError(
                f"exposure {k} has no WCS: sky positions need one; read the FITS file with "
                "CCDData.read(path) from a file whose header has a WCS, or pass wcs= to NDData"
            )
    return seq


class Detector(PluginBase):
    """Base class of detectors: images in, a table of sources or trails out.

    Subclasses implement `detect`.
    """

    kind: ClassVar[str] = "detector"
    output_table: ClassVar[str] = "sources"

    @abc.abstractmethod
    def detect(self, images, **kwargs) -> QTable:
        """Find sources (or trails) in one image or in several exposures of one field.

        Parameters
        ----------
        images : `~astropy.nddata.NDData` or sequence of NDData
            One image (NDData/CCDData with ``wcs``, ``mask``, ``uncertainty`` and
            header ``meta``), or a sequence of exposures of one field (dithers).
        **kwargs
            Per-call options documented by the plugin.

        Returns
        -------
        `~astropy.table.QTable`
            A table of kind `output_table`, with provenance in ``meta``.
        """


class Classifier(PluginBase):
    """Base class of classifiers: a cutouts table in, a classifications table out.

    Subclasses implement `classify` and `fit`, and list their classes in
    ``classes``.
    """

    kind: ClassVar[str] = "classifier"
    output_table: ClassVar[str] = "classifications"
    output_columns: ClassVar[tuple[str, ...]] = ("source_id", "label", "score", "probabilities")
    classes: tuple[str, ...] = ()

    @abc.abstractmethod
    def classify(self, cutouts: QTable) -> QTable:
        """Classify cutouts.

        Parameters
        ----------
        cutouts : `~astropy.table.QTable`
            A cutouts table: ``source_id`` and ``cutout`` of shape (N, H, W, C).

        Returns
        -------
        `~astropy.table.QTable`
            One row per cutout: ``source_id``, ``label``, ``score``, ``probabilities``.
        """

    @abc.abstractmethod
    def fit(self, cutouts: QTable, **kwargs) -> Classifier:
        """Train on a cutouts table whose ``label`` column holds the true classes.

        Returns
        -------
        self
        """


@dataclass
class OrbitFitResult:
    """What an orbit fitter returns.

    Attributes
    ----------
    orbits : `~astropy.table.QTable`
        The orbits found (an orbits table).
    links : `~astropy.table.QTable`
        Which detections belong to which orbit (a links table).
    meta : dict
        Provenance and run statistics.
    """

    orbits: QTable
    links: QTable
    meta: dict = field(default_factory=dict)


class OrbitFitter(PluginBase):
    """Base class of orbit fitters: detections in, orbits and links out.

    Subclasses implement `fit_orbits`.
    """

    kind: ClassVar[str] = "orbit_fitter"
    output_table: ClassVar[str] = "orbits"

    @abc.abstractmethod
    def fit_orbits(self, detections: QTable, **kwargs) -> OrbitFitResult:
        """Find orbits that explain some of the detections.

        Parameters
        ----------
        detections : `~astropy.table.QTable`
            A detections table (``ra``, ``dec``, ``obstime``, ``observer``, ``det_id``).

        Returns
        -------
        OrbitFitResult
        """


class Matcher(PluginBase):
    """Base class of matchers: identify detections or trails with known objects.

    Subclasses implement `match`.
    """

    kind: ClassVar[str] = "matcher"
    output_table: ClassVar[str] = "matches"
    output_columns: ClassVar[tuple[str, ...]] = ("designation", "separation")

    @abc.abstractmethod
    def match(self, table: QTable, **kwargs) -> QTable:
        """Identify each row of a detections (or trails) table with a known object.

        Parameters
        ----------
        table : `~astropy.table.QTable`
            Detections or trails.

        Returns
        -------
        `~astropy.table.QTable`
            One row per input row; unmatched rows have an empty ``designation``.
        """


#: Base class of each plugin kind, by kind name.
PLUGIN_KINDS: dict[str, type[PluginBase]] = {
    "detector": Detector,
    "classifier": Classifier,
    "orbit_fitter": OrbitFitter,
    "matcher": Matcher,
}


@dataclass
class Command:
    """A command-line subcommand contributed by a plugin.

    With ``verb`` set to ``'train'``, ``'evaluate'`` or ``'simulate'`` the
    command becomes ``astro-sso <verb> <name> ...``; with ``verb=None`` it is a
    top-level command ``astro-sso <name> ...`` (e.g. ``sieve``).

    Parameters
    ----------
    name : str
        The method name (e.g. ``'euclid-cnn'``) or the top-level command name.
    help : str
        One line shown by ``--help``.
    add_arguments : callable
        ``add_arguments(parser)`` adds options to an `argparse.ArgumentParser`.
    run : callable
        ``run(args) -> int | None`` does the work; the return value is the exit code.
    verb : str or None
        ``'train'``, ``'evaluate'``, ``'simulate'``, or None for a top-level command.
    """

    name: str
    help: str
    add_arguments: Callable[[Any], None]
    run: Callable[[Any], int | None]
    verb: str | None = None


@dataclass
class DemoContext:
    """What a demo step receives.

    Attributes
    ----------
    out : pathlib.Path
        Folder where the step writes its products (its own sub-folder).
    seed : int
        Seed for everything random in the step.
    quick : bool
        Make the step small (tests run the demo with ``quick=True``).
    shared : dict
        Products of earlier steps that later ones may reuse (e.g. the
        synthetic catalogue under ``'catalog'``).
    progress : callable
        ``progress(message)`` reports what the step is doing.
    """

    out: Path
    seed: int = 0
    quick: bool = False
    shared: dict = field(default_factory=dict)
    progress: Callable[[str], None] = print


@dataclass
class DemoResult:
    """What a demo step returns.

    Attributes
    ----------
    summary : str
        A few sentences for the HTML summary and the terminal.
    figures : list of pathlib.Path
        PNG files the step wrote.
    tables : list of pathlib.Path
        ECSV files the step wrote.
    metrics : dict
        Headline figures (JSON-serialisable), e.g. ``{'fraction_identified': 0.99}``.
    """

    summary: str
    figures: list[Path] = field(default_factory=list)
    tables: list[Path] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)


@dataclass
class DemoStep:
    """One step of ``astro-sso demo``, contributed by a plugin.

    Parameters
    ----------
    name : str
        Short name (folder name of its products), e.g. ``'identify'``.
    title : str
        Title in the summary.
    run : callable
        ``run(context: DemoContext) -> DemoResult``.
    order : int
        Steps run by increasing order (the core's step is 0; simulators and
        detectors 100-199, classifiers 200-299, matchers 300-399, orbit search 400+).
    """

    name: str
    title: str
    run: Callable[[DemoContext], DemoResult]
    order: int = 100
