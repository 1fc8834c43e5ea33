#!/bin/sh
# Instructions per request in the running release server, under callgrind:
# the server answers WARM requests, then N1 and N2 more; the per-request
# figure is (Ir(N2) - Ir(N1)) / (N2 - N1), which cancels start-up and warm-up;
# Ir(N1) - N1 x that figure is what start-up cost.
#
#   sh bench/callgrind.sh target/release/ssc-myositis-cds BODY.json N1 N2
# e.g. sh bench/callgrind.sh target/release/ssc-myositis-cds tests/requests/S1.json 10 60
# CG_ARGS adds server options (e.g. CG_ARGS="--max-body-bytes 8388608").
set -eu
BIN=$1 BODY=$2 N1=$3 N2=$4
URL_PATH=/cds-services/ssc-myositis-order-sign
run() {
    n=$1
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file="$out" "$BIN" serve --insecure-no-auth \
        --listen 127.0.0.1:"$port" ${CG_ARGS:-} >/dev/null 2>&1 &
    vg=$!
    i=0
    until curl -s -o /dev/null "http://127.0.0.1:$port/cds-services"; do
        i=$((i + 1)); [ $i -lt 600 ] || { kill $vg; exit 1; }; sleep 0.1
    done
    j=0
    while [ $j -lt "$n" ]; do
        curl -s -o /dev/null -w '' -H 'Content-Type: application/json' \
            --data-binary @"$BODY" "http://127.0.0.1:$port$URL_PATH"
        j=$((j + 1))
    done
    kill -INT $vg
    wait $vg || true
    grep -E '^summary:' "$out" | awk '{print $2}'
    rm -f "$out"
}
a=$(run "$N1")
b=$(run "$N2")
per=$(( (b - a) / (N2 - N1) ))
echo "Ir with $N1 requests: $a; with $N2: $b; per request: $per"
# What remains of the first run without its requests: start-up, the readiness
# polls and warm-up (a figure for start-up cost that load does not change).
echo "start-up (Ir($N1) - $N1 x per request): $(( a - N1 * per ))"
