#!/usr/bin/python3
"""seed.py - (re)writes tests/fuzz/corpus/<target>/ from the repository's own
inputs: examples/ (demo specs, prices), string literals of the unit tests
(AWS responses, cost exports, cron expressions, known_hosts lines) and a few
hand-written shapes where no fixture exists.  Deterministic; a few dozen
small files per target.  Run it after adding fixtures:

    /usr/bin/python3 tests/fuzz/seed.py [CORPUS_DIR]
"""
import base64
import glob
import hashlib
import hmac
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MAX_SEED = 16 * 1024

# Selector bytes: the order of the tables in fuzz_aws_xml.c / fuzz_aws_json.c.
XML_PICK = {n: i for i, n in enumerate([
    "ec2_instances", "ec2_volumes", "ec2_snapshots", "ec2_addresses",
    "elb_load_balancers", "rds_instances", "elb_tags", "xml_tagset",
    "elb_target_health", "action:stop-instances", "action:start-instances",
    "action:modify-volume-type", "action:create-snapshot",
    "action:create-volume-from-snapshot", "action:delete-volume",
    "action:release-address", "s3_buckets", "s3_location", "sts_creds",
    "caller_account", "elb_target_groups", "metric_data", "error"])}
JSON_PICK = {"imds_creds": 0, "lambda_functions": 1, "json_tags": 2,
             "costs": 3, "error": 4, "time": 5}

C_ESC = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "0": "\0", "'": "'"}


def c_strings(src):
    """name -> concatenated value of `static const char name[] = "...";`."""
    out = {}
    for m in re.finditer(r'(?:const\s+)?char\s+\*?\s*(\w+)(?:\[\])?\s*=\s*((?:\s*"(?:[^"\\]|\\.)*")+)\s*;', src):
        out[m.group(1)] = "".join(unescape(s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2)))
    return out


def unescape(s):
    return re.sub(r"\\(x[0-9a-fA-F]{2}|.)", lambda m: chr(int(m.group(1)[1:], 16))
                  if m.group(1)[0] == "x" else C_ESC.get(m.group(1), m.group(1)), s)


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8", errors="surrogateescape") as f:
        return f.read()


class Corpus:
    def __init__(self, base):
        self.base = base

    def add(self, target, data):
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        data = data[:MAX_SEED]
        d = os.path.join(self.base, target)
        os.makedirs(d, exist_ok=True)
        name = hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def seed_specs(c):
    for p in sorted(glob.glob(os.path.join(ROOT, "examples/demo-repo/finops/**/*.yaml"), recursive=True)):
        target = "approvers" if p.endswith("approvers.yaml") else "specs"
        c.add(target, open(p, "rb").read())
    src = read("tests/unit/test_specs.c")
    for v in c_strings(src).values():
        if "kind:" in v or "apiVersion" in v:
            c.add("specs", v)
    hostile = os.path.join(ROOT, "tests/hostile/specs")
    for n in ("alias-bomb-laughs", "deep-65", "dup-kind", "utf8-overlong", "nul-in-value"):
        p = os.path.join(hostile, n + ".yaml")
        if os.path.exists(p):
            c.add("specs", open(p, "rb").read())
    c.add("approvers", "approvers:\n  - {identity: alice@example.com, gpgKey: ABCD}\n")


def seed_aws(c):
    src = read("tests/unit/test_aws_parse.c")
    strs = c_strings(src)
    for m in re.finditer(r"aws_parse_(\w+)\((?:&?\w+, )*?(\w+), (?:LEN\(\w+\)|sizeof)", src):
        fn, var = m.group(1), m.group(2)
        if var not in strs:
            continue
        body = strs[var]
        if fn in XML_PICK and fn not in JSON_PICK:
            c.add("aws_xml", bytes([XML_PICK[fn]]) + body.encode())
        elif fn in JSON_PICK:
            c.add("aws_json", bytes([JSON_PICK[fn]]) + body.encode())
    for m in re.finditer(r'aws_parse_action\("([\w-]+)", (\w+),', src):
        if "action:" + m.group(1) in XML_PICK and m.group(2) in strs:
            c.add("aws_xml", bytes([XML_PICK["action:" + m.group(1)]]) + strs[m.group(2)].encode())
    for var in ("ec2", "query"):
        if var in strs:
            c.add("aws_xml", bytes([XML_PICK["error"]]) + strs[var].encode())
    if "json" in strs:
        c.add("aws_json", bytes([JSON_PICK["error"]]) + strs["json"].encode())
    c.add("aws_json", b"\x00" + b'{"Code":"Success","AccessKeyId":"AKIA","SecretAccessKey":"s",'
          b'"Token":"t","Expiration":"2026-11-20T12:00:00Z"}')
    for t in ("2026-11-20T12:00:00Z", "2026-11-20T13:00:00.123+01:00", "2026-11-20"):
        c.add("aws_json", bytes([JSON_PICK["time"]]) + t.encode())


