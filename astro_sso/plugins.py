"""The plugin manager: discovery, registry by name, and the public lookup API.

One factory, `make_plugin_manager`, builds the `pluggy.PluginManager`: it
registers the core's built-in plugin exactly as an external one would be
registered, loads every plugin of the ``astro_sso`` entry-point group, honours
the ``ASTRO_SSO_DISABLED_PLUGINS`` environment variable, and calls
``check_pending()`` so a misspelt hook fails loudly.

``ASTRO_SSO_DISABLED_PLUGINS`` is a comma-separated list of names: an
entry-point name blocks a whole plugin module; a class name (e.g.
``segmentation``) hides one class.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pluggy
from astropy.table import QTable

from . import hookspecs
from .base import PLUGIN_KINDS, Command, DemoStep, PluginBase
from .exceptions import PluginError
from .provenance import distribution_of

__all__ = [
    "ENTRY_POINT_GROUP",
    "DISABLE_ENV",
    "PluginInfo",
    "make_plugin_manager",
    "get_plugin_manager",
    "set_plugin_manager",
    "plugin_classes",
    "list_plugins",
    "get_plugin_class",
    "get_detector",
    "get_classifier",
    "get_orbit_fitter",
    "get_matcher",
    "plugin_commands",
    "demo_steps",
]

#: Entry-point group in which plugin distributions register.
ENTRY_POINT_GROUP = "astro_sso"
#: Environment variable listing plugins (or plugin classes) to block.
DISABLE_ENV = "ASTRO_SSO_DISABLED_PLUGINS"

_HOOK_OF_KIND = {
    "detector": "astro_sso_detectors",
    "classifier": "astro_sso_classifiers",
    "orbit_fitter": "astro_sso_orbit_fitters",
    "matcher": "astro_sso_matchers",
}

_pm: pluggy.PluginManager | None = None


def _disabled_names() -> set[str]:
    raw = os.environ.get(DISABLE_ENV, "")
    return {name.strip() for name in raw.split(",") if name.strip()}


def make_plugin_manager(
    *, load_entrypoints: bool = True, builtin: bool = True
) -> pluggy.PluginManager:
    """Build a plugin manager with the core's and the installed plugins.

    Parameters
    ----------
    load_entrypoints : bool
        Load plugins of the ``astro_sso`` entry-point group (False blocks
        discovery: only the built-in plugin and what you register by hand).
    builtin : bool
        Register the core's built-in plugin.

    Returns
    -------
    pluggy.PluginManager

    Examples
    --------
    >>> from astro_sso.plugins import make_plugin_manager
    >>> pm = make_plugin_manager(load_entrypoints=False)
    >>> pm.has_plugin("builtin")
    True
    """
    pm = pluggy.PluginManager("astro_sso")
    pm.add_hookspecs(hookspecs)
    for name in _disabled_names():
        pm.set_blocked(name)
    if builtin and not pm.is_blocked("builtin"):
        from . import builtin as _builtin

        pm.register(_builtin, name="builtin")
    if load_entrypoints:
        try:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        except Exception as exc:  # a broken third-party plugin must say who it is
            raise PluginError(
                f"a plugin of the '{ENTRY_POINT_GROUP}' entry-point group failed to load: "
                f"{type(exc).__name__}: {exc}. Uninstall it or block it with "
                f"{DISABLE_ENV}=<name>"
            ) from exc
    pm.check_pending()
    return pm


def get_plugin_manager() -> pluggy.PluginManager:
    """Return the process-wide plugin manager, building it on first use.

    Examples
    --------
    >>> from astro_sso.plugins import get_plugin_manager
    >>> get_plugin_manager() is get_plugin_manager()
    True
    """
    global _pm
    if _pm is None:
        _pm = make_plugin_manager()
    return _pm


def set_plugin_manager(pm: pluggy.PluginManager | None) -> pluggy.PluginManager | None:
    """Replace the process-wide plugin manager (None: rebuild on next use).

    Returns the previous one, so tests can restore it.

    Examples
    --------
    >>> from astro_sso.plugins import set_plugin_manager, make_plugin_manager
    >>> old = set_plugin_manager(make_plugin_manager(load_entrypoints=False))
    >>> _ = set_plugin_manager(old)
    """
    global _pm
    old, _pm = _pm, pm
    return old


@dataclass(frozen=True)
class PluginInfo:
    """A registered plugin class and where it comes from."""

    cls: type
    kind: str
    plugin: str
    distribution: str
    version: str


def _plugin_dist(pm: pluggy.PluginManager, plugin) -> tuple[str, str]:
    for plug, dist in pm.list_plugin_distinfo():
        if plug is plugin:
            return dist.metadata["name"], dist.version
    return distribution_of(getattr(plugin, "__name__", type(plugin).__module__))


def plugin_classes(
    kind: str | None = None, pm: pluggy.PluginManager | None = None
) -> list[PluginInfo]:
    """Collect the plugin classes registered through the hooks.

    Parameters
    ----------
    kind : str, optional
        ``'detector'``, ``'classifier'``, ``'orbit_fitter'`` or ``'matcher'``;
        all kinds by default.
    pm : pluggy.PluginManager, optional
        Default: the process-wide one.

    Returns
    -------
    list of PluginInfo

    Raises
    ------
    astro_sso.exceptions.PluginError
        When a hook returns something that is not a class of its kind, or when
        two plugins register the same name for one kind.

    Examples
    --------
    >>> from astro_sso.plugins import plugin_classes
    >>> "segmentation" in [p.cls.name for p in plugin_classes("detector")]
    True
    """
    pm = pm or get_plugin_manager()
    kinds = [kind] if kind else list(_HOOK_OF_KIND)
    disabled = _disabled_names()
    found: list[PluginInfo] = []
    for k in kinds:
        if k not in _HOOK_OF_KIND:
            raise PluginError(f"unknown plugin kind '{k}'; kinds: {list(_HOOK_OF_KIND)}")
        hook = getattr(pm.hook, _HOOK_OF_KIND[k])
        seen: dict[str, PluginInfo] = {}
        for impl in reversed(hook.get_hookimpls()):
            plugin_name = pm.get_name(impl.plugin)
            result = impl.function() or []
            dist, version = _plugin_dist(pm, impl.plugin)
            for cls in result:
                base = PLUGIN_KINDS[k]
                if not (isinstance(cls, type) and issubclass(cls, base)):
                    raise PluginError(
                        f"plugin '{plugin_name}' returned {cls!r} from {_HOOK_OF_KIND[k]}; "
                        f"that hook must return subclasses of astro_sso.base.{base.__name__}"
                    )
                if not cls.name:
                    raise PluginError(f"plugin '{plugin_name}': class {cls.__name__} has no name")
                if cls.name in disabled:
                    continue
                if cls.name in seen:
                    other = seen[cls.name]
                    raise PluginError(
                        f"two {k}s are named '{cls.name}': {other.cls.__module__}."
                        f"{other.cls.__name__} ({other.distribution}) and {cls.__module__}."
                        f"{cls.__name__} ({dist}); uninstall one or block it with "
                        f"{DISABLE_ENV}"
                    )
                seen[cls.name] = PluginInfo(cls, k, plugin_name, dist, version)
        found += list(seen.values())
    return found


def list_plugins(pm: pluggy.PluginManager | None = None) -> QTable:
    """Return the installed plugin classes as a table.

    Columns: ``name``, ``kind``, ``distribution``, ``version``, ``summary``
    (first line of the class docstring), ``plugin`` (registration name) and
    ``citation``.

    Examples
    --------
    >>> import astro_sso
    >>> t = astro_sso.list_plugins()
    >>> "segmentation" in list(t["name"])
    True
    """
    rows = plugin_classes(pm=pm)
    names = ["name", "kind", "distribution", "version", "summary", "plugin", "citation"]
    cols = {n: [] for n in names}
    for info in rows:
        cols["name"].append(info.cls.name)
        cols["kind"].append(info.kind)
        cols["distribution"].append(info.distribution)
        cols["version"].append(info.version)
        cols["summary"].append(info.cls.summary())
        cols["plugin"].append(info.plugin)
        cols["citation"].append(info.cls.citation)
    return QTable({n: np.asarray(v, dtype=str) for n, v in cols.items()}, names=names)


def get_plugin_class(
    kind: str, name: str, pm: pluggy.PluginManager | None = None
) -> type[PluginBase]:
    """Return the class registered under ``name`` for a kind.

    Raises
    ------
    astro_sso.exceptions.PluginError
        When no class of that kind has the name; the message lists the
        installed names.

    Examples
    --------
    >>> from astro_sso.plugins import get_plugin_class
    >>> get_plugin_class("detector", "segmentation").__name__
    'SegmentationDetector'
    """
    infos = plugin_classes(kind, pm=pm)
    for info in infos:
        if info.cls.name == name:
            return info.cls
    installed = ", ".join(sorted(i.cls.name for i in infos)) or "none"
    label = kind.replace("_", " ")
    if name in _disabled_names():
        raise PluginError(
            f"the {label} '{name}' is disabled by {DISABLE_ENV}; remove it from that variable"
        )
    raise PluginError(
        f"no {label} named '{name}'; installed {label}s: {installed}. "
        "Install the plugin distribution that provides it (see `astro-sso plugins`)"
    )


def _instantiate(kind: str, name: str, params: dict, pm=None) -> PluginBase:
    cls = get_plugin_class(kind, name, pm=pm)
    allowed = cls.param_names()
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise PluginError(
            f"{kind.replace('_', ' ')} '{name}' has no parameter(s) {unknown}; "
            f"its parameters: {allowed}"
        )
    return cls(**params)


def get_detector(name: str, **params) -> PluginBase:
    """Return a configured instance of the detector named ``name``.

    Parameters
    ----------
    name : str
        Registered name (see `list_plugins`).
    **params
        The detector's parameters.

    Examples
    --------
    >>> import astro_sso
    >>> det = astro_sso.get_detector("segmentation", nsigma=3.0)
    >>> det.nsigma
    3.0
    """
    return _instantiate("detector", name, params)


def get_classifier(name: str, **params) -> PluginBase:
    """Return a configured instance of the classifier named ``name``.

    Examples
    --------
    >>> import astro_sso
    >>> astro_sso.get_classifier("no-such-classifier")
    Traceback (most recent call last):
    ...
    astro_sso.exceptions.PluginError: no classifier named 'no-such-classifier'; ...
    """
    return _instantiate("classifier", name, params)


def get_orbit_fitter(name: str, **params) -> PluginBase:
    """Return a configured instance of the orbit fitter named ``name``.

    Examples
    --------
    >>> import astro_sso
    >>> astro_sso.get_orbit_fitter("no-such-fitter")
    Traceback (most recent call last):
    ...
    astro_sso.exceptions.PluginError: no orbit fitter named 'no-such-fitter'; ...
    """
    return _instantiate("orbit_fitter", name, params)


def get_matcher(name: str, **params) -> PluginBase:
    """Return a configured instance of the matcher named ``name``.

    Examples
    --------
    >>> import astro_sso
    >>> astro_sso.get_matcher("no-such-matcher")
    Traceback (most recent call last):
    ...
    astro_sso.exceptions.PluginError: no matcher named 'no-such-matcher'; ...
    """
    return _instantiate("matcher", name, params)


def plugin_commands(pm: pluggy.PluginManager | None = None) -> list[Command]:
    """Collect the command-line commands contributed by plugins.

    Examples
    --------
    >>> from astro_sso.plugins import plugin_commands
    >>> all(c.name for c in plugin_commands())
    True
    """
    pm = pm or get_plugin_manager()
    out: list[Command] = []
    for result in pm.hook.astro_sso_commands():
        for cmd in result or []:
            if not isinstance(cmd, Command):
                raise PluginError(f"astro_sso_commands returned {cmd!r}, not a Command")
            out.append(cmd)
    return out


def demo_steps(pm: pluggy.PluginManager | None = None) -> list[DemoStep]:
    """Collect the demo steps of every plugin, sorted by ``order``.

    Examples
    --------
    >>> from astro_sso.plugins import demo_steps
    >>> demo_steps()[0].name
    'identify'
    """
    pm = pm or get_plugin_manager()
    steps: list[DemoStep] = []
    for result in pm.hook.astro_sso_demo_steps():
        for step in result or []:
            if not isinstance(step, DemoStep):
                raise PluginError(f"astro_sso_demo_steps returned {step!r}, not a DemoStep")
            steps.append(step)
    disabled = _disabled_names()
    return sorted((s for s in steps if s.name not in disabled), key=lambda s: (s.order, s.name))
