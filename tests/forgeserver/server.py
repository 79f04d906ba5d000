#!/usr/bin/python3
"""A loopback forge for tests: the pull-request REST calls finops-controller
uses, in the GitHub, GitLab or Gitea dialect (one dialect per process), with
state in memory and merges made as real commits in a bare repository.

Modelled on the public API references:
  GitHub  REST v3   /repos/{owner}/{repo}/pulls[/{n}], /issues/{n}/comments;
          Authorization: Bearer; X-RateLimit-* headers, 403/429 when out;
          errors {"message", "documentation_url"[, "errors"]}.
  GitLab  REST v4   /projects/{url-encoded path}/merge_requests[/{iid}][/notes];
          PRIVATE-TOKEN; RateLimit-* and Retry-After, 429; errors
          {"message": ...} or {"error": ...}; Link + X-Next-Page paging.
  Gitea   REST v1   /repos/{owner}/{repo}/pulls[/{index}], /issues/{i}/comments;
          Authorization: token; Link + X-Total-Count paging; errors
          {"message", "url"}.
Pages are at most --page-size long whatever the client asks, to force the
client to follow Link rel="next".

Test control (no auth), JSON bodies:
  GET  /_control/prs                      every PR with its comments
  POST /_control/merge {number, login, name, email}
                                          merge with a merge commit authored
                                          by that person (git, in --repo)
  POST /_control/close {number}           a person closes it
  POST /_control/ratelimit {count, retry_after}
                                          the next count API calls are refused
  POST /_control/fail {count, status}     the next count API calls fail
  GET  /_control/log                      method + path of every API call
With --state-file the state survives a restart (a forge outage in tests).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"prs": {}, "next": 1, "ratelimit": 0, "retry_after": 1, "fail": 0,
         "fail_status": 502, "log": []}


def git(repo, *args, env=None):
    return subprocess.run(["git", "--git-dir", repo] + list(args), check=True,
                          capture_output=True, text=True, env=env).stdout.strip()


def branch_exists(repo, name):
    return subprocess.run(["git", "--git-dir", repo, "rev-parse", "--verify", "-q",
                           "refs/heads/" + name], capture_output=True).returncode == 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    opts = None

    def log_message(self, fmt, *args):  # quiet; the log endpoint has it all
        pass

    # ---- plumbing -------------------------------------------------------
    def send_json(self, status, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return None

    def error(self, status, message, extra=None):
        d = self.opts.dialect
        if d == "github":
            obj = {"message": message,
                   "documentation_url": "https://docs.github.com/rest"}
        elif d == "gitlab":
            obj = {"message": message if status != 404 else "404 Not found"}
        else:
            obj = {"message": message, "url": "https://gitea.example/api/swagger"}
        if extra:
            obj.update(extra)
        self.send_json(status, obj)

    def rate_headers(self, remaining):
        reset = int(time.time()) + STATE["retry_after"]
        if self.opts.dialect == "gitlab":
            return {"RateLimit-Limit": "600", "RateLimit-Remaining": str(remaining),
                    "RateLimit-Reset": str(reset)}
        return {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": str(reset)}

    # ---- dialect views ----------------------------------------------------
    def view(self, pr):
        d = self.opts.dialect
        if d == "gitlab":
            state = "merged" if pr["merged"] else \
                "opened" if pr["state"] == "open" else "closed"
            return {"id": 1000 + pr["number"], "iid": pr["number"], "state": state,
                    "title": pr["title"], "description": pr["body"],
                    "source_branch": pr["head"], "target_branch": pr["base"],
                    "merged_by": {"username": pr["merged_by"]} if pr["merged_by"] else None,
                    "web_url": "http://gitlab.test/%s/-/merge_requests/%d"
                    % (self.opts.project, pr["number"])}
        return {"id": 1000 + pr["number"], "number": pr["number"],
                "state": "closed" if pr["state"] != "open" else "open",
                "title": pr["title"], "body": pr["body"],
                "head": {"ref": pr["head"], "label": pr["head"]},
                "base": {"ref": pr["base"]},
                "merged": pr["merged"],
                "merged_at": "2026-11-20T12:00:00Z" if pr["merged"] else None,
                "merged_by": {"login": pr["merged_by"]} if pr["merged_by"] else None,
                "html_url": "http://forge.test/%s/pull/%d" % (self.opts.project,
                                                             pr["number"])}

    def authorized(self):
        d, tok = self.opts.dialect, self.opts.token
        if d == "gitlab":
            return self.headers.get("PRIVATE-TOKEN") == tok
        want = ("Bearer " if d == "github" else "token ") + tok
        return self.headers.get("Authorization") == want

    def prefix(self):
        if self.opts.dialect == "gitlab":
            return "/api/v4/projects/" + urllib.parse.quote(self.opts.project, safe="")
        if self.opts.dialect == "gitea":
            return "/api/v1/repos/" + self.opts.project
        return "/repos/" + self.opts.project

    # ---- dispatch ---------------------------------------------------------
    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_PUT(self):
        self.dispatch("PUT")

    def dispatch(self, method):
        try:
            self.dispatch_inner(method)
        finally:
            if self.opts.state_file:
                with LOCK:
                    tmp = self.opts.state_file + ".tmp"
                    with open(tmp, "w") as f:
                        json.dump(STATE, f)
                    os.rename(tmp, self.opts.state_file)

    def dispatch_inner(self, method):
        url = urllib.parse.urlsplit(self.path)
        # http.server keeps the raw path: GitLab's %2F stays encoded
        path, query = url.path, urllib.parse.parse_qs(url.query)
        if path.startswith("/_control/"):
            return self.control(method, path[len("/_control/"):])
        with LOCK:
            STATE["log"].append("%s %s" % (method, self.path))
            if STATE["fail"] > 0:
                STATE["fail"] -= 1
                return self.error(STATE["fail_status"], "Server Error")
            if STATE["ratelimit"] > 0:
                STATE["ratelimit"] -= 1
                status = 403 if self.opts.dialect == "github" else 429
                h = self.rate_headers(0)
                h["Retry-After"] = str(STATE["retry_after"])
                data = {"message": "API rate limit exceeded"}
                return self.send_json(status, data, h)
        if not self.authorized():
            msg = "401 Unauthorized" if self.opts.dialect == "gitlab" else "Bad credentials"
            return self.error(401, msg)
        pre = self.prefix()
        if not path.startswith(pre + "/"):
            return self.error(404, "Not Found")
        rest = path[len(pre) + 1:].split("/")
        coll = "merge_requests" if self.opts.dialect == "gitlab" else "pulls"
        with LOCK:
            if rest == [coll] and method == "GET":
                return self.list_prs(query)
            if rest == [coll] and method == "POST":
                return self.create(self.body())
            if len(rest) == 2 and rest[0] == coll and rest[1].isdigit():
                pr = STATE["prs"].get(int(rest[1]))
                if not pr:
                    return self.error(404, "Not Found")
                if method == "GET":
                    return self.send_json(200, self.view(pr), self.rate_headers(4999))
                if method == ("PUT" if self.opts.dialect == "gitlab" else "PATCH"):
                    return self.update(pr, self.body())
            comments = ["merge_requests", None, "notes"] if self.opts.dialect == "gitlab" \
                else ["issues", None, "comments"]
            if len(rest) == 3 and rest[0] == comments[0] and rest[2] == comments[2] \
                    and rest[1].isdigit() and method == "POST":
                pr = STATE["prs"].get(int(rest[1]))
                b = self.body()
                if not pr:
                    return self.error(404, "Not Found")
                if not b or not isinstance(b.get("body"), str) or not b["body"]:
                    return self.error(400 if self.opts.dialect == "gitlab" else 422,
                                      "body is missing")
                pr["comments"].append(b["body"])
                return self.send_json(201, {"id": len(pr["comments"]), "body": b["body"]})
        return self.error(404, "Not Found")

    def list_prs(self, query):
        d = self.opts.dialect
        want = (query.get("state") or ["open"])[0]
        size_key = "limit" if d == "gitea" else "per_page"
        size = min(int((query.get(size_key) or ["30"])[0]), self.opts.page_size)
        page = int((query.get("page") or ["1"])[0])
        items = []
        for n in sorted(STATE["prs"]):
            pr = STATE["prs"][n]
            st = self.view(pr)["state"]
            if want in ("all",) or st == want:
                items.append(pr)
        last = max(1, (len(items) + size - 1) // size)
        chunk = items[(page - 1) * size: page * size]
        headers = self.rate_headers(4999)
        links = []
        base = "http://127.0.0.1:%d%s" % (self.server.server_address[1],
                                         urllib.parse.urlsplit(self.path).path)

        def link(p, rel):
            q = dict((k, v[0]) for k, v in query.items())
            q["page"] = str(p)
            return '<%s?%s>; rel="%s"' % (base, urllib.parse.urlencode(q), rel)
        if page < last:
            links.append(link(page + 1, "next"))
            if d == "gitlab":
                headers["X-Next-Page"] = str(page + 1)
        if page > 1:
            links.append(link(page - 1, "prev"))
        links.append(link(1, "first"))
        links.append(link(last, "last"))
        headers["Link"] = ", ".join(links)
        headers["X-Total-Count" if d == "gitea" else "X-Total"] = str(len(items))
        self.send_json(200, [self.view(p) for p in chunk], headers)

    def create(self, b):
        d = self.opts.dialect
        if b is None:
            return self.error(400, "Problems parsing JSON")
        hk, bk, tk = ("source_branch", "description", "target_branch") if d == "gitlab" \
            else ("head", "body", "base")
        head, base, title = b.get(hk), b.get(tk), b.get("title")
        if not head or not base or not title:
            if d == "github":
                return self.error(422, "Validation Failed",
                                  {"errors": [{"resource": "PullRequest",
                                               "code": "missing_field", "field": hk}]})
            return self.error(400 if d == "gitlab" else 422, "%s is missing" % hk)
        if not branch_exists(self.opts.repo, head) or not branch_exists(self.opts.repo, base):
            if d == "github":
                return self.error(422, "Validation Failed",
                                  {"errors": [{"resource": "PullRequest", "code": "invalid",
                                               "field": "head"}]})
            return self.error(404 if d == "gitea" else 422, "branch not found")
        for pr in STATE["prs"].values():
            if pr["head"] == head and pr["state"] == "open":
                if d == "github":
                    return self.error(422, "Validation Failed", {"errors": [{
                        "resource": "PullRequest", "code": "custom",
                        "message": "A pull request already exists for %s:%s." % (
                            self.opts.project.split("/")[0], head)}]})
                if d == "gitlab":
                    return self.send_json(409, {"message": [
                        "Another open merge request already exists for this source "
                        "branch: !%d" % pr["number"]]})
                return self.error(409, "pull request already exists for these targets")
        n = STATE["next"]
        STATE["next"] += 1
        pr = {"number": n, "head": head, "base": base, "title": title,
              "body": b.get(bk) or "", "state": "open", "merged": False,
              "merged_by": None, "comments": [],
              "remove_source_branch": bool(b.get("remove_source_branch"))}
        STATE["prs"][n] = pr
        self.send_json(201, self.view(pr), self.rate_headers(4999))

    def update(self, pr, b):
        d = self.opts.dialect
        if b is None:
            return self.error(400, "Problems parsing JSON")
        bk = "description" if d == "gitlab" else "body"
        if "title" in b:
            pr["title"] = b["title"]
        if bk in b:
            pr["body"] = b[bk]
        if d == "gitlab":
            if b.get("state_event") == "close":
                pr["state"] = "closed"
            elif b.get("state_event") == "reopen":
                pr["state"] = "open"
        elif b.get("state") in ("closed", "open"):
            pr["state"] = b["state"]
        self.send_json(200, self.view(pr), self.rate_headers(4999))

    # ---- control ----------------------------------------------------------
    def control(self, method, what):
        b = self.body() if method == "POST" else {}
        with LOCK:
            if what == "prs":
                return self.send_json(200, [dict(p) for _, p in sorted(STATE["prs"].items())])
            if what == "log":
                return self.send_json(200, STATE["log"])
            if what == "ratelimit":
                STATE["ratelimit"] = int(b.get("count", 1))
                STATE["retry_after"] = int(b.get("retry_after", 1))
                return self.send_json(200, {})
            if what == "fail":
                STATE["fail"] = int(b.get("count", 1))
                STATE["fail_status"] = int(b.get("status", 502))
                return self.send_json(200, {})
            pr = STATE["prs"].get(int(b.get("number", 0)))
            if not pr:
                return self.send_json(404, {"message": "no such PR"})
            if what == "close":
                pr["state"] = "closed"
                return self.send_json(200, {})
            if what == "merge":
                try:
                    self.merge(pr, b)
                except subprocess.CalledProcessError as e:
                    return self.send_json(409, {"message": "merge failed: %s" % e.stderr})
                return self.send_json(200, {})
        self.send_json(404, {"message": "unknown control"})

    def merge(self, pr, b):
        """A merge commit on the base branch, authored and committed by the
        approver, as the forges' merge button makes it."""
        env = dict(os.environ, GIT_AUTHOR_NAME=b["name"], GIT_AUTHOR_EMAIL=b["email"],
                   GIT_COMMITTER_NAME=b["name"], GIT_COMMITTER_EMAIL=b["email"])
        tmp = tempfile.mkdtemp(prefix="forge-merge-")
        try:
            wt = os.path.join(tmp, "wt")
            subprocess.run(["git", "clone", "-q", "-b", pr["base"], self.opts.repo, wt],
                           check=True, capture_output=True, text=True, env=env)
            subprocess.run(["git", "-C", wt, "fetch", "-q", "origin",
                            "refs/heads/%s:refs/remotes/origin/pr" % pr["head"]],
                           check=True, capture_output=True, text=True, env=env)
            subprocess.run(["git", "-C", wt, "merge", "-q", "--no-ff", "-m",
                            "Merge pull request #%d from %s" % (pr["number"], pr["head"]),
                            "origin/pr"], check=True, capture_output=True, text=True, env=env)
            subprocess.run(["git", "-C", wt, "push", "-q", "origin", pr["base"]],
                           check=True, capture_output=True, text=True, env=env)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        pr["merged"] = True
        pr["state"] = "closed"
        pr["merged_by"] = b["login"]
        if pr.get("remove_source_branch"):
            git(self.opts.repo, "update-ref", "-d", "refs/heads/" + pr["head"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dialect", choices=["github", "gitlab", "gitea"], required=True)
    ap.add_argument("--repo", required=True, help="bare repository the PRs are on")
    ap.add_argument("--project", required=True, help="owner/name")
    ap.add_argument("--token", required=True)
    ap.add_argument("--page-size", type=int, default=2)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--state-file", help="keep PRs across restarts (a forge outage)")
    opts = ap.parse_args()
    if opts.state_file and os.path.exists(opts.state_file):
        with open(opts.state_file) as f:
            STATE.update(json.load(f))
        STATE["prs"] = dict((int(k), v) for k, v in STATE["prs"].items())
    Handler.opts = opts
    srv = ThreadingHTTPServer(("127.0.0.1", opts.port), Handler)
    tmp = opts.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, opts.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
