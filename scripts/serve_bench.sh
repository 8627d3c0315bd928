#!/usr/bin/env bash
# The token service's throughput beside the peer (panva's oidc-provider, ../shared/bench/
# peer-oidc-provider), in one go on one machine, with the same wrk settings and request
# scripts: client_credentials grants (ES256 JWT access tokens, client_secret_basic, a scope and
# a resource indicator) and introspection of one token; then, for tessera alone, introspection
# of 25 000 distinct tokens (each signature verified); then the floor (crates/server/examples/
# floor_server.rs: the same runtime and HTTP stack, the same form read and the same claims signed
# with ES256 straight through aws-lc-rs, no client authentication, no store) with the same
# grant and introspection scripts. Prints one table: req/s, p50/p99, idle and peak RSS for
# tessera and the peer, the ratios, and Tessera / floor.
#
#   scripts/serve_bench.sh        # needs wrk (apt-get install wrk), node/npm, python3
#
# Knobs (the peer's too): THREADS CONNS DURATION WARMUP RUNS. Binds 127.0.0.1 only; every
# loop is bounded in count and time; the servers it starts are stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export THREADS=${THREADS:-2} CONNS=${CONNS:-32} DURATION=${DURATION:-20} WARMUP=${WARMUP:-5} RUNS=${RUNS:-3}
PEER_SRC=${PEER_SRC:-$ROOT/../shared/bench/peer-oidc-provider}
HOST=127.0.0.1
PORT=${PORT:-3100}
BASE="http://$HOST:$PORT"
OUT=$ROOT/target/serve-bench/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 1; }

echo "== release build of tessera and of the floor server"
cargo build --release -q -p tessera-cli
cargo build --release -q -p tessera-server --example floor_server
BIN=$ROOT/target/release/tessera
FLOOR_BIN=$ROOT/target/release/examples/floor_server

