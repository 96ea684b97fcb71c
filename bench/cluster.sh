#!/usr/bin/env bash
# The cluster's costs, measured with ovs serve + ovs bench (gRPC, one stream per sequence,
# Silero VAD v5), each configuration in a fresh set of processes, R rounds interleaved:
#   single      ovs serve without --cluster (no Orleans in the path): the baseline
#   owner       one --cluster localhost node, clients at it: every step through its grain, on the node
#               that holds it (= a client that follows the ovs_node hint)
#   hop         two nodes: the same node, and a --cluster-front node the clients call: every
#               step goes one hop to the node that holds its sequence
#   persist-off one --cluster redis:// node (Debian's redis-server on loopback)
#   persist-on  the same with --cluster-persist: each step's state written to Redis before its answer
# Printed: steps/s of each, and hop/owner, owner/single, persist-on/persist-off per round and median.
# Usage: bench/cluster.sh [sequences=32] [rounds=2] [seconds per window=2000 ms]
# Everything (servers, Redis, the load generator) shares this machine's cores.
set -euo pipefail
cd "$(dirname "$0")/.."
seqs="${1:-32}" rounds="${2:-2}" window="${3:-2000}"
out="$(mktemp -d)"
dotnet build -c Release src/OvStateful.Cli -v q -nologo >/dev/null
dll=src/OvStateful.Cli/bin/Release/net10.0/ovs.dll
base=$(( 20000 + RANDOM % 20000 ))
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$out"; }
trap cleanup EXIT
mkdir -p "$out/repo" && cp -r models/silero_vad "$out/repo/"
serve() { # name http-port extra-args...
  local name=$1 port=$2; shift 2
  dotnet "$dll" serve --model-repository "$out/repo" --http-port "$port" --grpc-port $((port + 1)) --metrics-port $((port + 2)) "$@" >"$out/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 90); do curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null && return; sleep 1; done
  echo "$name did not start:" >&2; cat "$out/$name.log" >&2; exit 1
}
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }
bench() { # label grpc-port
  dotnet "$dll" bench --url "http://127.0.0.1:$2" --protocol grpc --model silero_vad --sequences "$seqs" --steps 1000000 \
    --measurement-interval "$window" --sequence-id-start $(( (RANDOM + 1) * 100000 )) --output "$out/$1" >"$out/$1.bench.log"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1]))['results'][0]; print(d['steps_per_second'])" "$out/$1/bench.json"
}
redis_port=$((base + 90))
for r in $(seq 1 "$rounds"); do
  p=$((base + 100 * r))
  serve single $p; single=$(bench single-$r $((p + 1))); stop_all
  serve owner $p --cluster localhost --silo-port $((p + 10)); owner=$(bench owner-$r $((p + 1))); stop_all
  serve holder $p --cluster localhost --silo-port $((p + 10))
  serve front $((p + 20)) --cluster localhost:$((p + 10)) --silo-port $((p + 30)) --cluster-front
  sleep 2; hop=$(bench hop-$r $((p + 21))); stop_all
  redis-server --port $redis_port --bind 127.0.0.1 --save "" --appendonly no >"$out/redis.log" 2>&1 & rpid=$!
  sleep 0.5
  serve off $p --cluster redis://127.0.0.1:$redis_port --silo-port $((p + 10)); off=$(bench off-$r $((p + 1))); stop_all
  serve on $p --cluster redis://127.0.0.1:$redis_port --silo-port $((p + 10)) --cluster-persist; on=$(bench on-$r $((p + 1))); stop_all
  kill $rpid; wait $rpid 2>/dev/null || true
  echo "$r $single $owner $hop $off $on" >>"$out/rates"
  echo "round $r: single $single, owner $owner, hop $hop, persist-off $off, persist-on $on steps/s" >&2
done
python3 - "$out/rates" <<'PY'
import sys, statistics
rows = [list(map(float, l.split()[1:])) for l in open(sys.argv[1])]
med = lambda i, j: statistics.median(r[i] / r[j] for r in rows)
for name, i in (("single", 0), ("owner", 1), ("hop", 2), ("persist-off", 3), ("persist-on", 4)):
    print(f"{name:12} steps/s: " + ", ".join(f"{r[i]:.0f}" for r in rows))
print(f"hop / owner (median):            {med(2, 1):.3f}")
print(f"owner / single (median):         {med(1, 0):.3f}")
print(f"persist-on / persist-off (median): {med(4, 3):.3f}")
PY
