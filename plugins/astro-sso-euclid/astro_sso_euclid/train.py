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
__all__ = ["split_by_field", "augment_batch", "train", "predict_proba"]


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


def predict_proba(model, x, batch_size: int = 500) -> np.ndarray:
    """Class probabilities of prepared inputs, batched (no Keras progress output)."""
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
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    best_path = out / "best.keras"
    rng = np.random.default_rng([seed, state["iteration"]])
    t_start = time.perf_counter() - state["seconds"]
    it = state["iteration"]
    order = rng.permutation(tr)
    pos = 0
    while it < iterations:
        if pos + batch_size > len(order):
            order, pos = rng.permutation(tr), 0
        idx = order[pos : pos + batch_size]
        pos += batch_size
        xb = x_all[idx]
        if augment:
            xb = augment_batch(xb, rng, geometric=task != "velocity")
        loss, acc = model.train_on_batch(xb, y_all[idx])[:2]
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
