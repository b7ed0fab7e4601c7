# Shared steps of the engine set-up scripts (setup-native-engine.sh, setup-gpu-engine.sh): fetch a wheel from
# PyPI, extract libtensorflow and its C API headers from it, lay out a tfjs-node package's deps/ and build its addon.
# Sourced, not run. The caller sets LOG_TAG, PYTHON and PROJECT_DIR before calling these functions.

log() { printf '[%s] %s\n' "${LOG_TAG:-setup-engine}" "$*" >&2; }

# Accept manylinux wheels for glibc 2.5 .. host glibc (newer TF uses manylinux_2_27+; NVIDIA's CUDA 12.2 wheels
# are still manylinux1); sets PLAT_ARGS.
tfe_platform_args() {
  local glibc_minor m
  glibc_minor=$(getconf GNU_LIBC_VERSION | sed -E 's/.*2\.([0-9]+).*/\1/')
  PLAT_ARGS=(--platform "manylinux1_$(uname -m)" --platform "manylinux2010_$(uname -m)")
  for ((m = 17; m <= glibc_minor; m++)); do PLAT_ARGS+=(--platform "manylinux_2_${m}_$(uname -m)"); done
}

# tfe_wheel_path DIR DIST VERSION: the downloaded wheel of DIST==VERSION in DIR, or nothing.
tfe_wheel_path() {
  ls "$1"/"${2//-/_}"-"$3"-*.whl 2>/dev/null | head -n1 || true
}

# tfe_download_wheel DIR DIST VERSION: puts DIST==VERSION's wheel (no dependencies) in DIR unless it is there.
# The python tag only selects a wheel file; we use its C libraries, not Python.
tfe_download_wheel() {
  local dir=$1 dist=$2 version=$3
  [[ -n "$(tfe_wheel_path "$dir" "$dist" "$version")" ]] && return 0
  log "downloading $dist==$version from PyPI"
  mkdir -p "$dir"
  [[ -n "${PLAT_ARGS+set}" ]] || tfe_platform_args
  "$PYTHON" -m pip download --quiet --no-cache-dir --no-deps --only-binary=:all: \
    "${PLAT_ARGS[@]}" --python-version 3.11 --implementation cp \
    -d "$dir" "$dist==$version"
  [[ -n "$(tfe_wheel_path "$dir" "$dist" "$version")" ]] || { log "$dist==$version: wheel download failed"; return 1; }
}

# tfe_extract_libtensorflow WHEEL OUT_DIR: OUT_DIR/{lib,include} from a tensorflow(-cpu) wheel, then .complete.
tfe_extract_libtensorflow() {
  local wheel=$1 out=$2
  log "extracting libtensorflow from $(basename "$wheel")"
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  "$PYTHON" - "$wheel" "$out.tmp" <<'PY'
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
  ln -sf libtensorflow_cc.so.2 "$out.tmp/lib/libtensorflow.so"
  ln -sf libtensorflow_framework.so.2 "$out.tmp/lib/libtensorflow_framework.so"
  touch "$out.tmp/.complete"
  rm -rf "$out" && mv "$out.tmp" "$out"
}

# tfe_require_package PKG_DIR VERSION: the tfjs-node(-gpu) package must be installed (an optional dependency,
# installed with its download script denied).
tfe_require_package() {
  local pkg=$1 want=$2 have
  have=$(node -p "try{require('$pkg/package.json').version}catch(e){''}" 2>/dev/null || true)
  if [[ "$have" != "$want" ]]; then
    log "$(basename "$(dirname "$pkg")")/$(basename "$pkg")@$want is not installed in $PROJECT_DIR: run 'npm ci' first (it is an optional dependency)"
    return 1
  fi
}

# tfe_link_tree SRC DST: DST as a copy of SRC made of hard links when on the same filesystem (no extra disk);
# DST appears whole or not at all.
tfe_link_tree() {
  rm -rf "$2.tmp"
  cp -al "$1" "$2.tmp" 2>/dev/null || { rm -rf "$2.tmp"; cp -a "$1" "$2.tmp"; }
  rm -rf "$2" && mv "$2.tmp" "$2"
}

# tfe_populate_deps PKG_DIR TF_DIR SOURCE_ID: PKG_DIR/deps/{lib,include} as binding.gyp expects, from TF_DIR.
# Leaves deps/ alone when it already holds SOURCE_ID.
tfe_populate_deps() {
  local pkg=$1 tf=$2 source_id=$3 f
  [[ "$(cat "$pkg/deps/.source" 2>/dev/null || true)" != "$source_id" ]] || return 0
  log "populating $pkg/deps from $tf"
  rm -rf "$pkg/deps" && mkdir -p "$pkg/deps/lib"
  for f in libtensorflow_cc.so.2 libtensorflow_framework.so.2; do
    ln -f "$tf/lib/$f" "$pkg/deps/lib/$f" 2>/dev/null || cp -f "$tf/lib/$f" "$pkg/deps/lib/$f"
  done
  ln -sf libtensorflow_cc.so.2 "$pkg/deps/lib/libtensorflow.so"
  ln -sf libtensorflow_framework.so.2 "$pkg/deps/lib/libtensorflow_framework.so"
  cp -R "$tf/include" "$pkg/deps/include"
  echo "$source_id" > "$pkg/deps/.source"
  rm -rf "$pkg/lib" "$pkg/build"   # force an addon rebuild against the new libraries
}

# tfe_build_addon PKG_DIR: compiles tfjs_binding.node from source (node-pre-gyp, no binary download). Extra link
# flags come from LDFLAGS (gyp's Makefiles read it); binding.gyp itself sets RUNPATH $ORIGIN/../../deps/lib.
tfe_build_addon() {
  local pkg=$1 pre_gyp
  log "building $(basename "$pkg")'s tfjs_binding.node from source"
  if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node_api.h ]]; then
    export npm_config_nodedir=/usr   # use local headers; no header download
  fi
  pre_gyp=$(cd "$pkg" && node -p "require.resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp')")
  (cd "$pkg" && node "$pre_gyp" install --build-from-source >&2)
  rm -rf "$pkg/build/Release/obj.target" "$pkg/build/Release/.deps"
}

# tfe_addon_path PKG_DIR: the built addon, or nothing.
tfe_addon_path() {
  ls "$1"/lib/napi-v*/tfjs_binding.node 2>/dev/null | head -n1 || true
}
