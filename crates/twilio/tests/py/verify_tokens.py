#!/usr/bin/env python3
"""Verifies Access Tokens issued by the Rust crate with PyJWT and twilio-python.

Reads a JSON list of {"jwt", "secret", "expect": {...}} from argv[1] and prints one JSON
object per token: {"ok": bool, "error": str|null, "header": {...}, "payload": {...}}.
Signature, exp and nbf are checked by PyJWT against the real clock; twilio-python's
AccessToken.from_jwt (which also insists on HS256) must accept it too; the decoded claims
are compared with "expect" by the Rust side.
"""
import json
import sys

import jwt as pyjwt
from twilio.jwt.access_token import AccessToken


def check(case):
    try:
        header = pyjwt.get_unverified_header(case["jwt"])
        payload = pyjwt.decode(case["jwt"], case["secret"], algorithms=["HS256"],
                               options={"require": ["exp", "nbf", "iss", "sub"]})
        AccessToken.from_jwt(case["jwt"], case["secret"])
        return {"ok": True, "error": None, "header": header, "payload": payload}
    except Exception as e:  # report, the Rust test decides
        return {"ok": False, "error": f"{type(e).__name__}: {e}", "header": None, "payload": None}


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    json.dump([check(c) for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
