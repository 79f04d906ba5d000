"""estate.py - the sim estate (examples/sim/estate.yaml) for the AWS test server.

Loads the same YAML the sim provider reads, optionally multiplies its
resources for benchmarks, and mirrors controller/cloud/sim.c's generators so
GetMetricData and GetCostAndUsage return the numbers the sim provider would:
every hourly metric value is a pure function of (seed, resource id, metric,
hour) and every daily cost of (seed, account, service, day), hashed with the
same FNV-1a + splitmix64 finaliser.

Owns nothing global: Estate is a plain object the server guards with a lock.
"""
import calendar
import datetime
import functools
import hashlib
import math

import yaml

MASK = (1 << 64) - 1
HOUR = 3600
DAY = 86400
COST_SALT = 0x636f737473
TWO_PI = 6.283185307179586
BUSY_SHARE = 50.0 / 168.0

# ---- deterministic numbers (sim.c: fc_hash64, mix64, hash_at) ------------


def fnv64(data, seed):
    h = 1469598103934665603 ^ seed
    for b in data:
        h ^= b
        h = (h * 1099511628211) & MASK
    return h


def hash_str(s, seed):
    return fnv64(s.encode(), seed)


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & MASK
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & MASK
    return z ^ (z >> 31)


def hash_at(key, index):
    return mix64(fnv64((index & MASK).to_bytes(8, "little"), key))


def unit01(h):
    return (h >> 11) * 2.0 ** -53


def unit11(h):
    return unit01(h) * 2.0 - 1.0


def cround(v):
    """C round(): half away from zero (Python's round() is banker's)."""
    return math.copysign(math.floor(abs(v) + 0.5), v)


def weekday_of_day(day_index):
    """0 = Sunday; 1970-01-01 was a Thursday."""
    return (day_index % 7 + 7 + 4) % 7


PROFILES = ("constant", "idle", "diurnal", "weekly", "busy", "spiky")


