#!/usr/bin/env python3
"""How long the server takes to refuse a hostile 256 KiB body, beside the bare Vapor route receiving the same bytes.

Usage: bench/hostile.py SERVER_BASE BARE_BASE TOKEN [TRIES]
Sends each body TRIES times (default 30) on one kept-alive connection and prints the median and the slowest time
from the request's first byte to the response's last, in milliseconds, and the median as a multiple of the bare
route's for the same body. The issue's target: each refusal within 20 ms.
"""
import http.client, statistics, sys, time, urllib.parse

server, bare, token = sys.argv[1], sys.argv[2], sys.argv[3]
tries = int(sys.argv[4]) if len(sys.argv) > 4 else 30
size = 256 * 1024
auth = {"Authorization": f"Bearer {token}"}
under = size - 1024   # just under the body limit, so that the parsing caps, not the size, refuse it
bodies = [
    ("form of a=1& pairs to /sign-in", "/sign-in", "application/x-www-form-urlencoded", b"a=1&" * (size // 4), {}),
    ("form of a=1& pairs to /sign-in, 255 KiB", "/sign-in", "application/x-www-form-urlencoded", b"a=1&" * (under // 4), {}),
    ("form of a=1& pairs to /api/v1/cases, signed in, 255 KiB", "/api/v1/cases", "application/x-www-form-urlencoded",
     b"a=1&" * (under // 4), auth),
    ("JSON nested 127 KiB deep to /api/v1/cases, 255 KiB", "/api/v1/cases", "application/json",
     b"[" * (under // 2) + b"]" * (under // 2), auth),
    ("JSON nested 128 KiB deep to /api/v1/cases", "/api/v1/cases", "application/json",
     b"[" * (size // 2) + b"]" * (size // 2), {"Authorization": f"Bearer {token}"}),
    ("JSON of 64K numbers to /api/v1/cases", "/api/v1/cases", "application/json",
     b"[" + b",".join([b"1"] * (size // 2 - 1)) + b"]", {"Authorization": f"Bearer {token}"}),
]

def timings(base, path, ctype, body, headers):
    url = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    out, statuses = [], set()
    for _ in range(tries):
        start = time.perf_counter()
        conn.request("POST", path, body=body, headers={"Content-Type": ctype, **headers})
        resp = conn.getresponse()
        resp.read()
        out.append((time.perf_counter() - start) * 1000)
        statuses.add(resp.status)
        if resp.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.close()
    return out, statuses

print(f"hostile bodies of {size // 1024} KiB, {tries} tries each, one connection; the bare route receives the same bytes")
print("| body | status | median (ms) | slowest (ms) | bare route median (ms) | median / bare |")
print("|---|---|---:|---:|---:|---:|")
worst = 0.0
for name, path, ctype, body, headers in bodies:
    served, statuses = timings(server, path, ctype, body, headers)
    base, _ = timings(bare, "/", ctype, body, {})
    m, b = statistics.median(served), statistics.median(base)
    worst = max(worst, m)
    print(f"| {name} | {','.join(map(str, sorted(statuses)))} | {m:.2f} | {max(served):.2f} | {b:.2f} | {m / b:.2f} |")
print(f"slowest median refusal: {worst:.2f} ms (target: within 20 ms)")
