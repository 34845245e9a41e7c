"""Binary cache of parsed MPC orbit files: one ``.npy`` file per column.

The folder of a file's cache is keyed by its absolute path, size and
modification time (and the cache layout version), so an updated MPCORB.DAT is
parsed again and its older cache removed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import warnings
from pathlib import Path

import numpy as np

from ..exceptions import AstroSSOWarning

__all__: list[str] = []

_CACHE_VERSION = "mpcorb-cache-2"


def _cache_dir(path: Path, cache, size: int, mtime_ns: int):
    """Folder of the cached columns of ``path`` (None when caching is off)."""
    if cache is False or cache is None:
        return None
    if cache is True:
        from astropy.config.paths import get_cache_dir_path

        try:
            folder = get_cache_dir_path() / "astro_sso" / "mpcorb"
        except OSError:  # no writable home: no cache
            return None
    else:
        folder = Path(cache)
    who = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    state = hashlib.sha256(f"{size}|{mtime_ns}|{_CACHE_VERSION}".encode()).hexdigest()[:12]
    return folder / f"{path.name}-{who}-{state}"


def _save_cache(target: Path, arrays: dict, bad_info: dict):
    """Write one .npy per column into a temporary folder, then rename it into place.

    Older caches of the same file (other size or modification time) are removed,
    so a daily MPCORB update does not pile up copies.
    """
    stem = target.name.rsplit("-", 1)[0]
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        for k, v in arrays.items():
            np.save(tmp / f"c_{k}.npy", v, allow_pickle=False)
        for k, v in bad_info.items():
            np.save(tmp / f"b_{k}.npy", v, allow_pickle=False)
        (tmp / "complete").write_text(_CACHE_VERSION)
        for old in target.parent.glob(f"{stem}-*"):
            if old != target and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    except OSError as exc:
        warnings.warn(
            f"could not write the MPCORB cache {target} ({exc}); "
            "the next read parses the text again",
            AstroSSOWarning,
            stacklevel=3,
        )
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _load_cache(target: Path):
    marker = target / "complete"
    if not marker.exists() or marker.read_text() != _CACHE_VERSION:
        return None
    try:
        arrays, bad = {}, {}
        for f in target.glob("*.npy"):
            d = arrays if f.name.startswith("c_") else bad
            d[f.stem[2:]] = np.load(f, allow_pickle=False)
        return arrays, bad
    except (OSError, ValueError):
        return None
