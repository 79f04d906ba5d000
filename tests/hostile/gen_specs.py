#!/usr/bin/python3
"""gen_specs.py - writes the hostile spec corpus.

    gen_specs.py small OUTDIR   the committed corpus (tests/hostile/specs/)
    gen_specs.py big OUTDIR     the large files, generated at test time

Every file is malicious or broken on purpose: alias bombs, deep nesting,
huge scalars, invalid UTF-8, NUL and control bytes, duplicate keys, wrong
types in every field of the demo specs, too many documents, oversized
files.  Each must be refused with an error naming it (tests/hostile/
test_hostile_specs.sh).  Output is deterministic.
"""
import copy
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "..", "..", "examples", "demo-repo", "finops")
HEAD = "apiVersion: finops.dev/v1alpha1\n"


def budget(name, extra=""):
    return (HEAD + "kind: Budget\nmetadata:\n  name: %s\nspec:\n"
            "  amount: 100\n%s" % (name, extra))


def write(out, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(out, name + ".yaml"), "wb") as f:
        f.write(data)


def alias_bombs(out):
    # Billion laughs: each level refers to the previous one nine times.
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, 10):
        refs = ", ".join("*a%d" % (i - 1) for _ in range(9))
        lines.append("a%d: &a%d [%s]" % (i, i, refs))
    write(out, "alias-bomb-laughs", budget("alias-laughs",
          "  notify:\n" + "".join("    - " + l + "\n" for l in lines)))
    # The same at the top of the document, before kind.
    write(out, "alias-bomb-top", "\n".join(lines) + "\n" + budget("a-top"))
    # Map anchors merged into each other (<<).
    m = ["m0: &m0 {x: 1}"]
    for i in range(1, 12):
        m.append("m%d: &m%d {<<: *m%d, y%d: [*m%d, *m%d]}" % (i, i, i - 1, i, i - 1, i - 1))
    write(out, "alias-bomb-merge", budget("a-merge",
          "  scope:\n" + "".join("    " + l + "\n" for l in m)))
    # Many aliases to one small anchor.
    write(out, "alias-many", budget("a-many", "  notify: [&x a@b.c, " +
          ", ".join(["*x"] * 500) + "]\n"))
    # Many anchors, no alias.
    write(out, "anchor-many", budget("a-anchors", "  notify: [" +
          ", ".join("&n%d n%d@b.c" % (i, i) for i in range(200)) + "]\n"))
    # An alias as a mapping key and as the kind.
    write(out, "alias-as-key", HEAD + "k: &k kind\n*k : Budget\n"
          "metadata: {name: a-key}\nspec: {amount: 1}\n")
    write(out, "alias-undefined", budget("a-undef", "  currency: *nope\n"))
    write(out, "alias-recursive", budget("a-rec", "  scope: &s {accounts: *s}\n"))


def nesting(out):
    n = 10000
    write(out, "deep-flow-seq", budget("d1", "  scope: " + "[" * n + "]" * n + "\n"))
    write(out, "deep-flow-map", budget("d2", "  scope: " + "{a: " * n + "1" + "}" * n + "\n"))
    write(out, "deep-flow-unclosed", budget("d3", "  scope: " + "[" * n + "\n"))
    write(out, "deep-block-seq", budget("d4", "  notify:\n" +
          "".join("  " * (i + 2) + "-\n" for i in range(200)) + "  " * 202 + "- x\n"))
    write(out, "deep-block-map", budget("d5", "".join(
          "  " * (i + 1) + "k%d:\n" % i for i in range(300)) + "  " * 301 + "v: 1\n"))
    write(out, "deep-mixed", budget("d6", "  scope: " + "[{a: " * 5000 + "1" + "}]" * 5000 + "\n"))
    write(out, "deep-top-level", "[" * n + "]" * n + "\n")
    write(out, "deep-65", budget("d8", "  scope: " + "[" * 65 + "]" * 65 + "\n"))


def scalars(out):
    write(out, "scalar-70k-name", budget("x" * 70000))
    write(out, "scalar-block-literal", budget("s3", "  currency: |\n" +
          ("    " + "y" * 1000 + "\n") * 100))
    write(out, "scalar-long-key", budget("s4", "  " + "k" * 70000 + ": 1\n"))
    write(out, "scalar-quoted-escapes", budget("s5", '  currency: "' + "\\u0041" * 20000 + '"\n'))


