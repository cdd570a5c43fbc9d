"""Invariant 7: every decision is audited before it is acknowledged, and the
audit log is a hash chain that `dockgate audit verify` checks.

The chain is checked here twice: by the project's own verifier, and by an
independent reading of docs/audit.md in Python (hashlib), so that a bug
shared by the writer and the verifier cannot hide.
"""

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading

import pytest

from conftest import Gateway, alive, binary, wait_for, write_config
from peer import CallError

BUSY_POLICY = {
    "peers": {
        "alpha": {"uids": [0], "quotas": {"callsPerSecond": 100000, "burst": 100000}},
        "beta": {"uids": [1001], "quotas": {"callsPerSecond": 100000, "burst": 100000}},
    }
}
SUFFIX = ',"hash":"'


# -- helpers -----------------------------------------------------------------

@contextlib.contextmanager
def running(engine, engine_sock, **kw):
    """A gateway the test may kill: teardown tolerates any exit, cleans up."""
    before = engine.labelled()
    gw = Gateway(engine_sock, **kw)
    rc = None
    try:
        gw.start()
        yield gw
    except BaseException:
        print("---- gateway log ----\n" + gw.log_tail(60))
        raise
    finally:
        if gw.proc is not None and gw.proc.poll() is None:
            rc = gw.stop()
            if rc != 0:
                print("---- gateway log ----\n" + gw.log_tail(60))
        after = engine.labelled()
        engine.remove_all({k: [x for x in v if x not in before[k]] for k, v in after.items()})
        gw.remove_dir()
    # Not killed by the test: it must stop cleanly on SIGTERM.
    assert rc in (None, 0), "dockgated exited %r on SIGTERM" % (rc,)


def records(path):
    with open(path, "rb") as f:
        return [json.loads(line) for line in f.read().splitlines()]


