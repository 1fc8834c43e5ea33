#!/usr/bin/env python3
"""Start-up and first-request latency of the release binary on loopback:
time from exec to the first answer of GET /cds-services (ready), then the
first, second and tenth order-sign calls (a worked case), each on a new
connection. The first call should cost what the others do (no lazily built
matcher).

    python3 bench/first_request.py target/release/ssc-myositis-cds [BODY]
"""
import http.client
import os
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = sys.argv[1]
body = open(sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "tests/requests/S1.json"), "rb").read()
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
t0 = time.perf_counter()
p = subprocess.Popen([binary, "serve", "--insecure-no-auth", "--listen", f"127.0.0.1:{port}"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    while True:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/cds-services")
            c.getresponse().read()
            break
        except OSError:
            if time.perf_counter() - t0 > 30:
                sys.exit("not ready in 30 s")
            time.sleep(0.002)
    ready = time.perf_counter() - t0
    times = []
    for _ in range(10):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        t = time.perf_counter()
        c.request("POST", "/cds-services/ssc-myositis-order-sign", body, {"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        times.append(time.perf_counter() - t)
        assert r.status == 200, r.status
    print(f"ready {ready * 1000:.1f} ms; order-sign call 1: {times[0] * 1000:.2f} ms, "
          f"2: {times[1] * 1000:.2f} ms, 10: {times[9] * 1000:.2f} ms")
finally:
    p.terminate()
    p.wait()
