#!/usr/bin/env bash
# webpush.sh - bench/platforms, web push part: payload encryptions per second on one core
# (issue 7 target: 20,000), with references measured in the same run on the same CPU:
# AES-128-GCM of the same payload alone, the P-256 key generation and ECDH that RFC 8291
# needs per message, and the npm web-push library encrypting the same payload.
#
#   bench/platforms/webpush.sh [SECONDS] [PAYLOAD_BYTES]
#
# Builds a release tree in build-bench-webpush unless BENCH_BUILD
# names one; pins every measurement to CPU ${BENCH_CPU:-0}. Writes bench/out/webpush.json.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-3}
size=${2:-300}
cpu=${BENCH_CPU:-0}
build=${BENCH_BUILD:-$here/build-bench-webpush}
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$here" --buildtype=release >/dev/null
fi
ninja -C "$build" -j2 tests/tools/bench_webpush >/dev/null
mkdir -p "$here/bench/out"
echo "== web push: $size-byte payload, $seconds s per figure, CPU $cpu ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
c_out=$(taskset -c "$cpu" "$build/tests/tools/bench_webpush" "$seconds" "$size")
echo "$c_out" | grep -v '^{'
node_json='{}'
if command -v node >/dev/null && [ -d "$here/tests/node_modules/web-push" ]; then
  n_out=$(taskset -c "$cpu" node "$here/bench/platforms/webpush_node.mjs" "$seconds" "$size")
  echo "$n_out" | grep -v '^{'
  node_json=$(echo "$n_out" | grep '^{')
else
  echo "web-push         (skipped: node or tests/node_modules/web-push missing)"
fi
python3 - "$here/bench/out/webpush.json" "$(echo "$c_out" | grep '^{')" "$node_json" <<'PY'
import json, sys, time
c, n = json.loads(sys.argv[2]), json.loads(sys.argv[3])
c.update(n)
c["date"] = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
if c.get("web_push_node"):
    c["ratio_to_node"] = round(c["webpush_encrypt"] / c["web_push_node"], 2)
c["ratio_to_aes128gcm"] = round(c["webpush_encrypt"] / c["aes128gcm"], 4)
with open(sys.argv[1], "w") as f:
    json.dump(c, f, indent=1)
print("target 20,000/s:", "met" if c["webpush_encrypt"] >= 20000 else "NOT met", "(%d/s)" % c["webpush_encrypt"])
PY
