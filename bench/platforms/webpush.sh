#!/usr/bin/env bash
# webpush.sh - bench/platforms, web push part: payload encryptions per second on one core
# (issue 7 target: 20,000), with references measured in the same run on the same CPU:
# AES-128-GCM of the same payload alone, the P-256 key generation and ECDH that RFC 8291
# needs per message, OpenSSL's own `openssl speed ecdhp256` (the ceiling: one ECDH per
# message is unavoidable), and the npm web-push library encrypting the same payload.
#
#   bench/platforms/webpush.sh [SECONDS] [PAYLOAD_BYTES]   (default 1 s per figure and round,
#                                                        300 bytes; BENCH_ROUNDS=5)
#
# Builds a release tree in build-bench-webpush unless BENCH_BUILD
# names one; pins every measurement to CPU ${BENCH_CPU:-0}. Writes bench/out/webpush.json.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-1}
size=${2:-300}
cpu=${BENCH_CPU:-0}
build=${BENCH_BUILD:-$here/build-bench-webpush}
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$here" --buildtype=release >/dev/null
fi
ninja -C "$build" -j2 tests/tools/bench_webpush >/dev/null
mkdir -p "$here/bench/out"
rounds=${BENCH_ROUNDS:-5}
echo "== web push: $size-byte payload, $rounds rounds of $seconds s per figure alternating C and Node, CPU $cpu ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
have_node=0
if command -v node >/dev/null && [ -d "$here/tests/node_modules/web-push" ]; then have_node=1; fi
# The machine is shared and its load moves from one second to the next: every figure is
# per second of CPU time (what one core does), taken in alternating rounds, and the
# median of each is kept.
results=()
for r in $(seq "$rounds"); do
  results+=("$(taskset -c "$cpu" "$build/tests/tools/bench_webpush" "$seconds" "$size" | grep '^{')")
  # OpenSSL's own ECDH rate on this CPU: the ceiling of any RFC 8291 sender here.
  ossl=$(taskset -c "$cpu" openssl speed -seconds "$seconds" ecdhp256 2>/dev/null | awk '/ecdh \(nistp256\)/ {print $NF}')
  [ -n "$ossl" ] && results+=("{\"openssl_speed_ecdh\": $ossl}")
  if [ $have_node = 1 ]; then
    results+=("$(taskset -c "$cpu" node "$here/bench/platforms/webpush_node.mjs" "$seconds" "$size" | grep '^{')")
  fi
done
[ $have_node = 1 ] || echo "web-push         (skipped: node or tests/node_modules/web-push missing)"
python3 - "$here/bench/out/webpush.json" "${results[@]}" <<'PY'
import json, statistics, sys, time
runs = [json.loads(x) for x in sys.argv[2:]]
keys = []
for r in runs:
    keys += [k for k in r if k not in keys]
out = {}
for k in keys:
    vals = [r[k] for r in runs if k in r]
    out[k] = statistics.median(vals)
    if k != "payload_bytes":
        print("%-16s %10.0f /s  (rounds: %s)" % (k, out[k], ", ".join("%.0f" % v for v in vals)))
out["date"] = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
if out.get("web_push_node"):
    out["ratio_to_node"] = round(out["webpush_encrypt"] / out["web_push_node"], 2)
out["ratio_to_aes128gcm"] = round(out["webpush_encrypt"] / out["aes128gcm"], 4)
with open(sys.argv[1], "w") as f:
    json.dump(out, f, indent=1)
print("target 20,000/s:", "met" if out["webpush_encrypt"] >= 20000 else "NOT met", "(%d/s)" % out["webpush_encrypt"])
PY
