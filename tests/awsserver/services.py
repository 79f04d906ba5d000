"""services.py - the AWS operations the test server implements, on the estate.

Input: an authenticated request context (account, region, parameters) and
the Cloud (the estate's resources indexed by account, region and type).
Output: (status, headers, body) in the service's protocol.  Actions mutate
the Cloud in memory, so later describes see them.  Callers hold Cloud.lock.

Ids, ARNs, addresses and DNS names that the estate does not carry are
derived from resource ids with SHA-256, so they are stable across runs.
"""
import array
import base64
import datetime
import hashlib
import json
import re
import threading
import urllib.parse

from estate import DAY, HOUR, Resource, hexid, iso, parse_iso, to_epoch
from protocol import (SERVICES, AwsError, Raw, X, as_list, ec2_response, json_response,
                      query_response, xml_doc, S3_NS)

STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48,
               "stopping": 64, "stopped": 80}


def h16(s, n=16):
    return hashlib.sha256(s.encode()).hexdigest()[:n]


def tok_encode(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def tok_decode(tok, code="InvalidParameterValue"):
    try:
        return json.loads(base64.urlsafe_b64decode(tok + "=" * (-len(tok) % 4)))
    except Exception:
        raise AwsError(code, "Invalid pagination token %r" % tok)


class Cloud:
    """The estate's resources, indexed (account, region, type) -> {id: r}."""

    def __init__(self, estate, now_fn):
        self.est = estate
        self.now = now_fn
        self.lock = threading.RLock()
        self.index = {}
        self.by_id = {}
        self.counter = 0
        self.client_tokens = {}
        # Sorted lists and attachment maps per (account, region, type, now),
        # dropped whenever a resource comes or goes: a describe page of
        # 1,000 instances asks for each one's volumes and addresses, and
        # re-sorting the region for every item made that quadratic.
        self.cache = {}
        for r in estate.resources:
            self.add(r)

    def add(self, r):
        self.index.setdefault((r.account, r.region, r.type), {})[r.id] = r
        self.by_id[r.id] = r
        self.cache.clear()

    def remove(self, r):
        self.index.get((r.account, r.region, r.type), {}).pop(r.id, None)
        self.by_id.pop(r.id, None)
        self.cache.clear()

    def _sorted(self, account, region, rtype):
        key = ("list", account, region, rtype, self.now())
        out = self.cache.get(key)
        if out is None:
            now = key[-1]
            d = self.index.get((account, region, rtype), {})
            out = self.cache[key] = [d[k] for k in sorted(d) if d[k].created <= now]
        return out

    def list(self, account, region, rtype):
        """Resources born by now, sorted by id (stable pagination)."""
        return list(self._sorted(account, region, rtype))

    def attached(self, account, region, rtype, target):
        """list() filtered to attached_to == target (attachments never
        change in place: only add and remove, which drop the cache)."""
        key = ("att", account, region, rtype, self.now())
        idx = self.cache.get(key)
        if idx is None:
            idx = self.cache[key] = {}
            for r in self._sorted(account, region, rtype):
                if r.attached_to:
                    idx.setdefault(r.attached_to, []).append(r)
        return list(idx.get(target, ()))

    def get(self, account, region, rid, rtype=None):
        r = self.by_id.get(rid)
        if (r is None or r.account != account or r.region != region
                or (rtype and r.type != rtype) or r.created > self.now()):
            return None
        return r

    def new_id(self, prefix):
        self.counter += 1
        return hexid(prefix, "created:%d:%d" % (self.counter, self.now()))


def page(items, key, token, size, code="InvalidParameterValue"):
    """items sorted by key(); token = the last key of the previous page."""
    if token:
        last = tok_decode(token, code).get("after")
        items = [i for i in items if key(i) > last]
    if size is None or len(items) <= size:
        return items, None
    chunk = items[:size]
    return chunk, tok_encode({"after": key(chunk[-1])})


def int_param(p, name, lo, hi, code="InvalidParameterValue"):
    v = p.get(name)
    if v in (None, ""):
        return None
    try:
        n = int(v)
    except ValueError:
        raise AwsError(code, "Value (%s) for parameter %s is invalid." % (v, name))
    if n < lo or n > hi:
        raise AwsError(code, "Value (%d) for parameter %s is invalid. Expecting a value "
                       "between %d and %d." % (n, name, lo, hi))
    return n


def require(p, name, code="MissingParameter"):
    v = p.get(name)
    if v in (None, ""):
        raise AwsError(code, "The request must contain the parameter %s" % name)
    return v


# ---- EC2 -------------------------------------------------------------------

def az(region):
    return region + "a"


def all_tags(r):
    t = {}
    if r.name and r.type in ("ec2-instance", "ebs-volume", "ebs-snapshot", "elastic-ip"):
        t["Name"] = r.name
    t.update(r.tags)
    return t


def tag_set(r):
    return [("item", [("key", k), ("value", v)]) for k, v in sorted(all_tags(r).items())]


def public_ip(r):
    h = bytes.fromhex(h16(r.id, 8))
    return "100.%d.%d.%d" % (64 + h[0] % 64, h[1], 1 + h[2] % 254)


def filters_of(tree):
    out = []
    for f in as_list(tree.get("Filter")):
        if isinstance(f, dict) and f.get("Name"):
            out.append((f["Name"], [str(v) for v in as_list(f.get("Value"))]))
    return out


def apply_filters(items, filters, attrs):
    """attrs(r, name) -> list of values, or None for an unknown filter name."""
    for name, values in filters:
        keep = []
        for r in items:
            have = attrs(r, name)
            if have is None:
                raise AwsError("InvalidParameterValue", "The filter '%s' is invalid" % name)
            if any(fnmatch_aws(v, h) for v in values for h in have):
                keep.append(r)
        items = keep
    return items


def fnmatch_aws(pattern, value):
    """EC2 filter values allow * and ? wildcards."""
    if "*" not in pattern and "?" not in pattern:
        return pattern == value
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, value) is not None


def tag_attrs(r, name):
    t = all_tags(r)
    if name.startswith("tag:"):
        k = name[4:]
        return [t[k]] if k in t else []
    if name == "tag-key":
        return list(t)
    if name == "tag-value":
        return list(t.values())
    return None


def ids_param(tree, name):
    return [str(v) for v in as_list(tree.get(name))]


def volumes_of(cloud, inst):
    vols = cloud.attached(inst.account, inst.region, "ebs-volume", inst.id)
    vols.sort(key=lambda v: (not v.name or not v.name.endswith("-root"), v.id))
    return vols


def device_name(i):
    return "/dev/xvda" if i == 0 else "/dev/sd" + chr(ord("f") + i - 1)


