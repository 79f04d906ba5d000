# Budget alerts end to end: thresholds fire once per crossing, land in
# status/budgets/, and are POSTed after the push to a JSON webhook and a
# Slack-compatible webhook served on 127.0.0.1 by python3 - with a retry
# after a 500, a failed delivery kept for the next pass, and no secret URL
# path in the logs.
. "$(dirname "$0")/lib.sh"

cat >"$T/server.py" <<'EOF'
import http.server, json, os, sys
d = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        fail = os.path.exists(d + "/fail")
        if os.path.exists(d + "/fail_once"):
            os.remove(d + "/fail_once")
            fail = True
        with open(d + "/requests.log", "a") as f:
            f.write(json.dumps({"path": self.path, "status": 500 if fail else 200,
                                "type": self.headers.get("Content-Type"),
                                "body": json.loads(body)}) + "\n")
        self.send_response(500 if fail else 200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(d + "/port.tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(d + "/port.tmp", d + "/port")
s.serve_forever()
EOF
/usr/bin/python3 "$T/server.py" "$T" &
server=$!
trap 'kill $server 2>/dev/null; [ -n "${KEEP:-}" ] && cp "$T/log" /tmp/fc-alerts.log; rm -rf "$T"' EXIT
for _ in $(seq 100); do [ -f "$T/port" ] && break; sleep 0.1; done
[ -f "$T/port" ] || fail "webhook server did not start"
port=$(cat "$T/port")
touch "$T/requests.log"

export FC_TEST_SLACK_URL="http://127.0.0.1:$port/services/T0001/B0001/SLACKSECRET"
export FINOPS_NOTIFY_BACKOFF_MS=10
requests() { wc -l <"$T/requests.log"; }
run_pass() { fc reconcile --once --log-level info 2>>"$T/log" || fail "pass exited $?"; }

seed_repo
# team-data crosses 80 % actual and 100 % forecast at the fixed clock.
human_commit "Notify on team-data" \
    "printf '  notify:\n    - webhook:http://127.0.0.1:$port/hooks/T0001/WEBHOOKSECRET\n    - slack:env:FC_TEST_SLACK_URL\n    - data-leads@example.com\n' >>finops/budgets/team-data.yaml"

touch "$T/fail_once"
run_pass
[ "$(requests)" = 5 ] || fail "expected 4 deliveries + 1 failed attempt, got $(requests): $(cat "$T/requests.log")"
/usr/bin/python3 - "$T/requests.log" <<'EOF' || fail "payloads"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
assert rs[0]["status"] == 500, rs[0]
ok = [r for r in rs if r["status"] == 200]
hooks = [r for r in ok if r["path"] == "/hooks/T0001/WEBHOOKSECRET"]
slack = [r for r in ok if r["path"] == "/services/T0001/B0001/SLACKSECRET"]
assert len(hooks) == 2 and len(slack) == 2, rs
for r in ok:
    assert r["type"] == "application/json", r
for h in hooks:
    b = h["body"]
    assert b["kind"] == "BudgetAlert" and b["budget"] == "team-data", b
    assert b["key"].startswith("budget/team-data/2026-11-01/"), b
    assert b["currency"] == "USD" and b["amount"] == 2500, b
assert sorted(h["body"]["threshold"]["type"] for h in hooks) == ["actual", "forecast"]
for s in slack:
    b = s["body"]
    assert "Budget team-data" in b["text"], b
    assert b["blocks"][0]["type"] == "section", b
EOF
pass "webhook and Slack payloads delivered after one retry"

grep -q "SECRET" "$T/log" && fail "a secret URL path reached the log: $(grep SECRET "$T/log")"
grep -q "127.0.0.1:$port" "$T/log" || fail "the log does not name the receiving host"
pass "logs name the host only"

s=$(remote_show status/budgets/team-data.yaml)
grep -q "firedAt: \"2026-11-20T12:00:00Z\"" <<<"$s" || fail "no alert in status: $s"
grep -q "active: true" <<<"$s" || fail "alert not active: $s"
grep -q "email delivery not supported yet" <<<"$s" || fail "email target not reported"
grep -q "SECRET" <<<"$s" && fail "a secret URL path reached the status"
grep -q "target: webhook:127.0.0.1:$port" <<<"$s" || fail "webhook target not described: $s"
grep -q "type: Alerting" <<<"$s" || fail "no Alerting condition"
pass "alerts in status/budgets/team-data.yaml"

run_pass
[ "$(requests)" = 5 ] || fail "a second pass over the same crossing notified again"
pass "fires once per crossing"

human_commit "Raise team-data" "sed -i 's/amount: 2500/amount: 100000/' finops/budgets/team-data.yaml"
run_pass
[ "$(requests)" = 5 ] || fail "clearing notified"
grep -q "active: false" <<<"$(remote_show status/budgets/team-data.yaml)" || fail "alert not cleared"
grep -q "clearedAt:" <<<"$(remote_show status/budgets/team-data.yaml)" || fail "no clearedAt"
pass "spend below the threshold clears the alert"

# Fires again - while the receiver is down: the status is pushed anyway and
# the notifications wait in the state store for the next pass.
touch "$T/fail"
human_commit "Lower team-data" "sed -i 's/amount: 100000/amount: 2500/' finops/budgets/team-data.yaml"
before=$(remote_head)
run_pass
[ "$(remote_head)" != "$before" ] || fail "no status commit while the receiver was down"
grep -q "timesFired: 2" <<<"$(remote_show status/budgets/team-data.yaml)" || fail "second crossing not counted"
[ "$(requests)" = 21 ] || fail "expected 4 x 4 failed attempts, got $(requests)"
rm -f "$T/fail"
head=$(remote_head)
run_pass
[ "$(remote_head)" = "$head" ] || fail "a retry-only pass made a commit"
[ "$(grep -c '"status": 200' "$T/requests.log")" = 8 ] || fail "pending notifications not delivered on the next pass"
run_pass
[ "$(grep -c '"status": 200' "$T/requests.log")" = 8 ] || fail "delivered twice"
pass "failed deliveries are kept and sent by the next pass, once"
