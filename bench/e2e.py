#!/usr/bin/env python3
"""End-to-end time of one request on a kept-alive connection, binaries alternated.

    python3 bench/e2e.py BODY.json BIN [BIN ...]

For each of three rounds and each binary: starts the server (auth off, the
audit on disk in a fresh directory, body limit 8 MiB), sends the body 12
times on one connection and prints the median of the last 10 (ms).
"""
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def run(binary, body, n=10):
    d = tempfile.mkdtemp()
    os.makedirs(d + "/db")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    p = subprocess.Popen(
        [binary, "serve", "--insecure-no-auth", "--listen", f"127.0.0.1:{port}",
         "--database", d + "/db/records.sqlite", "--max-body-bytes", "8388608"],
        env=dict(os.environ, XDG_STATE_HOME=d + "/state"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port)
                c.request("GET", "/cds-services")
                c.getresponse().read()
                break
            except OSError:
                time.sleep(0.05)
        c = http.client.HTTPConnection("127.0.0.1", port)
        times = []
        for _ in range(n + 2):
            t = time.perf_counter()
            c.request("POST", "/cds-services/ssc-myositis-order-sign", body,
                      {"content-type": "application/json"})
            r = c.getresponse()
            r.read()
            assert r.status == 200, r.status
            times.append((time.perf_counter() - t) * 1000)
        return statistics.median(times[2:])
    finally:
        p.terminate()
        p.wait()


def main():
    body = open(sys.argv[1], "rb").read()
    for r in range(3):
        for b in sys.argv[2:]:
            print(f"round {r + 1} {b}: {run(b, body):.1f} ms")


if __name__ == "__main__":
    main()