def instance_item(cloud, r):
    state = r.state if r.state in STATE_CODES else "running"
    bdm = []
    for i, v in enumerate(volumes_of(cloud, r)):
        bdm.append(("item", [("deviceName", device_name(i)), ("ebs", [
            ("volumeId", v.id), ("status", "attached"), ("attachTime", iso(v.created)),
            ("deleteOnTermination", i == 0)])]))
    eip = cloud.attached(r.account, r.region, "elastic-ip", r.id)
    h = h16(r.id, 8)
    priv = "10.%d.%d.%d" % (int(h[0:2], 16), int(h[2:4], 16), 1 + int(h[4:6], 16) % 254)
    return [
        ("instanceId", r.id), ("imageId", "ami-0" + h16("ami:" + (r.klass or ""))),
        ("instanceState", [("code", STATE_CODES[state]), ("name", state)]),
        ("privateDnsName", "ip-%s.%s.compute.internal" % (priv.replace(".", "-"), r.region)),
        ("dnsName", ""), ("amiLaunchIndex", 0), ("instanceType", r.klass or "t3.micro"),
        ("launchTime", iso(r.created)),
        ("placement", [("availabilityZone", az(r.region)), ("groupName", ""),
                       ("tenancy", "default")]),
        ("monitoring", [("state", "disabled")]),
        ("subnetId", "subnet-0" + h16("subnet:" + r.account + r.region)),
        ("vpcId", "vpc-0" + h16("vpc:" + r.account + r.region)),
        ("privateIpAddress", priv),
        ("ipAddress", public_ip(eip[0]) if eip and state == "running" else None),
        ("architecture", "x86_64"), ("rootDeviceType", "ebs"), ("rootDeviceName", "/dev/xvda"),
        ("blockDeviceMapping", bdm), ("virtualizationType", "hvm"),
        ("tagSet", tag_set(r)), ("hypervisor", "xen"), ("ebsOptimized", False),
    ]


def inst_attrs(r, name):
    if name == "instance-state-name":
        return [r.state]
    if name == "instance-state-code":
        return [str(STATE_CODES.get(r.state, 16))]
    if name == "instance-id":
        return [r.id]
    if name == "instance-type":
        return [r.klass or ""]
    if name == "availability-zone":
        return [az(r.region)]
    return tag_attrs(r, name)


def ec2_describe_instances(cloud, ctx):
    p, tree = ctx.params, ctx.tree
    size = int_param(p, "MaxResults", 5, 1000)
    ids = ids_param(tree, "InstanceId")
    if ids and size is not None:
        raise AwsError("InvalidParameterCombination",
                       "The parameter instancesSet cannot be used with the parameter maxResults")
    items = cloud.list(ctx.account, ctx.region, "ec2-instance")
    if ids:
        have = {r.id for r in items}
        missing = [i for i in ids if i not in have]
        if missing:
            raise AwsError("InvalidInstanceID.NotFound",
                           "The instance ID '%s' does not exist" % "', '".join(missing))
        items = [r for r in items if r.id in ids]
    items = apply_filters(items, filters_of(tree), inst_attrs)
    chunk, nxt = page(items, lambda r: r.id, p.get("NextToken"), size)
    res = []
    for r in chunk:
        res.append(("item", [("reservationId", "r-0" + h16("res:" + r.id)),
                             ("ownerId", r.account), ("groupSet", []),
                             ("instancesSet", [("item", instance_item(cloud, r))])]))
    return ec2_response(ctx.action, [("reservationSet", res), ("nextToken", nxt)], ctx.rid)


def volume_item(cloud, v):
    att = []
    if v.attached_to and v.state == "in-use":
        inst = cloud.get(v.account, v.region, v.attached_to, "ec2-instance")
        idx = 0
        if inst:
            ids = [x.id for x in volumes_of(cloud, inst)]
            idx = ids.index(v.id) if v.id in ids else 0
        att.append(("item", [("volumeId", v.id), ("instanceId", v.attached_to),
                             ("device", device_name(idx)), ("status", "attached"),
                             ("attachTime", iso(v.created)), ("deleteOnTermination", idx == 0)]))
    vtype = v.klass or "gp2"
    iops = {"gp3": 3000, "io1": 3000, "io2": 3000}.get(vtype)
    if vtype == "gp2":
        iops = max(100, min(16000, int(v.size) * 3))
    return [("volumeId", v.id), ("size", int(v.size)),
            ("snapshotId", v.extra.get("snapshot", "")), ("availabilityZone", az(v.region)),
            ("status", v.state), ("createTime", iso(v.created)), ("attachmentSet", att),
            ("volumeType", vtype), ("iops", iops),
            ("throughput", 125 if vtype == "gp3" else None),
            ("tagSet", tag_set(v)), ("encrypted", False), ("multiAttachEnabled", False)]


def vol_attrs(r, name):
    if name == "status":
        return [r.state]
    if name == "volume-id":
        return [r.id]
    if name == "volume-type":
        return [r.klass or "gp2"]
    if name == "attachment.instance-id":
        return [r.attached_to] if r.attached_to and r.state == "in-use" else []
    if name == "attachment.status":
        return ["attached"] if r.attached_to and r.state == "in-use" else []
    if name == "availability-zone":
        return [az(r.region)]
    if name == "size":
        return [str(int(r.size))]
    if name == "snapshot-id":
        return [r.extra.get("snapshot", "")]
    return tag_attrs(r, name)


def ec2_describe_volumes(cloud, ctx):
    p, tree = ctx.params, ctx.tree
    size = int_param(p, "MaxResults", 5, 500)
    ids = ids_param(tree, "VolumeId")
    items = cloud.list(ctx.account, ctx.region, "ebs-volume")
    if ids:
        have = {r.id for r in items}
        missing = [i for i in ids if i not in have]
        if missing:
            raise AwsError("InvalidVolume.NotFound",
                           "The volume '%s' does not exist." % "', '".join(missing))
        items = [r for r in items if r.id in ids]
    items = apply_filters(items, filters_of(tree), vol_attrs)
    chunk, nxt = page(items, lambda r: r.id, p.get("NextToken"), size)
    return ec2_response(ctx.action, [("volumeSet", [("item", volume_item(cloud, v))
                                                    for v in chunk]),
                                     ("nextToken", nxt)], ctx.rid)


def snapshot_item(s):
    return [("snapshotId", s.id), ("volumeId", s.attached_to or "vol-ffffffff"),
            ("status", s.state), ("startTime", iso(s.created)), ("progress", "100%"),
            ("ownerId", s.account), ("volumeSize", int(s.size)),
            ("description", s.extra.get("description", s.name or "")),
            ("encrypted", False), ("tagSet", tag_set(s)), ("storageTier", "standard")]


def snap_attrs(r, name):
    if name == "status":
        return [r.state]
    if name == "volume-id":
        return [r.attached_to or ""]
    if name == "snapshot-id":
        return [r.id]
    if name == "owner-id":
        return [r.account]
    return tag_attrs(r, name)