class Metric:
    __slots__ = ("name", "profile", "mean", "jitter", "amplitude", "spike",
                 "probability", "key", "percent")

    def __init__(self, name, spec, seed, rid):
        self.name = name
        self.profile = spec.get("profile", "constant")
        if self.profile not in PROFILES:
            raise ValueError("metric %s of %s: unknown profile %r" % (name, rid, self.profile))
        self.mean = float(spec.get("mean", 0))
        self.jitter = float(spec.get("jitter", 0))
        self.amplitude = float(spec.get("amplitude", 0.1 if self.profile == "busy" else 0.5))
        self.spike = float(spec.get("spike", self.mean * 10))
        self.probability = float(spec.get("probability", 0.02))
        self.key = hash_str(name, hash_str(rid, seed))
        self.percent = name in ("CPUUtilization", "MemoryUtilization")  # as sim.c

    def value(self, hour):
        """sim.c metric_value(): the value of the hour starting at hour*3600."""
        h = hash_at(self.key, hour)
        noise = self.jitter * unit11(h)
        hod = hour - (hour // 24) * 24
        dow = weekday_of_day(hour // 24)
        wave = math.sin(TWO_PI * (hod - 8) / 24.0)
        p = self.profile
        if p == "constant":
            v = self.mean
        elif p == "idle":
            v = self.mean + noise
        elif p in ("diurnal", "busy"):
            v = self.mean * (1.0 + self.amplitude * wave) + noise
        elif p == "weekly":
            if 1 <= dow <= 5 and 8 <= hod < 18:
                v = self.mean * (1.0 + self.amplitude)
            else:
                v = self.mean * (1.0 - self.amplitude * BUSY_SHARE / (1.0 - BUSY_SHARE))
            v += noise
        else:
            if unit01(mix64(h ^ 0x9e3779b97f4a7c15)) < self.probability:
                v = self.spike + noise
            else:
                v = self.mean + noise
        if v < 0:
            v = 0.0
        if self.percent:
            if v > 100:
                v = 100.0
            return cround(v * 100.0) / 100.0
        return cround(v)

    def series(self, h0, h1):
        """[value(h) for h in range(h0, h1)], the same floats, about twice
        as fast: FNV-1a of the hour's 8 bytes and mix64 inlined, and the
        hour-of-day wave looked up (a benchmark asks for millions)."""
        P, M, K = 1099511628211, MASK, self.key ^ 1469598103934665603
        P6 = P ** 6 & M
        C1, C2, S53 = 0xbf58476d1ce4e5b9, 0x94d049bb133111eb, 2.0 ** -53
        jit, mean, amp, spike, prob = (self.jitter, self.mean, self.amplitude, self.spike,
                                       self.probability)
        prof, pct, floor, copysign = self.profile, self.percent, math.floor, math.copysign
        waves = WAVES
        out = []
        append = out.append
        for hour in range(h0, h1):
            if 0 <= hour < 1 << 24:
                # Bytes 3..7 are zero: h ^ 0 = h, so byte 2's round and theirs
                # are one multiplication by P**6.
                h = ((K ^ (hour & 0xff)) * P) & M
                h = ((h ^ ((hour >> 8) & 0xff)) * P) & M
                h = ((h ^ (hour >> 16)) * P6) & M
            else:
                h, x = K, hour & M
                for _ in range(8):
                    h = ((h ^ (x & 0xff)) * P) & M
                    x >>= 8
            h = ((h ^ (h >> 30)) * C1) & M
            h = ((h ^ (h >> 27)) * C2) & M
            h ^= h >> 31
            noise = jit * ((h >> 11) * S53 * 2.0 - 1.0)
            if prof == "constant":
                v = mean
            elif prof == "idle":
                v = mean + noise
            elif prof == "diurnal" or prof == "busy":
                v = mean * (1.0 + amp * waves[hour % 24]) + noise
            elif prof == "weekly":
                hod, dow = hour % 24, weekday_of_day(hour // 24)
                if 1 <= dow <= 5 and 8 <= hod < 18:
                    v = mean * (1.0 + amp)
                else:
                    v = mean * (1.0 - amp * BUSY_SHARE / (1.0 - BUSY_SHARE))
                v += noise
            else:
                z = h ^ 0x9e3779b97f4a7c15
                z = ((z ^ (z >> 30)) * C1) & M
                z = ((z ^ (z >> 27)) * C2) & M
                z ^= z >> 31
                v = (spike if (z >> 11) * S53 < prob else mean) + noise
            if v < 0:
                v = 0.0
            if pct:
                if v > 100:
                    v = 100.0
                v = v * 100.0
                append(copysign(floor(abs(v) + 0.5), v) / 100.0)
            else:
                append(copysign(floor(abs(v) + 0.5), v))
        return out


# sim.c's wave by hour of day: sin(2 pi (hod - 8) / 24), as value() computes it.
WAVES = [math.sin(TWO_PI * (hod - 8) / 24.0) for hod in range(24)]


def to_epoch(v):
    """Estate dates: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (string or YAML date)."""
    if v is None:
        return 0
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return calendar.timegm(v.timetuple())
    if isinstance(v, datetime.date):
        return calendar.timegm(v.timetuple())
    s = str(v)
    if len(s) == 10:
        return calendar.timegm(datetime.datetime.strptime(s, "%Y-%m-%d").timetuple())
    return calendar.timegm(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").timetuple())


@functools.lru_cache(maxsize=1 << 16)
def iso(t, millis=True):
    """Cached: a metric response repeats the same hours for every series."""
    s = datetime.datetime.utcfromtimestamp(t).strftime("%Y-%m-%dT%H:%M:%S")
    return s + (".000Z" if millis else "Z")


def parse_iso(s):
    """ISO 8601 timestamps as clients send them (Z, +00:00, fractions)."""
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    d = datetime.datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d.timestamp()


def hexid(prefix, key):
    return prefix + "0" + hashlib.sha256(key.encode()).hexdigest()[:16]


class Resource:
    """One estate resource, plus the AWS-only fields the server invents."""
    __slots__ = ("type", "id", "account", "region", "name", "state", "klass",
                 "size", "attached_to", "created", "tags", "attrs", "metrics", "extra")

    def __init__(self, d, seed):
        self.type = d["type"]
        self.id = str(d["id"])
        self.account = str(d["account"])
        self.region = str(d["region"])
        self.name = d.get("name")
        self.klass = d.get("class")
        self.size = float(d.get("size", 0) or 0)
        self.attached_to = d.get("attachedTo")
        self.created = to_epoch(d.get("created"))
        self.tags = {str(k): str(v) for k, v in (d.get("tags") or {}).items()}
        self.attrs = {str(k): str(v) for k, v in (d.get("attrs") or {}).items()}
        self.state = d.get("state") or default_state(self.type, self.attached_to)
        self.metrics = {m: Metric(m, spec, seed, self.id)
                        for m, spec in (d.get("metrics") or {}).items()}
        self.extra = {}

    def to_yaml(self):
        d = {"type": self.type, "id": self.id, "account": self.account,
             "region": self.region}
        if self.name:
            d["name"] = self.name
        d["state"] = self.state
        if self.klass:
            d["class"] = self.klass
        if self.size:
            d["size"] = self.size
        if self.attached_to:
            d["attachedTo"] = self.attached_to
        d["created"] = iso(self.created, millis=False)
        if self.tags:
            d["tags"] = dict(self.tags)
        if self.attrs:
            d["attrs"] = dict(self.attrs)
        if self.metrics:
            d["metrics"] = {m.name: metric_spec(m) for m in self.metrics.values()}
        return d


def metric_spec(m):
    return {"profile": m.profile, "mean": m.mean, "jitter": m.jitter,
            "amplitude": m.amplitude, "spike": m.spike, "probability": m.probability}


def default_state(rtype, attached):
    if rtype == "ec2-instance":
        return "running"
    if rtype == "ebs-volume" and attached:
        return "in-use"
    if rtype == "ebs-snapshot":
        return "completed"
    if rtype == "load-balancer":
        return "active"
    if rtype == "lambda-function":
        return "Active"
    return "available"


class CostLine:
    __slots__ = ("account", "service", "base", "weekend", "trend", "noise", "key")

    def __init__(self, d, seed):
        self.account = str(d["account"])
        self.service = str(d["service"])
        self.base = float(d.get("base", 0))
        self.weekend = float(d.get("weekend", 1))
        self.trend = float(d.get("trend", 0))
        self.noise = float(d.get("noise", 0))
        self.key = hash_str(self.service, hash_str(self.account, seed ^ COST_SALT))


class Estate:
    def __init__(self, path, scale=1, extra_regions=(), max_accounts=0):
        with open(path) as f:
            raw = yaml.safe_load(f)
        self.raw = raw
        self.seed = int(raw.get("seed", 0))
        self.currency = str(raw.get("currency", "USD"))
        self.accounts = [{"id": str(a["id"]), "name": a.get("name") or str(a["id"])}
                         for a in raw["accounts"]]
        if max_accounts and max_accounts < len(self.accounts):
            self.accounts = self.accounts[:max_accounts]
        acct_ids = [a["id"] for a in self.accounts]
        self.regions = [str(r) for r in raw["regions"]]
        for r in extra_regions:
            if r and r not in self.regions:
                self.regions.append(r)
        base = []
        for d in raw.get("resources") or []:
            r = Resource(d, self.seed)
            if r.account not in acct_ids:
                # --accounts N folds the dropped accounts onto the kept ones.
                r.account = acct_ids[int(hashlib.sha256(r.account.encode()).hexdigest(), 16)
                                     % len(acct_ids)]
            base.append(r)
        self.resources = list(base)
        if scale > 1:
            self.resources += clones(base, scale, self, acct_ids)
        costs = raw.get("costs") or {}
        self.cost_anchor = to_epoch(costs.get("anchor")) if costs.get("anchor") else 0
        self.cost_since = to_epoch(costs.get("since")) if costs.get("since") else None
        self.lines = [CostLine(l, self.seed) for l in costs.get("lines") or []
                      if str(l["account"]) in acct_ids]
        self.spikes = [{"account": str(s["account"]), "service": str(s["service"]),
                        "start": to_epoch(s["start"]) // DAY * DAY,
                        "days": int(s.get("days", 1)), "factor": float(s.get("factor", 1))}
                       for s in costs.get("spikes") or []]

    def account_ids(self):
        return [a["id"] for a in self.accounts]

    def cost_value(self, line, day):
        """sim.c cost_value(): the amount of the day starting at `day`."""
        di = day // DAY
        dow = weekday_of_day(di)
        v = line.base
        v *= 1.0 + line.trend * float(di - self.cost_anchor // DAY)
        if dow in (0, 6):
            v *= line.weekend
        v *= 1.0 + line.noise * unit11(hash_at(line.key, di))
        for sp in self.spikes:
            if (sp["start"] <= day < sp["start"] + sp["days"] * DAY
                    and sp["account"] == line.account and sp["service"] == line.service):
                v *= sp["factor"]
        if v < 0:
            v = 0.0
        return cround(v * 100.0) / 100.0

    def to_yaml(self):
        """The (scaled) estate in the sim provider's format, for --dump-estate."""
        out = {"seed": self.seed, "currency": self.currency,
               "accounts": [dict(a) for a in self.accounts],
               "regions": list(self.regions),
               "resources": [r.to_yaml() for r in self.resources]}
        costs = self.raw.get("costs")
        if costs:
            ids = self.account_ids()
            c = dict(costs)
            c["anchor"] = str(c.get("anchor"))
            if c.get("since"):
                c["since"] = str(c["since"])
            c["lines"] = [l for l in costs.get("lines") or [] if str(l["account"]) in ids]
            c["spikes"] = [dict(s, start=str(s["start"])) for s in costs.get("spikes") or []
                           if str(s["account"]) in ids]
            out["costs"] = c
        return yaml.safe_dump(out, sort_keys=False, default_flow_style=None, width=120)


def clone_id(r, k):
    for p in ("i-", "vol-", "snap-", "eipalloc-"):
        if r.id.startswith(p):
            return hexid(p, "%s#%d" % (r.id, k))
    return "%s-%d" % (r.id, k)


def clones(base, scale, est, acct_ids):
    """Copies 1..scale-1 of every resource.  Copy k shifts each resource's
    account by k and its region by k // naccounts, so an instance, its
    volumes, snapshots and address stay together and the copies cover every
    account x region pair; attachments are renamed within the copy."""
    out = []
    na, nr = len(acct_ids), len(est.regions)
    for k in range(1, scale):
        idmap = {r.id: clone_id(r, k) for r in base}
        for r in base:
            c = Resource.__new__(Resource)
            c.type, c.name, c.state, c.klass, c.size = r.type, r.name, r.state, r.klass, r.size
            c.id = idmap[r.id]
            c.account = acct_ids[(acct_ids.index(r.account) + k) % na]
            c.region = est.regions[(est.regions.index(r.region) + k // na) % nr]
            c.attached_to = idmap.get(r.attached_to, r.attached_to) if r.attached_to else None
            if r.type == "ebs-snapshot" and r.attached_to and r.attached_to not in idmap:
                c.attached_to = clone_id(_Id(r.attached_to), k)
            if c.name and r.type in ("load-balancer", "rds-instance", "lambda-function", "s3-bucket"):
                c.name = c.id
            c.created = r.created
            c.tags = dict(r.tags)
            c.attrs = dict(r.attrs)
            c.metrics = {m: Metric(m, metric_spec(spec), est.seed, c.id)
                         for m, spec in r.metrics.items()}
            c.extra = {}
            out.append(c)
    return out


class _Id:
    """Just enough of a Resource for clone_id() on a dangling reference."""

    def __init__(self, rid):
        self.id = rid
