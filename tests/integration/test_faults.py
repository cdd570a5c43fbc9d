"""Faults under load: the engine restarted, workers killed, peers that stall,
trickle or vanish.  Bounded in time and count, unix sockets only.

Each test ends the way test_load.py's do: the supervisor's descriptors and
resident memory are back near their level before the fault (its Baseline),
the pool is whole, and no container is left behind.
"""

import json
import os
import random
import signal
import socket
import struct
import threading
import time

from conftest import (engine_start, gateway_on, rss_kib, run_container, stop_engine,
                      unread_bytes, wait_for, wait_steady)
from peer import CallError, Peer, ProtocolViolation
from test_load import LOAD_CONFIG, LOAD_POLICY, TICKER, Baseline, Errors, no_new_containers

RETRYABLE = ("UNAVAILABLE", "TIMEOUT")


def frame(obj):
    data = json.dumps(obj).encode()
    return struct.pack(">I", len(data)) + data


PING = frame({"type": "call.requested", "id": "p",
              "payload": {"operationId": "docker/system/ping"}})


class Load:
    """Callers in threads: each keeps a stream and calls in a loop, opening a
    new stream when its own breaks.  What each call ended with is counted."""

    def __init__(self, gw, ops, threads):
        self.gw, self.ops = gw, ops
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.ok = self.failed = self.broken = 0
        self.codes = {}
        self.errors = Errors()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                        for i in range(threads)]

    def run(self, i):
        p = None
        while not self.stop.is_set():
            try:
                if p is None:
                    p = Peer(self.gw.socket, timeout=40)
                op, inp = self.ops[i % len(self.ops)]
                p.call(op, inp)
                with self.lock:
                    self.ok += 1
            except CallError as e:
                with self.lock:
                    self.failed += 1
                    self.codes[e.code] = self.codes.get(e.code, 0) + 1
                if e.code not in RETRYABLE:
                    self.errors.add("%s: %s" % (op, e))
                time.sleep(0.05)
            except (ConnectionError, OSError):
                # The stream broke under us (its worker was killed): a new one.
                with self.lock:
                    self.broken += 1
                if p is not None:
                    p.close()
                p = None
            except (ProtocolViolation, TimeoutError, AssertionError) as e:
                self.errors.add("%s: %r" % (op, e))
                break
        if p is not None:
            p.close()

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(60)
        assert not any(t.is_alive() for t in self.threads), "a caller hung"
        self.errors.check()

    def count(self):
        with self.lock:
            return self.ok


def wait_calls(load, n, timeout=30):
    start = load.count()
    wait_for(lambda: load.count() >= start + n, timeout=timeout, step=0.05,
             what="%d more successful calls" % n)


# -- the engine restarted mid-load --------------------------------------------------



def test_engine_restarted_mid_load(own_engine):
    with gateway_on(own_engine, policy=LOAD_POLICY, pool=16, config=LOAD_CONFIG) as gw:
        admin = gw.peer()
        ticker = run_container(admin, TICKER)
        base = Baseline(gw, 16, held=1)
        load = Load(gw, [("docker/system/ping", {}), ("docker/container/list", {}),
                         ("docker/container/inspect", {"containerId": ticker})], 16).start()
        followers = []
        for _ in range(8):
            p = Peer(gw.socket, timeout=40)
            cid = p.request("docker/container/logs", {"containerId": ticker, "follow": True})
            assert p.recv()["type"] == "call.responded"
            followers.append((p, cid))
        wait_calls(load, 200)

        stop_engine(own_engine)
        # Every follow ends, cleanly: completed (the container stopped) or
        # UNAVAILABLE; none hangs.
        for p, cid in followers:
            while True:
                f = p.recv(30)
                assert f is not None and f["id"] == cid, f
                if f["type"] != "call.responded":
                    break
            assert f["type"] == "call.completed" or (
                f["type"] == "call.error" and f["payload"]["code"] == "UNAVAILABLE"), f
            p.close()
        # Calls fail as retryable, at once, while the engine is away.
        failed = load.failed
        wait_for(lambda: load.failed >= failed + 20, timeout=20, step=0.05,
                 what="calls to fail while the engine is down")
        assert set(load.codes) <= set(RETRYABLE), load.codes

        engine_start(own_engine)
        wait_calls(load, 200, timeout=40)  # and succeed again, on the same streams
        load.finish()
        assert load.broken == 0, "streams broke: %d" % load.broken
        print("\nengine restart: %d calls ok, %d failed %r" % (load.ok, load.failed, load.codes))

        # The ticker stopped with the engine: remove it, then account.
        assert admin.call("docker/container/remove", {"containerId": ticker,
                                                      "force": True}) == {}
        admin.close()
        base.check()
        assert gw.peer().call("docker/system/ping") == {"ok": True}
        assert gw.proc.poll() is None


# -- workers killed at random -----------------------------------------------------

