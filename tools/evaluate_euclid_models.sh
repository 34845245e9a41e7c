#!/usr/bin/env bash
# Evaluate every shipped euclid-cnn network on fresh test fields (test role, seed SEED):
# one JSON per network in OUT/, plots in OUT/plots/. Test fields are cached in CACHE
# (they never share a seed with training fields). The velocity networks are evaluated
# a second time at about the paper's SSO abundance (--sso-per-field 2, 2000 SSOs):
# OUT/velocity-<n>ch-sso2.json.
#   tools/evaluate_euclid_models.sh [OUT] [SEED] [CACHE]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-euclid-eval}
SEED=${2:-7}
CACHE=${3:-$HOME/.cache/astro-sso/euclid-fields}
mkdir -p "$OUT"
for spec in 2class:1 2class:3 2class:4 4class:1 4class:3 4class:4 velocity:1 velocity:3 velocity:4; do
  task=${spec%%:*}; ch=${spec##*:}
  astro-sso evaluate euclid-cnn --task "$task" --channels "$ch" --n-test 4000 --seed "$SEED" \
    --cache "$CACHE" --plots "$OUT/plots" > "$OUT/$task-${ch}ch.json"
  python - "$OUT/$task-${ch}ch.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{r['task']:9s} {r['channels']}ch  n={r['n_test']}  accuracy={r['accuracy']:.4f}  "
      f"auc={r['auc']}  missed_slow={r['missed_slow']}")
PY
done
for ch in 1 3 4; do
  astro-sso evaluate euclid-cnn --task velocity --channels "$ch" --n-test 2000 --seed "$SEED" \
    --sso-per-field 2 --cache "$CACHE" --plots "$OUT/plots-sso2" > "$OUT/velocity-${ch}ch-sso2.json"
done
