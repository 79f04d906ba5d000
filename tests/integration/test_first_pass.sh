# The first pass on a fresh repo creates one status commit on top of the
# human's commit, with the expected files, touching nothing else.
. "$(dirname "$0")/lib.sh"
seed_repo
seed=$(remote_head)
spec_tree_before=$(git --git-dir="$REMOTE" ls-tree -r main | sort)

fc reconcile --once || fail "reconcile exited $?"
head=$(remote_head)
[ "$head" != "$seed" ] || fail "no status commit was pushed"
[ "$(git --git-dir="$REMOTE" rev-parse "$head^")" = "$seed" ] || fail "status commit is not on top of the human commit"
[ "$(git --git-dir="$REMOTE" log -1 --format=%an "$head")" = "finops-controller" ] || fail "status commit author"
grep -q "Observed-Commit: $seed" <<<"$(git --git-dir="$REMOTE" log -1 --format=%B "$head")" || fail "commit message names the observed commit"
pass "status commit on top of the spec commit"

files=$(remote_files)
for f in status/inventory.yaml status/specs.yaml status/budgets/company.yaml \
         status/budgets/team-platform.yaml status/optimizations/stop-idle-build-box.yaml \
         status/accounts/prod.yaml status/policies/default.yaml; do
    grep -qx "$f" <<<"$files" || fail "missing $f"
done
grep -q '^status/recommendations/idle-ec2-instance-' <<<"$files" || fail "no idle EC2 recommendation"
grep -q '^status/recommendations/unattached-ebs-volume-' <<<"$files" || fail "no unattached volume recommendation"
grep -q '^status/recommendations/unassociated-elastic-ip-' <<<"$files" || fail "no unassociated EIP recommendation"
pass "expected status files"

# Nothing outside status/ and proposals/ changed.
after=$(git --git-dir="$REMOTE" ls-tree -r main | grep -v -E $'\t(status|proposals)/' | sort)
[ "$after" = "$spec_tree_before" ] || fail "files outside status/ changed"
pass "spec files untouched"

b=$(remote_show status/budgets/team-platform.yaml)
grep -q "observedCommit: $seed" <<<"$b" || fail "budget status lacks observedCommit"
grep -q "type: \"\\?Valid" <<<"$b" || grep -q "type: Valid" <<<"$b" || fail "budget status lacks Valid condition"
grep -q "actual:" <<<"$b" || fail "budget status lacks actual spend"
o=$(remote_show status/optimizations/stop-idle-build-box.yaml)
grep -q "state: planned" <<<"$o" || fail "approved optimization not planned: $o"
grep -q "dryRun: true" <<<"$o" || fail "plan not marked dry-run"
o2=$(remote_show status/optimizations/release-idle-address.yaml)
grep -q "state: blocked" <<<"$o2" || fail "unapproved optimization not blocked: $o2"
grep -q "NotApproved" <<<"$o2" || fail "unapproved optimization reason"
pass "conditions and plans"

# Proposals: one ready-to-approve spec per open recommendation that no
# Optimization acts on yet; approving one (copying it into the spec root)
# removes its proposal on the next pass.
grep -q '^proposals/unassociated-elastic-ip-eipalloc-031d0125190fb8e7b.yaml$' <<<"$files" \
    || fail "no proposal for an open recommendation"
grep -q '^proposals/idle-ec2-instance-i-08308ecbadbbe3216.yaml$' <<<"$files" \
    && fail "proposal written for a recommendation an Optimization already handles"
prop=proposals/unassociated-elastic-ip-eipalloc-031d0125190fb8e7b.yaml
human_commit "Approve the legacy NAT address release" \
    "git show origin/main:$prop 2>/dev/null > /dev/null; git fetch -q origin && git show origin/main:$prop | sed 's/approvedBy: \[\]/approvedBy: [alice@example.com]/' > finops/optimizations/release-legacy-nat.yaml"
fc reconcile --once || fail "pass after approving a proposal"
files=$(remote_files)
grep -q "^$prop\$" <<<"$files" && fail "proposal not removed once approved"
grep -q "state: planned" <<<"$(remote_show status/optimizations/unassociated-elastic-ip-eipalloc-031d0125190fb8e7b.yaml)" \
    || fail "approved proposal not planned"
pass "proposals written, approved by copying, then removed"
