"""PROTOCOL.md section 2: every malformed frame gets call.error PROTOCOL_ERROR
(id echoed where it could be read, else ""), then the server closes that
stream, and nothing else is affected: a stream opened before keeps working.

All cases share one gateway, which must also survive them all.
"""

import json
import struct

import pytest

from conftest import run_container
from peer import Peer, raw_frame

PING = {"operationId": "docker/system/ping"}
MIB = 1 << 20


def env(**kw):
    e = {"type": "call.requested", "id": "m1", "payload": PING}
    e.update(kw)
    return e


def without(key):
    e = env()
    del e[key]
    return e


def j(obj):
    return raw_frame(json.dumps(obj).encode())


def s(text):
    """A frame around literal JSON text (for duplicate keys)."""
    return raw_frame(text.encode())


DUP_ANY = ("", "m1")  # the id may or may not count as readable

CASES = [
    # name, bytes on the wire, acceptable echoed ids
    ("length-zero", b"\0\0\0\0", ("",)),
    ("length-over-max", struct.pack(">I", MIB + 1) + b'{"type":' + b" " * 4000, ("",)),
    ("length-4GiB", b"\xff\xff\xff\xff" + b"{", ("",)),
    ("invalid-utf8", raw_frame(b'{"type":"call.requested","id":"m1","payload":'
                               b'{"operationId":"docker/system/ping","input":{"x":"\xff\xfe"}}}'),
     ("",)),
    ("invalid-utf8-overlong", raw_frame(b'{"type":"call.requested","id":"m1","payload":'
                                        b'{"operationId":"\xc0\xafdocker/system/ping"}}'), ("",)),
    ("invalid-json", s('{"type":"call.requested","id":"m1",'), ("",)),
    ("trailing-garbage", s('{"type":"call.requested","id":"m1","payload":'
                           '{"operationId":"docker/system/ping"}} x'), ("",)),
    ("array", s('[{"type":"call.requested","id":"m1"}]'), ("",)),
    ("string", s('"call.requested"'), ("",)),
    ("number", s("42"), ("",)),
    ("null", s("null"), ("",)),
    ("dup-top-level", s('{"type":"call.requested","type":"call.aborted","id":"m1",'
                        '"payload":{"operationId":"docker/system/ping"}}'), DUP_ANY),
    ("dup-id", s('{"type":"call.requested","id":"m1","id":"m2",'
                 '"payload":{"operationId":"docker/system/ping"}}'), ("",)),
    ("dup-in-payload", s('{"type":"call.requested","id":"m1","payload":'
                         '{"operationId":"docker/system/ping","operationId":"docker/system/ping"}}'),
     DUP_ANY),
    ("dup-in-input", s('{"type":"call.requested","id":"m1","payload":'
                       '{"operationId":"docker/system/ping","input":{"a":1,"a":2}}}'), DUP_ANY),
    ("dup-deep-in-input", s('{"type":"call.requested","id":"m1","payload":'
                            '{"operationId":"docker/container/create","input":{"image":"dgtest:latest",'
                            '"labels":{"k":"v","k":"w"}}}}'), DUP_ANY),
    ("missing-type", j(without("type")), ("m1",)),
    ("missing-id", j(without("id")), ("",)),
    ("missing-payload", j(without("payload")), ("m1",)),
    ("id-number", j(env(id=7)), ("",)),
    ("id-null", j(env(id=None)), ("",)),
    ("id-empty", j(env(id="")), ("",)),
    ("id-129", j(env(id="a" * 129)), ("",)),
    ("id-control-char", j(env(id="m\x01")), ("",)),
    ("id-del", j(env(id="m\x7f")), ("",)),
    ("id-non-ascii", j(env(id="m\u00e9")), ("",)),
    ("type-number", j(env(type=1)), ("m1",)),
    ("unknown-type", j(env(type="call.bogus")), ("m1",)),
    ("server-only-type", j(env(type="call.completed", payload={})), ("m1",)),
    ("unknown-envelope-key", j(env(extra=1)), ("m1",)),
    ("payload-not-object", j(env(payload=[])), ("m1",)),
    ("operationId-missing", j(env(payload={"input": {}})), ("m1",)),
    ("operationId-number", j(env(payload={"operationId": 5})), ("m1",)),
    ("input-array", j(env(payload={"operationId": "docker/system/ping", "input": []})), ("m1",)),
    ("input-string", j(env(payload={"operationId": "docker/system/ping", "input": "x"})), ("m1",)),
    ("carriage-bogus", j(env(payload={"operationId": "docker/system/ping", "carriage": "bogus"})),
     ("m1",)),
    ("unknown-payload-key", j(env(payload={"operationId": "docker/system/ping", "x": 1})), ("m1",)),
]


def expect_protocol_error(p, ids):
    frames = p.expect_eof(timeout=10)
    assert len(frames) == 1, "want one call.error then EOF, got %r" % frames
    f = frames[0]
    assert f["type"] == "call.error", f
    assert f["payload"]["code"] == "PROTOCOL_ERROR", f
    assert f["payload"]["retryable"] is False, f
    assert f["id"] in ids, "echoed id %r, want one of %r" % (f["id"], ids)


