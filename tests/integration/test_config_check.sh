#!/bin/bash
# test_config_check.sh - configuration layers (flags > FINOPS_* > --config
# file > defaults) through `config`, invalid configuration refused at start
# with the key named, JSON logs with the run id and objects, `check` against
# a bare repo (sim), a push-denying http remote and the loopback AWS server
# with one service failing, SIGHUP reloading the config file of `run`, and
# the aws client's API counters on /metrics (promtool when installed).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"

seed_repo
unset FINOPS_GIT_TOKEN FINOPS_GIT_TOKEN_FILE

# ---- 1. `config`: every layer and its source; secrets never printed --------
cat >"$T/fc.yaml" <<'EOF'
# finops-controller configuration
branch: main
interval: 10m
git:
  authorName: From File
log: {level: debug, format: text}
EOF
FINOPS_INTERVAL=20m FINOPS_GIT_TOKEN=very-secret-token \
    "$FC_BIN" config --config "$T/fc.yaml" --log-level error >"$T/config.out" ||
    fail "config failed"
row() { grep -E "^$1 " "$T/config.out" | tr -s ' '; }
[ "$(row interval)" = "interval 20m env FINOPS_INTERVAL" ] || fail "interval: $(row interval)"
[ "$(row log.level)" = "log.level error flag --log-level" ] || fail "log.level: $(row log.level)"
[ "$(row git.authorName)" = "git.authorName From File file $T/fc.yaml:5" ] ||
    fail "git.authorName: $(row git.authorName)"
[ "$(row log.format)" = "log.format text file $T/fc.yaml:6" ] || fail "log.format: $(row log.format)"
[ "$(row provider)" = "provider sim default" ] || fail "provider: $(row provider)"
[ "$(row git.token)" = "git.token <redacted> env FINOPS_GIT_TOKEN" ] || fail "git.token: $(row git.token)"
grep -q very-secret-token "$T/config.out" && fail "the secret was printed"
pass "config: flag > env > file:line > default, secret redacted"

# ---- 2. invalid configuration is refused at start, key named ---------------
printf 'branch: main\nintervall: 5m\n' >"$T/bad.yaml"
rc=0; fc reconcile --once --config "$T/bad.yaml" 2>"$T/bad.err" || rc=$?
[ $rc = 2 ] || fail "bad config file: exit $rc"
grep -qF "$T/bad.yaml:2: intervall: unknown setting" "$T/bad.err" || fail "$(cat "$T/bad.err")"
printf 'git:\n  knownHosts: [a, b]\n' >"$T/bad2.yaml"
rc=0; fc reconcile --once --config "$T/bad2.yaml" 2>"$T/bad2.err" || rc=$?
[ $rc = 2 ] && grep -qF "$T/bad2.yaml:2: git.knownHosts: expected a path, got a list" "$T/bad2.err" ||
    fail "wrong type: exit $rc: $(cat "$T/bad2.err")"
rc=0; FINOPS_LOG_FORMAT=xml fc reconcile --once 2>"$T/bad3.err" || rc=$?
[ $rc = 2 ] && grep -qF "FINOPS_LOG_FORMAT: expected one of text|json, got 'xml'" "$T/bad3.err" ||
    fail "bad env: exit $rc: $(cat "$T/bad3.err")"
rc=0; fc reconcile --once --listen nowhere 2>"$T/bad4.err" || rc=$?
[ $rc = 2 ] && grep -qF -- "--listen: expected HOST:PORT, got 'nowhere'" "$T/bad4.err" ||
    fail "bad flag: exit $rc: $(cat "$T/bad4.err")"
git --git-dir="$REMOTE" log --oneline main | grep -q status: && fail "a refused config ran a pass"
pass "invalid file key, type, env and flag refused before any pass (exit 2)"

# ---- 3. JSON logs: one object per line, run id on the pass's lines ---------
fc reconcile --once --log-level info --log-format json 2>"$T/log.json" >/dev/null ||
    fail "pass failed: $(tail -3 "$T/log.json")"
