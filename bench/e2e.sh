#!/usr/bin/env bash
# The end-to-end measurements of bench/README.md ("End-to-end load"), one section at a time, each
# printing its markdown table from the JSON/CSV the commands wrote:
#   run       ovs run -m silero_vad -n 64 -k 100 --repeats 3, 5 times (each result the mean of 3
#             processes, its range over all their windows), then whether every run's throughput
#             lies inside every run's range
#   compare   ovs compare -e onnxruntime,onnxruntime --repeats 5 (one engine twice: there should
#             be no measurable difference), 5 times, with 1 s windows (5 to 8 of them) per process
#   bench     ovs serve + ovs bench on silero_vad (HTTP binary/JSON, gRPC stream/unary) and the
#             gRPC sweep --concurrency-range 1:64:16 (its line charts)
#   pa        Triton's perf_analyzer 2.51 (../shared/triton) unchanged against ovs serve on the
#             sequence model accumulate, and the same measurement by ovs bench, side by side
# Usage: bench/e2e.sh OUT section...      (build first: dotnet build -c Release src/OvStateful.Cli)
# On a shared machine run each section alone on a quiet machine: /work/cpu --quiet bench/e2e.sh OUT run
set -euo pipefail
cd "$(dirname "$0")/.."
out="$1"; shift
mkdir -p "$out"
ovs=(dotnet src/OvStateful.Cli/bin/Release/net10.0/ovs.dll)

serve() {
  # Free ports (never the fixed 8000-8002): the OS picks them, the start-up log names them.
  hp=$((20000 + RANDOM % 20000)); gp=$((hp + 1)); mp=$((hp + 2))
  "${ovs[@]}" serve -r models --http-port "$hp" --grpc-port "$gp" --metrics-port "$mp" >"$out/serve.log" 2>&1 &
  server=$!
  trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null' EXIT
  for _ in $(seq 120); do curl -sf "http://127.0.0.1:$hp/v2/health/ready" >/dev/null && return; sleep 0.5; done
  echo "ovs serve did not get ready; see $out/serve.log" >&2; exit 1
}

# One row per result of a run/bench JSON: steps/s with its window range, p50/p99 with theirs, stability, server breakdown.
rows() {
  python3 - "$@" <<'PY'
import json, sys
for path in sys.argv[1:]:
    d = json.load(open(path))
    label = path.split("/")[-2]
    many = len(d.get("results") or []) > 1
    for r in d.get("results") or [d["result"]]:
        m, l = r.get("measurement") or {}, r["latency_ms"]
        tp = "%.0f (%.0f–%.0f)" % (r["steps_per_second"], m["steps_per_second_min"], m["steps_per_second_max"]) if m else "%.0f" % r["steps_per_second"]
        p99 = "%.2f (%.2f–%.2f)" % (l["p99_ms"], m["p99_min_ms"], m["p99_max_ms"]) if m else "%.2f" % l["p99_ms"]
        s = r.get("server") or {}
        srv = "%.0f + %.0f + %.0f + %.0f" % (s["queue_us"], s["compute_input_us"], s["compute_infer_us"], s["compute_output_us"]) if s else "-"
        batch = "%.1f" % r["batches"]["mean"] if r.get("batches") else "-"
        print("| %s | %s | %s | %.2f | %s | %s | %s | %d |" % (label + (" n=%d" % r["clients"] if many else ""),
              "stable" if m.get("stable") else "**unstable**", tp, l["p50_ms"], p99, batch, srv, len(m.get("windows") or [])))
PY
}

for section in "$@"; do
  case "$section" in
  run)
    echo "| run | stability | steps/s (all windows: min–max) | p50 ms | p99 ms (windows) | mean batch | server µs: queue + in + infer + out | windows |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |"
    for i in 1 2 3 4 5; do
      mkdir -p "$out/run$i"
      "${ovs[@]}" run -m silero_vad -n 64 -k 100 --repeats 3 -o "$out/run$i" --json "$out/run$i/run.json" >"$out/run$i.txt" 2>/dev/null
      rows "$out/run$i/run.json"
    done
    python3 - "$out"/run[1-5]/run.json <<'PY'
import json, sys
runs = [json.load(open(p))["result"] for p in sys.argv[1:]]
tp = [r["steps_per_second"] for r in runs]
out = [(i + 1, j + 1) for i, r in enumerate(runs) for j, t in enumerate(tp)
       if not r["measurement"]["steps_per_second_min"] <= t <= r["measurement"]["steps_per_second_max"]]
print()
print("All %d throughputs inside every run's range." % len(tp) if not out else
      "Outside: " + ", ".join("run%d's %.0f outside run%d's range" % (j, tp[j - 1], i) for i, j in out) + ".")