def ec2_describe_snapshots(cloud, ctx):
    p, tree = ctx.params, ctx.tree
    size = int_param(p, "MaxResults", 5, 1000)
    owners = ids_param(tree, "OwnerId")
    items = cloud.list(ctx.account, ctx.region, "ebs-snapshot")
    if owners and not any(o in ("self", ctx.account) for o in owners):
        items = []  # the estate has no public or shared snapshots
    ids = ids_param(tree, "SnapshotId")
    if ids:
        have = {r.id for r in items}
        missing = [i for i in ids if i not in have]
        if missing:
            raise AwsError("InvalidSnapshot.NotFound",
                           "The snapshot '%s' does not exist." % "', '".join(missing))
        items = [r for r in items if r.id in ids]
    items = apply_filters(items, filters_of(tree), snap_attrs)
    chunk, nxt = page(items, lambda r: r.id, p.get("NextToken"), size)
    return ec2_response(ctx.action, [("snapshotSet", [("item", snapshot_item(s))
                                                      for s in chunk]),
                                     ("nextToken", nxt)], ctx.rid)


def address_item(a):
    assoc = a.state == "associated" and a.attached_to
    return [("publicIp", public_ip(a)), ("allocationId", a.id), ("domain", "vpc"),
            ("instanceId", a.attached_to if assoc else None),
            ("associationId", "eipassoc-0" + h16("assoc:" + a.id) if assoc else None),
            ("networkInterfaceId", "eni-0" + h16("eni:" + a.attached_to) if assoc else None),
            ("networkInterfaceOwnerId", a.account if assoc else None),
            ("tagSet", tag_set(a)), ("publicIpv4Pool", "amazon"),
            ("networkBorderGroup", a.region)]


def addr_attrs(r, name):
    assoc = r.state == "associated" and r.attached_to
    if name == "allocation-id":
        return [r.id]
    if name == "public-ip":
        return [public_ip(r)]
    if name == "domain":
        return ["vpc"]
    if name == "instance-id":
        return [r.attached_to] if assoc else []
    if name == "association-id":
        return ["eipassoc-0" + h16("assoc:" + r.id)] if assoc else []
    return tag_attrs(r, name)


def ec2_describe_addresses(cloud, ctx):
    tree = ctx.tree
    items = cloud.list(ctx.account, ctx.region, "elastic-ip")
    ids = ids_param(tree, "AllocationId")
    if ids:
        have = {r.id for r in items}
        missing = [i for i in ids if i not in have]
        if missing:
            raise AwsError("InvalidAllocationID.NotFound",
                           "The allocation IDs '%s' do not exist." % "', '".join(missing))
        items = [r for r in items if r.id in ids]
    ips = ids_param(tree, "PublicIp")
    if ips:
        items = [r for r in items if public_ip(r) in ips]
    items = apply_filters(items, filters_of(tree), addr_attrs)
    return ec2_response(ctx.action, [("addressesSet", [("item", address_item(a))
                                                       for a in items])], ctx.rid)


def instance_or_404(cloud, ctx, iid):
    r = cloud.get(ctx.account, ctx.region, iid, "ec2-instance")
    if not r:
        raise AwsError("InvalidInstanceID.NotFound",
                       "The instance ID '%s' does not exist" % iid)
    return r


def volume_or_404(cloud, ctx, vid):
    r = cloud.get(ctx.account, ctx.region, vid, "ebs-volume")
    if not r:
        raise AwsError("InvalidVolume.NotFound", "The volume '%s' does not exist." % vid)
    return r


def ec2_start_stop(cloud, ctx):
    stop = ctx.action == "StopInstances"
    ids = ids_param(ctx.tree, "InstanceId")
    if not ids:
        raise AwsError("MissingParameter",
                       "The request must contain the parameter InstanceId")
    insts = [instance_or_404(cloud, ctx, i) for i in ids]
    out = []
    for r in insts:
        prev = r.state
        if stop:
            cur = "stopping" if prev in ("running", "pending") else prev
            r.state = "stopped" if prev in ("running", "pending", "stopping") else prev
        else:
            cur = "pending" if prev in ("stopped", "stopping") else prev
            r.state = "running" if prev in ("stopped", "stopping", "pending") else prev
        out.append(("item", [("instanceId", r.id),
                             ("currentState", [("code", STATE_CODES.get(cur, 16)),
                                               ("name", cur)]),
                             ("previousState", [("code", STATE_CODES.get(prev, 16)),
                                                ("name", prev)])]))
    return ec2_response(ctx.action, [("instancesSet", out)], ctx.rid)


def ec2_modify_instance_attribute(cloud, ctx):
    r = instance_or_404(cloud, ctx, require(ctx.params, "InstanceId"))
    itype = ctx.params.get("InstanceType.Value") or ctx.params.get("Value")
    if ctx.params.get("Attribute") not in (None, "instanceType") and not itype:
        raise AwsError("InvalidParameterCombination",
                       "Only the instanceType attribute is supported by this server")
    if not itype:
        raise AwsError("MissingParameter", "The request must contain the parameter InstanceType")
    if not re.fullmatch(r"[a-z0-9-]+\.[a-z0-9-]+", itype):
        raise AwsError("InvalidParameterValue",
                       "The instance type '%s' is not supported." % itype)
    if r.state != "stopped":
        raise AwsError("IncorrectInstanceState",
                       "The instance '%s' is not in the 'stopped' state." % r.id)
    r.klass = itype
    return ec2_response(ctx.action, [("return", True)], ctx.rid)


VOLUME_TYPES = ("gp2", "gp3", "io1", "io2", "st1", "sc1", "standard")


def ec2_modify_volume(cloud, ctx):
    v = volume_or_404(cloud, ctx, require(ctx.params, "VolumeId"))
    vtype = ctx.params.get("VolumeType") or v.klass
    if vtype not in VOLUME_TYPES:
        raise AwsError("InvalidParameterValue", "Invalid value '%s' for VolumeType" % vtype)
    size = int_param(ctx.params, "Size", 1, 65536)
    if size is not None and size < v.size:
        raise AwsError("InvalidParameterValue",
                       "New size cannot be smaller than existing size")
    orig_type, orig_size = v.klass, int(v.size)
    v.klass = vtype
    if size is not None:
        v.size = float(size)
    mod = [("volumeId", v.id), ("modificationState", "modifying"),
           ("targetSize", int(v.size)), ("targetVolumeType", vtype),
           ("originalSize", orig_size), ("originalVolumeType", orig_type),
           ("progress", 0), ("startTime", iso(cloud.now()))]
    return ec2_response(ctx.action, [("volumeModification", mod)], ctx.rid)


def tag_specs(tree, rtype):
    tags = {}
    for spec in as_list(tree.get("TagSpecification")):
        if isinstance(spec, dict) and spec.get("ResourceType", rtype) == rtype:
            for t in as_list(spec.get("Tag")):
                if isinstance(t, dict) and t.get("Key"):
                    tags[t["Key"]] = t.get("Value", "")
    return tags


