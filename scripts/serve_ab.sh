#!/usr/bin/env bash
# Two builds of `tessera serve` side by side, in one run, alternating round by round: the
# client_credentials grant and the introspection of one token (the wrk scripts of
# serve_bench.sh), so a change to the service's hot path is measured against the build before
# it on the same machine at the same time. Prints the median req/s of each build and the ratio
# B/A per workload.
#
#   scripts/serve_ab.sh BIN_A BIN_B      # e.g. a release build of main and one of the change
#
# Knobs: THREADS CONNS DURATION ROUNDS. Binds 127.0.0.1 only; every loop is bounded in count
# and time; the servers it starts are stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
A=${1:?the first tessera binary}
B=${2:?the second tessera binary}
THREADS=${THREADS:-2} CONNS=${CONNS:-32} DURATION=${DURATION:-10} ROUNDS=${ROUNDS:-3}
PEER_SRC=${PEER_SRC:-$ROOT/../shared/bench/peer-oidc-provider}
HOST=127.0.0.1
PORT=${PORT:-3110}
BASE="http://$HOST:$PORT"
OUT=$ROOT/target/serve-ab/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 1; }

. "$ROOT/scripts/lib.sh"
trap stop_server EXIT

printf 'build\tround\tphase\trps\n' >"$OUT/results.tsv"
one_round() {  # $1 label, $2 binary, $3 round
  local data
  data=$(mktemp -d)
  RUST_LOG=warn "$2" serve --data-dir "$data" --listen "$HOST:$PORT" >"$OUT/server-$1-$3.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.1; done
  # A build that predates `--introspect` makes clients that may introspect anyway.
  local creds
  creds=$("$2" client create --data-dir "$data" --name bench --scope orders:read \
    --audience urn:tessera:orders --introspect --json 2>/dev/null \
    || "$2" client create --data-dir "$data" --name bench --scope orders:read \
      --audience urn:tessera:orders --json)
  local id secret
  id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])' <<<"$creds")
  secret=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])' <<<"$creds")
  BASIC=$(printf '%s:%s' "$id" "$secret" | base64 -w0)
  export BASIC RESOURCE=urn:tessera:orders
  sleep 1
  TOKEN=$(curl -sf -u "$id:$secret" -d 'grant_type=client_credentials&scope=orders:read&resource=urn:tessera:orders' "$BASE/oauth2/token" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  export TOKEN
  curl -sf -u "$id:$secret" -d "token=$TOKEN" "$BASE/oauth2/introspect" | grep -q '"active":true'
  for phase in token introspect; do
    local path=/oauth2/$phase
    timeout $((DURATION + 30)) wrk -t"$THREADS" -c"$CONNS" -d2s -s "$PEER_SRC/wrk/$phase.lua" "$BASE$path" >/dev/null 2>&1 || true
    timeout $((DURATION + 30)) wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$PEER_SRC/wrk/$phase.lua" \
      "$BASE$path" >"$OUT/wrk-$1-$3-$phase.txt" 2>&1 || true
    local rps
    rps=$(grep -o 'rps=[0-9.]*' "$OUT/wrk-$1-$3-$phase.txt" | head -1 | cut -d= -f2)
    printf '%s\t%s\t%s\t%s\n' "$1" "$3" "$phase" "${rps:-0}" >>"$OUT/results.tsv"
    echo "$1 round $3 $phase: ${rps:-0} req/s"
  done
  stop_server
  rm -rf "$data"
}

for r in $(seq 1 "$ROUNDS"); do
  # Alternate which build goes first, so drift on the machine falls on both.
  if [ $((r % 2)) -eq 1 ]; then one_round A "$A" "$r"; one_round B "$B" "$r"
  else one_round B "$B" "$r"; one_round A "$A" "$r"; fi
done

python3 - "$OUT/results.tsv" <<'PY' | tee "$OUT/summary.md"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
print("| workload | A req/s (median) | B req/s (median) | B / A |")
print("|---|---:|---:|---:|")
for phase in ("token", "introspect"):
    med = lambda b: statistics.median(float(r["rps"]) for r in rows if r["build"] == b and r["phase"] == phase)
    a, b = med("A"), med("B")
    print(f"| {phase} | {a:.0f} | {b:.0f} | {b / a:.3f} |")
PY
echo "raw output in $OUT"
