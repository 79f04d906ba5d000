#!/usr/bin/python3
"""agree.py - the C loader and an independent JSON Schema validator (ajv)
must agree on every spec file: the examples (all valid) and the invalid
corpus in tests/crd/invalid (each file one error, stated in its
`# expect: FIELD: MESSAGE` comment).

The CRDs are generated afresh by `finops-controller crds` (the drift test
compares them with crd/).  ajv runs on Node with the locked packages of
tests/crd/package-lock.json, installed by `npm ci` under the build dir.  The
loader runs as `finops-controller validate` on one git repository holding
every file, and its `file:line: field: message` lines are matched to files.

Left out of the corpus on purpose, because the two legitimately differ:
cross-document rules (duplicate names, an unknown Budget parent), rules
between fields (targetP95Percent <= maxPercent, window start and end
together, rightsize needs parameters.instanceType), scalars of the wrong
YAML type that the loader reads as strings (amount: "100", currency: 123),
metadata keys other than name and labels (the loader rejects them,
Kubernetes' ObjectMeta has many), s3:// costExports paths, and ':' in the
local part of an email notify target (the CRD pattern is stricter).

Environment: FC_BIN, FC_SOURCE_DIR, FC_BUILD_DIR.  Exit 77 (skip) when
node or npm is missing.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

SKIP = 77


class NoDatesLoader(yaml.SafeLoader):
    """YAML 1.1 like Kubernetes' decoder, but timestamps stay strings."""


