#!/usr/bin/env bash
# test_aws_provider.sh - the real binary with --provider aws against the
# loopback AWS server: full discovery matching the sim, AssumeRole per
# account, throttling/500/drop recovered within the retry budget, a region
# that keeps failing marked stale while the rest is reconciled, and every
# source of the credential chain (env, shared files + profile, config
# profile, web identity, IMDSv2).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"

seed_repo
start_aws_server
base_env

inv() { remote_show status/inventory.yaml; }
field() { /usr/bin/python3 -c 'import sys, yaml; d = yaml.safe_load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# ---- 1. full discovery: prod stays on sim (its spec says provider: sim),
# dev and data go through AWS APIs; the result equals a sim-only pass over the
# same estate, clock and specs.
SIMREPO="$T/sim.git"
git init -q --bare -b main "$SIMREPO"
git -C "$WORK" push -q "$SIMREPO" main
"$FC_BIN" reconcile --once --repo "$SIMREPO" --state-dir "$T/simstate" \
    --sim-file "$FC_SOURCE_DIR/examples/sim/estate.yaml" \
    --prices "$FC_SOURCE_DIR/examples/prices/aws-prices.yaml" --now "$NOW" --log-level warn
fc_aws reconcile --once --log-level info 2>"$T/run1.err" || { cat "$T/run1.err" >&2; fail "aws pass failed"; }
grep -q "0 retries, 0 stale scopes" "$T/run1.err" || { cat "$T/run1.err" >&2; fail "clean run needed retries or left stale scopes"; }
view() {  # resources of the aws accounts; S3 class/size are sim-only facts
    field 'sorted(tuple(sorted((k, v) for k, v in r.items() if not (r["type"] == "s3-bucket" and k in ("class", "size")))) for r in d["resources"] if r["account"] in ("518273640192", "739104856213"))'
}
git --git-dir="$SIMREPO" show main:status/inventory.yaml | view >"$T/sim.view"
inv | view >"$T/aws.view"
[ "$(wc -c <"$T/sim.view")" -gt 1000 ] || fail "sim view is empty"
diff "$T/sim.view" "$T/aws.view" >/dev/null || { diff "$T/sim.view" "$T/aws.view" | head >&2; fail "aws inventory differs from sim"; }
[ "$(inv | field 'd["total"]')" = "$(git --git-dir="$SIMREPO" show main:status/inventory.yaml | field 'd["total"]')" ] ||
    fail "inventory totals differ"
[ "$(inv | field '"stale" in d')" = False ] || fail "clean run lists stale scopes"
[ "$(remote_show status/accounts/dev.yaml | field 'd["status"]["provider"]')" = aws ] || fail "dev provider"
[ "$(remote_show status/accounts/prod.yaml | field 'd["status"]["provider"]')" = sim ] || fail "prod provider"
[ "$(log_count 'not r["signed_ok"] and r["service"] not in ("imds", None)')" = 0 ] || fail "unsigned or badly signed requests"
for svc in ec2 elasticloadbalancing rds lambda s3 monitoring ce sts; do
    [ "$(log_count "r[\"service\"] == \"$svc\"")" -gt 0 ] || fail "no $svc requests"
done
strip() { grep -v -e observedCommit -e lastTransitionTime -e 'provider:' -e 'changed by'; }
# Recommendations on EC2/EBS/EIP/RDS/Lambda facts the AWS APIs carry (S3 size,
# storage class and lifecycle, AMI use of snapshots are sim-only for now).
core_recs() {
    git --git-dir="$1" ls-tree -r --name-only main status/recommendations | while read -r f; do
        t=$(git --git-dir="$1" show "main:$f" | field 'd["status"]["resource"]["type"]')
        case $t in ec2-instance|ebs-volume|elastic-ip|rds-instance) echo "$f" ;; esac
    done
}
[ "$(core_recs "$SIMREPO")" = "$(core_recs "$REMOTE")" ] || fail "different recommendations"
for f in $(core_recs "$SIMREPO") $(git --git-dir="$SIMREPO" ls-tree -r --name-only main status/budgets); do
    diff <(git --git-dir="$SIMREPO" show "main:$f" | strip) <(remote_show "$f" | strip) >/dev/null ||
        { diff <(git --git-dir="$SIMREPO" show "main:$f" | strip) <(remote_show "$f" | strip) | head >&2;
          fail "$f differs between sim and aws providers"; }
done
pass "full discovery over AWS APIs equals the sim (inventory, recommendations, budgets)"

# ---- 2. AssumeRole once per account role, GetCallerIdentity per account.
[ "$(log_count 'r["action"] == "AssumeRole"')" = 2 ] || fail "expected 2 AssumeRole calls"
[ "$(log_count 'r["action"] == "GetCallerIdentity"')" = 2 ] || fail "expected 2 GetCallerIdentity calls"
[ "$(log_count 'r["service"] == "ec2" and r["account"] == "739104856213"')" -gt 0 ] ||
    fail "no EC2 call reached the data account through its role"
[ "$(log_count 'r["account"] == "402918374651" and r["service"] == "ec2"')" = 0 ] ||
    fail "prod (provider: sim) was read through AWS"
pass "AssumeRole into each Account's roleArn; identity verified"

# ---- 3. throttling, 500s and a dropped connection recovered within budget:
# the pass sees the same inventory, so the status does not change.
ctl POST reset '{}' >/dev/null
ctl POST faults '{"service":"ec2","action":"DescribeInstances","kind":"throttle","count":3}' >/dev/null
ctl POST faults '{"service":"rds","kind":"500","count":2}' >/dev/null
ctl POST faults '{"service":"cloudwatch","kind":"throttle","count":2}' >/dev/null
ctl POST faults '{"service":"ce","kind":"throttle","count":1}' >/dev/null
ctl POST faults '{"service":"lambda","kind":"drop","count":1}' >/dev/null
ctl POST faults '{"service":"s3","kind":"500","count":1}' >/dev/null
head=$(remote_head)
fc_aws reconcile --once --log-level info 2>"$T/run3.err" || { cat "$T/run3.err" >&2; fail "pass with faults failed"; }
grep -q "0 stale scopes" "$T/run3.err" || { cat "$T/run3.err" >&2; fail "faults left stale scopes"; }
retries=$(sed -n 's/.* \([0-9]*\) retries, .*/\1/p' "$T/run3.err")
# 10 faults; a dropped keep-alive connection may be re-sent by libcurl itself
# on a fresh connection, below the provider's retry counter.
[ "$retries" -ge 9 ] || fail "expected >= 9 retries, got $retries"
[ "$(remote_head)" = "$head" ] || fail "faults changed the status"
[ "$(log_count '"fault" in r')" -ge 10 ] || fail "server did not inject the faults"
pass "throttle/500/drop recovered with $retries retries; status unchanged"

# ---- 4. a region that keeps failing is stale; the rest is reconciled.
ctl POST reset '{}' >/dev/null
ctl POST faults '{"service":"ec2","region":"us-east-1","account":"518273640192","kind":"500","count":-1}' >/dev/null
fc_aws reconcile --once --log-level info 2>"$T/run4.err" || { cat "$T/run4.err" >&2; fail "pass with a dead region failed"; }
inv >"$T/inv4.yaml"
[ "$(field 'sorted({(s["account"], s["region"], s["service"]) for s in d["stale"]})' <"$T/inv4.yaml")" = \
  "[('518273640192', 'us-east-1', 'ec2')]" ] || { cat "$T/inv4.yaml" | sed -n '/^stale/,$p' >&2; fail "stale list"; }
[ "$(field '[c["reason"] for c in d["conditions"] if c["type"] == "Discovered"][0]' <"$T/inv4.yaml")" = PartialDiscovery ] ||
    fail "inventory Discovered is not PartialDiscovery"
grep -q "failed after 5 attempts" "$T/inv4.yaml" || fail "stale error does not say how often it was tried"
[ "$(field 'sum(1 for r in d["resources"] if r["account"] == "518273640192" and r["region"] == "eu-west-1" and r["type"] == "ec2-instance")' <"$T/inv4.yaml")" -gt 0 ] ||
    fail "healthy regions of the account were not reconciled"
[ "$(field 'sum(1 for r in d["resources"] if r["account"] == "518273640192" and r["region"] == "us-east-1" and r["type"] == "rds-instance")' <"$T/inv4.yaml")" -ge 0 ] || true
[ "$(remote_show status/accounts/dev.yaml | field '[c["reason"] for c in d["status"]["conditions"] if c["type"] == "Discovered"][0]')" = PartialDiscovery ] ||
    fail "dev account is not PartialDiscovery"
[ "$(remote_show status/accounts/data.yaml | field '[c["status"] for c in d["status"]["conditions"] if c["type"] == "Ready"][0]')" = True ] ||
    fail "data account should stay Ready"
pass "us-east-1 of dev marked stale after retries; the rest reconciled"
ctl POST reset '{}' >/dev/null

# ---- 5. every source of the credential chain.
creds_case() {
    local name=$1 source=$2
    fc_aws plan --log-level debug >"$T/$name.out" 2>"$T/$name.err" ||
        { cat "$T/$name.err" >&2; fail "$name: plan failed"; }
    grep -q "aws: base credentials from $source" "$T/$name.err" ||
        { grep aws: "$T/$name.err" >&2; fail "$name: credentials did not come from $source"; }
    grep -q "aws: discovered [1-9][0-9]* resources.* 0 stale scopes" "$T/$name.err" ||
        { grep aws: "$T/$name.err" >&2; fail "$name: discovery incomplete"; }
    if grep -q -e finops-test-secret -e 'Signature=' "$T/$name.err"; then
        fail "$name: a secret reached the log"
    fi
    pass "credentials from $source"
}
creds_case env env

unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
mkdir -p "$HOME/.aws"
printf '[default]\naws_access_key_id = AKIDWRONG\naws_secret_access_key = nope\n\n[finops]\naws_access_key_id = AKIDFINOPSTEST\naws_secret_access_key = finops-test-secret\n' \
    >"$HOME/.aws/credentials"
export AWS_PROFILE=finops
creds_case shared-file shared-credentials-file
rm "$HOME/.aws/credentials"

printf '[default]\nregion = eu-west-1\n[profile finops]\naws_access_key_id = AKIDFINOPSTEST\naws_secret_access_key = finops-test-secret\n' \
    >"$T/aws-config"
export AWS_CONFIG_FILE="$T/aws-config"
creds_case config-profile config-file
unset AWS_CONFIG_FILE AWS_PROFILE

echo "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJmaW5vcHMifQ.c2ln" >"$T/web-token"
export AWS_WEB_IDENTITY_TOKEN_FILE="$T/web-token"
export AWS_ROLE_ARN="arn:aws:iam::402918374651:role/finops-controller"
creds_case web-identity web-identity
[ "$(log_count 'r["action"] == "AssumeRoleWithWebIdentity"')" -ge 1 ] || fail "no AssumeRoleWithWebIdentity call"
unset AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN

unset AWS_EC2_METADATA_DISABLED
export AWS_EC2_METADATA_SERVICE_ENDPOINT="$AWS_URL"
creds_case imds imds
[ "$(log_count 'r["service"] == "imds" and r["action"] == "GetToken"')" -ge 1 ] || fail "no IMDSv2 token PUT"
unset AWS_EC2_METADATA_SERVICE_ENDPOINT
export AWS_EC2_METADATA_DISABLED=true

# No source at all: the aws accounts are stale, prod (sim) still works.
fc_aws plan --log-level info >"$T/none.out" 2>"$T/none.err" || fail "pass without credentials must still run"
grep -q "no credentials" "$T/none.err" || fail "missing credentials not reported"
pass "no credentials: aws accounts stale, the pass goes on"
