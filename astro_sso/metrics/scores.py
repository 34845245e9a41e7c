"""Scores of hard class predictions: confusion matrix, accuracy, precision, recall, F1, kappa.

Conventions follow common practice (and match scikit-learn's): the confusion
matrix has the true class along rows and the predicted class along columns;
ratios with a zero denominator (e.g. the precision of a class never predicted)
are 0.0.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import InputError
from ._validate import as_labels, class_indices, resolve_labels, same_length

__all__ = ["confusion_matrix", "accuracy", "precision", "recall", "f1", "cohen_kappa"]

_AVERAGES = ("binary", "macro", "micro", "weighted", None)


def confusion_matrix(y_true, y_pred, labels=None) -> np.ndarray:
    """Count the samples of every (true class, predicted class) pair.

    Parameters
    ----------
    y_true, y_pred : array-like, shape (n,)
        True and predicted class labels (integers or strings).
    labels : array-like, optional
        The classes, in the order of the rows and columns. Default: the sorted
        union of the labels in ``y_true`` and ``y_pred``. A sample whose label
        is not listed raises `~astro_sso.exceptions.InputError`.

    Returns
    -------
    numpy.ndarray of int64, shape (k, k)
        ``cm[i, j]`` is the number of samples of true class ``labels[i]``
        predicted as ``labels[j]``.

    Examples
    --------
    >>> from astro_sso.metrics import confusion_matrix
    >>> confusion_matrix([0, 0, 1, 1, 1], [0, 1, 1, 1, 0])
    array([[1, 1],
           [1, 2]])
    >>> confusion_matrix(["sso", "star"], ["sso", "sso"], labels=["star", "sso"])
    array([[0, 1],
           [0, 1]])
    """
    y_true = as_labels(y_true, "y_true")
    y_pred = as_labels(y_pred, "y_pred")
    same_length(y_true, y_pred, "y_true", "y_pred")
    labels = resolve_labels(y_true, y_pred, labels)
    k = labels.size
    try:
        ti = class_indices(y_true, labels, "y_true")
        pi = class_indices(y_pred, labels, "y_pred")
    except TypeError as exc:
        raise InputError(
            f"the labels ({labels.dtype}) and the samples ({y_true.dtype}, {y_pred.dtype}) "
            "have incompatible types; use one label type throughout"
        ) from exc
    return np.bincount(ti * k + pi, minlength=k * k).reshape(k, k).astype(np.int64)


def accuracy(y_true, y_pred) -> float:
    """Fraction of samples whose predicted class is the true class (the paper's Eq. 7).

    Parameters
    ----------
    y_true, y_pred : array-like, shape (n,)
        True and predicted class labels.

    Returns
    -------
    float

    Examples
    --------
    >>> from astro_sso.metrics import accuracy
    >>> accuracy([0, 0, 1, 1], [0, 1, 1, 1])
    0.75
    """
    y_true = as_labels(y_true, "y_true")
    y_pred = as_labels(y_pred, "y_pred")
    same_length(y_true, y_pred, "y_true", "y_pred")
    return float(np.mean(y_true == y_pred))


def _ratio(num, den):
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


def _per_class_counts(y_true, y_pred, labels, average, positive):
    """True positives, predicted counts and true counts per class, for the chosen classes."""
    if average not in _AVERAGES:
        raise InputError(
            f"average={average!r} is not supported; use one of 'binary', 'macro', 'micro', "
            "'weighted' or None"
        )
    y_true = as_labels(y_true, "y_true")
    y_pred = as_labels(y_pred, "y_pred")
    all_labels = resolve_labels(y_true, y_pred, labels)
    if average == "binary":
        present = np.unique(np.concatenate([y_true, y_pred]))
        if present.size > 2 or (labels is not None and all_labels.size > 2):
            raise InputError(
                f"average='binary' needs two classes but found {present.size} "
                f"({present[:6].tolist()}); use average='macro', 'micro', 'weighted' or None"
            )
        same_kind = isinstance(positive, str) == (present.dtype.kind in "US")
        if not np.any(all_labels == positive) and labels is None and present.size < 2 and same_kind:
            # only one class present: the positive class is the other one
            all_labels = np.unique(np.concatenate([present, np.asarray([positive])]))
        if not np.any(all_labels == positive):
            raise InputError(
                f"positive={positive!r} is not one of the classes {all_labels.tolist()}; "
                "pass the label of the positive class (e.g. positive='sso')"
            )
    cm = confusion_matrix(y_true, y_pred, labels=all_labels)
    tp = np.diag(cm)
    n_pred = cm.sum(axis=0)
    n_true = cm.sum(axis=1)
    if average == "binary":
        sel = np.flatnonzero(all_labels == positive)
        return tp[sel], n_pred[sel], n_true[sel]
    return tp, n_pred, n_true


def _reduce(per_class, tp, n_pred, n_true, average, kind):
    if average in ("binary", None):
        out = per_class
        return float(out[0]) if average == "binary" else out
    if average == "macro":
        return float(np.mean(per_class))
    if average == "weighted":
        total = n_true.sum()
        return float(np.sum(per_class * n_true) / total) if total > 0 else 0.0
    # micro: pool the counts over the classes
    p = float(_ratio(tp.sum(), n_pred.sum()))
    r = float(_ratio(tp.sum(), n_true.sum()))
    if kind == "precision":
        return p
    if kind == "recall":
        return r
    return float(_ratio(2 * p * r, p + r))


_COMMON_PARAMS = """
    Parameters
    ----------
    y_true, y_pred : array-like, shape (n,)
        True and predicted class labels.
    average : {'binary', 'macro', 'micro', 'weighted', None}, optional
        ``'binary'`` (default): the score of the class ``positive`` in a
        two-class problem. ``'macro'``: unweighted mean of the per-class
        scores. ``'micro'``: the score of the counts pooled over classes.
        ``'weighted'``: mean of the per-class scores weighted by the number of
        true samples of each class. None: the per-class scores as an array in
        the order of ``labels``.
    positive : label, optional
        The positive class for ``average='binary'`` (default 1).
    labels : array-like, optional
        The classes (and their order for ``average=None``); default the sorted
        union of the labels present.
"""


def precision(y_true, y_pred, *, average="binary", positive=1, labels=None):
    r"""Precision TP / (TP + FP): the purity of the predicted class (the paper's Eq. 8).
    {params}
    Returns
    -------
    float or numpy.ndarray
        0.0 for a class that is never predicted.

    Examples
    --------
    >>> from astro_sso.metrics import precision
    >>> precision([0, 0, 1, 1, 1], [0, 1, 1, 1, 0])
    0.6666666666666666
    >>> precision([0, 1, 2, 2], [0, 2, 2, 1], average=None)
    array([1. , 0. , 0.5])
    """
    tp, n_pred, n_true = _per_class_counts(y_true, y_pred, labels, average, positive)
    return _reduce(_ratio(tp, n_pred), tp, n_pred, n_true, average, "precision")


def recall(y_true, y_pred, *, average="binary", positive=1, labels=None):
    r"""Recall TP / (TP + FN): the completeness of the true class (the paper's Eq. 9).
    {params}
    Returns
    -------
    float or numpy.ndarray
        0.0 for a class without true samples.

    Examples
    --------
    >>> from astro_sso.metrics import recall
    >>> recall([0, 0, 1, 1, 1], [0, 1, 1, 1, 0])
    0.6666666666666666
    >>> recall(["cr", "sso", "sso"], ["cr", "cr", "sso"], average="macro")
    0.75
    """
    tp, n_pred, n_true = _per_class_counts(y_true, y_pred, labels, average, positive)
    return _reduce(_ratio(tp, n_true), tp, n_pred, n_true, average, "recall")


def f1(y_true, y_pred, *, average="binary", positive=1, labels=None):
    r"""F1 score, the harmonic mean 2 P R / (P + R) of precision and recall.
    {params}
    Returns
    -------
    float or numpy.ndarray
        With ``average='macro'`` the mean of the per-class F1 scores (not the
        F1 of the mean precision and recall). 0.0 where P + R = 0.

    Examples
    --------
    >>> from astro_sso.metrics import f1
    >>> round(f1([0, 0, 1, 1, 1], [0, 1, 1, 1, 1]), 6)
    0.857143
    """
    tp, n_pred, n_true = _per_class_counts(y_true, y_pred, labels, average, positive)
    p = _ratio(tp, n_pred)
    r = _ratio(tp, n_true)
    return _reduce(_ratio(2 * p * r, p + r), tp, n_pred, n_true, average, "f1")


for _func in (precision, recall, f1):
    _func.__doc__ = _func.__doc__.replace("{params}", _COMMON_PARAMS)
del _func


def cohen_kappa(y_true, y_pred, labels=None) -> float:
    r"""Cohen's kappa: agreement beyond chance, :math:`(p_o - p_e) / (1 - p_e)`.

    :math:`p_o` is the accuracy and :math:`p_e = \sum_k p^{\rm true}_k p^{\rm pred}_k`
    the accuracy expected by chance from the class frequencies of the true
    and predicted labels.

    Parameters
    ----------
    y_true, y_pred : array-like, shape (n,)
        True and predicted class labels.
    labels : array-like, optional
        The classes; default the sorted union of the labels present.

    Returns
    -------
    float
        1 for perfect agreement, 0 for chance level, negative below chance.
        NaN when :math:`p_e = 1` (one single class in both inputs), where
        kappa is undefined.

    Examples
    --------
    >>> from astro_sso.metrics import cohen_kappa
    >>> cohen_kappa([0, 0, 1, 1], [0, 1, 1, 1])
    0.5
    """
    cm = confusion_matrix(y_true, y_pred, labels=labels).astype(np.float64)
    n = cm.sum()
    p_o = np.trace(cm) / n
    p_e = float(np.dot(cm.sum(axis=1), cm.sum(axis=0))) / n**2
    if p_e >= 1.0:
        return float("nan")
    return float((p_o - p_e) / (1.0 - p_e))
