#!/usr/bin/env bash
# Token auth over git's smart HTTP: `git http-backend` behind a loopback
# server that wants basic auth with a token (git_http_server.py).  The
# controller syncs and pushes with --git-token-file, picks up a rotated
# token on the next pass, fails with exit 1 and a clear message on a wrong
# one, and the token shows up nowhere: not in stderr, the state dir's
# config, nor the pushed status files.
#
# Plain http on 127.0.0.1: the credential path (401, basic auth, retry
# limit) is the same as https; TLS itself is libgit2's (mbedtls) business.
source "$(dirname "$0")/lib.sh"

unset FINOPS_GIT_TOKEN FINOPS_GIT_TOKEN_FILE
seed_repo
TOKEN="tok-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$TOKEN" > "$T/server-token"
printf '%s\n' "$TOKEN" > "$T/token"
chmod 600 "$T/token"

/usr/bin/python3 "$FC_SOURCE_DIR/tests/integration/git_http_server.py" \
    "$T" "$T/server-token" "$T/port" "$T/http.log" 2>"$T/http.err" &
SRV=$!
trap 'kill $SRV 2>/dev/null; [ -n "${KEEP_T:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || fail "http server did not start: $(cat "$T/http.err")"
URL="http://127.0.0.1:$(cat "$T/port")/remote.git"

# no token at all: 401 explained
if fc reconcile --once --repo "$URL" 2>"$T/err0"; then fail "pass without token succeeded"; fi
grep -q "authentication required" "$T/err0" || fail "no-token error unclear: $(cat "$T/err0")"
pass "no token: $(grep -o 'authentication required[^)]*)' "$T/err0")"

# the token file: sync, commit, push
before=$(remote_head)
fc reconcile --once --repo "$URL" --git-token-file "$T/token" 2>"$T/err1" ||
    fail "pass with token failed: $(cat "$T/err1")"
[ "$(remote_head)" != "$before" ] || fail "no status commit was pushed"
remote_files | grep '^status/inventory.yaml$' >/dev/null || fail "status/inventory.yaml not pushed"
grep -q "^POST /remote.git/git-receive-pack user=x-access-token 200" "$T/http.log" ||
    fail "push did not go through http-backend as x-access-token: $(cat "$T/http.log")"
pass "synced and pushed status over http with --git-token-file"

# rotation: the server and the file change; the next pass reads the new one
NEW="tok-rotated-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$NEW" > "$T/server-token"
printf '%s\n' "$NEW" > "$T/token"
human_commit "Touch a budget" "echo '# touched' >> finops/budgets/team-platform.yaml"
before=$(remote_head)
fc reconcile --once --repo "$URL" --git-token-file "$T/token" 2>"$T/err2" ||
    fail "pass after rotation failed: $(cat "$T/err2")"
[ "$(remote_head)" != "$before" ] || fail "no status commit after rotation"
pass "rotated token file picked up on the next pass"

# the flag wins over FINOPS_GIT_TOKEN; the env alone works too
FINOPS_GIT_TOKEN="wrong-env-token" fc plan --repo "$URL" --git-token-file "$T/token" \
    >/dev/null 2>"$T/err3" || fail "--git-token-file did not win over FINOPS_GIT_TOKEN: $(cat "$T/err3")"
FINOPS_GIT_TOKEN="$NEW" fc plan --repo "$URL" >/dev/null 2>"$T/err4" ||
    fail "FINOPS_GIT_TOKEN alone failed: $(cat "$T/err4")"
pass "flag beats FINOPS_GIT_TOKEN; FINOPS_GIT_TOKEN alone works"

# a user name in the URL is the basic-auth user
BOBURL="http://bob@127.0.0.1:$(cat "$T/port")/remote.git"
fc plan --repo "$BOBURL" --git-token-file "$T/token" >/dev/null 2>"$T/err5" ||
    fail "pass with user in URL failed: $(cat "$T/err5")"
grep -q "user=bob 200" "$T/http.log" || fail "user from the URL not used"
pass "user name from the URL used for basic auth"

# a wrong token: exit 1, a clear message, tried once (not forever)
printf 'not-the-token\n' > "$T/bad-token"
n0=$(grep -c ' 401$' "$T/http.log" || true)
set +e
fc reconcile --once --repo "$URL" --git-token-file "$T/bad-token" 2>"$T/err6"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "wrong token: exit $rc, want 1"
grep -q "authentication failed" "$T/err6" || fail "wrong-token error unclear: $(cat "$T/err6")"
grep -q "$T/bad-token" "$T/err6" || fail "error does not name the token file"
n1=$(grep -c ' 401$' "$T/http.log")
[ $((n1 - n0)) -le 2 ] || fail "wrong token offered $((n1 - n0)) times"
pass "wrong token: exit 1, $(grep -o 'authentication failed.*' "$T/err6")"

# a missing token file is named, not guessed around
if fc plan --repo "$URL" --git-token-file "$T/nope" 2>"$T/err7" >/dev/null; then
    fail "missing token file accepted"
fi
grep -q "cannot read --git-token-file $T/nope" "$T/err7" || fail "missing file unclear: $(cat "$T/err7")"
pass "missing token file named in the error"

# credentials in the URL work, and stay out of messages and the clone's config
USERURL="http://x-access-token:$NEW@127.0.0.1:$(cat "$T/port")/remote.git"
fc plan --repo "$USERURL" --log-level info >/dev/null 2>"$T/err8" ||
    fail "pass with credentials in the URL failed: $(cat "$T/err8")"
git --git-dir="$T/state/repo" config remote.origin.url | grep "^http://127.0.0.1:" >/dev/null ||
    fail "origin URL in the clone's config not redacted"
pass "credentials in the URL used, not stored"

# the tokens appear nowhere we write
for tok in "$TOKEN" "$NEW" "not-the-token"; do
    if grep -rq -- "$tok" "$T"/err* "$T/state" 2>/dev/null; then
        fail "a token leaked into stderr or the state dir"
    fi
    if git --git-dir="$REMOTE" grep -q -- "$tok" main 2>/dev/null; then
        fail "a token leaked into the pushed status files"
    fi
    if git --git-dir="$REMOTE" log --format=%B main | grep -- "$tok" >/dev/null; then
        fail "a token leaked into a commit message"
    fi
done
pass "tokens never in stderr, state dir, pushed files or commit messages"
