#!/usr/bin/env python3
"""Verify one Standard Webhooks delivery, independently of crampd's Go code.

Usage: verify_webhook.py MSG_ID TIMESTAMP SIGNATURE_HEADER < BODY

The signing secret comes from $WEBHOOK_SECRET: "whsec_" followed by base64
is a Standard Webhooks secret, anything else is used as raw bytes. Exits 0
when one of the header's space-separated "v1,<base64>" signatures is the
HMAC-SHA256 of "MSG_ID.TIMESTAMP.BODY" and the timestamp is within five
minutes of now, as the specification asks receivers to check; exits 1
otherwise, saying why on stderr.
"""

import base64
import hashlib
import hmac
import os
import sys
import time

TOLERANCE_SECONDS = 5 * 60


def key_from(secret):
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):])
    return secret.encode()


def main():
    msg_id, timestamp, header = sys.argv[1:4]
    key = key_from(os.environ["WEBHOOK_SECRET"])
    body = sys.stdin.buffer.read()

    if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        print(f"timestamp {timestamp} is too far from now", file=sys.stderr)
        return 1

    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for part in header.split(" "):
        version, _, signature = part.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return 0
    print(f"no v1 signature in {header!r} matches", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
