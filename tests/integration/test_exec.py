"""docker/container/exec in both carriages, against the real engine.

JSON carriage: output records as for logs, then {"exitCode": N, "terminal":
true}, then call.completed.  Raw carriage (PROTOCOL.md section 3): stdin
chunks in, stdout/stderr chunks out, resize, half-close, abort, control exit.
"""

import hashlib
import json
import os
import subprocess
import threading
import time

import pytest

import rawpeer
from conftest import (PODMAN, CpuHogs, binary, proc_gone, records_by_stream, rss_kib,
                      run_container, unique, unread_bytes, wait_for, wait_steady)
from rawpeer import CONTROL, STDOUT, RawSession, chunk
from tmuxterm import TmuxTerm, needs_tmux

@pytest.fixture(scope="module")
def gw(shared_gateway):
    return shared_gateway


@pytest.fixture(scope="module")
def box(gw):
    """One running container (stdin open) that the module's execs run in."""
    p = gw.peer()
    cid = run_container(p, ["sleep", "3600"], openStdin=True)
    p.close()
    return cid


def exec_json(gw, cid, cmd, **kw):
    inp = {"containerId": cid, "cmd": cmd}
    inp.update(kw)
    with gw.peer() as p:
        return p.subscribe("docker/container/exec", inp, timeout=60)


def raw_exec(gw, cid, cmd, **kw):
    inp = {"containerId": cid, "cmd": cmd, "stdin": True}
    inp.update(kw)
    return RawSession(gw.peer(), "docker/container/exec", inp)


def processes(engine, cid):
    """The command lines running in cid."""
    # Podman splits the columns only when asked for ps descriptors (docs/engines.md).
    out = engine.ok("GET", "/containers/%s/top%s" % (cid, "?ps_args=pid,args" if PODMAN else ""))
    if isinstance(out, bytes):  # Podman's top answers JSON without a JSON Content-Type
        out = json.loads(out)
    col = out["Titles"].index("COMMAND" if PODMAN else "CMD")
    return [p[col] for p in out["Processes"]]


# -- JSON carriage -----------------------------------------------------------

def test_json_exit_code_on_last_record(gw, box):
    outs, term = exec_json(gw, box, ["sh", "-c", "echo out; echo err >&2; exit 7"])
    assert term["type"] == "call.completed", term
    assert outs[-1] == {"exitCode": 7, "terminal": True}
    got = records_by_stream(outs[:-1])
    assert got == {"stdout": b"out\n", "stderr": b"err\n"}


def test_json_stdout_stderr_apart(gw, box):
    script = "i=0; while [ $i -lt 200 ]; do echo o$i; echo e$i >&2; i=$((i+1)); done"
    outs, term = exec_json(gw, box, ["sh", "-c", script])
    assert outs[-1] == {"exitCode": 0, "terminal": True}
    got = records_by_stream(outs[:-1])
    assert got["stdout"] == b"".join(b"o%d\n" % i for i in range(200))
    assert got["stderr"] == b"".join(b"e%d\n" % i for i in range(200))


def test_json_binary_and_tty(gw, box):
    outs, _ = exec_json(gw, box, ["sh", "-c", r"printf '\377\376ok'"])
    assert records_by_stream(outs[:-1])["stdout"] == b"\xff\xfeok"
    assert any("base64" in r for r in outs[:-1])
    outs, _ = exec_json(gw, box, ["sh", "-c", "echo to-err >&2; exit 2"], tty=True)
    assert outs[-1] == {"exitCode": 2, "terminal": True}
    # a TTY has one stream, and turns "\n" into "\r\n"
    assert records_by_stream(outs[:-1]) == {"stdout": b"to-err\r\n", "stderr": b""}


def test_json_env_workdir_user(gw, box):
    outs, _ = exec_json(gw, box, ["sh", "-c", "echo $GREETING; pwd; id -u"],
                        env=["GREETING=hello there"], workingDir="/tmp", user="65534")
    assert records_by_stream(outs[:-1])["stdout"] == b"hello there\n/tmp\n65534\n"


