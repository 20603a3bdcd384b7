#!/usr/bin/env bash
# Prepares the kernel benchmark (bench/kernels-bench.ts, WebGPU part) for a machine with an NVIDIA
# GPU, by the recipe of ../shared/gpu/README.md: one Node bundle (the .wgsl files inlined), Node
# itself, the Dawn addon and the Vulkan/GL loaders, in .gpu/ (ignored by git).
#
#   here:       bash bench/gpu-kernels.sh
#   GPU:        COMPLAB_DAWN_FLAGS='disable-dawn-features=timestamp_quantization' \
#                 bash .gpu/run.sh --backend webgpu --json --batch 1,32,128   (.gpu carried; OUT set)
#
# It prints the table and writes $OUT/kernels-bench.json and kernels-bench.meta.json (card,
# driver, date). The Dawn flag keeps GPU timestamps at full precision (Dawn rounds them
# otherwise), for the GPU-time columns. The 2026-11-27 H100 run is in bench/gpu-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .gpu
npx tsx scripts/bundle-node.ts bench/kernels-bench.ts .gpu/kernels-bench.mjs
bash ../shared/gpu/prepare.sh .gpu .gpu/kernels-bench.mjs
echo "ready: carry .gpu and run 'bash .gpu/run.sh --backend webgpu --json --batch 1,32,128' on the GPU machine"