def verify(*files):
    r = subprocess.run([binary("dockgate"), "audit", "verify"] + list(files),
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def own_check(files):
    """docs/audit.md, independently: seal, seq and prev of every line."""
    prev = None
    seq = None
    for path in files:
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
        assert lines[-1] == b"", "%s does not end with a newline" % path
        for n, raw in enumerate(lines[:-1], 1):
            text = raw.decode("utf-8")
            cut = text.rindex(SUFFIX)
            want = hashlib.sha256(raw[:cut]).hexdigest()
            assert text[cut:] == SUFFIX + want + '"}', "%s:%d: seal" % (path, n)
            rec = json.loads(text)
            if seq is None:
                assert rec["type"] == "start" and rec["seq"] == 1 and rec["prev"] == rec["seed"]
            else:
                assert rec["seq"] == seq + 1, "%s:%d: seq" % (path, n)
                assert rec["prev"] == prev, "%s:%d: prev" % (path, n)
            seq, prev = rec["seq"], want
    return seq


def reseal(line):
    """A line whose content was changed, sealed again (what a forger would do)."""
    body = line[:line.rindex(SUFFIX)]
    return body + SUFFIX + hashlib.sha256(body.encode()).hexdigest() + '"}'


def decisions(recs):
    return [r for r in recs if r["type"] == "decision"]


# -- what is recorded --------------------------------------------------------

def test_decisions_and_ends_are_recorded(engine, engine_sock, work):
    log = os.path.join(work, "audit.log")
    with running(engine, engine_sock, args=["--audit", log]) as gw:
        with gw.peer() as p:
            assert p.call("docker/system/ping", id="ping-1") == {"ok": True}
            # Not in an ordinary tenant's operations: policy says no.
            e = p.error("docker/image/remove", {"image": "dgtest:latest"}, id="rm-img")
            assert e.code == "FORBIDDEN"
            cid = p.call("docker/container/create",
                         {"image": "dgtest:latest", "cmd": ["true"]}, id="mk")["containerId"]
            assert p.call("docker/container/inspect", {"containerId": cid[:12]},
                          id="look")["Id"] == cid
        with gw.peer(uid=1001) as q:
            # Another tenant's container: indistinguishable from a missing one.
            assert q.error("docker/container/inspect", {"containerId": cid},
                           id="peek").code == "NOT_FOUND"
        wait_for(lambda: len([r for r in records(log) if r["type"] == "end"]) >= 5,
                 what="end records")
        recs = records(log)
        by = {(r["type"], r.get("call")): r for r in recs}
        d = by[("decision", "ping-1")]
        assert d["peer"] == "alpha" and d["uid"] == 0 and d["decision"] == "allow"
        assert d["result"] == "OK" and d["operation"] == "docker/system/ping"
        assert isinstance(d["durationUs"], int) and d["worker"] > 0
        d = by[("decision", "rm-img")]
        assert d["decision"] == "deny" and d["result"] == "FORBIDDEN"
        assert "not allowed" in d["reason"]
        assert by[("decision", "mk")]["resource"] == cid
        # A prefix the peer gave is recorded as the full ID it resolved to.
        assert by[("decision", "look")]["resource"] == cid
        peek = by[("decision", "peek")]
        assert peek["peer"] == "beta" and peek["uid"] == 1001 and peek["result"] == "NOT_FOUND"
        end = by[("end", "ping-1")]
        assert end["result"] == "OK" and end["reported"] is True
        assert end["bytesIn"] > 0 and end["bytesOut"] > 0
        # Each decision comes before the end of its call.
        assert d["seq"] < by[("end", "rm-img")]["seq"]
    # A clean stop closes the log; the chain verifies with both checkers.
    assert records(log)[-1]["type"] == "close"
    rc, out = verify(log)
    assert rc == 0, out
    assert own_check([log]) == records(log)[-1]["seq"]


def test_sandbox_violation_is_audited(engine, engine_sock, work):
    log = os.path.join(work, "audit.log")
    with running(engine, engine_sock, worker=binary("dockgate-worker-evil"),
                 args=["--audit", log]) as gw:
        off = gw.log_size()
        with gw.peer() as p:
            assert p.call("docker/system/ping", id="before") == {"ok": True}
            p.request("test/violate/socket", id="v1")
            p.expect_eof(timeout=10)
        gw.wait_log(r"killed by SIGSYS", off)
        wait_for(lambda: any(r["type"] == "worker" for r in records(log)),
                 what="the worker record")
        w = [r for r in records(log) if r["type"] == "worker"][0]
        assert w["event"] == "sandbox-violation" and w["peer"] == "alpha" and w["uid"] == 0
        # The supervisor never saw the evil call; the stream's last call is named.
        assert w["operation"] == "docker/system/ping"
    rc, out = verify(log)
    assert rc == 0, out


def test_worker_crash_is_audited(engine, engine_sock, work):
    log = os.path.join(work, "audit.log")
    with running(engine, engine_sock, args=["--audit", log]) as gw:
        off = gw.log_size()
        with gw.peer(uid=1001) as p:
            assert p.call("docker/system/ping", id="x") == {"ok": True}
            pid = gw.serving_worker(off, peer="beta")
            os.kill(pid, signal.SIGSEGV)
            p.expect_eof(timeout=10)
        wait_for(lambda: any(r["type"] == "worker" for r in records(log)),
                 what="the worker record")
        w = [r for r in records(log) if r["type"] == "worker"][0]
        assert w["event"] == "crash" and w["worker"] == pid and w["peer"] == "beta", w
        assert w["detail"] == "killed by signal %d" % signal.SIGSEGV, w
    rc, out = verify(log)
    assert rc == 0, out


# -- the verifier ------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_log(engine, engine_sock):
    """A verified log of a few dozen records, written by a real gateway."""
    d = tempfile.mkdtemp(prefix="dgau", dir="/tmp")
    log = os.path.join(d, "audit.log")
    with running(engine, engine_sock, args=["--audit", log]) as gw:
        with gw.peer() as p:
            for i in range(12):
                p.call("docker/system/ping", id="s%d" % i)
    rc, out = verify(log)
    assert rc == 0, out
    with open(log) as f:
        lines = f.read().splitlines()
    yield d, lines
    shutil.rmtree(d, ignore_errors=True)


def tampered(sample, lines, name):
    path = os.path.join(sample, name)
    with open(path, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    return path


def verify_names(path, k, word):
    """dockgate-audit verify fails on path, naming line k and the word for what was done."""
    rc, out = verify(path)
    assert rc == 1, out
    assert "%s:%d:" % (path, k) in out and word in out, out


def test_verify_names_an_altered_line(sample_log):
    d, lines = sample_log
    bad = list(lines)
    k = 10
    assert '"result":"OK"' in bad[k - 1]
    bad[k - 1] = bad[k - 1].replace('"result":"OK"', '"result":"NOT_FOUND"', 1)
    verify_names(tampered(d, bad, "altered.log"), k, "altered")


def test_verify_names_a_resealed_line(sample_log):
    d, lines = sample_log
    bad = list(lines)
    k = 9
    bad[k - 1] = reseal(bad[k - 1].replace('"peer":"alpha"', '"peer":"beta"', 1))
    assert bad[k - 1] != lines[k - 1]
    verify_names(tampered(d, bad, "resealed.log"), k, "resealed")


def test_verify_names_a_removed_line(sample_log):
    d, lines = sample_log
    k = 7
    verify_names(tampered(d, lines[:k - 1] + lines[k:], "removed.log"), k, "removed")


def test_verify_names_swapped_lines(sample_log):
    d, lines = sample_log
    k = 5
    bad = list(lines)
    bad[k - 1], bad[k] = bad[k], bad[k - 1]
    verify_names(tampered(d, bad, "swapped.log"), k, "reordered")


def test_verify_names_a_cut_beginning_and_a_torn_end(sample_log):
    d, lines = sample_log
    path = tampered(d, lines[3:], "headless.log")
    rc, out = verify(path)
    assert rc == 1 and "%s:1:" % path in out, out
    path = os.path.join(d, "torn.log")
    with open(path, "w") as f:
        f.write("".join(line + "\n" for line in lines) + lines[-1][:40])
    rc, out = verify(path)
    assert rc == 1 and "%s:%d:" % (path, len(lines) + 1) in out and "incomplete" in out, out


# -- durability --------------------------------------------------------------

def hammer(gw, uid, name, stop, ok, errors):
    """Calls back to back on one stream; records the ids the peer saw succeed."""
    n = 0
    ops = [("docker/system/ping", None), ("gateway/usage", None),
           ("docker/container/list", {"all": True})]
    try:
        with gw.peer(uid=uid) as p:
            p.timeout = 5
            while not stop.is_set():
                op, inp = ops[n % len(ops)]
                cid = "%s-%d" % (name, n)
                n += 1
                try:
                    p.call(op, inp, id=cid)
                    ok.append(cid)
                except CallError as e:
                    errors.append((cid, e.code))
    except Exception:  # the supervisor died under us: that is the point
        pass


def test_sigkill_under_load_loses_no_acknowledged_call(engine, engine_sock, work):
    log = os.path.join(work, "audit.log")
    args = ["--audit", log, "--state-dir", os.path.join(work, "state")]
    ok, errors = [], []
    with running(engine, engine_sock, policy=BUSY_POLICY, pool=6, args=args) as gw:
        stop = threading.Event()
        peers = [(0, "a1"), (0, "a2"), (0, "a3"), (1001, "b1"), (1001, "b2")]
        threads = [threading.Thread(target=hammer, args=(gw, uid, name, stop, ok, errors))
                   for uid, name in peers]
        for t in threads:
            t.start()
        wait_for(lambda: len(ok) >= 600, timeout=30, what="600 calls")
        workers = gw.workers()
        os.kill(gw.pid, signal.SIGKILL)
        gw.proc.wait(10)
        stop.set()
        for t in threads:
            t.join(20)
        # Workers notice their channel closed and go.
        wait_for(lambda: not [w for w in workers if alive(w)], timeout=10,
                 what="workers of the killed supervisor to exit")
    assert len(ok) >= 600 and not [e for e in errors if e[1] != "RATE_LIMITED"], errors[:5]
    # A torn write at the moment of a crash: cut off at the next start.
    torn = b'{"seq":99999999,"time":"2'
    with open(log, "ab") as f:
        f.write(torn)
    with running(engine, engine_sock, policy=BUSY_POLICY, args=args) as gw:
        with gw.peer() as p:
            assert p.call("docker/system/ping", id="after") == {"ok": True}
    rc, out = verify(log)
    assert rc == 0, out
    own_check([log])
    recs = records(log)
    opens = [r for r in recs if r["type"] == "open"]
    assert len(opens) == 2 and opens[1]["truncatedBytes"] == len(torn), opens
    seen = {r["call"] for r in decisions(recs) if r["result"] == "OK"}
    missing = [c for c in ok if c not in seen]
    assert not missing, "acknowledged but not in the audit log: %r" % missing[:10]


def test_rotation_keeps_one_chain(engine, engine_sock, work):
    log = os.path.join(work, "audit.log")
    conf = write_config(work, audit=log, auditRotateBytes=8192)
    with running(engine, engine_sock, args=["--config", conf]) as gw:
        with gw.peer() as p:
            for i in range(60):
                p.call("docker/system/ping", id="r%d" % i)
    rotated = sorted(f for f in os.listdir(work) if re.fullmatch(r"audit\.log\.\d{6}", f))
    assert len(rotated) >= 3, os.listdir(work)
    files = [os.path.join(work, f) for f in rotated] + [log]
    for path in files:
        assert os.path.getsize(path) <= 8192, path
        assert os.stat(path).st_mode & 0o777 == 0o600, path
    for path in files[1:]:
        first = records(path)[0]
        assert first["type"] == "rotate", first
    rc, out = verify(*files)
    assert rc == 0, out
    own_check(files)
    # A file missing from the middle breaks the chain where the next one starts.
    rc, out = verify(*(files[:1] + files[2:]))
    assert rc == 1 and "%s:1:" % files[2] in out, out
    # The live file alone verifies as a continuation of earlier files.
    rc, out = verify(log)
    assert rc == 0 and "continues" in out, out


def test_unwritable_log_holds_answers(engine, engine_sock, work):
    """While the log cannot be written, no answer leaves; once it can, they do."""
    fs = os.path.join(work, "fs")
    os.mkdir(fs)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", fs], check=True)
    try:
        log = os.path.join(fs, "audit.log")
        with running(engine, engine_sock, args=["--audit", log]) as gw:
            with gw.peer() as p, gw.peer() as q:
                assert p.call("docker/system/ping") == {"ok": True}
                filler = os.path.join(fs, "filler")
                fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
                try:
                    while True:
                        os.write(fd, b"x" * 512)
                except OSError:
                    pass
                finally:
                    os.close(fd)
                # The log's last page may still have room: call until a record does not fit.
                held = None
                for i in range(40):
                    cid = p.request("docker/system/ping", id="h%d" % i)
                    try:
                        frames = list(p.frames(cid, timeout=1.5))
                        assert frames[-1]["type"] == "call.completed", frames
                    except TimeoutError:
                        held = cid
                        break
                assert held is not None, "every answer left although the log was full"
                # Meanwhile, new calls are refused before they have any effect.
                assert q.error("docker/system/ping").code == "UNAVAILABLE"
                os.unlink(filler)
                frames = list(p.frames(held, timeout=10))
                assert frames[-1]["type"] == "call.completed", frames
        rc, out = verify(log)
        assert rc == 0, out
        assert any(r.get("call") == held and r["type"] == "decision" for r in records(log))
    finally:
        subprocess.run(["umount", "-l", fs])