def test_json_exec_refusals(gw, box, engine, direct):
    with gw.peer() as p:
        e = p.error("docker/container/exec", {"containerId": box, "cmd": ["cat"], "stdin": True})
        assert e.code == "INVALID_INPUT"
        e = p.error("docker/container/exec", {"containerId": box, "cmd": ["true"], "env": ["NOEQ"]})
        assert e.code == "INVALID_INPUT"
        e = p.error("docker/container/exec", {"containerId": box, "cmd": []})
        assert e.code == "INVALID_INPUT"
        # not the peer's: exactly like a missing one
        other = direct.create(cmd=["sleep", "60"])
        engine.start(other)
        e1 = p.error("docker/container/exec", {"containerId": other, "cmd": ["true"]})
        e2 = p.error("docker/container/exec", {"containerId": "f" * 64, "cmd": ["true"]})
        assert e1.code == e2.code == "NOT_FOUND"
        # a stopped container
        stopped = run_container(p, ["true"])
        wait_for(lambda: not engine.inspect(stopped)["State"]["Running"], what="exit")
        e = p.error("docker/container/exec", {"containerId": stopped, "cmd": ["true"]})
        assert e.code == "CONFLICT"
    with gw.peer(uid=1001) as q:  # beta
        e = q.error("docker/container/exec", {"containerId": box, "cmd": ["true"]})
        assert e.code == "NOT_FOUND"


def test_json_abort_releases_the_exec(gw, box, engine):
    tag = unique("abort")
    with gw.peer() as p:
        cid = p.request("docker/container/exec",
                        {"containerId": box, "cmd": ["sh", "-c", "echo go; exec sleep 1000 # %s" % tag]})
        f = p.recv()
        assert f["type"] == "call.responded", f
        p.send({"type": "call.aborted", "id": cid, "payload": {}})
        f = p.recv()
        assert f["type"] == "call.aborted", f
        # the stream serves the next call
        assert p.call("docker/system/ping") == {"ok": True}
    wait_for(lambda: not [x for x in processes(engine, box) if x == "sleep 1000"],
             timeout=10, what="the aborted exec's process to go")


# -- raw carriage: exec ------------------------------------------------------

def test_raw_interactive_sh(gw, box):
    s = raw_exec(gw, box, ["sh"])
    try:
        assert s.output == {"carriage": "raw", "tty": False}
        s.stdin(b"echo hello\n")
        assert s.read_until(lambda b: b.endswith(b"hello\n")) == b"hello\n"
        s.stdin(b"x=41; echo $((x+1))\n")
        assert s.read_until(lambda b: b"\n" in b) == b"42\n"
        s.stdin(b"echo oops >&2; cd /tmp; pwd\n")
        assert s.read_until(lambda b: b"\n" in b) == b"/tmp\n"
        s.stdin(b"exit 3\n")
        out, err, end = s.finish()
        assert err == b"oops\n"
        assert end == {"type": "exit", "exitCode": 3}
        assert s.recv() is None and s.eof
    finally:
        s.close()


def test_raw_cat_8mib_sha256(gw, box):
    data = os.urandom(8 << 20)
    t0 = time.monotonic()
    out, err, end, s = rawpeer.run(gw.peer(), "docker/container/exec",
                                   {"containerId": box, "cmd": ["cat"], "stdin": True}, data)
    took = time.monotonic() - t0
    s.close()
    assert end == {"type": "exit", "exitCode": 0}, (end, err)
    assert len(out) == len(data)
    assert hashlib.sha256(out).hexdigest() == hashlib.sha256(data).hexdigest()
    print("8 MiB through cat and back: %.2fs" % took)


def test_raw_cat_8mib_slow_reader_on_a_busy_machine(make_gateway):
    """Issue 10 item 1: a reader that keeps reading, slowly (4 KiB per 12 ms,
    so that draining the worker's 4 MiB queue takes longer than the 10 s a
    closing stream may go without progress), on a machine with three
    CPU-bound processes on two cores, gets every byte; and the audited
    bytes out are the bytes the peer received, not the bytes queued."""
    gw = make_gateway()
    with gw.peer() as p:
        cid = run_container(p, ["sleep", "3600"], openStdin=True)
    data = os.urandom(8 << 20)
    off = gw.log_size()
    peer = gw.peer()
    peer.read_pause = 0.012
    t0 = time.monotonic()
    with CpuHogs(3):
        out, err, end, s = rawpeer.run(peer, "docker/container/exec",
                                       {"containerId": cid, "cmd": ["cat"], "stdin": True},
                                       data, timeout=120)
    took = time.monotonic() - t0
    s.close()
    assert end == {"type": "exit", "exitCode": 0}, (end, err)
    assert len(out) == len(data), (len(out), len(data))
    assert hashlib.sha256(out).hexdigest() == hashlib.sha256(data).hexdigest()
    m = gw.wait_log(r"call \d+ by alpha ended: (\w+), (\d+) bytes in, (\d+) bytes out", off)
    assert m.group(1) == "OK", m.group(0)
    assert int(m.group(3)) == peer.bytes_read, (m.group(0), peer.bytes_read)
    print("8 MiB through cat to a slow reader on a busy machine: %.1fs, %d bytes audited"
          % (took, peer.bytes_read))


