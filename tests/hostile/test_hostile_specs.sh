# Hostile specs: a repository holding every file of tests/hostile/specs/
# (committed) and the large ones gen_specs.py writes at test time (a 50 MB
# file, a 3 MiB scalar, 5,000 documents, ...) next to the demo's specs.
# One pass completes with bounded memory (peak RSS measured with
# /usr/bin/time -v), every hostile file gets an error naming it, and the
# demo's good specs still reconcile.  Limits: fc_specs.h FC_SPEC_MAX_*.
. "$FC_SOURCE_DIR/tests/integration/lib.sh"
PY=/usr/bin/python3
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "skip: /usr/bin/time missing"; exit 77; }

seed_repo
mkdir -p "$WORK/finops/hostile"
cp "$FC_SOURCE_DIR"/tests/hostile/specs/*.yaml "$WORK/finops/hostile/"
"$PY" "$FC_SOURCE_DIR/tests/hostile/gen_specs.py" big "$WORK/finops/hostile"
nfiles=$(ls "$WORK/finops/hostile" | wc -l)
[ "$nfiles" -ge 100 ] || fail "only $nfiles hostile files"
git -C "$WORK" add -A
git -C "$WORK" commit -q -m "Add hostile specs"
git -C "$WORK" push -q origin main

# Memory, not time: ctest's TIMEOUT bounds the time.  ASan's shadow memory
# and quarantine need more room than the plain binary.
limit_kb=$((200 * 1024))
if grep -q __asan_init "$FC_BIN" 2>/dev/null; then
    limit_kb=$((768 * 1024))
fi
start=$(date +%s)
"$TIME" -v -o "$T/time.txt" "$FC_BIN" reconcile --once --repo "$REMOTE" \
    --state-dir "$T/state" --sim-file "$FC_SOURCE_DIR/examples/sim/estate.yaml" \
    --prices "$FC_SOURCE_DIR/examples/prices/aws-prices.yaml" \
    --now "$NOW" --log-level warn >"$T/out.txt" 2>&1 \
    || { cat "$T/out.txt"; fail "reconcile failed with hostile specs"; }
secs=$(( $(date +%s) - start ))
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/time.txt")
echo "hostile pass: $nfiles files, ${secs}s, peak RSS ${rss} KiB (limit ${limit_kb})"
[ "$rss" -le "$limit_kb" ] || fail "peak RSS ${rss} KiB above ${limit_kb} KiB"
pass "one pass over $nfiles hostile files in bounded memory"

set +e
fc validate >"$T/validate.txt" 2>&1
rc=$?
set -e
[ "$rc" -eq 3 ] || fail "validate exit code $rc, want 3"
specs=$(remote_show status/specs.yaml)
missing=0
for f in "$WORK"/finops/hostile/*.yaml; do
    name=finops/hostile/$(basename "$f")
    # gitsync never reads blobs over 8 MiB (gitsync_tree.c): it hands the
    # loader their size only, so they get the same file-size error.
    if [ "$(stat -c %s "$f")" -gt $((8 << 20)) ] &&
        ! grep -qF "not reading $name" "$T/out.txt"; then
        echo "no warning names $name" >&2
        missing=$((missing + 1))
    elif ! grep -qF "$name:" "$T/validate.txt"; then
        echo "no error names $name" >&2
        missing=$((missing + 1))
    elif ! grep -qF "$name" <<<"$specs"; then
        echo "status/specs.yaml does not name $name" >&2
        missing=$((missing + 1))
    fi
done
[ "$missing" -eq 0 ] || fail "$missing hostile files without an error naming them"
pass "every hostile file has an error naming it"

# The limits are the ones the messages state.
for what in "nesting too deep: limit 64" "too many YAML aliases: limit 16" \
            "limit 65536" "more than the limit of 1048576" \
            "more than 1000 documents" "entries in one list: limit 4096"; do
    grep -qF "$what" "$T/validate.txt" || fail "no error says '$what'"
done
pass "limit errors state their limit"

for b in company team-data team-platform; do
    grep -q "SpecValid" <<<"$(remote_show status/budgets/$b.yaml)" \
        || fail "good budget $b not reconciled next to hostile specs"
done
grep -q "state: planned" <<<"$(remote_show status/optimizations/stop-idle-build-box.yaml)" \
    || fail "optimization not reconciled next to hostile specs"
pass "the demo's good specs still reconcile"
