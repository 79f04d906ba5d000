# Same specs, same observations, same clock: no new commit, from the same
# state dir or from a fresh one (status is byte-identical).
. "$(dirname "$0")/lib.sh"
seed_repo
fc reconcile --once || fail "first pass"
first=$(remote_head)
fc reconcile --once || fail "second pass"
[ "$(remote_head)" = "$first" ] || fail "second pass with nothing changed made a commit"
pass "no commit when nothing changed"

rm -rf "$T/state"
fc reconcile --once || fail "pass from a fresh state dir"
[ "$(remote_head)" = "$first" ] || fail "fresh clone produced different status bytes"
pass "byte-identical status from a fresh clone"

# The loop: three passes, still no new commit.
fc run --interval 1s --max-passes 3 || fail "run loop"
[ "$(remote_head)" = "$first" ] || fail "loop made commits with nothing changed"
pass "loop is a no-op on unchanged input"

# A human commit that changes a spec gives exactly one new status commit.
human_commit "Raise platform budget" \
    "sed -i 's/amount: 2000/amount: 2600/' finops/budgets/team-platform.yaml"
human=$(remote_head)
fc reconcile --once || fail "pass after human change"
new=$(remote_head)
[ "$new" != "$human" ] || fail "no status commit after a spec change"
[ "$(git --git-dir="$REMOTE" rev-parse "$new^")" = "$human" ] || fail "status commit not on the human commit"
grep -q "amount: 2600.00" <<<"$(remote_show status/budgets/team-platform.yaml)" || fail "budget status not updated"
pass "one status commit per spec change"
