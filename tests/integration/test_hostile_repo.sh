#!/usr/bin/env bash
# Hostile repositories, built with git plumbing straight into the bare
# remote (trees git itself would refuse): a huge blob among the specs,
# submodules (gitlinks) where a spec dir and proposals/ should be, symlinks
# in the spec tree and a symlink named `status` at the root, entry names
# that are "..", not UTF-8, hold control bytes or are 300 bytes long.  The
# controller reads none of them (a log line each), replaces the top-level
# `status` symlink by its own tree, keeps the blob out of memory, and only
# ever changes status/ and proposals/.
#
# Then force-pushed rewrites of the branch, with `run` serving /metrics over
# a smart-HTTP remote: once between passes, once while a pass is between
# fetch and push (a pre-receive hook rewrites the branch as the controller
# pushes).  Each time the controller logs `history rewritten: <old> is not
# an ancestor of <new>`, counts it in finops_git_history_rewrites_total,
# re-syncs to the new history and never pushes over it.
source "$(dirname "$0")/lib.sh"
unset FINOPS_GIT_TOKEN FINOPS_GIT_TOKEN_FILE

BLOB_MB=${HOSTILE_BLOB_MB:-200}
seed_repo
# Smart HTTP (git http-backend): a real server packs the objects, as a
# forge would; a local path would pack them inside the controller.
printf 'secret-%s\n' "$$" > "$T/srv-token"
/usr/bin/python3 "$FC_SOURCE_DIR/tests/integration/git_http_server.py" \
    "$T" "$T/srv-token" "$T/port" "$T/http.log" 2>"$T/http.err" &
SRV=$!
PID=
trap 'kill $SRV $PID 2>/dev/null; [ -n "${KEEP_T:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || fail "http server did not start: $(cat "$T/http.err")"
URL="http://127.0.0.1:$(cat "$T/port")/remote.git"
fc reconcile --once 2>"$T/base.log" || fail "baseline pass failed: $(cat "$T/base.log")"
base=$(remote_head)

G() { git --git-dir="$REMOTE" "$@"; }
blob() { printf '%s' "$1" | G hash-object -w --stdin; }

# mktree: lines "MODE HEXNAME SHA" on stdin -> a tree object written with
# --literally (no name checks), entries in git's order (trees sort as
# "name/").  Prints its id.
mktree() {
    /usr/bin/python3 -c '
import subprocess, sys
ents = []
for line in sys.stdin.read().split("\n"):
    if not line.strip():
        continue
    mode, hexname, sha = line.split()
    ents.append((mode, bytes.fromhex(hexname), bytes.fromhex(sha)))
key = lambda e: e[1] + (b"/" if e[0] == "40000" else b"")
raw = b"".join(m.encode() + b" " + n + b"\0" + s for m, n, s in sorted(ents, key=key))
out = subprocess.run(["git", "--git-dir=" + sys.argv[1], "hash-object", "--literally",
                      "-t", "tree", "-w", "--stdin"], input=raw, check=True,
                     capture_output=True)
print(out.stdout.decode().strip())' "$REMOTE"
}
hexof() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
# The entries of an existing tree, as mktree input.
tree_lines() {
    G ls-tree -z "$1" | /usr/bin/python3 -c '
import sys
for rec in sys.stdin.buffer.read().split(b"\0"):
    if rec:
        meta, name = rec.split(b"\t", 1)
        mode, _, sha = meta.split()
        print(mode.decode().lstrip("0") or "0", name.hex(), sha.decode())'
}

evil_spec() {
    printf 'apiVersion: finops.dev/v1alpha1\nkind: Budget\nmetadata: {name: %s}\n' "$1"
    printf 'spec: {scope: {accounts: ["111111111111"]}, amount: 1, period: monthly}\n'
}

# ---- the hostile tree ---------------------------------------------------------
big=$(head -c $((BLOB_MB << 20)) /dev/zero | G hash-object -w --stdin)
outside="$T/outside"
mkdir -p "$outside"
e_dotdot=$(blob "$(evil_spec evil-dotdot)")
e_utf=$(blob "$(evil_spec evil-not-utf8)")
e_long=$(blob "$(evil_spec evil-long-name)")
e_ctl=$(blob "$(evil_spec evil-control)")
e_link=$(blob "/etc/passwd")
e_linkdir=$(blob "../../../..")
e_status=$(blob "$outside")
gitlink=$(printf 'not a commit here' | G hash-object --stdin)  # never stored: a gitlink target
dd_tree=$(printf '100644 %s %s\n' "$(hexof evil.yaml)" "$e_dotdot" | mktree)
long=$(printf 'x%.0s' $(seq 300)).yaml