/usr/bin/python3 - "$T/log.json" <<'EOF' || fail "json log lines"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert lines, "no log lines"
for d in lines:
    assert {"ts", "level", "msg", "run"} <= d.keys(), d
runs = {d["run"] for d in lines if d["msg"].startswith(("specs at", "pass done", "pushed"))}
assert len(runs) == 1 and "" not in runs, runs
EOF
pass "json logs: ts, level, msg, run on every line; one run id per pass"

# ---- 4. check against the bare repo, every Account on the sim --------------
fc check --provider sim >"$T/check1.out" 2>"$T/check1.err" ||
    fail "check (sim) failed: $(cat "$T/check1.out" "$T/check1.err")"
grep -qE '^git +- +fetch +ok' "$T/check1.out" || fail "no fetch row: $(cat "$T/check1.out")"
grep -qE '^git +- +push +ok' "$T/check1.out" || fail "no push row"
grep -qE '^518273640192 +us-east-1 +sim +ok' "$T/check1.out" || fail "no sim region row"
git --git-dir="$REMOTE" show-ref | grep -q finops-controller/check &&
    fail "check left its scratch ref on the remote"
grep -q ERROR "$T/check1.out" && fail "errors: $(cat "$T/check1.out")"
pass "check (sim): fetch, push probe (scratch ref removed), every account and region ok"

# an Account the estate does not have: reported, exit 1
human_commit "ghost account" "cat > finops/accounts/ghost.yaml <<'Y'
apiVersion: finops.dev/v1alpha1
kind: Account
metadata: {name: ghost}
spec:
  accountId: \"111122223333\"
  regions: [eu-west-1]
  provider: sim
Y"
rc=0; fc check --provider sim >"$T/check2.out" 2>&1 || rc=$?
[ $rc = 1 ] || fail "check with a ghost account: exit $rc"
grep -qE '^111122223333 +- +sim +ERROR +account is not in the sim estate' "$T/check2.out" ||
    fail "ghost account row: $(cat "$T/check2.out")"
pass "check: an account missing from the estate fails with the reason (exit 1)"
human_commit "no ghost" "git rm -q finops/accounts/ghost.yaml"

# ---- 5. push rights: an http remote that serves fetches but denies pushes --
printf 'tok-check\n' >"$T/server-token"
cp "$T/server-token" "$T/token"
git --git-dir="$REMOTE" config http.receivepack false
/usr/bin/python3 "$FC_SOURCE_DIR/tests/integration/git_http_server.py" \
    "$T" "$T/server-token" "$T/git.port" "$T/git-http.log" 2>"$T/git-http.err" &
GIT_SRV=$!
for _ in $(seq 100); do [ -s "$T/git.port" ] && break; sleep 0.1; done
[ -s "$T/git.port" ] || fail "git http server did not start"
rc=0
"$FC_BIN" check --repo "http://127.0.0.1:$(cat "$T/git.port")/remote.git" \
    --git-token-file "$T/token" --state-dir "$T/state-http" --provider sim \
    --sim-file "$FC_SOURCE_DIR/examples/sim/estate.yaml" --now "$NOW" \
    >"$T/check3.out" 2>&1 || rc=$?
kill $GIT_SRV 2>/dev/null || true
git --git-dir="$REMOTE" config --unset http.receivepack
[ $rc = 1 ] || fail "check with a read-only remote: exit $rc: $(cat "$T/check3.out")"
grep -qE '^git +- +fetch +ok' "$T/check3.out" || fail "fetch should work: $(cat "$T/check3.out")"
grep -qE '^git +- +push +ERROR' "$T/check3.out" || fail "push should fail: $(cat "$T/check3.out")"
grep -q tok-check "$T/check3.out" && fail "the token was printed"
pass "check: read-only remote -> fetch ok, push ERROR (exit 1)"

# ---- 6. check against the loopback AWS server, rds failing -----------------
start_aws_server
base_env
fc_aws check >"$T/check4.out" 2>&1 || fail "check (aws) failed: $(cat "$T/check4.out")"
for svc in sts ec2 elbv2 rds lambda cloudwatch s3 ce; do
    grep -qE "^518273640192 +[a-z0-9-]+ +$svc +ok" "$T/check4.out" ||
        fail "no ok row for $svc: $(cat "$T/check4.out")"