def test_raw_wc_sees_end_of_input(gw, box):
    data = b"one\ntwo\nthree" * 1000
    out, err, end, s = rawpeer.run(gw.peer(), "docker/container/exec",
                                   {"containerId": box, "cmd": ["wc", "-c"], "stdin": True}, data)
    s.close()
    assert end == {"type": "exit", "exitCode": 0}
    assert out.strip() == str(len(data)).encode()


def test_raw_output_not_line_buffered(gw, box):
    s = raw_exec(gw, box, ["sh", "-c", "printf 'partial'; sleep 30"], stdin=False)
    try:
        t0 = time.monotonic()
        assert s.read_until(lambda b: b == b"partial", timeout=10) == b"partial"
        assert time.monotonic() - t0 < 5
    finally:
        s.close()


def test_raw_stdout_stderr_and_binary(gw, box):
    script = r"printf '\000\001\377'; printf 'e\377' >&2; exit 9"
    out, err, end, s = rawpeer.run(gw.peer(), "docker/container/exec",
                                   {"containerId": box, "cmd": ["sh", "-c", script]})
    s.close()
    assert (out, err, end) == (b"\x00\x01\xff", b"e\xff", {"type": "exit", "exitCode": 9})


def test_raw_tty_resize_and_stty_size(gw, box):
    s = raw_exec(gw, box, ["sh"], tty=True)
    try:
        assert s.output == {"carriage": "raw", "tty": True}
        s.resize(37, 101)
        assert b"37 101" in s.stty_shows(37, 101)
        s.resize(12, 34)
        assert b"12 34" in s.stty_shows(12, 34)
        s.stdin(b"exit 5\n")
        out, err, end = s.finish()
        assert err == b""
        assert end == {"type": "exit", "exitCode": 5}
    finally:
        s.close()


def test_raw_tty_bytes_unchanged(gw, box):
    """Escape sequences and ctrl-p ctrl-q (Docker's default detach keys) pass through."""
    cmd = ["sh", "-c", "stty raw -echo; echo READY; head -c 12 | od -An -tx1; exit 0"]
    s = raw_exec(gw, box, cmd, tty=True)
    try:
        # Bytes typed before stty ran would be cooked by the line discipline.
        s.read_until(lambda b: b"READY" in b)
        s.stdin(b"\x10\x11\x1b[A\x03\x04\x00\xffab\x10\x11")
        out, err, end = s.finish()
        assert end == {"type": "exit", "exitCode": 0}
        hexes = out.decode().split()
        assert hexes == ["10", "11", "1b", "5b", "41", "03", "04", "00", "ff", "61", "62", "10",
                         "11"][:12], out
    finally:
        s.close()


def test_raw_chunks_before_the_answer(gw, box):
    """A peer may send its chunks right behind call.requested: they wait, in order."""
    p = gw.peer()
    try:
        p.request("docker/container/exec", {"containerId": box, "cmd": ["cat"], "stdin": True},
                  carriage="raw")
        p.send_bytes(chunk(0, b"early ") + chunk(0, b"bytes") + chunk(0))
        f = p.recv()
        assert f["type"] == "call.responded", f
        s = RawSession.__new__(RawSession)
        s.peer, s.sock, s.timeout, s._buf, s.end, s.eof = p, p.sock, 30, p._buf, None, False
        s.stderr = b""
        out, err, end = s.finish()
        assert (out, end) == (b"early bytes", {"type": "exit", "exitCode": 0})
    finally:
        p.close()


