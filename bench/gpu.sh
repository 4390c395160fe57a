#!/usr/bin/env bash
# The real-GPU check (≤ 5 minutes on a GPU machine): the bench's LoRA training step on WebGPU in Chromium with
# the machine's GPU adapter, next to PyTorch CUDA eager fp32 on the same GPU, for the roberta-base and
# roberta-large shapes; prints ms/step, tokens/s, peak bytes and the WebGPU / PyTorch ratio.
#
#   bench/gpu.sh          real GPU (falls back to the dry mode, and says so, when PyTorch sees no CUDA GPU)
#   bench/gpu.sh --dry    here, in seconds: PyTorch on the CPU, WebGPU on SwiftShader, the tiny shape at 2 × 16
#
# Environment: RANK_LAB_CHROMIUM (browser binary, default /usr/bin/chromium), PYTHON (default /usr/bin/python3),
# GPU_BENCH_BATCH / GPU_BENCH_SEQ / GPU_BENCH_STEPS (real mode: default 8, 64, 3), GPU_BENCH_OUT (folder for the
# raw JSON lines, default a temporary one).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-/usr/bin/python3}"
mode=gpu
[[ "${1:-}" == "--dry" ]] && mode=dry
if [[ "$mode" == gpu ]] && ! "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  echo "bench/gpu.sh: PyTorch sees no CUDA GPU here; running the dry mode instead (CPU, SwiftShader, tiny shape)." >&2
  mode=dry
fi

if [[ "$mode" == gpu ]]; then
  cases=roberta-base-shape,roberta-large-shape
  batch="${GPU_BENCH_BATCH:-8}" seq="${GPU_BENCH_SEQ:-64}" steps="${GPU_BENCH_STEPS:-3}"
  device=cuda
  # A real adapter in headless Chromium on Linux: WebGPU through Vulkan, GPU blocklist off.
  flags="--headless=new --enable-features=Vulkan,WebGPU --use-angle=vulkan --use-vulkan=native --ignore-gpu-blocklist --enable-gpu --disable-vulkan-surface"
else
  cases=tiny batch=2 seq=16 steps=2 device=cpu
  flags=""
fi

out="${GPU_BENCH_OUT:-$(mktemp -d)}"
mkdir -p "$out"
echo "bench/gpu.sh ($mode): $cases at $batch × $seq, $steps timed steps; raw rows in $out" >&2

"$PY" bench/train_torch.py --device "$device" --cases "$cases" --batch "$batch" --seq "$seq" --steps "$steps" > "$out/torch.jsonl"
npx tsx bench/train-browser.ts --backends webgpu --cases "$cases" --batch "$batch" --seq "$seq" --steps "$((steps + 1))" \
  --port "${GPU_BENCH_PORT:-4191}" --chromium-args "$flags" > "$out/webgpu.jsonl"

cat "$out/torch.jsonl" "$out/webgpu.jsonl" | "$PY" bench/gpu-ratio.py
if [[ "$mode" == gpu ]] && grep -q '"softwareAdapter":true' "$out/webgpu.jsonl"; then
  echo "bench/gpu.sh: WebGPU ran on a software adapter, not the GPU: the ratio above is not a GPU figure (check the Chromium flags and the Vulkan driver)." >&2
  exit 2
fi
