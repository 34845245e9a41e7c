"""Input checks shared by the metric functions (private)."""

from __future__ import annotations

import numpy as np

from ..exceptions import InputError

__all__: list[str] = []


def as_labels(y, name: str) -> np.ndarray:
    """Return ``y`` as a non-empty 1-d array of labels."""
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise InputError(
            f"{name} must be a 1-d sequence of class labels, got an array of shape {arr.shape}; "
            "pass one label per sample"
        )
    if arr.size == 0:
        raise InputError(f"{name} is empty; metrics need at least one sample")
    return arr


def same_length(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise unless ``a`` and ``b`` have the same number of samples."""
    if len(a) != len(b):
        raise InputError(
            f"{name_a} has {len(a)} samples but {name_b} has {len(b)}; "
            "give one entry per sample in both"
        )


def class_indices(y: np.ndarray, labels: np.ndarray, name: str) -> np.ndarray:
    """Index of every element of ``y`` in ``labels``; raise on labels not listed."""
    sorter = np.argsort(labels, kind="stable")
    sorted_labels = labels[sorter]
    pos = np.searchsorted(sorted_labels, y)
    pos_clipped = np.minimum(pos, len(labels) - 1)
    known = sorted_labels[pos_clipped] == y
    if not np.all(known):
        unknown = np.unique(y[~known])
        shown = ", ".join(repr(u.item() if hasattr(u, "item") else u) for u in unknown[:5])
        raise InputError(
            f"{name} contains label(s) {shown} not in labels={list(labels.tolist())}; "
            "add them to `labels` or remove those samples"
        )
    return sorter[pos_clipped]


def _is_text(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "USO"


def resolve_labels(y_true: np.ndarray, y_pred: np.ndarray, labels) -> np.ndarray:
    """The label list: as given (checked unique), or the sorted union of both inputs."""
    if labels is None:
        if _is_text(y_true) != _is_text(y_pred):
            raise InputError(
                "y_true and y_pred hold labels of incompatible types "
                f"({y_true.dtype} and {y_pred.dtype}); use the same label type in both"
            )
        try:
            return np.unique(np.concatenate([y_true, y_pred]))
        except TypeError as exc:
            raise InputError(
                "y_true and y_pred hold labels of incompatible types "
                f"({y_true.dtype} and {y_pred.dtype}); use the same label type in both"
            ) from exc
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise InputError("labels must be a non-empty 1-d sequence of class labels")
    if np.unique(labels).size != labels.size:
        raise InputError(f"labels={labels.tolist()} has repeated entries; list each class once")
    return labels


def as_scores(score, name: str, *, probability: bool) -> np.ndarray:
    """Return finite float64 scores; with ``probability`` also check they lie in [0, 1]."""
    arr = np.asarray(score, dtype=np.float64)
    if arr.size == 0:
        raise InputError(f"{name} is empty; metrics need at least one sample")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} has {np.sum(~np.isfinite(arr))} non-finite value(s) (NaN/inf)")
    if probability and (arr.min() < 0.0 or arr.max() > 1.0):
        raise InputError(
            f"{name} must be probabilities in [0, 1] but ranges from {arr.min():g} to "
            f"{arr.max():g}; pass the classifier's probabilities (e.g. softmax outputs), "
            "not logits"
        )
    return arr


def to_python(value):
    """Convert a NumPy scalar/label to a plain Python object for JSON."""
    if isinstance(value, np.generic):
        return value.item()
    return value
