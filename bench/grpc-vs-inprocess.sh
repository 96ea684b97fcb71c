#!/usr/bin/env bash
# gRPC streaming vs in-process on the same model, in one run of R rounds. Each round:
#   1. a fresh `ovs serve` (Release, its default settings) on loopback, then `ovs bench
#      --protocol grpc` with S Silero sequences × K steps twice: one ModelStreamInfer stream
#      per sequence (as Triton's sequence clients send steps), and the S sequences sharing 8
#      streams;
#   2. `ovs run` with the same S sequences × K steps in process (batcher + engine, no server),
#      at ONNX Runtime's default thread count and at the server's (one fewer than the cores).
# Every path starts cold in its own process each round. Printed: each round's rates and
# ratios, over the whole run and in steady state (the middle half of each run's timeline:
# after warm-up, before the sequences finish), then the median ratio over the rounds.
# Usage: bench/grpc-vs-inprocess.sh [sequences=256] [steps=600] [rounds=3]
# The load generator runs on the same machine as the server; on a small machine its CPU is
# taken from the server's (bench/README.md says how much).
set -euo pipefail
cd "$(dirname "$0")/.."
seqs="${1:-256}" steps="${2:-600}" rounds="${3:-3}"
out="$(mktemp -d)"
dotnet build -c Release src/OvStateful.Cli -v q -nologo >/dev/null
dll=src/OvStateful.Cli/bin/Release/net10.0/ovs.dll
ovs() { dotnet "$dll" "$@"; }
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; wait 2>/dev/null; rm -rf "$out"' EXIT
server_threads=$(( $(nproc) > 1 ? $(nproc) - 1 : 1 ))
for r in $(seq 1 "$rounds"); do
  d="$out/$r"; mkdir -p "$d"
  # Started directly (not through the function) so that $! is the server process itself.
  dotnet "$dll" serve --model-repository models --http-port 18000 --grpc-port 18001 --metrics-port 18002 >"$d/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 60); do curl -sf http://127.0.0.1:18000/v2/health/ready >/dev/null && break; sleep 1; done
  common=(--url http://127.0.0.1:18001 --protocol grpc --model silero_vad --sequences "$seqs" --steps "$steps")
  ovs bench "${common[@]}" --output "$d/stream" >"$d/stream.log"
  ovs bench "${common[@]}" --grpc-streams 8 --output "$d/shared" --sequence-id-start 1000000 >"$d/shared.log"
  kill $server; wait $server 2>/dev/null || true; server=
  run=(--model-repository models --model silero_vad --sequences "$seqs" --steps "$steps")
  ovs run "${run[@]}" --json "$d/run.json" >"$d/run.log"
  ovs run "${run[@]}" --threads "$server_threads" --json "$d/run-same.json" >"$d/run-same.log"
  echo "round $r of $rounds done" >&2
done
python3 - "$out" "$rounds" <<'PY'
import json, sys, os, statistics
root, rounds = sys.argv[1], int(sys.argv[2])
def rates(path):
    doc = json.load(open(path))
    # ovs bench writes {"results": [...]}, ovs run {"result": {...}}
    doc = doc["results"][0] if "results" in doc else doc["result"]
    buckets = doc["timeline"]["steps_per_second"]
    middle = buckets[len(buckets) // 4: len(buckets) - len(buckets) // 4]
    latency = doc["latency_ms"]
    return {"whole": doc["steps_per_second"], "steady": sum(middle) / len(middle),
            "p50": latency["p50_ms"], "p99": latency["p99_ms"]}
paths = [("gRPC, one stream per sequence", "stream/bench.json"), ("gRPC, 8 shared streams", "shared/bench.json"),
         ("in process, ORT default threads", "run.json"), ("in process, the server's threads", "run-same.json")]
ratios = {}
for r in range(1, rounds + 1):
    got = {name: rates(os.path.join(root, str(r), f)) for name, f in paths}
    best, same = got[paths[2][0]], got[paths[3][0]]
    print(f"round {r}:")
    for name, _ in paths:
        g = got[name]
        print(f"  {name:34} whole {g['whole']:7.0f} steps/s, steady {g['steady']:7.0f}; latency p50 {g['p50']:.1f} ms, p99 {g['p99']:.1f} ms")
    for name, _ in paths[:2]:
        for window in ("whole", "steady"):
            for base, label in ((best, "in-process default"), (same, "in-process same threads")):
                ratios.setdefault((name, window, label), []).append(got[name][window] / base[window])
        print(f"  {name}: {got[name]['whole'] / best['whole']:.3f} x in-process default, {got[name]['whole'] / same['whole']:.3f} x same threads (whole run); "
              f"{got[name]['steady'] / best['steady']:.3f} / {got[name]['steady'] / same['steady']:.3f} (steady state)")
print(f"median over {rounds} rounds (min-max):")
for (name, window, label), values in ratios.items():
    print(f"  {name}, {window}: {statistics.median(values):.3f} x {label} ({min(values):.3f}-{max(values):.3f})")
PY
