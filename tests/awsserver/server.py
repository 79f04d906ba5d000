#!/usr/bin/python3
"""server.py - a loopback AWS endpoint over the sim estate, for tests.

    python3 tests/awsserver/server.py --estate FILE [--port 0] [--port-file PATH]
        [--latency-ms N] [--now YYYY-MM-DDTHH:MM:SSZ] [--resources-scale N]
        [--regions R1,R2] [--accounts N] [--dump-estate PATH] [--verbose]

One HTTP/1.1 endpoint on 127.0.0.1 serves EC2, ELBv2, RDS, CloudWatch,
Lambda, S3, Cost Explorer and STS: the service, region and access key come
from the SigV4 credential scope, and every signature is verified as AWS
does (sigv4.py).  The estate is the sim provider's YAML (examples/sim), so
the sim and aws providers see the same resources, metrics and costs.  Also
IMDSv2 under /latest/ and an unsigned control API under /__control/ (fault
injection, request log, latency).  Runs until SIGTERM or SIGINT.

Input: the estate file and flags.  Output: HTTP responses; the chosen port
in --port-file once listening.  State (the estate, credentials, faults, the
request log) lives in memory in one App, guarded by its lock.
"""
import argparse
import base64
import datetime
import hashlib
import json
import os
import re
import secrets
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import services  # noqa: E402
import sigv4  # noqa: E402
from estate import Estate, iso, to_epoch  # noqa: E402
from protocol import (ALIASES, SERVICES, AwsError, code_for, error_response,  # noqa: E402
                      new_request_id, parse_form, query_response, unflatten)

BASE_KEY = "AKIDFINOPSTEST"
BASE_SECRET = "finops-test-secret"
MAX_SKEW = 15 * 60
IMDS_ROLE = "finops-controller"
STS_NS = SERVICES["sts"][2]


class Drop(Exception):
    """Fault kind "drop": close the connection without a response."""


class Ctx:
    """One request as the services see it."""

    def __init__(self):
        self.method = self.path = self.target = ""
        self.query = {}
        self.headers = []
        self.body = b""
        self.service = self.region = self.account = self.action = None
        self.access_key = None
        self.principal = None
        self.proto = None
        self.params = {}
        self.tree = {}
        self.json = {}
        self.rid = new_request_id()
        self.signed_ok = False
        self.fault = None
        self.s3_bucket = None

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None


