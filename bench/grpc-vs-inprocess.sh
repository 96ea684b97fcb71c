#!/usr/bin/env bash
# gRPC streaming vs in-process on the same model, in one run:
#   1. `ovs serve` (Release) on loopback, `ovs bench --protocol grpc` with S Silero sequences
#      (one ModelStreamInfer stream per sequence, as Triton's sequence clients send steps);
#   2. `ovs run` with the same S sequences × K steps in process (batcher + engine, no server);
#   3. the ratio of the two throughputs. Usage: bench/grpc-vs-inprocess.sh [sequences] [steps]
set -euo pipefail
cd "$(dirname "$0")/.."
seqs="${1:-256}" steps="${2:-40}"
out="$(mktemp -d)"
dotnet build -c Release src/OvStateful.Cli -v q -nologo >/dev/null
dll=src/OvStateful.Cli/bin/Release/net10.0/ovs.dll
ovs() { dotnet "$dll" "$@"; }
# Started directly (not through the function) so that $! is the server process itself.
dotnet "$dll" serve --model-repository models --http-port 18000 --grpc-port 18001 --metrics-port 18002 >"$out/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 1 60); do curl -sf http://127.0.0.1:18000/v2/health/ready >/dev/null && break; sleep 1; done
ovs bench --url http://127.0.0.1:18001 --protocol grpc --model silero_vad --sequences "$seqs" --steps "$steps" --output "$out/bench" | tail -n 12
kill $server 2>/dev/null || true; wait $server 2>/dev/null || true
ovs run --model-repository models --model silero_vad --sequences "$seqs" --steps "$steps" --json "$out/run.json" | tail -n 12
python3 - "$out/bench/bench.json" "$out/run.json" <<'PY'
import json, sys
def rate(doc):
    # the first number called steps_per_second anywhere in the document
    stack = [doc]
    while stack:
        d = stack.pop()
        if isinstance(d, dict):
            for k, v in d.items():
                if k.lower().replace("_", "") in ("stepspersecond", "throughput", "stepspersec") and isinstance(v, (int, float)):
                    return v
                stack.append(v)
        elif isinstance(d, list):
            stack.extend(d)
grpc, inproc = rate(json.load(open(sys.argv[1]))), rate(json.load(open(sys.argv[2])))
print(f"gRPC streaming {grpc:.0f} steps/s, in-process {inproc:.0f} steps/s, ratio {grpc / inproc:.3f}")
PY
