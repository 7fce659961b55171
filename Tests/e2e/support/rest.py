"""The REST routes about sessions, as the tests read them, and the shape of an error reply."""

from __future__ import annotations

import re


def descriptor(gw, run_id, auth="bearer") -> dict:
    status, _, body = gw.request("GET", f"/api/sessions/{run_id}", auth=auth)
    assert status == 200, (status, body)
    return body


def listed(gw) -> dict[str, dict]:
    status, _, body = gw.request("GET", "/api/sessions", auth="bearer")
    assert status == 200, (status, body)
    return {s["id"]: s for s in body["sessions"]}


def metrics(gw, auth="bearer") -> dict[str, float]:
    status, headers, body = gw.request("GET", "/metrics", auth=auth)
    assert status == 200, (status, body)
    assert headers["content-type"].startswith("text/plain"), headers
    samples = {}
    for line in body.decode().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        match = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[a-zA-Z_]+="[^"]*"(?:,[a-zA-Z_]+="[^"]*")*\})?) (-?[0-9.e+]+)', line)
        assert match, f"not a Prometheus sample line: {line!r}"
        samples[match.group(1)] = float(match.group(2))
    return samples


def health(gw) -> tuple[int, dict]:
    status, _, body = gw.request("GET", "/health")
    return status, body


def assert_json_error(status, body, expected_status, *words):
    assert status == expected_status, (status, body)
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], body
    for word in words:
        assert word in body["error"], (word, body)
