"""Tests of astro_sso.metrics: hand-computed cases, scikit-learn as reference, plots, errors."""

import json

import astropy.units as u
import numpy as np
import pytest

from astro_sso import metrics as m
from astro_sso.exceptions import InputError

# ---------------------------------------------------------------- hand-computed cases


def test_binary_scores_by_hand():
    # TP=3, FN=1, FP=2, TN=4
    y_true = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    y_pred = np.array([1, 1, 1, 0, 1, 1, 0, 0, 0, 0])
    assert m.confusion_matrix(y_true, y_pred).tolist() == [[4, 2], [1, 3]]
    assert m.accuracy(y_true, y_pred) == pytest.approx(0.7)
    assert m.precision(y_true, y_pred) == pytest.approx(3 / 5)
    assert m.recall(y_true, y_pred) == pytest.approx(3 / 4)
    assert m.f1(y_true, y_pred) == pytest.approx(2 * 0.6 * 0.75 / 1.35)
    # positive class 0: precision 4/5, recall 4/6
    assert m.precision(y_true, y_pred, positive=0) == pytest.approx(0.8)
    assert m.recall(y_true, y_pred, positive=0) == pytest.approx(4 / 6)
    # kappa: po = 0.7, pe = (6*5 + 4*5)/100 = 0.5
    assert m.cohen_kappa(y_true, y_pred) == pytest.approx(0.4)


def test_multiclass_by_hand():
    y_true = ["cr", "cr", "gal", "gal", "sso", "sso", "sso", "star"]
    y_pred = ["cr", "sso", "gal", "star", "sso", "sso", "gal", "star"]
    labels = ["cr", "gal", "sso", "star"]
    cm = m.confusion_matrix(y_true, y_pred, labels=labels)
    assert cm.tolist() == [[1, 0, 1, 0], [0, 1, 0, 1], [0, 1, 2, 0], [0, 0, 0, 1]]
    p = m.precision(y_true, y_pred, average=None, labels=labels)
    r = m.recall(y_true, y_pred, average=None, labels=labels)
    np.testing.assert_allclose(p, [1, 0.5, 2 / 3, 0.5])
    np.testing.assert_allclose(r, [0.5, 0.5, 2 / 3, 1])
    assert m.precision(y_true, y_pred, average="macro") == pytest.approx(np.mean(p))
    # micro-averaged P = R = F1 = accuracy for single-label multi-class
    acc = m.accuracy(y_true, y_pred)
    assert acc == pytest.approx(5 / 8)
    for func in (m.precision, m.recall, m.f1):
        assert func(y_true, y_pred, average="micro") == pytest.approx(acc)
    f_cls = 2 * p * r / (p + r)
    assert m.f1(y_true, y_pred, average="macro") == pytest.approx(np.mean(f_cls))
    assert m.f1(y_true, y_pred, average="weighted") == pytest.approx(
        np.sum(f_cls * np.array([2, 2, 3, 1])) / 8
    )


def test_zero_division_and_degenerate():
    # class 2 never predicted: its precision is 0, not NaN
    p = m.precision([0, 1, 2], [0, 1, 1], average=None)
    np.testing.assert_array_equal(p, [1.0, 0.5, 0.0])
    # one class only, all correct: accuracy 1, kappa undefined
    assert m.accuracy([1, 1], [1, 1]) == 1.0
    assert np.isnan(m.cohen_kappa([1, 1], [1, 1]))
    # one class present: binary precision still defined with the default positive
    assert m.recall([0, 0], [0, 1]) == 0.0


def test_roc_by_hand_and_ties():
    fpr, tpr, thr = m.roc_curve([0, 1, 0, 1, 1], [0.5, 0.5, 0.2, 0.9, 0.1])
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 1, 1])
    np.testing.assert_allclose(tpr, [0, 1 / 3, 2 / 3, 2 / 3, 1])
    np.testing.assert_allclose(thr, [np.inf, 0.9, 0.5, 0.2, 0.1])
    # Mann-Whitney: pairs (pos, neg) with pos > neg count 1, ties 1/2
    pos = np.array([0.5, 0.9, 0.1])
    neg = np.array([0.5, 0.2])
    mw = np.mean((pos[:, None] > neg) + 0.5 * (pos[:, None] == neg))
    assert m.roc_auc([0, 1, 0, 1, 1], [0.5, 0.5, 0.2, 0.9, 0.1]) == pytest.approx(mw, abs=1e-15)
    # perfect and inverted classifiers
    assert m.roc_auc([0, 0, 1], [0.1, 0.2, 0.3]) == 1.0
    assert m.roc_auc([0, 0, 1], [0.3, 0.2, 0.1]) == 0.0
    # string labels and a positive class
    assert m.roc_auc(["gal", "sso", "sso"], [0.2, 0.9, 0.4], positive="sso") == 1.0


