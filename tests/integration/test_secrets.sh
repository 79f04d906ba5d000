#!/usr/bin/env bash
# Secrets never leak.  Distinctive values are planted as the AWS secret key
# and session token (environment and a shared credentials file), the git
# token (FINOPS_GIT_TOKEN, --git-token-file, and inside a URL), the webhook
# secret and the API token.  Then passes fail in every way we can provoke:
# a dead git URL carrying the token, a git server refusing the token, a dead
# AWS endpoint, an AWS endpoint answering 403 with a body that echoes the
# request's auth headers, a broken spec, SIGTERM in the middle of `run`,
# bad webhook signatures and bearer tokens; with debug and JSON logs.
# Everything the controller produced is collected - every log line, the
# pushed status history, /metrics, every /api/v1 and write-endpoint answer,
# the state dir's files (SQLite dumped) and the clone's config - and none
# may contain a planted value, nor its base64 or URL-encoded form.
# Also: the state dir is 0700 and its files 0600 (no group/other bits), and
# `run` has no core dumps unless --allow-core-dumps.
source "$(dirname "$0")/lib.sh"

unset FINOPS_GIT_TOKEN FINOPS_GIT_TOKEN_FILE AWS_PROFILE AWS_CONFIG_FILE \
    AWS_SHARED_CREDENTIALS_FILE AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID \
    AWS_SECRET_ACCESS_KEY AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN || true
export AWS_EC2_METADATA_DISABLED=true AWS_REGION=eu-west-1
rnd() { od -An -N8 -tx1 /dev/urandom | tr -d ' \n'; }
AWS_SECRET="AwsSecretKey$(rnd)Planted"
AWS_SESSION="AwsSessionToken$(rnd)Planted"
FILE_SECRET="FileSecretKey$(rnd)Planted"
FILE_SESSION="FileSessionToken$(rnd)Planted"
GIT_ENV_TOKEN="GitEnvToken$(rnd)Planted"
GIT_FILE_TOKEN="GitFileToken$(rnd)Planted"
URL_TOKEN="GitUrlToken$(rnd)Planted"
HOOK_SECRET="WebhookSecret$(rnd)Planted"
API_TOKEN="ApiToken$(rnd)Planted"
SECRETS=("$AWS_SECRET" "$AWS_SESSION" "$FILE_SECRET" "$FILE_SESSION" "$GIT_ENV_TOKEN"
         "$GIT_FILE_TOKEN" "$URL_TOKEN" "$HOOK_SECRET" "$API_TOKEN")
OUT="$T/out"       # everything the controller produced
mkdir -p "$OUT"
printf '%s\n' "$GIT_FILE_TOKEN" > "$T/git-token"
printf '%s\n' "$HOOK_SECRET" > "$T/hook-secret"
printf '%s\n' "$API_TOKEN" > "$T/api-token"
cat > "$T/aws-credentials" <<EOF
[default]
aws_access_key_id = AKIDFILEPLANTED
aws_secret_access_key = $FILE_SECRET
aws_session_token = $FILE_SESSION
EOF
seed_repo

# ---- failing passes ------------------------------------------------------------
n=0
# attempt NAME ARGS...: a pass that fails (exit 1, or a failed stage inside
# a pass that still writes status); keeps its output
attempt() {
    local name=$1; shift
    n=$((n + 1))
    fc "$@" >"$OUT/$n-$name.stdout" 2>"$OUT/$n-$name.stderr" || true
    grep -qi "error\|fail" "$OUT/$n-$name.stdout" "$OUT/$n-$name.stderr" || fail "$name: nothing failed: $(cat "$OUT/$n-$name.stderr")"
}
export FINOPS_GIT_TOKEN="$GIT_ENV_TOKEN"
for fmt in text json; do
    attempt "url-token-$fmt" reconcile --once --log-level debug --log-format "$fmt" \
        --repo "https://user:$URL_TOKEN@127.0.0.1:1/x.git"
    attempt "url-token-http-$fmt" plan --log-level debug --log-format "$fmt" \
        --repo "http://x-access-token:$URL_TOKEN@127.0.0.1:1/x.git" --git-token-file "$T/git-token"
done