finops_tree=$(G rev-parse "$base:finops")
new_finops=$( { tree_lines "$finops_tree"
    printf '100644 %s %s\n' "$(hexof big.yaml)" "$big"
    printf '40000 %s %s\n' "2e2e" "$dd_tree"                 # ".."
    printf '100644 %s %s\n' "6261649fff2e79616d6c" "$e_utf"  # "bad\x9f\xff.yaml"
    printf '100644 %s %s\n' "$(hexof "$long")" "$e_long"
    printf '100644 %s %s\n' "6374016c2e79616d6c" "$e_ctl"    # "ct\x01l.yaml"
    printf '120000 %s %s\n' "$(hexof evil-link.yaml)" "$e_link"
    printf '120000 %s %s\n' "$(hexof linkdir)" "$e_linkdir"
    printf '160000 %s %s\n' "$(hexof vendored)" "$gitlink"
} | mktree)
root=$( { tree_lines "$base^{tree}" | grep -v " $(hexof finops) \| $(hexof status) \| $(hexof proposals) "
    printf '40000 %s %s\n' "$(hexof finops)" "$new_finops"
    printf '120000 %s %s\n' "$(hexof status)" "$e_status"
    printf '160000 %s %s\n' "$(hexof proposals)" "$gitlink"
} | mktree)
hostile=$(G commit-tree "$root" -p "$base" -m "hostile tree")
G update-ref refs/heads/main "$hostile"

# RSS of the whole pass (fetch included), from getrusage of the child.
/usr/bin/python3 - "$T/rss" "$FC_BIN" reconcile --once --repo "$URL" --git-token-file "$T/srv-token" \
    --state-dir "$T/state" --sim-file "$FC_SOURCE_DIR/examples/sim/estate.yaml" \
    --prices "$FC_SOURCE_DIR/examples/prices/aws-prices.yaml" --now "$NOW" \
    --log-level info 2>"$T/hostile.log" <<'EOF' || fail "pass on the hostile tree failed: $(cat "$T/hostile.log")"
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)
EOF
log() { grep -F -- "$1" "$T/hostile.log" >/dev/null || fail "no log line '$1': $(cat "$T/hostile.log")"; }
log "not reading finops/big.yaml"
log "ignoring symlink finops/evil-link.yaml"
log "ignoring submodule finops/vendored"
log "ignoring an entry with a bad name under 'finops/'"
[ "$(grep -c "bad name under 'finops/'" "$T/hostile.log")" -ge 4 ] ||
    fail "not every bad name was reported: $(cat "$T/hostile.log")"
log "top-level 'status' is a symlink, not a directory; replacing it"
log "top-level 'proposals' is a submodule, not a directory; replacing it"
pass "huge blob, symlinks, submodules and bad names ignored, each with a log line"

# The fetch itself is libgit2's indexer, which inflates each fetched object
# whole (reported, not asserted); what the controller reads is measured on
# a second pass over the same head, where the fetch has nothing to do.
echo "max RSS of the pass that fetched the $BLOB_MB MiB blob: $(( $(cat "$T/rss") / 1024 )) MiB"
/usr/bin/python3 - "$T/rss2" "$FC_BIN" plan --repo "$URL" --git-token-file "$T/srv-token" \
    --state-dir "$T/state" --sim-file "$FC_SOURCE_DIR/examples/sim/estate.yaml" \
    --prices "$FC_SOURCE_DIR/examples/prices/aws-prices.yaml" --now "$NOW" \
    --log-level info >/dev/null 2>"$T/plan.log" <<'EOF' || fail "plan on the hostile tree failed: $(cat "$T/plan.log")"
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)
EOF
grep -qF "not reading finops/big.yaml" "$T/plan.log" || fail "plan did not skip the blob: $(cat "$T/plan.log")"
grep -qF "finops/big.yaml" <<<"$(remote_show status/specs.yaml)" ||
    fail "status/specs.yaml does not name the oversized finops/big.yaml"
rss_kb=$(cat "$T/rss2")
echo "max RSS of a pass reading specs beside the $BLOB_MB MiB blob: $((rss_kb / 1024)) MiB"
[ "$rss_kb" -lt $(( (BLOB_MB << 10) / 2 )) ] ||
    fail "reading specs used $((rss_kb / 1024)) MiB: the blob was read into memory"
pass "the $BLOB_MB MiB blob was never loaded whole"

head=$(remote_head)
[ "$(G rev-parse "$head^")" = "$hostile" ] || fail "status commit is not on the hostile head"
[ "$(G ls-tree "$head" status | cut -d' ' -f1,2)" = "040000 tree" ] ||
    fail "status is not a directory after the pass: $(G ls-tree "$head" status)"
# outside status/ and proposals/ the tree is byte-identical to the hostile one
diff <(G ls-tree -r -z "$head" | tr '\0' '\n' | grep -a -v -P '\t(status|proposals)(/|$)') \
     <(G ls-tree -r -z "$hostile" | tr '\0' '\n' | grep -a -v -P '\t(status|proposals)(/|$)') \
    >/dev/null || fail "the pass changed entries outside status/ and proposals/"
[ -z "$(G ls-tree -r --name-only "$head" status proposals | grep evil || true)" ] ||
    fail "a hostile spec reached status"
