#!/usr/bin/env bash
# Publishes `ovs` as a self-contained folder (no .NET install needed where it runs): the
# binary, the ONNX Runtime native library and the example models/ beside it.
#   deploy/publish.sh [OUT] [RID]     default OUT=artifacts/ovs-linux-x64, RID=linux-x64
# The Dockerfile's build stage runs this script, so checking it here checks that stage.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/artifacts/ovs-linux-x64}"
rid="${2:-linux-x64}"
dotnet publish "$root/src/OvStateful.Cli" -c Release -r "$rid" --self-contained -nologo -o "$out"
echo "publish: $out/ovs (self-contained $rid); run $out/ovs serve"