class App:
    def __init__(self, args):
        self.args = args
        self.lock = threading.RLock()
        self.fixed_now = to_epoch(args.now) if args.now else None
        self.latency_ms = args.latency_ms
        self.faults = []
        self.log = []
        self.imds_tokens = {}
        self.imds_creds = None
        self.load_estate()

    def load_estate(self):
        a = self.args
        regions = [r for r in (a.regions or "").split(",") if r]
        est = Estate(a.estate, scale=a.resources_scale, extra_regions=regions,
                     max_accounts=a.accounts)
        self.est = est
        self.cloud = services.Cloud(est, self.now)
        first = est.accounts[0]["id"]
        # Temporary credentials outlive a reset of the estate, as in AWS.
        temp = {k: v for k, v in getattr(self, "creds", {}).items() if v["token"]}
        self.creds = temp
        self.creds[BASE_KEY] = {
            "secret": BASE_SECRET, "account": first, "token": None, "exp": None,
            "arn": "arn:aws:iam::%s:user/finops-test" % first,
            "userid": "AIDA" + hashlib.sha256(first.encode()).hexdigest()[:17].upper()}

    def now(self):
        """The estate's clock (--now, else the wall clock)."""
        return self.fixed_now if self.fixed_now is not None else int(time.time())

    # ---- credentials ------------------------------------------------------

    def issue(self, account, arn, userid, seconds):
        key = "ASIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
                               for _ in range(16))
        c = {"secret": secrets.token_urlsafe(30)[:40], "account": account,
             "token": "FQoGZXIvYXdzE" + base64.b64encode(secrets.token_bytes(150)).decode(),
             "exp": int(time.time()) + seconds, "arn": arn, "userid": userid}
        with self.lock:
            self.creds[key] = c
        return key, c

    # ---- faults -----------------------------------------------------------

    def take_fault(self, service, action, region, account):
        with self.lock:
            for f in self.faults:
                if f["count"] == 0:
                    continue
                if any(f.get(k) not in (None, "", "*") and f.get(k) != v for k, v in (
                        ("service", service), ("action", action), ("region", region),
                        ("account", account))):
                    continue
                if f["count"] > 0:
                    f["count"] -= 1
                return dict(f)
        return None

    def record(self, ctx, status):
        entry = {"service": ctx.service, "action": ctx.action, "region": ctx.region,
                 "account": ctx.account, "status": status, "signed_ok": ctx.signed_ok,
                 "method": ctx.method, "path": ctx.path}
        if ctx.fault:
            entry["fault"] = ctx.fault
        with self.lock:
            self.log.append(entry)
            if len(self.log) > 200000:
                del self.log[:100000]

    # ---- AWS requests -----------------------------------------------------

    def dispatch(self, ctx):
        """(status, headers, body) of an AWS API request."""
        auth = sigv4.parse_authorization(ctx.header("Authorization"))
        form = {}
        ctype = (ctx.header("Content-Type") or "").lower()
        if ctx.method == "POST" and "x-www-form-urlencoded" in ctype:
            form = parse_form(ctx.body)
        if auth is None:
            return self.unsigned(ctx, form)
        ctx.service, ctx.region, ctx.access_key = auth.service, auth.region, auth.access_key
        if ctx.service not in SERVICES:
            ctx.proto = "query"
            raise AwsError("InvalidAction", "Service %s is not served here" % ctx.service)
        ctx.proto = SERVICES[ctx.service][0]
        self.classify(ctx, form)
        self.authenticate(ctx, auth)
        ctx.signed_ok = True
        return self.serve(ctx)

    def classify(self, ctx, form):
        """Protocol, action and parameters, before authentication so that
        even a rejected request is logged with its action."""
        target = ctx.header("X-Amz-Target")
        if ctx.service == "monitoring" and target:
            ctx.proto = "json"  # CloudWatch's JSON 1.0 protocol (newer SDKs)
        if ctx.proto in ("ec2", "query"):
            params = {k: v[-1] for k, v in ctx.query.items()}
            params.update(form)
            ctx.params = params
            ctx.tree = unflatten({k: v for k, v in params.items()
                                  if k not in ("Action", "Version")})
            ctx.action = params.get("Action")
        elif ctx.proto == "json":
            ctx.action = (target or "").rpartition(".")[2] or None
            try:
                ctx.json = json.loads(ctx.body or b"{}")
            except ValueError:
                ctx.json = None
        elif ctx.proto == "rest-json":
            p = ctx.path
            ctx.action = ("ListFunctions" if re.fullmatch(r"/2015-03-31/functions/?", p)
                          else "ListTags" if p.startswith("/2017-03-31/tags/")
                          else "GetFunction" if p.startswith("/2015-03-31/functions/")
                          else "Unknown")
        else:
            segs = [s for s in ctx.path.split("/") if s]
            sub = next((k for k in ("location", "lifecycle", "tagging") if k in ctx.query),
                       None)
            ctx.action = ("ListBuckets" if not segs else
                          {"location": "GetBucketLocation",
                           "lifecycle": "GetBucketLifecycleConfiguration",
                           "tagging": "GetBucketTagging"}.get(
                               sub, "HeadBucket" if ctx.method == "HEAD" else "Unknown"))

    def authenticate(self, ctx, auth):
        now = time.time()  # the real clock: --now only moves the estate
        with self.lock:
            cred = self.creds.get(auth.access_key)
        if cred is None:
            code, st = code_for(ctx.proto, "unknown-key")
            raise AwsError(code, "The security token included in the request is invalid."
                           if code != "InvalidAccessKeyId" else
                           "The AWS Access Key Id you provided does not exist in our records.", st)
        token = ctx.header("X-Amz-Security-Token")
        if cred["token"] is None and token:
            code, st = code_for(ctx.proto, "bad-token")
            raise AwsError(code, "The security token included in the request is invalid.", st)
        if cred["token"] is not None:
            if not token or token.strip() != cred["token"]:
                code, st = code_for(ctx.proto, "bad-token")
                raise AwsError(code, "The security token included in the request is invalid.",
                               st)
            if cred["exp"] is not None and now >= cred["exp"]:
                code, st = code_for(ctx.proto, "expired-token")
                raise AwsError(code, "The security token included in the request is expired",
                               st)
        ctx.account = cred["account"]
        ctx.principal = cred
        amz_date = ctx.header("X-Amz-Date")
        if not amz_date:
            raise AwsError("IncompleteSignature" if ctx.proto != "rest-xml" else "AccessDenied",
                           "Authorization header requires existence of either a 'X-Amz-Date' "
                           "or a 'Date' header.", 403 if ctx.proto != "rest-xml" else 403)
        try:
            t = datetime.datetime.strptime(amz_date.strip(), "%Y%m%dT%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc).timestamp()
        except ValueError:
            raise AwsError("IncompleteSignature", "X-Amz-Date '%s' is not YYYYMMDDTHHMMSSZ"
                           % amz_date, 403)
        signed = set(auth.signed_headers)
        if "host" not in signed:
            raise AwsError("SignatureDoesNotMatch" if ctx.proto not in ("json", "rest-json")
                           else "InvalidSignatureException",
                           "'Host' must be a 'SignedHeader' in the AWS Authorization.", 403)
        if ctx.proto == "rest-xml":
            sha = ctx.header("x-amz-content-sha256")
            if sha is None:
                raise AwsError("InvalidRequest",
                               "Missing required header for this request: x-amz-content-sha256")
            if sha.strip() not in (sigv4.UNSIGNED, hashlib.sha256(ctx.body).hexdigest()) \
                    and not sha.startswith("STREAMING-"):
                raise AwsError("XAmzContentSHA256Mismatch",
                               "The provided 'x-amz-content-sha256' header does not match what "
                               "was computed.")
        if not amz_date.startswith(auth.date) or not sigv4.signature_ok(
                auth, cred["secret"], ctx.method, ctx.target, ctx.headers, ctx.body,
                amz_date.strip()):
            code, st = code_for(ctx.proto, "bad-signature")
            raise AwsError(code, "The request signature we calculated does not match the "
                           "signature you provided. Check your AWS Secret Access Key and "
                           "signing method. Consult the service documentation for details.", st)
        if abs(now - t) > MAX_SKEW:
            code, st = code_for(ctx.proto, "skew")
            raise AwsError(code, "The difference between the request time and the current "
                           "time is too large.", st)

    def apply_fault(self, ctx):
        f = self.take_fault(ctx.service, ctx.action, ctx.region, ctx.account)
        if not f:
            return
        ctx.fault = f["kind"]
        if f["kind"] == "slow":
            time.sleep(max(0, f.get("delay_ms", 1000)) / 1000.0)
        elif f["kind"] == "drop":
            raise Drop()
        elif f["kind"] in ("throttle", "500"):
            code, st = code_for(ctx.proto, f["kind"])
            raise AwsError(code, "Rate exceeded" if f["kind"] == "throttle"
                           else "An internal error has occurred", st, sender=False)

    def serve(self, ctx):
        self.apply_fault(ctx)
        if ctx.proto == "json" and ctx.json is None:
            raise AwsError("SerializationException", "Body is not valid JSON")
        if ctx.service == "sts":
            return self.sts(ctx)
        table = {"ec2": services.EC2, "elasticloadbalancing": services.ELBV2,
                 "rds": services.RDS, "ce": services.CE,
                 "monitoring": services.CLOUDWATCH_JSON if ctx.proto == "json"
                 else services.CLOUDWATCH}.get(ctx.service)
        with self.cloud.lock:
            if ctx.service == "lambda":
                return services.lambda_route(self.cloud, ctx)
            if ctx.service == "s3":
                return services.s3_route(self.cloud, ctx)
            fn = table.get(ctx.action) if ctx.action else None
            if fn is None:
                if ctx.proto == "json":
                    raise AwsError("UnknownOperationException",
                                   "Unknown operation %s" % ctx.action)
                raise AwsError("InvalidAction", "The action %s is not valid for this web "
                               "service." % ctx.action)
            return fn(self.cloud, ctx)

    def unsigned(self, ctx, form):
        """Requests without SigV4: only STS AssumeRoleWithWebIdentity."""
        action = form.get("Action") or (ctx.query.get("Action") or [None])[-1]
        if action == "AssumeRoleWithWebIdentity":
            ctx.service, ctx.proto, ctx.action, ctx.region = "sts", "query", action, "us-east-1"
            ctx.params = dict(form)
            self.apply_fault(ctx)
            return self.sts(ctx)
        target = ctx.header("X-Amz-Target")
        ctx.action = action or (target or "").rpartition(".")[2] or None
        version = form.get("Version") or (ctx.query.get("Version") or [None])[-1]
        ctx.proto = ("json" if target else "ec2" if version == SERVICES["ec2"][1]
                     else "query" if action else "rest-xml")
        if ctx.proto == "rest-xml":
            raise AwsError("AccessDenied", "Anonymous access is not allowed", 403)
        raise AwsError("MissingAuthenticationToken" if ctx.proto == "query"
                       else "MissingAuthenticationTokenException",
                       "Request is missing Authentication Token", 403)

    # ---- STS --------------------------------------------------------------

    def sts(self, ctx):
        p = ctx.params
        if ctx.action == "GetCallerIdentity":
            c = ctx.principal
            return query_response(STS_NS, ctx.action, [
                ("Arn", c["arn"]), ("UserId", c["userid"]), ("Account", c["account"])], ctx.rid)
        if ctx.action not in ("AssumeRole", "AssumeRoleWithWebIdentity"):
            raise AwsError("InvalidAction", "Could not find operation %s for version 2011-06-15"
                           % ctx.action)
        arn = p.get("RoleArn", "")
        m = re.fullmatch(r"arn:aws:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})", arn)
        if not m:
            raise AwsError("ValidationError", "%s is invalid" % (arn or "RoleArn"))
        session = p.get("RoleSessionName", "")
        if not re.fullmatch(r"[\w+=,.@-]{2,64}", session):
            raise AwsError("ValidationError", "1 validation error detected: Value '%s' at "
                           "'roleSessionName' failed to satisfy constraint" % session)
        try:
            seconds = int(p.get("DurationSeconds") or 3600)
        except ValueError:
            seconds = -1
        if seconds < 900 or seconds > 43200:
            raise AwsError("ValidationError", "The requested DurationSeconds exceeds the "
                           "1 hour session limit or is below 900 seconds.")
        account, role = m.group(1), m.group(2)
        web = ctx.action == "AssumeRoleWithWebIdentity"
        if web and not p.get("WebIdentityToken"):
            raise AwsError("InvalidIdentityToken", "No OpenIDConnect provider found in your "
                           "account for the empty token")
        if account not in self.est.account_ids():
            who = "web identity" if web else ctx.principal["arn"]
            raise AwsError("AccessDenied", "User: %s is not authorized to perform: "
                           "sts:%s on resource: %s" % (who, ctx.action, arn), 403)
        role_id = "AROA" + hashlib.sha256(arn.encode()).hexdigest()[:17].upper()
        assumed = "arn:aws:sts::%s:assumed-role/%s/%s" % (account, role, session)
        key, c = self.issue(account, assumed, "%s:%s" % (role_id, session), seconds)
        fields = [("Credentials", [("AccessKeyId", key), ("SecretAccessKey", c["secret"]),
                                   ("SessionToken", c["token"]),
                                   ("Expiration", iso(c["exp"], millis=False))]),
                  ("AssumedRoleUser", [("AssumedRoleId", c["userid"]), ("Arn", assumed)])]
        if web:
            fields += [("SubjectFromWebIdentityToken", "system:serviceaccount:finops:"
                        "finops-controller"), ("Audience", "sts.amazonaws.com"),
                       ("Provider", "oidc.finops.test")]
        else:
            fields.append(("PackedPolicySize", 0))
        return query_response(STS_NS, ctx.action, fields, ctx.rid)

    # ---- IMDSv2 -----------------------------------------------------------

    def imds(self, ctx):
        now = time.time()
        ctx.service, ctx.action = "imds", ctx.method + " " + ctx.path
        f = self.take_fault("imds", None, None, None)
        if f:
            ctx.fault = f["kind"]
            if f["kind"] == "drop":
                raise Drop()
            if f["kind"] == "slow":
                time.sleep(max(0, f.get("delay_ms", 1000)) / 1000.0)
            elif f["kind"] == "throttle":
                return 429, {"Content-Type": "text/plain"}, b"Too Many Requests"
            else:
                return 500, {"Content-Type": "text/plain"}, b"Internal Server Error"
        if ctx.path == "/latest/api/token":
            ctx.action = "GetToken"
            if ctx.method != "PUT":
                return 405, {"Content-Type": "text/plain"}, b"Method Not Allowed"
            ttl = ctx.header("X-aws-ec2-metadata-token-ttl-seconds")
            try:
                ttl = int(ttl)
            except (TypeError, ValueError):
                ttl = 0
            if ttl < 1 or ttl > 21600:
                return 400, {"Content-Type": "text/plain"}, b"Bad Request"
            tok = base64.urlsafe_b64encode(secrets.token_bytes(42)).decode()
            with self.lock:
                self.imds_tokens = {k: v for k, v in self.imds_tokens.items() if v > now}
                self.imds_tokens[tok] = now + ttl
            return 200, {"Content-Type": "text/plain",
                         "X-aws-ec2-metadata-token-ttl-seconds": str(ttl)}, tok.encode()
        if ctx.method not in ("GET", "HEAD"):
            return 405, {"Content-Type": "text/plain"}, b"Method Not Allowed"
        tok = ctx.header("X-aws-ec2-metadata-token")
        with self.lock:
            ok = tok is not None and self.imds_tokens.get(tok.strip(), 0) > now
        if not ok:
            return 401, {"Content-Type": "text/plain"}, b"Unauthorized"
        ctx.signed_ok = True
        acct = self.est.accounts[0]["id"]
        region = self.est.regions[0]
        iid = "i-0" + hashlib.sha256(b"imds").hexdigest()[:16]
        base = "/latest/meta-data/iam/security-credentials"
        p = ctx.path
        text = {
            "/latest/meta-data/instance-id": iid,
            "/latest/meta-data/placement/region": region,
            "/latest/meta-data/placement/availability-zone": region + "a",
            base + "/": IMDS_ROLE, base: IMDS_ROLE,
        }.get(p)
        if text is not None:
            return 200, {"Content-Type": "text/plain"}, text.encode()
        if p in (base + "/" + IMDS_ROLE, base + "/" + IMDS_ROLE + "/"):
            ctx.action = "GetCredentials"
            with self.lock:
                c = self.imds_creds
                if c is None or c[1]["exp"] - now < 15 * 60:
                    c = self.issue(acct, "arn:aws:sts::%s:assumed-role/%s/%s" % (
                        acct, IMDS_ROLE, iid), "AROAIMDS:" + iid, 6 * 3600)
                    self.imds_creds = c
            key, cr = c
            doc = {"Code": "Success", "LastUpdated": iso(int(now), millis=False),
                   "Type": "AWS-HMAC", "AccessKeyId": key, "SecretAccessKey": cr["secret"],
                   "Token": cr["token"], "Expiration": iso(cr["exp"], millis=False)}
            return 200, {"Content-Type": "text/plain"}, json.dumps(doc, indent=2).encode()
        if p == "/latest/meta-data/iam/info":
            doc = {"Code": "Success", "LastUpdated": iso(int(now), millis=False),
                   "InstanceProfileArn": "arn:aws:iam::%s:instance-profile/%s" % (acct, IMDS_ROLE),
                   "InstanceProfileId": "AIPA" + hashlib.sha256(acct.encode()).hexdigest()[
                       :17].upper()}
            return 200, {"Content-Type": "text/plain"}, json.dumps(doc).encode()
        if p == "/latest/dynamic/instance-identity/document":
            doc = {"accountId": acct, "region": region, "availabilityZone": region + "a",
                   "instanceId": iid, "instanceType": "t3.micro", "architecture": "x86_64"}
            return 200, {"Content-Type": "text/plain"}, json.dumps(doc).encode()
        return 404, {"Content-Type": "text/plain"}, b"Not Found"

    # ---- control API ------------------------------------------------------

    def control(self, ctx):
        what = ctx.path[len("/__control/"):].strip("/")
        try:
            body = json.loads(ctx.body or b"{}")
        except ValueError:
            return jerr(400, "body is not JSON")
        m = ctx.method
        if what == "health" and m == "GET":
            return jok({"ok": True, "resources": len(self.cloud.by_id), "now": iso(
                self.now(), millis=False)})
        if what == "requests" and m == "GET":
            with self.lock:
                return jok(list(self.log))
        if what == "faults" and m == "GET":
            with self.lock:
                return jok(list(self.faults))
        if what == "faults" and m == "POST":
            kind = body.get("kind")
            if kind not in ("throttle", "500", "slow", "drop"):
                return jerr(400, "kind must be throttle, 500, slow or drop")
            f = {"kind": kind, "count": int(body.get("count", 1)),
                 "delay_ms": int(body.get("delay_ms", 1000))}
            for k in ("service", "action", "region", "account"):
                if body.get(k):
                    v = str(body[k])
                    f[k] = ALIASES.get(v, v) if k == "service" else v
            with self.lock:
                f["id"] = len(self.faults) + 1
                self.faults.append(f)
            return jok(f)
        if what == "reset" and m == "POST":
            with self.lock:
                self.faults = []
                self.log = []
                if body.get("estate"):
                    with self.cloud.lock:
                        self.load_estate()
            return jok({"ok": True})
        if what == "latency" and m == "POST":
            try:
                self.latency_ms = max(0, int(body.get("ms", 0)))
            except (TypeError, ValueError):
                return jerr(400, "ms must be an integer")
            return jok({"ms": self.latency_ms})
        return jerr(404, "unknown control endpoint %s %s" % (m, ctx.path))


def jok(obj):
    return 200, {"Content-Type": "application/json"}, json.dumps(obj).encode()


def jerr(status, msg):
    return status, {"Content-Type": "application/json"}, json.dumps({"error": msg}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "finops-awsserver/1"
    timeout = 300  # an idle keep-alive connection ends after this
    # Headers and body go out in separate writes: with Nagle on, the body
    # waits for the client's delayed ACK (40 ms) on every keep-alive reply.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        if self.server.app.args.verbose:
            BaseHTTPRequestHandler.log_message(self, fmt, *args)

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = []
            while True:
                line = self.rfile.readline(65537).strip()
                n = int(line.split(b";")[0], 16)
                if n == 0:
                    while self.rfile.readline(65537).strip():
                        pass
                    return b"".join(out)
                out.append(self.rfile.read(n))
                self.rfile.readline(3)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def handle_any(self):
        app = self.server.app
        ctx = Ctx()
        ctx.method = self.command
        ctx.target = self.path
        path, _, raw_query = self.path.partition("?")
        ctx.path = path
        ctx.query = urllib.parse.parse_qs(raw_query, keep_blank_values=True)
        ctx.headers = list(self.headers.items())
        try:
            ctx.body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        if path.startswith("/__control/"):
            return self.reply(*app.control(ctx))
        if app.latency_ms:
            time.sleep(app.latency_ms / 1000.0)
        try:
            if path.startswith("/latest/"):
                status, hdrs, body = app.imds(ctx)
            else:
                status, hdrs, body = app.dispatch(ctx)
        except Drop:
            app.record(ctx, 0)
            self.close_connection = True
            return
        except AwsError as e:
            ns = SERVICES.get(ctx.service or "", (None, None, None))[2]
            extra = [("BucketName", ctx.s3_bucket)] if ctx.s3_bucket else None
            status, hdrs, body = error_response(ctx.proto or "query", e, ctx.rid, ns,
                                                head=ctx.method == "HEAD", extra=extra)
        except Exception as e:  # a bug here must not look like a hung server
            import traceback
            traceback.print_exc()
            status, hdrs, body = error_response(ctx.proto or "query", AwsError(
                "InternalFailure", "server bug: %s" % e, 500, sender=False), ctx.rid)
        app.record(ctx, status)
        self.reply(status, hdrs, body)

    def reply(self, status, hdrs, body):
        self.send_response(status)
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--estate", required=True, help="sim estate YAML (examples/sim/estate.yaml)")
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = any)")
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--latency-ms", type=int, default=0, help="delay every API request")
    ap.add_argument("--now", help="estate clock YYYY-MM-DDTHH:MM:SSZ (default: wall clock)")
    ap.add_argument("--resources-scale", type=int, default=1,
                    help="multiply the estate's resources N times (benchmarks)")
    ap.add_argument("--regions", default="", help="extra regions for scaled copies, a,b,c")
    ap.add_argument("--accounts", type=int, default=0,
                    help="keep only the first N estate accounts (others fold onto them)")
    ap.add_argument("--dump-estate", help="write the (scaled) estate as sim YAML and exit")
    ap.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = ap.parse_args(argv)
    if args.now:
        try:
            to_epoch(args.now)
        except ValueError:
            ap.error("--now must be YYYY-MM-DDTHH:MM:SSZ")
    if args.resources_scale < 1:
        ap.error("--resources-scale must be >= 1")
    app = App(args)
    if args.dump_estate:
        with open(args.dump_estate, "w") as f:
            f.write(app.est.to_yaml())
        return 0
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.app = app
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)

    def stop(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stderr.write("awsserver: listening on 127.0.0.1:%d (%d resources)\n" % (
        port, len(app.cloud.by_id)))
    try:
        srv.serve_forever(poll_interval=0.2)
    except SystemExit:
        pass
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
