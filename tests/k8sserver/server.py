#!/usr/bin/python3
"""A loopback Kubernetes API server with just the coordination.k8s.io/v1
Lease API, for the sharding tests (controller/shard, docs/scaling.md).

    server.py --token-file F --port-file P --log L [--namespace NS]

Listens on 127.0.0.1 (an ephemeral port, written to P once bound).  Every
request needs `Authorization: Bearer <token of F>` (else 401).  Leases are
kept in memory with the API server's optimistic concurrency: one global,
increasing resourceVersion; create of an existing name is 409 AlreadyExists;
an update whose metadata.resourceVersion is not the current one is 409
Conflict; get of a missing Lease is 404.  Every write (accepted or refused)
is appended to L as one JSON line {t, op, name, code, holder, prev_holder,
rv, renewTime} where t is the server's clock in ms at the decision, so tests
can rebuild who held which Lease when.
"""
import argparse
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/apis/coordination.k8s.io/v1/namespaces/"
LOCK = threading.Lock()
LEASES = {}  # (ns, name) -> lease dict
RV = [0]


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure",
            "message": message, "reason": reason, "code": code}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "k8s-lease-test/1"

    def log_message(self, fmt, *args):  # quiet: the write log is the record
        pass

    def reply(self, code, doc):
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def record(self, op, name, code, lease=None, prev=None):
        entry = {"t": int(time.time() * 1000), "op": op, "name": name, "code": code,
                 "holder": (lease or {}).get("spec", {}).get("holderIdentity", ""),
                 "prev_holder": (prev or {}).get("spec", {}).get("holderIdentity", ""),
                 "rv": (lease or {}).get("metadata", {}).get("resourceVersion", ""),
                 "renewTime": (lease or {}).get("spec", {}).get("renewTime", "")}
        with open(self.server.log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def route(self):
        if self.headers.get("Authorization", "") != "Bearer " + self.server.token:
            self.reply(401, status(401, "Unauthorized", "Unauthorized"))
            return None
        m = re.fullmatch(re.escape(PREFIX) + r"([a-z0-9-]+)/leases(?:/([a-z0-9.-]+))?",
                         self.path.split("?")[0])
        if not m:
            self.reply(404, status(404, "NotFound", "the server could not find the resource"))
            return None
        return m.group(1), m.group(2)

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        try:
            doc = json.loads(self.rfile.read(n) or b"null")
        except ValueError:
            doc = None
        if not isinstance(doc, dict) or not isinstance(doc.get("metadata"), dict):
            self.reply(400, status(400, "BadRequest", "not a Lease"))
            return None
        return doc

    def do_GET(self):
        r = self.route()
        if not r:
            return
        ns, name = r
        with LOCK:
            if name is None:
                items = [v for (n, _), v in sorted(LEASES.items()) if n == ns]
                self.reply(200, {"kind": "LeaseList", "apiVersion": "coordination.k8s.io/v1",
                                 "metadata": {"resourceVersion": str(RV[0])}, "items": items})
            elif (ns, name) in LEASES:
                self.reply(200, LEASES[(ns, name)])
            else:
                self.reply(404, status(404, "NotFound",
                                       'leases.coordination.k8s.io "%s" not found' % name))

    def do_POST(self):
        r = self.route()
        if not r:
            return
        ns, name = r
        doc = self.body()
        if doc is None:
            return
        name = doc["metadata"].get("name", "")
        with LOCK:
            if r[1] is not None or not name:
                self.reply(405, status(405, "MethodNotAllowed", "create on the collection"))
            elif (ns, name) in LEASES:
                self.record("create", name, 409, doc, LEASES[(ns, name)])
                self.reply(409, status(409, "AlreadyExists",
                                       'leases.coordination.k8s.io "%s" already exists' % name))
            else:
                RV[0] += 1
                doc["metadata"].update({"namespace": ns, "resourceVersion": str(RV[0]),
                                        "uid": "uid-%d" % RV[0]})
                doc.setdefault("spec", {})
                LEASES[(ns, name)] = doc
                self.record("create", name, 201, doc)
                self.reply(201, doc)

    def do_PUT(self):
        r = self.route()
        if not r:
            return
        ns, name = r
        doc = self.body()
        if doc is None:
            return
        with LOCK:
            cur = LEASES.get((ns, name))
            want = doc["metadata"].get("resourceVersion", "")
            if name is None or doc["metadata"].get("name") != name:
                self.reply(400, status(400, "BadRequest", "name does not match the URL"))
            elif cur is None:
                self.record("update", name, 404, doc)
                self.reply(404, status(404, "NotFound",
                                       'leases.coordination.k8s.io "%s" not found' % name))
            elif want and want != cur["metadata"]["resourceVersion"]:
                self.record("update", name, 409, doc, cur)
                self.reply(409, status(409, "Conflict",
                                       'Operation cannot be fulfilled on leases.coordination.'
                                       'k8s.io "%s": the object has been modified; please '
                                       'apply your changes to the latest version and try '
                                       'again' % name))
            else:
                RV[0] += 1
                doc["metadata"].update({"namespace": ns, "resourceVersion": str(RV[0]),
                                        "uid": cur["metadata"].get("uid", "")})
                LEASES[(ns, name)] = doc
                self.record("update", name, 200, doc, cur)
                self.reply(200, doc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(a.token_file) as f:
        srv.token = f.read().strip()
    srv.log_path = a.log
    open(a.log, "a").close()
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
