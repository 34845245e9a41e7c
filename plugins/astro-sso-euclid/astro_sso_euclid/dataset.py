"""Labelled cutout sets for the three tasks of Lieu et al. (2019), drawn from simulated fields.

A set is made of simulated fields (`~astro_sso_euclid.simulate.simulate_field`,
four dithers each) cut around their true sources
(`~astro_sso_euclid.cutouts.truth_cutouts`), balanced per class as the paper
trains and tests (sec. 3.6):

``"2class"``
    ``sso`` against ``non_sso`` (half the cutouts each; the non-SSOs are stars,
    galaxies and cosmic rays in equal parts).
``"4class"``
    ``sso``, ``cosmic_ray``, ``galaxy``, ``star`` in equal parts.
``"velocity"``
    SSOs only, labelled by their apparent speed in bins of 10 "/h (sec. 4.7):
    ``0-10`` ... ``70-80``, in equal parts. Their cutouts have one fixed side
    for every SSO (`~astro_sso_euclid.cutouts.fixed_side`: 197 px for one
    dither, 476 for three, 616 for four) instead of the paper's extent plus
    padding, which scales every trail to about the same length in the network
    input and so hides its speed.

A set of ``n`` cutouts holds ``n // n_classes`` per class. Three-channel sets
hold both stacks of the paper, dithers (1, 2, 3) and (2, 3, 4), as separate
rows (column ``dithers``: ``"3"`` or ``"234"``).

Seeds: the fields of a set have the seeds ``2 s + ROLE``, with ``s`` drawn from
``numpy.random.SeedSequence((seed, ROLE))`` and ``ROLE`` 0 for a training set
and 1 for a test set: a test field never has the seed of a training field.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.table import QTable

from astro_sso.exceptions import InputError

from .population import SSO_MAG_RANGE, SSO_SPEED_RANGE

__all__ = ["TASKS", "ROLES", "class_names", "targets", "simulate_cutout_set", "SPEED_BINS"]

#: Tasks and their class names, in the order of the network's outputs.
TASKS = {
    "2class": ("non_sso", "sso"),
    "4class": ("sso", "cosmic_ray", "galaxy", "star"),
    "velocity": tuple(f"{lo}-{lo + 10}" for lo in range(0, 80, 10)),
}
#: Edges of the velocity bins ["/h] (the paper's 10 "/h bins).
SPEED_BINS = np.arange(0.0, 90.0, 10.0)
#: Seed roles: training and test sets never share a seed stream.
ROLES = {"train": 0, "test": 1}

_FIELD_SHAPE = (1024, 1024)  # 102" square: the longest 4-dither trail (80 "/h) is 54"
#: Sources per simulated field (1024^2 px, 2.9 arcmin^2), the same for every task so
#: that one pool of fields serves all (the velocity task cuts the same fields at a
#: fixed side, cached apart): SSOs, stars, galaxies, and cosmic rays per
#: dither (only those hitting a chosen dither are cut). Denser than the sky (to draw
#: balanced sets quickly); the cutouts still hold the neighbours that fall in them.
PER_FIELD = {"sso": 18, "star": 8, "galaxy": 8, "cosmic_ray": 8}
_CACHE_VERSION = 2
_FIXED_VERSION = 1  # fixed-side (velocity) cutouts, cached apart
# The dither stacks cut from every field: the key is the number of channels, and "234"
# is the second 3-channel stack (dithers 2, 3, 4).
_STACKS = {"1": (1,), "3": (1, 2, 3), "234": (2, 3, 4), "4": (1, 2, 3, 4)}


def class_names(task: str) -> tuple[str, ...]:
    """Class names of a task, in output order.

    Examples
    --------
    >>> from astro_sso_euclid.dataset import class_names
    >>> class_names("2class"), class_names("velocity")[:2]
    (('non_sso', 'sso'), ('0-10', '10-20'))
    """
    if task not in TASKS:
        raise InputError(f"task={task!r}: give one of {sorted(TASKS)}")
    return TASKS[task]


def targets(task: str, label, speed=None) -> np.ndarray:
    """Class indices of sources for a task, from their true label (and speed).

    Parameters
    ----------
    task : str
        ``"2class"``, ``"4class"`` or ``"velocity"``.
    label : array of str
        True labels (``sso``, ``star``, ``galaxy``, ``cosmic_ray``).
    speed : `~astropy.units.Quantity`, optional
        Apparent speeds (needed for ``"velocity"``).

    Returns
    -------
    numpy.ndarray of int
        -1 where the source has no class in the task (a non-SSO for ``"velocity"``).

    Examples
    --------
    >>> import astropy.units as u
    >>> from astro_sso_euclid.dataset import targets
    >>> targets("2class", ["sso", "star"]).tolist()
    [1, 0]
    >>> targets("velocity", ["sso", "sso", "star"], [5, 42, 0] * u.arcsec / u.h).tolist()
    [0, 4, -1]
    """
    names = class_names(task)
    label = np.asarray(label).astype(str)
    if task == "2class":
        return (label == "sso").astype(int)
    if task == "4class":
        out = np.full(len(label), -1)
        for k, name in enumerate(names):
            out[label == name] = k
        return out
    if speed is None:
        raise InputError("task='velocity' needs the speeds of the sources")
    v = u.Quantity(speed, u.arcsec / u.h).value
    out = np.clip(np.digitize(v, SPEED_BINS) - 1, 0, len(names) - 1)
    return np.where(label == "sso", out, -1)


def _field_key(seed, size, mag_range, speed_range, fixed, n_sso):
    counts = dict(PER_FIELD, sso=int(n_sso))
    per = "-".join(str(counts[k]) for k in ("sso", "star", "galaxy", "cosmic_ray"))
    version = f"v{_CACHE_VERSION}" + (f"-fixed{_FIXED_VERSION}" if fixed else "")
    text = f"{version}-{per}-{seed}-{size}-{mag_range[0]:g}-{mag_range[1]:g}"
    return text + f"-{speed_range[0]:g}-{speed_range[1]:g}"


def _field_cutouts(job):
    """Simulate one field and cut it for 1, 3 and 4 dithers (runs in a worker process).

    With ``fixed``, only its SSOs are cut, at the fixed side of each stack
    (`~astro_sso_euclid.cutouts.fixed_side` for the speed range).
    """
    from .cutouts import fixed_side, truth_cutouts
    from .simulate import simulate_field

    seed, size, mag_range, speed_range, cache, fixed, n_sso = job
    path = None
    if cache is not None:
        key = _field_key(seed, size, mag_range, speed_range, fixed, n_sso)
        path = Path(cache) / f"field-{key}.npz"
        if path.is_file():
            try:
                with np.load(path) as f:
                    return {k: f[k] for k in f.files}
            except (OSError, ValueError, EOFError):
                path.unlink(missing_ok=True)  # a damaged cache file is drawn again
    images, truth = simulate_field(
        shape=_FIELD_SHAPE,
        n_sso=n_sso,
        n_stars=PER_FIELD["star"],
        n_galaxies=PER_FIELD["galaxy"],
        n_cosmic_rays=PER_FIELD["cosmic_ray"],
        sso_mag_range=mag_range,
        sso_speed_range=speed_range,
        seed=seed,
    )
    arrays = {}
    if fixed:
        truth = truth[np.asarray(truth["label"]).astype(str) == "sso"]
    for ch, dithers in _STACKS.items():
        side = fixed_side(dithers, speed_range[1]) if fixed else None
        cut = truth_cutouts(images, truth, channels=dithers, size=size, seed=seed, side=side)
        arrays[f"cutout{ch}"] = np.asarray(cut["cutout"], dtype=np.float16)
        arrays[f"label{ch}"] = np.asarray(cut["label"]).astype("U10")
        arrays[f"source_id{ch}"] = np.asarray(cut["source_id"], dtype=np.int64)
        arrays[f"speed{ch}"] = u.Quantity(cut["speed"], u.arcsec / u.h).value
        arrays[f"mag{ch}"] = u.Quantity(cut["mag"], u.mag).value
        arrays[f"snr{ch}"] = np.asarray(cut["snr"], dtype=float)
    if path is not None:
        from astro_sso.io.atomic import atomic_path

        with atomic_path(path, suffix=".npz") as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
    return arrays


def _limited(job):
    """One field job with one BLAS/OpenMP thread (worker processes share the cores)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _field_cutouts(job)


