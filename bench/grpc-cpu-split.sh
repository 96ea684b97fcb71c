#!/usr/bin/env bash
# Where a gRPC step's CPU goes: `ovs serve` + `ovs bench --protocol grpc` (256 Silero sequences
# for 16 s); over the middle 8 s, server and client CPU per step, ORT busy time, and managed
# allocation per step on both sides (cpu_split in bench/lib.sh says how each is measured).
# Usage: bench/grpc-cpu-split.sh [extra ovs bench options, e.g. --grpc-streams 8]
# SERVE_ARGS in the environment go to ovs serve (e.g. SERVE_ARGS="--threads 2").
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
cpu_split grpc "$@"
