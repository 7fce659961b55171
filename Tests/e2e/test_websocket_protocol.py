"""RFC 6455 on /ws with hand-made frames: each protocol violation closes that one connection with the
right code, and everybody else (a canary terminal session on another socket) goes on undisturbed."""

import base64
import itertools
import json
import os
import struct

import pytest

from support.raw_http import read_response
from support.raw_websocket import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, RawWebSocket, encode_frame
from support.sessions import attach_running, create_session

_marks = itertools.count()


@pytest.fixture(scope="module")
def canary(gateway, cookie):
    """A terminal session watched over its own WebSocket for the whole module."""
    ws = gateway.ws(cookie=cookie)
    run_id = create_session(ws, "canary")
    attach_running(ws, run_id)
    yield ws, run_id
    ws.ok("run:close", runId=run_id)
    ws.close()


@pytest.fixture(autouse=True)
def others_unaffected(gateway, canary):
    yield
    gateway.assert_serving()
    ws, run_id = canary
    mark = f"canary-{next(_marks)}"
    ws.send({"type": "run:input", "runId": run_id, "data": f"echo {mark[:6]}''{mark[6:]}\r"})
    ws.wait_output(run_id, f"{mark}\r\n", timeout=10)


@pytest.fixture
def raw_ws(gateway, cookie):
    opened = []

    def open_socket() -> RawWebSocket:
        sock, response = RawWebSocket.open(gateway, cookie=cookie)
        assert sock is not None, f"upgrade refused: {response!r}"
        assert sock.recv_json() == {"type": "auth.success"}
        opened.append(sock)
        return sock

    yield open_socket
    for sock in opened:
        sock.close()


def list_request(sock: RawWebSocket, rid="L") -> dict:
    """Sends `list` and returns its reply, skipping broadcasts."""
    sock.send_json({"type": "list", "id": rid})
    while True:
        message = sock.recv_json()
        if message.get("type") == "reply" and message.get("id") == rid:
            return message


# --- the basics -----------------------------------------------------------------------------------


def test_text_request_and_reply(raw_ws):
    sock = raw_ws()
    reply = list_request(sock)
    assert reply["ok"] is True and isinstance(reply["sessions"], list)


def test_ping_is_answered_with_pong(raw_ws):
    sock = raw_ws()
    for payload in (b"", b"hello", os.urandom(125)):
        sock.send_frame(OP_PING, payload)
        while True:
            opcode, fin, data = sock.recv_frame()
            if opcode == OP_PONG:
                break
            assert opcode == OP_TEXT  # a broadcast may come first
        assert fin and data == payload


def test_unsolicited_pong_is_ignored(raw_ws):
    sock = raw_ws()
    sock.send_frame(OP_PONG, b"whatever")
    assert list_request(sock)["ok"] is True


@pytest.mark.parametrize("code,reason", [(1000, b""), (1001, b"going away"), (4000, "café".encode())])
def test_close_handshake_echoes_the_code(raw_ws, code, reason):
    sock = raw_ws()
    sock.send_frame(OP_CLOSE, struct.pack("!H", code) + reason)
    assert sock.expect_close(code) is not None


def test_close_without_a_code(raw_ws):
    sock = raw_ws()
    sock.send_frame(OP_CLOSE, b"")
    sock.expect_close(1000)


def test_fragmented_text_message_is_reassembled(raw_ws):
    sock = raw_ws()
    text = json.dumps({"type": "list", "id": "frag€😀"}, ensure_ascii=False).encode()
    cut = text.index("€".encode()) + 1  # inside the euro sign
    sock.send_frame(OP_TEXT, text[:cut], fin=False)
    sock.send_frame(OP_PING, b"between")  # control frames may come between fragments
    sock.send_frame(OP_CONT, text[cut:cut + 3], fin=False)
    sock.send_frame(OP_CONT, text[cut + 3:], fin=True)
    got_pong = False
    while True:
        opcode, _, data = sock.recv_frame()
        if opcode == OP_PONG:
            got_pong = data == b"between"
            continue
        message = json.loads(data)
        if message.get("type") == "reply":
            break
    assert got_pong, "the ping between fragments was not answered first"
    assert message["id"] == "frag€😀" and message["ok"] is True


def test_message_split_across_tcp_writes(raw_ws):
    sock = raw_ws()
    frame = encode_frame(OP_TEXT, json.dumps({"type": "list", "id": "bytes"}).encode())
    for byte in frame:
        sock.send_raw(bytes([byte]))
    reply = sock.recv_json()
    while reply.get("type") != "reply":
        reply = sock.recv_json()
    assert reply["id"] == "bytes" and reply["ok"] is True


def test_extended_lengths(raw_ws):
    # 16-bit and 64-bit length forms, under the message limit.
    sock = raw_ws()
    for size in (300, 70000):
        payload = json.dumps({"type": "list", "id": f"len{size}", "pad": "p" * size}).encode()
        sock.send_frame(OP_TEXT, payload)
        reply = sock.recv_json()
        while reply.get("type") != "reply":
            reply = sock.recv_json()
        assert reply["id"] == f"len{size}"


