#!/usr/bin/env python3
"""Slowloris against the service on loopback, measuring legitimate latency.

Starts the release binary on a free loopback port (or uses --port of one
already running), opens --connections connections that each send a request's
headers one byte per --byte-interval seconds and reconnect whenever the
server closes them, and meanwhile sends legitimate order-sign calls (a worked
case, new connection each) one after another. After --duration seconds it
prints the legitimate latency (p50, p90, p99, max), failures, and how often
the crowd was cut off. Loopback only; bounded in time and connections.

    cargo build --release
    python3 bench/slowloris.py --binary target/release/ssc-myositis-cds
    python3 bench/slowloris.py --binary target/release/ssc-myositis-cds --hard-nofile 1024
"""

import argparse
import asyncio
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = "/cds-services/ssc-myositis-order-sign"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def slow_client(host, port, byte_interval, stop, stats):
    """One slowloris connection, reopened whenever the server drops it."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            stats["connect_failed"] += 1
            await asyncio.sleep(byte_interval)
            continue
        stats["open"] += 1
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            await writer.drain()
            while not stop.is_set():
                await asyncio.sleep(byte_interval)
                if reader.at_eof():
                    break
                writer.write(b"a")
                await writer.drain()
        except (OSError, ConnectionError):
            pass
        finally:
            stats["open"] -= 1
            if not stop.is_set():
                stats["cut_off"] += 1
            writer.close()


async def legit_call(host, port, body, timeout):
    """One order-sign call on a new connection; (status, seconds)."""
    started = time.perf_counter()
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        head = (
            f"POST {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        writer.write(head + body)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
    return status, time.perf_counter() - started


async def run(args):
    host, port = "127.0.0.1", args.port
    with open(os.path.join(ROOT, "tests", "requests", "S1.json"), "rb") as f:
        body = json.dumps(json.load(f)).encode()
    stop = asyncio.Event()
    stats = {"open": 0, "cut_off": 0, "connect_failed": 0}
    crowd = []
    for _ in range(args.connections):
        crowd.append(asyncio.create_task(slow_client(host, port, args.byte_interval, stop, stats)))
    # Let the crowd connect before measuring.
    await asyncio.sleep(min(5.0, args.duration / 4))
    crowd_open_at_start = stats["open"]
    latencies, failures, statuses = [], 0, {}
    deadline = time.monotonic() + args.duration
    while time.monotonic() < deadline:
        try:
            status, took = await legit_call(host, port, body, args.timeout)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                latencies.append(took)
            else:
                failures += 1
        except (OSError, asyncio.TimeoutError, ConnectionError):
            failures += 1
        await asyncio.sleep(args.pause)
    crowd_open_at_end = stats["open"]
    stop.set()
    for t in crowd:
        t.cancel()
    await asyncio.gather(*crowd, return_exceptions=True)
    return latencies, failures, statuses, stats, crowd_open_at_start, crowd_open_at_end


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", help="start this binary on a free loopback port")
    ap.add_argument("--port", type=int, help="port of a service already listening on 127.0.0.1")
    ap.add_argument("--connections", type=int, default=2000)
    ap.add_argument("--byte-interval", type=float, default=1.0, help="seconds between header bytes")
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of measurement (at most 600)")
    ap.add_argument("--pause", type=float, default=0.05, help="seconds between legitimate calls")
    ap.add_argument("--timeout", type=float, default=30.0, help="a legitimate call failing after this")
    ap.add_argument("--hard-nofile", type=int, help="start the binary under this hard open-file limit")
    ap.add_argument("--serve-arg", action="append", default=[], help="extra argument for serve")
    args = ap.parse_args()
    if not (0 < args.connections <= 10000 and 0 < args.duration <= 600):
        sys.exit("connections must be 1..10000 and duration 1..600 s")
    if bool(args.binary) == bool(args.port):
        sys.exit("give --binary or --port")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.connections + 256
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))

    child = None
    log = []
    if args.binary:
        args.port = free_port()
        limit = args.hard_nofile

        def preexec():
            if limit:
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

        child = subprocess.Popen(
            [args.binary, "serve", "--listen", f"127.0.0.1:{args.port}", *args.serve_arg],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            preexec_fn=preexec,
            text=True,
        )
        listening = threading.Event()

        def drain():
            # Read the service's log all along: a full pipe would block it.
            for line in child.stderr:
                log.append(line)
                if "listening" in line:
                    listening.set()

        threading.Thread(target=drain, daemon=True).start()
        if not listening.wait(60):
            child.kill()
            sys.exit("the service did not start:\n" + "".join(log))
    try:
        latencies, failures, statuses, stats, open_start, open_end = asyncio.run(run(args))
    finally:
        if child:
            child.terminate()
            child.wait(timeout=30)
    print(f"slowloris: {args.connections} connections, one header byte every {args.byte_interval} s, "
          f"{args.duration:.0f} s")
    print(f"crowd: {open_start} open after warm-up, {open_end} open at the end, "
          f"{stats['cut_off']} cut off by the server, {stats['connect_failed']} connects failed")
    if latencies:
        ms = [x * 1000 for x in latencies]
        print(f"legitimate order-sign calls: {len(ms)} ok, {failures} failed, statuses {statuses}")
        print(f"latency ms: p50 {pct(ms, 50):.1f}  p90 {pct(ms, 90):.1f}  p99 {pct(ms, 99):.1f}  "
              f"max {max(ms):.1f}  mean {statistics.mean(ms):.1f}")
    else:
        print(f"legitimate calls: none succeeded, {failures} failed, statuses {statuses}")
    for line in log:
        if re.search(r"open-file limit|connection limit|accept failed|listening", line):
            print("service:", line.rstrip())
    sys.exit(0 if latencies and failures == 0 else 1)


if __name__ == "__main__":
    main()
