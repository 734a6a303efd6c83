#!/usr/bin/env bash
# The GPU measurement: the benchmark workloads (the app's PGD-7 training step among them) through
# @tensorflow/tfjs-backend-webgpu on Dawn in Node, and the same workloads in eager PyTorch CUDA, on
# one Linux x86-64 machine with an NVIDIA GPU, no internet, no Node and no Chromium; then the ratio.
#
#   here:        npx tsx bench/gpu/pack.ts        # bench/out/gpu/payload.tar.xz (~32 MiB)
#   GPU machine: bash bench/gpu/run.sh            # with bench/out/gpu copied beside the working tree
#   local test (SwiftShader Vulkan + PyTorch CPU):
#     ADVTUNE_VK=swiftshader bash bench/gpu/run.sh --batch 2 --warmup 0 --reps 1 --workloads forward,pgd7
#
# Options: --batch N (128) --warmup N (3) --reps N (9) --workloads forward,clean,pgd7,pgd20
#          --ab clean,pgd7 (re-run on tfjs's own kernels, for the A/B; '' for none) --no-profile
# Env: ADVTUNE_VK=swiftshader (test on Chromium's SwiftShader), PYTHON (interpreter with torch),
#      ADVTUNE_DAWN_FLAGS (Dawn toggles, e.g. backend=vulkan), OUT (results folder),
#      ADVTUNE_TORCH_TIMEOUT / ADVTUNE_WEBGPU_TIMEOUT (seconds per side; 300 / 480),
#      ADVTUNE_CPU_PROF=1 (afterwards, a V8 CPU profile of 3 PGD-7 steps: webgpu-pgd7.cpuprofile),
#      ADVTUNE_VARIANT='--submit-batch 64;--submit-batch 256' (afterwards, PGD-7 and PGD-20 again with
#      each ';'-separated set of options),
#      ADVTUNE_HOST_ONLY=1 (last, PGD-7 steps with every dispatch emptied: the host's share of a step),
#      ADVTUNE_CHECK=N (first, the WebGPU kernels, and ResNet-20's logits and two training steps on N
#      images, against tfjs's CPU backend).
# Results in $OUT (else bench/out/gpu/results): torch.json webgpu.json gpu.json report.txt log.txt
set -uo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
PACK=${ADVTUNE_GPU_PACK:-$REPO/bench/out/gpu/payload.tar.xz}
WORK=${ADVTUNE_GPU_WORK:-/tmp/advtune-gpu}
RES=${OUT:-$REPO/bench/out/gpu/results}
BATCH=128 WARMUP=3 REPS=9 WORKLOADS=forward,clean,pgd7,pgd20 AB=clean,pgd7 PROFILE=(--profile)
while [ $# -gt 0 ]; do
  case $1 in
    --batch) BATCH=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --workloads) WORKLOADS=$2; shift 2 ;;
    --ab) AB=$2; shift 2 ;;
    --no-profile) PROFILE=(); shift ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
done
mkdir -p "$RES"
exec > >(tee "$RES/log.txt") 2>&1
say() { echo "== $*"; }

# --- the payload: Node, the bundled tfjs side, Dawn, Vulkan/GL loaders, weights, test images
[ -f "$PACK" ] || { echo "no $PACK: run 'npx tsx bench/gpu/pack.ts' first (and carry bench/out/gpu)"; exit 66; }
rm -rf "$WORK" && mkdir -p "$WORK"
# Python's tarfile reads .xz where no xz binary is installed.
python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$PACK" "$WORK" || exit 65
NODE="$WORK/bin/node"
STEP=(env "$NODE" "$WORK/webgpu-step.mjs")
say "machine: $(uname -m), $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)); node $("$NODE" --version)"
command -v nvidia-smi >/dev/null && nvidia-smi -L

# --- Vulkan: the loader from the payload where the system has none; NVIDIA's driver manifest
probe_adapter() { if [ "${1:-}" = software-ok ]; then "${STEP[@]}" --probe; else "${STEP[@]}" --probe --require-hardware; fi; }
source "$REPO/scripts/lib/vulkan-env.sh"

