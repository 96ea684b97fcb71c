#!/usr/bin/env bash
# gRPC streaming vs in-process on the same model, in one run of R rounds. Each round:
#   1. `ovs bench --protocol grpc` with S Silero sequences × K steps against a fresh `ovs serve`
#      (Release, its default settings) on loopback, twice: one ModelStreamInfer stream per
#      sequence (as Triton's sequence clients send steps), and the S sequences sharing 8 streams;
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
source bench/lib.sh
vs_inprocess "${1:-256}" "${2:-600}" "${3:-3}" \
  "gRPC, one stream per sequence|grpc|" \
  "gRPC, 8 shared streams|grpc|--grpc-streams 8"
