#!/usr/bin/env bash
# Makes this GPU-less machine able to BUILD Candle's `cuda` feature, for binaries that then run on
# the device machine (NVIDIA H100/H200, driver 580 = CUDA 13.0, no Rust toolchain there).
#
#   source .ci/cuda/setup.sh              # installs once (a few minutes), then only exports
#   cargo build --release --features cuda # or: cargo test --release --features cuda --no-run
#
# What it does: installs NVIDIA's CUDA 13.0.2 toolkit from PyPI (nvcc, headers, cuBLAS, cuRAND,
# cudart, NVRTC) into $INIT_CUDA_ROOT (default ~/.cache/init-cuda), adds unversioned .so symlinks
# and a link-only stub libcuda.so (the real one comes with the driver on the device machine), and
# exports PATH, CUDA_HOME, CUDA_COMPUTE_CAP=90 (Hopper: sm_90a), CUDARC_CUDA_VERSION=13000.
# Keep nvcc at 13.0: the device's CUDA 13.0 driver cannot load code from a newer nvcc.
# Candle's own kernels take ~8 minutes to compile the first time on 2 cores: build in the
# background and share one target directory.
set -u
INIT_CUDA_ROOT=${INIT_CUDA_ROOT:-$HOME/.cache/init-cuda}
_venv=$INIT_CUDA_ROOT/venv
if [ ! -x "$_venv/bin/python" ]; then python3 -m venv "$_venv" || return 1 2>/dev/null || exit 1; fi
if ! "$_venv/bin/python" -c "import nvidia" 2>/dev/null || [ ! -e "$INIT_CUDA_ROOT/.installed" ]; then
  "$_venv/bin/pip" install -q --disable-pip-version-check \
    "cuda-toolkit[nvcc,crt,nvvm,cccl,cudart,cublas,curand,nvrtc]==13.0.2" && touch "$INIT_CUDA_ROOT/.installed"
fi
CU=$("$_venv/bin/python" -c '
import os, nvidia
for p in nvidia.__path__:
    d = os.path.join(p, "cu13")
    if os.path.isfile(os.path.join(d, "bin", "nvcc")): print(d); break')
if [ -z "$CU" ]; then echo "setup.sh: nvcc not found after install" >&2; return 1 2>/dev/null || exit 1; fi
_stubs=$CU/lib/stubs
if [ ! -e "$_stubs/libcuda.so" ]; then
  mkdir -p "$_stubs"
  for l in cublas cublasLt cudart nvrtc; do ln -sf "../lib$l.so.13" "$_stubs/lib$l.so"; done
  ln -sf ../libcurand.so.10 "$_stubs/libcurand.so"
  # every driver symbol cuda.h declares plus those cudarc 0.19 links against (libcuda-symbols.txt)
  { echo '#include <cuda.h>' | gcc -E -I"$CU/include" - | grep -oE '\bcu[A-Z][A-Za-z0-9_]*[[:space:]]*\(' | tr -d ' (';
    cat "$(dirname "${BASH_SOURCE[0]}")/libcuda-symbols.txt"; } \
    | sort -u | awk '{print "void " $1 "(void) {}"}' > "$_stubs/libcuda_stub.c"
  gcc -shared -fPIC -O0 -Wl,-soname,libcuda.so.1 -o "$_stubs/libcuda.so" "$_stubs/libcuda_stub.c"
fi
export PATH=$CU/bin:$PATH CUDA_HOME=$CU CUDA_PATH=$CU CUDA_ROOT=$CU
export CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP:-90} CUDARC_CUDA_VERSION=13000 CUDAFORGE_THREADS=${CUDAFORGE_THREADS:-2}
echo "CUDA build env ready: $(nvcc --version | tail -1)"
