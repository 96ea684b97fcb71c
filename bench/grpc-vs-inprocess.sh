#!/usr/bin/env bash
# gRPC streaming vs in-process on the same model, in one run:
#   1. `ovs serve` (Release, its default settings) on loopback, then `ovs bench --protocol grpc`
#      with S Silero sequences × K steps twice: one ModelStreamInfer stream per sequence (as
#      Triton's sequence clients send steps), and the S sequences sharing 8 streams;
#   2. `ovs run` with the same S sequences × K steps in process (batcher + engine, no server),
#      at ONNX Runtime's default thread count and at the server's (one fewer than the cores);
#   3. the ratios, over the whole runs and in steady state (the middle half of each run's
#      timeline: after warm-up, before the sequences finish).
# Usage: bench/grpc-vs-inprocess.sh [sequences] [steps]
# The load generator runs on the same machine as the server; on a small machine its CPU is
# taken from the server's (bench/README.md says how much).
set -euo pipefail
cd "$(dirname "$0")/.."
seqs="${1:-256}" steps="${2:-600}"
out="$(mktemp -d)"
dotnet build -c Release src/OvStateful.Cli -v q -nologo >/dev/null
dll=src/OvStateful.Cli/bin/Release/net10.0/ovs.dll
ovs() { dotnet "$dll" "$@"; }
# Started directly (not through the function) so that $! is the server process itself.
dotnet "$dll" serve --model-repository models --http-port 18000 --grpc-port 18001 --metrics-port 18002 >"$out/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 1 60); do curl -sf http://127.0.0.1:18000/v2/health/ready >/dev/null && break; sleep 1; done
bench() { ovs bench --url http://127.0.0.1:18001 --protocol grpc --model silero_vad --sequences "$seqs" --steps "$steps" "$@" | grep -vE "^bench n=|^wrote" | tail -n 7; }
bench --output "$out/stream"
bench --grpc-streams 8 --output "$out/shared" --sequence-id-start 1000000
kill $server 2>/dev/null || true; wait $server 2>/dev/null || true
server_threads=$(( $(nproc) > 1 ? $(nproc) - 1 : 1 ))
run() { ovs run --model-repository models --model silero_vad --sequences "$seqs" --steps "$steps" "$@" | grep -vE "^run: " | tail -n 7; }
run --json "$out/run.json"
run --threads "$server_threads" --json "$out/run-same.json"
python3 - "$out" <<'PY'
import json, sys, os
def load(name):
    doc = json.load(open(os.path.join(sys.argv[1], name)))
    return doc["results"][0] if "results" in doc else doc
def find(d, key):
    # the first value called key (any case, with or without underscores) in the document
    stack = [d]
    while stack:
        d = stack.pop()
        if isinstance(d, dict):
            for k, v in d.items():
                if k.lower().replace("_", "") == key:
                    return v
                stack.append(v)
        elif isinstance(d, list):
            stack.extend(d)
def rates(name):
    # whole run, and steady state: the mean of the middle half of the run's timeline buckets
    # (after warm-up, before the sequences finish), the same window for every path
    doc = load(name)
    buckets = find(find(doc, "timeline"), "stepspersecond")
    middle = buckets[len(buckets) // 4: len(buckets) - len(buckets) // 4]
    return find(doc, "stepspersecond"), sum(middle) / len(middle)
paths = {"gRPC, one stream per sequence": rates("stream/bench.json"), "gRPC, 8 shared streams": rates("shared/bench.json")}
best, same = rates("run.json"), rates("run-same.json")
for i, what in ((0, "whole run"), (1, "steady state")):
    print(f"{what}: in process {best[i]:.0f} steps/s (ONNX Runtime's default threads), {same[i]:.0f} (the server's thread count)")
    for name, r in paths.items():
        print(f"  {name}: {r[i]:.0f} steps/s = {r[i] / best[i]:.3f} x in-process default, {r[i] / same[i]:.3f} x in-process same threads")
PY
