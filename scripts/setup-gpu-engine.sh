#!/usr/bin/env bash
# Sets up the optional CUDA engine: builds @tensorflow/tfjs-node-gpu's addon against the libtensorflow shared
# libraries + C API headers of PyPI's `tensorflow` wheel (Linux x86_64, built with CUDA 12) and the NVIDIA
# CUDA/cuDNN runtime wheels that the wheel's `and-cuda` extra names, all from PyPI. A machine with just an NVIDIA
# driver then needs no system CUDA/cuDNN and no LD_LIBRARY_PATH. It builds and loads on a machine without a GPU too
# (the engine is then refused at start-up: "no CUDA device is visible").
#
# Usage: setup-gpu-engine.sh [CACHE_DIR] [PROJECT_DIR]   (npm run setup:gpu-engine)
#   CACHE_DIR    where the extracted libraries are kept (default: $UNMASK_CACHE_DIR or ~/.cache/unmask, + gpu-engine)
#   PROJECT_DIR  node project that has @tensorflow/tfjs-node-gpu (default: this checkout)
# Env overrides:
#   TF_VERSION (default 2.15.1, as the native engine), TFJS_NODE_VERSION (default 4.22.0),
#   CUDA_WHEELS_SKIP (default "nvidia-cuda-nvcc-cu12 nvidia-nccl-cu12", see below),
#   PYTHON (default python3), FORCE_REBUILD=1 to rebuild the addon.
# Idempotent: every step is skipped when its result is already in place; wheels are deleted once extracted.
#
# Where the libraries are found at run time (all relative, so the folder can move):
#   addon  -> RUNPATH $ORIGIN/../../deps/lib (libtensorflow) and $ORIGIN/../../deps/nvidia/<lib>/lib (each CUDA lib)
#   libtensorflow dlopen()s CUDA itself, searching its own RUNPATH, which the wheel sets to $ORIGIN/../nvidia/<lib>/lib:
#   deps/nvidia/ (hard links into the cache) is laid out so that it resolves from deps/lib.
set -euo pipefail
. "$(dirname "$0")/lib/tf-engine.sh"

CACHE_DIR=${1:-${UNMASK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/unmask}/gpu-engine}
PROJECT_DIR=${2:-$(cd "$(dirname "$0")/.." && pwd)}
TF_VERSION=${TF_VERSION:-2.15.1}
TFJS_NODE_VERSION=${TFJS_NODE_VERSION:-4.22.0}
PYTHON=${PYTHON:-python3}
# nvcc brings ptxas/libdevice for XLA's JIT, which tfjs's eager ops never use; NCCL (multi-GPU collectives) is
# compiled into libtensorflow_cc itself. Neither is loaded by this engine: not downloaded (~190 MB).
CUDA_WHEELS_SKIP=${CUDA_WHEELS_SKIP-nvidia-cuda-nvcc-cu12 nvidia-nccl-cu12}
LOG_TAG=setup-gpu-engine
TF_PIP_PACKAGE=tensorflow

if [[ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]]; then
  log "the CUDA wheels on PyPI are for Linux x86_64; this is $(uname -s) $(uname -m)"
  exit 1
fi

mkdir -p "$CACHE_DIR" "$PROJECT_DIR"
CACHE_DIR=$(cd "$CACHE_DIR" && pwd)
PROJECT_DIR=$(cd "$PROJECT_DIR" && pwd)
WHEEL_DIR="$CACHE_DIR/wheels"
TF_DIR="$CACHE_DIR/libtensorflow-$TF_PIP_PACKAGE-$TF_VERSION-x86_64"
NV_DIR="$CACHE_DIR/cuda-for-tensorflow-$TF_VERSION"
PKG="$PROJECT_DIR/node_modules/@tensorflow/tfjs-node-gpu"

