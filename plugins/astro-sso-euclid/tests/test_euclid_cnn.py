"""The euclid-cnn networks, training loop, classifier, evaluation and commands (TensorFlow)."""

import json

import astropy.units as u
import numpy as np
import pytest
from astropy.table import QTable

tf = pytest.importorskip("tensorflow", reason="the euclid-cnn tests need TensorFlow ([cpu] extra)")

from astro_sso_euclid.classifier import EuclidCNNClassifier, model_dir, shipped_models  # noqa: E402
from astro_sso_euclid.dataset import simulate_cutout_set  # noqa: E402
from astro_sso_euclid.models import build_model, prepare_inputs  # noqa: E402
from astro_sso_euclid.train import (  # noqa: E402
    augment_batch,
    batch_weights,
    dihedral_views,
    predict_proba,
    soft_speed_targets,
    split_by_field,
    train,
)

from astro_sso.exceptions import InputError  # noqa: E402


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_compact_network_shapes_and_adapter(channels):
    net = build_model(4, channels=channels, input_size=32)
    assert net.input_shape == (None, 32, 32, channels) and net.output_shape == (None, 4)
    names = [layer.name for layer in net.layers]
    assert ("dither_adapter" in names) == (channels == 4)
    assert "dropout" in names and net.get_layer("dropout").rate == 0.2
    p = np.asarray(net(np.zeros((2, 32, 32, channels), "float32")))
    assert np.allclose(p.sum(1), 1.0, atol=1e-5)


def _receptive_field(net):
    """Receptive field [input px] of the last convolution (3x3 convolutions, 2x2 pools)."""
    rf, jump = 1, 1
    for layer in net.layers:
        if layer.name.endswith("_conv"):
            rf += 2 * jump
        elif layer.name.endswith("_pool") and layer.name.startswith("block"):
            rf += jump
            jump *= 2
    return rf


def test_deep_compact_network_sees_the_longest_trail():
    shallow = build_model(8, input_size=96)
    deep = build_model(8, input_size=96, architecture="compact-deep")
    assert deep.output_shape == (None, 8) and "block5_conv" in [x.name for x in deep.layers]
    # the longest 1-dither trail (80 "/h, 126 px of a 197 px cutout) is 61 px at 96 px input
    assert _receptive_field(shallow) == 38 < 61 < _receptive_field(deep) == 78
    p = np.asarray(deep(np.zeros((2, 96, 96, 1), "float32")))
    assert np.allclose(p.sum(1), 1.0, atol=1e-5)


def test_mobilenet_settings_freeze_what_the_paper_freezes():
    scratch = build_model(2, channels=1, input_size=32, architecture="mobilenet", alpha=0.25)
    frozen = build_model(
        2, channels=4, input_size=32, architecture="mobilenet", alpha=0.25, mode="random-frozen"
    )
    assert scratch.name == "mobilenet_scratch" and frozen.name == "mobilenet_random-frozen"
    n_train = sum(int(np.prod(w.shape)) for w in frozen.trainable_weights)
    # only the 4->3 dither adapter and the softmax top are trained
    assert n_train == (3 * 3 * 4 * 3 + 3) + (256 * 2 + 2)
    assert sum(int(np.prod(w.shape)) for w in scratch.trainable_weights) > 200_000


def test_imagenet_weights_offline_give_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("ASTRO_SSO_OFFLINE", raising=False)
    with pytest.raises(InputError, match="not on this machine.*weights='/path/to"):
        build_model(2, input_size=128, architecture="mobilenet", alpha=0.25, mode="transfer")
    with pytest.raises(InputError, match="no such file"):
        build_model(
            2, input_size=128, architecture="mobilenet", mode="transfer", weights=tmp_path / "x.h5"
        )
    with pytest.raises(InputError, match="input sizes"):
        build_model(2, input_size=64, architecture="mobilenet", mode="transfer")


def test_transfer_learning_loads_a_local_weights_file(tmp_path):
    # A weights file as Keras writes it (here from a random base): the loading path works.
    import keras

    base = keras.applications.MobileNet(
        input_shape=(128, 128, 3), alpha=0.25, include_top=False, weights=None
    )
    path = tmp_path / "mobilenet_2_5_128_tf_no_top.weights.h5"
    base.save_weights(path)
    net = build_model(
        2, input_size=128, architecture="mobilenet", alpha=0.25, mode="transfer", weights=path
    )
    loaded = net.get_layer(base.name) if base.name in [la.name for la in net.layers] else None
    assert loaded is not None
    assert np.allclose(loaded.get_weights()[0], base.get_weights()[0])
    assert not loaded.trainable


