#!/usr/bin/python3
"""check_rendered.py - checks every object the chart renders for one values
file: it parses, it is a Kubernetes object with the chart's labels, and the
Deployment is what the controller needs (non-root, read-only root, no
capabilities, RuntimeDefault seccomp, resources, probes on /healthz and
/readyz at the port it listens on, the state directory on the PVC, every
Secret either rendered or named in the values as existing).

Usage: check_rendered.py CHART_DIR RENDERED.yaml RELEASE NAMESPACE [VALUES.yaml...]
The values are merged here on their own (maps merge, the rest replaces,
null deletes), not taken from the renderer.  Prints every problem; exit 1
when there is one.
"""
import copy
import glob
import os
import sys

import yaml

STATE_DIR = "/var/lib/finops-controller"
LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/instance",
          "app.kubernetes.io/version", "app.kubernetes.io/managed-by",
          "helm.sh/chart")


def merge(dst, src):
    for k, v in src.items():
        if v is None:
            dst.pop(k, None)
        elif isinstance(v, dict) and isinstance(dst.get(k), dict):
            merge(dst[k], v)
        else:
            dst[k] = copy.deepcopy(v)
    return dst


class Checker:
    def __init__(self):
        self.problems = []

    def expect(self, cond, what):
        if not cond:
            self.problems.append(what)
        return cond


