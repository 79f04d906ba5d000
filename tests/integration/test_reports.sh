#!/usr/bin/env bash
# Reports: the status commit carries status/reports/latest.md with SVG charts
# that are well-formed (xmllint) and render (rsvg-convert) at their declared
# size; `report all --out D` writes the same bytes locally without
# committing; a second pass on the same clock changes nothing; the weekly
# dated report appears on the Schedule's weekday and is kept afterwards.
source "$(dirname "$0")/lib.sh"
command -v xmllint >/dev/null || fail "xmllint missing (libxml2-utils; .ci/install-deps)"
command -v rsvg-convert >/dev/null || fail "rsvg-convert missing (librsvg2-bin; .ci/install-deps)"

seed_repo
fc reconcile --once >/dev/null
files=$(remote_files)
echo "$files" | grep -qx status/reports/latest.md || fail "no status/reports/latest.md"
charts=$(echo "$files" | grep '^status/reports/charts/.*\.svg$' || true)
for want in cost-by-service savings-by-rule budget-company budget-team-data budget-team-platform; do
    echo "$charts" | grep -qx "status/reports/charts/$want.svg" || fail "no chart $want.svg"
done
pass "status commit has latest.md and $(echo "$charts" | wc -l) charts"

# Every chart latest.md links exists in the commit, and every chart is linked.
remote_show status/reports/latest.md > "$T/latest.md"
for s in Executive\ summary Detailed\ findings Prioritised\ recommendations Budgets Anomalies Next\ steps; do
    grep -q "^## $s" "$T/latest.md" || fail "latest.md has no '$s' section"
done
grep -o '](charts/[^)]*)' "$T/latest.md" | sed 's/^](//; s/)$//' | sort > "$T/linked"
echo "$charts" | sed 's|^status/reports/||' | sort > "$T/present"
diff "$T/linked" "$T/present" || fail "linked charts differ from the charts in the commit"
pass "every chart is linked relatively and present"

# Well-formed and rendered at the size the SVG declares.
png_size() {
    /usr/bin/python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); assert d[:8]==b"\x89PNG\r\n\x1a\n"; print("%dx%d" % struct.unpack(">II", d[16:24]))' "$1"
}
mkdir -p "$T/svg"
for c in $charts; do
    f="$T/svg/$(basename "$c")"
    remote_show "$c" > "$f"
    xmllint --noout "$f" || fail "$c is not well-formed"
    rsvg-convert -o "${f%.svg}.png" "$f" || fail "$c does not render"
    [ -s "${f%.svg}.png" ] || fail "$c rendered an empty PNG"
    want="$(xmllint --xpath 'string(/*[local-name()="svg"]/@width)' "$f")x$(xmllint --xpath 'string(/*[local-name()="svg"]/@height)' "$f")"
    got=$(png_size "${f%.svg}.png")
    [ "$got" = "$want" ] || fail "$c rendered $got, declared $want"
done
pass "every SVG passes xmllint and renders to a PNG of its declared size"
grep -q 'budget 11,000\|budget: 11,000 USD' "$T/svg/budget-company.svg" || fail "burn-down has no budget line"

# `report all --out D`: the same files, locally, and no commit.
head_before=$(remote_head)
fc report all --out "$T/out" > "$T/report.out" || fail "report all failed"
[ "$(remote_head)" = "$head_before" ] || fail "report committed"
cmp "$T/out/latest.md" "$T/latest.md" || fail "local latest.md differs from the committed one"
for c in $charts; do
    cmp "$T/out/${c#status/reports/}" "$T/svg/$(basename "$c")" || fail "local $c differs"
done
[ "$(find "$T/out" -name '*.svg' | wc -l)" = "$(echo "$charts" | wc -l)" ] || fail "local chart count differs"
pass "report all --out writes the committed files byte for byte, without a commit"

fc report budget --out "$T/budget" >/dev/null || fail "report budget failed"
[ -s "$T/budget/budget.md" ] && [ -s "$T/budget/charts/budget-company.svg" ] || fail "report budget files"
[ ! -e "$T/budget/charts/savings-by-rule.svg" ] || fail "report budget wrote the savings chart"
grep -q '^## Budgets' "$T/budget/budget.md" && ! grep -q '^## Detailed findings' "$T/budget/budget.md" ||
    fail "budget.md sections"
rc=0; fc report everything --out "$T/x" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "unknown report kind: exit $rc, want 2"
pass "report budget writes only the budget report; an unknown kind is a usage error"

# No churn: the same clock again (every stage forced) makes no commit.
fc reconcile --once --force >/dev/null
[ "$(remote_head)" = "$head_before" ] || fail "a second pass on the same clock committed"
pass "same clock, same report: no commit"

# Monday (the Schedule's report weekday): the dated weekly report.
NOW=2026-11-23T09:00:00Z fc reconcile --once --force >/dev/null
files=$(remote_files)
echo "$files" | grep -qx status/reports/2026-11-23.md || fail "no dated report on Monday"
remote_show status/reports/index.md > "$T/index.md"
grep -qx -- '- \[2026-11-23\](2026-11-23.md)' "$T/index.md" || fail "index.md does not list it"
remote_show status/reports/2026-11-23.md > "$T/dated.md"
cmp "$T/dated.md" <(remote_show status/reports/latest.md) || fail "dated report differs from latest"
NOW=2026-11-24T09:00:00Z fc reconcile --once --force >/dev/null
files=$(remote_files)
echo "$files" | grep -qx status/reports/2026-11-24.md && fail "a dated report on Tuesday"
cmp "$T/dated.md" <(remote_show status/reports/2026-11-23.md) || fail "Monday's report changed on Tuesday"
remote_show status/reports/latest.md > "$T/latest2.md"
grep -q '^# FinOps report, 2026-11-24' "$T/latest2.md" || fail "latest.md not updated"
pass "the weekly dated report is written on Monday and kept unchanged afterwards"
