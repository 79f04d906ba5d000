# Risk-based pre-approval (issue 7.2): a Policy pre-approves "release
# unassociated addresses in accounts tagged env=dev".  Written by someone not
# in approvers.yaml it plans nothing and the Policy's status says why; once an
# approver authors it, --live releases the dev address (and not the prod
# one) with no Optimization spec, the execution record is committed, and an
# entry whose action is not low-risk is refused even though it is listed.
. "$(dirname "$0")/lib.sh"
seed_repo
DEV_EIP=eipalloc-0d71646265087aa79  # 518273640192 (dev, env=dev), unassociated
PROD_EIP=eipalloc-031d0125190fb8e7b # 402918374651 (prod, env=prod), unassociated
log="$T/state/sim-actions.log"
policy_status() { remote_show status/policies/default.yaml; }

# $1 = who approves.  The demo's own Optimization for the dev address goes:
# the pre-approval is what releases it here.
write_policy() {
    cat >>finops/policies/default.yaml <<EOF
  irreversible: true
  preApproved:
    - name: release-dev-addresses
      rule: unassociated-elastic-ip
      action: release-address
      accountTags: {env: dev}
    - name: delete-dev-snapshots
      rule: orphaned-ebs-snapshot
      action: delete-snapshot
      accounts: [dev]
  approval: {approvedBy: [$1]}
EOF
    rm -f finops/optimizations/release-idle-address.yaml
}
export -f write_policy

# 1. Authored by someone who is not an approver: nothing is planned.
GIT_AUTHOR_EMAIL=mallory@example.com GIT_AUTHOR_NAME=Mallory \
    human_commit "Pre-approve dev address releases" 'write_policy mallory@example.com'
fc plan >"$T/plan1.txt" 2>&1 || fail "plan exited: $(cat "$T/plan1.txt")"
grep -q "$DEV_EIP" <<<"$(grep '^  planned' "$T/plan1.txt" || true)" &&
    fail "an unapproved pre-approval planned: $(cat "$T/plan1.txt")"
fc reconcile --once --live || fail "live pass (unapproved) exited"
[ ! -s "$log" ] || fail "an unapproved pre-approval acted: $(cat "$log")"
st=$(policy_status)
grep -A8 'name: release-dev-addresses' <<<"$st" | grep -q 'state: NotApproved' ||
    fail "status does not say NotApproved: $st"
grep -A8 'name: release-dev-addresses' <<<"$st" | grep -q 'reason: UnknownApprover' ||
    fail "status does not say why: $st"
pass "a pre-approval by a non-approver plans nothing; the Policy status says why"

# 2. Listing an approver is not enough: the approver must author it.
GIT_AUTHOR_EMAIL=mallory@example.com GIT_AUTHOR_NAME=Mallory \
    human_commit "Claim alice approved" \
    'sed -i "s/approvedBy: \[mallory@example.com\]/approvedBy: [alice@example.com]/" finops/policies/default.yaml'
fc reconcile --once --live || fail "live pass (not authored) exited"
[ ! -s "$log" ] || fail "a pre-approval not authored by its approver acted"
grep -A8 'name: release-dev-addresses' <<<"$(policy_status)" |
    grep -q 'reason: ApprovalNotAuthored' || fail "status: $(policy_status)"
pass "an approver named but not authoring: nothing runs (ApprovalNotAuthored)"

# 3. Alice authors it (same content, her commit): planned and executed.
human_commit "Alice approves the dev pre-approval" \
    'printf "  # reviewed by alice\n" >>finops/policies/default.yaml'
fc plan >"$T/plan2.txt" 2>&1 || fail "plan exited: $(cat "$T/plan2.txt")"
grep '^  planned' "$T/plan2.txt" | grep -q "default-unassociated-elastic-ip-$DEV_EIP: release-address" ||
    fail "dev address not planned: $(cat "$T/plan2.txt")"
grep '^  planned' "$T/plan2.txt" | grep -q "$PROD_EIP" && fail "prod address planned"
fc reconcile --once --live || fail "live pass (approved) exited"
[ "$(cat "$log")" = "release-address 518273640192 eu-west-1 $DEV_EIP" ] ||
    fail "expected exactly the dev release: $(cat "$log")"
recs=$(remote_files | grep '^status/executions/' || true)
[ "$(wc -l <<<"$recs")" = 1 ] && [ -n "$recs" ] || fail "expected one execution record: $recs"
rec=$(remote_show "$recs")
grep -q 'state: done' <<<"$rec" || fail "execution not done: $rec"
grep -q "identity: alice@example.com" <<<"$rec" || fail "record lacks the Policy's approver: $rec"
grep -q "identity: mallory" <<<"$rec" && fail "record names a non-approver: $rec"
grep -q "optimization: default-unassociated-elastic-ip-$DEV_EIP" <<<"$rec" ||
    fail "record lacks the stable id: $rec"
st=$(policy_status)
grep -A8 'name: delete-dev-snapshots' <<<"$st" | grep -q 'reason: NotLowRisk' ||
    fail "a high-risk entry is not refused: $st"
pass "approved: --live releases the dev address only; record committed; high risk refused"

# 4. The next pass runs nothing more (the address is gone; nothing twice).
fc reconcile --once --live || fail "next live pass exited"
[ "$(wc -l <"$log")" = 1 ] || fail "ran again: $(cat "$log")"
pass "the next pass runs nothing more"
