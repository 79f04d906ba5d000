# --commit-status: after a pass, the reconciled spec commit gets a commit
# status on the forge - GitHub POST /repos/{o}/{r}/statuses/{sha}, GitLab
# POST /projects/{id}/statuses/{sha}, Gitea POST /repos/{o}/{r}/statuses/{sha}
# - success with a link to the status files, failure when a spec is
# invalid.  A loopback server (Python stdlib) records every request.
. "$(dirname "$0")/lib.sh"
TOKEN="tok-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
cat >"$T/recorder.py" <<'EOF'
import json, sys, http.server
log, port_file = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def _reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def _record(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode() if n else ""
        with open(log, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "auth": self.headers.get("Authorization") or
                                        self.headers.get("PRIVATE-TOKEN"),
                                "body": json.loads(body) if body else None}) + "\n")
    def do_GET(self):  # pull-request listing of --forge: nothing open
        self._record(); self._reply(200, [])
    def do_POST(self):
        self._record(); self._reply(201, {"id": 1})
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(port_file, "w").write(str(s.server_address[1]))
s.serve_forever()
EOF
echo "$TOKEN" >"$T/token"
/usr/bin/python3 "$T/recorder.py" "$T/calls" "$T/port" &
SRV=$!
trap 'kill $SRV 2>/dev/null || true; [ -n "${KEEP_T:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || fail "recorder did not start"
PORT=$(cat "$T/port")

# The last statuses call: "path state context target_url auth"
last_status() {
    /usr/bin/python3 - "$T/calls" <<'EOF'
import json, sys
calls = [json.loads(l) for l in open(sys.argv[1]) if "/statuses/" in l]
c = calls[-1]; b = c["body"]
print(c["path"], b["state"], b.get("context") or b.get("name"), b.get("target_url"), c["auth"])
EOF
}

seed_repo
n=0
for forge in github gitlab gitea; do
    case $forge in
        github) api="http://127.0.0.1:$PORT" want_path="/repos/acme/specs/statuses"
                want_auth="Bearer $TOKEN" web="http://127.0.0.1:$PORT/acme/specs/tree" ;;
        gitlab) api="http://127.0.0.1:$PORT/api/v4" want_path="/api/v4/projects/acme%2Fspecs/statuses"
                want_auth="$TOKEN" web="http://127.0.0.1:$PORT/acme/specs/-/tree" ;;
        gitea) api="http://127.0.0.1:$PORT/api/v1/" want_path="/api/v1/repos/acme/specs/statuses"
               want_auth="token $TOKEN" web="http://127.0.0.1:$PORT/acme/specs/src/commit" ;;
    esac
    n=$((n + 1))
    human_commit "Budget change $n" \
        "sed -i 's/amount: [0-9]*/amount: 2$((n))00/' finops/budgets/team-platform.yaml"
    spec=$(remote_head)
    rm -f "$T/calls"
    fc reconcile --once --status-branch finops-status --forge "$forge" --forge-url "$api" \
        --forge-project acme/specs --forge-token-file "$T/token" --forge-min-saving 1000000 \
        --commit-status 2>"$T/err" || fail "$forge: pass: $(cat "$T/err")"
    ! grep -q "$TOKEN" "$T/err" || fail "$forge: token in the log"
    tip=$(git --git-dir="$REMOTE" rev-parse refs/heads/finops-status)
    read -r path state ctx target auth <<<"$(last_status)"
    [ "$path" = "$want_path/$spec" ] || fail "$forge: posted to $path"
    [ "$state" = success ] || fail "$forge: state $state"
    [ "$ctx" = finops-controller ] || fail "$forge: context $ctx"
    [ "$target" = "$web/$tip/status" ] || fail "$forge: target_url $target"
    [ "$auth" = "$want_auth" ] || fail "$forge: auth header $auth"
    [ "$(grep -c /statuses/ "$T/calls")" = 1 ] || fail "$forge: not exactly one status"
    pass "$forge: success status for the spec commit, linking to the status files"
done

# An invalid spec: failure (GitLab spells it "failed").
human_commit "A broken budget" "printf '%s\n' 'apiVersion: finops.dev/v1alpha1' 'kind: Budget' \
    'metadata: {name: Not_A_Name}' 'spec: {}' >finops/budgets/broken.yaml"
spec=$(remote_head)
for forge in github gitlab; do
    api="http://127.0.0.1:$PORT"; [ $forge = gitlab ] && api="$api/api/v4"
    rm -f "$T/calls"
    fc reconcile --once --force --status-branch finops-status --forge "$forge" --forge-url "$api" \
        --forge-project acme/specs --forge-token-file "$T/token" --forge-min-saving 1000000 \
        --commit-status 2>"$T/err" || fail "$forge: pass with a broken spec: $(cat "$T/err")"
    read -r path state _ <<<"$(last_status)"
    [ "${path##*/}" = "$spec" ] || fail "$forge: status on ${path##*/}, not $spec"
    want=failure; [ $forge = gitlab ] && want=failed
    [ "$state" = "$want" ] || fail "$forge: state $state for an invalid spec"
done
pass "failure status when a spec is invalid"

# The forge down: the pass still succeeds, with a warning.
kill $SRV; wait $SRV 2>/dev/null || true
human_commit "Budget change again" \
    "sed -i 's/amount: [0-9]*/amount: 3100/' finops/budgets/team-platform.yaml"
fc reconcile --once --status-branch finops-status --forge github \
    --forge-url "http://127.0.0.1:$PORT" --forge-project acme/specs \
    --forge-token-file "$T/token" --forge-min-saving 1000000 --commit-status 2>"$T/err" ||
    fail "a forge outage failed the pass: $(cat "$T/err")"
grep -q "commit status for .* not posted" "$T/err" || fail "no warning: $(cat "$T/err")"
pass "forge down: warned, pass succeeds"
