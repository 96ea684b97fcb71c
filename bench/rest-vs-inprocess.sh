#!/usr/bin/env bash
# KServe v2 REST vs in-process on the same model, in one run of R rounds. Each round:
#   1. `ovs bench --protocol http` with S Silero sequences × K steps (one HTTP/1.1 connection
#      per sequence) against a fresh `ovs serve` (Release, its default settings) on loopback,
#      twice: with Triton's binary tensor data extension, and with JSON tensors; then
#      `ovs bench --protocol grpc` (one stream per sequence), so gRPC is measured in the same run;
#   2. `ovs run` with the same S sequences × K steps in process (batcher + engine, no server),
#      at ONNX Runtime's default thread count and at the server's (one fewer than the cores).
# Every path starts cold in its own process each round. Printed: each round's rates and
# ratios, whole run and steady state, then the median ratio over the rounds (min-max).
# Usage: bench/rest-vs-inprocess.sh [sequences=256] [steps=600] [rounds=3]
# The load generator runs on the same machine as the server (bench/README.md says how much CPU it takes).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
vs_inprocess "${1:-256}" "${2:-600}" "${3:-3}" \
  "REST, binary tensors|http|--http-format binary" \
  "REST, JSON tensors|http|--http-format json" \
  "gRPC, one stream per sequence|grpc|"