def test_roc_auc_mann_whitney_random():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 500)
    s = np.round(rng.normal(y * 0.7, 1.0), 1)  # rounding makes many ties
    pos, neg = s[y == 1], s[y == 0]
    mw = np.mean((pos[:, None] > neg) + 0.5 * (pos[:, None] == neg))
    assert m.roc_auc(y, s) == pytest.approx(mw, abs=1e-12)


# ------------------------------------------------------------------------------ purity


def test_astronomical_purity_equals_precision_at_half_on_balanced_set():
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1], 200)  # balanced
    score = rng.uniform(size=400) + 0.4 * y
    pur, comp, thr = m.purity_completeness_curve(y, score, 0.5)
    for t in thr[::37]:
        pred = (score >= t).astype(int)
        tp = np.sum((pred == 1) & (y == 1))
        fp = np.sum((pred == 1) & (y == 0))
        j = np.flatnonzero(thr == t)[0]
        assert pur[j] == pytest.approx(tp / (tp + fp), abs=1e-14)
        assert comp[j] == pytest.approx(tp / 200, abs=1e-14)
    # and at the hard predictions, through the report
    pred = (score >= 0.7).astype(int)
    rep = m.classification_report(y, pred, positive=1, abundance=0.5)
    assert rep["astronomical_purity"] == pytest.approx(rep["precision"], abs=1e-14)


def test_astronomical_purity_formula_and_monotonic():
    tpr, fpr = 0.9, 0.02
    ab = np.array([0.5, 0.1, 1e-2, 1e-3, 1e-4])
    pur = m.astronomical_purity(tpr, fpr, ab)
    np.testing.assert_allclose(pur, tpr * ab / (tpr * ab + fpr * (1 - ab)), rtol=1e-15)
    assert np.all(np.diff(pur) < 0)  # purity falls as abundance falls
    assert m.astronomical_purity(0.5, 0.0, 1e-4) == 1.0  # no false positives
    assert np.isnan(m.astronomical_purity(0.0, 0.0, 0.3))  # nothing selected
    assert m.astronomical_purity(0.7, 0.2, 1.0) == 1.0
    # the paper's remark: at AB = 1e-4 near-perfect purity needs FPR << 1e-4
    assert m.astronomical_purity(0.6, 1e-3, 1e-4) < 0.06


# ----------------------------------------------------------------------- binned rates


def test_binned_rate_counts_and_wilson():
    speed = np.array([1.0, 2, 3, 9.99, 10, 20, 40, 80, 85, 0.5]) * u.arcsec / u.h
    missed = np.array([1, 1, 0, 1, 0, 0, 1, 0, 1, 1], dtype=bool)
    t = m.binned_rate(speed, missed, [1, 10, 40, 80] * u.arcsec / u.h)
    assert t["n"].tolist() == [4, 2, 2]  # 85 and 0.5 outside; 80 in the closed last bin
    assert t["n_flagged"].tolist() == [3, 0, 1]
    np.testing.assert_allclose(t["fraction"], [0.75, 0.0, 0.5])
    assert t["bin_center"].unit == u.arcsec / u.h
    np.testing.assert_allclose(t["bin_center"].value, [5.5, 25, 60])
    # Wilson interval, z = 1, by hand for k=3, n=4
    k, n = 3, 4
    c = (k + 0.5) / (n + 1)
    h = 1 / (n + 1) * np.sqrt(k * (n - k) / n + 0.25)
    assert t["fraction_lo"][0] == pytest.approx(c - h)
    assert t["fraction_hi"][0] == pytest.approx(c + h)
    # k = 0: lower bound 0, upper bound z^2/(n+z^2)
    assert t["fraction_lo"][1] == 0.0
    assert t["fraction_hi"][1] == pytest.approx(1 / 3)
    recs = m.table_records(t)
    assert json.loads(json.dumps(recs))[0]["n_flagged"] == 3


