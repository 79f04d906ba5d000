# verifySignatures: an approving commit counts only when it is signed by a
# key the approver list gives for its author.
. "$(dirname "$0")/lib.sh"
command -v ssh-keygen >/dev/null || fail "ssh-keygen (openssh-client) is required"
seed_repo
OPT=finops/optimizations/stop-idle-build-box.yaml
state() { remote_show status/optimizations/stop-idle-build-box.yaml; }
ssh-keygen -q -t ed25519 -N '' -C alice -f "$T/alice" 
ssh-keygen -q -t ed25519 -N '' -C other -f "$T/other"
pub=$(cat "$T/alice.pub")

signed_commit() { # KEY MESSAGE COMMAND
    local key=$1 msg=$2; shift 2
    git -C "$WORK" pull -q --rebase origin main
    (cd "$WORK" && eval "$@")
    git -C "$WORK" add -A
    git -C "$WORK" -c gpg.format=ssh -c user.signingkey="$key" commit -q -S -m "$msg"
    git -C "$WORK" push -q origin main
}

human_commit "Require signatures" \
    "sed -i 's|^  - identity: alice@example.com|  - identity: alice@example.com\n    keys: [\"$pub\"]|; s/verifySignatures: false/verifySignatures: true/' finops/approvers.yaml"
fc reconcile --once || fail "pass"
grep -q "SignatureInvalid" <<<"$(state)" || fail "unsigned approval accepted: $(state)"
pass "an unsigned approving commit does not count"

signed_commit "$T/other" "Approve with the wrong key" "sed -i '1i # reviewed' $OPT"
fc reconcile --once || fail "pass"
grep -q "SignatureInvalid" <<<"$(state)" || fail "approval signed by an unlisted key accepted: $(state)"
pass "a commit signed by a key not listed for the author does not count"

signed_commit "$T/alice" "Approve, signed" "sed -i '1i # reviewed and signed by alice' $OPT"
fc reconcile --once || fail "pass"
grep -q "state: planned" <<<"$(state)" || fail "signed approval not planned: $(state)"
pass "a commit signed with the approver's listed key approves"
