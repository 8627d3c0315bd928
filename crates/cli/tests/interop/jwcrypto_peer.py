"""Interop peer: Python jwcrypto. Reads a JSON array of requests on stdin, answers a JSON array.

Each request: {"op": "sign"|"verify"|"encrypt"|"decrypt", "alg", "enc", "key" (a JWK),
"data" (base64url bytes, for sign/encrypt), "token" (for verify/decrypt), "format"
("compact"|"flattened"|"general"), "cty" (optional)}. Each answer: {"ok": true, "result": ...}
with a token or base64url bytes, or {"ok": false, "error": "..."}.
"""
import base64
import json
import sys

from jwcrypto import jwe, jwk, jws
from jwcrypto.common import json_encode


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def serialize(obj, fmt):
    if fmt == "compact":
        return obj.serialize(compact=True)
    text = obj.serialize(compact=False)
    value = json.loads(text)
    # jwcrypto writes the flattened form for one signature/recipient; build the general one.
    if fmt == "general" and "signature" in value:
        sig = {k: value.pop(k) for k in ("protected", "header", "signature") if k in value}
        value["signatures"] = [sig]
    if fmt == "general" and "recipients" not in value and "ciphertext" in value:
        rec = {k: value.pop(k) for k in ("header", "encrypted_key") if k in value}
        value["recipients"] = [rec]
    return json.dumps(value)


def run(req):
    key = jwk.JWK(**req["key"])
    op = req["op"]
    if op == "sign":
        s = jws.JWS(b64d(req["data"]))
        header = {"alg": req["alg"]}
        if "kid" in req["key"]:
            header["kid"] = req["key"]["kid"]
        s.add_signature(key, None, json_encode(header))
        return serialize(s, req["format"])
    if op == "verify":
        s = jws.JWS()
        s.allowed_algs = [req["alg"]]
        s.deserialize(req["token"])
        s.verify(key, alg=req["alg"])
        return b64e(s.payload)
    if op == "encrypt":
        header = {"alg": req["alg"], "enc": req["enc"]}
        if req.get("cty"):
            header["cty"] = req["cty"]
        if "kid" in req["key"]:
            header["kid"] = req["key"]["kid"]
        e = jwe.JWE(b64d(req["data"]), json_encode(header))
        e.allowed_algs = [req["alg"], req["enc"]]
        e.add_recipient(key)
        return serialize(e, req["format"])
    if op == "decrypt":
        e = jwe.JWE()
        e.allowed_algs = [req["alg"], req["enc"]]
        e.deserialize(req["token"], key=key)
        return b64e(e.payload)
    raise ValueError("unknown op " + op)


def main():
    answers = []
    for req in json.load(sys.stdin):
        try:
            answers.append({"ok": True, "result": run(req)})
        except Exception as ex:  # reported to the test, which names the failing case
            answers.append({"ok": False, "error": type(ex).__name__ + ": " + str(ex)})
    json.dump(answers, sys.stdout)


main()
