#!/usr/bin/env bash
# The cluster's costs, measured with Release ovs serve processes on loopback (Silero VAD v5).
# Every mode starts what it needs (Debian's redis-server, the nodes) and stops it at the end.
#
#   bench/cluster.sh rates [sequences=32] [rounds=3] [window ms=2000]
#       ovs bench --protocol grpc (one stream per sequence), each configuration in fresh processes,
#       rounds interleaved; steps/s of each and the ratios per round and median:
#         single      ovs serve without --cluster (no Orleans in the path): the baseline
#         owner       one --cluster localhost node, clients at it: every step through its grain
#         hop         that node plus a --cluster-front node, which the clients call: one hop per step
#         hint        the same two nodes, clients at the holder, where the ovs_node hint points:
#                     what a client that follows the hint sends after its first step
#         persist-off one --cluster redis:// node
#         persist-on  the same with --cluster-persist (each step's state in Redis before its answer)
#   bench/cluster.sh persist [sequences=32] [rounds=3] [window ms=2000]   persist-off and persist-on only
#   bench/cluster.sh migrate [N=1000]    node a holds N live sequences; b joins; POST /v2/cluster/drain
#                                        to a; time until a is empty (its log) and exits; every
#                                        sequence then answers at b
#   bench/cluster.sh recover [N=1000]    3 nodes with --cluster-persist hold N live sequences; kill -9
#                                        one; time from the kill until every sequence answered again
#   bench/cluster.sh capacity [N=3000]   live sequences held and resident bytes per sequence: a single
#                                        node and one cluster node with N, three cluster nodes with 3N
# BENCH_TRIALS (default 6): most windows per ovs bench run. Servers, Redis and the clients share
# this machine's cores.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=rates
case "${1:-}" in rates|persist|migrate|recover|capacity) mode=$1; shift ;; esac
out="$(mktemp -d)"
dotnet build -c Release src/OvStateful.Cli -v q -nologo >/dev/null
dll=src/OvStateful.Cli/bin/Release/net10.0/ovs.dll
ops="python3 bench/cluster_ops.py"
base=$(( 20000 + RANDOM % 20000 ))
pids=() rpid=""
cleanup() { for p in "${pids[@]}" $rpid; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$out"; }
trap cleanup EXIT
mkdir -p "$out/repo" && cp -r models/silero_vad "$out/repo/"
serve() { # name http-port extra-args...; the pid is in $last
  local name=$1 port=$2; shift 2
  dotnet "$dll" serve --model-repository "$out/repo" --http-port "$port" --grpc-port $((port + 1)) --metrics-port $((port + 2)) "$@" >"$out/$name.log" 2>&1 &
  last=$!; pids+=($last)
  for _ in $(seq 1 90); do curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null && return; sleep 1; done
  echo "$name did not start:" >&2; cat "$out/$name.log" >&2; exit 1
}
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait "${pids[@]}" 2>/dev/null || true; pids=(); }
redis_port=$((base + 90))
redis_start() { redis-server --port $redis_port --bind 127.0.0.1 --save "" --appendonly no >"$out/redis.log" 2>&1 & rpid=$!; sleep 0.5; }
redis_stop() { kill $rpid; wait $rpid 2>/dev/null || true; rpid=""; }
cluster() { echo "--cluster redis://127.0.0.1:$redis_port --spill --node-name $1 --silo-port $2"; }
# Until node at http port $1 sees $2 nodes on its board.
board() { for _ in $(seq 1 60); do [ "$(curl -sf "http://127.0.0.1:$1/v2/cluster" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["nodes"]))')" -ge "$2" ] && return; sleep 0.5; done; echo "board of :$1 never saw $2 nodes" >&2; exit 1; }

bench() { # label grpc-port
  dotnet "$dll" bench --url "http://127.0.0.1:$2" --protocol grpc --model silero_vad --sequences "$seqs" --steps 1000000 \
    --measurement-interval "$window" --max-trials "${BENCH_TRIALS:-6}" --sequence-id-start $(( (RANDOM + 1) * 100000 )) --output "$out/$1" >"$out/$1.bench.log"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1]))['results'][0]; print(d['steps_per_second'])" "$out/$1/bench.json"
}

rates() {
  seqs="${1:-32}" rounds="${2:-3}" window="${3:-2000}"
  local names=(single owner hop hint persist-off persist-on)
  for r in $(seq 1 "$rounds"); do
    p=$((base + 100 * r)); single=0 owner=0 hop=0 hint=0
    if [ "$mode" = rates ]; then
      serve single $p; single=$(bench single-$r $((p + 1))); stop_all
      serve owner $p --cluster localhost --silo-port $((p + 10)); owner=$(bench owner-$r $((p + 1))); stop_all
      serve holder $p --cluster localhost --silo-port $((p + 10))
      serve front $((p + 20)) --cluster localhost:$((p + 10)) --silo-port $((p + 30)) --cluster-front
      board $((p + 20)) 2; hop=$(bench hop-$r $((p + 21))); hint=$(bench hint-$r $((p + 1))); stop_all
    fi
    redis_start
    serve off $p --cluster redis://127.0.0.1:$redis_port --silo-port $((p + 10)); off=$(bench off-$r $((p + 1))); stop_all
    serve on $p --cluster redis://127.0.0.1:$redis_port --silo-port $((p + 10)) --cluster-persist; on=$(bench on-$r $((p + 1))); stop_all
    redis_stop
    echo "$r $single $owner $hop $hint $off $on" >>"$out/rates"
    echo "round $r: single $single, owner $owner, hop $hop, hint $hint, persist-off $off, persist-on $on steps/s" >&2
  done
  python3 - "$out/rates" "$mode" <<'PY'
import sys, statistics
rows = [list(map(float, l.split()[1:])) for l in open(sys.argv[1])]
names = ("single", "owner", "hop", "hint", "persist-off", "persist-on")
for i, name in enumerate(names):
    if any(r[i] for r in rows):
        print(f"{name:12} steps/s: " + ", ".join(f"{r[i]:.0f}" for r in rows))
ratios = (("hop / owner", 2, 1), ("hint / owner", 3, 1), ("owner / single", 1, 0), ("persist-on / persist-off", 5, 4))
for name, i, j in ratios:
    if all(r[j] for r in rows):
        each = [r[i] / r[j] for r in rows]
        print(f"{name:26} " + ", ".join(f"{x:.3f}" for x in each) + f"  median {statistics.median(each):.3f}")
PY
}

