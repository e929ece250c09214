#!/usr/bin/env python3
"""Helpers for deploy/test-two-servers.sh (standard library only). All requests go to one base URL on loopback.

  two_servers.py create BASE TOKEN CACERT N OUT          create N cases, write "id version" lines to OUT
  two_servers.py write  BASE TOKEN CACERT SECONDS MAX THREADS OUT
                                                         from THREADS threads until SECONDS pass or MAX requests were
                                                         sent, create a case and update its facts three times, over and
                                                         over; every acknowledged (201) case goes to OUT as
                                                         "time id reference", every acknowledged (200) fact update to
                                                         OUT.updates as "id version", and a case whose update was not
                                                         answered to OUT.updates as "unanswered id"; a summary line on
                                                         standard output
  two_servers.py verify BASE TOKEN CACERT ACKED [BEFORE] read every acknowledged case back (200, same reference), and
                                                         at the version of its last acknowledged update (or one more
                                                         when a later update went unanswered), with that update's facts;
                                                         page through the list: no duplicate reference, all present;
                                                         BEFORE: cases the organisation had before the writer ran
"""
import http.client
import json
import ssl
import sys
import threading
import time
import urllib.parse
from collections import Counter

CASE = {
    "summary": "Two-server test case: image shared between two pupils",
    "facts": {"people": [{"ref": "A", "age": 15, "roles": ["depicted", "sender"]},
                         {"ref": "B", "age": 15, "roles": ["recipient"]}],
              "circumstances": {"willing": True, "ageAppropriate": True}},
}


def facts_at(version):
    """The facts a fact update taking a case to `version` sends: B's age tells which update a read shows."""
    facts = json.loads(json.dumps(CASE["facts"]))
    facts["people"][1]["age"] = 10 + version % 7
    return facts


class Client:
    def __init__(self, base, token, cacert):
        u = urllib.parse.urlsplit(base)
        self.https = u.scheme == "https"
        self.host, self.port = u.hostname, u.port or (443 if self.https else 80)
        self.context = ssl.create_default_context(cafile=cacert) if self.https and cacert else None
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.conn = None

    def _connect(self):
        if self.https:
            self.conn = http.client.HTTPSConnection(self.host, self.port, timeout=30, context=self.context)
        else:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def request(self, method, path, body=None):
        """(status, parsed JSON or None); status 0 with the error's name when the connection failed."""
        if self.conn is None:
            self._connect()
        try:
            self.conn.request(method, path, body=None if body is None else json.dumps(body), headers=self.headers)
            r = self.conn.getresponse()
            data = r.read()
            if r.getheader("Connection", "").lower() == "close":
                self.conn.close(); self.conn = None
            try:
                return r.status, json.loads(data) if data else None
            except ValueError:
                return r.status, None
        except (OSError, http.client.HTTPException) as e:
            try:
                self.conn.close()
            except Exception:
                pass
            self.conn = None
            return 0, type(e).__name__


def create(base, token, cacert, n, out):
    c = Client(base, token, cacert)
    with open(out, "w") as f:
        for _ in range(int(n)):
            status, body = c.request("POST", "/api/v1/cases", CASE)
            if status != 201:
                sys.exit(f"create: got {status} {body}")
            f.write(f"{body['id'].lower()} {body['version']}\n")


