"""Numerical agreement of the euclid-cnn networks across devices and kernels.

The shipped networks are float32; different hardware (CPU / GPU) and kernel
libraries (oneDNN on or off, cuDNN) sum in different orders, so their class
probabilities differ by float32 rounding. This script classifies a fixed,
seeded set of simulated cutouts (test role, seed 4242) with every shipped
network and saves the probabilities (``--save FILE.npz``); ``--compare A B``
prints the largest probability difference and the label agreement as one JSON
object, against the stated tolerance (max |dp| <= 1e-4).

On this CPU, two runs in the same call compare oneDNN on and off
(``--onednn-check``): the same networks, two summation orders.

    python benchmarks/bench_euclid_numerics.py --onednn-check
    python benchmarks/bench_euclid_numerics.py --save cpu.npz        # on each device
    python benchmarks/bench_euclid_numerics.py --compare cpu.npz gpu.npz
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

TOLERANCE = 1e-4


def save(path, n):
    from astro_sso_euclid.classifier import EuclidCNNClassifier, shipped_models
    from astro_sso_euclid.dataset import simulate_cutout_set

    sets = {}
    arrays = {}
    for m in shipped_models():
        task, ch = m["task"], m["channels"]
        key = (task if task == "velocity" else "2class", ch)
        if key not in sets:
            sets[key] = simulate_cutout_set(n, task=key[0], channels=ch, seed=4242, role="test")
        clf = EuclidCNNClassifier(task=task, channels=ch)
        arrays[f"{task}-{ch}ch"] = clf.predict_proba(sets[key])
    np.savez(path, **arrays)


def compare(a, b):
    fa, fb = np.load(a), np.load(b)
    out = {"tolerance": TOLERANCE, "networks": {}}
    worst = 0.0
    for k in fa.files:
        pa, pb = fa[k], fb[k]
        d = float(np.abs(pa - pb).max())
        worst = max(worst, d)
        out["networks"][k] = {
            "n": len(pa),
            "max_abs_dp": d,
            "labels_agree": float(np.mean(pa.argmax(1) == pb.argmax(1))),
        }
    out["max_abs_dp"] = worst
    out["within_tolerance"] = bool(worst <= TOLERANCE)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--save")
    ap.add_argument("--compare", nargs=2)
    ap.add_argument("--onednn-check", action="store_true")
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    if args.save:
        save(args.save, args.n)
    elif args.compare:
        print(json.dumps(compare(*args.compare)))
    elif args.onednn_check:
        tmp = tempfile.mkdtemp()
        paths = []
        for flag in ("1", "0"):
            p = os.path.join(tmp, f"onednn{flag}.npz")
            env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS=flag)
            subprocess.run(
                [sys.executable, __file__, "--save", p, "--n", str(args.n)], env=env, check=True
            )
            paths.append(p)
        res = compare(*paths)
        res["compared"] = "oneDNN on vs off (CPU)"
        print(json.dumps(res))
    else:
        ap.print_help()


if __name__ == "__main__":
    main()
