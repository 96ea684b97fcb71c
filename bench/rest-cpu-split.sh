#!/usr/bin/env bash
# Where a REST step's CPU goes: `ovs serve` + `ovs bench --protocol http` (256 Silero sequences
# for 16 s, one HTTP/1.1 connection per sequence); over the middle 8 s, server and client CPU per
# step, ORT busy time, and managed allocation per step on both sides (cpu_split in bench/lib.sh).
# Usage: bench/rest-cpu-split.sh [extra ovs bench options: --http-format json for JSON tensors;
# binary, Triton's binary tensor data extension, by default]
# SERVE_ARGS in the environment go to ovs serve (e.g. SERVE_ARGS="--threads 2").
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
cpu_split http "$@"