def _run_jobs(jobs, workers):
    """Run field jobs, in ``workers`` processes when more than one."""
    if workers == 1 or len(jobs) == 1:
        return [_field_cutouts(j) for j in jobs]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_limited, jobs, chunksize=1))


def _pool_table(parts, seeds, channels):
    """One cutouts table of every source of the fields, for a number of dithers.

    Three dithers are the stacks (1, 2, 3) and (2, 3, 4) of every field, as
    separate rows (the paper's 3-channel inputs).
    """
    keys = ("3", "234") if int(channels) == 3 else (str(int(channels)),)
    cols = {
        k: np.concatenate([p[f"{k}{key}"] for p in parts for key in keys])
        for k in ("cutout", "label", "source_id", "speed", "mag", "snr")
    }
    t = QTable()
    t["source_id"] = cols["source_id"]
    t["cutout"] = cols["cutout"]
    t["label"] = cols["label"]
    t["speed"] = cols["speed"] * u.arcsec / u.h
    t["mag"] = cols["mag"] * u.mag
    t["snr"] = cols["snr"]
    t["field_seed"] = np.concatenate(
        [
            np.full(len(p[f"label{key}"]), s)
            for p, s in zip(parts, seeds, strict=True)
            for key in keys
        ]
    )
    t["dithers"] = np.concatenate(
        [np.full(len(p[f"label{key}"]), key) for p in parts for key in keys]
    ).astype("U4")
    return t