# a git server that wants another token: 401 on every attempt
printf 'the-server-wants-this-%s\n' "$(rnd)" > "$T/server-token"
/usr/bin/python3 "$FC_SOURCE_DIR/tests/integration/git_http_server.py" \
    "$T" "$T/server-token" "$T/git.port" "$T/git-http.log" 2>"$T/git-http.err" &
GIT_SRV=$!
AWS_SRV=
PID=
trap 'kill $GIT_SRV $AWS_SRV $PID 2>/dev/null; [ -n "${KEEP_T:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 100); do [ -s "$T/git.port" ] && break; sleep 0.1; done
[ -s "$T/git.port" ] || fail "git http server did not start"
GIT_URL="http://127.0.0.1:$(cat "$T/git.port")/remote.git"
for fmt in text json; do
    attempt "git-401-file-$fmt" reconcile --once --log-level debug --log-format "$fmt" \
        --repo "$GIT_URL" --git-token-file "$T/git-token"
    attempt "git-401-env-$fmt" reconcile --once --log-level debug --log-format "$fmt" \
        --repo "$GIT_URL"
    attempt "git-401-url-$fmt" reconcile --once --log-level debug --log-format "$fmt" \
        --repo "http://bob:$URL_TOKEN@127.0.0.1:$(cat "$T/git.port")/remote.git"
done
unset FINOPS_GIT_TOKEN

# an AWS endpoint that answers 403 and echoes what it was sent
cat > "$T/echo403.py" <<'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("latin-1") if n else ""
        echo = "".join("<H>%s: %s</H>" % kv for kv in self.headers.items())
        msg = ("<ErrorResponse><Error><Code>AccessDenied</Code><Message>denied; you sent "
               "%s %s and body %s</Message></Error></ErrorResponse>" % (echo, self.path, body))
        data = msg.encode()
        self.send_response(403)
        self.send_header("Content-Type", "text/xml")
        self.send_header("X-Echo-Token", self.headers.get("X-Amz-Security-Token", ""))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    do_GET = do_POST = do_PUT = answer
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
EOF
/usr/bin/python3 "$T/echo403.py" "$T/aws.port" &
AWS_SRV=$!
for _ in $(seq 100); do [ -s "$T/aws.port" ] && break; sleep 0.1; done
[ -s "$T/aws.port" ] || fail "echo server did not start"
ECHO_URL="http://127.0.0.1:$(cat "$T/aws.port")"
for fmt in text json; do
    for ep in "http://127.0.0.1:1" "$ECHO_URL"; do
        tag=$([ "$ep" = "$ECHO_URL" ] && echo 403 || echo down)
        AWS_ACCESS_KEY_ID=AKIDENVPLANTED AWS_SECRET_ACCESS_KEY="$AWS_SECRET" \
        AWS_SESSION_TOKEN="$AWS_SESSION" \
            attempt "aws-$tag-env-$fmt" reconcile --once --force --provider aws \
            --endpoint-url "$ep" --log-level debug --log-format "$fmt"
        AWS_SHARED_CREDENTIALS_FILE="$T/aws-credentials" \
            attempt "aws-$tag-file-$fmt" reconcile --once --force --provider aws \
            --endpoint-url "$ep" --log-level debug --log-format "$fmt"
        AWS_SHARED_CREDENTIALS_FILE="$T/aws-credentials" \
            attempt "aws-$tag-check-$fmt" check --provider aws \
            --endpoint-url "$ep" --log-level debug --log-format "$fmt"
    done