# ---- 1. tensorflow wheel: its and-cuda list, then libtensorflow + C API headers -----------------------
if [[ ! -f "$TF_DIR/.complete" || ! -f "$NV_DIR/and-cuda.txt" ]]; then
  tfe_download_wheel "$WHEEL_DIR" "$TF_PIP_PACKAGE" "$TF_VERSION"
  WHEEL=$(tfe_wheel_path "$WHEEL_DIR" "$TF_PIP_PACKAGE" "$TF_VERSION")
  mkdir -p "$NV_DIR"
  # "Requires-Dist: nvidia-cudnn-cu12 (==8.9.4.25) ; extra == 'and-cuda'" -> "nvidia-cudnn-cu12 8.9.4.25"
  "$PYTHON" - "$WHEEL" > "$NV_DIR/and-cuda.txt.tmp" <<'PY'
import re, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    meta = next(n for n in z.namelist() if n.endswith('.dist-info/METADATA'))
    for line in z.read(meta).decode().splitlines():
        m = re.match(r'Requires-Dist: (nvidia-[\w-]+) \(?==([\w.]+)\)? ?; extra == .and-cuda.', line)
        if m:
            print(m.group(1), m.group(2))
PY
  [[ -s "$NV_DIR/and-cuda.txt.tmp" ]] || { log "no and-cuda requirements in $(basename "$WHEEL")"; exit 1; }
  mv "$NV_DIR/and-cuda.txt.tmp" "$NV_DIR/and-cuda.txt"
  [[ -f "$TF_DIR/.complete" ]] || tfe_extract_libtensorflow "$WHEEL" "$TF_DIR"
  rm -f "$WHEEL"
fi

# ---- 2. the CUDA/cuDNN runtime wheels: only their shared libraries, as nvidia/<lib>/lib/ -------------------
CUDA_LIBS=()
while read -r dist version; do
  if [[ " $CUDA_WHEELS_SKIP " == *" $dist "* ]]; then continue; fi
  stamp="$NV_DIR/.done-$dist-$version"
  if [[ ! -f "$stamp" ]]; then
    tfe_download_wheel "$WHEEL_DIR" "$dist" "$version"
    wheel=$(tfe_wheel_path "$WHEEL_DIR" "$dist" "$version")
    log "extracting $(basename "$wheel")"
    "$PYTHON" - "$wheel" "$NV_DIR" <<'PY'
import os, re, shutil, sys, zipfile
whl, out = sys.argv[1], sys.argv[2]
lib = re.compile(r'^nvidia/\w+/lib/[^/]+\.so(\.\d+)*$')   # shared libraries only: no headers, static libs, bins
n = 0
with zipfile.ZipFile(whl) as z:
    for info in z.infolist():
        if not lib.match(info.filename):
            continue
        dst = os.path.join(out, info.filename)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with z.open(info) as src, open(dst + '.tmp', 'wb') as f:
            shutil.copyfileobj(src, f, 1 << 20)
        os.chmod(dst + '.tmp', 0o755)
        os.replace(dst + '.tmp', dst)
        n += 1
if n == 0:
    sys.exit('no shared libraries in ' + os.path.basename(whl))
