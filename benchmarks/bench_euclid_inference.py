"""Inference speed of the euclid-cnn classifier on this machine's CPU cores.

Times the shipped compact networks (1 and 3 dithers, 64 px) on blank-free
simulated-like inputs, from cutouts table to probabilities (input scaling
included), beside MobileNet (alpha 1.0, 224 px, the paper's network; random
weights, the cost is the same) timed in the same run. TensorFlow runs its
operations on ``--threads`` threads (default 2, the goal's two cores).

Prints one JSON object: cutouts per second for each network, and the goal
(>= 1000 cutouts/s on 2 cores).

    python benchmarks/bench_euclid_inference.py [--n 20000] [--batch 512]
"""

import argparse
import json
import os
import time

import numpy as np
from astropy.table import QTable


def _rate(fn, n, repeats=3):
    fn(min(n, 256))  # warm-up (graph tracing)
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        fn(n)
        best = min(best, time.perf_counter() - t)
    return n / best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--n-mobilenet", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)

    from astro_sso_euclid.classifier import EuclidCNNClassifier
    from astro_sso_euclid.models import build_model, import_keras
    from astro_sso_euclid.train import predict_proba

    keras = import_keras()
    rng = np.random.default_rng(0)
    out = {
        "cpu_count": os.cpu_count(),
        "tf_intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "batch": args.batch,
        "goal_cutouts_per_s": 1000,
    }
    for task, ch in (("2class", 1), ("2class", 3), ("4class", 4)):
        clf = EuclidCNNClassifier(task=task, channels=ch, batch_size=args.batch)
        cut = rng.normal(size=(args.n, 64, 64, ch)).astype(np.float32)
        table = QTable({"source_id": np.arange(args.n), "cutout": cut})
        out[f"compact_{task}_{ch}ch_cutouts_per_s"] = round(
            _rate(lambda n, t=table, c=clf: c.classify(t[:n]), args.n), 1
        )
        out["compact_n_weights"] = int(clf.network.count_params())
    net = build_model(2, channels=3, input_size=224, architecture="mobilenet", alpha=1.0)
    x = rng.normal(size=(args.n_mobilenet, 224, 224, 3)).astype(np.float32)
    out["mobilenet_1.0_224_cutouts_per_s"] = round(
        _rate(lambda n: predict_proba(net, x[:n], 64), args.n_mobilenet, repeats=1), 1
    )
    out["mobilenet_n_weights"] = int(net.count_params())
    out["goal_met"] = bool(
        min(v for k, v in out.items() if k.startswith("compact_") and k.endswith("_per_s")) >= 1000
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