NoDatesLoader.yaml_implicit_resolvers = {
    k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def run(cmd, **kw):
    return subprocess.run(cmd, check=False, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def npm_install(src, build):
    """npm ci into build/crd-npm, only when the lock file changed."""
    dest = os.path.join(build, "crd-npm")
    lock = os.path.join(src, "tests/crd/package-lock.json")
    stamp = os.path.join(dest, "package-lock.json")
    mods = os.path.join(dest, "node_modules")
    if (os.path.isdir(mods) and os.path.exists(stamp)
            and open(stamp).read() == open(lock).read()):
        return mods
    os.makedirs(dest, exist_ok=True)
    for f in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(src, "tests/crd", f), dest)
    r = run(["npm", "ci", "--prefix", dest, "--no-audit", "--no-fund",
             "--cache", os.path.join(build, "npm-cache")])
    if r.returncode != 0:
        sys.exit("FAIL: npm ci failed:\n" + r.stdout + r.stderr)
    return mods


def loader_errors(fc_bin, tmp, files):
    """files: {repo path: source path}.  Returns {repo path: [errors]}."""
    work, remote = os.path.join(tmp, "work"), os.path.join(tmp, "remote.git")
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", HOME=tmp,
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    for rel, src in files.items():
        os.makedirs(os.path.dirname(os.path.join(work, rel)), exist_ok=True)
        shutil.copy(src, os.path.join(work, rel))
    for cmd in (["git", "init", "-q", "--bare", "-b", "main", remote],
                ["git", "-C", work, "init", "-q", "-b", "main"],
                ["git", "-C", work, "add", "-A"],
                ["git", "-C", work, "commit", "-q", "-m", "specs"],
                ["git", "-C", work, "push", "-q", remote, "main"]):
        r = run(cmd, env=env)
        if r.returncode != 0:
            sys.exit(f"FAIL: {' '.join(cmd)}: {r.stderr}")
    r = run([fc_bin, "validate", "--repo", remote, "--path", "finops",
             "--state-dir", os.path.join(tmp, "state"), "--log-level", "error"],
            env=env)
    if r.returncode not in (0, 3):
        sys.exit(f"FAIL: validate exited {r.returncode}:\n{r.stdout}{r.stderr}")
    out = {rel: [] for rel in files}
    line_re = re.compile(r"^(finops/[^:]+):(\d+): (.*)$")
    for line in (r.stdout + r.stderr).splitlines():
        m = line_re.match(line.strip())
        if m and m.group(1) in out:
            out[m.group(1)].append(m.group(3))
    if r.returncode == 3 and not any(out.values()):
        sys.exit("FAIL: validate exited 3 but no error named a file:\n" + r.stdout + r.stderr)
    return out


def main():
    fc_bin = os.environ["FC_BIN"]
    src = os.environ["FC_SOURCE_DIR"]
    build = os.environ.get("FC_BUILD_DIR") or os.path.dirname(fc_bin)
    if not shutil.which("node") or not shutil.which("npm"):
        print("SKIP: node or npm not installed (.ci/install-deps installs them)")
        return SKIP
    mods = npm_install(src, build)

    with tempfile.TemporaryDirectory(prefix="fc-crd.") as tmp:
        crd_dir = os.path.join(tmp, "crd")
        r = run([fc_bin, "crds", "--out", crd_dir])
        if r.returncode != 0:
            sys.exit("FAIL: finops-controller crds: " + r.stderr)
        crds = [yaml.safe_load(open(p)) for p in sorted(glob.glob(crd_dir + "/*.yaml"))]

        examples = os.path.join(src, "examples/demo-repo/finops")
        files, expect = {}, {}   # repo path -> source path / expected outcome
        for p in sorted(glob.glob(examples + "/**/*.yaml", recursive=True)):
            rel = os.path.relpath(p, examples)
            if rel == "approvers.yaml":   # not a kind: the approver list
                continue
            files["finops/" + rel] = p
            expect["finops/" + rel] = None
        invalid = sorted(glob.glob(os.path.join(src, "tests/crd/invalid/*.yaml")))
        bad_comment = []
        for p in invalid:
            rel = "finops/invalid/" + os.path.basename(p)
            files[rel] = p
            m = re.search(r"^# expect: (.+)$", open(p).read(), re.M)
            if not m:
                bad_comment.append(rel)
            expect[rel] = m.group(1).strip() if m else ""
        if len(invalid) < 40:
            sys.exit(f"FAIL: only {len(invalid)} invalid specs; the corpus needs >= 40")

        bundle = [{"file": rel, "docs": list(yaml.load_all(open(p), Loader=NoDatesLoader))}
                  for rel, p in files.items()]
        with open(os.path.join(tmp, "crds.json"), "w") as f:
            json.dump(crds, f)
        with open(os.path.join(tmp, "docs.json"), "w") as f:
            json.dump(bundle, f)
        r = run(["node", os.path.join(src, "tests/crd/ajv_validate.js"), mods,
                 os.path.join(tmp, "crds.json"), os.path.join(tmp, "docs.json")])
        if r.returncode != 0:
            sys.exit("FAIL: ajv_validate.js: " + r.stderr)
        ajv = json.loads(r.stdout)
        c = loader_errors(fc_bin, tmp, files)

    failures = []
    for rel in files:
        a_ok, c_ok = not ajv[rel], not c[rel]
        want = expect[rel]
        if a_ok != c_ok:
            failures.append(f"{rel}: DISAGREE: loader {'accepts' if c_ok else 'rejects'}, "
                            f"ajv {'accepts' if a_ok else 'rejects'}\n"
                            f"    loader: {c[rel]}\n    ajv: {ajv[rel]}")
        elif want is None and not c_ok:
            failures.append(f"{rel}: example rejected by both:\n    loader: {c[rel]}\n    ajv: {ajv[rel]}")
        elif want is not None and c_ok:
            failures.append(f"{rel}: invalid spec accepted by both (expect: {want})")
        elif want:
            # The stated error: "FIELD: MESSAGE" -> some loader error names
            # that field and says that message (case-insensitive substrings).
            field, _, msg = want.partition(": ")
            hit = any(field.lower() in e.lower() and msg.lower() in e.lower() for e in c[rel])
            if not hit:
                failures.append(f"{rel}: loader rejects it, but not with the expected "
                                f"'{want}':\n    loader: {c[rel]}")
    for rel in bad_comment:
        failures.append(f"{rel}: no '# expect: FIELD: MESSAGE' comment")
    nvalid = sum(1 for r_ in files if expect[r_] is None)
    print(f"{len(files)} files ({nvalid} examples, {len(files) - nvalid} invalid): "
          f"{len(failures)} failures")
    if failures:
        print("FAIL: the C loader and the CRD schema (ajv) disagree or miss:\n" +
              "\n".join(failures))
        print("\nFix the loader (specs/validate.c) or the annotations (specs/schema_doc.c), "
              "then regenerate: finops-controller crds --out crd")
        return 1
    print("ok: loader and CRD schema agree on every file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