PY
    rm -f "$wheel"
    touch "$stamp"
  fi
  # dist nvidia-cuda-runtime-cu12 -> folder nvidia/cuda_runtime
  dir=${dist#nvidia-}; dir=${dir%-cu12}; CUDA_LIBS+=("${dir//-/_}")
done < "$NV_DIR/and-cuda.txt"
for dir in "${CUDA_LIBS[@]}"; do
  [[ -d "$NV_DIR/nvidia/$dir/lib" ]] || { log "expected $NV_DIR/nvidia/$dir/lib"; exit 1; }
done

# ---- 3. tfjs-node-gpu package -------------------------------------------------
tfe_require_package "$PKG" "$TFJS_NODE_VERSION"

# ---- 4. deps/: libtensorflow as binding.gyp expects, the CUDA libraries beside it ---------------------------
SOURCE_ID="$TF_PIP_PACKAGE-$TF_VERSION+$(cat "$NV_DIR"/and-cuda.txt | tr ' \n' '=,')-skip:${CUDA_WHEELS_SKIP// /,}"
if [[ "$(cat "$PKG/deps/.source" 2>/dev/null || true)" != "$SOURCE_ID" ]]; then
  tfe_populate_deps "$PKG" "$TF_DIR" "$SOURCE_ID"
  rm -rf "$PKG/deps/nvidia"
fi
[[ -d "$PKG/deps/nvidia" ]] || tfe_link_tree "$NV_DIR/nvidia" "$PKG/deps/nvidia"   # also after an interrupted run

# ---- 5. build the addon, its RUNPATH naming libtensorflow and every CUDA library folder ----------------------
verify() {
  (cd "$PROJECT_DIR" && TF_CPP_MIN_LOG_LEVEL=2 node -e "
    const tf = require('@tensorflow/tfjs-node-gpu');
    if (tf.getBackend() !== 'tensorflow') throw new Error('backend is ' + tf.getBackend());
    const x = tf.ones([1, 5, 5, 1]), f = tf.ones([3, 3, 1, 1]);
    const g = tf.grad(ff => tf.conv2d(x, ff, 1, 'valid').sum())(f).dataSync();
    if (g[0] !== 9) throw new Error('unexpected conv2d filter grad ' + g[0]);
    const gpu = tf.backend().isUsingGpuDevice;
    console.log('tfjs-node-gpu ' + tf.version['tfjs-node'] + ' OK, backend=' + tf.getBackend() +
                ', libtensorflow ' + tf.backend().binding.TF_Version + ', CUDA device in use: ' + gpu +
                (gpu ? '' : ' (no CUDA device is visible; ran on the CPU)'));
  ")
}
if [[ "${FORCE_REBUILD:-0}" == 1 || -z "$(tfe_addon_path "$PKG")" ]] || ! verify >/dev/null 2>&1; then
  # gyp's Makefiles add $LDFLAGS to the link line; \$$ survives make and the shell as a literal $ORIGIN.
  LDFLAGS="${LDFLAGS:-}"
  for dir in "${CUDA_LIBS[@]}"; do LDFLAGS+=" -Wl,-rpath,\\\$\$ORIGIN/../../deps/nvidia/$dir/lib"; done
  export LDFLAGS
  tfe_build_addon "$PKG"
fi
RUNPATH=$(readelf -d "$(tfe_addon_path "$PKG")" 2>/dev/null | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p' || true)
for dir in "${CUDA_LIBS[@]}"; do
  [[ -z "$RUNPATH" || ":$RUNPATH:" == *":\$ORIGIN/../../deps/nvidia/$dir/lib:"* ]] || { log "RUNPATH lacks $dir: $RUNPATH"; exit 1; }
done

# Each CUDA library's own dependencies resolve through its RUNPATH (NVIDIA sets $ORIGIN/../../<lib>/lib), with no
# LD_LIBRARY_PATH; and every folder libtensorflow's RUNPATH names from deps/lib (../nvidia/<lib>/lib) is there.
if command -v ldd >/dev/null; then
  for f in "$PKG"/deps/nvidia/*/lib/*.so*; do
    if env -u LD_LIBRARY_PATH ldd "$f" 2>&1 | grep -q 'not found'; then
      log "$f: $(env -u LD_LIBRARY_PATH ldd "$f" | grep 'not found' | tr -s ' \t\n' ' ')"; exit 1
    fi
  done
fi
for d in $(readelf -d "$PKG/deps/lib/libtensorflow_framework.so.2" 2>/dev/null | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p' | tr ':' '\n' | grep '^\$ORIGIN/\.\./nvidia/'); do
  [[ -d "$PKG/deps/lib/${d#\$ORIGIN/}" ]] || { log "libtensorflow looks for CUDA in deps/lib/${d#\$ORIGIN/}, which is missing"; exit 1; }
done

# ---- 6. verify -------------------------------------------------------------------
log "$(du -sh "$TF_DIR" | cut -f1) libtensorflow, $(du -sh "$NV_DIR" | cut -f1) CUDA libraries in $CACHE_DIR"
verify