PY
    ;;
  compare)
    echo "| compare | engine | steps/s (mean of rounds) | rounds | p50 ms | p99 ms | vs first (interval) |"
    echo "| --- | --- | ---: | --- | ---: | ---: | --- |"
    engines=onnxruntime,onnxruntime
    for i in ${COMPARE_RUNS:-1 2 3 4 5}; do   # COMPARE_RUNS="1 2" runs some of them (a quiet slot at a time)
      dir="$out/compare$i"
      "${ovs[@]}" compare -m silero_vad -e "$engines" --repeats 5 --measurement-interval 1000 --min-windows 5 --max-trials 8 -o "$dir" >"$dir.txt" 2>"$dir.err"
      python3 - "$dir/compare.json" "compare$i" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for e in d["engines"]:
    r = e.get("ratio_to_first") or {}
    ratio = "%.3f (%.3f–%.3f)%s" % (r["ratio"], r["low"], r["high"], ", no measurable difference" if not r.get("measurable", True) else "") if r else "reference"
    rounds = ", ".join("%.0f" % f["steps_per_second"] for f in e.get("round_figures") or [])
    print("| %s | %s | %.0f | %s | %.2f | %.2f | %s |" % (sys.argv[2], e["engine"], e["steps_per_second"], rounds, e["latency_ms"]["p50_ms"], e["latency_ms"]["p99_ms"], ratio))
PY
    done
    ;;
  bench)
    serve
    u=127.0.0.1
    "${ovs[@]}" bench -u "$u:$hp" -m silero_vad -n 64 -o "$out/http-binary" >"$out/http-binary.txt" 2>/dev/null
    "${ovs[@]}" bench -u "$u:$hp" --http-format json -m silero_vad -n 64 -o "$out/http-json" >"$out/http-json.txt" 2>/dev/null
    "${ovs[@]}" bench -u "$u:$gp" -i grpc -m silero_vad -n 64 -o "$out/grpc-stream" >"$out/grpc-stream.txt" 2>/dev/null
    "${ovs[@]}" bench -u "$u:$gp" -i grpc --grpc-mode unary -m silero_vad -n 64 -o "$out/grpc-unary" >"$out/grpc-unary.txt" 2>/dev/null
    "${ovs[@]}" bench -u "$u:$gp" -i grpc -m silero_vad --concurrency-range 1:64:16 -o "$out/grpc-sweep" >"$out/grpc-sweep.txt" 2>/dev/null
    echo "| bench | stability | steps/s (all windows: min–max) | p50 ms | p99 ms (windows) | server mean batch | server µs: queue + in + infer + out | windows |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |"
    rows "$out"/http-binary/bench.json "$out"/http-json/bench.json "$out"/grpc-stream/bench.json "$out"/grpc-unary/bench.json "$out"/grpc-sweep/bench.json
    ;;
  pa)
    serve
    eval "$(bash ../shared/triton/setup.sh)"
    # The same measurement both ways: windows of 2 s, stable within 10% over 3 windows (at most 10),
    # judged on p99, 20 ± 20% steps per sequence, 4 concurrent sequences.
    same=(-m accumulate --sequence-length 20 --concurrency-range 4 -p 2000 -s 10 -r 10 --percentile 99)
    for how in grpc-stream grpc-unary http; do
      case "$how" in
      grpc-stream) pa=(-u "127.0.0.1:$gp" -i grpc --streaming); ob=(-u "127.0.0.1:$gp" -i grpc --streaming) ;;
      grpc-unary) pa=(-u "127.0.0.1:$gp" -i grpc); ob=(-u "127.0.0.1:$gp" -i grpc --grpc-mode unary) ;;
      http) pa=(-u "127.0.0.1:$hp" -i http); ob=(-u "127.0.0.1:$hp" -i http) ;;
      esac
      LD_LIBRARY_PATH="$PERF_ANALYZER_LD_LIBRARY_PATH" "$PERF_ANALYZER" "${same[@]}" "${pa[@]}" --shape Input:4,1,5 -f "$out/pa-$how.csv" >"$out/pa-$how.txt" 2>&1
      "${ovs[@]}" bench "${same[@]}" "${ob[@]}" -f "$out/ovs-$how.csv" -o "$out/ovs-$how" >"$out/ovs-$how.txt" 2>/dev/null
    done
    python3 - "$out" <<'PY'
import csv, sys
out = sys.argv[1]
cols = ["Inferences/Second", "p50 latency", "p99 latency", "Server Queue", "Server Compute Input", "Server Compute Infer", "Server Compute Output"]
print("| protocol | tool | " + " | ".join(c.replace("Inferences/Second", "steps/s").replace(" latency", " µs").replace("Server ", "server ") for c in cols) + " |")
print("| --- | --- |" + " ---: |" * len(cols))
for how in ["grpc-stream", "grpc-unary", "http"]:
    for tool, name in [("pa", "perf_analyzer 2.51"), ("ovs", "ovs bench")]:
        row = next(csv.DictReader(open("%s/%s-%s.csv" % (out, tool, how))))
        print("| %s | %s | %s |" % (how, name, " | ".join("%.0f" % float(row[c]) for c in cols)))
PY
    ;;
  *) echo "unknown section $section (run, compare, bench, pa)" >&2; exit 2 ;;
  esac
done
