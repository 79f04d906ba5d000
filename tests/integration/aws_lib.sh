# aws_lib.sh - starts the loopback AWS server (tests/awsserver/server.py) for
# integration tests of the aws provider, and talks to its control API.
# Sourced after lib.sh; defines AWS_PORT, AWS_URL, ctl, fc_aws, log_count.
SERVER="$FC_SOURCE_DIR/tests/awsserver/server.py"
[ -f "$SERVER" ] || { echo "skip: $SERVER not present"; exit 0; }

start_aws_server() {
    /usr/bin/python3 "$SERVER" --estate "$FC_SOURCE_DIR/examples/sim/estate.yaml" \
        --port 0 --port-file "$T/aws.port" --now "$NOW" "$@" >"$T/aws.log" 2>&1 &
    AWS_PID=$!
    trap 'kill $AWS_PID 2>/dev/null || true; wait $AWS_PID 2>/dev/null || true; [ -n "${KEEP_T:-}" ] || rm -rf "$T"' EXIT
    for _ in $(seq 1 100); do
        [ -s "$T/aws.port" ] && break
        kill -0 "$AWS_PID" 2>/dev/null || { cat "$T/aws.log" >&2; fail "aws server died"; }
        sleep 0.1
    done
    [ -s "$T/aws.port" ] || fail "aws server did not start"
    AWS_PORT=$(cat "$T/aws.port")
    AWS_URL="http://127.0.0.1:$AWS_PORT"
}

# ctl METHOD PATH [JSON]: the unsigned control API; prints the JSON answer.
ctl() {
    /usr/bin/python3 - "$AWS_URL/__control/$2" "$1" "${3:-}" <<'EOF'
import sys, urllib.request
url, method, body = sys.argv[1], sys.argv[2], sys.argv[3]
req = urllib.request.Request(url, data=body.encode() if body else None, method=method,
                             headers={"Content-Type": "application/json"})
print(urllib.request.urlopen(req, timeout=10).read().decode())
EOF
}

# log_count FILTER: requests in the server's log matching a python expression
# over the entry `r` (e.g. 'r["action"] == "AssumeRole"').
log_count() {
    ctl GET requests | /usr/bin/python3 -c '
import json, sys
log = json.load(sys.stdin)
print(sum(1 for r in log if ('"$1"')))'
}

# Only the base key pair in the environment; nothing else of the chain.
base_env() {
    unset AWS_PROFILE AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE AWS_SESSION_TOKEN \
        AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN AWS_EC2_METADATA_SERVICE_ENDPOINT || true
    export AWS_ACCESS_KEY_ID=AKIDFINOPSTEST AWS_SECRET_ACCESS_KEY=finops-test-secret
    export AWS_EC2_METADATA_DISABLED=true AWS_REGION=eu-west-1
}

# --force: these passes re-run discovery against a changed server (faults,
# credentials) while the repo and the clock stay the same.
fc_aws() {
    local cmd=$1; shift
    if [ "$cmd" = reconcile ]; then
        set -- --force "$@"
    fi
    fc "$cmd" --provider aws --endpoint-url "$AWS_URL" "$@"
}