def set_tags(r, tags):
    for k, v in tags.items():
        if k == "Name":
            r.name = v
        else:
            r.tags[k] = v


def new_resource(cloud, ctx, rtype, rid, **kw):
    r = Resource({"type": rtype, "id": rid, "account": ctx.account, "region": ctx.region},
                 cloud.est.seed)
    r.created = cloud.now()
    for k, v in kw.items():
        setattr(r, k, v)
    cloud.add(r)
    return r


def ec2_create_snapshot(cloud, ctx):
    v = volume_or_404(cloud, ctx, require(ctx.params, "VolumeId"))
    s = new_resource(cloud, ctx, "ebs-snapshot", cloud.new_id("snap-"), state="completed",
                     size=v.size, attached_to=v.id)
    s.extra["description"] = ctx.params.get("Description", "")
    set_tags(s, tag_specs(ctx.tree, "snapshot"))
    fields = snapshot_item(s)
    fields = [(k, "pending" if k == "status" else "0%" if k == "progress" else val)
              for k, val in fields]
    return ec2_response(ctx.action, fields, ctx.rid)


def ec2_create_volume(cloud, ctx):
    p = ctx.params
    zone = require(p, "AvailabilityZone")
    if not zone.startswith(ctx.region) or len(zone) != len(ctx.region) + 1:
        raise AwsError("InvalidParameterValue",
                       "Invalid availability zone: [%s]" % zone)
    token = p.get("ClientToken")
    key = (ctx.account, ctx.region, token)
    sig = (p.get("SnapshotId"), p.get("VolumeType"), p.get("Size"), zone)
    if token and key in cloud.client_tokens:
        vid, old = cloud.client_tokens[key]
        if old != sig:
            raise AwsError("IdempotentParameterMismatch",
                           "Client token %s was used with different parameters" % token)
        v = cloud.by_id.get(vid)
        if v is not None:
            return ec2_response(ctx.action, volume_item(cloud, v), ctx.rid)
    snap = None
    if p.get("SnapshotId"):
        snap = cloud.get(ctx.account, ctx.region, p["SnapshotId"], "ebs-snapshot")
        if not snap:
            raise AwsError("InvalidSnapshot.NotFound",
                           "The snapshot '%s' does not exist." % p["SnapshotId"])
    size = int_param(p, "Size", 1, 65536)
    if size is None:
        if not snap:
            raise AwsError("MissingParameter",
                           "The request must contain the parameter size or snapshotId")
        size = int(snap.size)
    vtype = p.get("VolumeType") or "gp2"
    if vtype not in VOLUME_TYPES:
        raise AwsError("InvalidParameterValue", "Invalid value '%s' for VolumeType" % vtype)
    v = new_resource(cloud, ctx, "ebs-volume", cloud.new_id("vol-"), state="available",
                     size=float(size), klass=vtype)
    if snap:
        v.extra["snapshot"] = snap.id
    set_tags(v, tag_specs(ctx.tree, "volume"))
    if token:
        cloud.client_tokens[key] = (v.id, sig)
    fields = [(k, "creating" if k == "status" else val) for k, val in volume_item(cloud, v)]
    return ec2_response(ctx.action, fields, ctx.rid)


def ec2_delete_volume(cloud, ctx):
    v = volume_or_404(cloud, ctx, require(ctx.params, "VolumeId"))
    if v.state != "available":
        raise AwsError("VolumeInUse", "Volume %s is currently attached to %s" % (
            v.id, v.attached_to or "an instance"))
    cloud.remove(v)
    return ec2_response(ctx.action, [("return", True)], ctx.rid)


def ec2_release_address(cloud, ctx):
    aid = ctx.params.get("AllocationId")
    if not aid:
        raise AwsError("MissingParameter", "The request must contain the parameter AllocationId")
    a = cloud.get(ctx.account, ctx.region, aid, "elastic-ip")
    if not a:
        raise AwsError("InvalidAllocationID.NotFound",
                       "The allocation ID '%s' does not exist" % aid)
    if a.state == "associated":
        raise AwsError("InvalidIPAddress.InUse",
                       "Address %s is in use." % public_ip(a))
    cloud.remove(a)
    return ec2_response(ctx.action, [("return", True)], ctx.rid)


NOT_FOUND = {"i-": "InvalidInstanceID.NotFound", "vol-": "InvalidVolume.NotFound",
             "snap-": "InvalidSnapshot.NotFound", "eipalloc-": "InvalidAllocationID.NotFound"}


def ec2_create_tags(cloud, ctx):
    ids = ids_param(ctx.tree, "ResourceId")
    tags = {}
    for t in as_list(ctx.tree.get("Tag")):
        if isinstance(t, dict) and t.get("Key"):
            tags[t["Key"]] = t.get("Value", "")
    if not ids or not tags:
        raise AwsError("MissingParameter", "The request must contain ResourceId and Tag")
    found = []
    for rid in ids:
        r = cloud.get(ctx.account, ctx.region, rid)
        if r is None or r.type not in ("ec2-instance", "ebs-volume", "ebs-snapshot",
                                       "elastic-ip"):
            code = next((c for p, c in NOT_FOUND.items() if rid.startswith(p)), "InvalidID")
            raise AwsError(code, "The ID '%s' does not exist" % rid)
        found.append(r)
    for r in found:
        set_tags(r, tags)
    return ec2_response(ctx.action, [("return", True)], ctx.rid)


EC2 = {
    "DescribeInstances": ec2_describe_instances,
    "DescribeVolumes": ec2_describe_volumes,
    "DescribeSnapshots": ec2_describe_snapshots,
    "DescribeAddresses": ec2_describe_addresses,
    "StopInstances": ec2_start_stop,
    "StartInstances": ec2_start_stop,
    "ModifyInstanceAttribute": ec2_modify_instance_attribute,
    "ModifyVolume": ec2_modify_volume,
    "CreateSnapshot": ec2_create_snapshot,
    "CreateVolume": ec2_create_volume,
    "DeleteVolume": ec2_delete_volume,
    "ReleaseAddress": ec2_release_address,
    "CreateTags": ec2_create_tags,
}

# ---- ELBv2 -----------------------------------------------------------------

ELB_NS = SERVICES["elasticloadbalancing"][2]


def lb_kind(r):
    return "net" if r.klass == "network" else "app"


def lb_arn(r):
    return "arn:aws:elasticloadbalancing:%s:%s:loadbalancer/%s/%s/%s" % (
        r.region, r.account, lb_kind(r), r.id, h16("lb:" + r.id))


def lb_dimension(r):
    return "%s/%s/%s" % (lb_kind(r), r.id, h16("lb:" + r.id))


def tg_name(r):
    return (r.id[:29] + "-tg")


def tg_arn(r):
    return "arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%s" % (
        r.region, r.account, tg_name(r), h16("tg:" + r.id))


