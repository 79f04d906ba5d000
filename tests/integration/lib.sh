# lib.sh - shared set-up for integration tests: a temp dir, a bare "remote"
# seeded from examples/demo-repo, a human work clone, and `fc` to run the real
# binary against it with a fixed clock.  Sourced, not run.
set -euo pipefail
: "${FC_BIN:?FC_BIN must point at the finops-controller binary}"
: "${FC_SOURCE_DIR:?FC_SOURCE_DIR must point at the source tree}"

T=$(mktemp -d "${TMPDIR:-/tmp}/fc-it.XXXXXX")
trap '[ -n "${KEEP_T:-}" ] || rm -rf "$T"' EXIT
export GIT_AUTHOR_NAME="Alice Human" GIT_AUTHOR_EMAIL="alice@example.com"
export GIT_COMMITTER_NAME="Alice Human" GIT_COMMITTER_EMAIL="alice@example.com"
export GIT_CONFIG_NOSYSTEM=1 HOME="$T/home"
mkdir -p "$HOME"
git config --global init.defaultBranch main
git config --global advice.detachedHead false

NOW=${NOW:-2026-11-20T12:00:00Z}
REMOTE="$T/remote.git"
WORK="$T/work"

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

seed_repo() {
    git init -q --bare -b main "$REMOTE"
    git clone -q "$REMOTE" "$WORK" 2>/dev/null
    cp -r "$FC_SOURCE_DIR/examples/demo-repo/." "$WORK/"
    git -C "$WORK" add -A
    git -C "$WORK" commit -q -m "Add FinOps specs"
    git -C "$WORK" push -q origin main
}

# Human edits: run a command in the work clone, commit and push it.
human_commit() {
    local msg=$1; shift
    git -C "$WORK" pull -q --rebase origin main
    (cd "$WORK" && eval "$@")
    git -C "$WORK" add -A
    git -C "$WORK" commit -q -m "$msg"
    git -C "$WORK" push -q origin main
}

fc() {
    local cmd=$1; shift
    "$FC_BIN" "$cmd" --repo "$REMOTE" --state-dir "$T/state" \
        --sim-file "$FC_SOURCE_DIR/examples/sim/estate.yaml" \
        --prices "$FC_SOURCE_DIR/examples/prices/aws-prices.yaml" \
        --now "$NOW" --log-level warn "$@"
}

remote_head() { git --git-dir="$REMOTE" rev-parse main; }
remote_show() { git --git-dir="$REMOTE" show "main:$1"; }
remote_files() { git --git-dir="$REMOTE" ls-tree -r --name-only main; }
