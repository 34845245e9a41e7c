"""Training of the Euclid SSO classifier (Lieu et al. 2019, sec. 3.4-3.5, 4.6).

The paper's recipe, with its numbers as defaults where the paper gives them:

- the labelled set is split 70/20/10 (training, validation, test) by field, so
  no field contributes to two parts;
- mini-batches of 100; the validation accuracy is measured on a validation
  mini-batch every 10th iteration (the learning curve of the model card) and on
  the whole validation part every ``eval_every`` iterations, which keeps the
  weights with the best validation accuracy;
- plain gradient descent at 1e-4, decayed by 5% every 1000 iterations
  (``optimizer="sgd"``), or Adam with the same decay (``optimizer="adam"``, the
  default of the shipped compact network, which has no pre-trained weights to
  start from and needs far fewer iterations with Adam);
- augmentation (``augment=True``): random flips, crops of up to 10%, scaling by
  up to +-10% and brightness changes of up to +-10% (sec. 4.6).

Two options go beyond the paper: ``slow_weight`` shows SSOs slower than 10 "/h
(the paper's hardest case, sec. 4.5) more often in the mini-batches, at the same
share of SSOs (`batch_weights`), and ``label_sigma`` trains the velocity task on
Gaussian soft targets (`soft_speed_targets`).

Long runs checkpoint every ``checkpoint_every`` iterations into ``out``
(model, optimizer state, iteration, learning curve; written atomically) and
`train` resumes from the checkpoint it finds there.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np

from astro_sso.exceptions import InputError
from astro_sso.io.atomic import atomic_path, write_text

from .dataset import class_names
from .models import build_model, import_keras, prepare_inputs

# Examples that run a network skip where TensorFlow is not installed.
__doctest_requires__ = {("augment_batch",): ["tensorflow"]}
__all__ = [
    "split_by_field",
    "augment_batch",
    "soft_speed_targets",
    "batch_weights",
    "train",
    "predict_proba",
    "dihedral_views",
]

#: SSOs slower than this ["/h] are the paper's hardest case (sec. 4.5, Fig. 10).
SLOW_SPEED = 10.0


def split_by_field(field_seed, fractions=(0.7, 0.2, 0.1), seed: int = 0):
    """Split rows 70/20/10 into training, validation and test parts, whole fields at a time.

    Parameters
    ----------
    field_seed : array of int
        The field of each row (``field_seed`` of a cutout set).
    fractions : tuple of float
        Fractions of the fields in each part.
    seed : int
        Seed of the shuffling of the fields.

    Returns
    -------
    tuple of numpy.ndarray
        Row indices of the three parts.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso_euclid.train import split_by_field
    >>> tr, va, te = split_by_field(np.repeat(np.arange(20), 5))
    >>> len(tr), len(va), len(te)
    (70, 20, 10)
    """
    field_seed = np.asarray(field_seed)
    fields = np.unique(field_seed)
    if len(fields) < 3:
        raise InputError(
            f"{len(fields)} field(s): a 70/20/10 split by field needs at least 3 fields"
        )
    rng = np.random.default_rng(seed)
    fields = rng.permutation(fields)
    c = np.cumsum(fractions) / np.sum(fractions)
    n = len(fields)
    k1 = int(np.clip(round(c[0] * n), 1, n - 2))  # every part gets at least one field
    k2 = int(np.clip(round(c[1] * n), k1 + 1, n - 1))
    parts = (fields[:k1], fields[k1:k2], fields[k2:])
    return tuple(np.nonzero(np.isin(field_seed, p))[0] for p in parts)


def augment_batch(x, rng, *, geometric: bool = True):
    """Random flips, crop (<= 10%), scale (+-10%) and brightness (+-10%) of a batch.

    With ``geometric=False``: flips, transposition and brightness only.

    Parameters
    ----------
    x : numpy.ndarray
        Prepared inputs (N, H, W, C).
    rng : numpy.random.Generator
    geometric : bool
        Apply the crop and scale changes. They stretch a trail by up to 20%,
        which is two speed bins of 10 "/h at 40 "/h: the velocity task trains
        without them (``geometric=False``), with the length-preserving changes
        only: flips, transposition (with the flips, all eight 90-degree
        rotations and reflections) and brightness.

    Returns
    -------
    numpy.ndarray
        The augmented batch (same shape, float32).

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso_euclid.train import augment_batch
    >>> x = np.random.default_rng(0).normal(size=(4, 16, 16, 1)).astype("float32")
    >>> augment_batch(x, np.random.default_rng(1)).shape
    (4, 16, 16, 1)
    """
    import tensorflow as tf

    n, h, w, _ = x.shape
    flip_x = rng.random(n) < 0.5
    flip_y = rng.random(n) < 0.5
    x = np.where(flip_x[:, None, None, None], x[:, :, ::-1], x)
    x = np.where(flip_y[:, None, None, None], x[:, ::-1], x)
    if not geometric:
        if h == w:
            swap = rng.random(n) < 0.5
            x = np.where(swap[:, None, None, None], x.transpose(0, 2, 1, 3), x)
        return (x * rng.uniform(0.9, 1.1, n).astype(np.float32)[:, None, None, None]).astype(
            np.float32
        )
    # Crop: keep 90-100% of the side; scale: zoom by 0.9-1.1 -> box side = keep / zoom.
    side = rng.uniform(0.9, 1.0, n) / rng.uniform(0.9, 1.1, n)
    slack = np.abs(1.0 - side)
    cy = 0.5 + rng.uniform(-0.5, 0.5, n) * slack
    cx = 0.5 + rng.uniform(-0.5, 0.5, n) * slack
    boxes = np.stack([cy - side / 2, cx - side / 2, cy + side / 2, cx + side / 2], 1)
    out = tf.image.crop_and_resize(
        x, boxes.astype(np.float32), np.arange(n, dtype=np.int32), (h, w), extrapolation_value=0.0
    ).numpy()
    out *= rng.uniform(0.9, 1.1, n).astype(np.float32)[:, None, None, None]
    return out.astype(np.float32)


def soft_speed_targets(speed, sigma: float) -> np.ndarray:
    """Velocity-bin targets spread over the bins by a Gaussian of the true speed.

    The probability of each bin is the part of a normal distribution centred on
    the true speed, of width ``sigma``, that falls in the bin (the first and last
    bins take the tails). A 39 "/h trail and a 31 "/h one share the bin 30-40
    but no longer the same target: the network learns where in the bin a speed
    lies, and a miss by one bin costs less than a miss by four. The predicted
    bin is still the most probable one.

    Parameters
    ----------
    speed : `~astropy.units.Quantity` or array
        True apparent speeds ["/h].
    sigma : float
        Width of the Gaussian ["/h]; 0 gives the one-hot bins of
        `~astro_sso_euclid.dataset.targets`.

    Returns
    -------
    numpy.ndarray
        (N, 8) rows that sum to 1.

    Examples
    --------
    >>> from astro_sso_euclid.train import soft_speed_targets
    >>> t = soft_speed_targets([35.0, 39.0], 3.0)  # bins 20-30, 30-40, 40-50, 50-60 in %:
    >>> (100 * t[:, 2:6]).round().astype(int).tolist()
    [[5, 90, 5, 0], [0, 63, 37, 0]]
    """
    from astropy import units as u
    from scipy.special import ndtr

    from .dataset import SPEED_BINS, targets

    v = np.atleast_1d(u.Quantity(speed, u.arcsec / u.h).value).astype(float)
    if not np.all(np.isfinite(v)):
        raise InputError("soft velocity targets need a finite speed for every row")
    sigma = float(sigma)
    if not np.isfinite(sigma) or sigma < 0:
        raise InputError(f'label sigma {sigma}: give a width >= 0 ["/h]')
    n_bins = len(SPEED_BINS) - 1
    if sigma == 0:
        return np.eye(n_bins, dtype=np.float32)[targets("velocity", ["sso"] * len(v), v)]
    inner = SPEED_BINS[1:-1]
    cdf = ndtr((inner[None, :] - v[:, None]) / sigma)
    cdf = np.concatenate([np.zeros((len(v), 1)), cdf, np.ones((len(v), 1))], axis=1)
    return np.diff(cdf, axis=1).astype(np.float32)


def batch_weights(label, speed, slow_weight: float) -> np.ndarray:
    """Drawing probabilities that show slow SSOs more often, at the same SSO share.

    SSOs slower than 10 "/h are drawn ``slow_weight`` times as often as
    the faster ones; the faster SSOs give up what the slow ones gain, so the
    share of SSOs in a mini-batch (and the balance against the other classes)
    does not change.

    Parameters
    ----------
    label : array of str
        True labels of the rows.
    speed : `~astropy.units.Quantity` or array
        Apparent speeds ["/h] (ignored for non-SSOs).
    slow_weight : float
        Relative drawing rate of a slow SSO (1: every row equally).

    Returns
    -------
    numpy.ndarray
        Probabilities that sum to 1.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso_euclid.train import batch_weights
    >>> p = batch_weights(["sso", "sso", "star", "star"], [5.0, 50.0, 0, 0], 3.0)
    >>> p.round(3).tolist()
    [0.375, 0.125, 0.25, 0.25]
    """
    from astropy import units as u

    slow_weight = float(slow_weight)
    if not np.isfinite(slow_weight) or slow_weight <= 0:
        raise InputError(f"slow_weight={slow_weight}: give a rate > 0 (1 draws every row alike)")
    label = np.asarray(label).astype(str)
    v = np.asarray(u.Quantity(speed, u.arcsec / u.h).value, dtype=float)
    sso = label == "sso"
    slow = sso & (v < SLOW_SPEED)
    w = np.ones(len(label))
    if slow.any() and (sso & ~slow).any():
        w[slow] = slow_weight
        w[sso] *= sso.sum() / w[sso].sum()  # the SSOs keep their share
    return w / w.sum()


def dihedral_views(x):
    """The eight 90-degree rotations and reflections of a batch of images.

    A trail's length, a star's and a galaxy's shape statistics and a cosmic
    ray's sharpness do not change under them, so a network's answers on the
    eight views can be averaged (test-time augmentation, see
    `predict_proba`). The training augmentation draws the same eight views.

    Parameters
    ----------
    x : numpy.ndarray
        Images (N, H, W, C) with H == W.

    Yields
    ------
    numpy.ndarray
        Each view (N, H, W, C), C-contiguous; the first is ``x`` itself.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso_euclid.train import dihedral_views
    >>> x = np.arange(4.0).reshape(1, 2, 2, 1)
    >>> views = [v[0, :, :, 0].tolist() for v in dihedral_views(x)]
    >>> len(views), views[0], len({str(v) for v in views})
    (8, [[0.0, 1.0], [2.0, 3.0]], 8)
    """
    x = np.asarray(x)
    if x.ndim != 4 or x.shape[1] != x.shape[2]:
        raise InputError(f"dihedral views need square images (N, H, H, C), not {x.shape}")
    for k in range(4):
        r = np.rot90(x, k, axes=(1, 2))
        yield np.ascontiguousarray(r)
        yield np.ascontiguousarray(r[:, :, ::-1])


def predict_proba(model, x, batch_size: int = 500, *, tta: bool = False) -> np.ndarray:
    """Class probabilities of prepared inputs, batched (no Keras progress output).

    Parameters
    ----------
    model : keras.Model
    x : numpy.ndarray
        Prepared inputs (N, H, W, C).
    batch_size : int
        Inputs per forward pass.
    tta : bool
        Average the probabilities over the eight `dihedral_views` of each
        input (eight times the inference cost).

    Returns
    -------
    numpy.ndarray
        (N, n_classes) probabilities.
    """
    if tta:
        views = [predict_proba(model, v, batch_size) for v in dihedral_views(x)]
        return np.mean(views, axis=0)
    out = [
        np.asarray(model(x[i : i + batch_size], training=False))
        for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(out) if out else np.zeros((0, model.output_shape[-1]), np.float32)


def _save_model(model, path: Path) -> None:
    """Save atomically (a model loaded with compile=False has no optimizer state)."""
    with atomic_path(path, suffix=".keras") as tmp:
        model.save(tmp)


def _optimizer(keras, name, learning_rate, decay, decay_steps):
    schedule = keras.optimizers.schedules.ExponentialDecay(
        float(learning_rate), int(decay_steps), float(decay), staircase=True
    )
    if name == "sgd":
        return keras.optimizers.SGD(schedule)
    if name == "adam":
        return keras.optimizers.Adam(schedule)
    raise InputError(f"optimizer={name!r}: give 'sgd' (the paper's) or 'adam'")


def train(
    data,
    *,
    out,
    architecture: str = "compact",
    alpha: float = 1.0,
    mode: str = "scratch",
    weights=None,
    iterations: int = 3000,
    batch_size: int = 100,
    optimizer: str = "adam",
    learning_rate: float | None = None,
    decay: float = 0.95,
    decay_steps: int = 1000,
    val_every: int = 10,
    eval_every: int = 250,
    checkpoint_every: int = 500,
    augment: bool = True,
    label_sigma: float | None = None,
    slow_weight: float = 1.0,
    seed: int = 0,
    resume: bool = True,
    log=None,
) -> dict:
    """Train a network on a labelled cutout set; write the model and its card into ``out``.

    Parameters
    ----------
    data : `~astropy.table.QTable`
        A set of `~astro_sso_euclid.dataset.simulate_cutout_set` (``cutout``,
        ``target``, ``field_seed``; ``meta`` with the task and channels).
    out : path
        Folder for ``model.keras``, ``card.json`` and the checkpoint.
    architecture, alpha, mode, weights
        The network (see `~astro_sso_euclid.models.build_model`).
    iterations : int
        Mini-batch iterations.
    batch_size : int
        Mini-batch size (the paper's 100).
    optimizer : str
        ``"sgd"`` (the paper's) or ``"adam"``.
    learning_rate : float, optional
        Initial rate (default 1e-4 for SGD, the paper's; 1e-3 for Adam).
    decay, decay_steps : float, int
        The rate is multiplied by ``decay`` every ``decay_steps`` iterations
        (the paper's 0.95 every 1000).
    val_every, eval_every : int
        Validation-batch and whole-validation intervals [iterations].
    checkpoint_every : int
        Checkpoint interval [iterations].
    augment : bool
        Apply `augment_batch` to every training batch.
    label_sigma : float, optional
        Velocity task: train on `soft_speed_targets` of this width ["/h]
        instead of one-hot bins (None: one-hot, the paper's).
    slow_weight : float
        2-class and 4-class tasks: draw SSOs slower than 10 "/h this many times
        as often as the faster ones (`batch_weights`; 1: every row alike, the
        paper's). The test figures are unaffected: they are measured on sets
        drawn with the paper's uniform speeds.
    seed : int
        Seed of the weights, split, batches and augmentation.
    resume : bool
        Continue from a checkpoint in ``out`` when there is one.
    log : callable, optional
        Called with progress lines.

    Returns
    -------
    dict
        The model card (also written as ``card.json``): data, settings, learning
        curve and the figures on the held-out 10% test part.
    """
    keras = import_keras()
    from astro_sso.metrics import accuracy

    log = log or (lambda line: None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    task = data.meta.get("task")
    names = class_names(task)
    x_all = prepare_inputs(data["cutout"])
    y_all = np.asarray(data["target"], dtype=int)
    if (y_all < 0).any():
        raise InputError("some rows have no class (target < 0): give a set of simulate_cutout_set")
    channels = x_all.shape[-1]
    tr, va, te = split_by_field(data["field_seed"], seed=seed)
    if learning_rate is None:
        learning_rate = 1e-4 if optimizer == "sgd" else 1e-3
    if int(iterations) < 1:
        raise InputError(f"iterations={iterations}: train for at least one iteration")
    if label_sigma is not None and task != "velocity":
        raise InputError(f"label_sigma is for the velocity task, not {task!r}")
    if float(slow_weight) != 1.0 and task == "velocity":
        raise InputError("slow_weight is for the 2class and 4class tasks, not 'velocity'")
    y_fit = y_all
    if label_sigma is not None:
        y_fit = soft_speed_targets(data["speed"], label_sigma)
    p_draw = None
    if float(slow_weight) != 1.0:
        p_draw = batch_weights(np.asarray(data["label"])[tr], data["speed"][tr], slow_weight)
    settings = {
        "task": task,
        "n_classes": len(names),
        "data": {
            k: data.meta.get(k)
            for k in ("seed", "role", "n_fields", "mag_range", "speed_range", "cutout_side")
        },
        "n_cutouts": len(data),
        "architecture": architecture,
        "alpha": alpha,
        "mode": mode if architecture == "mobilenet" else None,
        "input_size": int(x_all.shape[1]),
        "channels": int(channels),
        "iterations": int(iterations),
        "batch_size": int(batch_size),
        "optimizer": optimizer,
        "learning_rate": float(learning_rate),
        "decay": float(decay),
        "decay_steps": int(decay_steps),
        "augment": (
            False
            if not augment
            else (
                "flips, transposition, brightness"
                if task == "velocity"
                else "flips, crop, scale, brightness"
            )
        ),
        "seed": int(seed),
        "input_transform": "asinh(x)/3 of background-sigma units",
    }
    # new options enter the settings only when used: older cards and checkpoints still match
    if label_sigma is not None:
        settings["label_sigma"] = float(label_sigma)
    if float(slow_weight) != 1.0:
        settings["slow_weight"] = float(slow_weight)
    ckpt, state_path = out / "checkpoint.keras", out / "checkpoint.json"
    state = {"iteration": 0, "curve": [], "best_val": -1.0, "best_iteration": 0, "seconds": 0.0}
    if resume and ckpt.exists() and state_path.exists():
        state = json.loads(state_path.read_text())
        if state.get("settings") != settings:
            raise InputError(
                f"{out} holds a checkpoint of another run (settings differ): use another "
                "folder, or delete checkpoint.keras to start again"
            )
        model = keras.models.load_model(ckpt)
        if int(model.optimizer.iterations.numpy()) != state["iteration"]:
            raise InputError(
                f"{out}: checkpoint.keras and checkpoint.json disagree (interrupted while "
                "saving?): delete both to start again"
            )
        if (out / "checkpoint_best.keras").exists():
            shutil.copyfile(out / "checkpoint_best.keras", out / "best.keras")
        log(f"resuming at iteration {state['iteration']}")
    else:
        model = build_model(
            len(names),
            channels=channels,
            input_size=x_all.shape[1],
            architecture=architecture,
            alpha=alpha,
            mode=mode,
            weights=weights,
            seed=seed,
        )
        model.compile(
            optimizer=_optimizer(keras, optimizer, learning_rate, decay, decay_steps),
            loss=(
                "sparse_categorical_crossentropy"
                if label_sigma is None
                else "categorical_crossentropy"
            ),
            metrics=["accuracy"],
        )
    best_path = out / "best.keras"
    rng = np.random.default_rng([seed, state["iteration"]])
    t_start = time.perf_counter() - state["seconds"]
    it = state["iteration"]
    order = rng.permutation(tr)
    pos = 0
    while it < iterations:
        if p_draw is not None:
            idx = rng.choice(tr, size=min(batch_size, len(tr)), replace=False, p=p_draw)
        else:
            if pos + batch_size > len(order):
                order, pos = rng.permutation(tr), 0
            idx = order[pos : pos + batch_size]
            pos += batch_size
        xb = x_all[idx]
        if augment:
            xb = augment_batch(xb, rng, geometric=task != "velocity")
        loss, acc = model.train_on_batch(xb, y_fit[idx])[:2]
        it += 1
        if it % val_every == 0:
            vb = rng.choice(va, size=min(batch_size, len(va)), replace=False)
            v_acc = accuracy(y_all[vb], predict_proba(model, x_all[vb]).argmax(1))
            state["curve"].append([it, float(loss), float(acc), float(v_acc)])
        if it % eval_every == 0 or it == iterations:
            full = accuracy(y_all[va], predict_proba(model, x_all[va]).argmax(1))
            log(f"iteration {it}: loss {loss:.3f}, validation accuracy {full:.4f}")
            if full > state["best_val"]:
                state["best_val"], state["best_iteration"] = float(full), it
                _save_model(model, best_path)
        if it % checkpoint_every == 0 and it < iterations:
            state.update(iteration=it, seconds=time.perf_counter() - t_start, settings=settings)
            # the best weights so far travel with the checkpoint (resume restores them)
            if best_path.exists():
                with atomic_path(out / "checkpoint_best.keras", suffix=".keras") as tmp:
                    shutil.copyfile(best_path, tmp)
            _save_model(model, ckpt)
            write_text(json.dumps(state), state_path)
    seconds = time.perf_counter() - t_start
    model = keras.models.load_model(best_path, compile=False)  # no optimizer: 3 x smaller
    p_test = predict_proba(model, x_all[te])
    from .evaluate import task_report

    report = task_report(task, y_all[te], p_test)
    card = {
        "task": task,
        "classes": list(names),
        "channels": int(channels),
        "dithers": list(data.meta.get("dithers", [])),
        # None: the paper's extent + padding; a number: every cutout has that side [px]
        "cutout_side": data.meta.get("cutout_side"),
        "settings": settings,
        "data": {
            "simulator": "astro_sso_euclid.simulate.simulate_field (4 dithers, Q1 depth)",
            "seed": data.meta.get("seed"),
            "role": data.meta.get("role"),
            "n_fields": data.meta.get("n_fields"),
            "n_cutouts": len(data),
            "n_train": len(tr),
            "n_validation": len(va),
            "n_test": len(te),
            "mag_range": data.meta.get("mag_range"),
            "speed_range": data.meta.get("speed_range"),
        },
        "training_seconds": round(seconds, 1),
        "best_iteration": state["best_iteration"],
        "validation_accuracy": state["best_val"],
        "test_split": report,
        "learning_curve": {
            "columns": ["iteration", "loss", "batch_accuracy", "validation_batch_accuracy"],
            "rows": state["curve"],
        },
        "n_weights": int(model.count_params()),
    }
    _save_model(model, out / "model.keras")
    write_text(json.dumps(card, indent=1), out / "card.json")
    for p in (ckpt, state_path, best_path, out / "checkpoint_best.keras"):
        p.unlink(missing_ok=True)
    return card
