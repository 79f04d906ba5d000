# Pull-request mode against a loopback forge (tests/forgeserver), once per
# dialect: a pass opens one PR per proposal above --forge-min-saving on a
# branch finops/proposal/<id> of the real bare repo; a second pass opens
# none; rate limits and 5xx are retried; merging one as an approver makes
# the next pass plan it; a recommendation that disappears gets its PR
# commented on and closed; a PR a person closed is not reopened; with the
# forge down the pass still succeeds and the PRs follow on the next pass;
# the token never reaches the logs.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is needed"
SERVER="$FC_SOURCE_DIR/tests/forgeserver/server.py"
FORGES=${FORGES:-github gitlab gitea}
TOKEN="tok-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
ROOT=$T
MIN=20

run_forge() {
    local D=$1
    T="$ROOT/$D"
    mkdir -p "$T"
    REMOTE="$T/remote.git"
    WORK="$T/work"
    seed_repo
    echo "$TOKEN" >"$T/token"
    PID="" PORT="" API="" LOG="$T/log"

    start() {
        rm -f "$T/port"
        /usr/bin/python3 "$SERVER" --dialect "$D" --repo "$REMOTE" --project acme/specs \
            --token "$TOKEN" --page-size 2 --port "${PORT:-0}" --port-file "$T/port" \
            --state-file "$T/forge.json" &
        PID=$!
        for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
        [ -s "$T/port" ] || fail "$D: forge server did not start"
        PORT=$(cat "$T/port")
    }
    stop() { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; PID=""; }
    trap stop EXIT
    start
    case $D in
        github) API="http://127.0.0.1:$PORT" ;;
        gitlab) API="http://127.0.0.1:$PORT/api/v4" ;;
        gitea) API="http://127.0.0.1:$PORT/api/v1" ;;
    esac
    ctl() { curl -sf -X POST -d "$2" "http://127.0.0.1:$PORT/_control/$1" >/dev/null; }
    prs() { curl -sf "http://127.0.0.1:$PORT/_control/prs"; }
    q() { prs | /usr/bin/python3 -c "import json,sys; prs=json.load(sys.stdin); print($1)"; }
    fcf() {
        echo "=== pass $*" >>"$LOG"
        fc reconcile --once --forge "$D" --forge-url "$API" --forge-project acme/specs \
            --forge-token-file "$T/token" --forge-max-wait 5s --log-level info "$@" \
            >>"$LOG" 2>&1
    }
    last_summary() { grep "forge: .* opened" "$LOG" | tail -1; }

    # 1. one PR per proposal above the threshold
    fcf --forge-min-saving $MIN || fail "$D: first pass: $(tail -5 "$LOG")"
    local want
    want=$(for f in $(git --git-dir="$REMOTE" ls-tree --name-only main proposals/); do
        git --git-dir="$REMOTE" show "main:$f" | sed -n 's/^# Estimated saving: \([0-9.]*\) .*/\1/p'
    done | awk -v m=$MIN '$1 >= m {n++} END {print n+0}')
    [ "$want" -ge 3 ] || fail "$D: the demo should have 3+ proposals over $MIN, has $want"
    [ "$(q 'len(prs)')" = "$want" ] || fail "$D: $(q 'len(prs)') PRs for $want proposals"
    [ "$(q 'len(set(p["head"] for p in prs))')" = "$want" ] || fail "$D: duplicate heads"
    q 'all(p["head"].startswith("finops/proposal/") and p["base"] == "main" for p in prs)' |
        grep -q True || fail "$D: PR head/base wrong"
    q 'all("### Saving" in p["body"] and "### Rollback" in p["body"] and "### Evidence" in p["body"] and "alice@example.com" in p["body"] for p in prs)' |
        grep -q True || fail "$D: PR body lacks saving/rollback/evidence/approvers"
    local id1 id2 id3
    id1=$(q 'prs[0]["head"][len("finops/proposal/"):]')
    id2=$(q 'prs[1]["head"][len("finops/proposal/"):]')
    id3=$(q 'prs[2]["head"][len("finops/proposal/"):]')
    git --git-dir="$REMOTE" show "finops/proposal/$id1:finops/optimizations/$id1.yaml" |
        grep -q "approvedBy: \[alice@example.com, bob@example.com\]" ||
        fail "$D: proposal branch lacks the Optimization file"
    pass "$D: $want PRs opened on finops/proposal/<id> branches"

    # 2. second pass, through a rate limit and a 502: no duplicates
    ctl ratelimit '{"count": 1, "retry_after": 1}'
    ctl fail '{"count": 1, "status": 502}'
    fcf --forge-min-saving $MIN --force || fail "$D: second pass"
    [ "$(q 'len(prs)')" = "$want" ] || fail "$D: second pass opened duplicates"
    last_summary | grep -q "0 opened, .* 0 failed" || fail "$D: second pass: $(last_summary)"
    grep -q "rate limited" "$LOG" || fail "$D: the rate limit was not seen"
    curl -sf "http://127.0.0.1:$PORT/_control/log" | grep -q 'page=2' ||
        fail "$D: the client never followed a Link rel=next page"
    pass "$D: second pass (after a rate limit and a 502) opens no duplicates"

    # 3. an approver merges one: the next pass plans it
    ctl merge "{\"number\": 1, \"login\": \"alice\", \"name\": \"Alice Human\", \"email\": \"alice@example.com\"}"
    # ... and someone who is not an approver merges another: not an approval
    local id4
    id4=$(q 'prs[3]["head"][len("finops/proposal/"):]')
    ctl merge "{\"number\": 4, \"login\": \"mallory\", \"name\": \"Mallory\", \"email\": \"mallory@example.com\"}"
    fcf --forge-min-saving $MIN || fail "$D: pass after merge"
    grep -q "state: planned" <<<"$(remote_show "status/optimizations/$id1.yaml")" ||
        fail "$D: merged proposal not planned: $(remote_show "status/optimizations/$id1.yaml" | head -30)"
    grep -q "ApprovalNotAuthored" <<<"$(remote_show "status/optimizations/$id4.yaml")" ||
        fail "$D: a non-approver's merge approved: $(remote_show "status/optimizations/$id4.yaml")"
    [ "$(q 'len(prs)')" = "$want" ] || fail "$D: a PR was opened after the merge"
    pass "$D: merged by an approver -> planned; by a non-approver -> blocked"

    # 4. the recommendation behind PR 2 disappears (Policy excludes it)
    local name2
    name2=$(git --git-dir="$REMOTE" show "main:proposals/$id2.yaml" | sed -n '2s/^# [^ ]* (\([^)]*\)).*/\1/p')
    [ -n "$name2" ] || fail "$D: no resource name in proposal $id2"
    human_commit "Exclude $name2" \
        "sed -i 's/names: \[\"\*-keep\"\]/names: [\"*-keep\", \"$name2\"]/' finops/policies/default.yaml"
    fcf --forge-min-saving $MIN || fail "$D: pass after exclusion"
    grep -q "proposals/$id2.yaml" <<<"$(remote_files)" && fail "$D: excluded proposal still in status"
    [ "$(q 'prs[1]["state"]')" = "closed" ] || fail "$D: PR 2 not closed: $(q 'prs[1]["state"]')"
    q 'prs[1]["comments"][0]' | grep -q "no longer holds" || fail "$D: no comment on PR 2"
    pass "$D: a recommendation that disappears closes its PR with a comment"

    # 5. a person closes PR 3: not reopened
    ctl close '{"number": 3}'
    fcf --forge-min-saving $MIN --force || fail "$D: pass after close"
    fcf --forge-min-saving $MIN --force || fail "$D: second pass after close"
    [ "$(q "len([p for p in prs if p['head'] == 'finops/proposal/$id3'])")" = 1 ] ||
        fail "$D: a person-closed PR was reopened"
    [ "$(q 'prs[2]["state"]')" = "closed" ] || fail "$D: PR 3 reopened"
    pass "$D: a PR a person closed is not reopened"

    # 6. forge down: the pass succeeds; the PRs follow on the next pass
    local before
    before=$(q 'len(prs)')
    stop
    fcf --forge-min-saving 5 --force || fail "$D: pass with the forge down failed"
    grep -q "wait for the next pass" "$LOG" || fail "$D: outage not reported"
    grep -q "^proposals/" <<<"$(remote_files)" || fail "$D: proposals lost from status"
    start
    fcf --forge-min-saving 5 --force || fail "$D: pass after the outage"
    [ "$(q 'len(prs)')" -gt "$before" ] || fail "$D: no PR after the forge came back"
    [ "$(q 'len(set(p["head"] for p in prs if p["state"] == "open"))')" = \
      "$(q 'len([p for p in prs if p["state"] == "open"])')" ] || fail "$D: duplicate open PRs"
    [ "$(q "len([p for p in prs if p['head'] == 'finops/proposal/$id3'])")" = 1 ] ||
        fail "$D: outage recovery reopened the person-closed PR"
    pass "$D: forge down -> pass succeeds, PRs opened on the next pass"

    # 7. the token never reaches a log
    grep -q "$TOKEN" "$LOG" && fail "$D: token in the log"
    pass "$D: token not logged"
    T=$ROOT
}

for D in $FORGES; do
    (run_forge "$D") || exit 1
done
