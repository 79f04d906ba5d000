"""sigv4.py - server-side AWS Signature Version 4 verification.

Input: the raw request (method, request-target as sent, headers, body).
Output: the parsed Authorization header and whether the signature matches,
computed the way AWS does:

  canonical request = method \n canonical URI \n canonical query \n
                      canonical headers \n signed headers \n payload hash
  canonical URI     = the path as sent, URI-encoded once more per segment
                      (normalised), except for s3, which uses it as sent
  canonical query   = every name=value pair decoded, re-encoded with the
                      RFC 3986 unreserved set, sorted by name then value
  payload hash      = hex SHA-256 of the body; s3 uses x-amz-content-sha256
                      (which may be UNSIGNED-PAYLOAD)
  string to sign    = AWS4-HMAC-SHA256 \n X-Amz-Date \n scope \n hex(SHA-256(CR))
  key               = HMAC chain "AWS4"+secret, date, region, service, aws4_request

Nothing here keeps state; secrets never leave this module's arguments.
"""
import hashlib
import hmac
import re
import urllib.parse

AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request\s*,"
    r"\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]{64})\s*$")

UNSIGNED = "UNSIGNED-PAYLOAD"


class Auth:
    __slots__ = ("access_key", "date", "region", "service", "signed_headers", "signature")


def parse_authorization(value):
    """The fields of an Authorization header, or None when it is not SigV4."""
    m = AUTH_RE.match(value or "")
    if not m:
        return None
    a = Auth()
    a.access_key, a.date, a.region, a.service = m.group(1), m.group(2), m.group(3), m.group(4)
    a.signed_headers = m.group(5).split(";")
    a.signature = m.group(6)
    return a


def uri_encode(s, keep_slash=False):
    return urllib.parse.quote(s, safe="-_.~" + ("/" if keep_slash else ""))


def normalize_path(path):
    """RFC 3986 remove_dot_segments, keeping a trailing slash (as botocore)."""
    if not path:
        return "/"
    parts = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if parts:
                parts.pop()
        else:
            parts.append(seg)
    out = "/" + "/".join(parts)
    if path.endswith("/") and out != "/":
        out += "/"
    return out


def canonical_uri(raw_path, service):
    if service == "s3":
        return raw_path or "/"
    return urllib.parse.quote(normalize_path(raw_path), safe="/~")


def canonical_query(raw_query):
    pairs = []
    for part in raw_query.split("&") if raw_query else []:
        if not part:
            continue
        k, _, v = part.partition("=")
        k = urllib.parse.unquote(k)
        v = urllib.parse.unquote(v)
        pairs.append((uri_encode(k), uri_encode(v)))
    pairs.sort()
    return "&".join("%s=%s" % p for p in pairs)


def canonical_headers(headers, signed):
    """headers: list of (name, value) as received; signed: lower-case names."""
    lines = []
    for name in signed:
        vals = [" ".join(v.strip().split()) for k, v in headers if k.lower() == name]
        lines.append("%s:%s\n" % (name, ",".join(vals)))
    return "".join(lines)


def signing_key(secret, date, region, service):
    k = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def expected_signature(auth, secret, method, target, headers, body, amz_date):
    """Hex signature the client should have sent; target is the raw request
    target (path?query) exactly as on the request line."""
    path, _, query = target.partition("?")
    payload = hashlib.sha256(body).hexdigest()
    if auth.service == "s3":
        for k, v in headers:
            if k.lower() == "x-amz-content-sha256":
                payload = v.strip()
    creq = "\n".join([
        method.upper(),
        canonical_uri(path, auth.service),
        canonical_query(query),
        canonical_headers(headers, auth.signed_headers),
        ";".join(auth.signed_headers),
        payload,
    ])
    scope = "%s/%s/%s/aws4_request" % (auth.date, auth.region, auth.service)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    key = signing_key(secret, auth.date, auth.region, auth.service)
    return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()


def signature_ok(auth, secret, method, target, headers, body, amz_date):
    want = expected_signature(auth, secret, method, target, headers, body, amz_date)
    return hmac.compare_digest(want, auth.signature)