done
grep -q "403\|denied\|AccessDenied" "$OUT"/*aws-403-env-text.stderr ||
    fail "the 403 was not reported: $(cat "$OUT"/*aws-403-env-text.stderr)"

# a broken spec, with every credential around
human_commit "Break a budget" "printf 'kind: Budget\nmetadata: {name: [\n' > finops/budgets/broken.yaml"
FINOPS_GIT_TOKEN="$GIT_ENV_TOKEN" AWS_SECRET_ACCESS_KEY="$AWS_SECRET" \
AWS_SESSION_TOKEN="$AWS_SESSION" AWS_ACCESS_KEY_ID=AKIDENVPLANTED \
    fc reconcile --once --log-level debug --git-token-file "$T/git-token" \
    >"$OUT/broken.stdout" 2>"$OUT/broken.stderr" || true
pass "$((n + 1)) failing passes ran"

# ---- run: HTTP answers, write endpoints, SIGTERM mid-pass -----------------------
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
API="http://127.0.0.1:$PORT"
FINOPS_GIT_TOKEN="$GIT_ENV_TOKEN" AWS_SECRET_ACCESS_KEY="$AWS_SECRET" \
AWS_SESSION_TOKEN="$AWS_SESSION" AWS_ACCESS_KEY_ID=AKIDENVPLANTED \
"$FC_BIN" run --repo "$REMOTE" --state-dir "$T/state" \
    --sim-file "$FC_SOURCE_DIR/examples/sim/estate.yaml" \
    --prices "$FC_SOURCE_DIR/examples/prices/aws-prices.yaml" --now "$NOW" \
    --log-level debug --log-format json --interval 1s --listen "127.0.0.1:$PORT" \
    --git-token-file "$T/git-token" --webhook-secret-file "$T/hook-secret" \
    --api-token-file "$T/api-token" >"$OUT/run.stdout" 2>"$OUT/run.stderr" &
PID=$!
for _ in $(seq 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$API/readyz")" = 200 ] && break
    kill -0 $PID 2>/dev/null || fail "run exited: $(tail -5 "$OUT/run.stderr")"
    sleep 0.1
done
grep -q '^Max core file size *0 *0 ' "/proc/$PID/limits" ||
    fail "core dumps not disabled: $(grep core "/proc/$PID/limits")"
pass "run has RLIMIT_CORE 0"

# req NAME CURL-ARGS...: keeps the answer, headers included
req() { local name=$1; shift; curl -s -i --max-time 5 "$@" >"$OUT/http-$name" 2>&1 || true; }
req metrics "$API/metrics"
for ep in resources recommendations anomalies budgets actions runs tasks reports/latest; do
    req "api-${ep//\//-}" "$API/api/v1/$ep"
done
code() { sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$OUT/http-$1"; }
req task-none -X POST "$API/api/v1/tasks/discovery/run"
req task-bad -X POST -H "Authorization: Bearer ${API_TOKEN}x" "$API/api/v1/tasks/discovery/run"
req task-prefix -X POST -H "Authorization: Bearer ${API_TOKEN%?}" "$API/api/v1/tasks/discovery/run"
req task-good -X POST -H "Authorization: Bearer $API_TOKEN" "$API/api/v1/tasks/discovery/run"
for r in task-none task-bad task-prefix; do
    [ "$(code $r)" = 401 ] || fail "$r: expected 401, got '$(code $r)'"
done
case "$(code task-good)" in 2*|404) ;; *) fail "the right token was refused: $(cat "$OUT/http-task-good")";; esac
body='{"ref":"refs/heads/main"}'
sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$HOOK_SECRET" -r | cut -d' ' -f1)
req hook-none -X POST -d "$body" "$API/hooks/git"
req hook-bad -X POST -d "$body" -H "X-Hub-Signature-256: sha256=${sig%?}0" "$API/hooks/git"
req hook-gitlab -X POST -d "$body" -H "X-Gitlab-Token: ${HOOK_SECRET}x" "$API/hooks/git"
req hook-good -X POST -d "$body" -H "X-Hub-Signature-256: sha256=$sig" "$API/hooks/git"
for r in hook-none hook-bad hook-gitlab; do
    [ "$(code $r)" = 401 ] || fail "$r: expected 401, got '$(code $r)'"
done
case "$(code hook-good)" in 2*) ;; *) fail "a good webhook was refused: $(cat "$OUT/http-hook-good")";; esac
pass "write endpoints: 401 without or with a wrong token/signature, accepted with the right one"

# SIGTERM while a pass runs: a webhook asks for one, then the signal
req hook-again -X POST -d "$body" -H "X-Hub-Signature-256: sha256=$sig" "$API/hooks/git"
kill -TERM "$PID"
wait "$PID" || true
PID=

# ---- collect and search ----------------------------------------------------------
git --git-dir="$REMOTE" log --all -p --format=fuller >"$OUT/remote-history"
git --git-dir="$T/state/repo" log --all -p --format=fuller >"$OUT/clone-history" 2>&1 || true
cp "$T/state/repo/config" "$OUT/clone-config"
for db in $(find "$T/state" -type f \( -name '*.db' -o -name '*.sqlite' \)); do
    sqlite3 "$db" .dump >"$OUT/dump-$(basename "$db").sql"
done
find "$T/state" -type f ! -path '*/objects/*' -exec cat {} + >"$OUT/state-raw" 2>/dev/null || true

/usr/bin/python3 - "$OUT" "${SECRETS[@]}" <<'EOF' || fail "a planted secret leaked (see above)"
import base64, os, sys, urllib.parse
out, secrets = sys.argv[1], sys.argv[2:]
forms = []
for s in secrets:
    b = s.encode()
    forms.append((s, b, "plain"))
    forms.append((s, urllib.parse.quote(s, safe="").encode(), "url-encoded"))
    for k in range(3):  # base64 at each alignment inside a longer value
        enc = base64.b64encode(b"\0" * k + b)
        core = enc[4 if k else 0:len(enc) - 4]
        forms.append((s, core, "base64"))
        forms.append((s, base64.urlsafe_b64encode(b"\0" * k + b)[4 if k else 0:-4], "base64url"))
bad = 0
nfiles = 0
for name in sorted(os.listdir(out)):
    data = open(os.path.join(out, name), "rb").read()
    nfiles += 1
    for s, f, how in forms:
        if f and f in data:
            i = data.index(f)
            print("LEAK (%s) in %s: ...%r..." % (how, name, data[max(0, i - 60):i + 60]))
            bad += 1
print("searched %d files, %d bytes, for %d forms of %d secrets" %
      (nfiles, sum(os.path.getsize(os.path.join(out, n)) for n in os.listdir(out)),
       len(forms), len(secrets)))
sys.exit(1 if bad else 0)
EOF
# the search does find what it looks for
printf 'x-%s-y\n' "$(printf 'user:%s' "$GIT_FILE_TOKEN" | base64 -w0)" >"$T/canary"
mkdir -p "$T/canary-dir" && cp "$T/canary" "$T/canary-dir/"
if /usr/bin/python3 - "$T/canary-dir" "$GIT_FILE_TOKEN" >/dev/null <<'EOF'
import base64, os, sys
d, s = sys.argv[1], sys.argv[2].encode()
data = open(os.path.join(d, "canary"), "rb").read()
hits = [k for k in range(3)
        if base64.b64encode(b"\0" * k + s)[4 if k else 0:-4] in data]
sys.exit(1 if hits else 0)
EOF
then fail "the base64 search misses an embedded token"; fi
pass "no planted secret in logs, status history, metrics, API answers, state or clone config"

# ---- permissions ------------------------------------------------------------------
bad=$(find "$T/state" \( -type d ! -perm 700 \) -o \( -type f -perm /077 \) -printf '%m %p\n')
[ -z "$bad" ] || fail "state dir entries open to group/other: $bad"
[ "$(stat -c %a "$T/state")" = 700 ] || fail "state dir is $(stat -c %a "$T/state")"
pass "state dir 0700, $(find "$T/state" -type f | wc -l) files without group/other bits"

# ---- core dumps: off by default, kept with --allow-core-dumps ----------------------
ulimit -c unlimited 2>/dev/null || ulimit -c "$(ulimit -H -c)"
want=$(ulimit -c)
for allow in no yes; do
    extra=(); [ $allow = yes ] && extra=(--allow-core-dumps)
    # ASan zeroes the core limit itself unless told not to.
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}disable_coredump=0" \
    "$FC_BIN" run --repo "$REMOTE" --state-dir "$T/state2" \
        --sim-file "$FC_SOURCE_DIR/examples/sim/estate.yaml" \
        --prices "$FC_SOURCE_DIR/examples/prices/aws-prices.yaml" --now "$NOW" \
        --log-level warn --interval 1h --listen "127.0.0.1:$(free_port)" "${extra[@]}" 2>"$T/core-$allow.log" &
    PID=$!
    for _ in $(seq 50); do [ -r "/proc/$PID/limits" ] && break; sleep 0.1; done
    sleep 0.5
    lim=$(sed -n 's/^Max core file size *\([^ ]*\) .*/\1/p' "/proc/$PID/limits")
    kill -TERM "$PID"; wait "$PID" || true; PID=
    if [ $allow = no ]; then
        [ "$lim" = 0 ] || fail "core limit is '$lim' without --allow-core-dumps"
    else
        [ "$lim" != 0 ] || [ "$want" = 0 ] || fail "--allow-core-dumps: core limit still 0"
    fi
done
pass "core dumps off unless --allow-core-dumps"
