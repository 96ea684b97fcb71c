#!/usr/bin/env bash
# Checks the ways ovs is installed, as far as this machine allows (no container engine):
#   1. dotnet pack → dotnet tool install from the local package → `ovs --version`, and
#      `ovs serve` from an empty folder (its example models, native ONNX Runtime) answers
#      /v2/health/ready and /metrics, then stops on SIGTERM with exit 0;
#   2. the Dockerfile's build stage: deploy/publish.sh (self-contained) → `ovs --version`;
#   3. deploy/ovs.service passes `systemd-analyze verify` (paths pointed at the published folder);
#   4. deploy/appsettings.json is accepted by `ovs serve` (every key a setting).
# Prints one line per check and exits non-zero when any fails. CI runs it after the tests.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
failed=0
ok() { echo "deploy check: ok   $1"; }
bad() { echo "deploy check: FAIL $1"; failed=$((failed + 1)); }

version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$root/src/OvStateful.Cli/OvStateful.Cli.csproj")"

# 1. the .NET tool
if dotnet pack "$root/src/OvStateful.Cli" -c Release -nologo -v q -o "$work/packages" >"$work/pack.log" 2>&1 \
   && dotnet tool install --tool-path "$work/tool" --add-source "$work/packages" OvStateful --version "$version" >"$work/install.log" 2>&1; then
  ok "dotnet pack + dotnet tool install OvStateful $version"
else
  bad "dotnet pack + dotnet tool install (logs: $(tail -5 "$work/pack.log" "$work/install.log" 2>/dev/null | tr '\n' ' '))"
fi
if [ -x "$work/tool/ovs" ] && "$work/tool/ovs" --version | grep -q "^$version"; then ok "ovs --version (tool) says $version"; else bad "ovs --version (tool)"; fi

if [ -x "$work/tool/ovs" ]; then
  mkdir -p "$work/empty"
  (cd "$work/empty" && exec "$work/tool/ovs" serve --http-port 0 --grpc-port 0 --metrics-port 0 >"$work/serve.log" 2>&1) &
  server=$!
  for _ in $(seq 1 60); do grep -qs "serving; Ctrl+C" "$work/serve.log" && break; sleep 0.5; done
  http="$(sed -n 's:^| http_address *| \([^ ]*\) *|$:\1:p' "$work/serve.log")"
  metrics="$(sed -n 's:^| metrics_address *| \([^ ]*\) *|$:\1:p' "$work/serve.log")"
  # The metrics page into a file first: grep -q closing the pipe early would fail curl (pipefail).
  if [ -n "$http" ] && curl -sf "$http/v2/health/ready" >/dev/null && curl -sf "$metrics" -o "$work/metrics.txt" && grep -q nv_inference "$work/metrics.txt" \
     && grep -q "| silero_vad .*READY" "$work/serve.log"; then
    ok "ovs serve (tool, example models) ready at $http, metrics at $metrics"
  else
    bad "ovs serve (tool): $(tail -5 "$work/serve.log" | tr '\n' ' ')"
  fi
  kill -TERM "$server" 2>/dev/null; wait "$server"; rc=$?; server=""
  if [ "$rc" = 0 ] && grep -q "stopping" "$work/serve.log"; then ok "ovs serve stops on SIGTERM with exit 0"; else bad "ovs serve exit $rc on SIGTERM"; fi
fi

# 2. the container's build stage, outside a container
if bash "$root/deploy/publish.sh" "$work/publish" linux-x64 >"$work/publish.log" 2>&1 && "$work/publish/ovs" --version | grep -q "^$version" \
   && [ -f "$work/publish/models/accumulate/config.pbtxt" ]; then
  ok "deploy/publish.sh (Dockerfile build stage): self-contained ovs --version, models/ beside it"
else
  bad "deploy/publish.sh: $(tail -5 "$work/publish.log" | tr '\n' ' ')"
fi

# 3. the systemd unit
if command -v systemd-analyze >/dev/null 2>&1; then
  mkdir -p "$work/unit"
  sed -e "s#/opt/ovs/ovs#$work/publish/ovs#" -e "s#/srv/ovs/models#$work/publish/models#g" -e "s#WorkingDirectory=/etc/ovs#WorkingDirectory=$work#" \
    "$root/deploy/ovs.service" >"$work/unit/ovs.service"
  if out="$(systemd-analyze verify "$work/unit/ovs.service" 2>&1)" && [ -z "$out" ]; then ok "systemd-analyze verify deploy/ovs.service"; else bad "systemd-analyze verify: $out"; fi
else
  echo "deploy check: skip systemd-analyze is not installed"
fi

# 4. the sample settings
if [ -x "$work/publish/ovs" ]; then
  mkdir -p "$work/settings" && cp "$root/deploy/appsettings.json" "$work/settings/"
  (cd "$work/settings" && exec "$work/publish/ovs" serve --http-port 0 --grpc-port 0 --metrics-port 0 --model-repository "$work/publish/models" >"$work/settings.log" 2>&1) &
  server=$!
  for _ in $(seq 1 60); do grep -q "serving; Ctrl+C\|ovs serve:" "$work/settings.log" && break; sleep 0.5; done
  if grep -q "serving; Ctrl+C" "$work/settings.log"; then ok "deploy/appsettings.json accepted by ovs serve"; else bad "deploy/appsettings.json: $(tail -3 "$work/settings.log" | tr '\n' ' ')"; fi
  kill -TERM "$server" 2>/dev/null; wait "$server"; server=""
fi

[ "$failed" = 0 ] && echo "deploy check: all passed" || echo "deploy check: $failed failed"
exit $((failed > 0))
