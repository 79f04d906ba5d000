#!/usr/bin/env bash
# test_awsserver_conformance.sh - starts the loopback AWS test server
# (tests/awsserver/server.py) on an ephemeral port with the shipped sim estate
# and drives every operation it serves with boto3 (tests/awsserver/conformance.py).
# Skips (exit 0) only when boto3 is missing; .ci/install-deps installs it.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
if ! "$PY" -c 'import boto3, botocore, yaml' 2>/dev/null; then
    echo "SKIP: python3-boto3/python3-botocore/python3-yaml not installed (run .ci/install-deps)"
    exit 0
fi
SRV="$FC_SOURCE_DIR/tests/awsserver"
ESTATE="$FC_SOURCE_DIR/examples/sim/estate.yaml"
PORT_FILE="$T/port"
"$PY" "$SRV/server.py" --estate "$ESTATE" --port 0 --port-file "$PORT_FILE" \
    --now "$NOW" 2>"$T/server.log" &
SRV_PID=$!
trap 'kill "$SRV_PID" 2>/dev/null || true; wait "$SRV_PID" 2>/dev/null || true; rm -rf "$T"' EXIT
for _ in $(seq 1 100); do
    [ -s "$PORT_FILE" ] && break
    kill -0 "$SRV_PID" 2>/dev/null || { cat "$T/server.log" >&2; fail "server exited"; }
    sleep 0.1
done
[ -s "$PORT_FILE" ] || { cat "$T/server.log" >&2; fail "server wrote no port file"; }
PORT=$(cat "$PORT_FILE")
# No proxy may sit between the client and 127.0.0.1, and no real credentials leak in.
env -u HTTP_PROXY -u HTTPS_PROXY -u http_proxy -u https_proxy \
    -u AWS_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    AWS_EC2_METADATA_DISABLED=true \
    "$PY" "$SRV/conformance.py" "$PORT" "$ESTATE" || {
        echo "--- server log" >&2; cat "$T/server.log" >&2; fail "conformance"; }
kill -TERM "$SRV_PID"
wait "$SRV_PID" || fail "server did not exit cleanly on SIGTERM"
pass "awsserver conformance"
