"""Evaluation of a Euclid SSO classifier on a freshly simulated test set (sec. 3.6, 4.4, 4.5).

`evaluate` draws a balanced test set with `~astro_sso_euclid.dataset.simulate_cutout_set`
(``role="test"``: never a field of any training set), classifies it and
returns one JSON-serialisable dict with the scores of `astro_sso.metrics`:
accuracy, ROC AUC, precision, recall, F1 and Cohen's kappa of the SSO class
(macro averages for the velocity task), the confusion matrix, the astronomical
purity at the paper's abundance (Eq. 10), the accuracy and the median S/N per
magnitude bin, and the fraction of SSOs missed per speed bin (Fig. 10).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy import units as u

from astro_sso.exceptions import InputError
from astro_sso.metrics import binned_rate, classification_report

from .dataset import class_names, simulate_cutout_set

__all__ = [
    "task_report",
    "evaluate",
    "MAG_BINS",
    "SPEED_EVAL_BINS",
    "SNR_BINS",
    "SSO_ABUNDANCE",
    "SSO_ABUNDANCE_PREFILTERED",
]

#: Magnitude bins [AB] of the per-bin figures.
MAG_BINS = np.arange(20.0, 26.5, 1.0)
#: Bins of the integrated per-exposure S/N of the sources (``accuracy_by_snr``).
SNR_BINS = np.array([0.0, 5.0, 10.0, 20.0, 50.0, np.inf])
#: Speed bins ["/h] of the missed fractions (the first is the paper's hardest case).
SPEED_EVAL_BINS = np.array([1.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0])
#: SSO abundance among Euclid sources for the astronomical purity: the paper's
#: expected 1e-4 (sec. 4.5, Fig. 9, top); Fig. 9 also uses 0.5 (`SSO_ABUNDANCE_PREFILTERED`).
SSO_ABUNDANCE = 1e-4
#: The abundance after a pre-selection of candidates (the paper's Fig. 9, bottom).
SSO_ABUNDANCE_PREFILTERED = 0.5


def task_report(task: str, y_true, proba, abundance: float | None = SSO_ABUNDANCE) -> dict:
    """Scores of a task from class indices and probabilities.

    For the SSO tasks the precision, recall, F1 and AUC are those of ``sso``
    against every other class; for ``"velocity"`` their macro averages.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso_euclid.evaluate import task_report
    >>> p = np.array([[0.9, 0.1], [0.3, 0.7], [0.2, 0.8], [0.6, 0.4]])
    >>> r = task_report("2class", [0, 1, 1, 1], p)
    >>> r["accuracy"], r["recall"], r["confusion_matrix"]
    (0.75, 0.6666666666666666, [[1, 0], [1, 2]])
    """
    names = np.array(class_names(task))
    y_true = np.asarray(y_true, dtype=int)
    proba = np.asarray(proba, dtype=float)
    if (y_true < 0).any() or (y_true >= len(names)).any():
        raise InputError(f"class indices outside 0..{len(names) - 1}: give rows of the task")
    if proba.ndim != 2 or proba.shape[1] != len(names):
        raise InputError(f"probabilities of shape {proba.shape}: need (n, {len(names)})")
    y_pred = proba.argmax(1)
    if task == "velocity" and len(np.unique(y_true)) < len(names):
        proba = None  # a one-vs-rest AUC needs every speed bin in the test set
    positive = None if task == "velocity" else "sso"
    return classification_report(
        names[y_true],
        names[y_pred],
        proba,
        classes=list(names),
        positive=positive,
        abundance=abundance if positive else None,
    )


def _records(table, value_name):
    return [
        {
            "lo": float(r["bin_lo"].value if hasattr(r["bin_lo"], "value") else r["bin_lo"]),
            "hi": float(r["bin_hi"].value if hasattr(r["bin_hi"], "value") else r["bin_hi"]),
            "n": int(r["n"]),
            value_name: None if not np.isfinite(r["fraction"]) else float(r["fraction"]),
            f"{value_name}_lo": float(r["fraction_lo"]),
            f"{value_name}_hi": float(r["fraction_hi"]),
        }
        for r in table
    ]


def _sso_missed(task, y_true, y_pred, names):
    if task == "velocity":
        return y_pred != y_true  # an SSO in the wrong speed bin
    k = list(names).index("sso")
    return y_pred != k


def evaluate(
    task: str = "2class",
    channels: int = 1,
    *,
    n_test: int = 4000,
    seed: int = 1,
    model=None,
    out=None,
    workers: int | None = None,
    data=None,
    cache=None,
    tta: bool | None = None,
    sso_per_field: int | None = None,
) -> dict:
    """Evaluate a network on a freshly simulated, balanced test set.

    Parameters
    ----------
    task : str
        ``"2class"``, ``"4class"`` or ``"velocity"``.
    channels : int
        1, 3 or 4 dithers.
    n_test : int
        Test cutouts.
    seed : int
        Seed of the test set (its fields are drawn in the ``"test"`` role).
    model : path, optional
        A ``.keras`` file; default the shipped network.
    out : path, optional
        Folder for the plots (confusion matrix, ROC, purity-completeness,
        missed fraction against speed and magnitude, accuracy per magnitude).
    workers : int, optional
        Processes simulating the test fields.
    data : `~astropy.table.QTable`, optional
        A test set already drawn (then ``n_test`` and ``seed`` only label the result).
    cache : path, optional
        Field cache of `~astro_sso_euclid.dataset.simulate_cutout_set` (test
        fields are cached apart from training ones by their seed stream).
    tta : bool, optional
        Test-time augmentation of `~astro_sso_euclid.classifier.EuclidCNNClassifier`
        (default: its default for the task).
    sso_per_field : int, optional
        SSOs per simulated test field (see
        `~astro_sso_euclid.dataset.simulate_cutout_set`; ``2`` is about the
        paper's abundance of 0.6 per arcmin^2).

    Returns
    -------
    dict
        ``task``, ``channels``, ``n_test``, ``seed``, ``accuracy``, ``auc``,
        ``precision``, ``recall``, ``f1``, ``cohen_kappa``,
        ``confusion_matrix``, ``classes``, ``astronomical_purity``,
        ``accuracy_by_mag`` and ``missed_by_speed`` (lists of bins with ``n``
        and Wilson intervals; ``accuracy_by_mag`` also holds the median
        per-exposure S/N of the bin's SSOs), ``accuracy_by_snr`` (the
        accuracy per bin of integrated per-exposure S/N, overall and per true
        class: what a network can see), ``missed_slow`` (SSOs slower than 10
        "/h), ``model`` and ``plots``; for ``"velocity"`` also
        ``accuracy_within_one_bin`` (the predicted bin at most one from the
        true one) and ``cutout_side``.
    """
    from .classifier import EuclidCNNClassifier

    names = class_names(task)
    clf = EuclidCNNClassifier(task=task, channels=channels, model=model, tta=tta)
    if data is None:
        # Simulate before TensorFlow starts its threads (the workers are forked).
        data = simulate_cutout_set(
            n_test,
            task=task,
            channels=channels,
            size=clf.card_input_size(),
            seed=seed,
            role="test",
            workers=workers,
            cache=cache,
            # a velocity network trained on the paper's cutouts is tested on them too
            fixed_scale=task == "velocity" and clf.cutout_side() is not None,
            sso_per_field=sso_per_field,
        )
    proba = clf.predict_proba(data)
    y_true = np.asarray(data["target"], dtype=int)
    y_pred = proba.argmax(1)
    rep = task_report(task, y_true, proba)
    label = np.asarray(data["label"]).astype(str)
    sso = label == "sso"
    mag = u.Quantity(data["mag"], u.mag).value
    speed = u.Quantity(data["speed"], u.arcsec / u.h).value
    snr = np.asarray(data["snr"], dtype=float)
    correct = y_pred == y_true
    has_mag = np.isfinite(mag)
    by_mag = _records(binned_rate(mag[has_mag], correct[has_mag], MAG_BINS), "accuracy")
    for rec in by_mag:
        last = rec["hi"] == MAG_BINS[-1]
        in_bin = has_mag & (mag >= rec["lo"]) & ((mag < rec["hi"]) | (last & (mag == rec["hi"])))
        s = in_bin & sso
        rec["n_sso"] = int(s.sum())
        rec["sso_snr_median"] = float(np.median(snr[s])) if s.any() else None
        rec["sso_recall"] = (
            float(np.mean(~_sso_missed(task, y_true[s], y_pred[s], names))) if s.any() else None
        )
    finite_snr = np.isfinite(snr)
    by_snr = _records(
        binned_rate(snr[finite_snr], correct[finite_snr], SNR_BINS[:-1].tolist() + [1e12]),
        "accuracy",
    )
    for rec, hi in zip(by_snr, SNR_BINS[1:], strict=True):
        rec["hi"] = None if not np.isfinite(hi) else float(hi)
        in_bin = finite_snr & (snr >= rec["lo"]) & (snr < (hi if np.isfinite(hi) else np.inf))
        rec["by_class"] = {
            name: float(np.mean(correct[in_bin & (label == name)]))
            for name in ("sso", "star", "galaxy", "cosmic_ray")
            if (in_bin & (label == name)).any()
        }
    missed = _sso_missed(task, y_true[sso], y_pred[sso], names)
    by_speed = _records(binned_rate(speed[sso], missed, SPEED_EVAL_BINS), "missed")
    slow = speed[sso] < 10.0
    result = {
        "task": task,
        "channels": int(channels),
        "n_test": int(len(data)),
        "seed": int(seed),
        "classes": list(names),
        "accuracy": rep["accuracy"],
        "auc": rep["auc"],
        "precision": rep["precision"],
        "recall": rep["recall"],
        "f1": rep["f1"],
        "cohen_kappa": rep["cohen_kappa"],
        "confusion_matrix": rep["confusion_matrix"],
        "astronomical_purity": rep.get("astronomical_purity"),
        "abundance": rep.get("abundance"),
        "astronomical_purity_prefiltered": (
            None
            if task == "velocity"
            else task_report(task, y_true, proba, SSO_ABUNDANCE_PREFILTERED).get(
                "astronomical_purity"
            )
        ),
        "abundance_prefiltered": None if task == "velocity" else SSO_ABUNDANCE_PREFILTERED,
        "per_class": rep["per_class"],
        "accuracy_by_mag": by_mag,
        "accuracy_by_snr": by_snr,
        "missed_by_speed": by_speed,
        "missed_slow": float(missed[slow].mean()) if slow.any() else None,
        "n_slow": int(slow.sum()),
        "model": str(clf.model_path),
        "tta": clf.tta,
        "sso_per_field": data.meta.get("sso_per_field"),
    }
    if task == "velocity":
        # an adjacent bin is off by at most 10-20 "/h: what a speed estimate needs
        result["accuracy_within_one_bin"] = float(np.mean(np.abs(y_pred - y_true) <= 1))
        result["cutout_side"] = data.meta.get("cutout_side")
    if out is not None:
        result["plots"] = _plots(task, names, y_true, proba, mag, speed, sso, missed, result, out)
    return result


def _plots(task, names, y_true, proba, mag, speed, sso, missed, result, out) -> list[str]:
    from matplotlib.figure import Figure

    from astro_sso.metrics import (
        plot_binned_rate,
        plot_confusion_matrix,
        plot_purity_completeness,
        plot_roc,
        purity_completeness_curve,
        roc_curve,
    )

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tag = f"{task}-{result['channels']}ch"
    paths = []
    p = out / f"{tag}_confusion.png"
    plot_confusion_matrix(
        np.array(result["confusion_matrix"]), list(names), title=f"{tag}: confusion", path=p
    )
    paths.append(p)
    if task != "velocity":
        k = list(names).index("sso")
        truth = (y_true == k).astype(int)
        fpr, tpr, _ = roc_curve(truth, proba[:, k])
        p = out / f"{tag}_roc.png"
        plot_roc(fpr, tpr, label=f"AUC {result['auc']:.3f}", title=f"{tag}: SSO ROC", path=p)
        paths.append(p)
        fig = Figure(figsize=(5.5, 4.5))
        ax = fig.subplots()
        for ab in (SSO_ABUNDANCE, SSO_ABUNDANCE_PREFILTERED):
            pur, comp, _ = purity_completeness_curve(truth, proba[:, k], ab)
            plot_purity_completeness(pur, comp, label=f"abundance {ab:g}", ax=ax)
        ax.set_xlabel("completeness (recall)")
        ax.set_ylabel("astronomical purity (Eq. 10)")
        ax.set_xlim(0, 1.01)
        ax.set_ylim(0, 1.01)
        ax.legend(loc="lower left")
        ax.set_title(f"{tag}: purity-completeness (Fig. 9)")
        p = out / f"{tag}_purity_completeness.png"
        _save(fig, p)
        paths.append(p)
    fig = Figure(figsize=(15, 4.2))
    axes = fig.subplots(1, 3)
    plot_binned_rate(
        binned_rate(speed[sso] * u.arcsec / u.h, missed, SPEED_EVAL_BINS * u.arcsec / u.h),
        xlabel='speed ["/h]',
        ylabel="fraction of SSOs missed",
        ax=axes[0],
    )
    plot_binned_rate(
        binned_rate(mag[sso], missed, MAG_BINS),
        xlabel="AB magnitude",
        ylabel="fraction of SSOs missed",
        ax=axes[1],
    )
    for ax, xlabel in zip(axes[:2], ('speed ["/h]', "IE magnitude [AB]"), strict=True):
        ax.set_xlabel(xlabel)
        ax.set_ylabel("fraction of SSOs missed")
        ax.set_ylim(0, 1.02)
    ms = mag[sso]
    vs = speed[sso]
    grid = np.full((len(MAG_BINS) - 1, len(SPEED_EVAL_BINS) - 1), np.nan)
    for i in range(len(MAG_BINS) - 1):
        for j in range(len(SPEED_EVAL_BINS) - 1):
            sel = (ms >= MAG_BINS[i]) & (ms < MAG_BINS[i + 1]) & (vs >= SPEED_EVAL_BINS[j])
            sel &= vs < SPEED_EVAL_BINS[j + 1] + 1e-9
            if sel.any():
                grid[i, j] = missed[sel].mean()
    im = axes[2].imshow(
        grid,
        origin="lower",
        aspect="auto",
        vmin=0,
        vmax=1,
        cmap="magma_r",
        extent=(0, len(SPEED_EVAL_BINS) - 1, MAG_BINS[0], MAG_BINS[-1]),
    )
    axes[2].set_xticks(np.arange(len(SPEED_EVAL_BINS)), [f"{v:g}" for v in SPEED_EVAL_BINS])
    axes[2].set_xlabel('speed ["/h]')
    axes[2].set_ylabel("AB magnitude")
    fig.colorbar(im, ax=axes[2], label="fraction missed")
    fig.suptitle(f"{tag}: SSOs missed (Lieu et al. 2019, Fig. 10)")
    fig.tight_layout()
    p = out / f"{tag}_missed.png"
    _save(fig, p)
    paths.append(p)
    return [str(x) for x in paths]


def _save(fig, path):
    from astro_sso.io.atomic import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