@pytest.mark.parametrize("name,data,ids", CASES, ids=[c[0] for c in CASES])
def test_malformed_frame(shared_gateway, name, data, ids):
    gw = shared_gateway
    with gw.peer() as a, gw.peer() as b:
        assert a.call("docker/system/ping") == {"ok": True}
        b.send_bytes(data)
        expect_protocol_error(b, ids)
        assert a.call("docker/system/ping") == {"ok": True}, "the other stream broke"
    with gw.peer() as c:
        assert c.call("docker/system/ping") == {"ok": True}, "new streams broke"


def test_malformed_after_good_call(shared_gateway):
    """A bad frame after a completed call still closes the stream."""
    with shared_gateway.peer() as b:
        assert b.call("docker/system/ping") == {"ok": True}
        b.send_bytes(s('{"type":"call.requested","id":"m9"'))
        expect_protocol_error(b, ("",))


def test_frame_split_across_writes(shared_gateway):
    """Frames are a byte stream: any split is fine."""
    import time
    data = j(env(id="split-1"))
    with shared_gateway.peer() as b:
        for i in range(len(data)):
            b.send_bytes(data[i:i + 1])
            if i < 8:
                time.sleep(0.01)
        f = b.recv()
        assert f["type"] == "call.responded" and f["id"] == "split-1", f


def test_two_frames_in_one_write(shared_gateway):
    with shared_gateway.peer() as b:
        b.send_bytes(j(env(id="p1")))
        f1 = b.recv()
        f2 = b.recv()
        assert (f1["type"], f2["type"]) == ("call.responded", "call.completed"), (f1, f2)
        b.send_bytes(j(env(id="p2")) + j(env(id="p3")))
        seen = []
        while len(seen) < 4:
            f = b.recv()
            if f is None:
                break
            seen.append(f)
        kinds = [(f["id"], f["type"]) for f in seen]
        # Two calls in flight at once: each answered, in its own order.
        for cid in ("p2", "p3"):
            assert [k for k in kinds if k[0] == cid] == [(cid, "call.responded"),
                                                         (cid, "call.completed")], kinds


def test_largest_frame_accepted(shared_gateway):
    """length == 1 MiB is allowed (JSON whitespace fills it)."""
    body = json.dumps(env(id="big")).encode()
    body = body[:-1] + b" " * (MIB - len(body)) + b"}"
    assert len(body) == MIB
    with shared_gateway.peer() as b:
        b.send_bytes(raw_frame(body))
        f = b.recv(timeout=20)
        assert f["type"] == "call.responded" and f["id"] == "big", f


def test_id_128_accepted(shared_gateway):
    cid = "~" + "x" * 126 + " "
    with shared_gateway.peer() as b:
        b.send(env(id=cid))
        f = b.recv()
        assert f["type"] == "call.responded" and f["id"] == cid, f


def test_second_call_while_follow_in_flight(shared_gateway):
    """A second call beside a follow runs at once; the follow goes on (docs/protocol.md)."""
    gw = shared_gateway
    with gw.peer() as a, gw.peer() as b:
        cid = run_container(b, ["sh", "-c", "for i in $(seq 1 100); do echo tick $i; sleep 0.2; done"])
        b.request("docker/container/logs",
                  {"containerId": cid, "follow": True, "stdout": True}, id="f1")
        first = b.recv(timeout=20)
        assert first is not None and first["id"] == "f1" and first["type"] == "call.responded", first
        b.send(env(id="f2"))
        seen = []
        while not [f for f in seen if f["id"] == "f2" and f["type"] == "call.completed"]:
            f = b.recv(timeout=20)
            assert f is not None, "stream closed: %r" % seen[-5:]
            assert f["type"] != "call.error", f
            seen.append(f)
        assert [f["type"] for f in seen if f["id"] == "f2"] == ["call.responded", "call.completed"]
        # The follow is still running: another record, then an abort ends it.
        f = b.recv(timeout=20)
        assert f["id"] == "f1" and f["type"] == "call.responded", f
        b.send({"type": "call.aborted", "id": "f1", "payload": {}})
        while True:
            f = b.recv(timeout=20)
            assert f is not None and f["id"] == "f1", f
            if f["type"] == "call.aborted":
                break
            assert f["type"] == "call.responded", f
        assert a.call("docker/system/ping") == {"ok": True}
        assert a.call("docker/container/remove", {"containerId": cid, "force": True}) == {}


def test_peer_closing_mid_frame(shared_gateway):
    """A peer that leaves half-way through a frame affects nobody."""
    gw = shared_gateway
    with gw.peer() as a:
        b = Peer(gw.socket)
        b.send_bytes(struct.pack(">I", 100) + b'{"type"')
        b.close()
        assert a.call("docker/system/ping") == {"ok": True}