def test_prepare_inputs_rejects_nan():
    with pytest.raises(InputError, match="NaN"):
        prepare_inputs(np.array([[np.nan]]))


def test_augmentation_keeps_shape_and_flux_scale():
    rng = np.random.default_rng(0)
    x = np.zeros((50, 32, 32, 1), "float32")
    x[:, 14:18, 14:18] = 1.0
    out = augment_batch(x, rng)
    assert out.shape == x.shape and out.dtype == np.float32
    ratio = out.sum((1, 2, 3)) / x.sum((1, 2, 3))
    # zoom 0.9-1.1 after a crop of <= 10% scales the area by 0.81-1.49, brightness by 0.9-1.1
    assert 0.7 < ratio.min() and ratio.max() < 1.7 and ratio.std() > 0.01


def test_velocity_augmentation_keeps_trail_length_and_rotates():
    """geometric=False: only flips, transposition and brightness (a trail keeps its length)."""
    x = np.zeros((200, 32, 32, 1), "float32")
    x[:, 16, 4:24] = 1.0  # a horizontal trail of 20 px
    out = augment_batch(x, np.random.default_rng(0), geometric=False)
    lit = out[..., 0] > 0
    rows, cols = lit.any(2).sum(1), lit.any(1).sum(1)
    assert set(np.maximum(rows, cols).tolist()) == {20}  # same length, whatever the turn
    vertical = rows == 20
    assert 0.3 < vertical.mean() < 0.7  # transposed about half the time
    scale = out.sum((1, 2, 3)) / 20.0
    assert 0.9 <= scale.min() and scale.max() <= 1.1


def test_split_is_70_20_10_by_field():
    fields = np.repeat(np.arange(30), 4)
    tr, va, te = split_by_field(fields, seed=3)
    assert (len(tr), len(va), len(te)) == (84, 24, 12)
    assert not set(fields[tr]) & set(fields[te]) and not set(fields[va]) & set(fields[tr])
    with pytest.raises(InputError, match="at least 3 fields"):
        split_by_field([1, 1, 2])


def test_soft_speed_targets_spread_over_neighbouring_bins():
    speed = np.array([0.5, 15.0, 29.9, 30.1, 79.0, 120.0])
    t = soft_speed_targets(speed * u.arcsec / u.h, 4.0)
    assert t.shape == (6, 8)
    np.testing.assert_allclose(t.sum(1), 1.0, rtol=1e-6)
    # the most probable bin is the true one (an edge case: half and half)
    assert t.argmax(1).tolist()[:2] == [0, 1] and t.argmax(1).tolist()[4:] == [7, 7]
    np.testing.assert_allclose(t[2, 2] + t[2, 3], t[3, 2] + t[3, 3], rtol=1e-6)
    assert t[2, 2] > t[2, 3] and t[3, 3] > t[3, 2]
    # a speed in mid-bin keeps most of its mass; the tails go to the end bins
    assert 0.7 < t[1, 1] < 0.8 and t[0, 0] > 0.99
    one_hot = soft_speed_targets(speed, 0.0)
    assert one_hot.argmax(1).tolist() == [0, 1, 2, 3, 7, 7] and one_hot.max(1).min() == 1.0
    with pytest.raises(InputError, match="width"):
        soft_speed_targets(speed, -1.0)
    with pytest.raises(InputError, match="finite speed"):
        soft_speed_targets([np.nan], 3.0)


def test_batch_weights_favour_slow_ssos_at_the_same_sso_share():
    label = np.array(["sso"] * 4 + ["star", "galaxy", "cosmic_ray", "star"])
    speed = np.array([2.0, 8.0, 30.0, 60.0, 0, 0, 0, 0]) * u.arcsec / u.h
    p = batch_weights(label, speed, 4.0)
    assert p.sum() == pytest.approx(1.0)
    assert p[:4].sum() == pytest.approx(0.5)  # the class balance is kept
    assert p[0] == pytest.approx(4 * p[2]) and p[4] == pytest.approx(1 / 8)
    np.testing.assert_allclose(batch_weights(label, speed, 1.0), 1 / 8)
    with pytest.raises(InputError, match="rate > 0"):
        batch_weights(label, speed, 0.0)


@pytest.fixture(scope="module")
def small_set():
    return simulate_cutout_set(120, task="2class", channels=1, size=32, seed=11, workers=1)


