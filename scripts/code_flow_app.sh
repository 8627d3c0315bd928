#!/usr/bin/env bash
# A complete application of the authorization code flow with PKCE, in curl and openssl: what a
# native or command-line app does to let a person grant it access.
#
#   scripts/code_flow_app.sh CLIENT_ID [ISSUER]
#
# CLIENT_ID is a public client registered with the redirect URI http://127.0.0.1/callback
# (loopback: any port matches, RFC 8252 §7.3), that may refresh:
#   tessera client create --name "My CLI" --public --redirect-uri http://127.0.0.1/callback \
#     --grant-type authorization_code --grant-type refresh_token
# It prints the address to open in a browser; sign in, allow, then paste the address the
# browser was sent to (nothing listens there: the address bar holds the answer). It checks the
# state and the issuer (RFC 9207), exchanges the code with the PKCE verifier, decodes the ID
# token with `tessera verify` when it is on the PATH, asks userinfo who signed in, and, when it
# was given a refresh token, refreshes once: a new access token and a new refresh token (the
# one it used is spent; presenting it again after the new one is used revokes them all).
set -euo pipefail
client_id=${1:?usage: $0 CLIENT_ID [ISSUER]}
issuer=${2:-http://127.0.0.1:8080}
redirect=http://127.0.0.1:53682/callback

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
verifier=$(openssl rand 32 | b64url)
challenge=$(printf '%s' "$verifier" | openssl dgst -sha256 -binary | b64url)
state=$(openssl rand 16 | b64url)
nonce=$(openssl rand 16 | b64url)
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

echo "Open this address in a browser, sign in and allow access:"
echo
echo "  $issuer/oauth2/authorize?response_type=code&client_id=$(enc "$client_id")&redirect_uri=$(enc "$redirect")&scope=openid%20profile%20email&state=$state&nonce=$nonce&code_challenge=$challenge&code_challenge_method=S256"
echo
read -r -p "Then paste the address the browser was sent to: " back

param() { python3 -c 'import sys, urllib.parse; q = urllib.parse.parse_qs(urllib.parse.urlsplit(sys.argv[1]).query); print(q.get(sys.argv[2], [""])[0])' "$back" "$1"; }
if [ -n "$(param error)" ]; then
  echo "refused: $(param error): $(param error_description)" >&2; exit 1
fi
[ "$(param state)" = "$state" ] || { echo "the state does not match: not the answer to this request" >&2; exit 1; }
[ "$(param iss)" = "$issuer" ] || { echo "the answer comes from $(param iss), not $issuer (mix-up?)" >&2; exit 1; }

tokens=$(curl -sS --fail-with-body "$issuer/oauth2/token" \
  -d grant_type=authorization_code \
  --data-urlencode "code=$(param code)" \
  --data-urlencode "redirect_uri=$redirect" \
  --data-urlencode "client_id=$client_id" \
  --data-urlencode "code_verifier=$verifier")
field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1]).get(sys.argv[2], ""))' "$tokens" "$1"; }
id_token=$(field id_token)
claim() { python3 -c 'import base64, json, sys; p = sys.argv[1].split(".")[1]; print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))).get(sys.argv[2], ""))' "$id_token" "$1"; }
[ "$(claim nonce)" = "$nonce" ] || { echo "the ID token's nonce does not match this request" >&2; exit 1; }
echo
echo "access token (expires in $(field expires_in) s, scope: $(field scope))"
if command -v tessera >/dev/null; then
  # The ID token's signature, issuer, audience and lifetime, against the issuer's published keys.
  echo "ID token, verified:"
  tessera verify "$id_token" --issuer "$issuer" --aud "$client_id"
else
  echo "ID token for $(claim sub) (tessera is not on the PATH: not verified here)"
fi
echo "userinfo:"
curl -sS --fail-with-body -H "Authorization: Bearer $(field access_token)" "$issuer/oauth2/userinfo"
echo
refresh_token=$(field refresh_token)
if [ -n "$refresh_token" ]; then
  tokens=$(curl -sS --fail-with-body "$issuer/oauth2/token" \
    -d grant_type=refresh_token \
    --data-urlencode "refresh_token=$refresh_token" \
    --data-urlencode "client_id=$client_id")
  [ "$(field refresh_token)" != "$refresh_token" ] || { echo "the refresh token did not rotate" >&2; exit 1; }
  echo "refreshed: a new access token (expires in $(field expires_in) s) and a new refresh token"
fi
