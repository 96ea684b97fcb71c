#!/usr/bin/env bash
# How fast the engine runs in process when the machine's other core is busy with something else.
# A served path needs that core (the network path, the codec, a co-located load generator), so
# this is the ceiling a REST or gRPC ratio to in-process can reach on this machine.
# Each round, in alternating order: `ovs run` with S Silero sequences × K steps in process at the
# server's thread count (one fewer than the cores), once with nothing else running, once beside
# a shell spin loop (one core of ALU work, no memory), once beside `dd bs=1M` from /dev/zero to
# /dev/null (one core of memory copies). Printed: each run's steps/s and, per load, the median
# (min–max) ratio to the idle run of the same round.
# Usage: bench/sibling-load.sh [sequences=256] [steps=300] [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
seqs="${1:-256}" steps="${2:-300}" rounds="${3:-3}"
out="$(mktemp -d)"
load=
trap '[ -n "$load" ] && kill "$load" 2>/dev/null; rm -rf "$out"' EXIT
ovs_build
threads=$(( $(nproc) > 1 ? $(nproc) - 1 : 1 ))
loads=(none spin memcpy)
for r in $(seq 1 "$rounds"); do
  order=("${loads[@]}"); [ $((r % 2)) -eq 0 ] && order=(memcpy spin none)
  for l in "${order[@]}"; do
    case "$l" in
      spin) bash -c 'while :; do :; done' & load=$! ;;
      memcpy) dd if=/dev/zero of=/dev/null bs=1M count=100000000 status=none & load=$! ;;
      none) load= ;;
    esac
    ovs run --model-repository models --model silero_vad --sequences "$seqs" --steps "$steps" --measurement-mode once \
      --threads "$threads" --output "$out/$r-$l" --json "$out/$r-$l.json" >/dev/null
    if [ -n "$load" ]; then kill "$load"; wait "$load" 2>/dev/null || true; load=; fi
  done
done
python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
rate = lambda r, l: json.load(open(f"{out}/{r}-{l}.json"))["result"]["steps_per_second"]
ratios = {"spin": [], "memcpy": []}
for r in range(1, rounds + 1):
    got = {l: rate(r, l) for l in ("none", "spin", "memcpy")}
    print(f"round {r}: other core idle {got['none']:.0f} steps/s, spin loop {got['spin']:.0f}, memcpy {got['memcpy']:.0f}")
    for l in ratios: ratios[l].append(got[l] / got["none"])
for l, v in ratios.items():
    print(f"beside a {l} load: {statistics.median(v):.3f} x the idle machine ({min(v):.3f}-{max(v):.3f})")
PY
