#!/usr/bin/env bash
# bench_http.sh - the HTTP API under load (run by hand, not by ctest).
#
# Generates a 100,000-resource sim estate, runs `finops-controller run` on
# it with --listen, waits for /readyz, then drives /metrics and
# /api/v1/resources?limit=100&offset=N (N random, whole inventory) with wrk
# (Debian package `wrk`) until REQUESTS requests in total (default
# 1,000,000, half per endpoint), in rounds of ROUND seconds.  Reports
# requests/s and p99 latency per endpoint and samples the controller's RSS
# every second (VmRSS from /proc/<pid>/status): memory is flat when the
# mean of the last 10 % of samples is within 10 % of the first 10 %'s
# (taken after the first round, once caches are warm).
#
#   FC_BIN=build/finops-controller bash tests/bench/bench_http.sh
#   env: SIZE (100000) REQUESTS (1000000) CONNECTIONS (32) THREADS (2)
#        ROUND (10) KEEP=1 (keep the temp dir)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
FC_BIN=${FC_BIN:-$SRC/build/finops-controller}
SIZE=${SIZE:-100000}
REQUESTS=${REQUESTS:-1000000}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
ROUND=${ROUND:-10}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[ -x "$FC_BIN" ] || { echo "no binary at $FC_BIN (set FC_BIN)" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/fc-bench-http.XXXXXX")
PID=
SAMPLER=
cleanup() {
    [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com HOME="$T/home"
mkdir -p "$HOME"

echo "generating a $SIZE-resource estate ..."
/usr/bin/python3 "$SRC/examples/sim/gen_estate.py" --size "$SIZE" --format jsonl >"$T/estate.jsonl"
git init -q --bare -b main "$T/remote.git"
git clone -q "$T/remote.git" "$T/work" 2>/dev/null
cp -r "$SRC/examples/demo-repo/." "$T/work/"
git -C "$T/work" add -A && git -C "$T/work" commit -q -m specs && git -C "$T/work" push -q origin main

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
FINOPS_HTTP_MAX_CONNECTIONS=$((CONNECTIONS * 2 + 16)) \
FINOPS_HTTP_MAX_CONNECTIONS_PER_IP=$((CONNECTIONS * 2)) FINOPS_HTTP_THREADS=$THREADS \
"$FC_BIN" run --repo "$T/remote.git" --state-dir "$T/state" --sim-file "$T/estate.jsonl" \
    --prices "$SRC/examples/prices/aws-prices.yaml" --now 2026-11-20T12:00:00Z \
    --interval 24h --log-level warn --listen "127.0.0.1:$PORT" 2>"$T/run.log" &
PID=$!
t0=$(date +%s)
until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL/readyz")" = 200 ]; do
    kill -0 "$PID" 2>/dev/null || { cat "$T/run.log" >&2; echo "controller exited" >&2; exit 1; }
    sleep 1
done
total=$(curl -s "$URL/api/v1/resources?limit=1" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d.get("total", d.get("count", "?")))')
echo "ready after $(( $(date +%s) - t0 )) s; /api/v1/resources total: $total"

# RSS sampler: one line per second, "seconds kB"
( while kill -0 "$PID" 2>/dev/null; do
      echo "$(date +%s) $(awk '$1 == "VmRSS:" {print $2}' "/proc/$PID/status")"
      sleep 1
  done ) >"$T/rss" &
SAMPLER=$!

cat >"$T/resources.lua" <<EOF
-- a random page of the whole inventory per request
math.randomseed(42)
request = function()
    local off = math.random(0, math.floor(($SIZE - 100) / 100)) * 100
    return wrk.format("GET", "/api/v1/resources?limit=100&offset=" .. off)
end
EOF

# run_endpoint NAME URL [wrk args]: rounds of wrk until REQUESTS/2 requests
declare -A REQS SECS P99S ERRS
run_endpoint() {
    local name=$1 url=$2; shift 2
    local want=$((REQUESTS / 2)) done_=0 secs=0 errs=0 out n s p99 worst=0
    while [ "$done_" -lt "$want" ]; do
        out=$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "${ROUND}s" --latency "$@" "$url")
        n=$(sed -n 's/^ *\([0-9]*\) requests in \([0-9.]*\)\(m\?s\).*/\1/p' <<<"$out")
        s=$(sed -n 's/^ *[0-9]* requests in \([0-9.]*\)\(m\?s\).*/\1 \2/p' <<<"$out" |
            awk '{print ($2 == "ms") ? $1 / 1000 : $1}')
        p99=$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000}
                   else if (v ~ /ms$/) sub(/ms$/, "", v); else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000}
                   print v}' <<<"$out")
        errs=$((errs + $(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' <<<"$out" | head -1 | grep . || echo 0)))
        errs=$((errs + $(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1+\2+\3+\4/p' <<<"$out" | head -1 | grep . || echo 0)))
        done_=$((done_ + n))
        secs=$(awk -v a="$secs" -v b="$s" 'BEGIN {print a + b}')
        worst=$(awk -v a="$worst" -v b="$p99" 'BEGIN {print (b > a) ? b : a}')
        printf '  %-10s round: %7d requests, p99 %8.2f ms (total %d)\n' "$name" "$n" "$p99" "$done_"
    done
    REQS[$name]=$done_
    SECS[$name]=$secs
    P99S[$name]=$worst
    ERRS[$name]=$errs
}
echo "driving $REQUESTS requests with wrk -t $THREADS -c $CONNECTIONS ..."
run_endpoint metrics "$URL/metrics"
run_endpoint resources "$URL/" -s "$T/resources.lua"
kill "$SAMPLER" 2>/dev/null; SAMPLER=

echo
printf '%-10s %10s %10s %12s %8s\n' endpoint requests req/s "p99 (worst)" errors
for e in metrics resources; do
    printf '%-10s %10d %10.0f %9.2f ms %8d\n' "$e" "${REQS[$e]}" \
        "$(awk -v n="${REQS[$e]}" -v s="${SECS[$e]}" 'BEGIN {print n / s}')" "${P99S[$e]}" "${ERRS[$e]}"
done
# Flat memory: skip the first round (warm-up), then first vs last 10 %.
/usr/bin/python3 - "$T/rss" "$ROUND" <<'EOF'
import sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 2]
kb = [int(r[1]) for r in rows][int(sys.argv[2]):]
if len(kb) < 10:
    sys.exit("too few RSS samples")
k = max(1, len(kb) // 10)
first, last = sum(kb[:k]) / k, sum(kb[-k:]) / k
print("RSS over %d s: first 10%% %.1f MiB, last 10%% %.1f MiB, min %.1f, max %.1f MiB (%+.1f%%)"
      % (len(kb), first / 1024, last / 1024, min(kb) / 1024, max(kb) / 1024,
         100 * (last - first) / first))
sys.exit(0 if abs(last - first) <= 0.10 * first else "RSS is not flat")
EOF
