#!/usr/bin/env python3
"""Load test of the release binary on loopback with wrk (Debian package `wrk`).

Starts the server on a free loopback port, once without authentication
(--insecure-no-auth) and once trusting a throw-away ES384 issuer whose tokens
(unique jti, aud = the URL called) are generated before the run; sends the
order-sign request with full prefetch (the generated typical record, or --body)
at 1, 16 and 64 connections for --duration seconds each, and prints per run:
requests/s, p50/p99/max latency, non-2xx and socket errors, server CPU per
request (utime+stime from /proc) and the server's peak RSS (VmHWM).
Loopback only; bounded in time.

    cargo build --release
    apt-get install -y wrk   # if missing
    python3 bench/load.py --binary target/release/ssc-myositis-cds
"""

import argparse
import base64
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = "/cds-services/ssc-myositis-order-sign"
CLK = os.sysconf("SC_CLK_TCK")

LUA = r"""
local body_file = io.open(os.getenv("LOAD_BODY"), "rb")
local body = body_file:read("*a")
body_file:close()
local tokens = {}
local tfile = os.getenv("LOAD_TOKENS")
local threads, counter = {}, 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
  if tfile ~= nil and tfile ~= "" then
    local n = tonumber(os.getenv("LOAD_THREADS"))
    local i = 0
    for line in io.lines(tfile) do
      if i % n == id then table.insert(tokens, line) end
      i = i + 1
    end
  end
  next_token = 1
end
function request()
  if #tokens > 0 then
    local t = tokens[next_token]
    next_token = next_token + 1
    if next_token > #tokens then next_token = 1 end
    wrk.headers["Authorization"] = "Bearer " .. t
  end
  return wrk.format()
end
done = function(summary, latency, requests)
  io.write(string.format("JSON {\"requests\":%d,\"duration_us\":%d,\"non2xx\":%d,\"connect\":%d,\"read\":%d,\"write\":%d,\"timeout\":%d,\"p50_us\":%d,\"p99_us\":%d,\"max_us\":%d}\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def es384_issuer(workdir, port, count):
    """A throw-away ES384 key: JWKS and auth config files, and `count` tokens."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    from cryptography.hazmat.primitives import hashes

    key = ec.generate_private_key(ec.SECP384R1())
    nums = key.public_key().public_numbers()
    kid = "load-test"
    jwk = {"kty": "EC", "crv": "P-384", "kid": kid, "alg": "ES384", "use": "sig",
           "x": b64(nums.x.to_bytes(48, "big")), "y": b64(nums.y.to_bytes(48, "big"))}
    with open(os.path.join(workdir, "jwks.json"), "w") as f:
        json.dump({"keys": [jwk]}, f)
    iss = "https://load-test.invalid"
    with open(os.path.join(workdir, "auth.toml"), "w") as f:
        f.write(f'public_base_url = "http://127.0.0.1:{port}"\n\n[[issuer]]\niss = "{iss}"\njwks_file = "jwks.json"\n')
    aud = f"http://127.0.0.1:{port}{PATH}"
    header = b64(json.dumps({"alg": "ES384", "typ": "JWT", "kid": kid}).encode())
    now = int(time.time())
    path = os.path.join(workdir, "tokens.txt")
    with open(path, "w") as f:
        for _ in range(count):
            claims = {"iss": iss, "sub": iss, "aud": aud, "iat": now, "exp": now + 280,
                      "jti": str(uuid.uuid4())}
            signing_input = header + "." + b64(json.dumps(claims).encode())
            der = key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA384()))
            r, s = decode_dss_signature(der)
            sig = r.to_bytes(48, "big") + s.to_bytes(48, "big")
            f.write(signing_input + "." + b64(sig) + "\n")
    return os.path.join(workdir, "auth.toml"), path


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def peak_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))


def start(binary, port, auth_config):
    args = [binary, "serve", "--listen", f"127.0.0.1:{port}"]
    args += ["--auth-config", auth_config] if auth_config else ["--insecure-no-auth"]
    env = dict(os.environ, RUST_LOG="warn")
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                         cwd=os.path.dirname(auth_config) if auth_config else ROOT)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return p
        except OSError:
            time.sleep(0.05)
    p.kill()
    sys.exit("server did not start")


def run_wrk(port, conns, duration, body_file, tokens_file):
    threads = min(conns, 2)
    env = dict(os.environ, LOAD_BODY=body_file, LOAD_TOKENS=tokens_file or "",
               LOAD_THREADS=str(threads))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA)
        script = f.name
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{duration}s",
                          "--timeout", "10s", "-s", script, f"http://127.0.0.1:{port}{PATH}"],
                         env=env, capture_output=True, text=True, timeout=duration + 60)
    os.unlink(script)
    line = next(l for l in out.stdout.splitlines() if l.startswith("JSON "))
    return json.loads(line[5:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "target/release/ssc-myositis-cds"))
    ap.add_argument("--body", help="request body (default: tests/requests/S1.json)")
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--connections", default="1,16,64")
    ap.add_argument("--modes", default="off,es384")
    a = ap.parse_args()
    a.binary = os.path.abspath(a.binary)
    body = a.body or os.path.join(ROOT, "tests/requests/S1.json")
    print(f"body {body} ({os.path.getsize(body)} bytes), {a.duration} s per run")
    print(f"{'auth':<6} {'conns':>5} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
          f"{'errors':>6} {'CPU/req ms':>10} {'peak RSS MB':>11}")
    for mode in a.modes.split(","):
        for conns in [int(c) for c in a.connections.split(",")]:
            port = free_port()
            with tempfile.TemporaryDirectory() as work:
                auth, tokens = (None, None)
                if mode == "es384":
                    # Enough unique tokens for the run at 10,000 req/s.
                    auth, tokens = es384_issuer(work, port, 10_000 * a.duration)
                p = start(a.binary, port, auth)
                try:
                    cpu0 = proc_cpu(p.pid)
                    r = run_wrk(port, conns, a.duration, body, tokens)
                    cpu = proc_cpu(p.pid) - cpu0
                    rss = peak_rss_kb(p.pid) / 1024
                finally:
                    p.terminate()
                    p.wait(timeout=10)
            n = max(r["requests"], 1)
            errors = r["non2xx"] + r["connect"] + r["read"] + r["write"] + r["timeout"]
            print(f"{mode:<6} {conns:>5} {n / (r['duration_us'] / 1e6):>8.0f} "
                  f"{r['p50_us'] / 1000:>7.2f} {r['p99_us'] / 1000:>7.2f} {r['max_us'] / 1000:>7.2f} "
                  f"{errors:>6} {cpu * 1000 / n:>10.3f} {rss:>11.1f}", flush=True)


if __name__ == "__main__":
    main()
