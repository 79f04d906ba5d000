#!/usr/bin/env bash
# test_render.sh - renders helm/finops-controller with every values file in
# examples/helm/ through tests/helm/render (Go text/template + Debian's
# sprig, Helm's semantics) and checks every object (check_rendered.py).
# Also: the chart's crds/ render as crd/, a missing git.repo fails the
# render, a broken Deployment fails the checker, values.yaml is documented.
# Exit 77 = skipped (go or Debian's sprig sources missing).
set -euo pipefail
: "${FC_SOURCE_DIR:?FC_SOURCE_DIR must point at the source tree}"
BUILD=${FC_BUILD_DIR:-${TMPDIR:-/tmp}}
CHART="$FC_SOURCE_DIR/helm/finops-controller"
GOCODE=/usr/share/gocode
if ! command -v go >/dev/null || [ ! -d "$GOCODE/src/github.com/Masterminds/sprig" ] ||
   [ ! -d "$GOCODE/src/gopkg.in/yaml.v3" ]; then
    echo "SKIP: needs golang-go, golang-github-masterminds-sprig-dev and golang-gopkg-yaml.v3-dev (.ci/install-deps)"
    exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/fc-helm.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# GOPATH mode over Debian's packaged sources: no module download.
render="$BUILD/helm-render"
(cd "$FC_SOURCE_DIR/tests/helm/render" &&
    GO111MODULE=off GOPATH=$GOCODE GOFLAGS= GOCACHE="$BUILD/go-cache" \
    go build -o "$render" .) || fail "building tests/helm/render"

n=0
for values in "$FC_SOURCE_DIR"/examples/helm/*.yaml; do
    name=$(basename "$values" .yaml)
    "$render" --name finops --namespace finops-system -f "$values" "$CHART" \
        > "$T/$name.yaml" || fail "render with $values"
    /usr/bin/python3 "$FC_SOURCE_DIR/tests/helm/check_rendered.py" "$CHART" \
        "$T/$name.yaml" finops finops-system "$values"
    n=$((n + 1))
done
[ "$n" -ge 3 ] || fail "expected at least 3 values files in examples/helm, found $n"

# A release name holding the chart name is not repeated; nameOverride works.
"$render" --name finops-controller -f "$FC_SOURCE_DIR/examples/helm/minimal.yaml" \
    "$CHART" | grep -q '^  name: finops-controller$' || fail "fullname of release finops-controller"

# --include-crds prints crds/ unchanged (and crds/ is crd/: test_drift).
"$render" --include-crds -f "$FC_SOURCE_DIR/examples/helm/minimal.yaml" "$CHART" > "$T/crds.yaml"
[ "$(grep -c '^kind: CustomResourceDefinition$' "$T/crds.yaml")" -eq "$(ls "$FC_SOURCE_DIR"/crd/*.yaml | wc -l)" ] ||
    fail "--include-crds does not print every CRD"

# git.repo is required.
if "$render" "$CHART" > "$T/norepo.yaml" 2> "$T/norepo.err"; then
    fail "render without git.repo succeeded"
fi
grep -q "git.repo is required" "$T/norepo.err" || fail "no 'git.repo is required' message: $(cat "$T/norepo.err")"

# The checker catches a writable root filesystem and a probe on a wrong path.
sed 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/' "$T/minimal.yaml" > "$T/bad1.yaml"
sed 's#path: /readyz#path: /ready#' "$T/minimal.yaml" > "$T/bad2.yaml"
for bad in bad1 bad2; do
    if /usr/bin/python3 "$FC_SOURCE_DIR/tests/helm/check_rendered.py" "$CHART" "$T/$bad.yaml" \
        finops finops-system "$FC_SOURCE_DIR/examples/helm/minimal.yaml" > "$T/$bad.out"; then
        fail "check_rendered.py accepted $bad"
    fi
done

/usr/bin/python3 "$FC_SOURCE_DIR/tests/helm/check_values_doc.py" "$CHART"
echo "ok: chart renders and checks with $n values files"
