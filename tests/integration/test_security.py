"""Invariants 1 and 2, the worker's sandbox, and the supervisor's resilience.

The evil worker (build/bin/dockgate-worker-evil: the shipped worker plus tests/evil/evil.c
as its test hooks) answers
"test/violate/<name>" by attempting that forbidden thing, and on a logs call
also writes a pipelined HTTP request on the engine connection it was handed.
"""

import os
import pwd
import re
import signal
import time

import pytest

from conftest import POOL, _run_gateway, alive, binary, proc_status, run_container, wait_for

VIOLATIONS = ["socket", "connect", "open", "execve", "fork", "ptrace", "mmap_exec",
              "fd_pass",  # sendmsg on anything but the channel: no descriptor leaves
              "swap_channel",  # nor through another descriptor put where the channel was
              # what the zygote's filter allows and a worker's stacked one refuses
              "zygote_clone", "dup_over_channel"]
SIGSYS_LINE = r"worker %d killed by SIGSYS \(sandbox violation\)"


def ping_ok(gw):
    with gw.peer() as p:
        assert p.call("docker/system/ping") == {"ok": True}


@pytest.fixture(scope="module")
def evil_gateway(request, engine, engine_sock):
    yield from _run_gateway(request, engine, engine_sock,
                            worker=binary("dockgate-worker-evil"))


@pytest.mark.parametrize("what", VIOLATIONS)
def test_sandbox_violation_kills_worker(evil_gateway, what):
    gw = evil_gateway
    off = gw.log_size()
    with gw.peer() as p:
        p.request("test/violate/" + what, id="v-" + what)
        frames = p.expect_eof(timeout=10)
        bad = [f for f in frames if f["type"] in ("call.responded", "call.completed")]
        assert not bad, "the violation succeeded: %r" % bad
    # The worker that tried names itself.  (The first "serving peer" line
    # after off may be the previous test's ping stream, logged late on a
    # loaded machine.)
    pid = int(gw.wait_log(r"\[(\d+)\]: evil: trying %s\b" % what, off).group(1))
    gw.wait_log(SIGSYS_LINE % pid, off)
    assert not alive(pid)
    log = gw.log_since(off)
    assert "evil: trying %s" % what in log, "the evil worker did not try (is it the build with tests/evil/evil.c?)"
    assert "evil: %s survived" % what not in log
    ping_ok(gw)


def test_pipelined_request_is_never_executed(evil_gateway, engine):
    gw = evil_gateway
    assert engine.inspect("dg-evil-pipelined") is None, "left over from an earlier run"
    off = gw.log_size()
    with gw.peer() as p:
        cid = run_container(p, ["sh", "-c", "echo one; echo two"])
        engine.wait(cid)
        fr = p.call_frames("docker/container/logs",
                           {"containerId": cid, "stdout": True, "stderr": True}, timeout=20)
        assert fr[-1]["type"] in ("call.completed", "call.error"), fr
    gw.wait_log(r"evil: pipelined a create request", off)
    # A window, not a wait: the engine gets time to act on anything it might
    # have read, and the test proves that the create never happens.
    time.sleep(1.5)
    doc = engine.inspect("dg-evil-pipelined")
    if doc is not None:
        engine.remove(doc["Id"])
        pytest.fail("INVARIANT 2 BROKEN: the engine executed the worker's pipelined "
                    "POST /containers/create?name=dg-evil-pipelined")
    ping_ok(gw)


def test_killed_worker_is_replaced(gateway):
    gw = gateway
    off = gw.log_size()
    p = gw.peer()
    cid = run_container(p, ["sh", "-c", "for i in $(seq 1 150); do echo tick $i; sleep 0.2; done"])
    pid = gw.serving_worker(off)
    p.request("docker/container/logs", {"containerId": cid, "follow": True, "stdout": True},
              id="follow")
    first = p.recv(timeout=20)
    assert first is not None and first["type"] == "call.responded", first
    os.kill(pid, signal.SIGKILL)
    frames = p.expect_eof(timeout=10)
    assert not [f for f in frames if f["type"] == "call.completed"], frames[-3:]
    p.close()
    ping_ok(gw)
    # Only idle workers remain once every stream is gone, and as many as the pool holds.
    wait_for(lambda: len(gw.workers()) == POOL, timeout=10,
             what="pool back to %d workers (now %r)" % (POOL, gw.workers()))
    assert pid not in gw.workers()
    with gw.peer() as q:
        q.call("docker/container/remove", {"containerId": cid, "force": True})


def _check_sandboxed(pid):
    nobody = pwd.getpwnam("nobody")
    st = wait_for(lambda: (lambda s: s if s and s.get("Seccomp") == "2" else None)(proc_status(pid)),
                  timeout=10, what="worker %d in seccomp mode 2" % pid)
    problems = []
    uids = st["Uid"].split()
    gids = st["Gid"].split()
    if set(uids) != {str(nobody.pw_uid)}:
        problems.append("Uid %s" % st["Uid"])
    if set(gids) != {str(nobody.pw_gid)}:
        problems.append("Gid %s" % st["Gid"])
    if st.get("Groups", "") not in ("", str(nobody.pw_gid)):
        problems.append("Groups %r" % st.get("Groups"))
    if st.get("NoNewPrivs") != "1":
        problems.append("NoNewPrivs %s" % st.get("NoNewPrivs"))
    for cap in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
        if int(st.get(cap, "0"), 16) != 0:
            problems.append("%s %s" % (cap, st[cap]))
    assert not problems, "worker %d: %s" % (pid, ", ".join(problems))


def test_idle_workers_are_sandboxed(gateway):
    pids = wait_for(lambda: gateway.workers() if len(gateway.workers()) >= POOL else None,
                    timeout=10, what="%d pool workers" % POOL)
    for pid in pids:
        _check_sandboxed(pid)


def test_serving_worker_is_sandboxed(gateway):
    off = gateway.log_size()
    with gateway.peer() as p:
        assert p.call("docker/system/ping") == {"ok": True}
        pid = gateway.serving_worker(off)
        _check_sandboxed(pid)


def test_sigterm_clean_exit(make_gateway):
    gw = make_gateway()
    p = gw.peer()
    assert p.call("docker/system/ping") == {"ok": True}
    workers = wait_for(lambda: gw.workers() if len(gw.workers()) >= POOL else None,
                       timeout=10, what="workers")
    rc = gw.stop()
    assert rc == 0, "dockgated exit status %r" % (rc,)
    assert not os.path.exists(gw.socket), "socket file left behind"
    wait_for(lambda: not [w for w in workers if alive(w)], timeout=10,
             what="workers %r to exit" % workers)
    assert p.expect_eof(timeout=5) == []
    p.close()


def test_worker_log_names_peer(gateway):
    """The lead's log line the tests rely on is there, with a real pid."""
    off = gateway.log_size()
    with gateway.peer() as p:
        p.call("docker/system/ping")
        pid = gateway.serving_worker(off)
    assert re.match(r"^\d+$", str(pid)) and pid > 1
