#!/usr/bin/env bash
# Issue 3's acceptance run: a 1M-token generated corpus (order-1 Markov chain, 64 symbols), `train --model 2x128`
# on 2 threads; the command prints the min val loss beside the unigram baseline, and when it first beat it.
#   scripts/train-acceptance.sh [WORK_DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$(mktemp -d)}"
"$root/scalinglab" data markov --order 1 --vocab 64 --tokens 1000000 --out "$work/data"
time "$root/scalinglab" train --model 2x128 --data "$work/data" --tokens 1M --batch 32 --seq 128 --lr 1e-3 \
  --threads 2 --out "$work/run" --force
echo "run folder: $work/run"
