#!/usr/bin/env bash
# The study on one Linux x86-64 machine with an NVIDIA GPU, no internet and no Node (the payload
# from scripts/study/gpu-pack.ts): the engine's runs of each study file on WebGPU through Dawn,
# several processes at once; beside them, PyTorch CUDA runs of recipes listed in a file (the
# scout, scripts/study/torch_train.py); and the PyTorch oracle's re-evaluation of every final
# weights file as it appears (scripts/study/oracle_eval.py: clean, PGD-20, APGD-CE on the first
# 1,000 test images). Everything stops by the deadline; what finished comes back.
#
#   bash scripts/study/gpu-run.sh [--seconds S] [--torch RUNS.txt] STUDY.json[:JOBS]...
#   local test: ADVTUNE_VK=swiftshader bash scripts/study/gpu-run.sh --seconds 240 tiny.json:1
#
# RUNS.txt: one PyTorch run per line, "name args…" (torch_train.py's arguments; --data, --log,
# --out-weights and --device are added; PRETRAINED stands for the payload's ResNet-20 checkpoint). Results in $OUT (else study-out/gpu/results): log.txt,
# logs.tar.xz (every run's run.json, log.json, oracle.json, stderr.log), weights-K.tar.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
PACK=${ADVTUNE_STUDY_PACK:-$REPO/study-out/gpu/payload.tar.xz}
WORK=${ADVTUNE_STUDY_WORK:-/tmp/advtune-study}
RES=${OUT:-$REPO/study-out/gpu/results}
SECONDS_TOTAL=480 TORCH_RUNS='' STUDIES=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) SECONDS_TOTAL=$2; shift 2 ;;
    --torch) TORCH_RUNS=$2; shift 2 ;;
    -*) echo "unknown option $1" >&2; exit 64 ;;
    *) STUDIES+=("$1"); shift ;;
  esac
done
mkdir -p "$RES"
exec > >(tee "$RES/log.txt") 2>&1
say() { echo "== [$(date +%T)] $*"; }
END=$((SECONDS + SECONDS_TOTAL))
left() { echo $((END - SECONDS)); }

[ -f "$PACK" ] || { echo "no $PACK: run 'npx tsx scripts/study/gpu-pack.ts' first (and carry study-out/gpu)"; exit 66; }
rm -rf "$WORK" && mkdir -p "$WORK/out"
python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$PACK" "$WORK" || exit 65
NODE="$WORK/bin/node"
STUDY=(env "$NODE" "$WORK/study.mjs")
ASSETS="$WORK/assets"
say "machine: $(uname -m), $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)); node $("$NODE" --version)"
command -v nvidia-smi >/dev/null && nvidia-smi -L

probe_adapter() { if [ "${1:-}" = software-ok ]; then "${STUDY[@]}" --probe --allow-software; else "${STUDY[@]}" --probe; fi; }
source "$REPO/scripts/lib/vulkan-env.sh"

PY=${PYTHON:-python3}
"$PY" -c 'import torch' 2>/dev/null || PY=/usr/bin/python3
DEV=$("$PY" -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")')
say "PyTorch $("$PY" -c 'import torch; print(torch.__version__)') on $DEV"

# --- PyTorch runs (the scout), each in its own process, stopped at the deadline
TORCH=()
if [ -n "$TORCH_RUNS" ]; then
  mkdir -p "$WORK/out/torch"
  while read -r name args; do
    [ -z "$name" ] || [ "${name:0:1}" = '#' ] && continue
    dir="$WORK/out/torch/runs/$name"
    mkdir -p "$dir"
    say "PyTorch run $name: $args"
    # shellcheck disable=SC2086 # args is a list of options
    args=${args//PRETRAINED/$ASSETS/weights/resnet20-12fca82f.th}
    timeout "$(( $(left) - 60 ))" "$PY" "$REPO/scripts/study/torch_train.py" --data "$ASSETS/data/cifar10" --device "$DEV" \
      --log "$dir/log.json" --out-weights "$dir/weights.safetensors" $args 2>"$dir/stderr.log" &
    TORCH+=($!)
  done <"$TORCH_RUNS"
fi

# --- the engine's studies on WebGPU, each study file its own runner with JOBS processes
ENGINE=()
if [ -z "${NO_WEBGPU:-}" ]; then
  for s in "${STUDIES[@]}"; do
    file=${s%%:*} jobs=${s##*:}
    [ "$jobs" = "$s" ] && jobs=2
    name=$(basename "$file" .json)
    mkdir -p "$WORK/out/$name"
    say "engine study $name: $jobs at a time"
    "${STUDY[@]}" "$REPO/$file" --out "$WORK/out/$name" --assets "$ASSETS" --test-images 1000 --jobs "$jobs" \
      --stop-after-s "$(( $(left) - 150 ))" 2>&1 | sed -u "s/^/[$name] /" &
    ENGINE+=($!)
  done
fi

# --- the oracle, on every finished run's weights as they appear
"$PY" "$REPO/scripts/study/oracle_eval.py" --runs "$WORK"/out/* --data "$ASSETS/data/cifar10" --clean-n 1000 --robust-n 1000 \
  --apgd-iters 100 --device "$DEV" --loop-until "$WORK/engine.done" 2>&1 | sed -u 's/^/[oracle] /' &
ORACLE=$!

# Wait for the engine's runners (they start nothing new 150 s before the end), then everything
# else until 40 s before the end; whatever still runs then is stopped.
for p in "${ENGINE[@]}"; do
  while kill -0 "$p" 2>/dev/null && [ "$(left)" -gt 60 ]; do sleep 2; done
done
while [ -n "$(jobs -rp | grep -v "^$ORACLE$")" ] && [ "$(left)" -gt 45 ]; do sleep 2; done
pkill -f "$WORK/study.mjs"; for p in "${TORCH[@]}"; do kill "$p" 2>/dev/null; done
touch "$WORK/engine.done"
while kill -0 "$ORACLE" 2>/dev/null && [ "$(left)" -gt 15 ]; do sleep 1; done
kill "$ORACLE" 2>/dev/null; pkill -f "$REPO/scripts/study/oracle_eval.py"

say "packing results"
(cd "$WORK/out" && find . -path '*/runs/*' \( -name run.json -o -name log.json -o -name oracle.json -o -name stderr.log \) -o -name study.json | tar -cJf "$RES/logs.tar.xz" -T -)
# Weights in tars of at most ~15 MiB (the transfer takes files up to 16 MiB).
(cd "$WORK/out" && find . -name weights.safetensors | sort | awk -v res="$RES" '
  { size = 1200000; if (total + size > 15000000) { k++; total = 0 } total += size; print > (res "/weights-" k+0 ".list") }')
for l in "$RES"/weights-*.list; do [ -f "$l" ] && (cd "$WORK/out" && tar -cf "${l%.list}.tar" -T "$l") && rm "$l"; done
ls -la "$RES"
say "done"
