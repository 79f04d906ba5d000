# The executor on the demo: dry-run executes nothing; `--live` inside the
# window stops the approved instance in the sim (journal first), writes its
# rollback record, and a second live pass does nothing more; outside the
# window nothing runs.
. "$(dirname "$0")/lib.sh"
seed_repo
ID=i-08308ecbadbbe3216
inv_state() { # state of $ID in status/inventory.yaml
    remote_show status/inventory.yaml | grep -A12 "id: $ID" | grep -m1 'state:' | awk '{print $2}'
}
overlay="$T/state/sim-state.json"

# Saturday 03:00 UTC is inside the demo's window (sat/sun 02:00-06:00).
NOW=2026-11-21T03:00:00Z
fc reconcile --once || fail "dry-run pass exited $?"
[ ! -e "$overlay" ] || fail "a dry-run pass changed the sim"
remote_files | grep -q '^status/executions/' && fail "a dry-run pass wrote an execution record"
[ "$(inv_state)" = running ] || fail "instance not running before: $(inv_state)"
pass "dry-run (the default) executes nothing"

# Outside the window (Saturday 01:59) nothing runs, even with --live.
NOW=2026-11-21T01:59:00Z fc reconcile --once --live || fail "live pass outside the window"
[ ! -e "$overlay" ] || fail "acted outside the window"
remote_files | grep -q '^status/executions/' && fail "execution record outside the window"
pass "outside the window nothing runs"

fc reconcile --once --live || fail "live pass exited $?"
[ -s "$overlay" ] || fail "no sim overlay after a live pass"
grep -q "\"$ID\"" "$overlay" || fail "overlay does not name $ID"
recs=$(remote_files | grep '^status/executions/' || true)
[ "$(wc -l <<<"$recs")" = 1 ] && [ -n "$recs" ] || fail "expected one execution record, got: $recs"
rec=$(remote_show "$recs")
grep -q "state: done" <<<"$rec" || fail "execution not done: $rec"
grep -A12 '^  before:' <<<"$rec" | grep -q 'state: running' || fail "before-state not running: $rec"
grep -A12 '^  after:' <<<"$rec" | grep -q 'state: stopped' || fail "after-state not stopped: $rec"
grep -A4 "^  undo:" <<<"$rec" | grep -q "kind: start-instances" || fail "no inverse action: $rec"
grep -q 'identity: alice@example.com' <<<"$rec" || fail "no approver: $rec"
o=$(remote_show status/optimizations/stop-idle-build-box.yaml)
grep -A3 '^  execution:' <<<"$o" | grep -q 'state: done' || fail "Optimization status lacks execution: $o"
pass "--live stops the instance, journal and rollback record written"

# The next pass sees the change, and executes nothing more.
before=$(cat "$overlay")
NOW=2026-11-21T03:30:00Z fc reconcile --once --live || fail "second live pass"
[ "$(inv_state)" = stopped ] || fail "inventory does not show it stopped: $(inv_state)"
[ "$before" = "$(cat "$overlay")" ] || fail "the second live pass changed the sim again"
[ "$(remote_files | grep -c '^status/executions/')" = 1 ] || fail "a second execution record"
pass "next pass sees it stopped; a second live pass is a no-op"

# The estate file itself is never modified.
git -C "$FC_SOURCE_DIR" diff --quiet -- examples/sim/estate.yaml || fail "estate file modified"
pass "estate file untouched"
