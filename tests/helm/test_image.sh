#!/usr/bin/env bash
# test_image.sh - helm/Dockerfile against the built binary (check_image.py):
# CI cannot build images, so this checks the runtime stage's packages cover
# what the binary loads, and the build stage has the -dev packages of the
# pkg-config modules CMakeLists.txt needs.
set -euo pipefail
: "${FC_BIN:?FC_BIN must point at the finops-controller binary}"
: "${FC_SOURCE_DIR:?FC_SOURCE_DIR must point at the source tree}"
exec /usr/bin/python3 "$FC_SOURCE_DIR/tests/helm/check_image.py" \
    "$FC_SOURCE_DIR/helm/Dockerfile" "$FC_SOURCE_DIR/CMakeLists.txt" "$FC_BIN"
