# --status-branch: the spec branch receives no controller commits; the status
# branch is created (an orphan holding only status/ and proposals/), then
# fast-forwarded; a human commit pushed to it survives; --commit-trailer puts
# [skip ci] at the end of the subject and "Key: value" among the trailers,
# with Finops-Spec-Commit naming the spec commit reconciled.
. "$(dirname "$0")/lib.sh"
seed_repo
SB=finops-status
TRAILERS=$'[skip ci]\nFinops-Run: integration'
sb() { fc reconcile --once --status-branch "$SB" --commit-trailer "$TRAILERS" "$@"; }
sb_head() { git --git-dir="$REMOTE" rev-parse "refs/heads/$SB"; }
trailer() { git --git-dir="$REMOTE" log -1 --format=%B "$1" |
            git interpret-trailers --parse | sed -n "s/^$2: //p"; }

spec=$(remote_head)
sb || fail "first pass"
[ "$(remote_head)" = "$spec" ] || fail "the spec branch received a controller commit"
git --git-dir="$REMOTE" rev-parse -q --verify "refs/heads/$SB" >/dev/null ||
    fail "status branch not created"
s1=$(sb_head)
[ -z "$(git --git-dir="$REMOTE" rev-list --parents -1 "$s1" | cut -s -d' ' -f2)" ] ||
    fail "a new status branch is not an orphan"
files1=$(git --git-dir="$REMOTE" ls-tree -r --name-only "$s1")
grep -q '^status/inventory.yaml$' <<<"$files1" ||
    fail "no status on the status branch"
! grep -q '^finops/' <<<"$files1" ||
    fail "specs copied to the status branch"
subject=$(git --git-dir="$REMOTE" log -1 --format=%s "$s1")
[[ "$subject" == status:*" [skip ci]" ]] || fail "subject does not end in [skip ci]: $subject"
[ "$(trailer "$s1" Finops-Spec-Commit)" = "$spec" ] || fail "Finops-Spec-Commit is not $spec"
[ "$(trailer "$s1" Finops-Run)" = integration ] || fail "Key: value trailer missing"
[ "$(trailer "$s1" Observed-Commit)" = "$spec" ] || fail "existing trailers lost"
pass "status branch created as an orphan, spec branch untouched, [skip ci] + trailers"

sb || fail "second pass"
[ "$(sb_head)" = "$s1" ] && [ "$(remote_head)" = "$spec" ] ||
    fail "a pass with nothing changed made a commit"
pass "no-op pass: no commit on either branch"

# A spec change on main: the status branch fast-forwards.
human_commit "Raise platform budget" \
    "sed -i 's/amount: 2000/amount: 2600/' finops/budgets/team-platform.yaml"
spec2=$(remote_head)
sb || fail "pass after a spec change"
[ "$(remote_head)" = "$spec2" ] || fail "the spec branch received a controller commit"
s2=$(sb_head)
[ "$s2" != "$s1" ] || fail "no status commit after a spec change"
[ "$(git --git-dir="$REMOTE" rev-parse "$s2^")" = "$s1" ] || fail "status branch not fast-forwarded"
[ "$(trailer "$s2" Finops-Spec-Commit)" = "$spec2" ] || fail "Finops-Spec-Commit is not $spec2"
grep -q "amount: 2600.00" <<<"$(git --git-dir="$REMOTE" show "$s2:status/budgets/team-platform.yaml")" ||
    fail "budget status not updated on the status branch"
pass "status branch fast-forwarded on a spec change"

# A human commit on the status branch survives the next status commit.
STW="$T/status-work"
git clone -q -b "$SB" "$REMOTE" "$STW"
echo "Status written by finops-controller." >"$STW/NOTES.md"
git -C "$STW" add NOTES.md
git -C "$STW" commit -q -m "Explain the status branch"
git -C "$STW" push -q origin "$SB"
human_sb=$(sb_head)
human_commit "Raise platform budget again" \
    "sed -i 's/amount: 2600/amount: 2700/' finops/budgets/team-platform.yaml"
sb || fail "pass after a human status-branch commit"
s3=$(sb_head)
[ "$(git --git-dir="$REMOTE" rev-parse "$s3^")" = "$human_sb" ] ||
    fail "status commit not built on the human's status-branch commit"
grep -q "finops-controller" <<<"$(git --git-dir="$REMOTE" show "$s3:NOTES.md")" ||
    fail "the human's file on the status branch was lost"
git --git-dir="$REMOTE" merge-base --is-ancestor "$s2" "$s3" || fail "status branch history rewritten"
pass "a human commit on the status branch survives"

# Without --status-branch, trailers apply to status commits on the spec branch.
human_commit "Raise platform budget once more" \
    "sed -i 's/amount: 2700/amount: 2800/' finops/budgets/team-platform.yaml"
spec4=$(remote_head)
fc reconcile --once --commit-trailer "[skip ci]" || fail "pass on the spec branch"
s4=$(remote_head)
[ "$(git --git-dir="$REMOTE" rev-parse "$s4^")" = "$spec4" ] || fail "no status commit on main"
[[ "$(git --git-dir="$REMOTE" log -1 --format=%s "$s4")" == *" [skip ci]" ]] ||
    fail "[skip ci] missing on the spec branch"
[ "$(trailer "$s4" Finops-Spec-Commit)" = "$spec4" ] || fail "Finops-Spec-Commit missing on main"
pass "trailers on status commits of the spec branch too"
