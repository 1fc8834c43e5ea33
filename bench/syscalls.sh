#!/bin/sh
# usage: syscalls.sh BINARY [N]  -- strace -f -c of N S1 order-sign calls on one kept-alive connection
# Run from the repository root; needs strace and python3. Prints system calls per request by name.
# POLICY=file adds --policy file (e.g. override_hold_days = 0 and resend_window_minutes = 0: no recall read).
BIN=$1; N=${2:-520}; D=$(mktemp -d)
# The database in a folder of its own: the audit key's default folder (under
# XDG_STATE_HOME) may not lie inside the database's folder.
mkdir -p $D/db
XDG_STATE_HOME=$D/state strace -f -c -o $D/strace.txt $BIN serve --listen 127.0.0.1:18181 --database $D/db/db.sqlite ${POLICY:+--policy "$POLICY"} > $D/log 2>&1 &
sleep 2
python3 - "$N" <<'PY'
import http.client, json, sys, uuid
n=int(sys.argv[1]); body=json.load(open('tests/requests/S1.json'))
c=http.client.HTTPConnection('127.0.0.1',18181)
for i in range(n):
    body['hookInstance']=str(uuid.uuid4())
    c.request('POST','/cds-services/ssc-myositis-order-sign',json.dumps(body).encode(),{'content-type':'application/json'})
    r=c.getresponse(); r.read(); assert r.status==200, r.status
PY
kill -TERM $(pgrep -f "^$BIN serve --listen 127.0.0.1:18181"); sleep 2
awk -v n=$N 'NR>2 && $NF!="total" && NF>=5 && $1 ~ /^[0-9.]+$/ {t+=$4; printf "%-14s %7.2f\n", $NF, $4/n} END {printf "TOTAL %.1f per request (incl. start-up and shutdown)\n", t/n}' $D/strace.txt | sort -k2 -rn | head -12
rm -rf $D
