"""Judges WebAuthn responses with Duo's py_webauthn, for the cross-check in webauthn.rs.

Reads a JSON list of cases (ceremony, credential, challenge, origin, rp_id, require_uv,
public_key) and prints a JSON list of {"ok": bool, "error": str} in the same order.
"""
import json
import sys

from webauthn import verify_authentication_response, verify_registration_response
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.cose import COSEAlgorithmIdentifier

ALGS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]


def judge(case):
    challenge = base64url_to_bytes(case["challenge"])
    try:
        if case["ceremony"] == "registration":
            verify_registration_response(
                credential=case["credential"],
                expected_challenge=challenge,
                expected_rp_id=case["rp_id"],
                expected_origin=case["origin"],
                require_user_verification=case["require_uv"],
                supported_pub_key_algs=ALGS,
            )
        else:
            verify_authentication_response(
                credential=case["credential"],
                expected_challenge=challenge,
                expected_rp_id=case["rp_id"],
                expected_origin=case["origin"],
                credential_public_key=base64url_to_bytes(case["public_key"]),
                credential_current_sign_count=0,
                require_user_verification=case["require_uv"],
            )
        return {"ok": True, "error": ""}
    except Exception as e:  # every refusal, whatever its class
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}


with open(sys.argv[1], encoding="utf-8") as f:
    cases = json.load(f)
json.dump([judge(c) for c in cases], sys.stdout)
