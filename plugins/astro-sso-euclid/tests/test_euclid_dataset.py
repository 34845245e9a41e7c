"""Labelled cutout sets: classes, balance, seeds and the field cache (no TensorFlow)."""

import numpy as np
import pytest
from astro_sso_euclid.dataset import (
    SPEED_BINS,
    TASKS,
    class_names,
    simulate_cutout_set,
    targets,
)
from astropy import units as u

from astro_sso.exceptions import InputError


def test_task_classes_follow_the_paper():
    assert class_names("2class") == ("non_sso", "sso")
    assert set(class_names("4class")) == {"sso", "cosmic_ray", "galaxy", "star"}
    assert len(class_names("velocity")) == 8 and np.allclose(np.diff(SPEED_BINS), 10)
    with pytest.raises(InputError, match="task='3class'"):
        class_names("3class")


def test_targets_bins_speeds_and_excludes_non_sso_from_velocity():
    speed = [1.0, 9.99, 10.0, 79.0, 80.0, 5.0] * u.arcsec / u.h
    label = ["sso", "sso", "sso", "sso", "sso", "galaxy"]
    assert targets("velocity", label, speed).tolist() == [0, 0, 1, 7, 7, -1]
    assert targets("4class", ["star", "sso", "cosmic_ray"]).tolist() == [3, 0, 1]
    with pytest.raises(InputError, match="speeds"):
        targets("velocity", label)


@pytest.fixture(scope="module")
def two_class(tmp_path_factory):
    cache = tmp_path_factory.mktemp("fields")
    data = simulate_cutout_set(
        60, task="2class", channels=1, size=32, seed=5, workers=1, cache=cache
    )
    return data, cache


def test_balanced_two_class_set(two_class):
    data, _ = two_class
    assert len(data) == 60
    assert np.bincount(data["target"]).tolist() == [30, 30]
    label = np.asarray(data["label"]).astype(str)
    non = label[data["target"] == 0]
    # the non-SSOs are stars, galaxies and cosmic rays in equal parts
    assert sorted(np.unique(non, return_counts=True)[1].tolist()) == [10, 10, 10]
    assert data["cutout"].shape == (60, 32, 32, 1)
    assert data.meta["role"] == "train" and data.meta["classes"] == ["non_sso", "sso"]
    sso = label == "sso"
    mag = data["mag"][sso].to_value(u.mag)
    assert mag.min() >= 20 and mag.max() <= 26
    assert np.all(np.isfinite(data["snr"][sso]))


def test_cache_is_shared_by_tasks_and_gives_the_same_set(two_class):
    data, cache = two_class
    n_files = len(list(cache.glob("field-*.npz")))
    assert n_files == data.meta["n_fields"]
    again = simulate_cutout_set(
        60, task="2class", channels=1, size=32, seed=5, workers=1, cache=cache
    )
    assert np.array_equal(np.asarray(again["cutout"]), np.asarray(data["cutout"]))
    four = simulate_cutout_set(
        40, task="4class", channels=3, size=32, seed=5, workers=1, cache=cache
    )
    assert len(list(cache.glob("field-*.npz"))) == max(n_files, four.meta["n_fields"])
    assert np.bincount(four["target"]).tolist() == [10, 10, 10, 10]
    assert four["cutout"].shape[-1] == 3
    # both 3-dither stacks of the paper, (1, 2, 3) and (2, 3, 4)
    assert set(four["dithers"].tolist()) == {"3", "234"}


def test_test_role_never_shares_a_field_with_training(two_class):
    data, cache = two_class
    test = simulate_cutout_set(
        40, task="2class", channels=1, size=32, seed=5, role="test", workers=1, cache=cache
    )
    assert not set(test["field_seed"].tolist()) & set(data["field_seed"].tolist())
    assert set(test["field_seed"] % 2) == {1} and set(data["field_seed"] % 2) == {0}


def test_velocity_set_holds_only_ssos_balanced_per_bin():
    data = simulate_cutout_set(16, task="velocity", channels=4, size=24, seed=2, workers=1)
    assert set(np.asarray(data["label"]).astype(str)) == {"sso"}
    assert np.bincount(data["target"], minlength=8).tolist() == [2] * 8
    v = data["speed"].to_value(u.arcsec / u.h)
    assert np.array_equal(data["target"], np.clip(np.digitize(v, SPEED_BINS) - 1, 0, 7))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"channels": 2}, "channels=2"),
        ({"role": "validation"}, "role="),
        ({"n": 1}, "at least one cutout per class"),
        ({"sso_per_field": 0}, "sso_per_field=0"),
    ],
)
def test_bad_arguments_are_clear(kwargs, match):
    args = {"n": 20, "task": "2class", "workers": 1, **kwargs}
    with pytest.raises(InputError, match=match):
        simulate_cutout_set(**args)


def test_every_task_is_documented():
    import astro_sso_euclid.dataset as ds

    for task in TASKS:
        assert f'``"{task}"``' in ds.__doc__


def test_velocity_sets_are_cut_at_the_fixed_side_and_cached_apart(tmp_path):
    from astro_sso_euclid.cutouts import fixed_side

    kw = {"channels": 1, "size": 24, "seed": 3, "workers": 1, "cache": tmp_path}
    data = simulate_cutout_set(8, task="velocity", **kw)
    assert data.meta["cutout_side"] == pytest.approx(fixed_side(1), abs=1e-3)
    fixed_files = sorted(tmp_path.glob("field-*fixed*.npz"))
    assert len(fixed_files) == data.meta["n_fields"]
    two = simulate_cutout_set(4, task="2class", **kw)
    assert two.meta["cutout_side"] is None
    paper_files = set(tmp_path.glob("field-*.npz")) - set(fixed_files)
    assert len(paper_files) == two.meta["n_fields"]  # same seeds, separate files
    again = simulate_cutout_set(8, task="velocity", **kw)  # from the cache
    assert np.array_equal(np.asarray(again["cutout"]), np.asarray(data["cutout"]))
    assert sorted(tmp_path.glob("field-*fixed*.npz")) == fixed_files
    with pytest.raises(InputError, match="fixed_scale"):
        simulate_cutout_set(4, task="2class", fixed_scale=True, workers=1)


def test_sparse_fields_hold_fewer_ssos_and_are_cached_apart(tmp_path):
    """``sso_per_field=2`` is about the paper's SSO abundance (0.6 per arcmin^2)."""
    kw = {"task": "2class", "channels": 1, "size": 24, "seed": 4, "workers": 1, "cache": tmp_path}
    dense = simulate_cutout_set(8, **kw)
    sparse = simulate_cutout_set(8, sso_per_field=2, **kw)
    assert dense.meta["sso_per_field"] == 18 and sparse.meta["sso_per_field"] == 2
    sso = np.asarray(sparse["label"]).astype(str) == "sso"
    assert sso.sum() == 4  # still balanced, from more fields
    per_field = np.unique(np.asarray(sparse["field_seed"])[sso], return_counts=True)[1]
    assert per_field.max() <= 2
    assert sparse.meta["n_fields"] > dense.meta["n_fields"]
    names = {p.name for p in tmp_path.glob("field-*.npz")}
    assert any("-2-8-8-8-" in n for n in names) and any("-18-8-8-8-" in n for n in names)