def lb_item(r):
    h = h16("lb:" + r.id, 10)
    return [("LoadBalancerArn", lb_arn(r)),
            ("DNSName", "%s-%s.%s.elb.amazonaws.com" % (r.id, h, r.region)),
            ("CanonicalHostedZoneId", "Z" + h16("zone:" + r.region, 12).upper()),
            ("CreatedTime", iso(r.created)), ("LoadBalancerName", r.id),
            ("Scheme", "internal" if "internal" in r.id else "internet-facing"),
            ("VpcId", "vpc-0" + h16("vpc:" + r.account + r.region)),
            ("State", [("Code", r.state if r.state in ("active", "provisioning", "failed")
                        else "active")]),
            ("Type", "network" if r.klass == "network" else "application"),
            ("AvailabilityZones", [("member", [("ZoneName", az(r.region)),
                                               ("SubnetId", "subnet-0" + h16(
                                                   "subnet:" + r.account + r.region))])]),
            ("IpAddressType", "ipv4")]


def lb_targets(cloud, r):
    """[(instance id, healthy)]: each load balancer has one target group.
    With attrs.healthyTargets N it has N healthy targets (its account and
    region's running instances named like it first, then others, then
    made-up ids); without, the instances named like it (web-eu-alb ->
    web-*), healthy when running."""
    prefix = r.id.split("-")[0] + "-"
    insts = cloud.list(r.account, r.region, "ec2-instance")
    named = [i for i in insts if (i.name or "").startswith(prefix)]
    if "healthyTargets" not in r.attrs:
        return [(i.id, i.state == "running") for i in named]
    n = int(r.attrs["healthyTargets"])
    pool = [i.id for i in named if i.state == "running"]
    pool += [i.id for i in insts if i.state == "running" and i.id not in pool]
    pool += [hexid("i-", "target:%s:%d" % (r.id, k)) for k in range(n)]
    return [(i, True) for i in pool[:n]]


def elb_describe_load_balancers(cloud, ctx):
    p, tree = ctx.params, ctx.tree
    size = int_param(p, "PageSize", 1, 400, "ValidationError")
    items = cloud.list(ctx.account, ctx.region, "load-balancer")
    arns, names = ids_param(tree, "LoadBalancerArns"), ids_param(tree, "Names")
    if arns or names:
        sel = [r for r in items if lb_arn(r) in arns or r.id in names]
        if len(sel) < len(set(arns) | set(names)):
            raise AwsError("LoadBalancerNotFound",
                           "One or more load balancers not found")
        items = sel
    chunk, nxt = page(items, lambda r: r.id, p.get("Marker"), size, "ValidationError")
    return query_response(ELB_NS, ctx.action, [
        ("LoadBalancers", [("member", lb_item(r)) for r in chunk]),
        ("NextMarker", nxt)], ctx.rid)


def tg_item(r):
    return [("TargetGroupArn", tg_arn(r)), ("TargetGroupName", tg_name(r)),
            ("Protocol", "TCP" if r.klass == "network" else "HTTP"), ("Port", 80),
            ("VpcId", "vpc-0" + h16("vpc:" + r.account + r.region)),
            ("HealthCheckProtocol", "TCP" if r.klass == "network" else "HTTP"),
            ("HealthCheckPort", "traffic-port"), ("HealthCheckEnabled", True),
            ("HealthCheckIntervalSeconds", 30), ("HealthCheckTimeoutSeconds", 5),
            ("HealthyThresholdCount", 5), ("UnhealthyThresholdCount", 2),
            ("LoadBalancerArns", [("member", lb_arn(r))]), ("TargetType", "instance"),
            ("IpAddressType", "ipv4")]


def elb_describe_target_groups(cloud, ctx):
    p, tree = ctx.params, ctx.tree
    size = int_param(p, "PageSize", 1, 400, "ValidationError")
    items = cloud.list(ctx.account, ctx.region, "load-balancer")
    if p.get("LoadBalancerArn"):
        items = [r for r in items if lb_arn(r) == p["LoadBalancerArn"]]
        if not items:
            raise AwsError("LoadBalancerNotFound", "One or more load balancers not found")
    arns, names = ids_param(tree, "TargetGroupArns"), ids_param(tree, "Names")
    if arns or names:
        sel = [r for r in items if tg_arn(r) in arns or tg_name(r) in names]
        if len(sel) < len(set(arns) | set(names)):
            raise AwsError("TargetGroupNotFound", "One or more target groups not found")
        items = sel
    chunk, nxt = page(items, lambda r: r.id, p.get("Marker"), size, "ValidationError")
    return query_response(ELB_NS, ctx.action, [
        ("TargetGroups", [("member", tg_item(r)) for r in chunk]),
        ("NextMarker", nxt)], ctx.rid)


def elb_describe_target_health(cloud, ctx):
    arn = require(ctx.params, "TargetGroupArn", "ValidationError")
    lb = next((r for r in cloud.list(ctx.account, ctx.region, "load-balancer")
               if tg_arn(r) == arn), None)
    if lb is None:
        raise AwsError("TargetGroupNotFound", "Target groups '%s' not found" % arn)
    out = []
    for iid, healthy in lb_targets(cloud, lb):
        health = [("State", "healthy")] if healthy else [
            ("State", "unused"), ("Reason", "Target.InvalidState"),
            ("Description", "Target is in the stopped state")]
        out.append(("member", [("Target", [("Id", iid), ("Port", 80)]),
                               ("HealthCheckPort", "80"), ("TargetHealth", health)]))
    return query_response(ELB_NS, ctx.action, [("TargetHealthDescriptions", out)], ctx.rid)


ELBV2 = {
    "DescribeLoadBalancers": elb_describe_load_balancers,
    "DescribeTargetGroups": elb_describe_target_groups,
    "DescribeTargetHealth": elb_describe_target_health,
}

# ---- RDS -------------------------------------------------------------------

RDS_NS = SERVICES["rds"][2]


def rds_item(r):
    engine = r.tags.get("engine", "postgres")
    port = 3306 if engine in ("mysql", "mariadb") else 5432
    return [("DBInstanceIdentifier", r.id), ("DBInstanceClass", r.klass or "db.t3.micro"),
            ("Engine", engine), ("DBInstanceStatus", r.state),
            ("MasterUsername", "admin"),
            ("Endpoint", [("Address", "%s.c%s.%s.rds.amazonaws.com" % (
                r.id, h16("rds:" + r.account + r.region, 12), r.region)), ("Port", port)]),
            ("AllocatedStorage", int(r.size)), ("InstanceCreateTime", iso(r.created)),
            ("AvailabilityZone", az(r.region)), ("MultiAZ", False),
            ("EngineVersion", "8.0.35" if port == 3306 else "15.4"),
            ("StorageType", "gp2"), ("DbInstancePort", 0),
            ("DBInstanceArn", "arn:aws:rds:%s:%s:db:%s" % (r.region, r.account, r.id)),
            ("TagList", [("Tag", [("Key", k), ("Value", v)]) for k, v in sorted(r.tags.items())])]


