"""Atomic file output: a product is either complete on disk or absent.

Everything astro-sso writes (tables, figures, HTML, caches, checkpoints) goes
through `atomic_path`: the data are written to a temporary file in the target
folder, then renamed over the target, so an interrupted run never leaves a
half-written file that a later run would trust.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_path", "write_table", "write_text"]


@contextlib.contextmanager
def atomic_path(path, *, suffix: str | None = None):
    """Yield a temporary path next to ``path``; rename it to ``path`` on success.

    Parameters
    ----------
    path : str or pathlib.Path
        The final file.
    suffix : str, optional
        Suffix of the temporary file (some writers choose the format from it);
        default the suffix of ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from astro_sso.io import atomic_path
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "x.txt") as tmp:
    ...     _ = tmp.write_text("done")
    >>> (d / "x.txt").read_text()
    'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=suffix or path.suffix, dir=path.parent
    )
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        # mkstemp makes the file private (0600); give it the mode a plain open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_table(table, path, *, format: str | None = None, **kwargs) -> Path:
    """Write a table atomically (ECSV by default for ``.ecsv``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from astropy.table import QTable
    >>> from astro_sso.io import write_table
    >>> p = write_table(QTable({"a": [1, 2]}), pathlib.Path(tempfile.mkdtemp()) / "t.ecsv")
    >>> QTable.read(p)["a"].tolist()
    [1, 2]
    """
    path = Path(path)
    fmt = format or ("ascii.ecsv" if path.suffix == ".ecsv" else None)
    with atomic_path(path) as tmp:
        table.write(tmp, format=fmt, overwrite=True, **kwargs)
    return path


def write_text(text: str, path) -> Path:
    """Write text atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from astro_sso.io import write_text
    >>> write_text("hi", pathlib.Path(tempfile.mkdtemp()) / "a.txt").read_text()
    'hi'
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
