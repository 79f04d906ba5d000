# Command-line contract: help, exit codes, and plan writes nothing.
. "$(dirname "$0")/lib.sh"
for c in run reconcile plan validate; do
    grep -q "Exit codes" <<<"$("$FC_BIN" "$c" --help)" || fail "$c --help lacks exit codes"
done
grep -q "Usage: finops-controller" <<<"$("$FC_BIN" --help)" || fail "--help"
set +e
"$FC_BIN" frobnicate >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown command must exit 2"
"$FC_BIN" reconcile --once >/dev/null 2>&1; [ $? -eq 2 ] || fail "missing --repo must exit 2"
"$FC_BIN" reconcile --repo x --now yesterday >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --now must exit 2"
"$FC_BIN" reconcile --once --repo "$T/nope.git" --state-dir "$T/s0" >/dev/null 2>&1; [ $? -eq 1 ] || fail "missing repo must exit 1"
set -e
pass "help and exit codes"

seed_repo
seed=$(remote_head)
out=$(fc plan)
[ "$(remote_head)" = "$seed" ] || fail "plan pushed a commit"
grep -q "planned  stop-idle-build-box: stop" <<<"$out" || fail "plan does not list the approved action: $out"
grep -q "A status/inventory.yaml" <<<"$out" || fail "plan does not list status changes"
pass "plan prints and writes nothing"

fc validate >/dev/null || fail "validate on the demo repo must exit 0"
pass "validate accepts the demo repo"

# The controller identity is configurable; the subject summarises the pass.
fc reconcile --once --git-author-name "FinOps Bot" --git-author-email bot@example.com \
    || fail "reconcile with a custom identity"
[ "$(git --git-dir="$REMOTE" log -1 --format='%an <%ae>' main)" = "FinOps Bot <bot@example.com>" ] \
    || fail "status commit identity not configurable"
git --git-dir="$REMOTE" log -1 --format=%s main > "$T/subject"
grep -Eq '^status: [0-9]+ recommendations, [0-9]+ budgets? over threshold, [0-9]+ actions? planned$' "$T/subject" \
    || fail "commit subject does not summarise: $(cat "$T/subject")"
pass "identity and summary subject"
