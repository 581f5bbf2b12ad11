#!/usr/bin/env bash
# bench/platforms/email.sh - e-mail delivery rate (issue #7: >= 500 messages/s to a local
# SMTP server).
#
# Starts the integration test's SMTP peer (npm smtp-server, tests/integration/smtp_peer.js
# in --count-only mode: it receives and counts, parses nothing) on loopback, then in the
# same run: (1) the sink's own limit, a minimal Node client sending the same number of
# messages of the same size one command at a time (smtp_blast.js), (2) bench_email:
# Banditore composing each message for its own recipient (headers, both parts,
# unsubscribe token) and sending it over libcurl with C connections in parallel.
# Both share the 2-core machine with the sink, so the ratio means more than the figures.
# Then (3) email_lane.py: the same end to end through the daemon's e-mail lane (pages of
# subscribers unsealed, composed and sent, each page settled through the writer).
#
# usage: bench/platforms/email.sh [N=5000] [CONNECTIONS=8]
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-5000}
conns=${2:-8}
build=${BUILD:-$root/build-bench-email}
work=$(mktemp -d /tmp/banditore-bench-email.XXXXXX)
peer=""
cleanup() { [ -n "$peer" ] && kill "$peer" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

[ -f "$build/build.ninja" ] || meson setup "$build" "$root" --buildtype=release >/dev/null
ninja -C "$build" tests/tools/bench_email >/dev/null
[ -d "$root/tests/node_modules/smtp-server" ] || { echo "run scripts/install-deps (npm smtp-server)" >&2; exit 77; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
NODE_PATH="$root/tests/node_modules" node "$root/tests/integration/smtp_peer.js" --port "$port" --count-only >"$work/peer.log" 2>&1 &
peer=$!
for _ in $(seq 100); do grep -q listening "$work/peer.log" && break; sleep 0.1; done

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cpu: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n1), nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "sink: npm smtp-server $(node -p "require('$root/tests/node_modules/smtp-server/package.json').version"), node $(node --version)"
node "$root/bench/platforms/smtp_blast.js" "$port" "$n" "$conns" 2525
"$build/tests/tools/bench_email" "smtp://127.0.0.1:$port" "$n" "$conns"
"$build/tests/tools/bench_email" "smtp://127.0.0.1:$port" "$n" 4 | grep '^sent'
ninja -C "$build" src/cli/banditore src/sim/banditore-sim tests/tools/gen_subscribers >/dev/null
python3 "$root/bench/platforms/email_lane.py" "$build" "$n" "$conns"
