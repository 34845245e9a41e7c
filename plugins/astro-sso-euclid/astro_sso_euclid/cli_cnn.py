"""``astro-sso train euclid-cnn`` and ``astro-sso evaluate euclid-cnn``.

.. code-block:: console

    $ astro-sso train euclid-cnn --task 2class --channels 1 --n 20000 --out my-model
    $ astro-sso evaluate euclid-cnn --task 2class --channels 1 --n-test 4000 --seed 7

``train`` simulates a labelled, balanced set (cached per field with
``--cache``, so the nine task/dither combinations share their fields and an
interrupted run resumes), trains a network and writes ``model.keras`` and its
model card ``card.json`` into ``--out`` (checkpointing there as it goes).
``evaluate`` draws a fresh test set with ``--seed`` (never a training field),
prints one JSON object and writes the plots into ``--plots``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["add_train_arguments", "run_train", "add_evaluate_arguments", "run_evaluate"]

_DEFAULT_CACHE = Path.home() / ".cache" / "astro-sso" / "euclid-fields"


def _common(parser) -> None:
    from .dataset import TASKS

    parser.add_argument(
        "--task", choices=sorted(TASKS), default="2class", help="classification task"
    )
    parser.add_argument(
        "--channels", type=int, choices=(1, 3, 4), default=1, help="dithers per cutout"
    )
    parser.add_argument("--workers", type=int, help="processes simulating fields (default: CPUs)")


def add_train_arguments(parser) -> None:
    """Options of ``astro-sso train euclid-cnn``."""
    _common(parser)
    parser.add_argument("--out", required=True, help="output folder (model.keras, card.json)")
    parser.add_argument(
        "--n", type=int, default=20000, help="labelled cutouts (default: %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the set and the weights")
    parser.add_argument(
        "--architecture", choices=("compact", "compact-deep", "mobilenet"), default="compact"
    )
    parser.add_argument("--alpha", type=float, default=1.0, help="MobileNet width multiplier")
    parser.add_argument(
        "--mode",
        choices=("transfer", "scratch", "random-frozen"),
        default="scratch",
        help="MobileNet setting (transfer needs ImageNet weights)",
    )
    parser.add_argument("--weights", help="MobileNet ImageNet weights: 'imagenet' or a file path")
    parser.add_argument("--input-size", type=int, default=64, help="network input [px]")
    parser.add_argument("--iterations", type=int, default=3000, help="mini-batch iterations")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    parser.add_argument("--learning-rate", type=float, help="default 1e-3 (adam), 1e-4 (sgd)")
    parser.add_argument(
        "--decay",
        type=float,
        default=0.95,
        help="learning-rate factor every --decay-steps iterations (default: the paper's 0.95)",
    )
    parser.add_argument("--decay-steps", type=int, default=1000)
    parser.add_argument("--no-augment", action="store_true", help="train without augmentation")
    parser.add_argument(
        "--label-sigma",
        type=float,
        help='velocity: Gaussian soft targets of this width ["/h] instead of one-hot bins',
    )
    parser.add_argument(
        "--slow-weight",
        type=float,
        default=1.0,
        help='2class/4class: draw SSOs slower than 10 "/h this many times as often '
        "(default: %(default)s, every cutout alike)",
    )
    parser.add_argument("--cache", default=str(_DEFAULT_CACHE), help="field cache folder")


def run_train(args) -> int:
    """Run ``astro-sso train euclid-cnn``."""
    from .dataset import simulate_cutout_set
    from .train import train

    def log(line):
        print(line, file=sys.stderr, flush=True)

    log(f"simulating {args.n} labelled cutouts ({args.task}, {args.channels} dither(s))")
    data = simulate_cutout_set(
        args.n,
        task=args.task,
        channels=args.channels,
        size=args.input_size,
        seed=args.seed,
        role="train",
        workers=args.workers,
        cache=args.cache,
    )
    card = train(
        data,
        out=args.out,
        architecture=args.architecture,
        alpha=args.alpha,
        mode=args.mode,
        weights=args.weights,
        iterations=args.iterations,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        learning_rate=args.learning_rate,
        decay=args.decay,
        decay_steps=args.decay_steps,
        augment=not args.no_augment,
        label_sigma=args.label_sigma,
        slow_weight=args.slow_weight,
        seed=args.seed,
        log=log,
    )
    summary = {k: card[k] for k in ("task", "channels", "training_seconds", "n_weights")}
    summary["test_split_accuracy"] = card["test_split"]["accuracy"]
    summary["out"] = str(args.out)
    print(json.dumps(summary))
    return 0


def add_evaluate_arguments(parser) -> None:
    """Options of ``astro-sso evaluate euclid-cnn``."""
    _common(parser)
    parser.add_argument(
        "--n-test", type=int, default=4000, help="test cutouts (default: %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the fresh test set")
    parser.add_argument("--model", help="a .keras file (default: the shipped network)")
    parser.add_argument("--plots", default="euclid-cnn-plots", help="folder for the PNG plots")
    parser.add_argument("--cache", help="field cache folder (default: none, fields are drawn anew)")
    parser.add_argument(
        "--tta",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="average over the 8 rotations/reflections of each cutout (default: on for velocity)",
    )
    parser.add_argument(
        "--sso-per-field",
        type=int,
        help="SSOs per simulated test field (default 18; 2 is about the paper's 0.6 per arcmin^2)",
    )


def run_evaluate(args) -> int:
    """Run ``astro-sso evaluate euclid-cnn``: print one JSON object."""
    from .evaluate import evaluate

    result = evaluate(
        args.task,
        args.channels,
        n_test=args.n_test,
        seed=args.seed,
        model=args.model,
        out=args.plots,
        workers=args.workers,
        cache=args.cache,
        tta=args.tta,
        sso_per_field=args.sso_per_field,
    )
    print(json.dumps(result))
    return 0
