# Shared by the end-to-end bench scripts (source it; it sets no shell options of its own):
# build `ovs`, start `ovs serve` on free loopback ports and wait until it is ready, stop it,
# and measure where a step's CPU goes (cpu_split). Run from the repository root.

# Builds the CLI in Release; sets $dll to the ovs.dll to run.
ovs_build() {
  dotnet build -c Release src/OvStateful.Cli -v q -nologo >/dev/null
  dll=src/OvStateful.Cli/bin/Release/net10.0/ovs.dll
}

ovs() { dotnet "$dll" "$@"; }

# A TCP port on 127.0.0.1 that nothing listens on right now (never the fixed 8000-8002 others use).
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_server LOG [ovs serve options...]: `ovs serve --model-repository models` on three free
# ports, output to LOG; returns once /v2/health/ready answers 200 (fails if the server exits or
# is not ready within 60 s). Sets $server (its pid: the server process itself, not a subshell),
# $http_port, $grpc_port and $metrics_port. SERVE_ARGS in the environment are added to the options.
start_server() {
  local log="$1"; shift
  http_port=$(free_port) grpc_port=$(free_port) metrics_port=$(free_port)
  # shellcheck disable=SC2086
  dotnet "$dll" serve --model-repository models --host 127.0.0.1 --http-port "$http_port" --grpc-port "$grpc_port" \
    --metrics-port "$metrics_port" ${SERVE_ARGS:-} "$@" >"$log" 2>&1 &
  server=$!
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$http_port/v2/health/ready" >/dev/null && return 0
    kill -0 "$server" 2>/dev/null || { echo "ovs serve exited; its log:" >&2; cat "$log" >&2; server=; return 1; }
    sleep 0.5
  done
  echo "ovs serve was not ready after 60 s; its log:" >&2; cat "$log" >&2
  return 1
}

stop_server() {
  [ -n "${server:-}" ] || return 0
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=
}

# The URL `ovs bench --protocol P` talks to.
bench_url() { if [ "$1" = grpc ]; then echo "http://127.0.0.1:$grpc_port"; else echo "http://127.0.0.1:$http_port"; fi; }

