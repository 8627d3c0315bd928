#!/usr/bin/env python3
"""Prints N access tokens from a token service, one per line: client_credentials grants over one
keep-alive connection. For the benchmark's distinct-token introspection phase.

    scripts/mint_tokens.py BASE_URL BASIC N > tokens.txt   # BASIC: base64 of id:secret
"""
import http.client
import json
import sys
import urllib.parse

base, basic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
url = urllib.parse.urlsplit(base)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
headers = {
    "Authorization": "Basic " + basic,
    "Content-Type": "application/x-www-form-urlencoded",
}
for _ in range(n):
    conn.request("POST", url.path.rstrip("/") + "/oauth2/token", "grant_type=client_credentials", headers)
    resp = conn.getresponse()
    body = resp.read()
    if resp.status != 200:
        sys.exit(f"grant failed: {resp.status} {body[:200]!r}")
    print(json.loads(body)["access_token"])
