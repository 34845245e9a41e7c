"""Sphinx configuration of the astro-sso documentation.

Build::

    sphinx-build -W -b html docs docs/_build/html

The build runs offline. Intersphinx links to Python, NumPy, Astropy... need the
network, so they are off unless ``ASTRO_SSO_DOCS_INTERSPHINX=1``. The tables of
the data model are generated at build time from `astro_sso.tables` into
``docs/_generated/`` (a build product, like ``docs/api/``), so the pages never
drift from the column registry.
"""

import os
import re
from pathlib import Path

from sphinx_astropy.conf.v2 import *  # noqa: F403  (astropy's shared settings, pydata theme)
from sphinx_astropy.conf.v2 import exclude_patterns, extensions, intersphinx_mapping

import astro_sso
from astro_sso import tables

HERE = Path(__file__).parent
GENERATED = HERE / "_generated"

# -- Project ---------------------------------------------------------------------------

project = "astro-sso"
author = "The astro-sso developers"
copyright = "astro-sso developers"
release = astro_sso.__version__
version = ".".join(release.split(".")[:2])

# -- General ---------------------------------------------------------------------------

exclude_patterns = [*exclude_patterns, "_generated", "examples"]

# sphinx-copybutton comes with ``sphinx-astropy[confv2]``; build without it if absent.
try:
    import sphinx_copybutton  # noqa: F401
except ImportError:
    extensions = [e for e in extensions if e != "sphinx_copybutton"]

# Offline by default: intersphinx only on request.
if os.environ.get("ASTRO_SSO_DOCS_INTERSPHINX") == "1":
    intersphinx_mapping = {
        **intersphinx_mapping,
        "pluggy": ("https://pluggy.readthedocs.io/en/stable/", None),
        "photutils": ("https://photutils.readthedocs.io/en/stable/", None),
        "pytest": ("https://docs.pytest.org/en/stable/", None),
    }
    intersphinx_mapping.pop("h5py", None)
else:
    extensions = [e for e in extensions if e != "sphinx.ext.intersphinx"]
    intersphinx_mapping = {}

# No graphviz on the build machines we rely on: no inheritance diagrams.
automodapi_inheritance_diagram = False
automodsumm_inherited_members = False
numpydoc_show_class_members = False

# Every cross-reference into astro-sso must resolve. References to other
# packages are links when intersphinx is on, and are not checked: offline they
# cannot resolve, and autodoc writes some type hints with private module paths
# (``astropy.table.table.QTable``) that no inventory lists.
nitpicky = True
nitpick_ignore_regex = [
    (
        r"py:.*",
        r"(astropy|numpy|scipy|pluggy|photutils|matplotlib|argparse|pathlib|pytest|"
        r"collections|typing|abc|importlib|datetime|dataclasses)(\..*)?",
    ),
]


def _internal_modules(*packages):
    """Names of the submodules of ``packages`` (found on disk at build time)."""
    import importlib
    import pkgutil

    names = []
    for package in packages:
        module = importlib.import_module(package)
        names += [f"{package}.{m.name}" for m in pkgutil.iter_modules(module.__path__)]
    return names


# The ephemeris engine and the catalogue are documented through their package
# API (``astro_sso.ephemeris``, ``astro_sso.catalog``); their docstrings may name
# their internal modules and the objects in them, which have no page of their own.
# References to the package API itself stay checked.
_INTERNAL = "|".join(map(re.escape, _internal_modules("astro_sso.ephemeris", "astro_sso.catalog")))
if _INTERNAL:
    nitpick_ignore_regex.append((r"py:.*", rf"({_INTERNAL})(\..*)?"))

# -- HTML ------------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"astro-sso {release}"
html_theme_options = {
    "collapse_navigation": True,
    "navigation_depth": 2,
    "show_nav_level": 2,
    "use_edit_page_button": False,
    "icon_links": [],
}
html_static_path = []
html_last_updated_fmt = None  # reproducible pages

# -- Generated pages -------------------------------------------------------------------


def _write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` only when it differs, so Sphinx rebuilds only what changed."""
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def generate_tables(app=None) -> None:
    """Render the column vocabulary and every table schema from `astro_sso.tables`."""
    GENERATED.mkdir(exist_ok=True)
    _write_if_changed(GENERATED / "columns.rst", tables.columns_rst())
    kinds = sorted(tables.SCHEMAS, key=list(tables.SCHEMAS).index)
    schemas = "\n".join(tables.schema_rst(kind) for kind in kinds)
    _write_if_changed(GENERATED / "schemas.rst", schemas)


def generate_cli_help(app=None) -> None:
    """Write the ``--help`` text of ``astro-sso`` and of each core subcommand.

    The parser is built with entry-point discovery blocked, so the page shows
    the core's commands whatever plugins the build environment has installed.
    """
    import argparse

    from astro_sso.cli import build_parser
    from astro_sso.plugins import make_plugin_manager

    GENERATED.mkdir(exist_ok=True)
    old_columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "90"  # argparse wraps help text to the terminal width
    try:
        parser = build_parser(make_plugin_manager(load_entrypoints=False))
        _write_if_changed(GENERATED / "cli_astro-sso.txt", parser.format_help())
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        for name, subparser in sub.choices.items():
            _write_if_changed(GENERATED / f"cli_{name}.txt", subparser.format_help())
    finally:
        if old_columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old_columns


def hide_long_values(app, docname, source) -> None:
    """Hide the value of module constants whose repr is long (``COLUMNS``, ``SCHEMAS``...).

    automodapi writes one page per constant under ``api/`` with an ``autodata``
    directive; a registry's repr would fill the page, so such pages get
    ``:no-value:`` (the docstring says what the constant holds).
    """
    import importlib

    if not docname.startswith("api/") or ".. autodata::" not in source[0]:
        return
    module = re.search(r"^\.\. currentmodule:: (\S+)", source[0], re.M)
    name = re.search(r"^\.\. autodata:: (\S+)", source[0], re.M)
    if not (module and name):
        return
    value = getattr(importlib.import_module(module.group(1)), name.group(1), None)
    if len(repr(value)) > 100:
        source[0] = source[0].replace(
            f".. autodata:: {name.group(1)}", f".. autodata:: {name.group(1)}\n   :no-value:"
        )


def drop_type_docstrings(app, what, name, obj, options, lines) -> None:
    """Show no docstring rather than the docstring of a constant's type.

    A constant re-exported by a package (``astro_sso.ephemeris.GM_SUN``) has its
    ``#:`` comment in the module that defines it; autodoc would otherwise show
    ``float.__doc__`` in its place.
    """
    import inspect

    if what in ("data", "attribute") and lines:
        type_doc = inspect.getdoc(type(obj)) or ""
        if " ".join(" ".join(lines).split()) == " ".join(type_doc.split()):
            lines.clear()


def setup(app):
    # before numpydoc (priority 500) rewrites the lines
    app.connect("autodoc-process-docstring", drop_type_docstrings, priority=100)
    app.connect("builder-inited", generate_tables)
    app.connect("builder-inited", generate_cli_help)
    app.connect("source-read", hide_long_values)
