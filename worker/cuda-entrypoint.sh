#!/bin/sh
# Starts the GPU worker with CUDA 13's forward-compatibility libraries on the library path when, and only when, the
# host's NVIDIA driver predates CUDA 13 (its 580 series): a compatibility libcuda older than the host's driver would
# break it. Without a driver (a CPU machine) nothing changes, and Pix2PixZero__RequireGpu stops the worker with a
# reason.
#   cuda-entrypoint.sh COMMAND [ARGS...]
# NVIDIA_DRIVER_VERSION_FILE (default /proc/driver/nvidia/version) and CUDA_COMPAT_DIR (set by worker/Dockerfile)
# locate the driver's version and the compatibility libraries.
set -eu

version_file=${NVIDIA_DRIVER_VERSION_FILE:-/proc/driver/nvidia/version}
compat=${CUDA_COMPAT_DIR:-/usr/local/cuda-13.0/compat}
first_cuda13_driver=580

if [ -r "$version_file" ]; then
  # "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 …"
  driver=$(sed -n 's/.*Kernel Module[^0-9]*\([0-9][0-9.]*\).*/\1/p' "$version_file" | head -n 1)
  major=${driver%%.*}
  case "$major" in
    '' | *[!0-9]*)
      echo "cuda-entrypoint: no driver version in $version_file; starting unchanged" >&2
      ;;
    *)
      if [ "$major" -lt "$first_cuda13_driver" ]; then
        if [ -d "$compat" ]; then
          echo "cuda-entrypoint: NVIDIA driver $driver predates CUDA 13; using $compat" >&2
          LD_LIBRARY_PATH="$compat${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
          export LD_LIBRARY_PATH
        else
          echo "cuda-entrypoint: NVIDIA driver $driver predates CUDA 13 and $compat is missing" >&2
        fi
      fi
      ;;
  esac
fi
exec "$@"