def seed_csv(c):
    for f in ("tests/unit/test_ingest.c", "tests/unit/test_csv_stream.c"):
        for v in c_strings(read(f)).values():
            if "," in v and "\n" in v:
                c.add("cost_csv", v)
    c.add("cost_csv", "a,\"b\"\"c\",d\r\n1,2,3\n\"unterminated\n")


def seed_prices(c):
    c.add("prices", open(os.path.join(ROOT, "examples/prices/aws-prices.yaml"), "rb").read())
    for p in sorted(glob.glob(os.path.join(ROOT, "examples/prices/aws-price-list/*.csv"))):
        lines = open(p, "rb").read().split(b"\n")
        c.add("prices", b"\n".join(lines[:30]) + b"\n")
    for v in c_strings(read("tests/unit/test_prices.c")).values():
        if len(v) > 20:
            c.add("prices", v)


def seed_cron(c):
    src = read("tests/unit/test_sched.c")
    exprs = set(re.findall(r'"([0-9*/,\-a-zA-Z ]+ [0-9*/,\-a-zA-Z ]+)"', src))
    for e in sorted(exprs):
        if len(e.split()) == 5:
            c.add("cron", e + "\n02:00\nmon\nEurope/Paris")
    for hhmm, day, tz in (("02:00", "sun", "UTC"), ("23:59", "saturday", "America/New_York"),
                          ("24:00", "xyz", "Not/AZone"), ("2:30", "mon", "Europe/London")):
        c.add("cron", "*/15 * * * *\n%s\n%s\n%s" % (hhmm, day, tz))


def seed_http(c):
    for q in (["100", "0", "", "123456789012", "eu-west-1", "ec2-instance", "Bearer s3cret-token"],
              ["1", "", "b2Zmc2V0OjE", "", "", "", "Bearer wrong"],
              ["1000", "5", "", "", "us-east-1", "ebs-volume", "bearer s3cret-token"],
              ["0", "-1", "!!", "x" * 300, "", "", ""],
              ["99999999999999999999", "1e3", "", "", "", "", "Basic abc"]):
        c.add("http_query", "\n".join(q))


def seed_webhook(c):
    key = b"fuzz-secret"
    for body in (b'{"ref":"refs/heads/main"}', b"", b"x" * 100):
        sig = hmac.new(key, body, hashlib.sha256).hexdigest()
        c.add("webhook", b"sha256=" + sig.encode() + b"\n-\n-\n" + body)
        c.add("webhook", b"-\n" + sig.encode() + b"\n-\n" + body)
        c.add("webhook", b"-\n-\nfuzz-secret\n" + body)
        c.add("webhook", b"sha256=" + sig.upper().encode() + b"\n" + sig[:10].encode() + b"\nwrong\n" + body)


def seed_known_hosts(c):
    blob = (b"\0\0\0\x0bssh-ed25519\0\0\0\x20" + bytes(range(1, 33)))
    k = base64.b64encode(blob).decode()
    salt = b"0123456789abcdefghij"
    h = hmac.new(salt, b"git.example.com", hashlib.sha1).digest()
    lines = [
        "git.example.com ssh-ed25519 %s" % k,
        "[10.0.0.1]:2222 ssh-ed25519 %s comment" % k,
        "*.example.com,!bad.example.com ssh-ed25519 %s" % k,
        "@revoked git.example.com ssh-ed25519 %s" % k,
        "@cert-authority *.example.com ssh-ed25519 %s" % k,
        "|1|%s|%s ssh-ed25519 %s" % (base64.b64encode(salt).decode(), base64.b64encode(h).decode(), k),
        "git.example.com ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ==",
        "# comment\n\ngit.example.com ssh-ed25519 AAAA!!!!",
    ]
    for l in lines:
        c.add("known_hosts", l + "\n")
    for v in c_strings(read("tests/unit/test_gitsync_auth.c")).values():
        if "ssh-" in v:
            c.add("known_hosts", v)


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests/fuzz/corpus")
    c = Corpus(base)
    seed_specs(c)
    seed_aws(c)
    seed_csv(c)
    seed_prices(c)
    seed_cron(c)
    seed_http(c)
    seed_webhook(c)
    seed_known_hosts(c)


if __name__ == "__main__":
    main()
