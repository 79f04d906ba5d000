#!/usr/bin/python3
"""check_image.py DOCKERFILE CMAKELISTS BINARY - what CI can check of an
image it cannot build:

1. every shared library the binary loads (ldd) belongs to a Debian package
   that the Dockerfile's runtime stage installs, or that apt pulls in as a
   dependency of one (closure over the installed packages' Depends), or that
   every Debian image has (Essential or Priority required, and their
   dependencies);
2. every library the binary links directly (ELF NEEDED) belongs to a package
   named in the runtime stage itself, not only reached by chance;
3. the build stage installs the -dev package of every pkg-config module
   CMakeLists.txt needs for the library (the package owning its .pc file).

Sanitizer runtimes (libasan, libubsan) are skipped: only the ASan build
links them and the image is never built with sanitizers."""
import os
import re
import subprocess
import sys

SANITIZER = re.compile(r"^lib(asan|ubsan|lsan|tsan)\.so")


def block(text, name):
    m = re.search(rf"# {name}: begin\n(.*?)# {name}: end", text, re.S)
    if not m:
        sys.exit(f"FAIL: Dockerfile has no '# {name}: begin/end' block")
    body = m.group(1).replace("\\\n", " ")
    install = re.search(r"apt-get install\s+(.*?)(&&|$)", body, re.S)
    return {w for w in install.group(1).split() if not w.startswith("-")}


def owners(paths):
    """{path: package} with one dpkg -S call (each call reads the whole
    file database); the real path and the path ldd printed both count."""
    cands = sorted({q for p in paths for q in (p, os.path.realpath(p))})
    r = subprocess.run(["dpkg", "-S"] + cands, text=True, capture_output=True)
    found = {}
    for line in r.stdout.splitlines():
        pkg, _, path = line.partition(": ")
        for one in path.split(", "):
            found[one.strip()] = pkg.split(":")[0].split(",")[0].strip()
    return {p: found.get(os.path.realpath(p)) or found.get(p) for p in paths}


def installed():
    out = subprocess.run(["dpkg-query", "-W", "-f",
                          "${Package}\t${Priority} ${Essential}\t${Pre-Depends}, ${Depends}\n"],
                         text=True, capture_output=True, check=True).stdout
    pkgs = {}
    for line in out.splitlines():
        name, prio, deps = (line.split("\t") + ["", ""])[:3]
        pkgs[name] = (prio, deps)
    return pkgs


def closure(roots, pkgs):
    seen, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p in seen or p not in pkgs:
            continue
        seen.add(p)
        for dep in pkgs[p][1].split(","):
            alts = [a.strip().split(" ")[0].split(":")[0] for a in dep.split("|") if a.strip()]
            pick = next((a for a in alts if a in pkgs), None)
            if pick:
                todo.append(pick)
    return seen


def main():
    dockerfile, cmakelists, binary = sys.argv[1:4]
    text = open(dockerfile).read()
    runtime, build = block(text, "runtime-packages"), block(text, "build-packages")
    pkgs = installed()
    # What every Debian image has: the Essential and required packages and
    # everything they depend on.
    base = closure([p for p, (prio, _) in pkgs.items()
                    if prio.startswith("required") or prio.endswith(" yes")], pkgs)
    reach = closure(runtime, pkgs) | base
    problems = []

    ldd = subprocess.run(["ldd", binary], text=True, capture_output=True, check=True).stdout
    libs = re.findall(r"^\s*(\S+) => (/\S+)", ldd, re.M)
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]",
                            subprocess.run(["readelf", "-d", binary], text=True,
                                           capture_output=True, check=True).stdout))
    checked = 0
    libs = [(s, p) for s, p in libs if not SANITIZER.match(s)]
    owner = owners([p for _, p in libs])
    for soname, path in libs:
        pkg = owner[path]
        if not pkg:
            problems.append(f"{soname} ({path}) belongs to no Debian package")
            continue
        checked += 1
        if pkg not in reach:
            problems.append(f"{soname}: package {pkg} is not installed by the runtime stage")
        if soname in needed and pkg not in runtime and pkg not in base:
            problems.append(f"{soname} is linked directly: name {pkg} in the runtime stage")

    # The -dev packages owning the .pc file of every pkg-config module the
    # library needs (CMakeLists.txt: pkg_check_modules(DEPS ...)).
    m = re.search(r"pkg_check_modules\(DEPS\s+REQUIRED\s+IMPORTED_TARGET\s+(.*?)\)",
                  open(cmakelists).read(), re.S)
    if not m:
        sys.exit("FAIL: no pkg_check_modules(DEPS REQUIRED IMPORTED_TARGET ...) in CMakeLists.txt")
    pcs = {}
    for mod in m.group(1).split():
        r = subprocess.run(["pkg-config", "--variable=pcfiledir", mod], text=True,
                           capture_output=True)
        if r.returncode != 0:
            problems.append(f"pkg-config module {mod} is not installed here")
            continue
        pcs[os.path.join(r.stdout.strip(), mod + ".pc")] = mod
    dev = {pkg for pkg in owners(list(pcs)).values() if pkg}
    for p in sorted(dev - build):
        problems.append(f"the build needs {p} (pkg-config); the Dockerfile build stage "
                        f"does not install it")

    if problems:
        print("FAIL: helm/Dockerfile:\n  " + "\n  ".join(problems))
        return 1
    print(f"ok: {checked} libraries of {os.path.basename(binary)} covered by "
          f"{len(runtime)} runtime packages; build stage has {len(dev)} -dev packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
