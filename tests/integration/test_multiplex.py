"""Many calls on one stream (docs/protocol.md "Many calls on one stream").

Each call.requested with a new id runs beside the calls in flight; their
frames interleave, each call ends with its own terminal frame, call.aborted
names the call it stops, and a raw-carriage call is accepted only on a stream
with nothing else in flight.  Limits: maxCallsPerStream and maxCallsPerPeer
(RATE_LIMITED, retryable, past them).
"""

import json
import os
import re

from conftest import container_ids, run_container, unique, wait_for
from engine_api import OWNER_LABEL
from peer import TERMINAL, ProtocolViolation, encode_frame


class Mux:
    """Frames of one stream sorted by call id, checked per call."""

    def __init__(self, p):
        self.p = p
        self.frames = {}  # id -> [frames]
        self.done = {}  # id -> terminal frame
        self.order = []  # (id, type) as received

    def take(self, timeout=None):
        f = self.p.recv(timeout)
        if f is None:
            return None
        cid = f["id"]
        if cid in self.done:
            raise ProtocolViolation("frame %r after call %r ended" % (f["type"], cid))
        self.frames.setdefault(cid, []).append(f)
        self.order.append((cid, f["type"]))
        if f["type"] in TERMINAL:
            self.done[cid] = f
        return f

    def until(self, pred, timeout=60):
        while not pred():
            if self.take(timeout) is None:
                raise ConnectionError("stream closed; seen %r" % self.order[-10:])

    def wait_all(self, ids, timeout=60):
        self.until(lambda: all(i in self.done for i in ids), timeout)

    def outputs(self, cid):
        return [f["payload"]["output"] for f in self.frames.get(cid, [])
                if f["type"] == "call.responded"]

    def result(self, cid):
        """A query's output, checking it had exactly one call.responded."""
        t = self.done[cid]
        assert t["type"] == "call.completed", (cid, t)
        outs = self.outputs(cid)
        assert len(outs) == 1, (cid, outs)
        return outs[0]

    def code(self, cid):
        t = self.done[cid]
        assert t["type"] == "call.error", (cid, t)
        return t["payload"]["code"]


def text_of(records):
    return "".join(r.get("text", "") for r in records)


def test_64_mixed_calls_on_one_stream(peer):
    """64 calls of every kind in flight at once, each answered as if alone."""
    busy = run_container(peer, ["sleep", "600"])
    done = run_container(peer, ["sh", "-c", "for i in 1 2 3; do echo line$i; done"])
    assert peer.call("docker/container/wait", {"containerId": done})["exitCode"] == 0
    kinds = []
    for i in range(64):
        k = i % 8
        if k == 0:
            kinds.append(("ping", "docker/system/ping", {}))
        elif k == 1:
            kinds.append(("inspect", "docker/container/inspect", {"containerId": busy}))
        elif k == 2:
            kinds.append(("logs", "docker/container/logs", {"containerId": done}))
        elif k == 3:
            kinds.append(("exec", "docker/container/exec",
                          {"containerId": busy, "cmd": ["echo", "x%d" % i]}))
        elif k == 4:
            kinds.append(("list", "docker/container/list", {"all": True}))
        elif k == 5:
            kinds.append(("wait", "docker/container/wait", {"containerId": done}))
        elif k == 6:
            kinds.append(("stats", "docker/container/stats",
                          {"containerId": busy, "stream": False}))
        else:
            kinds.append(("version", "docker/system/version", {}))
    # All 64 requests in one write: none waits for another to end.
    data = b""
    ids = []
    for i, (kind, op, inp) in enumerate(kinds):
        cid = "m%d-%s" % (i, kind)
        ids.append(cid)
        data += encode_frame({"type": "call.requested", "id": cid,
                              "payload": {"operationId": op, "input": inp}})
    peer.send_bytes(data)
    m = Mux(peer)
    m.wait_all(ids, timeout=120)
    for i, (kind, _, _) in enumerate(kinds):
        cid = ids[i]
        if kind == "ping":
            assert m.result(cid) == {"ok": True}
        elif kind == "inspect":
            assert m.result(cid)["Id"] == busy
        elif kind == "logs":
            assert m.done[cid]["type"] == "call.completed", m.done[cid]
            assert text_of(m.outputs(cid)) == "line1\nline2\nline3\n"
        elif kind == "exec":
            outs = m.outputs(cid)
            assert m.done[cid]["type"] == "call.completed", m.done[cid]
            assert outs[-1] == {"exitCode": 0, "terminal": True}, outs
            assert text_of(outs[:-1]) == "x%d\n" % i
        elif kind == "list":
            assert busy in container_ids(m.result(cid))
        elif kind == "wait":
            assert m.result(cid)["exitCode"] == 0
        elif kind == "stats":
            assert m.done[cid]["type"] == "call.completed", m.done[cid]
            assert len(m.outputs(cid)) == 1
        else:
            assert "dockgate" in json.dumps(m.result(cid)).lower()
    # Frames of different calls did interleave, and the stream takes more.
    assert peer.call("docker/system/ping") == {"ok": True}


