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

CACHE_DIR=${1:-${UNMASK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/unmask}/native-engine}
PROJECT_DIR=${2:-$(cd "$(dirname "$0")/.." && pwd)}
TF_VERSION=${TF_VERSION:-2.15.1}
TFJS_NODE_VERSION=${TFJS_NODE_VERSION:-4.22.0}
PYTHON=${PYTHON:-python3}

log() { printf '[setup-native-engine] %s\n' "$*" >&2; }

case "$(uname -m)" in
  x86_64)  TF_PIP_PACKAGE=${TF_PIP_PACKAGE:-tensorflow-cpu} ;;
  aarch64) TF_PIP_PACKAGE=${TF_PIP_PACKAGE:-tensorflow} ;;
  *) log "unsupported arch $(uname -m)"; exit 1 ;;
esac
# Accept manylinux wheels for glibc 2.17 .. host glibc (newer TF uses manylinux_2_27+).
GLIBC_MINOR=$(getconf GNU_LIBC_VERSION | sed -E 's/.*2\.([0-9]+).*/\1/')
PLAT_ARGS=()
for ((m = 17; m <= GLIBC_MINOR; m++)); do PLAT_ARGS+=(--platform "manylinux_2_${m}_$(uname -m)"); done

mkdir -p "$CACHE_DIR" "$PROJECT_DIR"
CACHE_DIR=$(cd "$CACHE_DIR" && pwd)
PROJECT_DIR=$(cd "$PROJECT_DIR" && pwd)
WHEEL_DIR="$CACHE_DIR/wheels"
TF_DIR="$CACHE_DIR/libtensorflow-$TF_PIP_PACKAGE-$TF_VERSION-$(uname -m)"

# ---- 1. wheel -------------------------------------------------------------
wheel_glob() { ls "$WHEEL_DIR"/"${TF_PIP_PACKAGE//-/_}"-"$TF_VERSION"-*.whl 2>/dev/null | head -n1 || true; }
WHEEL=$(wheel_glob)
if [[ ! -f "$TF_DIR/.complete" && -z "$WHEEL" ]]; then
  log "downloading $TF_PIP_PACKAGE==$TF_VERSION wheel from PyPI"
  mkdir -p "$WHEEL_DIR"
  # The python tag only selects a wheel file; we use its C libraries, not Python.
  "$PYTHON" -m pip download --quiet --no-cache-dir --no-deps --only-binary=:all: \
    "${PLAT_ARGS[@]}" --python-version 3.11 --implementation cp \
    -d "$WHEEL_DIR" "$TF_PIP_PACKAGE==$TF_VERSION"
  WHEEL=$(wheel_glob)
  [[ -n "$WHEEL" ]] || { log "wheel download failed"; exit 1; }
fi

# ---- 2. extract only the shared libs + C API headers ----------------------
if [[ ! -f "$TF_DIR/.complete" ]]; then
  log "extracting libtensorflow from $(basename "$WHEEL")"
  rm -rf "$TF_DIR.tmp" && mkdir -p "$TF_DIR.tmp"
  "$PYTHON" - "$WHEEL" "$TF_DIR.tmp" <<'PY'
import os, re, shutil, sys, zipfile
whl, out = sys.argv[1], sys.argv[2]
libs = {'tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'}
hdr = re.compile(r'^tensorflow/include/('
                 r'tensorflow/c/.*\.h|tsl/c/.*\.h|xla/tsl/c/.*\.h|'
                 r'(tensorflow/core|tensorflow/tsl|tsl|xla/tsl)/platform/ctstring.*\.h)$')
found = set()
with zipfile.ZipFile(whl) as z:
    for info in z.infolist():
        n = info.filename
        if n in libs:
            dst = os.path.join(out, 'lib', os.path.basename(n))
        elif hdr.match(n):
            dst = os.path.join(out, 'include', n[len('tensorflow/include/'):])
        else:
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with z.open(info) as src, open(dst, 'wb') as f:
            shutil.copyfileobj(src, f, 1 << 20)
        if n in libs:
            os.chmod(dst, 0o755)
        found.add(n)
missing = libs - found
if missing:
    sys.exit('missing in wheel: %s' % sorted(missing))
PY
  ln -sf libtensorflow_cc.so.2 "$TF_DIR.tmp/lib/libtensorflow.so"
  ln -sf libtensorflow_framework.so.2 "$TF_DIR.tmp/lib/libtensorflow_framework.so"
  touch "$TF_DIR.tmp/.complete"
  rm -rf "$TF_DIR" && mv "$TF_DIR.tmp" "$TF_DIR"
  # The wheel is no longer needed once extracted.
  rm -f "$WHEEL"
fi

# ---- 3. tfjs-node package (an optional dependency, installed with its download script denied) -------
PKG="$PROJECT_DIR/node_modules/@tensorflow/tfjs-node"
have_ver=$(node -p "try{require('$PKG/package.json').version}catch(e){''}" 2>/dev/null || true)
if [[ "$have_ver" != "$TFJS_NODE_VERSION" ]]; then
  log "@tensorflow/tfjs-node@$TFJS_NODE_VERSION is not installed in $PROJECT_DIR: run 'npm ci' first (it is an optional dependency)"
  exit 1
fi

# ---- 4. lay out deps/ as binding.gyp expects ------------------------------
STAMP="$PKG/deps/.source"
SOURCE_ID="$TF_PIP_PACKAGE-$TF_VERSION"
if [[ "$(cat "$STAMP" 2>/dev/null || true)" != "$SOURCE_ID" ]]; then
  log "populating $PKG/deps from $TF_DIR"
  rm -rf "$PKG/deps" && mkdir -p "$PKG/deps/lib"
  for f in libtensorflow_cc.so.2 libtensorflow_framework.so.2; do
    # hard link when on the same filesystem (no extra disk), copy otherwise
    ln -f "$TF_DIR/lib/$f" "$PKG/deps/lib/$f" 2>/dev/null || cp -f "$TF_DIR/lib/$f" "$PKG/deps/lib/$f"
  done
  ln -sf libtensorflow_cc.so.2 "$PKG/deps/lib/libtensorflow.so"
  ln -sf libtensorflow_framework.so.2 "$PKG/deps/lib/libtensorflow_framework.so"
  cp -R "$TF_DIR/include" "$PKG/deps/include"
  echo "$SOURCE_ID" > "$STAMP"
  rm -rf "$PKG/lib" "$PKG/build"   # force addon rebuild against new libs
fi

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
if [[ "${FORCE_REBUILD:-0}" == 1 ]] || ! ls "$PKG"/lib/napi-v*/tfjs_binding.node >/dev/null 2>&1 || ! verify >/dev/null 2>&1; then
  log "building tfjs_binding.node from source"
  if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node_api.h ]]; then
    export npm_config_nodedir=/usr   # use local headers; no header download
  fi
  PRE_GYP=$(cd "$PKG" && node -p "require.resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp')")
  (cd "$PKG" && node "$PRE_GYP" install --build-from-source >&2)
  rm -rf "$PKG/build/Release/obj.target" "$PKG/build/Release/.deps"
fi

# ---- 6. verify ---------------------------------------------------------------
verify
