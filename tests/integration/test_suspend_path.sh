# spec.suspend pauses one object without deleting it, and --path points the
# controller at a spec root inside a monorepo.
. "$(dirname "$0")/lib.sh"

# A monorepo: the specs live in deploy/finops/, next to unrelated code.
git init -q --bare -b main "$REMOTE"
git clone -q "$REMOTE" "$WORK" 2>/dev/null
mkdir -p "$WORK/deploy" "$WORK/src"
cp -r "$FC_SOURCE_DIR/examples/demo-repo/finops" "$WORK/deploy/finops"
echo 'kind: NotOurs' > "$WORK/src/config.yaml"
git -C "$WORK" add -A && git -C "$WORK" commit -q -m "monorepo" && git -C "$WORK" push -q origin main

fc reconcile --once --path deploy/finops || fail "pass with --path"
files=$(remote_files)
grep -q '^status/budgets/company.yaml$' <<<"$files" || fail "no status with --path"
grep -q "errors: \[\]" <<<"$(remote_show status/specs.yaml)" || fail "files outside --path were read"
grep -q "state: planned" <<<"$(remote_show status/optimizations/stop-idle-build-box.yaml)" \
    || fail "approvers.yaml under --path not used"
pass "--path reads only the spec root and finds its approvers.yaml"

OPT=deploy/finops/optimizations/stop-idle-build-box.yaml
human_commit "Pause the build-box stop" "sed -i 's/^spec:/spec:\n  suspend: true/' $OPT"
fc reconcile --once --path deploy/finops || fail "pass with a suspended Optimization"
st=$(remote_show status/optimizations/stop-idle-build-box.yaml)
grep -q "reason: Suspended" <<<"$st" || fail "suspended Optimization not reported: $st"
grep -q "plan:" <<<"$st" && fail "suspended Optimization still planned"
pass "a suspended Optimization is reported and not planned"

human_commit "Pause the default policy" "sed -i 's/^spec:/spec:\n  suspend: true/' deploy/finops/policies/default.yaml"
human_commit "Pause the data account" "sed -i '0,/^spec:/s//spec:\n  suspend: true/' deploy/finops/accounts/dev-and-data.yaml"
fc reconcile --once --path deploy/finops || fail "pass with suspended Policy and Account"
grep -q "reason: Suspended" <<<"$(remote_show status/policies/default.yaml)" || fail "policy not suspended"
grep -q "reason: Suspended" <<<"$(remote_show status/accounts/dev.yaml)" || fail "account not suspended"
inv=$(remote_show status/inventory.yaml)
grep -q '"518273640192"' <<<"$inv" && fail "a suspended account was discovered"
grep -q '"402918374651"' <<<"$inv" || fail "the other accounts were not discovered"
pass "suspended Policy and Account are reported and skipped"
ls_recs=$(remote_files | grep -c '^status/recommendations/' || true)
[ "$ls_recs" -eq 0 ] || fail "recommendations remain with every Policy suspended ($ls_recs)"
pass "suspending every Policy pauses the rules (no built-in default steps in)"
