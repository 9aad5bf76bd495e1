#!/usr/bin/env bash
# Runs sockvisor's main job on examples/echo: the supervisor listens on 127.0.0.1:7007, the first
# connection starts one /bin/cat per connection (Accept=yes), the reply comes back, status shows
# the counters, and the supervisor stops cleanly.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${SOCKVISOR:-bin/sockvisor}
[ -x "$bin" ] || CGO_ENABLED=0 go build -o "$bin" ./cmd/sockvisor
ctl=$(mktemp -d)/control.sock
"$bin" run --control="$ctl" examples/echo &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do "$bin" status --control="$ctl" >/dev/null 2>&1 && break; sleep 0.05; done
exec 3<>/dev/tcp/127.0.0.1/7007
echo "hello from sockvisor" >&3
read -r reply <&3
exec 3>&-
echo "reply: $reply"
"$bin" status --control="$ctl"
[ "$reply" = "hello from sockvisor" ]
