# The scheduler end to end with the real binary: `run --interval 1s` picks up
# a human commit on the next pass; with --interval 1h a correctly signed
# webhook (GitHub HMAC-SHA256) triggers a pass at once and a badly signed one
# gets 401 and no pass; `ctl tasks|run|disable` work with the API token and
# get 401 without it; a real Prometheus (Debian `prometheus`) scrapes
# /metrics; SIGTERM exits 0 with the last pass's status commit in the remote.
. "$(dirname "$0")/lib.sh"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
code() { curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$@"; }
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; [ -n "${KEEP_T:-}" ] || rm -rf "$T"' EXIT

printf 'hook-s3cret\n' >"$T/hook.secret"
printf 'api-t0ken\n' >"$T/api.token"
printf 'wrong\n' >"$T/bad.token"

start_run() { # $1 = interval, $2 = log
    "$FC_BIN" run --repo "$REMOTE" --state-dir "$T/state" \
        --sim-file "$FC_SOURCE_DIR/examples/sim/estate.yaml" \
        --prices "$FC_SOURCE_DIR/examples/prices/aws-prices.yaml" \
        --now "$NOW" --log-level info --interval "$1" --listen "127.0.0.1:$PORT" \
        --webhook-secret-file "$T/hook.secret" --api-token-file "$T/api.token" \
        2>"$2" &
    PID=$!
    PIDS+=("$PID")
    for _ in $(seq 150); do
        [ "$(code "$URL/readyz")" = 200 ] && return 0
        kill -0 $PID 2>/dev/null || { cat "$2" >&2; fail "controller exited"; }
        sleep 0.1
    done
    cat "$2" >&2
    fail "not ready after 15 s"
}

# Sum of finops_passes_total over results.
passes() {
    curl -s --max-time 5 "$URL/metrics" |
        awk '/^finops_passes_total\{/ { s += $2 } END { print s + 0 }'
}

# Waits (bounded, $2 tenths of a second) until the remote's company budget
# status mentions amount $1.
wait_budget() {
    for _ in $(seq "$2"); do
        remote_show status/budgets/company.yaml 2>/dev/null | grep -q "$1" && return 0
        sleep 0.1
    done
    return 1
}

stop_run() { # SIGTERM: exit 0
    kill -TERM $PID
    local rc=0
    wait $PID || rc=$?
    [ $rc -eq 0 ] || { cat "$1" >&2; fail "SIGTERM exit code $rc"; }
}

seed_repo

# ---- 1. --interval 1s: a human commit is reflected in a few passes --------
start_run 1s "$T/run1.log"
remote_show status/budgets/company.yaml | grep -q 11000 || fail "no budget status after the first pass"
human_commit "Raise the company budget" "sed -i 's/amount: 11000/amount: 12345/' finops/budgets/company.yaml"
wait_budget 12345 100 || { cat "$T/run1.log" >&2; fail "the commit was not picked up within 10 s"; }
pass "interval 1s: a human commit is in status within a few passes"

# ---- 2. a real Prometheus scrapes /metrics ----------------------------------
if command -v prometheus >/dev/null; then
    PPORT=$(free_port)
    cat >"$T/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: finops
    static_configs: [{targets: ["127.0.0.1:$PORT"]}]
EOF
    prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
        --web.listen-address="127.0.0.1:$PPORT" >"$T/prom.log" 2>&1 &
    PROM=$!
    PIDS+=("$PROM")
    q() { curl -s --max-time 5 -G "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1"; }
    up=""
    for _ in $(seq 60); do
        up=$(q 'up{job="finops"}' | /usr/bin/python3 -c 'import json,sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if r else "")
except Exception:
    print("")' 2>/dev/null || true)
        [ "$up" = 1 ] && break
        sleep 0.5
    done
    [ "$up" = 1 ] || { tail -20 "$T/prom.log" >&2; fail "Prometheus does not show the controller up within 30 s"; }
    n=$(q 'sum(finops_passes_total{job="finops"})' | /usr/bin/python3 -c 'import json,sys
r = json.load(sys.stdin)["data"]["result"]
print(int(float(r[0]["value"][1])) if r else 0)')
    [ "$n" -ge 1 ] || fail "Prometheus has no finops_passes_total"
    q 'finops_budget_spend_ratio{job="finops",budget="company"}' | grep -q '"budget":"company"' ||
        fail "Prometheus has no finops_budget_spend_ratio for company"
    kill $PROM
    wait $PROM 2>/dev/null || true
    pass "Prometheus scrapes the controller: up{job=\"finops\"} = 1, $n passes, budget gauges"
else
    echo "SKIP: prometheus is not installed (Debian package prometheus); scrape check skipped"
fi

stop_run "$T/run1.log"
grep -q "stop requested" "$T/run1.log" || fail "no stop message"
[ "$(git --git-dir="$REMOTE" log -1 --format=%an main)" = finops-controller ] ||
    fail "the remote head is not the controller's status commit"
remote_show status/budgets/company.yaml | grep -q 12345 || fail "last status not in the remote"
pass "SIGTERM: exit 0, the last pass's status commit is in the remote"

# ---- 3. --interval 1h: webhooks and ctl ----------------------------------------
start_run 1h "$T/run2.log"
before=$(passes)
human_commit "Raise it again" "sed -i 's/amount: 12345/amount: 13000/' finops/budgets/company.yaml"
body='{"ref":"refs/heads/main","after":"'"$(remote_head)"'"}'
sig=$(printf '%s' "$body" | /usr/bin/python3 -c 'import hmac,hashlib,sys
print(hmac.new(b"hook-s3cret", sys.stdin.buffer.read(), hashlib.sha256).hexdigest())')
c=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST --data-binary "$body" \
    -H "X-Hub-Signature-256: sha256=$(printf '%064d' 0)" "$URL/hooks/git")
[ "$c" = 401 ] || fail "bad signature: HTTP $c, want 401"
c=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST --data-binary "$body" "$URL/hooks/git")
[ "$c" = 401 ] || fail "no signature: HTTP $c, want 401"
sleep 1.5
[ "$(passes)" = "$before" ] || fail "a refused webhook ran a pass"
grep -q 13000 <<<"$(remote_show status/budgets/company.yaml)" && fail "status changed without a pass"
grep -q "s3cret\|$sig" "$T/run2.log" && fail "the secret or signature reached the log"
pass "webhook with a bad or missing signature: 401, no pass"

c=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST --data-binary "$body" \
    -H "X-GitHub-Event: push" -H "X-Hub-Signature-256: sha256=$sig" "$URL/hooks/git")
[ "$c" = 202 ] || fail "signed webhook: HTTP $c, want 202"
wait_budget 13000 100 || { cat "$T/run2.log" >&2; fail "signed webhook did not trigger a pass within 10 s"; }
# The counter moves after the push, a moment after the commit is visible.
for _ in $(seq 100); do [ "$(passes)" -gt "$before" ] && break; sleep 0.1; done
[ "$(passes)" -gt "$before" ] || fail "no pass counted after the webhook"
pass "signed webhook: 202 and a pass at once (interval 1h)"

ctl() { "$FC_BIN" ctl --server "$URL" "$@"; }
ctl tasks >"$T/tasks.txt" || fail "ctl tasks"
grep -q '^NAME' "$T/tasks.txt" || fail "ctl tasks prints no table"
for t in sync discovery optimization report; do
    grep -q "^$t " "$T/tasks.txt" || { cat "$T/tasks.txt"; fail "ctl tasks lacks $t"; }
done
grep -q '^sync .* every 3600s' "$T/tasks.txt" || { cat "$T/tasks.txt"; fail "sync schedule not shown"; }
ctl status | grep -q '^ready: *yes' || fail "ctl status"
rc=0; ctl --token-file "$T/bad.token" run sync 2>"$T/ctl.err" || rc=$?
[ $rc -eq 1 ] && grep -q 401 "$T/ctl.err" || fail "ctl with a wrong token: rc $rc, $(cat "$T/ctl.err")"
[ "$(code -X POST "$URL/api/v1/tasks/sync/run")" = 401 ] || fail "task write without a token is not 401"
rc=0; ctl run sync 2>/dev/null || rc=$?
[ $rc -eq 2 ] || fail "ctl run without --token-file: rc $rc, want 2"
before=$(passes)
ctl --token-file "$T/api.token" run sync | grep -q "run sync: ok" || fail "ctl run sync"
for _ in $(seq 100); do
    [ "$(passes)" -gt "$before" ] && break
    sleep 0.1
done
[ "$(passes)" -gt "$before" ] || fail "ctl run sync did not run a pass"
ctl --token-file "$T/api.token" disable discovery | grep -q ok || fail "ctl disable"
ctl tasks | grep -q '^discovery  *discovery  *no ' || { ctl tasks; fail "discovery not disabled"; }
ctl --token-file "$T/api.token" enable discovery >/dev/null || fail "ctl enable"
ctl tasks | grep -q '^discovery  *discovery  *yes ' || fail "discovery not re-enabled"
rc=0; ctl --token-file "$T/api.token" run nosuchtask 2>/dev/null || rc=$?
[ $rc -eq 1 ] || fail "ctl run of an unknown task: rc $rc"
pass "ctl tasks/status/run/disable/enable with the token; 401 without"

stop_run "$T/run2.log"
remote_show status/budgets/company.yaml | grep -q 13000 || fail "last status not in the remote"
pass "SIGTERM with interval 1h: exit 0 at once"

# ---- 4. grace period and a second signal: exit 1, said so --------------------
# A pass held in flight by an AWS endpoint that answers after 20 s.
cat >"$T/slow.py" <<'PY'
import http.server, socketserver, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self): time.sleep(20); self.send_response(500); self.end_headers()
    do_GET = do_POST
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer): daemon_threads = True
s = S(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
/usr/bin/python3 "$T/slow.py" "$T/slow.port" &
SLOW=$!
PIDS+=("$SLOW")
for _ in $(seq 50); do [ -s "$T/slow.port" ] && break; sleep 0.1; done
slow_run() { # $1 = log; extra flags follow
    local log=$1; shift
    AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true \
    "$FC_BIN" run --repo "$REMOTE" --state-dir "$T/state" --force \
        --sim-file "$FC_SOURCE_DIR/examples/sim/estate.yaml" \
        --prices "$FC_SOURCE_DIR/examples/prices/aws-prices.yaml" --now "$NOW" \
        --provider aws --endpoint-url "http://127.0.0.1:$(cat "$T/slow.port")" \
        --interval 1h --listen "127.0.0.1:$PORT" "$@" 2>"$log" &
    PID=$!
    PIDS+=("$PID")
    for _ in $(seq 100); do # the first pass is in flight once /healthz answers
        [ "$(code "$URL/healthz")" = 200 ] && break
        sleep 0.1
    done
    sleep 0.5
}
slow_run "$T/run3.log" --grace-period 1s
[ "$(code "$URL/readyz")" = 503 ] || fail "the slow pass is not in flight"
start=$(date +%s%N)
kill -TERM $PID
rc=0; wait $PID || rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $rc -eq 1 ] || { cat "$T/run3.log" >&2; fail "grace period: exit $rc, want 1"; }
grep -q "grace period expired" "$T/run3.log" || fail "grace period exit not explained"
[ $elapsed_ms -lt 5000 ] || fail "grace period 1s took ${elapsed_ms} ms"
pass "SIGTERM during a pass longer than --grace-period 1s: exit 1 after ${elapsed_ms} ms, said so"

slow_run "$T/run4.log"
kill -TERM $PID
sleep 0.3
kill -0 $PID 2>/dev/null || fail "the first SIGTERM did not wait for the pass"
kill -INT $PID
rc=0; wait $PID || rc=$?
[ $rc -eq 1 ] || { cat "$T/run4.log" >&2; fail "second signal: exit $rc, want 1"; }
grep -q "second signal" "$T/run4.log" || fail "second-signal exit not explained"
pass "a second signal during a pass: exit 1 at once, said so"
