# Approval by reviewed commit: an Optimization is planned only when an
# identity in approvedBy is in finops/approvers.yaml AND authored a commit
# whose version of the spec is the current one; high risk needs two.
. "$(dirname "$0")/lib.sh"
seed_repo
OPT=finops/optimizations/stop-idle-build-box.yaml
state() { remote_show status/optimizations/stop-idle-build-box.yaml; }

fc reconcile --once || fail "pass"
grep -q "state: planned" <<<"$(state)" || fail "alice's own approval not planned: $(state)"
pass "approved by an approver who authored it: planned"

# mallory changes the window but leaves alice's name: the approval is void.
GIT_AUTHOR_NAME=Mallory GIT_AUTHOR_EMAIL=mallory@example.com \
    human_commit "Widen window" "sed -i 's/end: \"06:00\"/end: \"09:00\"/' $OPT"
fc reconcile --once || fail "pass"
grep -q "state: blocked" <<<"$(state)" || fail "change by a non-approver still planned"
grep -q "ApprovalNotAuthored" <<<"$(state)" || fail "reason missing: $(state)"
grep -q "mallory@example.com" <<<"$(state)" || fail "message does not name the author"
pass "a non-approver's change voids the approval"

# alice reviews and re-commits (a comment only): approved again.
GIT_AUTHOR_NAME=Alice GIT_AUTHOR_EMAIL=alice@example.com \
    human_commit "Re-approve" "sed -i '1i # reviewed by alice' $OPT"
fc reconcile --once || fail "pass"
grep -q "state: planned" <<<"$(state)" || fail "alice's re-approval not planned: $(state)"
pass "an approver's commit of the same content approves it"

# Someone lists an identity that is not an approver.
GIT_AUTHOR_NAME=Carol GIT_AUTHOR_EMAIL=carol@example.com \
    human_commit "Carol approves" "sed -i 's/approvedBy: \[alice@example.com\]/approvedBy: [carol@example.com]/' $OPT"
fc reconcile --once || fail "pass"
grep -q "UnknownApprover" <<<"$(state)" || fail "unlisted approver accepted: $(state)"
pass "an unlisted approver is refused"

# High risk needs two distinct approvers who both authored the content.
GIT_AUTHOR_NAME=Alice GIT_AUTHOR_EMAIL=alice@example.com \
    human_commit "High risk" "sed -i 's/approvedBy: \[carol@example.com\]/approvedBy: [alice@example.com, bob@example.com]/; s/^  action: stop/  action: stop\n  risk: high/' $OPT"
fc reconcile --once || fail "pass"
grep -q "InsufficientApprovals" <<<"$(state)" || fail "one author approved a high-risk change: $(state)"
GIT_AUTHOR_NAME=Bob GIT_AUTHOR_EMAIL=bob@example.com \
    human_commit "Bob approves" "sed -i '1i # reviewed by bob' $OPT"
fc reconcile --once || fail "pass"
grep -q "state: planned" <<<"$(state)" || fail "two approvers did not suffice: $(state)"
grep -q "alice@example.com" <<<"$(state)" || fail "approval message lacks approvers"
pass "high risk planned only with two authoring approvers"
