"""JSON-ready summaries of a classifier's performance, for the ``evaluate`` commands."""

from __future__ import annotations

import math

import astropy.units as u
import numpy as np

from ..exceptions import InputError
from ._validate import as_labels, as_scores, resolve_labels, same_length, to_python
from .curves import astronomical_purity, roc_auc
from .scores import accuracy, cohen_kappa, confusion_matrix, f1, precision, recall

__all__ = ["classification_report", "table_records"]


def _num(x):
    """Float for JSON: non-finite values become None."""
    x = float(x)
    return x if math.isfinite(x) else None


def classification_report(
    y_true, y_pred, proba=None, *, classes=None, positive=None, abundance=None
) -> dict:
    """Every score of a classification, as a JSON-serialisable dict.

    Parameters
    ----------
    y_true, y_pred : array-like, shape (n,)
        True and predicted labels.
    proba : array-like, shape (n,) or (n, k), optional
        Class probabilities in [0, 1]: one column per class in the order of
        ``classes``, or (two classes) the probability of ``positive`` alone.
        Without it ``auc`` is None.
    classes : array-like, optional
        The classes, in the order of the confusion matrix and of the columns
        of ``proba``; default the sorted labels present.
    positive : label, optional
        The class of interest (e.g. ``"sso"``). Given: ``precision``,
        ``recall``, ``f1`` and ``auc`` are those of this class against all
        others. None: their macro averages over classes (``auc``
        one-vs-rest).
    abundance : float, optional
        With ``positive``: also report ``astronomical_purity``, Eq. 10 of
        Lieu et al. (2019), from the TPR and FPR of ``positive`` at this sky
        abundance.

    Returns
    -------
    dict
        Keys ``n``, ``classes``, ``positive``, ``average``, ``accuracy``,
        ``auc``, ``precision``, ``recall``, ``f1``, ``cohen_kappa``,
        ``confusion_matrix`` (list of lists, true class along rows),
        ``per_class`` (a dict per class: ``precision``, ``recall``, ``f1``,
        ``support``), and ``astronomical_purity`` and ``abundance`` when
        ``abundance`` is given. Undefined values are None.

    Examples
    --------
    >>> import json
    >>> from astro_sso.metrics import classification_report
    >>> rep = classification_report(
    ...     [0, 0, 1, 1], [0, 1, 1, 1], proba=[0.2, 0.6, 0.7, 0.9], positive=1
    ... )
    >>> rep["accuracy"], rep["precision"], rep["recall"], rep["auc"]
    (0.75, 0.6666666666666666, 1.0, 1.0)
    >>> rep["confusion_matrix"]
    [[1, 1], [0, 2]]
    >>> _ = json.dumps(rep)
    """
    y_true = as_labels(y_true, "y_true")
    y_pred = as_labels(y_pred, "y_pred")
    same_length(y_true, y_pred, "y_true", "y_pred")
    classes = resolve_labels(y_true, y_pred, classes)
    if positive is not None and not np.any(classes == positive):
        raise InputError(
            f"positive={positive!r} is not one of the classes {classes.tolist()}; "
            "pass the label of the class of interest"
        )
    cm = confusion_matrix(y_true, y_pred, labels=classes)
    p_cls = precision(y_true, y_pred, average=None, labels=classes)
    r_cls = recall(y_true, y_pred, average=None, labels=classes)
    f_cls = f1(y_true, y_pred, average=None, labels=classes)
    support = cm.sum(axis=1)

    if positive is None:
        j = None
        prec, rec, f1s = (float(np.mean(a)) for a in (p_cls, r_cls, f_cls))
    else:
        j = int(np.flatnonzero(classes == positive)[0])
        prec, rec, f1s = float(p_cls[j]), float(r_cls[j]), float(f_cls[j])

    auc = None
    if proba is not None:
        pr = as_scores(proba, "proba", probability=True)
        same_length(y_true, pr, "y_true", "proba")
        if pr.ndim == 1:
            if positive is None or classes.size != 2:
                raise InputError(
                    "a 1-d proba is the probability of the positive class: give `positive` "
                    "and two classes, or pass one column per class"
                )
            score, is_pos = pr, y_true == positive
        elif pr.ndim == 2 and pr.shape[1] == classes.size:
            score = pr[:, j] if j is not None else None
            is_pos = y_true == positive if j is not None else None
        else:
            raise InputError(
                f"proba has shape {pr.shape} but there are {classes.size} classes "
                f"({classes.tolist()}); give one column per class in that order"
            )
        if score is not None:
            auc = roc_auc(is_pos, score, positive=True)
        else:
            auc = roc_auc(y_true, pr, labels=classes)

    report = {
        "n": int(y_true.size),
        "classes": [to_python(c) for c in classes],
        "positive": to_python(positive),
        "average": "macro" if positive is None else "positive",
        "accuracy": accuracy(y_true, y_pred),
        "auc": None if auc is None else _num(auc),
        "precision": _num(prec),
        "recall": _num(rec),
        "f1": _num(f1s),
        "cohen_kappa": _num(cohen_kappa(y_true, y_pred, labels=classes)),
        "confusion_matrix": cm.tolist(),
        "per_class": {
            str(to_python(c)): {
                "precision": _num(p_cls[i]),
                "recall": _num(r_cls[i]),
                "f1": _num(f_cls[i]),
                "support": int(support[i]),
            }
            for i, c in enumerate(classes)
        },
    }
    if abundance is not None:
        if j is None:
            raise InputError("abundance needs `positive`: the class whose purity is rescaled")
        tp = cm[j, j]
        fn = support[j] - tp
        fp = cm[:, j].sum() - tp
        tn = cm.sum() - tp - fn - fp
        tpr = tp / (tp + fn) if tp + fn > 0 else 0.0
        fpr = fp / (fp + tn) if fp + tn > 0 else 0.0
        report["abundance"] = float(abundance)
        report["astronomical_purity"] = _num(astronomical_purity(tpr, fpr, abundance))
    return report


def table_records(table) -> list[dict]:
    """Rows of a table as a list of JSON-serialisable dicts (units dropped, NaN to None).

    Meant for the per-bin output of `binned_rate` in an ``evaluate`` report.

    Parameters
    ----------
    table : `~astropy.table.Table` or `~astropy.table.QTable`
        A table of scalar columns.

    Returns
    -------
    list of dict

    Examples
    --------
    >>> from astro_sso.metrics import binned_rate, table_records
    >>> t = binned_rate([21.0, 22.5, 25.0], [True, False, True], [20, 23, 26])
    >>> table_records(t)[0]["n"], table_records(t)[0]["fraction"]
    (2, 0.5)
    """
    cols = {}
    for name in table.colnames:
        col = table[name]
        data = col.value if isinstance(col, u.Quantity) else np.asarray(col)
        cols[name] = data
    records = []
    for i in range(len(table)):
        row = {}
        for name, data in cols.items():
            v = to_python(data[i])
            if isinstance(v, float) and not math.isfinite(v):
                v = None
            row[name] = v
        records.append(row)
    return records
