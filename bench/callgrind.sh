#!/bin/sh
# Instructions per request in the running release server, under callgrind.
# The server starts, answers WARM requests (default 5), then the counters are
# zeroed and it answers N more; the dump after them, divided by N, is the
# cost of one request: parsing, rules, cards, the audit write, hyper and
# tokio included, start-up and warm-up excluded. Start-up (exec to the first
# answer, with the readiness polls) is the dump taken before the zeroing.
#
#   sh bench/callgrind.sh target/release/ssc-myositis-cds BODY.json N
# e.g. sh bench/callgrind.sh target/release/ssc-myositis-cds tests/requests/S1.json 40
# CG_ARGS adds server options (e.g. CG_ARGS="--max-body-bytes 8388608");
# WARM sets the warm-up requests; KEEP=dir keeps the profiles there
# (callgrind_annotate --inclusive=yes dir/callgrind.out.*). ES384=1 trusts a
# throw-away ES384 issuer (bench/load.py's, needs python3-cryptography) and
# sends each request with a token of its own: signature check and replay
# claim included.
set -eu
BIN=$1 BODY=$2 N=$3 WARM=${WARM:-5}
URL_PATH=/cds-services/ssc-myositis-order-sign
dir=${KEEP:-$(mktemp -d)}
mkdir -p "$dir"
# Absolute: the server runs in $dir (its default database lands there).
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
dir=$(cd "$dir" && pwd)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
AUTH=--insecure-no-auth
if [ -n "${ES384:-}" ]; then
    python3 -c "import sys; sys.path.insert(0, '$(dirname "$0")'); import load; load.es384_issuer('$dir', $port, $((WARM + N)))"
    AUTH="--auth-config $dir/auth.toml"
fi
(cd "$dir" && exec valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.out.%p" "$BIN" serve $AUTH \
    --listen 127.0.0.1:"$port" ${CG_ARGS:-} >/dev/null 2>&1) &
vg=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$port/cds-services"; do
    i=$((i + 1)); [ $i -lt 600 ] || { kill $vg; exit 1; }; sleep 0.1
done
token_line=0
post() {
    j=0
    while [ $j -lt "$1" ]; do
        token_line=$((token_line + 1))
        if [ -n "${ES384:-}" ]; then
            code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
                -H "Authorization: Bearer $(sed -n "${token_line}p" "$dir/tokens.txt")" \
                --data-binary @"$BODY" "http://127.0.0.1:$port$URL_PATH")
        else
            code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
                --data-binary @"$BODY" "http://127.0.0.1:$port$URL_PATH")
        fi
        [ "$code" = 200 ] || { echo "HTTP $code" >&2; kill $vg; exit 1; }
        j=$((j + 1))
    done
}
callgrind_control --dump=startup $vg >/dev/null 2>&1
post "$WARM"
callgrind_control --zero $vg >/dev/null 2>&1
post "$N"
callgrind_control --dump=requests $vg >/dev/null 2>&1
kill -INT $vg
wait $vg || true
total() { grep -h '^summary:' $(grep -l "^desc: Trigger: dump $1" "$dir"/callgrind.out.*) | awk '{s += $2} END {print s}'; }
startup=$(total startup)
requests=$(total requests)
echo "start-up: $startup instructions; $N requests: $requests; per request: $((requests / N))"
[ -n "${KEEP:-}" ] || rm -rf "$dir"