@pytest.mark.parametrize("bad,why", [
    (chunk(CONTROL, b'{"type":"resize","rows":0,"cols":80}'), "rows 0"),
    (chunk(CONTROL, b'{"type":"resize","rows":24,"cols":80,"x":1}'), "extra field"),
    (chunk(CONTROL, b'{"type":"dance"}'), "unknown control"),
    (chunk(CONTROL, b'{"type":"abort","type":"abort"}'), "duplicate key"),
    (chunk(CONTROL, b'[1]'), "not an object"),
    (chunk(CONTROL, b'\xff'), "not JSON"),
    (chunk(CONTROL, b" " * 5000), "control too long"),
    (chunk(STDOUT, b"x"), "stdout from the peer"),
    (bytes([7, 0, 0, 0, 1, 0]), "unknown chunk type"),
    (bytes([0, 0, 0x10, 0, 1]), "chunk over 1 MiB"),
    (chunk(0) + chunk(0, b"late"), "stdin after its end"),
])
def test_raw_protocol_errors(gw, box, engine, bad, why):
    tag = unique("pe")
    s = raw_exec(gw, box, ["sh", "-c", "exec sleep 999 # " + tag])
    try:
        s.send_raw(bad)
        out, err, end = s.finish(timeout=10)
        assert end["type"] == "error" and end["code"] == "PROTOCOL_ERROR", (why, end)
    finally:
        s.close()
    # the session's process does not outlive it
    wait_for(lambda: not [x for x in processes(engine, box) if x == "sleep 999"],
             timeout=10, what="the exec's process to go (%s)" % why)


def test_raw_abort(gw, box, engine):
    s = raw_exec(gw, box, ["sh", "-c", "echo ready; exec sleep 998"])
    try:
        s.read_until(lambda b: b == b"ready\n")
        s.control({"type": "abort"})
        out, err, end = s.finish(timeout=10)
        assert end["type"] == "error" and end["code"] == "ABORTED", end
    finally:
        s.close()
    wait_for(lambda: not [x for x in processes(engine, box) if x == "sleep 998"],
             timeout=10, what="the aborted exec's process to go")


def test_raw_disconnect_releases_everything(gw, box, engine):
    off = gw.log_size()
    s = raw_exec(gw, box, ["sh", "-c", "echo ready; exec sleep 997"])
    pid = gw.serving_worker(off)
    s.read_until(lambda b: b == b"ready\n")
    # "ready" comes before the shell has exec'd sleep: wait for the sleep itself.
    wait_for(lambda: "sleep 997" in processes(engine, box), timeout=10,
             what="the exec's sleep to run")
    s.close()  # mid-session, without a word
    wait_for(lambda: proc_gone(pid),
             timeout=10, what="the worker to exit")
    wait_for(lambda: not [x for x in processes(engine, box) if x == "sleep 997"],
             timeout=10, what="the exec's process to go")
    gw.wait_log(r"killed pid \d+, its peer left", off)


def test_raw_slow_peer_bounded_memory(gw, box):
    """200 MB of output to a peer that reads slowly: the worker stays small."""
    total = 200 * 1000 * 1000
    bound_kib = 48 * 1024  # 4 MiB queued each way, 64 KiB reads, libraries and heap
    off = gw.log_size()
    s = raw_exec(gw, box, ["head", "-c", str(total), "/dev/zero"], stdin=False)
    pid = gw.serving_worker(off)
    peak, got, last, t0 = 0, 0, 0, time.monotonic()
    try:
        # first the peer stops reading altogether, until the worker is held
        # up: the bytes queued to the peer and the worker's memory stand still
        # (one reading on without bound would not settle within 200 MB)...
        while got < 2 << 20:
            c = s.recv(timeout=30)
            assert c is not None and c[0] == STDOUT, c
            got += len(c[1])

        def queued_and_rss():
            q, r = unread_bytes(s.sock), rss_kib(pid)
            return (q, r) if q > 0 and r else None

        peak = wait_steady(queued_and_rss, timeout=60,
                           near=lambda a, b: a[0] == b[0] and abs(a[1] - b[1]) < 256,
                           what="the worker to be held up by the peer")[1]
        # ...then reads slowly, with a pause every 4 MiB
        while True:
            c = s.recv(timeout=60)
            if c is None:
                break
            if c[0] == STDOUT:
                got += len(c[1])
                if got - last >= 4 << 20:
                    last = got
                    peak = max(peak, rss_kib(pid) or 0)
                    time.sleep(0.02)
        assert s.end == {"type": "exit", "exitCode": 0}, s.end
        assert got == total
    finally:
        s.close()
    print("200 MB to a slow peer: %.1fs, worker peak VmRSS %d KiB (bound %d KiB)"
          % (time.monotonic() - t0, peak, bound_kib))
    assert 0 < peak < bound_kib


