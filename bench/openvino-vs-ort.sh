#!/usr/bin/env bash
# OpenVINO vs ONNX Runtime through `ovs compare` (in process: the real batcher and engines, the
# same seeded sequences, the same threads), on Silero VAD v6 (as served: 512 new samples + the
# 64-sample context) and gru_counter, at S = 1, 16, 64, 256 concurrent sequences, OpenVINO in
# both modes. Prints one table row per model, S and engine (steps/s over the whole run, p50 ms).
# Usage: bench/openvino-vs-ort.sh [steps=200] [threads=1]      (needs the OpenVINO engine built)
set -euo pipefail
cd "$(dirname "$0")/.."
steps="${1:-200}" threads="${2:-1}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
dotnet build -c Release src/OvStateful.Cli -v q -nologo >/dev/null
dll=src/OvStateful.Cli/bin/Release/net10.0/ovs.dll
# One repository per OpenVINO mode: the example models with openvino_mode set (and room for 256).
for mode in batched per_slot; do
  for m in silero_vad_v6 gru_counter; do
    mkdir -p "$out/$mode/$m"
    cp -r "models/$m/1" "$out/$mode/$m/"
    [ -d "models/$m/initial_state" ] && cp -r "models/$m/initial_state" "$out/$mode/$m/"
    sed -e 's/^max_batch_size: .*/max_batch_size: 256/' -e 's/max_candidate_sequences: .*/max_candidate_sequences: 1024/' \
      "models/$m/config.pbtxt" > "$out/$mode/$m/config.pbtxt"
    printf '\nparameters [ { key: "openvino_mode" value: { string_value: "%s" } } ]\n' "$mode" >> "$out/$mode/$m/config.pbtxt"
  done
done
printf '%-14s %5s %-20s %10s %9s %9s\n' model S engine steps/s p50_ms max_diff
for m in silero_vad_v6 gru_counter; do
  for s in 1 16 64 256; do
    for mode in batched per_slot; do
      engines=onnxruntime,openvino; [ "$mode" = per_slot ] && engines=openvino
      dotnet "$dll" compare -r "$out/$mode" -m "$m" -e "$engines" -n "$s" -k "$steps" --threads "$threads" -o "$out/r" >/dev/null
      python3 - "$out/r/compare.json" "$m" "$s" "$mode" <<'PY'
import json, sys
report, model, s, mode = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], sys.argv[4]
for e in report["engines"]:
    name = e["engine"] + (":" + mode if e["engine"].startswith("openvino") else "")
    if mode == "per_slot" and not e["engine"].startswith("openvino"):
        continue
    diff = e.get("difference") or {}
    print("%-14s %5s %-20s %10.1f %9.3f %9s" % (model, s, name, e["steps_per_second"], e["latency_ms"]["p50_ms"],
                                               "%.2g" % diff["max_absolute"] if diff else "-"))
PY
    done
  done
done
