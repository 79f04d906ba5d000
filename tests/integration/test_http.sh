# `run` serves HTTP on 127.0.0.1: /healthz, /readyz (503 until a pass has
# succeeded, then 200), /metrics in the Prometheus text format (checked by a
# python3 parser of the exposition format, and by promtool when Debian's
# prometheus package is installed), read-only /api/v1/ with pagination and
# filters; `reconcile --once` does not serve; SIGTERM exits 0 within 5 s.
. "$(dirname "$0")/lib.sh"

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
get() { curl -s --max-time 5 "$@"; }
code() { curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$@"; }

# lib.sh's fc, but exec'd, so $! is the controller itself (signals reach it).
fc_exec() {
    local cmd=$1; shift
    exec "$FC_BIN" "$cmd" --repo "$REMOTE" --state-dir "$T/state" \
        --sim-file "$FC_SOURCE_DIR/examples/sim/estate.yaml" \
        --prices "$FC_SOURCE_DIR/examples/prices/aws-prices.yaml" \
        --now "$NOW" --log-level warn "$@"
}

# The remote does not exist yet: passes fail, the process is alive, not ready.
fc_exec run --interval 1s --listen "127.0.0.1:$PORT" 2>"$T/run.log" &
PID=$!
trap 'kill $PID 2>/dev/null || true; [ -n "${KEEP_T:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 100); do
    [ "$(code "$URL/healthz")" = 200 ] && break
    kill -0 $PID 2>/dev/null || { cat "$T/run.log" >&2; fail "controller exited"; }
    sleep 0.1
done
[ "$(get "$URL/healthz")" = ok ] || fail "/healthz is not 200 ok"
pass "/healthz answers while passes fail"
[ "$(code "$URL/readyz")" = 503 ] || fail "/readyz is not 503 before a successful pass"
get "$URL/readyz" | grep -q "no successful pass yet" || fail "/readyz gives no reason"
[ "$(code "$URL/api/v1/recommendations")" = 503 ] || fail "api answered before any pass"
pass "/readyz 503 with its reason before the first successful pass"

seed_repo
for _ in $(seq 100); do
    [ "$(code "$URL/readyz")" = 200 ] && break
    sleep 0.1
done
[ "$(code "$URL/readyz")" = 200 ] || { cat "$T/run.log" >&2; fail "/readyz not 200 after a pass"; }
pass "/readyz 200 after a successful pass"

get "$URL/metrics" >"$T/metrics.txt"
for fam in finops_reconcile_duration_seconds_bucket finops_passes_total \
           finops_resources finops_recommendations finops_recommendations_monthly_savings \
           finops_budget_spend_ratio finops_anomalies_open finops_actions \
           finops_git_sync_duration_seconds_count finops_git_sync_failures_total \
           finops_git_push_duration_seconds_count finops_git_push_failures_total; do
    grep -q "^$fam[{ ]" "$T/metrics.txt" || fail "/metrics lacks $fam"
done
grep -q '^finops_passes_total{result="failed"} [1-9]' "$T/metrics.txt" || fail "failed passes not counted"
grep -q '^finops_passes_total{result="committed"} 1$' "$T/metrics.txt" || fail "committed pass not counted"
/usr/bin/python3 - "$T/metrics.txt" <<'EOF' || fail "/metrics is not valid exposition text"
# The text format 0.0.4, strictly: HELP/TYPE once per family before its
# samples, names and labels well-formed, values floats, histogram buckets
# cumulative with le="+Inf" equal to _count, and _sum/_count present.
import re, sys
name = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
sample = re.compile(r'^(%s)(?:\{(%s(?:,%s)*)?\})? (\S+)$' % (name, label, label))
types, helps, seen, hist = {}, set(), set(), {}
def family(n):
    for suf in ('_bucket', '_sum', '_count'):
        if n.endswith(suf) and types.get(n[:-len(suf)]) == 'histogram':
            return n[:-len(suf)]
    return n
for ln, line in enumerate(open(sys.argv[1]), 1):
    line = line.rstrip('\n')
    where = 'line %d: %r' % (ln, line)
    if line.startswith('# HELP '):
        n = line.split(' ')[2]
        assert re.fullmatch(name, n) and n not in helps and n not in seen, where
        helps.add(n)
        continue
    if line.startswith('# TYPE '):
        _, _, n, t = line.split(' ')
        assert t in ('counter', 'gauge', 'histogram', 'summary', 'untyped'), where
        assert n not in types and n not in seen, where
        types[n] = t
        continue
    assert line and not line.startswith('#'), where
    m = sample.match(line)
    assert m, where
    fam = family(m.group(1))
    assert fam in types and fam in helps, 'no TYPE/HELP before ' + where
    seen.add(fam)
    v = m.group(3)
    assert v in ('+Inf', '-Inf', 'NaN') or float(v) == float(v), where
    if types[fam] == 'histogram':
        labels = re.findall(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"', m.group(2) or '')
        key = (fam, tuple(kv for kv in labels if kv[0] != 'le'))
        h = hist.setdefault(key, {'buckets': [], 'sum': None, 'count': None})
        if m.group(1).endswith('_bucket'):
            le = dict(labels)['le']
            h['buckets'].append((float(le), float(v)))
        elif m.group(1).endswith('_sum'):
            h['sum'] = float(v)
        else:
            h['count'] = float(v)
    if types[fam] == 'counter':
        assert float(v) >= 0, where
for key, h in hist.items():
    b = h['buckets']
    assert b and b[-1][0] == float('inf'), ('no +Inf bucket', key)
    assert all(b[i][0] < b[i + 1][0] and b[i][1] <= b[i + 1][1] for i in range(len(b) - 1)), \
        ('buckets not cumulative', key)
    assert h['count'] == b[-1][1] and h['sum'] is not None, ('_count/_sum', key)
print('exposition ok: %d families, %d histogram series' % (len(types), len(hist)))
EOF
if command -v promtool >/dev/null; then
    promtool check metrics <"$T/metrics.txt" || fail "promtool check metrics"
    pass "/metrics passes promtool check metrics"
else
    echo "note: promtool not installed (Debian package prometheus); python check only"
fi
pass "/metrics has every family and is valid exposition text"

get "$URL/api/v1/recommendations?limit=5" >"$T/recs.json"
/usr/bin/python3 - "$T/recs.json" <<'EOF' || fail "/api/v1/recommendations?limit=5"
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d['items']) == 5 and d['limit'] == 5 and d['total'] > 5, d
assert d['continue'] == '5', d
for r in d['items']:
    assert r['id'] and r['rule'] and r['account'] and 'monthlySaving' in r, r
EOF
next=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["continue"])' "$T/recs.json")
get "$URL/api/v1/recommendations?limit=5&continue=$next" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["offset"] == 5 and len(d["items"]) == 5, d' || fail "continue token"
get "$URL/api/v1/resources?type=ebs-volume&region=eu-west-1&limit=1000" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["total"] > 0 and d["total"] == len(d["items"]), d
assert all(r["type"] == "ebs-volume" and r["region"] == "eu-west-1" for r in d["items"]), d' \
    || fail "resource filters"
