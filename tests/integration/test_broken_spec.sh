# A commit that breaks one spec file: that file's objects fail and are named
# in status; every other object is still reconciled; validate exits 3 and
# names file, line and field.
. "$(dirname "$0")/lib.sh"
seed_repo
human_commit "Break the data budget" \
    "sed -i 's/amount: 2500/amount: -5/' finops/budgets/team-data.yaml"

fc reconcile --once || fail "reconcile must succeed with one broken spec"
specs=$(remote_show status/specs.yaml)
grep -q "finops/budgets/team-data.yaml" <<<"$specs" || fail "specs.yaml does not name the broken file"
grep -q "spec.amount" <<<"$specs" || fail "specs.yaml does not name the field"
bad=$(remote_show status/budgets/team-data.yaml)
grep -q "InvalidSpec" <<<"$bad" || fail "broken budget status lacks InvalidSpec"
grep -q "finops/budgets/team-data.yaml:[0-9]*: spec.amount: expected a positive number" <<<"$bad" \
    || fail "broken budget status lacks file:line: field: message"
good=$(remote_show status/budgets/team-platform.yaml)
grep -q "SpecValid" <<<"$good" || fail "other budget not reconciled"
grep -q "state: planned" <<<"$(remote_show status/optimizations/stop-idle-build-box.yaml)" \
    || fail "optimization not reconciled next to a broken budget"
pass "broken file fails only itself"

set +e
out=$(fc validate 2>&1)
rc=$?
set -e
[ "$rc" -eq 3 ] || fail "validate exit code $rc, want 3"
grep -q "^finops/budgets/team-data.yaml:[0-9][0-9]*: spec.amount: expected a positive number" <<<"$out" \
    || fail "validate output lacks file:line: field: $out"
pass "validate names file, line and field"

# A YAML syntax error in another file is reported the same way.
human_commit "Break YAML" "printf 'kind: Budget\nspec: [unclosed\n' > finops/budgets/broken.yaml"
set +e
out=$(fc validate 2>&1)
rc=$?
set -e
[ "$rc" -eq 3 ] || fail "validate exit code $rc on a syntax error"
grep -q "^finops/budgets/broken.yaml:[0-9]" <<<"$out" || fail "syntax error not located: $out"
pass "syntax error located"
