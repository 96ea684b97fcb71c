#!/usr/bin/env bash
# Builds native/ -> native/build/libovs_openvino_shim.so when OpenVINO (2025.x, with its CMake
# package) is on this machine. Without it, says what it looked for and exits 0, so the .NET
# build and tests go on (the OpenVINO engine then reports itself unavailable).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

candidates=()
[[ -n "${OpenVINO_DIR:-}" ]] && candidates+=("$OpenVINO_DIR")
[[ -n "${INTEL_OPENVINO_DIR:-}" ]] && candidates+=("$INTEL_OPENVINO_DIR/runtime/cmake")
for d in /opt/intel/openvino*/runtime/cmake /usr/lib/x86_64-linux-gnu/cmake/openvino* /usr/lib/cmake/openvino* /usr/local/runtime/cmake; do
  [[ -d "$d" ]] && candidates+=("$d")
done

found=""
for d in "${candidates[@]}"; do
  if [[ -f "$d/OpenVINOConfig.cmake" || -f "$d/openvino-config.cmake" ]]; then found="$d"; break; fi
done

if [[ -z "$found" ]]; then
  echo "native/build.sh: OpenVINO not found; looked for OpenVINOConfig.cmake in \$OpenVINO_DIR, \$INTEL_OPENVINO_DIR/runtime/cmake," \
       "/opt/intel/openvino*/runtime/cmake, /usr/lib/x86_64-linux-gnu/cmake/openvino*, /usr/lib/cmake/openvino*." \
       "Install OpenVINO 2025 (archive or Intel's apt repository) to build the shim; skipping."
  exit 0
fi
if ! command -v cmake >/dev/null; then
  echo "native/build.sh: OpenVINO found at $found but cmake is missing (apt-get install cmake g++)." >&2
  exit 1
fi

echo "native/build.sh: using OpenVINO at $found"
cmake -S "$here" -B "$here/build" -DCMAKE_BUILD_TYPE=Release -DOpenVINO_DIR="$found"
cmake --build "$here/build" --parallel
echo "native/build.sh: built $here/build/libovs_openvino_shim.so (set OVS_OPENVINO_SHIM to it, or copy it beside ovs)"
