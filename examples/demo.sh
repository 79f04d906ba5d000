#!/usr/bin/env bash
# The demo: installs dependencies, builds, creates a bare git repo from
# examples/demo-repo, runs one reconcile pass on the sim cloud and prints the
# status commit.  Everything lands in ./demo (removed and recreated).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target finops-controller

rm -rf demo && mkdir -p demo
git init -q --bare -b main demo/finops-specs.git
git clone -q demo/finops-specs.git demo/work 2>/dev/null
cp -r examples/demo-repo/. demo/work/
git -C demo/work add -A
git -C demo/work -c user.name="Alice Example" -c user.email=alice@example.com \
    commit -q -m "Add FinOps specs for the demo estate"
git -C demo/work push -q origin main

./build/finops-controller reconcile --once --repo demo/finops-specs.git \
    --state-dir demo/state --now "${FINOPS_NOW:-2026-11-20T12:00:00Z}"
echo
git --git-dir=demo/finops-specs.git log --stat -n 2 main