if [ -z "${NO_WEBGPU:-}" ] && [ -n "${ADVTUNE_CHECK:-}" ]; then
  say "correctness on this GPU: advtune's WebGPU kernels and ResNet-20 against tfjs's CPU backend"
  timeout 300 "${STEP[@]}" --check --batch "$ADVTUNE_CHECK" --weights "$WORK/data/resnet20.safetensors" --data "$WORK/data/test_head.bin" \
    --out "$RES/check.json" || say "CHECK FAILED (exit $?)"
fi

# --- PyTorch (eager), same weights, images and workloads
PY=${PYTHON:-python3}
"$PY" -c 'import torch' 2>/dev/null || PY=/usr/bin/python3
if "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  TORCH=(--device cuda)
else
  TORCH=(--device cpu --threads "$(nproc)")
  export OMP_WAIT_POLICY=PASSIVE # as npm run bench: spin-waiting threads collapse on shared cores
  say "PyTorch sees no CUDA device: measuring PyTorch on the CPU instead"
fi
say "PyTorch: ${TORCH[*]}"
timeout "${ADVTUNE_TORCH_TIMEOUT:-300}" "$PY" "$REPO/bench/node/torch_bench.py" "${TORCH[@]}" --weights "$WORK/data/resnet20.safetensors" \
  --data "$WORK/data/test_head.bin" --batches "$BATCH" --warmup "$WARMUP" --reps "$REPS" --workloads "$WORKLOADS" \
  --out "$RES/torch.json" || say "PyTorch side failed (exit $?)"

# --- tfjs on WebGPU (Dawn)
if [ -z "${NO_WEBGPU:-}" ]; then
  say "tfjs-webgpu: batch $BATCH, warm-up $WARMUP, $REPS runs"
  timeout "${ADVTUNE_WEBGPU_TIMEOUT:-480}" "${STEP[@]}" --weights "$WORK/data/resnet20.safetensors" --data "$WORK/data/test_head.bin" \
    --batch "$BATCH" --warmup "$WARMUP" --reps "$REPS" --workloads "$WORKLOADS" --ab "$AB" "${PROFILE[@]}" \
    ${ADVTUNE_HOST_ONLY:+--host-only} --out "$RES/webgpu.json" \
    || say "tfjs-webgpu side failed (exit $?)"
fi

if [ -z "${NO_WEBGPU:-}" ] && [ -n "${ADVTUNE_VARIANT:-}" ]; then
  IFS=';' read -r -a VARIANTS <<<"$ADVTUNE_VARIANT"
  for variant in "${VARIANTS[@]}"; do
    say "variant: ${variant}"
    # shellcheck disable=SC2086 # the variant is a list of options
    timeout 120 "${STEP[@]}" --weights "$WORK/data/resnet20.safetensors" --data "$WORK/data/test_head.bin" --batch "$BATCH" \
      --warmup "$WARMUP" --reps "$REPS" --workloads pgd7,pgd20 --ab '' $variant || say "variant run failed (exit $?)"
  done
fi

if [ -z "${NO_WEBGPU:-}" ] && [ -n "${ADVTUNE_CPU_PROF:-}" ]; then
  # Where a step's wall time goes on the host (tfjs's JavaScript, Dawn, idle waiting for the GPU).
  say "V8 CPU profile of 3 PGD-7 steps"
  timeout 120 env "$NODE" --cpu-prof --cpu-prof-dir="$RES" --cpu-prof-name=webgpu-pgd7.cpuprofile "$WORK/webgpu-step.mjs" \
    --weights "$WORK/data/resnet20.safetensors" --data "$WORK/data/test_head.bin" --batch "$BATCH" --warmup 1 --reps 3 \
    --workloads pgd7 --ab '' || say "CPU profile run failed (exit $?)"
fi

if [ -f "$RES/webgpu.json" ] && [ -f "$RES/torch.json" ]; then
  python3 "$REPO/bench/gpu/report.py" "$RES/webgpu.json" "$RES/torch.json" "$RES/gpu.json" | tee "$RES/report.txt"
else
  say "incomplete: $(ls "$RES")"
  exit 1
fi