def encodings(out):
    base = budget("enc", "  currency: XX\n").encode()
    bad = {
        "utf8-lone-continuation": b"\x80",
        "utf8-overlong": b"\xc0\xaf",
        "utf8-truncated": b"\xe2\x82",
        "utf8-surrogate": b"\xed\xa0\x80",
        "utf8-ff": b"\xff\xfe",
        "utf8-too-large": b"\xf4\x90\x80\x80",
        "utf8-five-byte": b"\xf8\x88\x80\x80\x80",
    }
    for name, seq in sorted(bad.items()):
        write(out, name, base.replace(b"XX", seq))
    write(out, "utf8-in-key", base.replace(b"currency", b"curr\xc3ency"))
    write(out, "utf8-in-comment", base + b"# \xff\xff\n")
    write(out, "utf16-bom", b"\xff\xfe" + budget("u16").encode("utf-16-le"))
    write(out, "utf32-be", budget("u32").encode("utf-32-be"))
    write(out, "latin1", base.replace(b"XX", "caf\u00e9".encode("latin-1")))


def control_bytes(out):
    base = budget("ctl", "  currency: XX\n").encode()
    write(out, "nul-in-value", base.replace(b"XX", b"U\x00SD"))
    write(out, "nul-in-key", base.replace(b"currency", b"cur\x00rency"))
    write(out, "nul-first", b"\x00" + base)
    write(out, "nul-last", base + b"\x00")
    write(out, "nul-only", b"\x00" * 4096)
    write(out, "nul-in-comment", base + b"# \x00\n")
    write(out, "ctl-bell", base.replace(b"XX", b"U\x07SD"))
    write(out, "ctl-escape", base.replace(b"XX", b"\x1b[31mUSD"))
    write(out, "ctl-del", base.replace(b"XX", b"U\x7fSD"))
    write(out, "binary-noise", bytes((i * 73 + 41) % 256 for i in range(8192)))
    write(out, "tabs-indent", budget("tabs", "\tcurrency: USD\n"))


def duplicates(out):
    write(out, "dup-kind", HEAD + "kind: Budget\nkind: Account\n"
          "metadata: {name: dup1}\nspec: {amount: 1}\n")
    write(out, "dup-metadata-name", HEAD + "kind: Budget\n"
          "metadata: {name: dup2, name: dup3}\nspec: {amount: 1}\n")
    write(out, "dup-spec-field", budget("dup4", "  amount: 200\n"))
    write(out, "dup-spec", budget("dup5") + "spec: {amount: 2}\n")
    write(out, "dup-nested", budget("dup6",
          "  scope: {accounts: ['111111111111'], accounts: ['222222222222']}\n"))
    write(out, "dup-api-version", HEAD + budget("dup7"))
    write(out, "dup-threshold-key", budget("dup8",
          "  thresholds:\n    - {percent: 80, percent: 90}\n"))
    write(out, "dup-names-across-docs", budget("dup9") + "---\n" + budget("dup9"))


