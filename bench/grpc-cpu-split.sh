#!/usr/bin/env bash
# Where a gRPC step's CPU goes: `ovs serve` + `ovs bench --protocol grpc` (256 Silero
# sequences for 16 s); over the middle 8 s, the server's and the client's CPU from
# /proc/<pid>/stat and ORT's busy time from the server's nv_inference_compute_infer_duration_us;
# where dotnet-counters is installed (`dotnet tool install -g dotnet-counters`), also the
# server's managed allocation per step (System.Runtime dotnet.gc.heap.total_allocated, same window).
# Usage: bench/grpc-cpu-split.sh [extra ovs bench options, e.g. --grpc-streams 8]
# SERVE_ARGS in the environment go to ovs serve (e.g. SERVE_ARGS="--threads 2").
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release src/OvStateful.Cli -v q -nologo >/dev/null
dll=src/OvStateful.Cli/bin/Release/net10.0/ovs.dll
out="$(mktemp -d)"
# shellcheck disable=SC2086
dotnet "$dll" serve ${SERVE_ARGS:-} --model-repository models --http-port 18000 --grpc-port 18001 --metrics-port 18002 >"$out/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 1 60); do curl -sf http://127.0.0.1:18000/v2/health/ready >/dev/null && break; sleep 1; done
dotnet "$dll" bench --url http://127.0.0.1:18001 --protocol grpc --model silero_vad --sequences 256 --duration 16 "$@" --output "$out/bench" >"$out/bench.log" 2>&1 &
client=$!
sample() {
  curl -s localhost:18002/metrics | grep -E '^nv_inference_(count|exec_count|compute_infer_duration_us)\{model="silero_vad"' | awk '{printf "%s ", $2}'
  date +%s.%N | tr '\n' ' '
  awk '{printf "%d ", $14+$15}' "/proc/$server/stat"; awk '{printf "%d\n", $14+$15}' "/proc/$client/stat"
}
counters="$(command -v dotnet-counters || echo "$HOME/.dotnet/tools/dotnet-counters")"
sleep 6
if [ -x "$counters" ]; then
  "$counters" collect -p "$server" --counters 'System.Runtime[dotnet.gc.heap.total_allocated]' --format csv \
    -o "$out/alloc.csv" --duration 00:00:00:08 >/dev/null 2>&1 &
fi
first=$(sample); sleep 8; last=$(sample)
wait $client
python3 - "$first" "$last" "$(getconf CLK_TCK)" "$out/alloc.csv" <<'PY'
import sys, os, csv
n1, e1, i1, t1, s1, c1 = map(float, sys.argv[1].split()); n2, e2, i2, t2, s2, c2 = map(float, sys.argv[2].split())
tick = float(sys.argv[3]); w = t2 - t1; n = n2 - n1; e = e2 - e1
# nv_inference_compute_infer_duration_us counts each request of a batch (Triton's rule), so a
# batch's compute time is in it once per request: divided by the mean batch, it is ORT's busy time.
i = (i2 - i1) / 1e6 * e / n
s = (s2 - s1) / tick; c = (c2 - c1) / tick
print(f"{n / w:.0f} steps/s, mean batch {n / e:.1f}; ORT busy {i / w:.0%}, {i / n * 1e6:.1f} us a step; "
      f"server {s / w:.2f} cores = {s / n * 1e6:.0f} us a step; client {c / w:.2f} cores = {c / n * 1e6:.0f} us a step")
if os.path.exists(sys.argv[4]):
    # dotnet-counters writes the allocation rate of each 1 s interval: their mean times the
    # window's length is the bytes allocated in it.
    rows = [float(r[-1]) for r in csv.reader(open(sys.argv[4])) if len(r) > 3 and "total_allocated" in r[2]]
    if rows:
        print(f"server managed allocation {sum(rows) / len(rows) * w / n:.0f} bytes a step ({len(rows)} samples)")
PY
