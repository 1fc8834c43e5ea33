#!/usr/bin/env bash
# Three replicas on one PostgreSQL behind haproxy (tests/replicas.rs).
# Installs haproxy from the OS packages when absent; needs
# SSC_CDS_TEST_POSTGRES (set by .ci/run). Loopback only; the test stops
# every process it started.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v haproxy >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
fi
# haproxy from the package may start as a system service; this test runs its own.
export SSC_CDS_TEST_POSTGRES="${SSC_CDS_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
timeout 600 cargo test --locked --test replicas -- --ignored --nocapture
