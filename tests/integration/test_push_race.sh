# Another process keeps pushing human commits to the branch while the
# controller runs many passes: every human commit survives, every update of
# the branch is a fast-forward, and the controller never makes a merge.
. "$(dirname "$0")/lib.sh"
seed_repo
git --git-dir="$REMOTE" config receive.denyNonFastForwards true
git --git-dir="$REMOTE" config core.logAllRefUpdates always
N=${HUMAN_COMMITS:-40}

pusher() {
    local clone="$T/pusher" i
    git clone -q "$REMOTE" "$clone" 2>/dev/null
    for i in $(seq 1 "$N"); do
        echo "edit $i" >> "$clone/NOTES.md"
        git -C "$clone" add NOTES.md
        git -C "$clone" commit -q -m "human commit $i"
        # A person's workflow: rebase on what is there, push, repeat.
        until git -C "$clone" push -q origin main 2>/dev/null; do
            git -C "$clone" pull -q --rebase origin main 2>/dev/null || true
        done
    done
}

pusher &
pid=$!
# Passes back to back while the pusher runs; a pass that loses every retry
# fails and the loop goes on.
passes=0
while kill -0 "$pid" 2>/dev/null; do
    fc reconcile --once 2>>"$T/controller.log" || true
    passes=$((passes + 1))
done
wait "$pid" || fail "pusher failed"
fc reconcile --once 2>>"$T/controller.log" || fail "final pass failed"
retries=$(grep -c "push rejected" "$T/controller.log" || true)
echo "passes: $passes, rejected pushes retried: $retries"

git --git-dir="$REMOTE" log --format=%s main > "$T/subjects"
for i in $(seq 1 "$N"); do
    grep -qx "human commit $i" "$T/subjects" || fail "human commit $i was lost"
done
pass "all $N human commits survived"

[ -z "$(git --git-dir="$REMOTE" rev-list --merges main)" ] || fail "history has merge commits"
pass "no merge commits"

# Every update of main recorded in the remote's reflog is a fast-forward.
git --git-dir="$REMOTE" reflog show --format='%H' refs/heads/main > "$T/reflog"
prev=""
while read -r c; do
    if [ -n "$prev" ]; then
        git --git-dir="$REMOTE" merge-base --is-ancestor "$c" "$prev" \
            || fail "update to $prev was not a fast-forward from $c"
    fi
    prev=$c
done < "$T/reflog"
pass "every branch update was a fast-forward ($(wc -l < "$T/reflog") updates)"

git --git-dir="$REMOTE" log --format='%an' main > "$T/authors"
ctl=$(grep -c '^finops-controller$' "$T/authors" || true)
[ "$ctl" -ge 1 ] || fail "no status commit landed"
head_status=$(remote_show status/specs.yaml | grep observedCommit | awk '{print $2}')
[ "$head_status" = "$(git --git-dir="$REMOTE" rev-parse main^)" ] \
    || fail "final status does not observe the last human commit"
pass "$ctl status commits, the last one on top of the last human commit"
