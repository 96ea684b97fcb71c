#!/usr/bin/env bash
# native/build.sh [BUILD_DIR]: builds libovs_openvino_shim.so into BUILD_DIR (default native/build)
# against the first OpenVINO found, in this order:
#   $OVS_OPENVINO_DIR, $OpenVINO_DIR, a pip-installed openvino ($OVS_PYTHON, python3, /usr/bin/python3:
#   openvino.utils.get_cmake_path()),
#   $INTEL_OPENVINO_DIR, /opt/intel/openvino*, Intel's apt packages (/usr/lib/x86_64-linux-gnu/cmake/openvino*,
#   /usr/lib/cmake/openvino*).
# Each may name the CMake folder itself (OpenVINOConfig.cmake), a wheel's package folder (cmake/) or an
# archive's root (runtime/cmake/). `dotnet build` runs this (eng/OpenVino.targets); so can you.
# Silent when the shim is up to date. Without OpenVINO, or when the shim cannot be built, it says so in
# one line and exits 0, so the rest of the .NET build goes on (the OpenVINO engine then reports itself
# unavailable); with OVS_REQUIRE_OPENVINO=1 (CI) those cases fail instead.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$here/build}"
required="${OVS_REQUIRE_OPENVINO:-0}"

give_up() {
  # No stale shim from an earlier OpenVINO is left to be copied beside the binaries.
  rm -f "$build/libovs_openvino_shim.so"
  echo "OpenVINO engine not built: $1"
  [[ "$required" == "1" ]] && exit 1
  exit 0
}

# The CMake package folder under a candidate, or nothing.
cmake_dir_of() {
  local d="$1"
  for c in "$d" "$d/cmake" "$d/runtime/cmake"; do
    if [[ -f "$c/OpenVINOConfig.cmake" || -f "$c/openvino-config.cmake" ]]; then (cd "$c" && pwd); return 0; fi
  done
  return 1
}

found="" from=""
try() { # try <description> <dir>
  [[ -n "$found" || -z "$2" ]] && return
  local c
  if c="$(cmake_dir_of "$2")"; then found="$c"; from="$1"; fi
}

for var in OVS_OPENVINO_DIR OpenVINO_DIR; do
  value="${!var:-}"
  [[ -z "$value" || -n "$found" ]] && continue
  try "\$$var" "$value"
  # An explicit choice that is wrong is reported, not silently replaced by another install.
  [[ -z "$found" ]] && give_up "\$$var=$value holds no OpenVINOConfig.cmake (nor cmake/ or runtime/cmake/ below it)"
done
# The python3 on PATH first (a venv's), then the system's; OVS_PYTHON names another.
for py in ${OVS_PYTHON:-} python3 /usr/bin/python3; do
  [[ -n "$found" ]] && break
  command -v "$py" >/dev/null || continue
  pip_dir="$(timeout 30 "$py" -c 'import openvino.utils as u; print(u.get_cmake_path())' 2>/dev/null | tail -n 1)"
  try "the openvino package of $py" "$pip_dir"
done
try "\$INTEL_OPENVINO_DIR" "${INTEL_OPENVINO_DIR:-}"
for d in /opt/intel/openvino /opt/intel/openvino_* /usr/lib/x86_64-linux-gnu/cmake/openvino* /usr/lib/cmake/openvino*; do
  try "$d" "$d"
done

if [[ -z "$found" ]]; then
  give_up "no OpenVINO found (looked in \$OVS_OPENVINO_DIR, \$OpenVINO_DIR, python3's openvino package (pip), \$INTEL_OPENVINO_DIR, /opt/intel/openvino*, /usr/lib/x86_64-linux-gnu/cmake/openvino*); pip install openvino==2026.4.1, or set OVS_OPENVINO_DIR (docs/openvino.md)"
fi
for tool in cmake c++; do
  command -v "$tool" >/dev/null || give_up "OpenVINO found at $found but $tool is missing (apt-get install cmake g++)"
done

mkdir -p "$build"
exec 9>"$build/.lock"
flock 9 # two builds of one tree at once (parallel project builds) take turns
log="$build/build.log"
cached="$(sed -n 's/^OpenVINO_DIR:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null)"
if [[ "$cached" != "$found" ]]; then
  echo "OpenVINO engine: building the shim against $found (from $from)"
  rm -rf "$build/CMakeCache.txt" "$build/CMakeFiles"
  if ! cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DOpenVINO_DIR="$found" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    give_up "cmake could not configure native/ against $found (log: $log)"
  fi
fi
if ! cmake --build "$build" --parallel >>"$log" 2>&1; then
  tail -n 20 "$log" >&2
  give_up "the shim did not compile against $found (log: $log)"
fi