done
grep -qE '^739104856213 +- +sts:AssumeRole +ok' "$T/check4.out" || fail "AssumeRole row"
pass "check (aws): credentials, AssumeRole, identity and every service ok"
ctl POST faults '{"service":"rds","kind":"500","count":-1}' >/dev/null
rc=0; fc_aws check >"$T/check5.out" 2>&1 || rc=$?
[ $rc = 1 ] || fail "check with rds failing: exit $rc"
grep -qE '^518273640192 +eu-west-1 +rds +ERROR +Internal.*\(HTTP 500\)' "$T/check5.out" ||
    fail "rds row: $(cat "$T/check5.out")"
grep -qE '^518273640192 +eu-west-1 +ec2 +ok' "$T/check5.out" || fail "ec2 should still work"
ctl POST reset "{}" >/dev/null
pass "check (aws): a failing service is one ERROR row with its reason (exit 1)"

# ---- 7. run: /metrics API counters, SIGHUP reloads the config file ---------
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'interval: 1s\nlog: {level: info}\n' >"$T/run.yaml"
ctl POST faults '{"service":"lambda","kind":"throttle","count":2}' >/dev/null
"$FC_BIN" run --repo "$REMOTE" --state-dir "$T/state" --config "$T/run.yaml" \
    --sim-file "$FC_SOURCE_DIR/examples/sim/estate.yaml" \
    --prices "$FC_SOURCE_DIR/examples/prices/aws-prices.yaml" --now "$NOW" \
    --provider aws --endpoint-url "$AWS_URL" --listen "127.0.0.1:$PORT" 2>"$T/run.log" &
RUN=$!
trap 'kill $RUN $AWS_PID 2>/dev/null || true; wait $AWS_PID 2>/dev/null || true; [ -n "${KEEP_T:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ] && break
    kill -0 $RUN 2>/dev/null || fail "run exited: $(tail -5 "$T/run.log")"
    sleep 0.1
done
curl -s "http://127.0.0.1:$PORT/metrics" >"$T/metrics.txt"
grep -qE '^finops_api_calls_total\{service="ec2",result="ok"\} [1-9]' "$T/metrics.txt" ||
    fail "no ec2 API calls on /metrics: $(grep finops_api "$T/metrics.txt")"
grep -qE '^finops_api_calls_total\{service="lambda",result="throttled"\} [1-9]' "$T/metrics.txt" ||
    fail "throttled lambda calls not counted"
grep -qE '^finops_api_retries_total\{service="lambda"\} [1-9]' "$T/metrics.txt" ||
    fail "lambda retries not counted"
grep -qE '^finops_git_sync_duration_seconds_count [1-9]' "$T/metrics.txt" || fail "git sync histogram"
if command -v promtool >/dev/null; then
    promtool check metrics <"$T/metrics.txt" || fail "promtool check metrics"
fi
pass "/metrics: API calls by service and result, retries by service"

printf 'interval: 2s\nlog: {level: info}\nbranch: main\n' >"$T/run.yaml"
kill -HUP $RUN
for _ in $(seq 100); do grep -q "config: interval: 1s -> 2s (file $T/run.yaml:1)" "$T/run.log" && break; sleep 0.1; done
grep -q "config: interval: 1s -> 2s (file $T/run.yaml:1)" "$T/run.log" ||
    fail "SIGHUP did not reload: $(tail -5 "$T/run.log")"
printf 'interval: soon\n' >"$T/run.yaml"
kill -HUP $RUN
for _ in $(seq 100); do grep -q "reload refused" "$T/run.log" && break; sleep 0.1; done
grep -qF "reload refused, keeping the running config: $T/run.yaml:1: interval: expected a duration" \
    "$T/run.log" || fail "invalid reload not refused: $(tail -5 "$T/run.log")"
kill -0 $RUN || fail "run died on an invalid reload"
kill -TERM $RUN
wait $RUN || fail "run did not exit 0 on SIGTERM"
pass "SIGHUP: changes logged with their source; an invalid file refused, old config kept"
