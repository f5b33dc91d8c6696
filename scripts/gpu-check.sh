#!/usr/bin/env bash
# The GPU check (README, "GPU"), for a machine with an NVIDIA GPU, CUDA 13 and cuDNN 9:
#   1. builds the CLI and the tests with ONNX Runtime's CUDA package (-p:Gpu=true, Release);
#   2. runs the tiny-model parity tests on CUDA (PIX2PIXZERO_TEST_PROVIDER=cuda, TF32 off), the fp16 bundle's bound
#      against fp32, and the check that the CUDA options reach ONNX Runtime's provider options object;
#   3. on the full-size random-weight bundle, fp32 then fp16 UNet at 512×512: `bench guidance` and a 50-step `bench`,
#      each with the GPU's peak memory (nvidia-smi, sampled every half second while it runs).
#
#   scripts/gpu-check.sh [FOLDER]
#
# FOLDER holds sd-scale/ and sd-scale-fp16/ as tests/fixtures/generate_sd_scale.py writes them; without it they are
# generated into a new temporary folder (python3-torch python3-onnx python3-pil; the memory and disk that takes:
# tests/fixtures/README.md), which is kept and named at the end so that a second run can take it. Each step is
# limited to GPU_CHECK_STEP_TIMEOUT seconds (default 1800).
# A failing test or bench step does not stop the later ones. Exit status: 0 when every step passed, and also when there
# is no NVIDIA GPU (one line "no NVIDIA GPU present: …" says so and nothing runs); otherwise the first failing step's
# status (124 for a step that ran out of time).
set -euo pipefail
cd "$(dirname "$0")/.."

step_timeout=${GPU_CHECK_STEP_TIMEOUT:-1800}
caption="a cat sitting on a bench"

if ! command -v nvidia-smi >/dev/null; then
  echo "no NVIDIA GPU present: nvidia-smi is not installed (the NVIDIA driver is missing or this machine has no GPU)"
  exit 0
fi
if ! gpus=$(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>&1) || [ -z "$gpus" ]; then
  echo "no NVIDIA GPU present: nvidia-smi found no device (${gpus:-no output})"
  exit 0
fi
echo "GPU: $gpus"

gpu_memory() {  # prints "used total" in MiB for the first GPU
  nvidia-smi --query-gpu=memory.used,memory.total --format=csv,noheader,nounits | head -1 | tr -d ','
}

measured() {  # LABEL COMMAND…: runs COMMAND within the step timeout and prints the GPU's peak memory while it ran
  local label=$1 baseline total used peak status=0
  shift
  echo "== $label: $*"
  read -r baseline total < <(gpu_memory)
  peak=$baseline
  timeout "$step_timeout" "$@" &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    read -r used _ < <(gpu_memory) || used=0
    if [ "${used:-0}" -gt "$peak" ]; then peak=$used; fi
    sleep 0.5
  done
  wait "$pid" || status=$?
  echo "== $label: exit $status, GPU memory peak $peak MiB of $total MiB (before it started: $baseline MiB)"
  return "$status"
}

first_failure=0
check() {  # COMMAND…: runs it, remembering the first failure for the exit status
  "$@" || { local status=$?; [ "$first_failure" -ne 0 ] || first_failure=$status; }
}

echo "== build (Release, -p:Gpu=true)"
timeout "$step_timeout" dotnet build tests/Pix2PixZero.Tests -c Release -p:Gpu=true -nologo -v q
cli=cli/bin/gpu/Release/net10.0/pix2pix-zero

PIX2PIXZERO_TEST_PROVIDER=cuda check measured "tiny-model parity tests on CUDA" \
  dotnet test tests/Pix2PixZero.Tests -c Release -p:Gpu=true --no-build --logger "console;verbosity=detailed" \
  --filter "FullyQualifiedName~TorchParityTests|FullyQualifiedName~MethodParityTests|FullyQualifiedName~BlipParityTests|FullyQualifiedName~PipelineSmokeTests|FullyQualifiedName~CudaOptionsTests|FullyQualifiedName~Fp16ParityTests"

work=${1:-}
if [ -z "$work" ]; then
  if ! /usr/bin/python3 -c "import torch, onnx, PIL" 2>/dev/null; then
    echo "== installing python3-torch python3-onnx python3-pil (tests/fixtures/generate_sd_scale.py needs them)"
    [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null \
      || { echo "error: install python3-torch python3-onnx python3-pil, or pass a folder generate_sd_scale.py wrote"; exit 2; }
    timeout "$step_timeout" apt-get install -y --no-install-recommends python3-torch python3-onnx python3-pil >/dev/null
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/pix2pix-zero-gpu-check.XXXXXX")
  echo "== full-size bundle into $work"
  timeout "$step_timeout" /usr/bin/python3 tests/fixtures/generate_sd_scale.py "$work"
  trap 'echo "full-size bundles kept in $work (scripts/gpu-check.sh $work takes them again)"' EXIT
fi

for variant in sd-scale sd-scale-fp16; do
  bundle=$work/$variant
  [ -d "$bundle" ] || { echo "error: $bundle does not exist; pass the folder generate_sd_scale.py wrote"; exit 2; }
  check measured "$variant bench guidance 512²" "$cli" bench guidance --model "$bundle" --size 512 --provider cuda
  check measured "$variant bench 512², 50 steps" "$cli" bench --model "$bundle" --size 512 --steps 50 --caption "$caption" \
    --provider cuda --directions "$work/directions" -o "$work/out"
done
exit "$first_failure"