def test_train_learns_and_writes_model_and_card(small_set, tmp_path):
    card = train(small_set, out=tmp_path, iterations=40, batch_size=20, eval_every=20, seed=1)
    assert (tmp_path / "model.keras").is_file() and (tmp_path / "card.json").is_file()
    assert not (tmp_path / "checkpoint.keras").exists()  # cleaned up after success
    saved = json.loads((tmp_path / "card.json").read_text())
    assert saved["task"] == "2class" and saved["settings"]["batch_size"] == 20
    assert saved["data"]["n_train"] + saved["data"]["n_validation"] + saved["data"]["n_test"] == 120
    assert len(card["learning_curve"]["rows"]) == 4  # validation batch every 10th iteration
    assert set(card["test_split"]) >= {"accuracy", "auc", "confusion_matrix"}
    clf = EuclidCNNClassifier(task="2class", channels=1, model=tmp_path / "model.keras")
    res = clf.classify(small_set[:5])
    assert res["probabilities"].shape == (5, 2)
    # it learns: the training loss falls
    loss = np.array(card["learning_curve"]["rows"])[:, 1]
    assert loss[-2:].mean() < 0.8 * 0.693  # below chance (ln 2) with margin
    with pytest.raises(InputError, match="task='4class'"):
        EuclidCNNClassifier(task="4class", channels=1, model=tmp_path / "model.keras").classify(
            small_set[:2]
        )


def test_training_resumes_from_its_checkpoint(small_set, tmp_path):
    lines = []

    def stop_at_20(line):
        lines.append(line)
        if line.startswith("iteration 20:"):
            raise KeyboardInterrupt

    kw = dict(iterations=30, batch_size=20, eval_every=10, checkpoint_every=10, seed=2)
    with pytest.raises(KeyboardInterrupt):
        train(small_set, out=tmp_path, log=stop_at_20, **kw)
    assert (tmp_path / "checkpoint.keras").is_file()
    state = json.loads((tmp_path / "checkpoint.json").read_text())
    assert state["iteration"] == 10
    with pytest.raises(InputError, match="another run"):
        train(small_set, out=tmp_path, **{**kw, "iterations": 50})
    lines.clear()
    card = train(small_set, out=tmp_path, log=lines.append, **kw)
    assert lines[0] == "resuming at iteration 10"
    assert card["learning_curve"]["rows"][-1][0] == 30


def test_train_options_slow_weight_and_soft_labels(small_set, tmp_path):
    card = train(small_set, out=tmp_path / "a", iterations=10, batch_size=20, slow_weight=3.0)
    assert card["settings"]["slow_weight"] == 3.0 and "label_sigma" not in card["settings"]
    with pytest.raises(InputError, match="velocity task"):
        train(small_set, out=tmp_path / "b", iterations=10, label_sigma=4.0)
    vel = simulate_cutout_set(40, task="velocity", channels=1, size=32, seed=12, workers=1)
    card = train(vel, out=tmp_path / "c", iterations=20, batch_size=10, label_sigma=4.0)
    assert card["settings"]["label_sigma"] == 4.0
    assert np.isfinite(np.array(card["learning_curve"]["rows"])[:, 1]).all()
    assert len(card["test_split"]["confusion_matrix"]) == 8  # scored on the hard bins
    with pytest.raises(InputError, match="2class and 4class"):
        train(vel, out=tmp_path / "d", iterations=10, slow_weight=2.0)


def test_shipped_networks_and_cards():
    models = shipped_models()
    assert {(m["task"], m["channels"]) for m in models} == {
        (t, c) for t in ("2class", "4class", "velocity") for c in (1, 3, 4)
    }
    total = sum(p.stat().st_size for p in model_dir().parent.rglob("*") if p.is_file())
    assert total < 20e6  # the limit for the whole plugin's weights
    for m in models:
        card = json.loads((model_dir(m["task"], m["channels"]) / "card.json").read_text())
        assert card["settings"]["input_transform"].startswith("asinh")
        assert card["data"]["role"] == "train" and card["data"]["n_test"] > 500


def test_classifier_errors_are_clear(tmp_path):
    clf = EuclidCNNClassifier(task="2class", channels=3)
    from astropy.table import QTable

    with pytest.raises(InputError, match="channels=3"):
        clf.classify(QTable({"source_id": [1], "cutout": np.zeros((1, 64, 64, 1), "float32")}))
    with pytest.raises(InputError, match="no 'cutout' column"):
        clf.classify(QTable({"source_id": [1]}))
    missing = EuclidCNNClassifier(task="4class", channels=1, model=tmp_path / "none.keras")
    with pytest.raises(InputError, match="astro-sso train euclid-cnn"):
        missing.classify(QTable({"source_id": [1], "cutout": np.zeros((1, 64, 64, 1), "f4")}))


