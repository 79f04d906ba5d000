"""protocol.py - AWS wire protocols: request parsing, response and error envelopes.

Five protocols, as the botocore service models name them:
  ec2       query request, <ActionResponse xmlns=...><requestId/>...; errors
            <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/>
  query     elbv2, rds, cloudwatch, sts: <ActionResponse><ActionResult>...
            <ResponseMetadata><RequestId/>; errors <ErrorResponse><Error>
            <Type/><Code/><Message/></Error><RequestId/></ErrorResponse>
  json      cost explorer (1.1), cloudwatch (1.0): X-Amz-Target; errors
            {"__type": Code, "message": ...} + x-amzn-ErrorType
  rest-json lambda: path routes; errors x-amzn-ErrorType + {"Type","message"}
  rest-xml  s3: path-style routes; errors <Error><Code/><Message/>...

Stateless helpers only.
"""
import json
import re
import urllib.parse
import uuid
from xml.sax.saxutils import escape

EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"

# Signing name -> (protocol, API version, XML namespace or JSON target prefix)
SERVICES = {
    "ec2": ("ec2", "2016-11-15", EC2_NS),
    "elasticloadbalancing": ("query", "2015-12-01",
                             "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"),
    "rds": ("query", "2014-10-31", "http://rds.amazonaws.com/doc/2014-10-31/"),
    "monitoring": ("query", "2010-08-01", "http://monitoring.amazonaws.com/doc/2010-08-01/"),
    "sts": ("query", "2011-06-15", "https://sts.amazonaws.com/doc/2011-06-15/"),
    "lambda": ("rest-json", "2015-03-31", None),
    "s3": ("rest-xml", "2006-03-01", S3_NS),
    "ce": ("json", "2017-10-25", "AWSInsightsIndexService"),
}

# Names people use in /__control/faults for the signing names above.
ALIASES = {"elbv2": "elasticloadbalancing", "elb": "elasticloadbalancing",
           "cloudwatch": "monitoring", "costexplorer": "ce"}


class AwsError(Exception):
    def __init__(self, code, message, status=400, sender=True):
        Exception.__init__(self, message)
        self.code = code
        self.message = message
        self.status = status
        self.sender = sender


def new_request_id():
    return str(uuid.uuid4())


# ---- query parameters ----------------------------------------------------

def parse_form(body):
    """Form body -> {name: value} (last value wins, as AWS)."""
    out = {}
    for k, v in urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        out[k] = v
    return out


def unflatten(params):
    """Query-protocol keys ("Filter.1.Value.2", "X.member.3.Y") -> nested
    dicts and lists; "member" segments vanish, numbered segments are list
    indices (1-based, sorted)."""
    root = {}
    for key, val in params.items():
        segs = [s for s in key.split(".") if s != "member"]
        node = root
        for s in segs[:-1]:
            nxt = node.get(s)
            if not isinstance(nxt, dict):
                nxt = {}
                node[s] = nxt
            node = nxt
        if segs:
            node[segs[-1]] = val
    return _lists(root)


def _lists(node):
    if not isinstance(node, dict):
        return node
    if node and all(re.fullmatch(r"\d+", k) for k in node):
        return [_lists(node[k]) for k in sorted(node, key=int)]
    return {k: _lists(v) for k, v in node.items()}


def as_list(v):
    if v is None:
        return []
    if isinstance(v, list):
        return v
    return [v]


# ---- XML -----------------------------------------------------------------

class Raw(str):
    """Already-rendered XML content, put inside its element as is."""


def X(name, v):
    """<name>v</name>: v is None (omitted), a scalar, a list of (name, v),
    or Raw XML."""
    if v is None:
        return ""
    if isinstance(v, Raw):
        return "<%s>%s</%s>" % (name, v, name)
    if isinstance(v, bool):
        t = "true" if v else "false"
    elif isinstance(v, (list, tuple)):
        return "<%s>%s</%s>" % (name, "".join(X(k, c) for k, c in v), name)
    elif isinstance(v, float):
        t = repr(v)
    else:
        t = escape(str(v))
    return "<%s>%s</%s>" % (name, t, name)


def xml_doc(body):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()


