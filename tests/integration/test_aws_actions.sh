#!/usr/bin/env bash
# test_aws_actions.sh - the executor through the aws provider (issue 7.7):
# `--live` against the loopback AWS server stops the approved instance with
# one signed StopInstances call, the journal row ends done, the execution
# record is pushed, the next discovery sees the instance stopped, and a
# second live pass sends nothing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"

ID=i-08308ecbadbbe3216
# Saturday 03:00 UTC: inside stop-idle-build-box's window (sat/sun 02-06).
NOW=2026-11-21T03:00:00Z
seed_repo
start_aws_server
base_env

inv_state() {
    remote_show status/inventory.yaml | /usr/bin/python3 -c '
import sys, yaml
d = yaml.safe_load(sys.stdin)
print([r.get("state") for r in d["resources"] if r["id"] == sys.argv[1]][0])' "$ID"
}
stops() { log_count 'r.get("action") == "StopInstances"'; }

fc_aws reconcile --once 2>"$T/dry.err" || { cat "$T/dry.err" >&2; fail "dry-run pass"; }
[ "$(stops)" = 0 ] || fail "a dry-run pass sent StopInstances"
[ "$(inv_state)" = running ] || fail "instance not running before: $(inv_state)"
pass "dry-run sends no action"

fc_aws reconcile --once --live --log-level info 2>"$T/live.err" ||
    { cat "$T/live.err" >&2; fail "live pass exited non-zero"; }
[ "$(stops)" = 1 ] || { cat "$T/live.err" >&2; fail "expected one StopInstances, got $(stops)"; }
[ "$(log_count 'r.get("action") == "StopInstances" and not r["signed_ok"]')" = 0 ] ||
    fail "StopInstances not signed correctly"
rows=$(sqlite3 "$T/state/state.db" "SELECT id || ' ' || state FROM executions")
[ "$(wc -l <<<"$rows")" = 1 ] && grep -q ' done$' <<<"$rows" || fail "journal: $rows"
id=${rows%% *}
rec=$(remote_show "status/executions/$id.yaml") || fail "no execution record for $id pushed"
grep -q 'state: done' <<<"$rec" || fail "execution record not done: $rec"
grep -A12 '^  after:' <<<"$rec" | grep -q 'state: stopped' || fail "after-state not stopped: $rec"
grep -A4 '^  undo:' <<<"$rec" | grep -q 'kind: start-instances' || fail "no inverse: $rec"
pass "--live stops $ID over the AWS API; journal done, record $id pushed"

# The server's state: the next discovery (DescribeInstances) sees it stopped,
# and a second live pass acts no more.
NOW=2026-11-21T03:30:00Z fc_aws reconcile --once --live 2>"$T/again.err" ||
    { cat "$T/again.err" >&2; fail "second live pass"; }
[ "$(inv_state)" = stopped ] || fail "server does not show $ID stopped: $(inv_state)"
[ "$(stops)" = 1 ] || fail "a second StopInstances was sent"
pass "the server shows $ID stopped; a second live pass sends nothing"

# Killed right after the AWS call went out (FC_CRASH_AT=provider.aws.sent):
# the next pass finds the row started, describes the instance, sees it
# stopped and settles the row done -- without a second StopInstances.
ID2=i-06288ccf1ddb6e746
human_commit "Approve stopping build-box-1" "cat >finops/optimizations/stop-build-box-1.yaml <<'YAML'
apiVersion: finops.dev/v1alpha1
kind: Optimization
metadata:
  name: stop-build-box-1
spec:
  target: {account: \"518273640192\", region: eu-west-1, resource: $ID2}
  action: stop
  approval: {approvedBy: [alice@example.com]}
YAML"
stops2() { echo $(($(stops) - 1)); } # the server logs no parameters
rc=0
FC_CRASH_AT=provider.aws.sent fc_aws reconcile --once --live 2>"$T/crash.err" || rc=$?
[ "$rc" = 137 ] || { cat "$T/crash.err" >&2; fail "expected a SIGKILL at provider.aws.sent, exit $rc"; }
grep -q '^crashpoint: provider.aws.sent' "$T/crash.err" || fail "crashed elsewhere: $(cat "$T/crash.err")"
[ "$(stops2)" = 1 ] || fail "StopInstances for $ID2 sent $(stops2) times before the crash"
[ "$(sqlite3 "$T/state/state.db" "SELECT state FROM executions WHERE resource = '$ID2'")" = started ] ||
    fail "journal row not left started by the crash"
fc_aws reconcile --once --live 2>"$T/after.err" || { cat "$T/after.err" >&2; fail "pass after crash"; }
[ "$(sqlite3 "$T/state/state.db" "SELECT state FROM executions WHERE resource = '$ID2'")" = done ] ||
    fail "row not settled done after the crash"
[ "$(stops2)" = 1 ] || fail "StopInstances for $ID2 re-sent after the crash: $(stops2)"
id2=$(sqlite3 "$T/state/state.db" "SELECT id FROM executions WHERE resource = '$ID2'")
remote_show "status/executions/$id2.yaml" | grep -q 'state: done' || fail "record $id2 not pushed done"
pass "a crash after the AWS call settles done on restart; the call is not repeated"
