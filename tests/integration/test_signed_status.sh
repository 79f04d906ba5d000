# --sign-commits: status commits signed with an ssh key (ssh-keygen -Y sign)
# verify with `git verify-commit` (gpg.format=ssh, an allowed signers file);
# a commit signed by another key does not; an OpenPGP-signed one verifies
# with gpg when gpg is installed.
. "$(dirname "$0")/lib.sh"
command -v ssh-keygen >/dev/null || { echo "skip: no ssh-keygen"; exit 0; }
seed_repo
ssh-keygen -q -t ed25519 -N '' -C controller -f "$T/sign_key"
ssh-keygen -q -t ed25519 -N '' -C intruder -f "$T/other_key"

CLONE="$T/verify"
git clone -q --no-checkout "$REMOTE" "$CLONE"
git -C "$CLONE" config gpg.format ssh
echo "finops-controller@localhost namespaces=\"git\" $(cat "$T/sign_key.pub")" >"$T/allowed"
git -C "$CLONE" config gpg.ssh.allowedSignersFile "$T/allowed"
verify() { git -C "$CLONE" fetch -q origin '+refs/heads/*:refs/remotes/origin/*' &&
           git -C "$CLONE" verify-commit "$1" 2>"$T/verify.err"; }

# First status commit, on a new status branch (a parentless commit), signed.
fc reconcile --once --status-branch finops-status --sign-commits ssh \
    --signing-key "$T/sign_key" || fail "signed pass"
c1=$(git --git-dir="$REMOTE" rev-parse refs/heads/finops-status)
git --git-dir="$REMOTE" cat-file commit "$c1" | grep -q '^gpgsig -----BEGIN SSH SIGNATURE-----' ||
    fail "no ssh signature header on the status commit"
verify "$c1" || fail "git verify-commit rejected the status commit: $(cat "$T/verify.err")"
pass "signed orphan status commit verifies with git verify-commit (ssh)"

# A fast-forward status commit on top, signed the same way.
human_commit "Raise platform budget" \
    "sed -i 's/amount: 2000/amount: 2600/' finops/budgets/team-platform.yaml"
fc reconcile --once --status-branch finops-status --sign-commits ssh \
    --signing-key "$T/sign_key" || fail "second signed pass"
c2=$(git --git-dir="$REMOTE" rev-parse refs/heads/finops-status)
[ "$(git --git-dir="$REMOTE" rev-parse "$c2^")" = "$c1" ] || fail "not a fast-forward"
verify "$c2" || fail "second status commit does not verify: $(cat "$T/verify.err")"
pass "signed status commit with a parent verifies"

# Signed by a key the verifier does not trust: rejected.
human_commit "Raise platform budget again" \
    "sed -i 's/amount: 2600/amount: 2700/' finops/budgets/team-platform.yaml"
fc reconcile --once --status-branch finops-status --sign-commits ssh \
    --signing-key "$T/other_key" || fail "pass signed with another key"
c3=$(git --git-dir="$REMOTE" rev-parse refs/heads/finops-status)
[ "$c3" != "$c2" ] || fail "no third status commit"
! verify "$c3" || fail "a commit signed by an untrusted key verified"
pass "a commit signed by another key fails verification"

# Tampered content under a good signature: rejected.
git --git-dir="$REMOTE" cat-file commit "$c2" | sed 's/^\(status: .*\)$/\1 (edited)/' >"$T/forged"
forged=$(git -C "$CLONE" hash-object -t commit -w --literally "$T/forged")
[ "$forged" != "$c2" ] || fail "forgery did not change the commit"
! git -C "$CLONE" verify-commit "$forged" 2>/dev/null || fail "an edited signed commit verified"
pass "an edited signed commit fails verification"

# Missing key file: the pass fails and nothing is pushed.
before=$(git --git-dir="$REMOTE" rev-parse refs/heads/finops-status)
human_commit "Raise platform budget once more" \
    "sed -i 's/amount: 2700/amount: 2800/' finops/budgets/team-platform.yaml"
! fc reconcile --once --status-branch finops-status --sign-commits ssh \
    --signing-key "$T/no-such-key" 2>"$T/err" || fail "a pass with a missing key succeeded"
[ "$(git --git-dir="$REMOTE" rev-parse refs/heads/finops-status)" = "$before" ] ||
    fail "an unsigned commit was pushed"
grep -q "sign: ssh-keygen could not sign" "$T/err" || fail "unclear error: $(cat "$T/err")"
pass "signing failure stops the push"

# OpenPGP: a passphrase-less key in a private GNUPGHOME.
if command -v gpg >/dev/null; then
    export GNUPGHOME="$T/gnupg"
    mkdir -m 700 "$GNUPGHOME"
    gpg --batch --quiet --passphrase '' --quick-gen-key "finops-controller <finops-controller@localhost>" \
        ed25519 sign never 2>/dev/null
    fpr=$(gpg --with-colons --list-secret-keys 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
    [ -n "$fpr" ] || fail "gpg key generation"
    fc reconcile --once --status-branch finops-status --sign-commits gpg --signing-key "$fpr" ||
        fail "gpg-signed pass"
    c5=$(git --git-dir="$REMOTE" rev-parse refs/heads/finops-status)
    [ "$c5" != "$before" ] || fail "no gpg-signed status commit"
    git -C "$CLONE" config gpg.format openpgp
    verify "$c5" || fail "gpg-signed status commit does not verify: $(cat "$T/verify.err")"
    grep -q "Good signature" "$T/verify.err" || fail "gpg did not report a good signature"
    pass "gpg-signed status commit verifies with git verify-commit"
else
    echo "skip: no gpg"
fi
