"""The webhook signature, and how a receiver checks it.

Each delivery carries `X-PRM-Signature: t=<unix seconds>,v1=<hex>` where
<hex> = HMAC-SHA256(secret, f"{t}.{body}") over the exact bytes of the body. A
receiver recomputes it with its copy of the secret, compares in constant time, and
refuses timestamps older than a few minutes (replays).
"""

import hashlib
import hmac
import time

HEADER = "X-PRM-Signature"
TOLERANCE_SECONDS = 300


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, body: bytes, header: str, *, now: float | None = None) -> bool:
    """The receiver's check (the README shows the same recipe)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))