def write(base, token, cacert, seconds, maximum, threads, out):
    deadline = time.monotonic() + float(seconds)
    budget = [int(maximum)]
    lock = threading.Lock()
    acked, statuses, errors = [], Counter(), Counter()
    start = time.time()

    updates, unanswered = [], []

    def worker():
        c = Client(base, token, cacert)
        case, version, done = None, None, 0
        while time.monotonic() < deadline:
            with lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            kind = "create" if case is None else "update"
            if kind == "create":
                status, body = c.request("POST", "/api/v1/cases", CASE)
                ok = status == 201 and isinstance(body, dict)
            else:
                # This thread's own case, at the version it was last answered: a 409 here would be a lost write.
                status, body = c.request("PUT", f"/api/v1/cases/{case}/facts",
                                         {"version": version, "facts": facts_at(version + 1)})
                ok = status == 200 and isinstance(body, dict)
            with lock:
                statuses[f"{kind} {status}"] += 1
                if status == 0:
                    errors[body] += 1
                if kind == "create" and ok:
                    acked.append((time.time() - start, body["id"].lower(), body["reference"]))
                    case, version, done = body["id"].lower(), body["version"], 0
                elif kind == "update" and ok:
                    version, done = body["version"], done + 1
                    updates.append((case, version))
                elif kind == "update":
                    unanswered.append(case)
            if not ok or done >= 3:
                case = None
            if status == 0:
                time.sleep(0.05)

    ts = [threading.Thread(target=worker) for _ in range(int(threads))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with open(out, "w") as f:
        for t, i, ref in acked:
            f.write(f"{t:.3f} {i} {ref}\n")
    with open(out + ".updates", "w") as f:
        for i, v in updates:
            f.write(f"{i} {v}\n")
        for i in unanswered:
            f.write(f"unanswered {i}\n")
    print("writer: " + json.dumps({"sent": sum(statuses.values()), "acknowledged": len(acked),
                                   "updates acknowledged": len(updates), "updates unanswered": len(unanswered),
                                   "statuses": {str(k): v for k, v in sorted(statuses.items())},
                                   "connection_errors": dict(errors)}))


def verify(base, token, cacert, acked_path, before="0"):
    acked = {}
    for line in open(acked_path):
        _, i, ref = line.split()
        acked[i] = ref
    problems = []
    ids = list(acked)
    results = {}

    def reader(part):
        c = Client(base, token, cacert)
        for i in part:
            results[i] = c.request("GET", f"/api/v1/cases/{i}")

    parts = [ids[k::4] for k in range(4)]
    ts = [threading.Thread(target=reader, args=(p,)) for p in parts]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    unreadable = [i for i in ids if results[i][0] != 200]
    wrong_ref = [i for i in ids if results[i][0] == 200 and results[i][1].get("reference") != acked[i]]
    print(f"verify: {len(ids)} acknowledged cases read back: {len(ids) - len(unreadable)} answered 200; "
          f"{len(wrong_ref)} with another reference than acknowledged")
    # Fact updates: each case at the version of its last acknowledged update, with that update's facts; one version
    # more only where a later update went unanswered (in flight on the killed server: it may or may not be stored).
    last, maybe = {}, set()
    try:
        for line in open(acked_path + ".updates"):
            a, b = line.split()
            if a == "unanswered":
                maybe.add(b)
            else:
                last[a] = max(last.get(a, 0), int(b))
    except FileNotFoundError:
        pass
    lost, wrong_facts, checked = [], [], 0
    for i, v in last.items():
        if results.get(i, (0,))[0] != 200:
            continue
        checked += 1
        got = results[i][1]
        if got.get("version") == v:
            people = (got.get("facts") or {}).get("people") or []
            if len(people) < 2 or people[1].get("age") != 10 + v % 7:
                wrong_facts.append(i)
        elif not (i in maybe and got.get("version") == v + 1):
            lost.append(f"{i}: acknowledged version {v}, read {got.get('version')}")
    print(f"verify: {len(last)} cases with acknowledged fact updates, {checked} checked: {len(lost)} not at the "
          f"version last acknowledged, {len(wrong_facts)} at it with other facts; "
          f"{len(maybe)} with an update unanswered")
    if lost:
        problems.append(f"{len(lost)} acknowledged fact updates lost, e.g. " + "; ".join(lost[:3]))
    if wrong_facts:
        problems.append(f"{len(wrong_facts)} cases at the acknowledged version with another update's facts")
    if unreadable:
        problems.append(f"{len(unreadable)} acknowledged cases not readable, e.g. "
                        + ", ".join(f"{i}: {results[i][0]}" for i in unreadable[:3]))
    if wrong_ref:
        problems.append(f"{len(wrong_ref)} acknowledged cases read back with another reference")

    c = Client(base, token, cacert)
    page, listed, total = 1, [], None
    while True:
        status, body = c.request("GET", f"/api/v1/cases?perPage=200&page={page}")
        if status != 200:
            problems.append(f"list page {page}: {status}")
            break
        listed += body["cases"]
        if len(body["cases"]) < 200 or len(listed) >= body["total"]:
            total = body["total"]
            break
        page += 1
    refs = Counter(x["reference"] for x in listed)
    dups = {r: n for r, n in refs.items() if n > 1}
    ids_listed = Counter(x["id"].lower() for x in listed)
    missing = [i for i in ids if i not in ids_listed]
    print(f"verify: {len(listed)} cases listed (total {total}), "
          f"{len(set(ids_listed))} distinct ids, {len(dups)} duplicate references, "
          f"{len(missing)} acknowledged cases missing from the list; "
          f"{len(set(ids_listed)) - len([i for i in ids if i in ids_listed]) - int(before)} stored though never "
          f"acknowledged to the writer (answer lost when a server died)")
    if dups:
        problems.append("duplicate references: " + ", ".join(f"{r}×{n}" for r, n in list(dups.items())[:5]))
    if missing:
        problems.append(f"{len(missing)} acknowledged cases missing from the list")
    if len(listed) != len(ids_listed):
        problems.append(f"the list repeated {len(listed) - len(ids_listed)} cases across pages")
    for p in problems:
        print("verify problem: " + p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"create": create, "write": write, "verify": verify}[command](*args)
