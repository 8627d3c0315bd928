#!/usr/bin/env bash
# A flood of 1,000 concurrent sign-ins against `tessera serve` in a process of its own, and
# that process's peak RSS (VmHWM) before and after: the issue's bound is 64 MiB plus the
# hashing pool's memory (one 19 MiB Argon2 buffer per core). The client is the login_bench
# example in --flood mode. Binds 127.0.0.1 only; the server is stopped on exit.
#
#   scripts/login_flood.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. "$ROOT/scripts/lib.sh"
trap stop_server EXIT
cargo build --release -q -p tessera-cli
cargo build --release -q -p tessera-server --example login_bench
BIN=$ROOT/target/release/tessera
DIR=$(mktemp -d)
PORT=${PORT:-3120}
(cd "$DIR" && "$BIN" init >/dev/null && \
  PW='correct horse battery staple' "$BIN" user create ada --password-env PW >/dev/null)
(cd "$DIR" && exec "$BIN" serve --listen "127.0.0.1:$PORT" --issuer http://127.0.0.1 \
  --set max_concurrency=2048 >"$DIR/serve.log" 2>&1) &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
hwm() { awk '/^VmHWM/ {printf "%.1f MiB", $2 / 1024}' "/proc/$SERVER_PID/status"; }
cores=$(nproc)
echo "tessera serve idle: peak RSS $(hwm) (bound: 64 MiB + $cores x 19 MiB = $((64 + 19 * cores)) MiB)"
"$ROOT/target/release/examples/login_bench" --flood "http://127.0.0.1:$PORT"
echo "tessera serve after the flood: peak RSS $(hwm)"
rm -rf "$DIR"