def test_raw_slow_container_bounded_memory(gw, box):
    """The process does not read its stdin for a while: the peer is stopped, not buffered."""
    off = gw.log_size()
    go = "/tmp/" + unique("go")
    s = raw_exec(gw, box, ["sh", "-c", "until [ -e %s ]; do sleep 0.1; done; "
                                       "cat >/dev/null; echo done" % go])
    pid = gw.serving_worker(off)
    sent = [0]
    total = 96 << 20
    block = os.urandom(1 << 20)

    def feed():
        try:
            while sent[0] < total:
                s.stdin(block)
                sent[0] += len(block)
            s.close_stdin()
        except OSError:
            pass

    t = threading.Thread(target=feed, daemon=True)
    t.start()
    try:
        # the peer's writes stop, well short of the 96 MiB it has to send
        stalled_at = wait_steady(lambda: sent[0], step=1.0, what="the peer's writes to stop")
        rss = rss_kib(pid)
        assert stalled_at < 40 << 20, "the peer was read without bound: %d bytes" % stalled_at
        assert rss is not None and rss < 48 * 1024, rss
        exec_json(gw, box, ["touch", go])  # now the process reads its stdin
        out, err, end = s.finish(timeout=60)
        t.join(30)
        assert (out, end) == (b"done\n", {"type": "exit", "exitCode": 0})
        assert sent[0] == total
    finally:
        s.close()
    print("slow container: the peer stalled after %d MiB, worker VmRSS %d KiB"
          % (stalled_at >> 20, rss))


# -- the CLI under a terminal --------------------------------------------------

@needs_tmux
def test_cli_exec_it_under_tmux(gw, box):
    cli = binary("dockgate")
    cmd = ("before=$(stty -g); %s --socket %s exec -it %s sh; echo CLI-EXIT=$?; "
           "[ \"$(stty -g)\" = \"$before\" ] && echo TTY-RESTORED; sleep 30"
           % (cli, gw.socket, box))
    with TmuxTerm(cmd, 90, 30) as t:
        t.resize_round(6)  # the window's size reaches the container's terminal
        t.wait_screen("TTY-RESTORED", timeout=5, what="the terminal restored")


@needs_tmux
def test_cli_run_it_rm_under_tmux(gw, engine):
    name = unique("runit")
    cmd = ("%s --socket %s run -it --rm --name %s dgtest:latest sh; echo CLI-EXIT=$?; sleep 30"
           % (binary("dockgate"), gw.socket, name))
    with TmuxTerm(cmd, 80, 24) as t:
        t.wait_prompt()
        real = engine.inspect("alpha." + name) or engine.inspect(name)  # names are per peer
        assert real["Config"]["Tty"] is True
        t.keys("echo $((6*7)); stty size", "Enter")
        t.wait_screen(r"^42\s*$", r"^24 80\s*$", what="42 and the size")
        t.keys("exit 3", "Enter")
        t.wait_screen("CLI-EXIT=3", timeout=15, what="the exit code")
        wait_for(lambda: engine.inspect(real["Id"]) is None, timeout=10, what="--rm")


def test_cli_exec_pipes(gw, box):
    cli = [binary("dockgate"), "--socket", gw.socket]
    data = os.urandom(3 << 20)
    r = subprocess.run(cli + ["exec", "-i", box, "cat"], input=data, capture_output=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert hashlib.sha256(r.stdout).digest() == hashlib.sha256(data).digest()
    r = subprocess.run(cli + ["exec", box, "sh", "-c", "echo o; echo e >&2; exit 5"],
                       capture_output=True, timeout=60)
    assert (r.returncode, r.stdout, r.stderr) == (5, b"o\n", b"e\n")
    r = subprocess.run(cli + ["exec", "-t", box, "true"], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=60)
    assert r.returncode == 2 and b"not a terminal" in r.stderr
    r = subprocess.run(cli + ["exec", "f" * 64, "true"], capture_output=True, timeout=60)
    assert r.returncode == 1 and b"NOT_FOUND" in r.stderr
