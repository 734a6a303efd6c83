#!/usr/bin/env bash
# Regenerates docs/study/ (and the README's headline table) from the published study's folders:
# the GPU window's engine studies and PyTorch runs, the CPU scout, the default run. Run after
# scripts/study/oracle_eval.py has re-evaluated every weights file in them.
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsx scripts/study/report.ts \
  --study study-out/gpu-results/laptop --study study-out/gpu-results/compute \
  --torch study-out/gpu-results/torch --torch study-out/cpu-scout --torch-recipes docs/study/recipes/gpu-torch.txt \
  --default study-out/default --notes docs/study/notes.json --out docs/study