def test_frames_sent_together_with_the_upgrade_request(gateway, cookie):
    """Bytes that follow the upgrade request in the same TCP segment are the first frames."""
    sock = gateway.connect()
    try:
        frame = encode_frame(OP_TEXT, json.dumps({"type": "list", "id": "early"}).encode())
        request = (f"GET /ws HTTP/1.1\r\nHost: {gateway.host_header}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n"
                   f"Origin: {gateway.origin}\r\nCookie: {cookie}\r\n\r\n").encode()
        sock.sendall(request + frame)
        response = read_response(sock, head_only=True)
        assert response.status == 101, response
        ws = RawWebSocket(sock, response.leftover)
        assert ws.recv_json() == {"type": "auth.success"}
        reply = ws.recv_json()
        while reply.get("type") != "reply":
            reply = ws.recv_json()
        assert reply["id"] == "early" and reply["ok"] is True
    finally:
        sock.close()


@pytest.mark.parametrize("change,status", [
    ({"Sec-WebSocket-Version": "8"}, 426),
    ({"Sec-WebSocket-Version": None}, 426),
    ({"Sec-WebSocket-Key": None}, 400),
    ({"Sec-WebSocket-Key": "short"}, 400),
    ({"Upgrade": None}, 400),
    ({"Upgrade": "h2c"}, 400),
    ({"Connection": "keep-alive"}, 400),
], ids=["version-8", "no-version", "no-key", "bad-key", "no-upgrade", "other-upgrade", "no-connection-upgrade"])
def test_bad_handshakes_are_refused(gateway, cookie, change, status):
    headers = {"Host": gateway.host_header, "Upgrade": "websocket", "Connection": "Upgrade",
               "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(), "Sec-WebSocket-Version": "13",
               "Origin": gateway.origin, "Cookie": cookie}
    headers.update(change)
    request = "GET /ws HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items() if v is not None) + "\r\n"
    response, sock = gateway.raw(request.encode())
    sock.close()
    assert response.status == status, response
    assert response.json()["error"]
    if status == 426:
        assert response.header("Sec-WebSocket-Version") == "13"


def test_post_upgrade_is_refused(gateway, cookie):
    request = (f"POST /ws HTTP/1.1\r\nHost: {gateway.host_header}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n"
               f"Origin: {gateway.origin}\r\nCookie: {cookie}\r\nContent-Length: 0\r\n\r\n")
    response, sock = gateway.raw(request.encode())
    sock.close()
    assert response.status == 405, response


# --- protocol errors ---------------------------------------------------------------------------------


def test_unmasked_frame_is_1002(raw_ws):
    sock = raw_ws()
    sock.send_frame(OP_TEXT, json.dumps({"type": "list", "id": 1}).encode(), mask=False)
    sock.expect_close(1002)


@pytest.mark.parametrize("rsv", [1, 2, 4, 7])
def test_reserved_bits_are_1002(raw_ws, rsv):
    sock = raw_ws()
    sock.send_frame(OP_TEXT, b'{"type":"list","id":1}', rsv=rsv)
    sock.expect_close(1002)


@pytest.mark.parametrize("opcode", [0x3, 0x7, 0xB, 0xF])
def test_unknown_opcode_is_1002(raw_ws, opcode):
    sock = raw_ws()
    sock.send_frame(opcode, b"x")
    sock.expect_close(1002)


def test_fragmented_ping_is_1002(raw_ws):
    sock = raw_ws()
    sock.send_frame(OP_PING, b"a", fin=False)
    sock.expect_close(1002)


def test_oversized_control_frame_is_1002(raw_ws):
    sock = raw_ws()
    sock.send_frame(OP_PING, b"p" * 126)
    sock.expect_close(1002)


def test_continuation_without_a_start_is_1002(raw_ws):
    sock = raw_ws()
    sock.send_frame(OP_CONT, b"orphan", fin=True)
    sock.expect_close(1002)


def test_new_message_inside_a_fragmented_one_is_1002(raw_ws):
    sock = raw_ws()
    sock.send_frame(OP_TEXT, b'{"type":', fin=False)
    sock.send_frame(OP_TEXT, b'"list"}', fin=True)
    sock.expect_close(1002)


@pytest.mark.parametrize("payload", [b"\xff", b'{"type":"list","id":"\xc3\x28"}', b"\xed\xa0\x80", b"\xc0\xaf",
                                     b"\xf4\x90\x80\x80", b"abc\xe2\x82"],
                         ids=["ff", "bad-continuation", "surrogate", "overlong", "above-max", "truncated"])
def test_invalid_utf8_is_1007(raw_ws, payload):
    sock = raw_ws()
    sock.send_frame(OP_TEXT, payload)
    sock.expect_close(1007)


def test_invalid_utf8_split_across_fragments_is_1007(raw_ws):
    sock = raw_ws()
    # The first fragment ends inside a valid 3-byte character; the next one does not complete it.
    sock.send_frame(OP_TEXT, b'{"type":"list","id":"\xe2\x82', fin=False)
    sock.send_frame(OP_CONT, b'("}', fin=True)
    sock.expect_close(1007)