def test_abort_by_id(peer):
    """call.aborted stops the call it names, and only that one."""
    cid = run_container(peer, ["sh", "-c", "while :; do echo tick; sleep 0.05; done"])
    m = Mux(peer)
    a = peer.request("docker/container/logs", {"containerId": cid, "follow": True}, id="fa")
    b = peer.request("docker/container/logs", {"containerId": cid, "follow": True}, id="fb")
    m.until(lambda: m.outputs(a) and m.outputs(b))
    peer.send({"type": "call.aborted", "id": a, "payload": {}})
    m.until(lambda: a in m.done)
    assert m.done[a]["type"] == "call.aborted", m.done[a]
    # b goes on: more records after a's end, and other calls are answered.
    seen = len(m.outputs(b))
    m.until(lambda: len(m.outputs(b)) > seen + 2)
    peer.request("docker/system/ping", id="p1")
    m.until(lambda: "p1" in m.done)
    assert m.result("p1") == {"ok": True}
    assert b not in m.done
    # An abort for an id no longer in flight is ignored.
    peer.send({"type": "call.aborted", "id": a, "payload": {}})
    peer.send({"type": "call.aborted", "id": b, "payload": {}})
    m.until(lambda: b in m.done)
    assert m.done[b]["type"] == "call.aborted"
    assert peer.call("docker/system/ping") == {"ok": True}


def test_failing_call_does_not_disturb_others(peer):
    """Errors end their own call only: the others and the stream go on."""
    cid = run_container(peer, ["sh", "-c", "while :; do echo tick; sleep 0.05; done"])
    m = Mux(peer)
    f = peer.request("docker/container/logs", {"containerId": cid, "follow": True}, id="f")
    m.until(lambda: m.outputs(f))
    peer.request("docker/container/inspect", {"containerId": unique("nosuch")}, id="e1")
    peer.request("docker/container/inspect", {"containerId": cid, "bogus": 1}, id="e2")
    peer.request("docker/nope/op", {}, id="e3")
    peer.request("docker/container/start", {"containerId": unique("gone")}, id="e4")
    peer.request("docker/system/ping", id="ok1")
    peer.request("docker/container/inspect", {"containerId": cid}, id="ok2")
    m.wait_all(["e1", "e2", "e3", "e4", "ok1", "ok2"])
    assert m.code("e1") == "NOT_FOUND"
    assert m.code("e2") == "INVALID_INPUT"
    assert m.code("e3") == "INVALID_INPUT"
    assert m.code("e4") == "NOT_FOUND"
    assert m.result("ok1") == {"ok": True}
    assert m.result("ok2")["Id"] == cid
    n = len(m.outputs(f))
    m.until(lambda: len(m.outputs(f)) > n + 2)
    assert f not in m.done, "the follow was disturbed: %r" % m.done.get(f)
    peer.send({"type": "call.aborted", "id": f, "payload": {}})
    m.until(lambda: f in m.done)


def test_slow_subscription_does_not_block_ping(peer):
    """A subscription with megabytes queued for a slow reader does not hold a
    ping's answer behind them: the ping waits for a turn, not for the backlog."""
    total = 24 << 20
    line = "y" * 99
    cid = run_container(peer, ["sh", "-c", "yes %s | head -c %d" % (line, total)])
    assert peer.call("docker/container/wait", {"containerId": cid})["exitCode"] == 0
    m = Mux(peer)
    lg = peer.request("docker/container/logs", {"containerId": cid}, id="big")
    # Read the first MiB (the stream flows), then read nothing while asking.
    got = 0
    while got < (1 << 20):
        f = m.take()
        got += len(f["payload"]["output"].get("text", ""))
    peer.request("docker/system/ping", id="ping")
    before = 0
    while "ping" not in m.done:
        f = m.take()
        if f["id"] == lg:
            before += len(f["payload"]["output"].get("text", "")) if f["type"] == "call.responded" else 0
    assert m.result("ping") == {"ok": True}
    # What could be ahead of it: both socket buffers, the peer queue's fill
    # mark and a turn of each call; never the subscription's backlog.
    with open("/proc/sys/net/core/wmem_max") as fh:
        wmem = int(fh.read())
    bound = (2 << 20) + 2 * wmem
    assert before < bound, "ping answered after %d log bytes (bound %d)" % (before, bound)
    m.until(lambda: lg in m.done, timeout=120)
    assert m.done[lg]["type"] == "call.completed"
    assert sum(len(o.get("text", "")) for o in m.outputs(lg)) == total


def test_two_pipelined_calls_both_answered(peer):
    """Issue 10: a second call on a stream never loses the first one's answer."""
    cid = run_container(peer, ["sleep", "600"])
    req = lambda i, op, inp: encode_frame({"type": "call.requested", "id": i,
                                           "payload": {"operationId": op, "input": inp}})
    peer.send_bytes(req("first", "docker/container/inspect", {"containerId": cid}) +
                    req("second", "docker/system/ping", {}))
    m = Mux(peer)
    m.wait_all(["first", "second"])
    assert m.result("first")["Id"] == cid
    assert m.result("second") == {"ok": True}


