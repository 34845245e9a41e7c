"""Copy fresh-test evaluations (JSON of ``astro-sso evaluate euclid-cnn``) into the model cards.

Usage::

    python tools/add_evaluation_to_cards.py euclid-eval/*.json

Each JSON names its task and channels; its figures go under ``evaluation`` in
``astro_sso_euclid/weights/<task>-<channels>ch/card.json`` (written atomically),
with the command that reproduces them.
"""

import json
import sys

from astro_sso_euclid.classifier import model_dir

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
)


def main(paths):
    for path in paths:
        with open(path) as fh:
            res = json.load(fh)
        task, ch = res["task"], int(res["channels"])
        card_path = model_dir(task, ch) / "card.json"
        card = json.loads(card_path.read_text())
        ev = {
            "command": (
                f"astro-sso evaluate euclid-cnn --task {task} --channels {ch} "
                f"--n-test {res['n_test']} --seed {res['seed']}"
            ),
            "test_set": "fresh simulated fields, test role (never a training field), balanced",
        }
        ev.update({k: res[k] for k in KEYS if k in res})
        card["evaluation"] = ev
        with atomic_path(card_path) as tmp:
            tmp.write_text(json.dumps(card, indent=1))
        print(f"{card_path}: accuracy {res['accuracy']:.4f}")


if __name__ == "__main__":
    main(sys.argv[1:])