echo "== the peer (oidc-provider), with its own script and these settings"
PEER=$(mktemp -d)
cp -r "$PEER_SRC/." "$PEER"
(cd "$PEER" && npm ci --silent --no-audit --no-fund >/dev/null && ./bench.sh) | tee "$OUT/peer.txt"
PEER_RESULTS=$(ls -d "$PEER"/results/*/ | tail -1)results.tsv
PEER_IDLE=$(grep -o 'idle RSS [0-9]* kB' "$OUT/peer.txt" | head -1 | awk '{print $3}')

echo "== tessera serve (fresh data folder, one client)"
DATA=$(mktemp -d)
. "$ROOT/scripts/lib.sh"
trap stop_server EXIT
RUST_LOG=warn "$BIN" serve --data-dir "$DATA" --listen "$HOST:$PORT" >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "$BASE/readyz" >/dev/null || { cat "$OUT/server.log" >&2; exit 1; }
CREDS=$("$BIN" client create --data-dir "$DATA" --name bench --scope orders:read \
  --audience urn:tessera:orders --introspect --json)
ID=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])' <<<"$CREDS")
SECRET=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])' <<<"$CREDS")
BASIC=$(printf '%s:%s' "$ID" "$SECRET" | base64 -w0)
export BASIC
sleep 1
sleep 2
IDLE=$(awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status")

# Correctness before load: an ES256 JWT, and an active introspection of it.
TOKEN=$(curl -sf -u "$ID:$SECRET" -d 'grant_type=client_credentials&scope=orders:read&resource=urn:tessera:orders' "$BASE/oauth2/token" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
python3 - "$TOKEN" <<'PY'
import base64, json, sys
h = json.loads(base64.urlsafe_b64decode(sys.argv[1].split(".")[0] + "=="))
assert h["alg"] == "ES256" and h["typ"] == "at+jwt", h
PY
curl -sf -u "$ID:$SECRET" -d "token=$TOKEN" "$BASE/oauth2/introspect" | grep -q '"active":true'
export TOKEN

RESULTS=$OUT/tessera.tsv
printf 'phase\trun\trps\tp50_ms\tp99_ms\tnon2xx\tpeak_rss_kb\n' >"$RESULTS"
run_wrk() {  # $1 phase, $2 run, $3 script, $4 path, $5 seconds
  ( for _ in $(seq 1 $(( ($5 + 10) * 10 ))); do awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status" || break; sleep 0.1; done ) >"$OUT/rss-$1-$2.txt" 2>/dev/null &
  local sampler=$!
  timeout $(($5 + 30)) wrk -t"$THREADS" -c"$CONNS" -d"$5s" --latency -s "$3" "$BASE$4" >"$OUT/wrk-$1-$2.txt" 2>&1 || true
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
  local peak line
  peak=$(sort -n "$OUT/rss-$1-$2.txt" | tail -1)
  line=$(grep '^RESULT' "$OUT/wrk-$1-$2.txt" || echo "RESULT rps=0 p50_ms=0 p99_ms=0 non2xx=0")
  python3 - "$line" "$1" "$2" "$peak" >>"$RESULTS" <<'PY'
import sys
line, phase, run, peak = sys.argv[1:]
kv = dict(x.split("=") for x in line.split()[1:])
print("\t".join([phase, run, kv["rps"], kv["p50_ms"], kv["p99_ms"], kv.get("non2xx", "0"), peak or "0"]))
PY
  echo "tessera $1 $2: $line"
}
phase() {
  run_wrk "$1" warmup "$2" "$3" "$WARMUP"
  for i in $(seq 1 "$RUNS"); do run_wrk "$1" "$i" "$2" "$3" "$DURATION"; done
}
RESOURCE=urn:tessera:orders phase token-jwt "$PEER_SRC/wrk/token.lua" /oauth2/token
phase introspect "$PEER_SRC/wrk/introspect.lua" /oauth2/introspect
# Introspection of tokens it has not just seen: 25 000 distinct tokens, more than the 4096 its
# cache of verified tokens keeps, cycled so each comes back only after the whole list: every
# request verifies a signature (the peer has no such phase; its tokens are opaque).
python3 scripts/mint_tokens.py "$BASE" "$BASIC" 25000 >"$OUT/tokens.txt"
TOKENS=$OUT/tokens.txt PEER_WRK=$PEER_SRC/wrk phase introspect-distinct scripts/wrk/introspect_many.lua /oauth2/introspect
curl -sf -u "$ID:$SECRET" -d "token=$TOKEN" "$BASE/oauth2/introspect" | grep -q '"active":true' \
  || echo "WARNING: the token is no longer active after the runs"
stop_server

echo "== the floor: a bare ES256 token server on the same stack"
"$FLOOR_BIN" "$HOST:$PORT" >"$OUT/floor.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null -d 'grant_type=client_credentials' "$BASE/oauth2/token" && break
  sleep 0.1
done
TOKEN=$(curl -sf -d 'grant_type=client_credentials&scope=orders:read&resource=urn:tessera:orders' "$BASE/oauth2/token" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -sf -d "token=$TOKEN" "$BASE/oauth2/introspect" | grep -q '"active":true'
export TOKEN
RESOURCE=urn:tessera:orders phase floor-token-jwt "$PEER_SRC/wrk/token.lua" /oauth2/token
phase floor-introspect "$PEER_SRC/wrk/introspect.lua" /oauth2/introspect
python3 scripts/mint_tokens.py "$BASE" "$BASIC" 25000 >"$OUT/floor-tokens.txt"
TOKENS=$OUT/floor-tokens.txt PEER_WRK=$PEER_SRC/wrk phase floor-introspect-distinct scripts/wrk/introspect_many.lua /oauth2/introspect
stop_server

python3 - "$RESULTS" "$PEER_RESULTS" "$IDLE" "${PEER_IDLE:-0}" <<'PY' | tee "$OUT/summary.md"
import csv, statistics, sys
def load(path):
    rows = [r for r in csv.DictReader(open(path), delimiter="\t") if r["run"] != "warmup"]
    out = {}
    for phase in dict.fromkeys(r["phase"] for r in rows):
        rs = [r for r in rows if r["phase"] == phase]
        med = lambda k: statistics.median(float(r[k]) for r in rs)
        out[phase] = (med("rps"), med("p50_ms"), med("p99_ms"), max(int(r["peak_rss_kb"]) for r in rs) / 1024,
                      sum(int(r["non2xx"]) for r in rs))
    return out
t, p = load(sys.argv[1]), load(sys.argv[2])
print(f"idle RSS: tessera {int(sys.argv[3]) / 1024:.1f} MiB, peer {int(sys.argv[4]) / 1024:.1f} MiB\n")
print("| workload | tessera req/s | peer req/s | tessera / peer | tessera p50 / p99 ms | peer p50 / p99 ms | peak RSS MiB tessera / peer | non-2xx tessera / peer |")
print("|---|---:|---:|---:|---|---|---|---|")
for name, tp, pp in [("client_credentials grant (ES256 JWT)", "token-jwt", "token-jwt"),
                     ("introspection", "introspect", "introspect")]:
    a, b = t[tp], p[pp]
    print(f"| {name} | {a[0]:.0f} | {b[0]:.0f} | {a[0] / b[0]:.2f}x | {a[1]:.2f} / {a[2]:.2f} | "
          f"{b[1]:.2f} / {b[2]:.2f} | {a[3]:.1f} / {b[3]:.1f} | {a[4]} / {b[4]} |")
a = t["introspect-distinct"]
print(f"| introspection, 25 000 distinct tokens (each signature verified) | {a[0]:.0f} | | | "
      f"{a[1]:.2f} / {a[2]:.2f} | | {a[3]:.1f} / | {a[4]} / |")
print("\n| workload | tessera req/s | floor req/s | floor / tessera (goal: at most 1.25) |")
print("|---|---:|---:|---:|")
for name, tp, fp in [("client_credentials grant (ES256 JWT)", "token-jwt", "floor-token-jwt"),
                     ("introspection (one token)", "introspect", "floor-introspect"),
                     ("introspection, 25 000 distinct tokens", "introspect-distinct", "floor-introspect-distinct")]:
    a, f = t[tp][0], t[fp][0]
    print(f"| {name} | {a:.0f} | {f:.0f} | {f / a:.2f} |")
print("\n(the floor authenticates no client, keeps no store and caches nothing: its introspection"
      " verifies the signature of every request, so its one-token and distinct-token rows are the"
      " same work; tessera's one-token row is answered from its cache of verified tokens)")
print("\n(peer introspection: an opaque token, oidc-provider refuses to introspect JWT access tokens;"
      " tessera's one-token introspection is answered from its cache of verified tokens after the"
      " first request)")
PY
echo "raw output in $OUT"
