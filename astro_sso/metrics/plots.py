"""Plots of classifier performance: confusion matrix, ROC, purity-completeness, binned rates.

Every function draws on a new `matplotlib.figure.Figure` (no pyplot, so it
works headless and leaves no global state) or on the ``ax`` given, returns the
figure, and with ``path`` also writes it as a PNG atomically.
"""

from __future__ import annotations

import astropy.units as u
import numpy as np

from ..exceptions import InputError
from ..io import atomic_path

__all__ = ["plot_confusion_matrix", "plot_roc", "plot_purity_completeness", "plot_binned_rate"]


def _axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _save(fig, path, dpi):
    if path is not None:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=dpi)
    return fig


def plot_confusion_matrix(
    cm, classes=None, *, normalize=True, title=None, ax=None, path=None, dpi=120
):
    """Draw a confusion matrix as an annotated image (true class along rows).

    Parameters
    ----------
    cm : array-like of int, shape (k, k)
        Counts, e.g. from `confusion_matrix`.
    classes : sequence of str, optional
        Class names for the axes; default ``0 .. k-1``.
    normalize : bool, optional
        Colour and annotate the fraction of each true class (rows sum to 1);
        the counts are shown beside it. Default True.
    title : str, optional
        Axes title.
    ax : `matplotlib.axes.Axes`, optional
        Draw here instead of on a new figure.
    path : str or pathlib.Path, optional
        Write the figure there as a PNG.
    dpi : int, optional
        Resolution of the PNG.

    Returns
    -------
    `matplotlib.figure.Figure`

    Examples
    --------
    >>> from astro_sso.metrics import plot_confusion_matrix
    >>> fig = plot_confusion_matrix([[50, 2], [5, 43]], ["other", "sso"])
    >>> fig.axes[0].get_ylabel()
    'true class'
    """
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] == 0:
        raise InputError(f"cm must be a square (k, k) matrix of counts, got shape {cm.shape}")
    k = cm.shape[0]
    classes = [str(c) for c in (range(k) if classes is None else classes)]
    if len(classes) != k:
        raise InputError(f"{len(classes)} class names given for a {k}x{k} confusion matrix")
    rows = cm.sum(axis=1, keepdims=True)
    shown = np.divide(cm, rows, out=np.zeros(cm.shape), where=rows > 0) if normalize else cm
    fig, ax = _axes(ax, (1.2 + 0.9 * k, 1.0 + 0.8 * k))
    vmax = 1.0 if normalize else max(float(cm.max()), 1.0)
    im = ax.imshow(shown, cmap="Blues", vmin=0.0, vmax=vmax)
    fig.colorbar(im, ax=ax, label="fraction of true class" if normalize else "count")
    for i in range(k):
        for j in range(k):
            text = f"{shown[i, j]:.2f}\n({cm[i, j]})" if normalize else f"{cm[i, j]}"
            dark = shown[i, j] > 0.6 * vmax
            ax.text(j, i, text, ha="center", va="center", color="white" if dark else "black")
    ax.set_xticks(range(k), classes)
    ax.set_yticks(range(k), classes)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if title:
        ax.set_title(title)
    return _save(fig, path, dpi)


def plot_roc(fpr, tpr, *, label=None, log_fpr=False, title=None, ax=None, path=None, dpi=120):
    """Draw a ROC curve (TPR against FPR) with the chance diagonal.

    Call again with ``ax=fig.axes[0]`` to add curves of other models.

    Parameters
    ----------
    fpr, tpr : array-like
        False and true positive rates, e.g. from `roc_curve`.
    label : str, optional
        Legend entry (the AUC is a good one).
    log_fpr : bool, optional
        Logarithmic FPR axis, to see the low false-positive end.
    title : str, optional
        Axes title.
    ax : `matplotlib.axes.Axes`, optional
        Draw here instead of on a new figure.
    path : str or pathlib.Path, optional
        Write the figure there as a PNG.
    dpi : int, optional
        Resolution of the PNG.

    Returns
    -------
    `matplotlib.figure.Figure`

    Examples
    --------
    >>> from astro_sso.metrics import plot_roc, roc_curve
    >>> fpr, tpr, _ = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fig = plot_roc(fpr, tpr, label="AUC 0.75")
    >>> fig.axes[0].get_xlabel()
    'false positive rate'
    """
    fpr = np.asarray(fpr, dtype=np.float64)
    tpr = np.asarray(tpr, dtype=np.float64)
    if fpr.shape != tpr.shape or fpr.ndim != 1 or fpr.size == 0:
        raise InputError(
            f"fpr {fpr.shape} and tpr {tpr.shape} must be 1-d arrays of the same non-zero length"
        )
    new = ax is None
    fig, ax = _axes(ax, (5.0, 4.5))
    ax.plot(fpr, tpr, label=label, drawstyle="default")
    if new:
        grid = np.logspace(-5, 0, 200) if log_fpr else np.array([0.0, 1.0])
        ax.plot(grid, grid, "k--", lw=1, label="chance")
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.set_ylim(0.0, 1.02)
        if log_fpr:
            ax.set_xscale("log")
            ax.set_xlim(1e-5, 1.0)
        else:
            ax.set_xlim(0.0, 1.0)
        if title:
            ax.set_title(title)
    ax.legend(loc="lower right")
    return _save(fig, path, dpi)