def test_workers_killed_at_random(make_gateway, engine):
    before = engine.labelled()
    gw = make_gateway(policy=LOAD_POLICY, pool=16, config=LOAD_CONFIG)
    admin = gw.peer()
    ticker = run_container(admin, TICKER)
    base = Baseline(gw, 16, held=1)
    keep = set(gw.workers())  # the admin's and the idle pool: not killed here
    load = Load(gw, [("docker/system/ping", {}), ("docker/container/list", {}),
                     ("docker/container/inspect", {"containerId": ticker})], 24).start()
    wait_calls(load, 100)

    rng = random.Random(7)
    killed = []
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline and len(killed) < 40:
        victims = [w for w in gw.workers() if w not in keep and w not in killed]
        if victims:
            w = rng.choice(victims)
            try:
                os.kill(w, signal.SIGKILL)
                killed.append(w)
            except ProcessLookupError:
                pass
        time.sleep(0.08)
    assert len(killed) >= 10, killed
    # Killing workers costs their own streams only: calls go on.
    wait_calls(load, 100)
    load.finish()
    assert load.broken >= 1, "no stream saw its worker die"
    print("\nworkers killed: %d; calls ok %d, failed %d %r, streams broken %d"
          % (len(killed), load.ok, load.failed, load.codes, load.broken))

    assert admin.call("docker/container/remove", {"containerId": ticker, "force": True}) == {}
    admin.close()
    base.check()
    log = gw.log()
    assert sum(("worker %d killed by signal 9" % w) in log for w in killed) >= len(killed) - 2
    assert "fatal" not in log.lower()
    no_new_containers(engine, before)


# -- peers that stall, trickle, or vanish ----------------------------------------

def raw_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def test_stalling_trickling_and_vanishing_peers(make_gateway, engine, tmp_path):
    before = engine.labelled()
    conf = tmp_path / "dockgated.json"
    conf.write_text(json.dumps({"workerIdleSeconds": 3, "streamsPerSecondPerPeer": 0}))
    gw = make_gateway(policy=LOAD_POLICY, pool=16, args=["--config", str(conf)])
    admin = gw.peer()
    # A stream gets its worker with its first byte: the admin's, now.
    assert admin.call("docker/system/ping") == {"ok": True}
    base = Baseline(gw, 16, held=1)
    t0 = time.monotonic()

    # Stall: half a frame, then nothing.  The worker closes the stream once
    # it has been idle for workerIdleSeconds.
    stalled = []
    for _ in range(40):
        s = raw_connect(gw.socket)
        s.sendall(PING[:len(PING) // 2])
        stalled.append(s)
    # Vanish: mid-frame, mid-header, or before a byte.
    for i in range(60):
        s = raw_connect(gw.socket)
        s.sendall(PING[:[0, 2, 9, len(PING) - 1][i % 4]])
        s.close()
    # A follow whose peer never reads: back-pressure, not memory.
    chatty = run_container(admin, ["sh", "-c", "trap 'exit 0' TERM; "
                                               "yes 0123456789abcdef | head -c 40000000; "
                                               "sleep 600 & wait"])
    off = gw.log_size()
    hog = Peer(gw.socket)
    hog.request("docker/container/logs", {"containerId": chatty, "follow": True})
    hog_worker = gw.serving_worker(off)

    # Trickle: a frame one byte at a time is still one call.
    def trickle(results):
        s = raw_connect(gw.socket)
        for b in PING:
            s.sendall(bytes([b]))
            time.sleep(0.004)
        s.settimeout(10)
        data = b""
        while b"call.completed" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        results.append(b"call.completed" in data and b'"ok":true' in data)
        s.close()

    results = []
    ts = [threading.Thread(target=trickle, args=(results,)) for _ in range(10)]
    for t in ts:
        t.start()
    # Meanwhile the gateway answers others at once.
    for _ in range(20):
        t1 = time.monotonic()
        assert admin.call("docker/system/ping") == {"ok": True}
        assert time.monotonic() - t1 < 1.0
    for t in ts:
        t.join(30)
    assert results == [True] * 10, results

    # The hog's worker stops reading the engine once its queue is full: wait
    # until nothing moves, neither the bytes queued to the hog nor the
    # worker's memory (a worker reading on without bound settles only after
    # the container's whole 40 MB, and fails the bound below).
    def queued_and_rss():
        q, r = unread_bytes(hog.sock), rss_kib(hog_worker)
        return (q, r) if q > 0 and r else None

    _, rss_kb = wait_steady(queued_and_rss,
                            near=lambda a, b: a[0] == b[0] and abs(a[1] - b[1]) < 256,
                            what="the hog's stream to stall")
    rss_mb = rss_kb / 1024
    assert rss_mb < 64, "a worker whose peer does not read holds %.0f MB" % rss_mb
    print("\nworker of a peer that does not read: %.1f MB RSS" % rss_mb)

    # Stalled peers are closed by their workers after the idle timeout.
    for s in stalled:
        s.settimeout(15)
        assert s.recv(4096) == b"", "a stalled stream was not closed"
        s.close()
    assert time.monotonic() - t0 < 30

    hog.close()
    # admin's own stream sat idle for longer than workerIdleSeconds while the
    # stalled ones were awaited: its worker closed it too, as it should.
    admin.close()
    admin = gw.peer()
    assert admin.call("docker/container/remove", {"containerId": chatty, "force": True}) == {}
    admin.close()
    base.check()
    no_new_containers(engine, before)