migrate() {
  local n="${1:-1000}" p=$((base + 100))
  redis_start
  serve a $p $(cluster a $((p + 10)))
  local a=$last
  $ops open "http://127.0.0.1:$p" 1 "$n"
  echo "a holds: $($ops status "http://127.0.0.1:$p")"
  serve b $((p + 20)) $(cluster b $((p + 30)))
  board $((p + 20)) 2; board $p 2
  local t0; t0=$(date +%s.%N)
  curl -sf -X POST "http://127.0.0.1:$p/v2/cluster/drain" >/dev/null
  while kill -0 "$a" 2>/dev/null; do sleep 0.05; done
  local t1; t1=$(date +%s.%N)
  grep -o "drained in [0-9]* ms ([0-9]* sequences handed over)" "$out/a.log" || { echo "a did not say it drained:"; tail -20 "$out/a.log"; exit 1; }
  python3 -c "import sys; print(f'drain request to process exit: {float(sys.argv[2]) - float(sys.argv[1]):.2f} s')" "$t0" "$t1"
  $ops step "http://127.0.0.1:$((p + 20))" 1 "$n"
  echo "b holds: $($ops status "http://127.0.0.1:$((p + 20))")"
  stop_all; redis_stop
}

recover() {
  local n="${1:-1000}" p=$((base + 100))
  redis_start
  for i in 0 1 2; do serve n$i $((p + 20 * i)) $(cluster n$i $((p + 20 * i + 10))) --cluster-persist; done
  local victim=$last
  for i in 0 1 2; do board $((p + 20 * i)) 3; done
  $ops open "http://127.0.0.1:$p" 1 "$n"
  $ops step "http://127.0.0.1:$p" 1 "$n" >/dev/null
  for i in 0 1 2; do echo "n$i holds: $($ops status "http://127.0.0.1:$((p + 20 * i))")"; done
  local t0; t0=$(date +%s.%N)
  kill -9 "$victim"
  echo -n "after kill -9 of n2: "
  $ops step "http://127.0.0.1:$p,http://127.0.0.1:$((p + 20))" 1 "$n" "$t0"
  for i in 0 1; do echo "n$i holds: $($ops status "http://127.0.0.1:$((p + 20 * i))")"; done
  stop_all; redis_stop
}

capacity() {
  local n="${1:-3000}" p=$((base + 100))
  held() { # label pid http-port
    python3 -c "import json,sys; s=json.loads(sys.argv[2]); print(f'{sys.argv[1]}: {s[\"sequences\"]} sequence grains, {s[\"slots_used\"]} in slots + {s[\"spilled\"]} spilled')" "$1" "$($ops status "http://127.0.0.1:$3")"
  }
  per() { python3 -c "import sys; a,b,k=map(int,sys.argv[2:]); print(f'{sys.argv[1]}: {k} live sequences, RSS {a/2**20:.0f} -> {b/2**20:.0f} MiB, {(b-a)/k:.0f} bytes per sequence')" "$@"; }
  serve single $p --spill
  local r0; r0=$($ops rss $last)
  $ops open "http://127.0.0.1:$p" 1 "$n"; sleep 2
  per "single node, no cluster" "$r0" "$($ops rss $last)" "$n"
  stop_all
  redis_start
  serve one $p $(cluster one $((p + 10)))
  r0=$($ops rss $last)
  $ops open "http://127.0.0.1:$p" 1 "$n"; sleep 2
  per "one cluster node" "$r0" "$($ops rss $last)" "$n"; held "one cluster node" $last $p
  stop_all; redis_stop
  redis_start
  local node_pids=() before=()
  for i in 0 1 2; do serve n$i $((p + 20 * i)) $(cluster n$i $((p + 20 * i + 10))); node_pids+=($last); done
  for i in 0 1 2; do board $((p + 20 * i)) 3; before+=($($ops rss ${node_pids[$i]})); done
  $ops open "http://127.0.0.1:$p" 1 $((3 * n)); sleep 2
  for i in 0 1 2; do
    local k; k=$($ops status "http://127.0.0.1:$((p + 20 * i))" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sequences"])')
    per "three nodes, n$i" "${before[$i]}" "$($ops rss ${node_pids[$i]})" "$k"; held "three nodes, n$i" ${node_pids[$i]} $((p + 20 * i))
  done
  stop_all; redis_stop
}

case $mode in
  rates|persist) rates "$@" ;;
  *) $mode "$@" ;;
esac
