#!/usr/bin/env bash
# Sets up the optional native engine: builds @tensorflow/tfjs-node's addon against the libtensorflow shared
# libraries + C API headers shipped inside the tensorflow(-cpu) wheel on PyPI.
# No access to storage.googleapis.com is needed (only npm registry + PyPI).
#
# Usage: setup-native-engine.sh [CACHE_DIR] [PROJECT_DIR]   (npm run setup:native-engine)
#   CACHE_DIR    where the extracted libtensorflow is kept (default: $UNMASK_CACHE_DIR or ~/.cache/unmask)
#   PROJECT_DIR  node project that has / gets @tensorflow/tfjs-node (default: $PWD)
# Env overrides:
#   TF_VERSION (default 2.15.1), TFJS_NODE_VERSION (default 4.22.0),
#   TF_PIP_PACKAGE (default tensorflow-cpu on x86_64, tensorflow on aarch64),
#   PYTHON (default python3), FORCE_REBUILD=1 to rebuild the addon.
# Idempotent: every step is skipped when its result is already in place.
# The addon finds libtensorflow through its RUNPATH ($ORIGIN/../../deps/lib),
# so no LD_LIBRARY_PATH is needed at runtime.
set -euo pipefail
. "$(dirname "$0")/lib/tf-engine.sh"

CACHE_DIR=${1:-${UNMASK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/unmask}/native-engine}
PROJECT_DIR=${2:-$(cd "$(dirname "$0")/.." && pwd)}
TF_VERSION=${TF_VERSION:-2.15.1}
TFJS_NODE_VERSION=${TFJS_NODE_VERSION:-4.22.0}
PYTHON=${PYTHON:-python3}
LOG_TAG=setup-native-engine

case "$(uname -m)" in
  x86_64)  TF_PIP_PACKAGE=${TF_PIP_PACKAGE:-tensorflow-cpu} ;;
  aarch64) TF_PIP_PACKAGE=${TF_PIP_PACKAGE:-tensorflow} ;;
  *) log "unsupported arch $(uname -m)"; exit 1 ;;
esac

mkdir -p "$CACHE_DIR" "$PROJECT_DIR"
CACHE_DIR=$(cd "$CACHE_DIR" && pwd)
PROJECT_DIR=$(cd "$PROJECT_DIR" && pwd)
WHEEL_DIR="$CACHE_DIR/wheels"
TF_DIR="$CACHE_DIR/libtensorflow-$TF_PIP_PACKAGE-$TF_VERSION-$(uname -m)"
PKG="$PROJECT_DIR/node_modules/@tensorflow/tfjs-node"

# ---- 1-2. wheel, then only its shared libs + C API headers (the wheel is no longer needed once extracted) ----
if [[ ! -f "$TF_DIR/.complete" ]]; then
  tfe_download_wheel "$WHEEL_DIR" "$TF_PIP_PACKAGE" "$TF_VERSION"
  WHEEL=$(tfe_wheel_path "$WHEEL_DIR" "$TF_PIP_PACKAGE" "$TF_VERSION")
  tfe_extract_libtensorflow "$WHEEL" "$TF_DIR"
  rm -f "$WHEEL"
fi

# ---- 3. tfjs-node package ---------------------------------------------------
tfe_require_package "$PKG" "$TFJS_NODE_VERSION"

# ---- 4. lay out deps/ as binding.gyp expects ------------------------------
tfe_populate_deps "$PKG" "$TF_DIR" "$TF_PIP_PACKAGE-$TF_VERSION"

# ---- 5. build the addon ----------------------------------------------------
verify() {
  (cd "$PROJECT_DIR" && TF_CPP_MIN_LOG_LEVEL=2 node -e "
    const tf = require('@tensorflow/tfjs-node');
    if (tf.getBackend() !== 'tensorflow') throw new Error('backend is ' + tf.getBackend());
    const x = tf.ones([1, 5, 5, 1]), f = tf.ones([3, 3, 1, 1]);
    const g = tf.grad(ff => tf.conv2d(x, ff, 1, 'valid').sum())(f).dataSync();
    if (g[0] !== 9) throw new Error('unexpected conv2d filter grad ' + g[0]);
    console.log('tfjs-node ' + tf.version['tfjs-node'] + ' OK, backend=' + tf.getBackend() +
                ', libtensorflow ' + tf.backend().binding.TF_Version);
  ")
}
if [[ "${FORCE_REBUILD:-0}" == 1 || -z "$(tfe_addon_path "$PKG")" ]] || ! verify >/dev/null 2>&1; then
  tfe_build_addon "$PKG"
fi

# ---- 6. verify ---------------------------------------------------------------
verify
