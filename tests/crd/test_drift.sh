#!/usr/bin/env bash
# drift.sh - crd/ and the Helm chart's crds/ must be exactly what
# `finops-controller crds` generates from the loader's schema (specs/schema.c)
# and its annotations (specs/schema_doc.c).  Fails with the command that
# regenerates them.
set -euo pipefail
: "${FC_BIN:?FC_BIN must point at the finops-controller binary}"
: "${FC_SOURCE_DIR:?FC_SOURCE_DIR must point at the source tree}"

T=$(mktemp -d "${TMPDIR:-/tmp}/fc-crd-drift.XXXXXX")
trap 'rm -rf "$T"' EXIT
"$FC_BIN" crds --out "$T/crd"

# Twice, byte-identical: the output is deterministic.
"$FC_BIN" crds --out "$T/again"
diff -r "$T/crd" "$T/again" >/dev/null || { echo "FAIL: crds output is not deterministic"; exit 1; }

rc=0
for dir in crd helm/finops-controller/crds; do
    if ! diff -ru "$T/crd" "$FC_SOURCE_DIR/$dir" > "$T/diff" 2>&1; then
        echo "FAIL: $dir/ differs from the CRDs generated from specs/schema.c + specs/schema_doc.c:"
        head -60 "$T/diff"
        rc=1
    fi
done
if [ "$rc" -ne 0 ]; then
    cat <<MSG

Regenerate from the source tree with a fresh build:
    cmake --build build --target finops-controller
    rm -f crd/*.yaml && build/finops-controller crds --out crd
    rm -f helm/finops-controller/crds/*.yaml && cp crd/*.yaml helm/finops-controller/crds/
MSG
    exit 1
fi
echo "ok: crd/ and helm/finops-controller/crds/ match the loader's schema ($(ls "$T/crd" | wc -l) CRDs)"