def ec2_response(action, fields, rid):
    body = '<%sResponse xmlns="%s"><requestId>%s</requestId>%s</%sResponse>' % (
        action, EC2_NS, rid, "".join(X(k, v) for k, v in fields), action)
    return 200, {"Content-Type": "text/xml;charset=UTF-8"}, xml_doc(body)


def query_response(ns, action, fields, rid):
    body = ('<%sResponse xmlns="%s"><%sResult>%s</%sResult>'
            '<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>') % (
        action, ns, action, "".join(X(k, v) for k, v in fields), action, rid, action)
    return 200, {"Content-Type": "text/xml", "x-amzn-RequestId": rid}, xml_doc(body)


def json_response(obj, rid, content_type="application/x-amz-json-1.1", status=200):
    return status, {"Content-Type": content_type, "x-amzn-RequestId": rid}, json.dumps(obj).encode()


def error_response(proto, err, rid, ns=None, head=False, extra=None):
    """The error envelope of a protocol."""
    if proto == "ec2":
        body = xml_doc("<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error>"
                       "</Errors><RequestID>%s</RequestID></Response>" % (
                           escape(err.code), escape(err.message), rid))
        hdrs = {"Content-Type": "text/xml;charset=UTF-8"}
    elif proto == "query":
        body = xml_doc('<ErrorResponse%s><Error><Type>%s</Type><Code>%s</Code>'
                       "<Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>" % (
                           ' xmlns="%s"' % ns if ns else "", "Sender" if err.sender else "Receiver", escape(err.code),
                           escape(err.message), rid))
        hdrs = {"Content-Type": "text/xml", "x-amzn-RequestId": rid}
    elif proto == "rest-xml":
        more = "".join(X(k, v) for k, v in (extra or []))
        body = xml_doc("<Error><Code>%s</Code><Message>%s</Message>%s<RequestId>%s</RequestId>"
                       "<HostId>%s</HostId></Error>" % (escape(err.code), escape(err.message),
                                                       more, rid, rid))
        hdrs = {"Content-Type": "application/xml", "x-amz-request-id": rid, "x-amz-id-2": rid}
    elif proto == "rest-json":
        body = json.dumps({"Type": "User" if err.sender else "Service",
                           "message": err.message}).encode()
        hdrs = {"Content-Type": "application/json", "x-amzn-RequestId": rid,
                "x-amzn-ErrorType": err.code}
    else:
        body = json.dumps({"__type": err.code, "message": err.message}).encode()
        hdrs = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": rid,
                "x-amzn-ErrorType": err.code}
    if err.status == 429 or err.code in ("SlowDown", "RequestLimitExceeded"):
        hdrs["Retry-After"] = "1"
    if head:
        body = b""
    return err.status, hdrs, body


# Codes per protocol for the failures the server itself produces.
def code_for(proto, what):
    json_like = proto in ("json", "rest-json")
    table = {
        "bad-signature": ("InvalidSignatureException", 403) if json_like
        else ("SignatureDoesNotMatch", 403),
        "unknown-key": ("UnrecognizedClientException", 403) if json_like
        else ("InvalidAccessKeyId", 403) if proto == "rest-xml"
        else ("InvalidClientTokenId", 403),
        "bad-token": ("UnrecognizedClientException", 403) if json_like
        else ("InvalidToken", 400) if proto == "rest-xml"
        else ("InvalidClientTokenId", 403),
        "expired-token": ("ExpiredTokenException", 403) if json_like
        else ("ExpiredToken", 400) if proto == "rest-xml"
        else ("ExpiredToken", 403),
        "skew": ("RequestTimeTooSkewed", 403),
        "throttle": {"ec2": ("RequestLimitExceeded", 503), "query": ("Throttling", 400),
                     "json": ("ThrottlingException", 400),
                     "rest-json": ("TooManyRequestsException", 429),
                     "rest-xml": ("SlowDown", 503)}[proto],
        "500": {"ec2": ("InternalError", 500), "query": ("InternalFailure", 500),
                "json": ("InternalFailure", 500), "rest-json": ("ServiceException", 500),
                "rest-xml": ("InternalError", 500)}[proto],
    }
    return table[what]