def main(argv):
    chart, rendered, release, namespace = argv[1:5]
    values = yaml.safe_load(open(os.path.join(chart, "values.yaml")))
    for f in argv[5:]:
        merge(values, yaml.safe_load(open(f)) or {})
    chart_meta = yaml.safe_load(open(os.path.join(chart, "Chart.yaml")))
    c = Checker()

    text = open(rendered).read()
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        print(f"FAIL: {rendered}: not valid YAML: {e}")
        return 1
    by_kind = {}
    for d in docs:
        name = (d.get("metadata") or {}).get("name") if isinstance(d, dict) else None
        where = f"{d.get('kind')}/{name}" if isinstance(d, dict) else "?"
        if not c.expect(isinstance(d, dict) and d.get("apiVersion") and d.get("kind") and name,
                        f"{where}: apiVersion, kind and metadata.name are required"):
            continue
        by_kind.setdefault(d["kind"], []).append(d)
        labels = d["metadata"].get("labels") or {}
        for label in LABELS:
            c.expect(labels.get(label), f"{where}: label {label} missing")
        c.expect(labels.get("app.kubernetes.io/instance") == release,
                 f"{where}: app.kubernetes.io/instance is not the release name")
        c.expect(labels.get("app.kubernetes.io/version") == str(chart_meta["appVersion"]),
                 f"{where}: app.kubernetes.io/version is not the appVersion")
        if d["kind"] not in ("ClusterRole", "ClusterRoleBinding"):
            c.expect(d["metadata"].get("namespace") == namespace,
                     f"{where}: not in the release namespace {namespace}")

    def one(kind):
        items = by_kind.get(kind, [])
        c.expect(len(items) == 1, f"expected one {kind}, got {len(items)}")
        return items[0] if items else None

    dep = one("Deployment")
    svc = one("Service")
    if not dep or not svc:
        return report(c, rendered)
    pod = dep["spec"]["template"]
    spec = pod["spec"]
    sel = dep["spec"]["selector"]["matchLabels"]
    pod_labels = pod["metadata"].get("labels") or {}
    c.expect(sel and all(pod_labels.get(k) == v for k, v in sel.items()),
             "Deployment: selector does not match the pod labels")
    c.expect(svc["spec"]["selector"] == sel, "Service: selector is not the Deployment's")

    psc = spec.get("securityContext") or {}
    c.expect(psc.get("runAsNonRoot") is True, "pod: runAsNonRoot is not true")
    c.expect(isinstance(psc.get("runAsUser"), int) and psc["runAsUser"] > 0,
             "pod: runAsUser is not a non-root uid")
    c.expect((psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault",
             "pod: seccompProfile is not RuntimeDefault")
    containers = spec.get("containers") or []
    c.expect(len(containers) == 1, "pod: expected one container")
    ctr = containers[0]
    csc = ctr.get("securityContext") or {}
    c.expect(csc.get("readOnlyRootFilesystem") is True, "container: root filesystem is writable")
    c.expect(csc.get("allowPrivilegeEscalation") is False, "container: privilege escalation allowed")
    c.expect((csc.get("capabilities") or {}).get("drop") == ["ALL"],
             "container: capabilities are not drop [ALL]")
    res = ctr.get("resources") or {}
    c.expect(res.get("requests") and res.get("limits") and res["limits"].get("memory"),
             "container: resources need requests and a memory limit")
    c.expect(ctr.get("image", "").endswith(":" + str(values["image"]["tag"] or chart_meta["appVersion"])),
             "container: image tag is neither image.tag nor appVersion")

    # The port the process listens on, the port the probes and Service use.
    args = [str(a) for a in ctr.get("args") or []]
    c.expect(args[:1] == ["run"], "container: args do not start with run")

    def flag(name):
        return args[args.index(name) + 1] if name in args and args.index(name) + 1 < len(args) else None

    listen = flag("--listen") or ""
    c.expect(listen.startswith("0.0.0.0:"), f"container: --listen {listen!r} is not on 0.0.0.0")
    c.expect(flag("--repo") == values["git"]["repo"], "container: --repo is not git.repo")
    c.expect(flag("--state-dir") == STATE_DIR, f"container: --state-dir is not {STATE_DIR}")
    port = int(listen.rsplit(":", 1)[1]) if ":" in listen else -1
    ports = {p.get("name"): p.get("containerPort") for p in ctr.get("ports") or []}
    c.expect(ports.get("http") == port, "container: port http is not the --listen port")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = (ctr.get(probe) or {}).get("httpGet") or {}
        c.expect(get.get("path") == path, f"container: {probe} path is not {path}")
        c.expect(get.get("port") in ("http", port), f"container: {probe} is not on the listen port")
    sp = svc["spec"]["ports"][0]
    c.expect(sp.get("targetPort") in ("http", port), "Service: targetPort is not the http port")

    # Volumes: state on the PVC (or emptyDir), secrets external or rendered.
    vols = {v["name"]: v for v in spec.get("volumes") or []}
    mounts = {m["mountPath"]: m for m in ctr.get("volumeMounts") or []}
    state = vols.get((mounts.get(STATE_DIR) or {}).get("name"))
    c.expect(state is not None, f"container: nothing mounted at {STATE_DIR}")
    persistence = values["persistence"]
    if state is not None:
        if persistence["enabled"]:
            claim = (state.get("persistentVolumeClaim") or {}).get("claimName")
            pvcs = [p["metadata"]["name"] for p in by_kind.get("PersistentVolumeClaim", [])]
            if persistence.get("existingClaim"):
                c.expect(claim == persistence["existingClaim"] and not pvcs,
                         "state: existingClaim is not used as is")
            else:
                c.expect(claim in pvcs, f"state: claim {claim} is not a rendered PVC")
        else:
            c.expect("emptyDir" in state, "state: persistence disabled but no emptyDir")
    c.expect("/tmp" in mounts, "container: /tmp is not writable (read-only root)")
    rendered_secrets = {s["metadata"]["name"] for s in by_kind.get("Secret", [])}
    git = values["git"]
    configured = {git["token"]["existingSecret"], git["ssh"]["existingSecret"],
                  git["knownHosts"]["existingSecret"]} - {""}
    used = set()
    for v in vols.values():
        if "secret" in v:
            name = v["secret"]["secretName"]
            used.add(name)
            c.expect(name in rendered_secrets or name in configured,
                     f"volume {v['name']}: Secret {name} is neither rendered nor configured")
            c.expect(any(m["name"] == v["name"] and m.get("readOnly") for m in mounts.values()),
                     f"volume {v['name']}: not mounted read-only")
    c.expect(configured <= used, f"configured Secrets {sorted(configured - used)} are not mounted")
    env = {e["name"]: e.get("value") for e in ctr.get("env") or []}
    for key, var in ((("token",), "FINOPS_GIT_TOKEN_FILE"), (("ssh",), "FINOPS_GIT_SSH_KEY"),
                     (("knownHosts",), "FINOPS_GIT_KNOWN_HOSTS")):
        want = bool(git[key[0]]["existingSecret"])
        c.expect((var in env) == want, f"env: {var} {'missing' if want else 'set without a Secret'}")
        if var in env:
            c.expect(any(env[var].startswith(p + "/") for p in mounts),
                     f"env: {var}={env[var]} is not under a mount")
    c.expect(env.get("FINOPS_PROVIDER") == values["controller"]["provider"],
             "env: FINOPS_PROVIDER is not controller.provider")

    # ServiceAccount and RBAC.
    sa_name = spec.get("serviceAccountName")
    if values["serviceAccount"]["create"]:
        sa = one("ServiceAccount")
        if sa:
            c.expect(sa["metadata"]["name"] == sa_name, "ServiceAccount: not the pod's")
            c.expect((sa["metadata"].get("annotations") or {}) ==
                     (values["serviceAccount"]["annotations"] or {}),
                     "ServiceAccount: annotations are not serviceAccount.annotations")
    if values["rbac"]["create"]:
        kind = "ClusterRole" if values["rbac"]["clusterWide"] else "Role"
        plurals = sorted(yaml.safe_load(open(p))["spec"]["names"]["plural"]
                         for p in glob.glob(os.path.join(chart, "crds", "*.yaml")))
        c.expect(len(plurals) == 5, f"crds/: expected 5 CRDs, found {len(plurals)}")
        roles = by_kind.get(kind, []) + by_kind.get("Role", [])
        rules = [r for role in roles for r in role.get("rules", [])]
        granted = {(g, res, v) for r in rules for g in r["apiGroups"]
                   for res in r["resources"] for v in r["verbs"]}
        for p in plurals:
            for v in ("get", "list", "watch"):
                c.expect(("finops.dev", p, v) in granted, f"RBAC: {v} {p} not granted")
            c.expect(("finops.dev", p + "/status", "update") in granted,
                     f"RBAC: update {p}/status not granted")
        c.expect(("coordination.k8s.io", "leases", "update") in granted, "RBAC: leases not granted")
        for b in by_kind.get(kind + "Binding", []) + by_kind.get("RoleBinding", []):
            c.expect(any(s.get("kind") == "ServiceAccount" and s.get("name") == sa_name
                         and s.get("namespace") == namespace for s in b.get("subjects", [])),
                     f"{b['kind']}/{b['metadata']['name']}: not bound to the pod's ServiceAccount")
        c.expect(by_kind.get(kind + "Binding"), f"RBAC: no {kind}Binding")

    # ServiceMonitor exactly when enabled, on a port the Service has.
    sms = by_kind.get("ServiceMonitor", [])
    if values["serviceMonitor"]["enabled"]:
        c.expect(len(sms) == 1, "ServiceMonitor: enabled but not rendered")
        for sm in sms:
            c.expect(sm["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items(),
                     "ServiceMonitor: selector does not match the Service")
            svc_ports = {p["name"] for p in svc["spec"]["ports"]}
            c.expect(all(e.get("port") in svc_ports and e.get("path") == "/metrics"
                         for e in sm["spec"]["endpoints"]),
                     "ServiceMonitor: endpoint is not the Service's /metrics port")
            for k, v in (values["serviceMonitor"]["labels"] or {}).items():
                c.expect(sm["metadata"]["labels"].get(k) == v, f"ServiceMonitor: label {k} missing")
    else:
        c.expect(not sms, "ServiceMonitor: rendered while disabled")
    return report(c, rendered, len(docs))


def report(c, rendered, ndocs=0):
    if c.problems:
        print(f"FAIL: {rendered}:\n  " + "\n  ".join(c.problems))
        return 1
    print(f"ok: {os.path.basename(rendered)}: {ndocs} objects checked")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