def rds_describe_db_instances(cloud, ctx):
    p = ctx.params
    size = int_param(p, "MaxRecords", 20, 100, "InvalidParameterValue")
    items = cloud.list(ctx.account, ctx.region, "rds-instance")
    if p.get("DBInstanceIdentifier"):
        want = p["DBInstanceIdentifier"].split(":")[-1] if p["DBInstanceIdentifier"].startswith(
            "arn:") else p["DBInstanceIdentifier"]
        items = [r for r in items if r.id == want]
        if not items:
            raise AwsError("DBInstanceNotFound", "DBInstance %s not found." % want, 404)
    chunk, nxt = page(items, lambda r: r.id, p.get("Marker"), size or 100)
    return query_response(RDS_NS, ctx.action, [
        ("DBInstances", [("DBInstance", rds_item(r)) for r in chunk]),
        ("Marker", nxt)], ctx.rid)


RDS = {"DescribeDBInstances": rds_describe_db_instances}

# ---- CloudWatch ------------------------------------------------------------

CW_NS = SERVICES["monitoring"][2]
MAX_QUERIES = 500
MAX_POINTS = 100800

NAMESPACES = {
    "AWS/EC2": ("ec2-instance", "InstanceId"),
    "CWAgent": ("ec2-instance", "InstanceId"),
    "LambdaInsights": ("lambda-function", "function_name"),
    "AWS/EBS": ("ebs-volume", "VolumeId"),
    "AWS/RDS": ("rds-instance", "DBInstanceIdentifier"),
    "AWS/ApplicationELB": ("load-balancer", "LoadBalancer"),
    "AWS/NetworkELB": ("load-balancer", "LoadBalancer"),
    "AWS/Lambda": ("lambda-function", "FunctionName"),
    "AWS/S3": ("s3-bucket", "BucketName"),
}


def cw_resource(cloud, ctx, metric):
    spec = NAMESPACES.get(metric.get("Namespace"))
    dims = {d.get("Name"): d.get("Value") for d in as_list(metric.get("Dimensions"))
            if isinstance(d, dict)}
    if not spec or spec[1] not in dims:
        return None
    rtype, dim = spec
    val = dims[dim]
    if rtype == "load-balancer":
        parts = val.split("/")
        val = parts[1] if len(parts) == 3 else val
    return cloud.get(ctx.account, ctx.region, val, rtype)


def aggregate(stat, vals):
    if stat == "Average":
        return sum(vals) / len(vals)
    if stat == "Maximum":
        return max(vals)
    if stat == "Minimum":
        return min(vals)
    if stat == "Sum":
        return sum(vals)
    if stat == "SampleCount":
        return float(len(vals))
    m = re.fullmatch(r"p(\d{1,2}(?:\.\d+)?)", stat)
    if m:
        s = sorted(vals)
        return s[min(len(s) - 1, int(len(s) * float(m.group(1)) / 100.0))]
    raise AwsError("InvalidParameterValue", "The value %s for parameter Stat is invalid." % stat)


SERIES_CACHE_MAX = 100000


def hourly(cloud, r, m, h0, h1):
    """The metric's values for hours [h0, h1), cached per (resource,
    metric, h0, h1) as doubles: a run asks for the same window of every
    series, and a benchmark repeats runs."""
    key = ("series", r.id, m.name, h0, h1)
    vals = cloud.cache.get(key)
    if vals is None:
        if len(cloud.cache) > SERIES_CACHE_MAX:
            cloud.cache.clear()
        vals = cloud.cache[key] = array.array("d", m.series(h0, h1))
    return vals


