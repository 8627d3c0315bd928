#!/usr/bin/env bash
# `tessera sign` and `tessera verify` of the WORKLOAD token (shared/bench/WORKLOAD.md) as whole
# processes, against jwt-cli's `jwt encode` / `jwt decode`, measured with hyperfine in one run
# (ROUNDS rounds of RUNS runs each, alternating order). Prints a Markdown table of medians and
# the median ratio tessera / jwt-cli.
#
# Needs hyperfine (apt-get install hyperfine) and jwt-cli (installed here with cargo if absent).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 2; }
command -v jwt >/dev/null || cargo install jwt-cli --locked --version 6.2.0
cargo build --release -q -p tessera-cli
T="$PWD/target/release/tessera"
RUNS="${RUNS:-100}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

now=$(date +%s)
claims="{\"iss\":\"https://auth.example.com\",\"sub\":\"user-8f14e45f\",\"aud\":\"api://orders\",\"exp\":$((now + 3600)),\"nbf\":$((now - 10)),\"iat\":$((now - 10)),\"jti\":\"4b1f0c2e-9c3a-4d7e-8a51-1f2b3c4d5e6f\",\"scope\":\"orders:read orders:write profile\",\"roles\":[\"admin\",\"billing\"]}"
printf '%s' "$claims" > claims.json
printf '%s' 'a-32-byte-long-secret-for-HS256!' > secret.txt
"$T" jwk generate --alg ES256 --kid k1 > es.jwk
"$T" jwk convert es.jwk --to pem --private > es.pem
"$T" jwk convert es.jwk --to pem > es.pub.pem

ROUNDS="${ROUNDS:-7}"
bench() { # name, tessera command, jwt-cli command
  # ROUNDS hyperfine runs, the order of the two commands alternating, so slow phases of a shared
  # machine hit both alike; the result is the median of the per-round medians and ratios.
  for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then a="$2"; b="$3"; else a="$3"; b="$2"; fi
    hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$1.$round.json" "$a" "$b" >/dev/null 2>&1
  done
  python3 - "$1" "$ROUNDS" "$2" <<'PY'
import json, statistics, sys
name, rounds, tessera = sys.argv[1], int(sys.argv[2]), sys.argv[3]
t, j, ratio = [], [], []
for r in range(1, rounds + 1):
    res = json.load(open(f"{name}.{r}.json"))["results"]
    mine = next(x for x in res if x["command"] == tessera)["median"]
    peer = next(x for x in res if x["command"] != tessera)["median"]
    t.append(mine); j.append(peer); ratio.append(mine / peer)
med = statistics.median
print(f"| {name} | {med(t) * 1e3:.2f} ms | {med(j) * 1e3:.2f} ms | {med(ratio):.2f}× |")
PY
}

echo "| command (WORKLOAD token) | tessera | jwt-cli | tessera / jwt-cli |"
echo "|---|---|---|---|"
for alg in HS256 ES256; do
  if [ "$alg" = HS256 ]; then
    tkey="--secret-file secret.txt"; jsign="@secret.txt"; jverify="@secret.txt"
  else
    tkey="--key es.pem"; jsign="@es.pem"; jverify="@es.pub.pem"
    tkey_pub="--key es.pub.pem"
  fi
  token=$("$T" sign @claims.json $tkey --alg "$alg" --kid k1 --no-iat)
  bench "$alg sign" \
    "$T sign @claims.json $tkey --alg $alg --kid k1 --no-iat" \
    "jwt encode --alg $alg --kid k1 --no-iat --secret $jsign '$claims'"
  vkey="${tkey_pub:-$tkey}"
  bench "$alg verify" \
    "$T verify $token $vkey --alg $alg --iss https://auth.example.com --aud api://orders" \
    "jwt decode --alg $alg --secret $jverify $token"
done