# cpu_split PROTOCOL [ovs bench options...]: `ovs serve` + `ovs bench --protocol PROTOCOL` with
# 256 Silero sequences for 16 s (each client starts a new sequence every 100 steps); over the
# middle 8 s, the server's and the client's CPU from /proc/<pid>/stat, ORT's busy time from the
# server's nv_inference_compute_infer_duration_us and, where dotnet-counters is installed
# (`dotnet tool install -g dotnet-counters`), each process's managed allocation per step
# (System.Runtime dotnet.gc.heap.total_allocated over the same window).
cpu_split() {
  local protocol="$1"; shift
  local out; out="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "stop_server; [ -n \"\${client:-}\" ] && kill \$client 2>/dev/null; rm -rf '$out'" EXIT
  ovs_build
  start_server "$out/serve.log"
  dotnet "$dll" bench --url "$(bench_url "$protocol")" --protocol "$protocol" --model silero_vad --sequences 256 --duration 16 "$@" \
    --output "$out/bench" >"$out/bench.log" 2>&1 &
  client=$!
  sample() {
    curl -s "127.0.0.1:$metrics_port/metrics" | grep -E '^nv_inference_(count|exec_count|compute_infer_duration_us)\{model="silero_vad"' | awk '{printf "%s ", $2}'
    date +%s.%N | tr '\n' ' '
    awk '{printf "%d ", $14+$15}' "/proc/$server/stat"; awk '{printf "%d ", $14+$15}' "/proc/$client/stat"
    # The batcher's engine threads ("ovs-batch <model>#<instance>"; ORT's one intra-op thread runs on it).
    grep -l '^ovs-batch' /proc/"$server"/task/*/comm | sed 's/comm$/stat/' | xargs cat | awk '{n += $14+$15} END {printf "%d\n", n}'
  }
  local counters; counters="$(command -v dotnet-counters || echo "$HOME/.dotnet/tools/dotnet-counters")"
  sleep 6
  local collectors=() who
  if [ -x "$counters" ]; then
    for who in server client; do
      "$counters" collect -p "${!who}" --counters 'System.Runtime[dotnet.gc.heap.total_allocated]' --format csv \
        -o "$out/alloc-$who.csv" --duration 00:00:00:08 >/dev/null 2>&1 &
      collectors+=($!)
    done
  fi
  local first last
  first=$(sample); sleep 8; last=$(sample)
  wait $client || { echo "ovs bench failed; its log:" >&2; cat "$out/bench.log" >&2; }
  client=
  [ ${#collectors[@]} -eq 0 ] || wait "${collectors[@]}" 2>/dev/null || true
  python3 - "$first" "$last" "$(getconf CLK_TCK)" "$out" <<'PY'
import sys, os, csv
n1, e1, i1, t1, s1, c1, b1 = map(float, sys.argv[1].split()); n2, e2, i2, t2, s2, c2, b2 = map(float, sys.argv[2].split())
tick = float(sys.argv[3]); w = t2 - t1; n = n2 - n1; e = e2 - e1; i = (i2 - i1) / 1e6
s = (s2 - s1) / tick; c = (c2 - c1) / tick; b = (b2 - b1) / tick
us = lambda cpu: f"{cpu / n * 1e6:.0f} us a step"
print(f"{n / w:.0f} steps/s, mean batch {n / e:.1f}; ORT busy {i / w:.0%} of the time, {i / n * 1e6:.1f} us a step")
print(f"server {s / w:.2f} cores = {us(s)}: engine thread (batcher + ORT) {us(b)}, the rest (network path, codec) {us(s - b)}")
print(f"client {c / w:.2f} cores = {us(c)}")
for who in ("server", "client"):
    path = os.path.join(sys.argv[4], f"alloc-{who}.csv")
    if not os.path.exists(path):
        continue
    # dotnet-counters writes the allocation rate of each 1 s interval: their mean times the
    # window's length is the bytes allocated in it.
    rows = [float(r[-1]) for r in csv.reader(open(path)) if len(r) > 3 and "total_allocated" in r[2]]
    if rows:
        print(f"{who} managed allocation {sum(rows) / len(rows) * w / n:.0f} bytes a step ({len(rows)} samples)")
PY
  stop_server
}

# vs_inprocess SEQUENCES STEPS ROUNDS "LABEL|PROTOCOL|OPTIONS"...: R rounds; in each, every
# remote path runs against a fresh `ovs serve` (its default settings) with `ovs bench --protocol
# PROTOCOL OPTIONS`, S Silero sequences × K steps, each sequence played once
# (--measurement-mode once); then `ovs run` with the same sequences in process at ONNX Runtime's
# default thread count and at the server's (one fewer than the cores). Every path starts cold
# in its own process. bench/vs_inprocess.py prints each round and the median ratios.
vs_inprocess() {
  local seqs="$1" steps="$2" rounds="$3"; shift 3
  local out; out="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "stop_server; rm -rf '$out'" EXIT
  ovs_build
  local server_threads=$(( $(nproc) > 1 ? $(nproc) - 1 : 1 ))
  local once=(--measurement-mode once) labels=() r d k path label protocol options
  for path in "$@"; do labels+=("${path%%|*}"); done
  for r in $(seq 1 "$rounds"); do
    d="$out/$r"; mkdir -p "$d"
    k=0
    for path in "$@"; do
      IFS='|' read -r label protocol options <<<"$path"
      start_server "$d/serve-$k.log"
      # shellcheck disable=SC2086
      ovs bench --url "$(bench_url "$protocol")" --protocol "$protocol" --model silero_vad --sequences "$seqs" --steps "$steps" \
        "${once[@]}" $options --output "$d/remote-$k" >"$d/remote-$k.log"
      stop_server
      k=$((k + 1))
    done
    local run=(--model-repository models --model silero_vad --sequences "$seqs" --steps "$steps" "${once[@]}")
    ovs run "${run[@]}" --output "$d/run" --json "$d/run.json" >"$d/run.log"
    ovs run "${run[@]}" --threads "$server_threads" --output "$d/run-same" --json "$d/run-same.json" >"$d/run-same.log"
    echo "round $r of $rounds done (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  done
  python3 bench/vs_inprocess.py "$out" "$rounds" "${labels[@]}"
}
