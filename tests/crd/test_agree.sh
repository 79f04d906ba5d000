#!/usr/bin/env bash
# test_agree.sh - the C loader and ajv agree on every example and on the
# invalid corpus (tests/crd/agree.py says how).  Exit 77 = skipped.
set -euo pipefail
: "${FC_BIN:?FC_BIN must point at the finops-controller binary}"
: "${FC_SOURCE_DIR:?FC_SOURCE_DIR must point at the source tree}"
exec /usr/bin/python3 "$FC_SOURCE_DIR/tests/crd/agree.py"
