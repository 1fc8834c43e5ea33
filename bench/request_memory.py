#!/usr/bin/env python3
"""Memory one request costs: the server's peak RSS (VmHWM) after start-up and
warm-up with a small request, then after one call with BODY. The difference
bounds the memory of one in-flight request of that size.

    python3 bench/request_memory.py target/release/ssc-myositis-cds BODY.json
"""
import http.client, os, re, socket, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary, path = sys.argv[1], sys.argv[2]
body = open(path, "rb").read()
small = open(os.path.join(ROOT, "tests/requests/S1.json"), "rb").read()
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
p = subprocess.Popen([binary, "serve", "--insecure-no-auth", "--listen", f"127.0.0.1:{port}",
                      "--max-body-bytes", str(8 * 1024 * 1024)],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def hwm():
    with open(f"/proc/{p.pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1)) / 1024


def call(b):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("POST", "/cds-services/ssc-myositis-order-sign", b, {"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status


try:
    for _ in range(100):
        try:
            call(small)
            break
        except OSError:
            time.sleep(0.05)
    before = hwm()
    call(body)
    after = hwm()
    print(f"body {len(body) / 1e6:.2f} MB: peak RSS {before:.1f} MB before, {after:.1f} MB after; "
          f"one request {after - before:.1f} MB = {(after - before) * 1024 * 1024 / len(body):.2f}x its body")
finally:
    p.terminate()
    p.wait()
