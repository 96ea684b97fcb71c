#!/usr/bin/env bash
# Fetches the native pieces and models the build needs, once, from the npm registry.
#   eng/fetch-assets.sh ort      ONNX Runtime CPU 1.30.0  -> .native/onnxruntime-1.30.0/libonnxruntime.so.1
#   eng/fetch-assets.sh silero   Silero VAD v5 (MIT)      -> models/silero_vad/1/model.onnx
#   eng/fetch-assets.sh gpu      ONNX Runtime GPU 1.29    -> .native/onnxruntime-gpu-1.29/ (opt-in, CUDA 12 + cuDNN 9)
# Idempotent and safe to run from parallel builds (flock). Nothing is fetched for `ort`
# when OVS_ORT_LIBRARY names a library already.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$root/.native"
exec 9>"$root/.native/.fetch.lock"
flock 9

need_npm() {
  command -v npm >/dev/null 2>&1 || {
    echo "fetch-assets: npm is needed to fetch $1 (apt-get install -y npm), or set OVS_ORT_LIBRARY to an existing libonnxruntime.so" >&2
    exit 1
  }
}

# npm_extract PACKAGE@VERSION PATH_IN_PACKAGE DEST [WHAT]
# WHAT ("ONNX Runtime CPU 1.30.0, about 108 MB: runs the ONNX models") is said before the
# download, so a first build that sits on it says what it waits for.
npm_extract() {
  local spec="$1" inner="$2" dest="$3" what="${4:-}" tmp
  need_npm "$spec"
  [ -n "$what" ] && echo "fetch-assets: downloading $what (npm $spec, once, into ${dest#"$root"/})"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null) || {
    echo "fetch-assets: 'npm pack $spec' failed; check the npm registry is reachable, or place the file at $dest yourself" >&2
    exit 1
  }
  tar -xzf "$tmp"/*.tgz -C "$tmp" "package/$inner"
  mkdir -p "$(dirname "$dest")"
  mv "$tmp/package/$inner" "$dest.part" && mv "$dest.part" "$dest"
  echo "fetch-assets: $spec:$inner -> ${dest#"$root"/} ($(du -h "$dest" | cut -f1))"
}

case "${1:-}" in
  ort)
    if [ -n "${OVS_ORT_LIBRARY:-}" ]; then exit 0; fi
    dest="$root/.native/onnxruntime-1.30.0/libonnxruntime.so.1"
    [ -s "$dest" ] || npm_extract onnxruntime-node@1.30.0 bin/napi-v6/linux/x64/libonnxruntime.so.1 "$dest" \
      "ONNX Runtime CPU 1.30.0, about 108 MB (45 MB kept): the engine that runs ONNX models; set OVS_ORT_LIBRARY to use your own"
    ;;
  silero)
    dest="$root/models/silero_vad/1/model.onnx"
    [ -s "$dest" ] || npm_extract @ricky0123/vad-web@0.0.31 dist/silero_vad_v5.onnx "$dest" \
      "Silero VAD v5, about 5 MB (2.3 MB kept): the example model models/silero_vad serves"
    ;;
  gpu)
    dir="$root/.native/onnxruntime-gpu-1.29"
    [ -s "$dir/libonnxruntime.so" ] || npm_extract com.github.asus4.onnxruntime@0.4.9 Plugins/Linux/x64/libonnxruntime.so "$dir/libonnxruntime.so"
    [ -s "$dir/libonnxruntime_providers_shared.so" ] || npm_extract com.github.asus4.onnxruntime@0.4.9 Plugins/Linux/x64/libonnxruntime_providers_shared.so "$dir/libonnxruntime_providers_shared.so"
    [ -s "$dir/libonnxruntime_providers_cuda.so" ] || npm_extract com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 Plugins/Linux/x64/libonnxruntime_providers_cuda.so "$dir/libonnxruntime_providers_cuda.so"
    echo "fetch-assets: GPU build ready; export OVS_ORT_LIBRARY=$dir/libonnxruntime.so"
    ;;
  *)
    echo "usage: eng/fetch-assets.sh ort|silero|gpu" >&2; exit 2 ;;
esac
