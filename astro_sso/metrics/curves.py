"""Scores of continuous classifier outputs: ROC curve and AUC, astronomical purity.

The astronomical purity (Lieu et al. 2019, Eq. 10) rescales the purity measured
on a balanced test set to the abundance of the positive class in the real sky.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import InputError
from ._validate import as_labels, as_scores, class_indices, same_length

__all__ = ["roc_curve", "roc_auc", "astronomical_purity", "purity_completeness_curve"]


def _binary_truth(y_true, positive, n_scores) -> np.ndarray:
    y = as_labels(y_true, "y_true")
    if len(y) != n_scores:
        raise InputError(
            f"y_true has {len(y)} samples but score has {n_scores}; "
            "give one score per sample in both"
        )
    is_pos = np.asarray(y == positive, dtype=bool)
    n_pos = int(np.count_nonzero(is_pos))
    if n_pos == 0 or n_pos == len(y):
        which = "no sample" if n_pos == 0 else "every sample"
        raise InputError(
            f"{which} of y_true is of the positive class {positive!r}; the ROC curve needs "
            "both positive and negative samples (check `positive` and the test set)"
        )
    return is_pos


def roc_curve(y_true, score, *, positive=1):
    """Receiver operating characteristic: false and true positive rates per threshold.

    A sample is predicted positive when ``score >= threshold``. Every distinct
    score is a threshold, in decreasing order, after a first threshold of
    +inf where nothing is predicted positive; no point is dropped.

    Parameters
    ----------
    y_true : array-like, shape (n,)
        True labels; samples equal to ``positive`` are positives, all others
        negatives.
    score : array-like of float, shape (n,)
        Classifier score of the positive class (higher means more likely
        positive); any finite real numbers.
    positive : label, optional
        The positive class (default 1).

    Returns
    -------
    fpr, tpr, thresholds : numpy.ndarray
        FPR = FP / (FP + TN) and TPR = TP / (TP + FN) at each threshold; both
        start at 0 and end at 1.

    Examples
    --------
    >>> from astro_sso.metrics import roc_curve
    >>> fpr, tpr, thr = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr
    array([0. , 0. , 0.5, 0.5, 1. ])
    >>> tpr
    array([0. , 0.5, 0.5, 1. , 1. ])
    >>> thr
    array([ inf, 0.8 , 0.4 , 0.35, 0.1 ])
    """
    score = as_scores(score, "score", probability=False)
    if score.ndim != 1:
        raise InputError(
            f"score must be 1-d (one score per sample), got shape {score.shape}; "
            "for class probabilities pass the column of the positive class"
        )
    is_pos = _binary_truth(y_true, positive, score.size)
    order = np.argsort(-score, kind="stable")
    s = score[order]
    p = is_pos[order]
    # last index of each run of equal scores
    last = np.flatnonzero(np.diff(s) != 0.0)
    last = np.append(last, s.size - 1)
    tps = np.cumsum(p)[last]
    fps = (last + 1) - tps
    tpr = np.concatenate([[0.0], tps / tps[-1]])
    fpr = np.concatenate([[0.0], fps / fps[-1]])
    thresholds = np.concatenate([[np.inf], s[last]])
    return fpr, tpr, thresholds


def _binary_auc(y_true, score, positive) -> float:
    fpr, tpr, _ = roc_curve(y_true, score, positive=positive)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1])) * 0.5)


def roc_auc(y_true, score, *, positive=1, labels=None) -> float:
    """Area under the ROC curve, binary or one-vs-rest macro-averaged.

    Parameters
    ----------
    y_true : array-like, shape (n,)
        True labels.
    score : array-like of float, shape (n,) or (n, k)
        1-d: the score of the class ``positive`` (binary AUC; ties count one
        half, so this is the Mann-Whitney probability that a random positive
        scores above a random negative). 2-d: class probabilities in [0, 1],
        one column per class in the order of ``labels``; the result is the
        unweighted mean over classes of the AUC of each class against the
        rest.
    positive : label, optional
        Positive class for 1-d scores (default 1).
    labels : array-like, optional
        Classes of the columns of a 2-d ``score``; default the sorted labels
        of ``y_true`` (which must then contain all k classes).

    Returns
    -------
    float

    Examples
    --------
    >>> from astro_sso.metrics import roc_auc
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> proba = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3]]
    >>> roc_auc(["cr", "gal", "sso", "gal"], proba)
    1.0
    """
    arr = np.asarray(score)
    if arr.ndim == 1:
        return _binary_auc(y_true, arr, positive)
    if arr.ndim != 2:
        raise InputError(f"score must be 1-d or 2-d (samples x classes), got shape {arr.shape}")
    proba = as_scores(arr, "class probabilities", probability=True)
    y = as_labels(y_true, "y_true")
    same_length(y, proba, "y_true", "class probabilities")
    labels = np.unique(y) if labels is None else np.asarray(labels)
    if labels.size != proba.shape[1]:
        raise InputError(
            f"the class probabilities have {proba.shape[1]} columns but there are "
            f"{labels.size} classes ({labels.tolist()}); pass `labels` naming the class of "
            "each column"
        )
    idx = class_indices(y, labels, "y_true")
    aucs = [_binary_auc(idx == j, proba[:, j], True) for j in range(labels.size)]
    return float(np.mean(aucs))


def astronomical_purity(tpr, fpr, abundance):
    r"""Purity expected in the real sky, where the positive class is rare (Eq. 10).

    A test set with balanced classes overstates the purity reached on the sky.
    With the true and false positive rates measured on the test set and the
    astronomical abundance AB (number of positives / number of all objects,
    e.g. about 1e-4 for SSOs among Euclid sources), Lieu et al. (2019, Eq. 10)
    give

    .. math::

        \mathrm{Purity}_{\rm astro} = \frac{\mathrm{TPR} \times \mathrm{AB}}
        {\mathrm{TPR} \times \mathrm{AB} + \mathrm{FPR} \times (1 - \mathrm{AB})}.

    With AB equal to the positive fraction of the test set this is the
    ordinary precision TP / (TP + FP).

    Parameters
    ----------
    tpr, fpr : float or array-like
        True and false positive rates, in [0, 1] (broadcast together).
    abundance : float or array-like
        The abundance AB of the positive class, in [0, 1].

    Returns
    -------
    float or numpy.ndarray
        NaN where TPR x AB + FPR x (1 - AB) = 0 (nothing predicted positive).

    Examples
    --------
    >>> from astro_sso.metrics import astronomical_purity
    >>> float(astronomical_purity(0.9, 0.1, 0.5))
    0.9
    >>> round(float(astronomical_purity(0.9, 0.001, 1e-4)), 4)
    0.0826
    """
    tpr = as_scores(tpr, "tpr", probability=True)
    fpr = as_scores(fpr, "fpr", probability=True)
    ab = as_scores(abundance, "abundance", probability=True)
    num = tpr * ab
    den = num + fpr * (1.0 - ab)
    out = np.divide(num, den, out=np.full(np.broadcast(num, den).shape, np.nan), where=den > 0)
    return out[()] if out.ndim == 0 else out


def purity_completeness_curve(y_true, score, abundance, *, positive=1):
    """Astronomical purity against completeness over all score thresholds.

    The ROC curve of the test set is rescaled to the sky abundance of the
    positive class with `astronomical_purity` (Lieu et al. 2019, Eq. 10 and
    Fig. 9); completeness is the TPR (recall).

    Parameters
    ----------
    y_true : array-like, shape (n,)
        True labels.
    score : array-like of float, shape (n,)
        Score of the positive class.
    abundance : float
        Abundance of the positive class in the real sky, in (0, 1].
    positive : label, optional
        The positive class (default 1).

    Returns
    -------
    purity, completeness, thresholds : numpy.ndarray
        One entry per distinct score, by decreasing threshold (the empty
        selection at threshold +inf, where purity is undefined, is left out).

    Examples
    --------
    >>> from astro_sso.metrics import purity_completeness_curve
    >>> pur, comp, thr = purity_completeness_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.5)
    >>> pur
    array([1.        , 0.5       , 0.66666667, 0.5       ])
    >>> comp
    array([0.5, 0.5, 1. , 1. ])
    """
    ab = float(as_scores(abundance, "abundance", probability=True))
    if ab <= 0.0:
        raise InputError("abundance must be > 0: with no positives in the sky purity is 0")
    fpr, tpr, thr = roc_curve(y_true, score, positive=positive)
    return astronomical_purity(tpr[1:], fpr[1:], ab), tpr[1:], thr[1:]