def plot_purity_completeness(
    purity, completeness, *, label=None, abundance=None, title=None, ax=None, path=None, dpi=120
):
    """Draw (astronomical) purity against completeness, as in Lieu et al. (2019, Fig. 9).

    Parameters
    ----------
    purity, completeness : array-like
        E.g. from `purity_completeness_curve`.
    label : str, optional
        Legend entry.
    abundance : float, optional
        The abundance used, written in the title.
    title : str, optional
        Axes title (overrides the abundance title).
    ax : `matplotlib.axes.Axes`, optional
        Draw here instead of on a new figure.
    path : str or pathlib.Path, optional
        Write the figure there as a PNG.
    dpi : int, optional
        Resolution of the PNG.

    Returns
    -------
    `matplotlib.figure.Figure`

    Examples
    --------
    >>> from astro_sso.metrics import plot_purity_completeness, purity_completeness_curve
    >>> pur, comp, _ = purity_completeness_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 1e-4)
    >>> fig = plot_purity_completeness(pur, comp, abundance=1e-4)
    >>> fig.axes[0].get_title()
    'SSO abundance 0.0001'
    """
    purity = np.asarray(purity, dtype=np.float64)
    completeness = np.asarray(completeness, dtype=np.float64)
    if purity.shape != completeness.shape or purity.ndim != 1 or purity.size == 0:
        raise InputError(
            f"purity {purity.shape} and completeness {completeness.shape} must be 1-d arrays "
            "of the same non-zero length"
        )
    new = ax is None
    fig, ax = _axes(ax, (5.0, 4.5))
    ax.plot(completeness, purity, label=label)
    if new:
        ax.set_xlabel("completeness (recall)")
        ax.set_ylabel("purity (precision)")
        ax.set_xlim(0.0, 1.0)
        ax.set_ylim(0.0, 1.02)
        if title:
            ax.set_title(title)
        elif abundance is not None:
            ax.set_title(f"SSO abundance {abundance:g}")
    if label is not None:
        ax.legend(loc="lower left")
    return _save(fig, path, dpi)


def plot_binned_rate(
    table, *, xlabel=None, ylabel="fraction", label=None, title=None, ax=None, path=None, dpi=120
):
    """Draw a binned fraction with its uncertainty, e.g. SSOs missed against speed (Fig. 10).

    Parameters
    ----------
    table : `~astropy.table.QTable`
        Output of `binned_rate`.
    xlabel : str, optional
        Label of the binned quantity; its unit, if any, is appended.
    ylabel : str, optional
        Label of the fraction (e.g. "fraction of SSOs missed").
    label : str, optional
        Legend entry.
    title : str, optional
        Axes title.
    ax : `matplotlib.axes.Axes`, optional
        Draw here instead of on a new figure.
    path : str or pathlib.Path, optional
        Write the figure there as a PNG.
    dpi : int, optional
        Resolution of the PNG.

    Returns
    -------
    `matplotlib.figure.Figure`

    Examples
    --------
    >>> import astropy.units as u
    >>> from astro_sso.metrics import binned_rate, plot_binned_rate
    >>> t = binned_rate([2.0, 5, 30, 60] * u.arcsec / u.hour, [1, 0, 0, 0], 2)
    >>> fig = plot_binned_rate(t, xlabel="speed", ylabel="fraction missed")
    >>> fig.axes[0].get_xlabel()
    'speed [arcsec / h]'
    """
    needed = ("bin_lo", "bin_hi", "bin_center", "fraction", "fraction_lo", "fraction_hi")
    missing = [c for c in needed if c not in table.colnames]
    if missing:
        raise InputError(f"table lacks columns {missing}; pass the output of binned_rate")
    centre = table["bin_center"]
    unit = centre.unit if isinstance(centre, u.Quantity) else None

    def val(col):
        c = table[col]
        return np.asarray(c.value if isinstance(c, u.Quantity) else c, dtype=np.float64)

    x, lo, hi = val("bin_center"), val("bin_lo"), val("bin_hi")
    f, f_lo, f_hi = val("fraction"), val("fraction_lo"), val("fraction_hi")
    new = ax is None
    fig, ax = _axes(ax, (5.0, 4.0))
    ok = np.isfinite(f)
    ax.errorbar(
        x[ok],
        f[ok],
        xerr=[x[ok] - lo[ok], hi[ok] - x[ok]],
        yerr=[f[ok] - f_lo[ok], f_hi[ok] - f[ok]],
        fmt="o",
        capsize=2,
        label=label,
    )
    if new:
        name = xlabel or ""
        if unit is not None and unit != u.dimensionless_unscaled:
            name = f"{name} [{unit.to_string()}]".strip()
        ax.set_xlabel(name)
        ax.set_ylabel(ylabel)
        ax.set_ylim(0.0, 1.02)
        if title:
            ax.set_title(title)
    if label is not None:
        ax.legend()
    return _save(fig, path, dpi)