def _balance(table, task, n, rng):
    """Pick ``n`` rows balanced over the task's classes (and the non-SSO types).

    None when the table holds too few of a class.
    """
    label = np.asarray(table["label"]).astype(str)
    y = targets(task, label, table["speed"])
    n_classes = len(class_names(task))
    picks = []
    per_class = n // n_classes
    for k in range(n_classes):
        idx = np.nonzero(y == k)[0]
        if task == "2class" and k == 0:  # non-SSO: stars, galaxies, cosmic rays alike
            groups = [np.nonzero(label == t)[0] for t in ("star", "galaxy", "cosmic_ray")]
            share = [per_class // 3 + (1 if j < per_class % 3 else 0) for j in range(3)]
            for g, s in zip(groups, share, strict=True):
                if len(g) < s:
                    return None
                picks.append(rng.choice(g, size=s, replace=False))
            continue
        if len(idx) < per_class:
            return None
        picks.append(rng.choice(idx, size=per_class, replace=False))
    return np.sort(np.concatenate(picks))


def simulate_cutout_set(
    n: int,
    *,
    task: str = "2class",
    channels: int = 1,
    size: int = 64,
    seed: int = 0,
    role: str = "train",
    mag_range=SSO_MAG_RANGE,
    speed_range=SSO_SPEED_RANGE,
    workers: int | None = None,
    cache=None,
    fixed_scale: bool | None = None,
    sso_per_field: int | None = None,
) -> QTable:
    """Simulate a labelled, class-balanced set of ``n`` cutouts for a task.

    Parameters
    ----------
    n : int
        Number of cutouts (a multiple of the number of classes gives exact balance).
    task : str
        ``"2class"``, ``"4class"`` or ``"velocity"``.
    channels : int
        1, 3 or 4 dithers per cutout.
    size : int
        Side of the cutouts [px] (the network's input size).
    seed : int
        Seed of the set; with ``role`` it fixes every field.
    role : str
        ``"train"`` or ``"test"``: the two never share a field.
    mag_range, speed_range : tuple of float
        SSO magnitudes [AB] and speeds ["/h] (uniform; the paper's 20-26 and 1-80).
    workers : int, optional
        Processes simulating fields (default: the CPU count, at most 8).
    cache : path, optional
        Folder keeping each simulated field's cutouts (1, 3 and 4 dithers) as
        ``.npz``: every task and number of dithers drawn with the same seed,
        role, size and ranges reuses them, and an interrupted run resumes.
        The velocity task's fixed-side cutouts are cached in files of their
        own (``field-v2-fixed1-...``): the same fields, cut again.
    fixed_scale : bool, optional
        Cut every SSO at the fixed side of `~astro_sso_euclid.cutouts.fixed_side`
        (for the upper end of ``speed_range``) instead of extent plus padding.
        Default: True for ``"velocity"`` (the only task it serves: the fixed-side
        fields hold SSOs only), False otherwise.
    sso_per_field : int, optional
        SSOs injected in each 1024 x 1024 px (2.9 arcmin^2) field; default
        ``PER_FIELD['sso']`` (18, 6.2 per arcmin^2: dense, so that balanced
        sets are drawn from few fields, and the larger cutouts then often hold
        another SSO's trail). ``2`` (0.69 per arcmin^2) is close to the
        paper's abundance of 0.6 per arcmin^2 (sec. 3.2): more fields per
        set, fewer neighbours in each cutout.

    Returns
    -------
    `~astropy.table.QTable`
        A cutouts table (see `~astro_sso_euclid.cutouts.truth_cutouts`) with the
        class index ``target`` and the ``field_seed`` of each row; ``meta``
        holds the task, class names, channels, seed and role.

    Examples
    --------
    >>> from astro_sso_euclid.dataset import simulate_cutout_set
    >>> s = simulate_cutout_set(8, task="4class", channels=1, size=32, seed=1, workers=1)
    >>> len(s), sorted(set(s["label"].tolist())), s["cutout"].shape[1:]
    (8, ['cosmic_ray', 'galaxy', 'sso', 'star'], (32, 32, 1))
    """
    names = class_names(task)
    if channels not in (1, 3, 4):
        raise InputError(f"channels={channels}: give 1, 3 or 4")
    if role not in ROLES:
        raise InputError(f"role={role!r}: give 'train' or 'test'")
    n = int(n)
    if n < len(names):
        raise InputError(f"n={n}: need at least one cutout per class ({len(names)})")
    fixed = task == "velocity" if fixed_scale is None else bool(fixed_scale)
    if fixed and task != "velocity":
        raise InputError(
            f"fixed_scale=True serves task='velocity' only (the fixed-side fields hold SSOs "
            f"only), not task={task!r}: leave fixed_scale unset"
        )
    lo, hi = (float(v) for v in u.Quantity(speed_range, u.arcsec / u.h).value)
    mlo, mhi = (float(v) for v in u.Quantity(mag_range, u.mag).value)
    per = dict(PER_FIELD)
    if sso_per_field is not None:
        if int(sso_per_field) < 1:
            raise InputError(f"sso_per_field={sso_per_field}: give 1 or more")
        per["sso"] = int(sso_per_field)
    non_sso = min(per["star"], per["galaxy"], per["cosmic_ray"])
    usable = {
        "2class": 2 * min(per["sso"], 3 * non_sso),
        "4class": 4 * min(per["sso"], non_sso),
        "velocity": per["sso"] * 0.9,  # the 1-10 "/h bin is 9 "/h wide
    }[task] * (2 if int(channels) == 3 else 1)
    # Sources near the edges (fast SSOs centred outside dither 1) are lost: draw more
    # fields until every class has enough (the seeds extend the same sequence).
    n_fields = int(np.ceil(1.25 * n / usable)) + 1
    ss = np.random.SeedSequence((int(seed), ROLES[role]))
    cache = None if cache is None else Path(cache)
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    workers = min(os.cpu_count() or 1, 8) if workers is None else max(1, int(workers))
    parts = []
    rows = None
    for _ in range(8):
        # 2 s + role: a training field and a test field never share a seed
        field_seeds = (
            2 * ss.generate_state(n_fields, dtype=np.uint32).astype(np.int64) + ROLES[role]
        )
        jobs = [
            (int(s), int(size), (mlo, mhi), (lo, hi), cache, fixed, per["sso"]) for s in field_seeds
        ]
        parts += _run_jobs(jobs[len(parts) :], workers)
        table = _pool_table(parts, field_seeds, channels)
        rng = np.random.default_rng((int(seed), ROLES[role], 1))
        rows = _balance(table, task, n, rng)
        if rows is not None:
            break
        n_fields = int(np.ceil(n_fields * 1.2)) + 1
    if rows is None:  # pragma: no cover - 8 rounds always suffice for these densities
        raise RuntimeError(f"could not draw {n} balanced cutouts for task {task!r}")
    out = table[rows]
    out["target"] = targets(task, out["label"], out["speed"])
    out.meta.update(
        {
            "task": task,
            "classes": list(names),
            "channels": int(channels),
            "dithers": [1] if channels == 1 else list(range(1, channels + 1)),
            "seed": int(seed),
            "role": role,
            "n_fields": n_fields,
            "sso_per_field": per["sso"],
            "mag_range": [mlo, mhi],
            "speed_range": [lo, hi],
            "cutout_side": _side_meta(channels, hi) if fixed else None,
        }
    )
    return out


def _side_meta(channels, max_speed):
    from .cutouts import fixed_side

    return round(fixed_side(channels, max_speed), 3)