for what in budgets anomalies actions runs; do
    get "$URL/api/v1/$what" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert "items" in d and "total" in d, d' \
        || fail "/api/v1/$what"
done
get "$URL/api/v1/runs?limit=1" | grep -q '"result":"committed"\|"total":' || fail "runs"
pass "/api/v1 lists paginate (limit, continue) and filter (type, region)"

[ "$(code "$URL/api/v1/recommendations?limit=0")" = 400 ] || fail "limit=0 accepted"
[ "$(code "$URL/api/v1/resources?account=$(head -c 400 /dev/zero | tr '\0' a)")" = 400 ] \
    || fail "oversized query value accepted"
[ "$(code --path-as-is "$URL/api/v1/../../etc/passwd")" = 400 ] || fail "'..' path accepted"
[ "$(code -X POST "$URL/api/v1/recommendations")" = 405 ] || fail "POST accepted"
[ "$(code "$URL/api/v1/nothing")" = 404 ] || fail "unknown list not 404"
pass "bad queries, '..' paths and writes are refused"

start=$(date +%s%N)
kill -TERM $PID
rc=0
wait $PID || rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $rc -eq 0 ] || { cat "$T/run.log" >&2; fail "SIGTERM exit code $rc"; }
[ $elapsed_ms -lt 5000 ] || fail "SIGTERM took ${elapsed_ms} ms"
[ "$(code "$URL/healthz")" = 000 ] || fail "still serving after exit"
pass "SIGTERM: exit 0 in ${elapsed_ms} ms, port closed"

# A restart on the same state dir: the memo says nothing is due, yet the API
# has data after the first pass, and no new status commit is made.
head=$(remote_head)
fc_exec run --interval 1s --listen "127.0.0.1:$PORT" 2>"$T/run2.log" &
PID=$!
for _ in $(seq 100); do
    [ "$(code "$URL/readyz")" = 200 ] && break
    sleep 0.1
done
[ "$(code "$URL/api/v1/recommendations?limit=1")" = 200 ] || { cat "$T/run2.log" >&2; fail "no API data after a restart"; }
[ "$(remote_head)" = "$head" ] || fail "restart made a status commit"
kill -TERM $PID
wait $PID || fail "second run exit code"
pass "after a restart the API has data from the first pass, without a new commit"

# One-shot commands do not serve.
fc_exec reconcile --once --listen "127.0.0.1:$PORT" &
OPID=$!
sleep 0.2
[ "$(code "$URL/healthz")" = 000 ] || fail "reconcile --once serves HTTP"
wait $OPID || fail "reconcile --once"
pass "reconcile --once does not serve"
