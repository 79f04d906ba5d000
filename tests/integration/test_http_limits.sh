#!/usr/bin/env bash
# Slow and idle clients cannot starve the HTTP server.  With a small
# per-client limit and a short idle timeout (FINOPS_HTTP_* environment):
# one client (127.0.0.2) opening many idle connections gets only its share,
# the rest are closed at once, and /healthz still answers other clients
# while they are held; a slowloris that sends half a request and stalls is
# cut after the idle timeout (waited for at most 3x the timeout, no tighter
# timing asserted), as are the idle ones.  Write endpoints refuse requests
# without the bearer token (401), and refuse all writes when no token is
# configured (403).
source "$(dirname "$0")/lib.sh"
seed_repo
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
TIMEOUT=2
PER_IP=8
printf 'limits-token-%s\n' "$$" > "$T/api-token"
FINOPS_HTTP_TIMEOUT=$TIMEOUT FINOPS_HTTP_MAX_CONNECTIONS_PER_IP=$PER_IP \
FINOPS_HTTP_MAX_CONNECTIONS=64 FINOPS_HTTP_THREADS=2 \
"$FC_BIN" run --repo "$REMOTE" --state-dir "$T/state" \
    --sim-file "$FC_SOURCE_DIR/examples/sim/estate.yaml" \
    --prices "$FC_SOURCE_DIR/examples/prices/aws-prices.yaml" --now "$NOW" \
    --log-level info --interval 1h --listen "127.0.0.1:$PORT" \
    --api-token-file "$T/api-token" 2>"$T/run.log" &
PID=$!
trap 'kill $PID 2>/dev/null; [ -n "${KEEP_T:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT/readyz")" = 200 ] && break
    kill -0 $PID 2>/dev/null || fail "run exited: $(cat "$T/run.log")"
    sleep 0.1
done
grep -q "$PER_IP per client, $TIMEOUT s idle timeout, 2 threads" "$T/run.log" ||
    fail "limits from the environment not applied: $(grep 'http:' "$T/run.log")"

/usr/bin/python3 - "$PORT" "$TIMEOUT" "$PER_IP" <<'EOF' || fail "connection limits (see above)"
import socket, sys, time
port, timeout, per_ip = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

def closed(s, wait):
    """True when the server closed s within `wait` seconds."""
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True

def healthz(src="127.0.0.1"):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.split(b"\r\n", 1)[0]

# 1. one client, many idle connections: it keeps at most per_ip of them
idle = []
for _ in range(4 * per_ip):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    s.connect(("127.0.0.1", port))
    idle.append(s)
time.sleep(0.5)
cut = [s for s in idle if closed(s, 0.2)]
held = [s for s in idle if s not in cut]
print("idle client: %d connections opened, %d closed at once, %d held" %
      (len(idle), len(cut), len(held)))
assert len(held) <= per_ip, "one client holds more than its share"
assert len(cut) >= 3 * per_ip, "connections over the per-client limit were not closed"
status = healthz()
print("/healthz while they are held:", status.decode())
assert status.startswith(b"HTTP/1.1 200"), status

# 2. slowloris: half a request, then nothing
slow = socket.socket()
slow.connect(("127.0.0.1", port))
slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
t0 = time.monotonic()
assert closed(slow, 3 * timeout), "a stalled request was not cut within 3x the timeout"
print("slowloris cut after %.1f s (idle timeout %d s)" % (time.monotonic() - t0, timeout))
assert healthz().startswith(b"HTTP/1.1 200")

# 3. the idle ones are cut too, so the client gets its share back
assert all(closed(s, 3 * timeout) for s in held), "idle connections were not timed out"
print("idle connections cut by the timeout")
assert healthz("127.0.0.2").startswith(b"HTTP/1.1 200"), "the idle client cannot connect again"
EOF
pass "idle and slowloris clients are limited and cut; /healthz keeps answering"

code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
URL="http://127.0.0.1:$PORT"
[ "$(code -X POST "$URL/api/v1/tasks/discovery/run")" = 401 ] || fail "task write without a token not 401"
[ "$(code -X POST -H 'Authorization: Bearer nope' "$URL/api/v1/tasks/discovery/run")" = 401 ] ||
    fail "task write with a wrong token not 401"
[ "$(code -X POST -H "Authorization: Bearer $(cat "$T/api-token")" "$URL/api/v1/tasks/discovery/run")" = 202 ] ||
    [ "$(code -X POST -H "Authorization: Bearer $(cat "$T/api-token")" "$URL/api/v1/tasks/discovery/run")" = 200 ] ||
    fail "task write with the token refused"
[ "$(code -X POST "$URL/hooks/git")" = 404 ] || fail "/hooks/git without a configured secret is not 404"
for ep in resources recommendations budgets; do
    [ "$(code -X POST "$URL/api/v1/$ep")" = 405 ] || [ "$(code -X POST "$URL/api/v1/$ep")" = 401 ] ||
        fail "POST /api/v1/$ep accepted: $(code -X POST "$URL/api/v1/$ep")"
done
kill $PID; wait $PID || true
# no --api-token-file: every task write is refused
PORT2=$(free_port)
"$FC_BIN" run --repo "$REMOTE" --state-dir "$T/state" \
    --sim-file "$FC_SOURCE_DIR/examples/sim/estate.yaml" \
    --prices "$FC_SOURCE_DIR/examples/prices/aws-prices.yaml" --now "$NOW" \
    --log-level warn --interval 1h --listen "127.0.0.1:$PORT2" 2>"$T/run2.log" &
PID=$!
for _ in $(seq 300); do
    [ "$(code "http://127.0.0.1:$PORT2/healthz")" = 200 ] && break
    sleep 0.1
done
[ "$(code -X POST -H 'Authorization: Bearer anything' "http://127.0.0.1:$PORT2/api/v1/tasks/discovery/run")" = 403 ] ||
    fail "task write without a configured token not refused"
pass "write endpoints: 401 without/with a wrong token, 403 when no token is configured"