def test_truncated_character_at_the_end_of_fragments_is_1007(raw_ws):
    sock = raw_ws()
    sock.send_frame(OP_TEXT, b'"ok so far', fin=False)
    sock.send_frame(OP_CONT, b"\xf0\x9f\x98", fin=True)
    sock.expect_close(1007)


def test_oversized_message_is_1009(raw_ws):
    sock = raw_ws()
    # Only the header goes out: the length alone must be enough to refuse it.
    sock.send_raw(encode_frame(OP_TEXT, b"", declared_length=(1 << 20) + 1))
    sock.expect_close(1009)


def test_oversized_fragmented_message_is_1009(raw_ws):
    sock = raw_ws()
    piece = b"a" * (600 * 1024)
    sock.send_frame(OP_TEXT, b'"' + piece, fin=False)
    sock.send_frame(OP_CONT, piece, fin=False)
    sock.expect_close(1009)


def test_message_at_the_limit_is_accepted(raw_ws):
    sock = raw_ws()
    head = b'{"type":"list","id":"big","pad":"'
    payload = head + b"p" * ((1 << 20) - len(head) - 2) + b'"}'
    assert len(payload) == 1 << 20
    sock.send_frame(OP_TEXT, payload)
    reply = sock.recv_json()
    while reply.get("type") != "reply":
        reply = sock.recv_json()
    assert reply["id"] == "big" and reply["ok"] is True


def test_huge_64bit_length_is_refused(raw_ws):
    sock = raw_ws()
    sock.send_raw(bytes([0x81, 0xFF]) + struct.pack("!Q", 1 << 62) + os.urandom(4))
    sock.expect_close(1009)


def test_binary_message_is_1003(raw_ws):
    sock = raw_ws()
    sock.send_frame(OP_BINARY, b"\x00\x01binary")
    sock.expect_close(1003)


# --- bad JSON messages keep the connection ----------------------------------------------------------


@pytest.mark.parametrize("text", ["not json", "", "[1,2,3]", '"a string"', "42", '{"type":', "null"])
def test_non_json_messages_get_an_error(raw_ws, text):
    sock = raw_ws()
    sock.send_frame(OP_TEXT, text.encode())
    message = sock.recv_json()
    while message.get("type") == "sessions-updated":
        message = sock.recv_json()
    assert message["type"] == "error" and isinstance(message["error"], str) and message["error"], message
    assert list_request(sock)["ok"] is True, "the connection did not survive a bad message"


def test_unknown_type_with_id_gets_a_failed_reply(raw_ws):
    sock = raw_ws()
    sock.send_json({"type": "no-such-thing", "id": 7})
    reply = sock.recv_json()
    while reply.get("type") == "sessions-updated":
        reply = sock.recv_json()
    assert reply == {"type": "reply", "id": 7, "ok": False, "error": reply.get("error")}, reply
    assert isinstance(reply["error"], str) and "no-such-thing" in reply["error"]
    assert list_request(sock)["ok"] is True


def test_message_without_type_gets_a_failed_reply(raw_ws):
    sock = raw_ws()
    for message in ({"id": "t1"}, {"id": "t2", "type": 5}, {"id": "t3", "type": None}):
        sock.send_json(message)
        reply = sock.recv_json()
        while reply.get("type") == "sessions-updated":
            reply = sock.recv_json()
        assert reply["type"] == "reply" and reply["id"] == message["id"] and reply["ok"] is False, reply
        assert isinstance(reply["error"], str) and reply["error"]
    assert list_request(sock)["ok"] is True


def test_unknown_type_without_id_gets_an_error_message(raw_ws):
    sock = raw_ws()
    sock.send_json({"type": "no-such-thing"})
    message = sock.recv_json()
    while message.get("type") == "sessions-updated":
        message = sock.recv_json()
    assert message["type"] == "error" and isinstance(message["error"], str) and message["error"], message
    assert list_request(sock)["ok"] is True


@pytest.mark.parametrize("message", [
    {"type": "run:input", "id": "a"},
    {"type": "run:input", "id": "b", "runId": 5, "data": "x"},
    {"type": "run:attach", "id": "c", "runId": None},
    {"type": "run:resize", "id": "d", "runId": "nope", "cols": "80", "rows": 24},
    {"type": "run:ack", "id": "e", "runId": "nope", "seq": "1"},
    {"type": "create", "id": "f", "kind": "pty", "workspace": "../x"},
    {"type": "create", "id": "g", "kind": "claude", "workspace": "w"},
    {"type": "create", "id": "h", "kind": "pty", "workspace": "w", "cols": 0, "rows": 0},
], ids=["no-runid", "runid-number", "runid-null", "size-strings", "ack-string", "bad-workspace", "claude", "zero-size"])
def test_malformed_requests_get_failed_replies(raw_ws, message):
    sock = raw_ws()
    sock.send_json(message)
    reply = sock.recv_json()
    while reply.get("type") == "sessions-updated":
        reply = sock.recv_json()
    assert reply["type"] == "reply" and reply["id"] == message["id"] and reply["ok"] is False, reply
    assert isinstance(reply["error"], str) and reply["error"]
    assert list_request(sock)["ok"] is True