def test_shipped_two_class_network_on_fresh_fields():
    """Held-out check: a fresh test set (test role) through the shipped 2-class network."""
    data = simulate_cutout_set(216, task="2class", channels=3, seed=2026, role="test", workers=1)
    clf = EuclidCNNClassifier(task="2class", channels=3)
    res = clf.classify(data)
    truth = np.asarray(data["label"]).astype(str)
    acc = np.mean(
        np.asarray(res["label"]).astype(str) == np.where(truth == "sso", "sso", "non_sso")
    )
    assert acc > 0.85
    # resizing: cutouts of another size are resampled to the network's input
    small = data[:4].copy()
    small["cutout"] = np.asarray(data["cutout"][:4])[:, ::2, ::2]
    assert len(clf.classify(small)) == 4


def test_evaluate_command_prints_the_required_json(tmp_path, capsys):
    from astro_sso.cli import main

    plots = tmp_path / "plots"
    assert (
        main(
            [
                "evaluate",
                "euclid-cnn",
                "--task",
                "4class",
                "--channels",
                "1",
                "--n-test",
                "40",
                "--seed",
                "3",
                "--workers",
                "1",
                "--plots",
                str(plots),
                "--tta",
                "--sso-per-field",
                "2",
            ]
        )
        == 0
    )
    res = json.loads(capsys.readouterr().out)
    assert res["tta"] is True and res["sso_per_field"] == 2
    for key in (
        "task",
        "channels",
        "n_test",
        "seed",
        "accuracy",
        "auc",
        "precision",
        "recall",
        "f1",
        "cohen_kappa",
        "confusion_matrix",
        "accuracy_by_mag",
        "missed_by_speed",
    ):
        assert key in res, key
    assert res["n_test"] == 40 and res["task"] == "4class" and res["seed"] == 3
    assert np.sum(res["confusion_matrix"]) == 40
    assert all({"lo", "hi", "n"} <= set(b) for b in res["accuracy_by_mag"])
    assert sorted(p.name for p in plots.glob("*.png")) == [
        "4class-1ch_confusion.png",
        "4class-1ch_missed.png",
        "4class-1ch_purity_completeness.png",
        "4class-1ch_roc.png",
    ]


def test_classify_demo_step_writes_mosaic(tmp_path, astro_sso_plugin_manager):
    from astro_sso_euclid import plugin

    from astro_sso.demo import run_demo

    astro_sso_plugin_manager.register(plugin, name="euclid")
    report = run_demo(
        tmp_path,
        seed=4,
        quick=True,
        only=["euclid-field", "euclid-classify"],
        progress=lambda m: None,
    )
    entry = next(s for s in report["steps"] if s["name"] == "euclid-classify")
    assert entry["status"] == "ok", entry.get("traceback")
    assert entry["metrics"]["n_sso"] >= 2
    # bright SSOs in a field like the training fields: the 3-dither network finds them
    assert entry["metrics"]["sso_found"] == entry["metrics"]["n_sso"]
    # bright (IE 20-23) SSOs: the velocity network measures their speed bin
    assert entry["metrics"]["speed_measured"] >= entry["metrics"]["n_sso"] - 1
    assert entry["metrics"]["speed_within_one_bin"] == entry["metrics"]["speed_measured"]
    assert (tmp_path / "euclid-classify" / "euclid_mosaic.png").stat().st_size > 20_000
    from astropy.table import QTable

    table = QTable.read(tmp_path / "euclid-classify" / "euclid_classified.ecsv")
    assert {"speed_bin", "speed_predicted", "speed"} <= set(table.colnames)


def test_classifier_passes_the_plugin_checks():
    from astro_sso.testing import check_plugin

    check_plugin(EuclidCNNClassifier)


def test_evaluate_velocity_with_a_given_set(tmp_path):
    from astro_sso_euclid.evaluate import evaluate

    data = simulate_cutout_set(16, task="velocity", channels=1, seed=9, role="test", workers=1)
    res = evaluate("velocity", 1, data=data, seed=9, out=tmp_path)
    json.dumps(res)
    assert res["n_test"] == 16 and len(res["confusion_matrix"]) == 8
    assert res["precision"] is not None and res["astronomical_purity"] is None
    assert res["accuracy"] <= res["accuracy_within_one_bin"] <= 1.0
    assert res["cutout_side"] == data.meta["cutout_side"] > 190
    assert [b["lo"] for b in res["missed_by_speed"]][:2] == [1.0, 10.0]
    assert (tmp_path / "velocity-1ch_missed.png").is_file()


