"""The ``euclid-cnn`` classifier: cutouts of dithered Euclid VIS exposures -> classes.

The classifier loads a trained network (by default the one shipped with the
plugin for the task and the number of dithers, see `shipped_models`) and
returns a classifications table. The shipped networks and their model cards
live in ``astro_sso_euclid/weights/<task>-<channels>ch/``; ``astro-sso train
euclid-cnn`` writes new ones in the same layout.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.table import QTable

from astro_sso.base import Classifier
from astro_sso.exceptions import InputError
from astro_sso.tables import validate_table

from .dataset import SPEED_BINS, TASKS, class_names, targets

# Examples that run a network skip where TensorFlow is not installed.
__doctest_requires__ = {("EuclidCNNClassifier",): ["tensorflow"]}
__all__ = ["EuclidCNNClassifier", "shipped_models", "model_dir"]


def model_dir(task: str = "2class", channels: int = 1) -> Path:
    """Folder of the shipped network for a task and number of dithers.

    Examples
    --------
    >>> from astro_sso_euclid.classifier import model_dir
    >>> model_dir("4class", 3).name
    '4class-3ch'
    """
    class_names(task)
    if channels not in (1, 3, 4):
        raise InputError(f"channels={channels}: give 1, 3 or 4")
    return Path(str(resources.files("astro_sso_euclid") / "weights" / f"{task}-{channels}ch"))


def shipped_models() -> list[dict]:
    """The networks shipped with the plugin: one model card per task and channels.

    Returns
    -------
    list of dict
        ``task``, ``channels``, ``path`` and the card's measured figures.

    Examples
    --------
    >>> from astro_sso_euclid.classifier import shipped_models
    >>> {(m["task"], m["channels"]) for m in shipped_models()} >= {("2class", 1)}
    True
    """
    out = []
    for task in TASKS:
        for ch in (1, 3, 4):
            d = model_dir(task, ch)
            if (d / "model.keras").is_file() and (d / "card.json").is_file():
                card = json.loads((d / "card.json").read_text())
                out.append(
                    {
                        "task": task,
                        "channels": ch,
                        "path": str(d / "model.keras"),
                        "architecture": card["settings"]["architecture"],
                        "test_split_accuracy": card["test_split"]["accuracy"],
                        "n_weights": card["n_weights"],
                    }
                )
    return out


def _side_value(side):
    """A fixed cutout side [px] as a float, or None for extent plus padding."""
    try:
        value = float(side)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) and value > 0 else None


class EuclidCNNClassifier(Classifier):
    """Classify Euclid VIS cutouts with a convolutional network (Lieu et al. 2019).

    Parameters
    ----------
    task : str
        ``"2class"`` (sso / non_sso), ``"4class"`` (sso, cosmic_ray, galaxy,
        star) or ``"velocity"`` (speed bins of 10 "/h, for SSOs).
    channels : int
        Dithers per cutout: 1, 3 or 4 (see `~astro_sso_euclid.cutouts.resolve_channels`).
    model : path, optional
        A ``.keras`` file written by ``astro-sso train euclid-cnn``; default the
        shipped network for ``task`` and ``channels``.
    batch_size : int
        Cutouts per forward pass.
    tta : bool, optional
        Test-time augmentation: average the probabilities over the eight
        90-degree rotations and reflections of each cutout
        (`~astro_sso_euclid.train.dihedral_views`), at eight times the
        inference cost. Default: on for ``"velocity"`` (it runs on SSO
        candidates only; see the measured gain in the plugin's docs), off
        for the classification tasks.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.table import QTable
    >>> from astro_sso_euclid.classifier import EuclidCNNClassifier
    >>> clf = EuclidCNNClassifier(task="2class", channels=1)
    >>> cut = QTable({"source_id": [1, 2], "cutout": np.zeros((2, 64, 64, 1), "float32")})
    >>> res = clf.classify(cut)
    >>> res.colnames[:4], res.meta["classes"]
    (['source_id', 'label', 'score', 'probabilities'], ['non_sso', 'sso'])
    """

    name = "euclid-cnn"
    description = "Euclid VIS cutouts -> SSO / cosmic ray / galaxy / star, or SSO speed (CNN)"

    def __init__(
        self,
        *,
        task: str = "2class",
        channels: int = 1,
        model=None,
        batch_size: int = 512,
        tta: bool | None = None,
    ):
        self.task = task
        self.tta = (task == "velocity") if tta is None else bool(tta)
        self.model = None if model is None else str(model)
        self.classes = class_names(task)
        if channels not in (1, 3, 4):
            raise InputError(f"channels={channels}: give 1, 3 or 4")
        self.channels = int(channels)
        self.batch_size = int(batch_size)
        self.model_path = (
            Path(model) if model is not None else model_dir(task, channels) / "model.keras"
        )
        self._model = None
        self.card = None

    @property
    def network(self):
        """The Keras network (loaded on first use)."""
        if self._model is None:
            from .models import import_keras

            keras = import_keras()
            if not self.model_path.is_file():
                raise InputError(
                    f"no trained network at {self.model_path}: train one with `astro-sso train "
                    f"euclid-cnn --task {self.task} --channels {self.channels} --out DIR` and "
                    "pass model=DIR/model.keras"
                )
            self._model = keras.models.load_model(self.model_path)
            card = self.model_path.with_name("card.json")
            self.card = json.loads(card.read_text()) if card.is_file() else None
            if self.card is not None and list(self.card.get("classes", [])) != list(self.classes):
                raise InputError(
                    f"{self.model_path} was trained for the classes {self.card.get('classes')} "
                    f"(task {self.card.get('task')!r}), not task={self.task!r}: give its task"
                )
            n_out = self._model.output_shape[-1]
            if n_out != len(self.classes):
                raise InputError(
                    f"{self.model_path} has {n_out} outputs but task={self.task!r} has "
                    f"{len(self.classes)} classes: give the model of that task"
                )
        return self._model

    @property
    def input_size(self) -> int:
        """Side [px] of the network's input."""
        return int(self.network.input_shape[1])

    def card_input_size(self) -> int:
        """The input size from the model card, without loading TensorFlow (64 if no card)."""
        card = self.model_path.with_name("card.json")
        if card.is_file():
            return int(json.loads(card.read_text())["settings"]["input_size"])
        return 64

    def _inputs(self, cutouts):
        from .models import prepare_inputs

        if "cutout" not in cutouts.colnames:
            raise InputError(
                f"the table has no 'cutout' column (columns {cutouts.colnames}): give the output "
                "of the euclid-cutouts detector or of truth_cutouts"
            )
        self._check_side(cutouts)
        x = np.asarray(cutouts["cutout"], dtype=np.float32)
        if x.ndim == 3:
            x = x[..., None]
        if x.ndim != 4 or x.shape[-1] != self.network.input_shape[-1]:
            raise InputError(
                f"cutouts of shape {x.shape[1:]} but the network takes "
                f"{self.network.input_shape[1:]}: cut them with channels={self.channels}"
            )
        x = prepare_inputs(np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0))
        if x.shape[1:3] != (self.input_size, self.input_size):
            import tensorflow as tf

            x = tf.image.resize(x, (self.input_size, self.input_size), antialias=True).numpy()
        return x

    def cutout_side(self):
        """The cutout side [px] the network was trained on (None: extent plus padding).

        Read from the model card without loading TensorFlow. The velocity
        networks take fixed-side cutouts (see
        `~astro_sso_euclid.cutouts.fixed_side`); cut them with
        ``side=clf.cutout_side()``.
        """
        card = self.model_path.with_name("card.json")
        if card.is_file():
            return json.loads(card.read_text()).get("cutout_side")
        return None

    def _check_side(self, cutouts):
        """Refuse cutouts cut at another scale than the network's.

        Tables without ``meta['cutout_side']`` (made by hand) are not checked.
        A side that is not a positive number (``None``, or FITS's undefined
        value after a round trip) means the paper's extent plus padding; so does
        a network without a model card.
        """
        if "cutout_side" not in cutouts.meta:
            return
        want, got = _side_value(self.cutout_side()), _side_value(cutouts.meta["cutout_side"])
        same = (want is None and got is None) or (
            want is not None and got is not None and abs(want - got) < 0.5
        )
        if not same:
            how = "extent plus padding (side=None)" if want is None else f"side={want:g}"
            raise InputError(
                f"the cutouts were cut with side={got} but the {self.task} network takes "
                f"cutouts cut with {how}: cut them again with that setting of "
                "euclid-cutouts or truth_cutouts"
            )

    def predict_proba(self, cutouts) -> np.ndarray:
        """Class probabilities (N, n_classes), in the order of ``classes``."""
        from .train import predict_proba

        return predict_proba(self.network, self._inputs(cutouts), self.batch_size, tta=self.tta)

    def classify(self, cutouts: QTable) -> QTable:
        """Classify a cutouts table.

        Returns
        -------
        `~astropy.table.QTable`
            ``source_id``, ``label`` (most probable class), ``score`` (its
            probability), ``probabilities`` (every class) and, for the
            ``"velocity"`` task, ``speed`` (centre of the predicted bin) and
            for the others ``p_sso`` (the probability of ``sso``).
        """
        proba = self.predict_proba(cutouts)
        k = proba.argmax(1) if len(proba) else np.zeros(0, int)
        out = QTable()
        out["source_id"] = (
            np.asarray(cutouts["source_id"])
            if "source_id" in cutouts.colnames
            else np.arange(len(proba))
        )
        out["label"] = np.array(self.classes, dtype=str)[k] if len(k) else np.zeros(0, "U10")
        out["score"] = proba[np.arange(len(k)), k] if len(k) else np.zeros(0)
        out["probabilities"] = proba
        if self.task == "velocity":
            centres = 0.5 * (SPEED_BINS[:-1] + SPEED_BINS[1:])
            out["speed"] = centres[k] * u.arcsec / u.h
        else:
            out["p_sso"] = proba[:, self.classes.index("sso")]
        out.meta["classes"] = list(self.classes)
        out.meta["task"] = self.task
        out.meta["model"] = str(self.model_path)
        out.meta["tta"] = self.tta
        return self._stamp(validate_table(out, "classifications"))

    @classmethod
    def conformance_inputs(cls) -> dict:
        """Inputs of `astro_sso.testing.check_plugin`: blank and empty cutout tables."""
        valid = QTable({"source_id": [1, 2], "cutout": np.zeros((2, 64, 64, 1), np.float32)})
        return {
            "valid": valid,
            "empty": valid[:0],
            "bad": QTable({"source_id": [1]}),
            "params": {"task": "2class", "channels": 1},
        }

    def fit(self, cutouts: QTable, *, out, **kwargs) -> EuclidCNNClassifier:
        """Train a new network on labelled cutouts (see `~astro_sso_euclid.train.train`).

        ``cutouts`` needs ``label`` (and ``speed`` for ``"velocity"``), and
        ``field_seed`` to split by field (each row its own field otherwise).
        """
        from .train import train

        data = cutouts.copy(copy_data=False)
        data.meta = dict(cutouts.meta, task=self.task)
        data["target"] = targets(
            self.task, data["label"], data["speed"] if "speed" in data.colnames else None
        )
        if "field_seed" not in data.colnames:
            data["field_seed"] = np.arange(len(data))
        train(data[data["target"] >= 0], out=out, **kwargs)
        self.model_path = Path(out) / "model.keras"
        self.model = str(self.model_path)
        self._model = None
        return self