def test_binned_rate_integer_bins_empty_bin_and_coverage():
    t = m.binned_rate([20.0, 20.5, 25.5, 26.0], [True, False, True, True], 3)
    assert t["n"].tolist() == [2, 0, 2]
    assert np.isnan(t["fraction"][1])
    assert (t["fraction_lo"][1], t["fraction_hi"][1]) == (0.0, 1.0)
    assert m.table_records(t)[1]["fraction"] is None
    # the 95% Wilson interval covers the true rate about 95% of the time
    rng = np.random.default_rng(2)
    k = rng.binomial(40, 0.2, size=4000)
    lo, hi = m.wilson_interval(k, 40, z=1.96)
    cover = np.mean((lo <= 0.2) & (0.2 <= hi))
    assert 0.92 < cover < 0.98


# ---------------------------------------------------------------------------- report


def test_classification_report_multiclass_json():
    rng = np.random.default_rng(3)
    classes = ["cr", "gal", "sso", "star"]
    y = rng.choice(classes, 300)
    proba = rng.dirichlet(np.ones(4), 300)
    proba[np.arange(300), np.searchsorted(classes, y)] += 1.0
    proba /= proba.sum(axis=1, keepdims=True)
    pred = np.asarray(classes)[proba.argmax(axis=1)]
    rep = m.classification_report(y, pred, proba, classes=classes)
    rep2 = json.loads(json.dumps(rep))
    assert rep2["classes"] == classes
    assert rep2["accuracy"] == pytest.approx(m.accuracy(y, pred))
    assert rep2["f1"] == pytest.approx(m.f1(y, pred, average="macro"))
    assert rep2["auc"] == pytest.approx(m.roc_auc(y, proba, labels=classes))
    assert np.sum(rep2["confusion_matrix"]) == 300
    assert rep2["per_class"]["sso"]["support"] == np.sum(y == "sso")
    sso = m.classification_report(y, pred, proba, classes=classes, positive="sso", abundance=1e-4)
    assert sso["recall"] == pytest.approx(np.mean(pred[y == "sso"] == "sso"))
    assert sso["auc"] == pytest.approx(m.roc_auc(y == "sso", proba[:, 2], positive=True))
    tpr = np.mean(pred[y == "sso"] == "sso")
    fpr = np.mean(pred[y != "sso"] == "sso")
    expected = tpr * 1e-4 / (tpr * 1e-4 + fpr * (1 - 1e-4))
    assert sso["astronomical_purity"] == pytest.approx(expected, rel=1e-12)
    assert sso["abundance"] == 1e-4


# ------------------------------------------------------------------- scikit-learn


def test_against_scikit_learn_random():
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(11)
    for trial in range(5):
        k = 2 + trial % 3
        n = 400
        y = rng.integers(0, k, n)
        pred = np.where(rng.uniform(size=n) < 0.6, y, rng.integers(0, k, n))
        np.testing.assert_array_equal(m.confusion_matrix(y, pred), skm.confusion_matrix(y, pred))
        assert m.accuracy(y, pred) == pytest.approx(skm.accuracy_score(y, pred), abs=1e-12)
        assert m.cohen_kappa(y, pred) == pytest.approx(skm.cohen_kappa_score(y, pred), abs=1e-12)
        for avg in ("macro", "micro", "weighted", None):
            for ours, ref in (
                (m.precision, skm.precision_score),
                (m.recall, skm.recall_score),
                (m.f1, skm.f1_score),
            ):
                np.testing.assert_allclose(
                    ours(y, pred, average=avg), ref(y, pred, average=avg), atol=1e-12
                )
        # binary
        yb, pb = (y == 0).astype(int), (pred == 0).astype(int)
        for ours, ref in (
            (m.precision, skm.precision_score),
            (m.recall, skm.recall_score),
            (m.f1, skm.f1_score),
        ):
            assert ours(yb, pb) == pytest.approx(ref(yb, pb), abs=1e-12)
        score = np.round(rng.normal(yb, 1.0), 2)
        fpr, tpr, thr = m.roc_curve(yb, score)
        sf, st, sthr = skm.roc_curve(yb, score, drop_intermediate=False)
        np.testing.assert_allclose(fpr, sf, atol=1e-12)
        np.testing.assert_allclose(tpr, st, atol=1e-12)
        np.testing.assert_array_equal(thr[1:], sthr[1:])
        assert m.roc_auc(yb, score) == pytest.approx(skm.roc_auc_score(yb, score), abs=1e-12)
        if k > 2:
            proba = rng.dirichlet(np.ones(k), n)
            proba[np.arange(n), y] += 0.5
            proba /= proba.sum(axis=1, keepdims=True)
            ref = skm.roc_auc_score(y, proba, multi_class="ovr", average="macro")
            assert m.roc_auc(y, proba) == pytest.approx(ref, abs=1e-12)


