#!/usr/bin/env bash
# Train the networks shipped with astro-sso-euclid (one per task and number of dithers).
# Each writes model.keras and card.json into astro_sso_euclid/weights/<task>-<channels>ch/.
# The simulated fields are cached (CACHE) and shared by all nine; reruns resume.
#   tools/train_euclid_models.sh [CACHE]      (about 3 hours on 2 CPU cores: 70 min simulating, the rest training)
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${1:-$HOME/.cache/astro-sso/euclid-fields}
WEIGHTS=plugins/astro-sso-euclid/astro_sso_euclid/weights
declare -A N=([2class]=20000 [4class]=16000 [velocity]=16000 [velocity:1]=32000)
declare -A IT=([2class]=3000 [4class]=3000 [velocity]=5000 [2class:1]=5000 [velocity:1]=7000)
# Single-dither 2/4-class: slow SSOs (< 10 "/h) drawn 3 times as often, faster decay.
# Single-dither velocity: 96 px input and the deeper compact network (receptive field 78 px),
# 32000 SSOs (2471 fields), 7000 iterations.
declare -A EXTRA=([2class:1]="--slow-weight 3 --decay 0.5" [4class:1]="--slow-weight 3 --decay 0.5"
                  [velocity:1]="--input-size 96 --architecture compact-deep")
for spec in 2class:1 2class:3 4class:1 4class:3 2class:4 4class:4 velocity:1 velocity:3 velocity:4; do
  task=${spec%%:*}; ch=${spec##*:}
  out=$WEIGHTS/$task-${ch}ch
  if [[ -f $out/card.json && -z ${RETRAIN:-} ]]; then echo "$out exists (RETRAIN=1 to redo)"; continue; fi
  astro-sso train euclid-cnn --task "$task" --channels "$ch" --n "${N[$spec]:-${N[$task]}}" \
    --iterations "${IT[$spec]:-${IT[$task]}}" --seed 0 --cache "$CACHE" --out "$out" ${EXTRA[$spec]:-}
done