# Wrong types everywhere: each field of each demo spec replaced by a value of
# a kind the schema cannot take (a map for a scalar, a scalar for a map or a
# sequence, a sequence for a map).
def leaves(node, path=()):
    yield path, node
    if isinstance(node, dict):
        for k in node:
            yield from leaves(node[k], path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from leaves(v, path + (i,))


def wrong_for(v):
    if isinstance(v, dict):
        return ["not-a-map", ["a", "list"]]
    if isinstance(v, list):
        return ["not-a-list", {"a": "map"}]
    return [{"a": "map"}, ["a", "list"]]


def set_at(doc, path, value):
    node = doc
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value


def wrong_types(out):
    n = 0
    for sub in ("accounts", "budgets", "optimizations", "policies", "."):
        d = os.path.join(DEMO, sub)
        for fn in sorted(os.listdir(d)):
            if not fn.endswith(".yaml") or fn == "approvers.yaml":
                continue
            with open(os.path.join(d, fn)) as f:
                docs = list(yaml.safe_load_all(f))
            for doc in docs:
                if isinstance(doc, dict) and "kind" in doc:
                    n = wrong_doc(out, doc, n)
    return n


def wrong_doc(out, doc, n):
    for path, v in leaves(doc):
        if not path or path[0] in ("apiVersion",):
            continue
        if path == ("metadata", "name"):
            continue
        for w in wrong_for(v)[n % 2:][:1]:
            bad = copy.deepcopy(doc)
            bad["metadata"]["name"] = "wrong-%d" % n
            set_at(bad, path, w)
            name = "wrong-%s-%s-%d" % (doc["kind"].lower(),
                   "-".join(str(p) for p in path).replace("/", "_"), n)
            write(out, name[:100], yaml.safe_dump(bad, sort_keys=False))
            n += 1
    return n


def misc(out):
    write(out, "tag-python", budget("t1", "  currency: !!python/object:os.system [ls]\n"))
    write(out, "tag-custom", budget("t2", "  scope: !include /etc/passwd\n"))
    write(out, "directive-yaml-9", "%YAML 9.9\n---\n" + budget("t3"))
    write(out, "directive-tag-twice", "%TAG !e! tag:evil.example,2000:\n"
          "%TAG !e! tag:other.example,2000:\n---\n" + budget("t4"))
    write(out, "tag-undefined-handle", budget("t4b", "  currency: !e!x USD\n"))
    write(out, "complex-key", budget("t5", "  ? [a, b]\n  : c\n"))
    write(out, "unterminated-quote", budget("t6", '  currency: "USD\n'))
    write(out, "unterminated-flow", budget("t7", "  scope: {accounts: [1, 2\n"))
    write(out, "number-overflow", budget("t8").replace("amount: 100", "amount: 1e999999"))
    write(out, "number-nan", budget("t9").replace("amount: 100", "amount: .nan"))
    write(out, "number-inf", budget("t10").replace("amount: 100", "amount: -.inf"))
    write(out, "integer-overflow", HEAD + "kind: Policy\nmetadata: {name: t11}\n"
          "spec:\n  ec2: {idleDays: 99999999999999999999999}\n")
    write(out, "negative-unsigned", HEAD + "kind: Policy\nmetadata: {name: t12}\n"
          "spec:\n  ec2: {idleDays: -1}\n")
    write(out, "kind-list", HEAD + "kind: [Budget]\nmetadata: {name: t13}\nspec: {amount: 1}\n")
    write(out, "kind-long", HEAD + "kind: " + "B" * 5000 + "\nmetadata: {name: t14}\nspec: {}\n")
    write(out, "kind-null", HEAD + "kind: ~\nmetadata: {name: t15}\nspec: {}\n")
    write(out, "root-scalar", "just a string\n")
    write(out, "root-list", "- kind: Budget\n- amount: 1\n")
    write(out, "name-not-dns", budget("Not_A_DNS..Name!"))
    write(out, "name-map", HEAD + "kind: Budget\nmetadata: {name: {a: b}}\nspec: {amount: 1}\n")
    write(out, "metadata-missing", HEAD + "kind: Budget\nspec: {amount: 1}\n")
    write(out, "crlf-mixed", budget("t18", "  currency: USD\r\n\r  period: 1\r\n"))
    write(out, "broken-middle-doc", budget("t19") + "---\nkind: [\n---\n" + budget("t20"))
    write(out, "empty-then-broken", "---\n---\n---\n: : :\n")
    write(out, "docs-1001-empty-maps", "".join("--- {}\n" for _ in range(1001)))
    write(out, "unknown-fields-everywhere", HEAD + "kind: Budget\nmetadata: {name: t21, evil: 1}\n"
          "spec: {amount: 1, evil: 2}\nevil: 3\n")
    write(out, "percent-as-string", budget("t22", "  thresholds: [{percent: eighty}]\n"))


def small(out):
    os.makedirs(out, exist_ok=True)
    alias_bombs(out)
    nesting(out)
    scalars(out)
    encodings(out)
    control_bytes(out)
    duplicates(out)
    misc(out)
    wrong_types(out)


def big(out):
    os.makedirs(out, exist_ok=True)
    # 50 MB of valid-looking YAML: refused by size before parsing.
    with open(os.path.join(out, "big-50mb.yaml"), "wb") as f:
        f.write(budget("big").encode())
        i = 0
        while f.tell() < 50 * 1024 * 1024:
            f.write(b"  k%08d: %s\n" % (i, b"v" * 80))
            i += 1
    # A multi-megabyte scalar (3 MiB) on one line.
    write(out, "big-scalar-3mb", budget("bigs", "  currency: " + "U" * (3 << 20) + "\n"))
    # Thousands of documents, each a small invalid Budget (< 1 MiB in all).
    write(out, "big-5000-docs", "".join("---\n" + budget("many-%d" % i).replace(
          "amount: 100", "amount: -1") for i in range(5000))[:1000000])
    write(out, "scalar-900k", budget("s2", "  currency: " + "U" * 900000 + "\n"))
    write(out, "scalar-long-line-comment", budget("s6", "  # " + "c" * 500000 + "\n  amount: -1\n"))
    write(out, "many-keys", budget("t16", "".join("  k%d: %d\n" % (i, i) for i in range(20000))))
    write(out, "many-list-items", budget("t17", "  notify: [" + ", ".join(
          "n%d@x.y" % i for i in range(30000)) + "]\n").replace("amount: 100", "amount: -1"))
    # Just under the size limit: 1 MiB of list items, then a broken field.
    items = "".join("    - n%06d@x.y\n" % i for i in range(60000))
    write(out, "big-near-limit", budget("near", "  notify:\n" + items)[:1024 * 1024 - 64]
          .rsplit("\n", 1)[0] + "\n  amount: -1\n")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("small", "big"):
        sys.exit("usage: gen_specs.py small|big OUTDIR")
    (small if sys.argv[1] == "small" else big)(sys.argv[2])


if __name__ == "__main__":
    main()
