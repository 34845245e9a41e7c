"""Copy fresh-test evaluations (JSON of ``astro-sso evaluate euclid-cnn``) into the model cards.

Usage::

    python tools/add_evaluation_to_cards.py euclid-eval/*.json

Each JSON names its task and channels; its figures go under ``evaluation`` in
``astro_sso_euclid/weights/<task>-<channels>ch/card.json`` (written atomically),
with the command that reproduces them. A test set drawn with another number of
SSOs per field than the default (``--sso-per-field N``) goes under
``evaluation_sso_per_field_N`` instead.
"""

import json
import sys

from astro_sso_euclid.classifier import model_dir
from astro_sso_euclid.dataset import PER_FIELD

from astro_sso.io import atomic_path

KEYS = (
    "n_test",
    "seed",
    "accuracy",
    "accuracy_within_one_bin",
    "auc",
    "precision",
    "recall",
    "f1",
    "cohen_kappa",
    "confusion_matrix",
    "missed_slow",
    "astronomical_purity",
    "abundance",
    "astronomical_purity_prefiltered",
    "abundance_prefiltered",
    "accuracy_by_mag",
    "accuracy_by_snr",
    "missed_by_speed",
    "cutout_side",
    "tta",
    "sso_per_field",
)


def main(paths):
    for path in paths:
        with open(path) as fh:
            res = json.load(fh)
        task, ch = res["task"], int(res["channels"])
        card_path = model_dir(task, ch) / "card.json"
        card = json.loads(card_path.read_text())
        per = res.get("sso_per_field")
        dense = per in (None, PER_FIELD["sso"])
        ev = {
            "command": (
                f"astro-sso evaluate euclid-cnn --task {task} --channels {ch} "
                f"--n-test {res['n_test']} --seed {res['seed']}"
                + ("" if dense else f" --sso-per-field {per}")
            ),
            "test_set": "fresh simulated fields, test role (never a training field), balanced",
        }
        ev.update({k: res[k] for k in KEYS if k in res})
        card["evaluation" if dense else f"evaluation_sso_per_field_{per}"] = ev
        with atomic_path(card_path) as tmp:
            tmp.write_text(json.dumps(card, indent=1))
        print(f"{card_path}: accuracy {res['accuracy']:.4f}")


if __name__ == "__main__":
    main(sys.argv[1:])