! G grep -q evil- "$head" -- status 2>/dev/null || fail "a hostile spec name appears in status/"
[ -z "$(ls -A "$outside")" ] || fail "something was written through the status symlink"
[ ! -e "$T/state/repo/status" ] && [ ! -e "$T/state/status" ] || fail "files written in the state dir"
pass "status symlink replaced by a tree; nothing outside status/ and proposals/ changed"

# A spec root given with '..' is refused; a leading '/' is the repo root.
if fc plan --path "finops/../.." >/dev/null 2>"$T/dd.err"; then fail "--path with .. accepted"; fi
grep -q "must not contain '..'" "$T/dd.err" || fail "--path .. error unclear: $(cat "$T/dd.err")"
fc plan --path /finops >/dev/null 2>"$T/slash.err" || fail "--path /finops failed: $(cat "$T/slash.err")"
pass "spec root with '..' refused, leading '/' normalised"

# ---- force-pushed rewrites, with `run` over smart HTTP ------------------------
# A clean history again (the huge blob would only slow the http transport).
seed=$(G rev-parse "$base^")
G update-ref refs/heads/main "$seed"
HPORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
rm -rf "$T/state"
"$FC_BIN" run --repo "$URL" --git-token-file "$T/srv-token" --state-dir "$T/state" \
    --sim-file "$FC_SOURCE_DIR/examples/sim/estate.yaml" \
    --prices "$FC_SOURCE_DIR/examples/prices/aws-prices.yaml" --now "$NOW" \
    --log-level info --interval 1s --listen "127.0.0.1:$HPORT" 2>"$T/run.log" &
PID=$!

# wait_for CMD...: up to 60 s for CMD to succeed while the controller lives.
wait_for() {
    local _
    for _ in $(seq 600); do
        "$@" && return 0
        kill -0 "$PID" 2>/dev/null || { cat "$T/run.log" >&2; fail "controller exited"; }
        sleep 0.1
    done
    cat "$T/run.log" >&2
    fail "timed out waiting for: $*"
}
controller_on() {  # the remote head is a controller commit whose parent is $1
    local h
    h=$(remote_head)
    [ "$(G log -1 --format=%an "$h")" = finops-controller ] && [ "$(G rev-parse "$h^")" = "$1" ]
}
rewrites() {
    curl -s --max-time 5 "http://127.0.0.1:$HPORT/metrics" |
        sed -n 's/^finops_git_history_rewrites_total \([0-9]*\)$/\1/p'
}
wait_for controller_on "$seed"
[ "$(rewrites)" = 0 ] || fail "finops_git_history_rewrites_total is not 0 at start"
synced=$(remote_head)

# 1. between passes: the branch is replaced by a different history
mkcommit() {  # mkcommit PARENT MESSAGE -> a commit whose budget amount differs
    local parent=$1 msg=$2 t
    t=$(cd "$WORK" && git fetch -q origin && git checkout -q "$parent" &&
        sed -i "s/^\(  *amount: *\)[0-9.]*/\1$RANDOM/" finops/budgets/team-platform.yaml &&
        git commit -q -am "$msg" && git rev-parse HEAD)
    git -C "$WORK" push -q origin "$t:refs/rewrite/$RANDOM" 2>/dev/null
    echo "$t"
}
r1=$(mkcommit "$seed" "rewritten history")
G update-ref refs/heads/main "$r1"
wait_for grep -qF "history rewritten: $synced is not an ancestor of $r1" "$T/run.log"
wait_for controller_on "$r1"
G merge-base --is-ancestor "$synced" "$(remote_head)" && fail "old history pushed back over the rewrite"
[ "$(rewrites)" = 1 ] || fail "finops_git_history_rewrites_total is '$(rewrites)', not 1"
pass "rewrite between passes: logged, counted, re-synced on the new history"

# 2. between fetch and push: the controller fetched c1 and pushes its status
# on c1; a pre-receive hook swaps the branch to r2 (not a descendant of c1)
# just before, so the push's compare-and-swap fails and the pass retries.
r2=$(mkcommit "$seed" "rewritten again")
c1=$(mkcommit "$(remote_head)" "human edit on top of the status")
cat > "$REMOTE/hooks/pre-receive" <<EOF
#!/bin/sh
[ -e "$T/hook-fired" ] && exit 0
touch "$T/hook-fired"
env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES \
    git update-ref refs/heads/main $r2
exit 0
EOF
chmod +x "$REMOTE/hooks/pre-receive"
G update-ref refs/heads/main "$c1"
wait_for test -e "$T/hook-fired"
wait_for grep -qF "history rewritten: $c1 is not an ancestor of $r2" "$T/run.log"
wait_for controller_on "$r2"
G merge-base --is-ancestor "$c1" "$(remote_head)" && fail "a commit on the old history was pushed over the rewrite"
[ "$(rewrites)" = 2 ] || fail "finops_git_history_rewrites_total is '$(rewrites)', not 2"
grep -q "push rejected" "$T/run.log" || fail "the racing push was not rejected and retried"
pass "rewrite between fetch and push: push refused, logged, counted, rebuilt on the new history"

kill "$PID"
wait "$PID" || true
PID=