def test_duplicate_id_in_flight_is_a_protocol_error(peer):
    """An id already in flight: PROTOCOL_ERROR, after the frames produced before."""
    cid = run_container(peer, ["sh", "-c", "while :; do echo tick; sleep 0.05; done"])
    m = Mux(peer)
    peer.request("docker/system/ping", id="early")
    f = peer.request("docker/container/logs", {"containerId": cid, "follow": True}, id="f")
    m.until(lambda: "early" in m.done and m.outputs(f))
    peer.request("docker/system/ping", id="f")
    while True:
        fr = peer.recv(15)
        if fr is None:
            break
        if fr["type"] == "call.error":
            assert fr["payload"]["code"] == "PROTOCOL_ERROR", fr
            assert fr["id"] == "f"
            assert peer.recv(15) is None, "the stream stays open after PROTOCOL_ERROR"
            break
    assert m.result("early") == {"ok": True}


def test_raw_call_needs_a_stream_of_its_own(gateway):
    """Raw carriage beside a call in flight: CONFLICT; that call still ends, then close."""
    with gateway.peer() as p, gateway.peer() as other:
        cid = run_container(other, ["sleep", "600"])
        m = Mux(p)
        w = p.request("docker/container/wait", {"containerId": cid}, id="w")
        p.request("docker/container/attach", {"containerId": cid, "stdin": False},
                  id="raw", carriage="raw")
        m.until(lambda: "raw" in m.done)
        assert m.code("raw") == "CONFLICT"
        assert w not in m.done
        other.call("docker/container/kill", {"containerId": cid})
        m.until(lambda: w in m.done, timeout=60)
        assert m.result(w)["exitCode"] != 0
        assert p.recv(15) is None, "the stream closes once its calls ended"


def _conf(d, **kw):
    path = os.path.join(d, "limits.json")
    with open(path, "w") as f:
        json.dump(kw, f)
    return path


def test_per_stream_limit(make_gateway, tmp_path):
    gw = make_gateway(args=["--config", _conf(str(tmp_path), maxCallsPerStream=4)])
    with gw.peer() as p, gw.peer() as other:
        cid = run_container(other, ["sleep", "600"])
        m = Mux(p)
        ids = [p.request("docker/container/wait", {"containerId": cid}, id="w%d" % i)
               for i in range(6)]
        m.until(lambda: "w4" in m.done and "w5" in m.done)
        assert [i for i in ids if i in m.done] == ["w4", "w5"], m.order
        for i in ("w4", "w5"):
            t = m.done[i]["payload"]
            assert t["code"] == "RATE_LIMITED" and t["retryable"] is True, t
            assert t["details"]["retryAfterMs"] >= 0
        # The four in flight are intact: end them, then the stream takes more.
        other.call("docker/container/kill", {"containerId": cid})
        m.wait_all(ids[:4])
        for i in ids[:4]:
            assert m.result(i)["exitCode"] != 0
        assert p.call("docker/system/ping") == {"ok": True}


def _dispatched(gw, op):
    return len(re.findall(r"worker \d+: call \d+ " + re.escape(op), gw.log()))


def test_per_peer_limit(make_gateway, engine, tmp_path):
    gw = make_gateway(pool=3, args=["--config", _conf(str(tmp_path), maxCallsPerPeer=3)])
    # Made on the engine: no call of the peer's may still hold a slot.
    cid = engine.create(cmd=["sleep", "600"], labels={OWNER_LABEL: "alpha"})
    engine.start(cid)
    with gw.peer() as a, gw.peer() as b, gw.peer() as other:
        ma, mb = Mux(a), Mux(b)
        base = _dispatched(gw, "docker/container/wait")
        a.request("docker/container/wait", {"containerId": cid}, id="a1")
        a.request("docker/container/wait", {"containerId": cid}, id="a2")
        b.request("docker/container/wait", {"containerId": cid}, id="b1")
        wait_for(lambda: _dispatched(gw, "docker/container/wait") >= base + 3,
                 what="three waits dispatched")
        b.request("docker/system/ping", id="b2")
        mb.until(lambda: "b2" in mb.done)
        t = mb.done["b2"]["payload"]
        assert t["code"] == "RATE_LIMITED" and t["retryable"] is True, t
        # Aborting a2 frees its slot: b's next ping goes through.
        a.send({"type": "call.aborted", "id": "a2", "payload": {}})
        ma.until(lambda: "a2" in ma.done)
        n = [0]

        def ping_ok():
            n[0] += 1
            i = "b-ping-%d" % n[0]
            b.request("docker/system/ping", id=i)
            mb.until(lambda: i in mb.done)
            return mb.done[i]["type"] == "call.completed"

        wait_for(ping_ok, what="a slot freed by the abort")
        other.call("docker/container/kill", {"containerId": cid})
        ma.until(lambda: "a1" in ma.done)
        mb.until(lambda: "b1" in mb.done)