def cw_series(cloud, ctx, q, start, end, ascending):
    """[(timestamp, value)] of one query: the estate's hourly values, in
    buckets of Period seconds aligned to the epoch."""
    ms = q.get("MetricStat") or {}
    metric = ms.get("Metric") or {}
    period = int(ms.get("Period") or q.get("Period") or 3600)
    if period <= 0 or (period % 60 and period not in (1, 5, 10, 30)):
        raise AwsError("InvalidParameterValue", "The parameter Period must be a multiple of 60.")
    stat = ms.get("Stat") or "Average"
    r = cw_resource(cloud, ctx, metric)
    m = r.metrics.get(metric.get("MetricName")) if r else None
    if m is None:
        aggregate(stat, [0.0])  # still reject a bad Stat
        return []
    now_h = cloud.now() // HOUR * HOUR
    born = -((-r.created) // HOUR) * HOUR
    origin = int(start) // 60 * 60  # periods start at StartTime, to the minute
    lo = max(-((-origin) // HOUR) * HOUR, born)
    hi = min(int(end), now_h)
    buckets = {}
    if hi > lo:
        for t, v in zip(range(lo, hi, HOUR), hourly(cloud, r, m, lo // HOUR, hi // HOUR)):
            b = origin + (t - origin) // period * period
            buckets.setdefault(b, []).append(v)
    out = [(t, aggregate(stat, vals)) for t, vals in buckets.items()]
    out.sort(reverse=not ascending)
    return out


def cw_get_metric_data(cloud, ctx, req, json_mode=False):
    queries = as_list(req.get("MetricDataQueries"))
    if not queries:
        raise AwsError("MissingParameter" if not json_mode else "InvalidParameterValueException",
                       "The parameter MetricDataQueries is required.")
    if len(queries) > MAX_QUERIES:
        raise AwsError("ValidationError",
                       "The collection MetricDataQueries must not have a size greater than %d."
                       % MAX_QUERIES)
    try:
        start = parse_iso(req["StartTime"]) if isinstance(req.get("StartTime"), str) \
            else float(req["StartTime"])
        end = parse_iso(req["EndTime"]) if isinstance(req.get("EndTime"), str) \
            else float(req["EndTime"])
    except (KeyError, TypeError, ValueError):
        raise AwsError("MissingParameter", "StartTime and EndTime must be valid timestamps")
    if end <= start:
        raise AwsError("ValidationError", "The parameter StartTime must be less than EndTime.")
    ids = [q.get("Id") for q in queries if isinstance(q, dict)]
    if len(ids) != len(queries) or any(not i for i in ids) or len(set(ids)) != len(ids):
        raise AwsError("ValidationError", "Every MetricDataQuery needs a unique Id.")
    budget = int(req.get("MaxDatapoints") or MAX_POINTS)
    ascending = req.get("ScanBy") == "TimestampAscending"
    qi, off = 0, 0
    if req.get("NextToken"):
        t = tok_decode(req["NextToken"], "InvalidNextToken")
        qi, off = int(t.get("q", 0)), int(t.get("o", 0))
    results, nxt = [], None
    while qi < len(queries):
        q = queries[qi]
        if str(q.get("ReturnData", "true")).lower() == "false":
            qi, off = qi + 1, 0
            continue
        if q.get("Expression"):
            series = []  # metric math is not implemented: an empty series
        else:
            series = cw_series(cloud, ctx, q, start, end, ascending)
        take = series[off:off + budget]
        done = off + len(take) >= len(series)
        budget -= len(take)
        label = q.get("Label") or ((q.get("MetricStat") or {}).get("Metric") or {}).get(
            "MetricName", q["Id"])
        results.append((q["Id"], label, take, "Complete" if done else "PartialData"))
        if not done:
            nxt = tok_encode({"q": qi, "o": off + len(take)})
            break
        qi, off = qi + 1, 0
        if budget <= 0 and qi < len(queries):
            nxt = tok_encode({"q": qi, "o": 0})
            break
    if json_mode:
        return json_response({
            "MetricDataResults": [{"Id": i, "Label": l, "Timestamps": [t for t, _ in pts],
                                   "Values": [v for _, v in pts], "StatusCode": s}
                                  for i, l, pts, s in results],
            "Messages": [], **({"NextToken": nxt} if nxt else {})},
            ctx.rid, "application/x-amz-json-1.0")
    # Points rendered straight to text (what X() would make of them): a
    # full page is 100,800 of each.
    return query_response(CW_NS, "GetMetricData", [
        ("MetricDataResults", [("member", [
            ("Id", i), ("Label", l),
            ("Timestamps", Raw("".join(["<member>%s</member>" % iso(t, millis=False)
                                        for t, _ in pts]))),
            ("Values", Raw("".join(["<member>%r</member>" % v if type(v) is float
                                    else X("member", v) for _, v in pts]))),
            ("StatusCode", s)]) for i, l, pts, s in results]),
        ("NextToken", nxt), ("Messages", [])], ctx.rid)


def cw_query(cloud, ctx):
    return cw_get_metric_data(cloud, ctx, ctx.tree)


CLOUDWATCH = {"GetMetricData": cw_query}
CLOUDWATCH_JSON = {"GetMetricData": lambda cloud, ctx: cw_get_metric_data(
    cloud, ctx, ctx.json, json_mode=True)}

# ---- Lambda ----------------------------------------------------------------


def fn_arn(r):
    return "arn:aws:lambda:%s:%s:function:%s" % (r.region, r.account, r.id)


def fn_config(r):
    return {"FunctionName": r.id, "FunctionArn": fn_arn(r),
            "Runtime": r.klass or "python3.12",
            "Role": "arn:aws:iam::%s:role/%s-role" % (r.account, r.id),
            "Handler": "app.handler", "CodeSize": 4096 + int(h16(r.id, 4), 16) % 65536,
            "Description": r.name or "", "Timeout": 30, "MemorySize": int(r.size or 128),
            "LastModified": datetime.datetime.utcfromtimestamp(r.created).strftime(
                "%Y-%m-%dT%H:%M:%S.000+0000"),
            "CodeSha256": base64.b64encode(hashlib.sha256(r.id.encode()).digest()).decode(),
            "Version": "$LATEST", "PackageType": "Zip",
            "Architectures": [r.attrs.get("architecture", "x86_64")],
            "EphemeralStorage": {"Size": 512}}


def lambda_route(cloud, ctx):
    path = ctx.path
    q = {k: v[-1] for k, v in ctx.query.items()}
    if ctx.method == "GET" and path in ("/2015-03-31/functions", "/2015-03-31/functions/"):
        ctx.action = "ListFunctions"
        size = q.get("MaxItems")
        try:
            size = int(size) if size else 50
        except ValueError:
            raise AwsError("InvalidParameterValueException", "MaxItems must be a number")
        if size < 1 or size > 10000:
            raise AwsError("InvalidParameterValueException",
                           "MaxItems must be between 1 and 10000")
        items = cloud.list(ctx.account, ctx.region, "lambda-function")
        chunk, nxt = page(items, lambda r: r.id, q.get("Marker"), size,
                          "InvalidParameterValueException")
        out = {"Functions": [fn_config(r) for r in chunk]}
        if nxt:
            out["NextMarker"] = nxt
        return json_response(out, ctx.rid, "application/json")
    m = re.fullmatch(r"/2017-03-31/tags/(.+)", path)
    if ctx.method == "GET" and m:
        ctx.action = "ListTags"
        arn = urllib.parse.unquote(m.group(1))
        r = next((x for x in cloud.list(ctx.account, ctx.region, "lambda-function")
                  if fn_arn(x) == arn), None)
        if r is None:
            raise AwsError("ResourceNotFoundException", "Function not found: %s" % arn, 404)
        return json_response({"Tags": dict(r.tags)}, ctx.rid, "application/json")
    m = re.fullmatch(r"/2015-03-31/functions/([^/]+)/?", path)
    if ctx.method == "GET" and m:
        ctx.action = "GetFunction"
        name = urllib.parse.unquote(m.group(1))
        r = next((x for x in cloud.list(ctx.account, ctx.region, "lambda-function")
                  if name in (x.id, fn_arn(x))), None)
        if r is None:
            raise AwsError("ResourceNotFoundException", "Function not found: %s" % name, 404)
        return json_response({"Configuration": fn_config(r), "Tags": dict(r.tags),
                              "Code": {"RepositoryType": "S3"}}, ctx.rid, "application/json")
    ctx.action = "Unknown"
    raise AwsError("UnknownOperationException", "Unknown operation %s %s" % (ctx.method, path),
                   404)


# ---- S3 --------------------------------------------------------------------

def s3_lifecycle(r):
    """attrs.lifecycleRules N gives N rules (0: none).  Without it, buckets
    named *logs* or *backups* get one (transition + expiry), others none."""
    if "lifecycleRules" in r.attrs:
        n = int(r.attrs["lifecycleRules"])
        return [("Rule", [("ID", "rule-%d" % (k + 1)), ("Filter", [("Prefix", "")]),
                          ("Status", "Enabled"),
                          ("Transition", [("Days", 30 * (k + 1)),
                                          ("StorageClass", "STANDARD_IA")]),
                          ("Expiration", [("Days", 365)])]) for k in range(n)] or None
    if "logs" in r.id:
        return [("Rule", [("ID", "expire-logs"), ("Filter", [("Prefix", "")]),
                          ("Status", "Enabled"),
                          ("Transition", [("Days", 30), ("StorageClass", "STANDARD_IA")]),
                          ("Expiration", [("Days", 365)])])]
    if "backups" in r.id:
        return [("Rule", [("ID", "archive-backups"), ("Filter", [("Prefix", "")]),
                          ("Status", "Enabled"),
                          ("Transition", [("Days", 90), ("StorageClass", "GLACIER")])])]
    return None


def s3_route(cloud, ctx):
    def xml(name, fields):
        return 200, {"Content-Type": "application/xml", "x-amz-request-id": ctx.rid}, xml_doc(
            '<%s xmlns="%s">%s</%s>' % (name, S3_NS, "".join(X(k, v) for k, v in fields), name))

    parts = [urllib.parse.unquote(s) for s in ctx.path.split("/") if s]
    if not parts:
        if ctx.method != "GET":
            raise AwsError("MethodNotAllowed", "The specified method is not allowed", 405)
        ctx.action = "ListBuckets"
        now = cloud.now()
        buckets = sorted((r for (a, _, t), d in cloud.index.items()
                          if a == ctx.account and t == "s3-bucket"
                          for r in d.values() if r.created <= now), key=lambda r: r.id)
        return xml("ListAllMyBucketsResult", [
            ("Owner", [("ID", h16("owner:" + ctx.account, 64)), ("DisplayName", "finops")]),
            ("Buckets", [("Bucket", [("Name", r.id), ("CreationDate", iso(r.created))])
                         for r in buckets])])
    bucket = parts[0]
    sub = next((k for k in ("location", "lifecycle", "tagging") if k in ctx.query), None)
    ctx.action = {"location": "GetBucketLocation", "lifecycle": "GetBucketLifecycleConfiguration",
                  "tagging": "GetBucketTagging"}.get(sub, "HeadBucket" if ctx.method == "HEAD"
                                                     else "Unknown")
    r = cloud.by_id.get(bucket)
    if r is None or r.type != "s3-bucket" or r.created > cloud.now():
        raise AwsError("NoSuchBucket", "The specified bucket does not exist", 404)
    ctx.s3_bucket = bucket
    if r.account != ctx.account:
        raise AwsError("AccessDenied", "Access Denied", 403)
    if ctx.method == "HEAD" and len(parts) == 1 and not sub:
        return 200, {"x-amz-bucket-region": r.region, "x-amz-request-id": ctx.rid}, b""
    if ctx.method != "GET" or len(parts) != 1 or not sub:
        raise AwsError("NotImplemented",
                       "A header or query you provided implies functionality that is not "
                       "implemented", 501)
    if sub == "location":
        loc = "" if r.region == "us-east-1" else r.region
        return 200, {"Content-Type": "application/xml", "x-amz-request-id": ctx.rid}, xml_doc(
            '<LocationConstraint xmlns="%s">%s</LocationConstraint>' % (S3_NS, loc))
    if sub == "lifecycle":
        rules = s3_lifecycle(r)
        if rules is None:
            raise AwsError("NoSuchLifecycleConfiguration",
                           "The lifecycle configuration does not exist", 404)
        return xml("LifecycleConfiguration", rules)
    if not r.tags:
        raise AwsError("NoSuchTagSet", "The TagSet does not exist", 404)
    return xml("Tagging", [("TagSet", [("Tag", [("Key", k), ("Value", v)])
                                       for k, v in sorted(r.tags.items())])])


# ---- Cost Explorer ---------------------------------------------------------

CE_PAGE_DAYS = 31
CE_METRICS = ("UnblendedCost", "BlendedCost", "AmortizedCost", "NetUnblendedCost",
              "NetAmortizedCost", "UsageQuantity", "NormalizedUsageAmount")


def ce_day(s, field):
    try:
        return to_epoch(s)
    except (TypeError, ValueError):
        raise AwsError("ValidationException", "%s: invalid date '%s'" % (field, s))


def ce_get_cost_and_usage(cloud, ctx):
    req = ctx.json
    tp = req.get("TimePeriod") or {}
    start, end = ce_day(tp.get("Start"), "Start"), ce_day(tp.get("End"), "End")
    if start >= end:
        raise AwsError("ValidationException", "Start date must be before end date")
    gran = req.get("Granularity") or "DAILY"
    if gran not in ("DAILY", "MONTHLY"):
        raise AwsError("ValidationException", "Granularity %s is not supported" % gran)
    metrics = req.get("Metrics") or []
    if not metrics or any(m not in CE_METRICS for m in metrics):
        raise AwsError("ValidationException", "Metrics must be a non-empty list of %s"
                       % ", ".join(CE_METRICS))
    groups = req.get("GroupBy") or []
    keys = []
    for g in groups:
        if g.get("Type") != "DIMENSION" or g.get("Key") not in ("SERVICE", "LINKED_ACCOUNT"):
            raise AwsError("ValidationException",
                           "GroupBy %s/%s is not supported" % (g.get("Type"), g.get("Key")))
        keys.append(g["Key"])
    if len(keys) > 2:
        raise AwsError("ValidationException", "At most two GroupBy entries")
    est = cloud.est
    today = cloud.now() // DAY * DAY
    since = est.cost_since // DAY * DAY if est.cost_since is not None else None
    periods = []
    t = start
    while t < end:
        if gran == "DAILY":
            nt = t + DAY
        else:
            d = datetime.datetime.utcfromtimestamp(t)
            nt = to_epoch(datetime.date(d.year + (d.month == 12), d.month % 12 + 1, 1))
        periods.append((t, min(nt, end)))
        t = nt
    first = 0
    if req.get("NextPageToken"):
        first = int(tok_decode(req["NextPageToken"], "InvalidNextTokenException").get("p", 0))
    chunk = periods[first:first + CE_PAGE_DAYS]
    nxt = tok_encode({"p": first + CE_PAGE_DAYS}) if first + CE_PAGE_DAYS < len(periods) else None
    lines = [l for l in est.lines if l.account == ctx.account]
    names = {a["id"]: a["name"] for a in est.accounts}
    unit = {m: ("N/A" if m in ("UsageQuantity", "NormalizedUsageAmount") else est.currency)
            for m in metrics}
    out = []
    for ps, pe in chunk:
        sums = {}
        for day in range(ps, pe, DAY):
            if day >= today or (since is not None and day < since):
                continue
            for l in lines:
                k = tuple(l.service if key == "SERVICE" else l.account for key in keys)
                sums[k] = sums.get(k, 0.0) + est.cost_value(l, day)

        def amounts(v):
            return {m: {"Amount": "%.2f" % v, "Unit": unit[m]} for m in metrics}
        entry = {"TimePeriod": {"Start": iso_day(ps), "End": iso_day(pe)},
                 "Estimated": pe > today}
        if keys:
            entry["Total"] = {}
            entry["Groups"] = [{"Keys": list(k), "Metrics": amounts(v)}
                               for k, v in sorted(sums.items())]
        else:
            entry["Total"] = amounts(sums.get((), 0.0))
            entry["Groups"] = []
        out.append(entry)
    resp = {"GroupDefinitions": [{"Type": "DIMENSION", "Key": k} for k in keys],
            "ResultsByTime": out,
            "DimensionValueAttributes": [{"Value": ctx.account, "Attributes": {
                "description": names.get(ctx.account, ctx.account)}}]
            if "LINKED_ACCOUNT" in keys else []}
    if nxt:
        resp["NextPageToken"] = nxt
    return json_response(resp, ctx.rid)


def iso_day(t):
    return datetime.datetime.utcfromtimestamp(t).strftime("%Y-%m-%d")


CE = {"GetCostAndUsage": ce_get_cost_and_usage}