# ------------------------------------------------------------------------------ plots


def test_plots_write_png(tmp_path):
    rng = np.random.default_rng(4)
    y = np.repeat([0, 1], 100)
    score = np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0, 1)
    cm = m.confusion_matrix(y, (score > 0.5).astype(int))
    fpr, tpr, _ = m.roc_curve(y, score)
    pur, comp, _ = m.purity_completeness_curve(y, score, 1e-4)
    speed = rng.uniform(1, 80, 200) * u.arcsec / u.h
    table = m.binned_rate(speed, score < 0.5, [1, 10, 20, 40, 80] * u.arcsec / u.h)
    figs = {
        "cm.png": lambda p: m.plot_confusion_matrix(cm, ["other", "sso"], path=p),
        "roc.png": lambda p: m.plot_roc(fpr, tpr, label="model", log_fpr=True, path=p),
        "pc.png": lambda p: m.plot_purity_completeness(pur, comp, abundance=1e-4, path=p),
        "rate.png": lambda p: m.plot_binned_rate(table, xlabel="speed", path=p),
    }
    for name, draw in figs.items():
        path = tmp_path / "sub" / name
        fig = draw(path)
        assert fig.axes
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    # a second curve on the same axes
    fig = m.plot_roc(fpr, tpr, label="a")
    m.plot_roc(tpr * 0 + fpr, tpr, label="b", ax=fig.axes[0])
    assert len(fig.axes[0].get_lines()) == 3
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == sorted(figs)


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: m.accuracy([0, 1], [0]), "2 samples but y_pred has 1"),
        (lambda: m.confusion_matrix([], []), "empty"),
        (lambda: m.confusion_matrix([0, 3], [0, 1], labels=[0, 1]), "label.*3.*not in labels"),
        (lambda: m.precision([0, 1, 2], [0, 1, 2]), "average='binary' needs two classes"),
        (lambda: m.precision(["a", "b"], ["a", "b"]), "positive=1 is not one of"),
        (lambda: m.f1([0, 1], [0, 1], average="samples"), "average='samples'"),
        (lambda: m.confusion_matrix([0, 1], ["a", "b"]), "incompatible types"),
        (lambda: m.recall(["a", "a"], ["a", "a"]), r"positive=1 is not one of the classes \['a'\]"),
        (lambda: m.roc_curve([0, 0], [0.1, 0.2]), "no sample of y_true is of the positive"),
        (lambda: m.roc_curve([0, 1], [0.1, np.nan]), "non-finite"),
        (lambda: m.roc_auc([0, 1], [[0.5, 0.5], [1.2, -0.2]]), r"probabilities in \[0, 1\]"),
        (lambda: m.roc_auc([0, 1, 2], [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]), "2 columns"),
        (lambda: m.astronomical_purity(0.9, 0.1, 1.5), "abundance must be probabilities"),
        (lambda: m.purity_completeness_curve([0, 1], [0.1, 0.2], 0.0), "abundance must be > 0"),
        (lambda: m.binned_rate([1.0, 2.0], [True], 2), "one flag per sample"),
        (lambda: m.binned_rate([1.0, 2.0], [True, False], [3, 1]), "strictly increasing"),
        (lambda: m.binned_rate([1.0, np.inf], [True, False], 2), "non-finite"),
        (
            lambda: m.classification_report([0, 1], [0, 1], proba=[0.2, 0.8]),
            "1-d proba is the probability of the positive class",
        ),
        (lambda: m.classification_report([0, 1], [0, 1], positive=5), "positive=5"),
        (lambda: m.plot_confusion_matrix([[1, 2, 3]]), "square"),
    ],
)
def test_errors(call, match):
    with pytest.raises(InputError, match=match):
        call()
