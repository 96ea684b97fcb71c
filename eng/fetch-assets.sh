#!/usr/bin/env bash
# Fetches the example model the build needs, once, from the npm registry:
#   eng/fetch-assets.sh silero   Silero VAD v5 (MIT)      -> models/silero_vad/1/model.onnx
# ONNX Runtime is not fetched here: it comes from NuGet with the build (Microsoft.ML.OnnxRuntime).
# Idempotent and safe to run from parallel builds (flock).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$root/.native"
exec 9>"$root/.native/.fetch.lock"
flock 9

need_npm() {
  command -v npm >/dev/null 2>&1 || {
    echo "fetch-assets: npm is needed to fetch $1 (apt-get install -y npm), or place the file yourself" >&2
    exit 1
  }
}

# npm_extract PACKAGE@VERSION PATH_IN_PACKAGE DEST [WHAT]
# WHAT ("Silero VAD v5, about 5 MB: the example model") is said before the
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
  silero)
    dest="$root/models/silero_vad/1/model.onnx"
    [ -s "$dest" ] || npm_extract @ricky0123/vad-web@0.0.31 dist/silero_vad_v5.onnx "$dest" \
      "Silero VAD v5, about 5 MB (2.3 MB kept): the example model models/silero_vad serves"
    ;;
  *)
    echo "usage: eng/fetch-assets.sh silero" >&2; exit 2 ;;
esac