def test_cutouts_of_the_wrong_scale_are_refused():
    """The velocity networks take fixed-side cutouts, the others extent plus padding."""
    from astro_sso_euclid.cutouts import fixed_side
    from astropy.table import QTable

    for ch in (1, 3, 4):
        vel = EuclidCNNClassifier(task="velocity", channels=ch)
        assert vel.cutout_side() == pytest.approx(fixed_side(ch), abs=1e-3)
        assert EuclidCNNClassifier(task="2class", channels=ch).cutout_side() is None
    paper = QTable({"source_id": [1], "cutout": np.zeros((1, 64, 64, 1), "float32")})
    paper.meta["cutout_side"] = None
    with pytest.raises(InputError, match=r"side=196\.556"):
        EuclidCNNClassifier(task="velocity", channels=1).classify(paper)
    fixed = paper.copy()
    fixed.meta["cutout_side"] = 196.6
    with pytest.raises(InputError, match=r"extent plus padding \(side=None\)"):
        EuclidCNNClassifier(task="2class", channels=1).classify(fixed)
    assert len(EuclidCNNClassifier(task="velocity", channels=1).classify(fixed)) == 1


def test_shipped_velocity_network_on_fresh_bright_fields():
    """Held-out check of the speed bins on bright SSOs (IE 20-22, where the goal holds)."""
    vel = EuclidCNNClassifier(task="velocity", channels=1)
    data = simulate_cutout_set(
        40,
        task="velocity",
        channels=1,
        size=vel.card_input_size(),
        seed=2027,
        role="test",
        workers=1,
        mag_range=(20, 22),
    )
    assert data.meta["cutout_side"] == pytest.approx(vel.cutout_side(), abs=1e-3)
    res = vel.classify(data)
    k = np.argmax(np.asarray(res["probabilities"]), 1)
    truth = np.asarray(data["target"])
    assert np.mean(k == truth) > 0.65
    assert np.mean(np.abs(k - truth) <= 1) > 0.9
    # the predicted speed is the centre of the bin
    assert np.allclose(res["speed"].value, 10 * k + 5)


def test_test_time_augmentation_averages_the_eight_views():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(5, 16, 16, 1)).astype("float32")
    views = list(dihedral_views(x))
    # eight distinct views, each a rotation/reflection: same pixel values, same trail length
    assert len(views) == 8 and np.array_equal(views[0], x)
    assert len({v.tobytes() for v in views}) == 8
    assert all(np.array_equal(np.sort(v, axis=None), np.sort(x, axis=None)) for v in views)
    model = build_model(8, channels=1, input_size=16)
    plain = predict_proba(model, x)
    avg = predict_proba(model, x, tta=True)
    assert avg.shape == plain.shape and np.allclose(avg.sum(1), 1, atol=1e-5)
    assert np.allclose(avg, np.mean([predict_proba(model, v) for v in views], 0), atol=1e-6)
    # an image the eight views leave unchanged gets the plain answer
    sym = np.zeros((1, 16, 16, 1), "float32")
    sym[0, 6:10, 6:10] = 1.0
    assert np.allclose(predict_proba(model, sym, tta=True), predict_proba(model, sym), atol=1e-6)
    with pytest.raises(InputError, match="square"):
        next(dihedral_views(np.zeros((1, 4, 6, 1))))
    # on by default for the velocity networks only; recorded in the table's meta
    assert EuclidCNNClassifier(task="velocity").tta and not EuclidCNNClassifier().tta
    cut = QTable({"source_id": [1], "cutout": np.zeros((1, 64, 64, 1), "float32")})
    assert EuclidCNNClassifier(tta=True).classify(cut).meta["tta"] is True


def test_velocity_report_of_a_set_missing_some_bins():
    from astro_sso_euclid.evaluate import task_report

    p = np.full((3, 8), 0.02)
    p[[0, 1, 2], [0, 1, 3]] = 0.86
    rep = task_report("velocity", [0, 1, 1], p)  # bins 2-7 absent: no one-vs-rest AUC
    assert rep["accuracy"] == pytest.approx(2 / 3) and rep["auc"] is None
