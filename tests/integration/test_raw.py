"""Raw carriage: docker/container/attach and archive get/put, against the real engine.

Also the engine facts the design rests on for these streams (DESIGN.md
invariant 2): a chunked PUT carrying "Connection: close" is the only request
the engine reads on its connection.
"""

import io
import json
import os
import socket
import stat
import tarfile
import time

import pytest

import rawpeer
from conftest import PODMAN, create_container, proc_gone, run_container, unique, wait_for
from peer import CallError
from rawpeer import STDOUT, RawSession

@pytest.fixture(scope="module")
def gw(shared_gateway):
    return shared_gateway


@pytest.fixture(scope="module")
def box(gw):
    # Under /tmp: Podman gives a container's / mode 0555, which root without
    # CAP_DAC_OVERRIDE cannot write to (docs/engines.md).
    p = gw.peer()
    cid = run_container(p, ["sleep", "3600"])
    p.call("docker/container/exec", {"containerId": cid, "cmd": ["mkdir", "-p", "/tmp/dst"]})
    p.close()
    return cid


def call(gw, op, inp):
    with gw.peer() as p:
        return p.call(op, inp)


# -- attach ------------------------------------------------------------------

def attach(gw, cid, **kw):
    inp = {"containerId": cid}
    inp.update(kw)
    return RawSession(gw.peer(), "docker/container/attach", inp)


def test_attach_interactive_then_exit_code(gw):
    with gw.peer() as p:
        cid = create_container(p, ["sh"], openStdin=True)
    s = attach(gw, cid, stdin=True)
    try:
        assert s.output == {"carriage": "raw", "tty": False}
        call(gw, "docker/container/start", {"containerId": cid})
        s.stdin(b"echo attached\n")
        assert s.read_until(lambda b: b.endswith(b"attached\n")) == b"attached\n"
        s.stdin(b"echo to-err >&2; exit 4\n")
        out, err, end = s.finish()
        assert err == b"to-err\n"
        assert end == {"type": "exit", "exitCode": 4}
    finally:
        s.close()


def test_attach_tty_resize(gw):
    with gw.peer() as p:
        cid = create_container(p, ["sh"], openStdin=True, tty=True)
    s = attach(gw, cid, stdin=True)
    try:
        assert s.output == {"carriage": "raw", "tty": True}
        call(gw, "docker/container/start", {"containerId": cid})
        s.resize(41, 99)
        assert b"41 99" in s.stty_shows(41, 99)
        s.stdin(b"exit 0\n")
        out, err, end = s.finish()
        assert end == {"type": "exit", "exitCode": 0}
    finally:
        s.close()


def test_attach_logs_and_output_only(gw, engine):
    with gw.peer() as p:
        go = "/tmp/" + unique("go")
        cid = run_container(p, ["sh", "-c", "echo early; until [ -e %s ]; do sleep 0.1; done; "
                                            "echo late; exit 12" % go])
    # "early" is in the container's log before the attach, "late" comes after it
    wait_for(lambda: b"early" in engine.ok("GET", "/containers/%s/logs?stdout=1" % cid),
             timeout=20, what="the container's first line")
    s = attach(gw, cid, logs=True)
    try:
        call(gw, "docker/container/exec", {"containerId": cid, "cmd": ["touch", go]})
        out, err, end = s.finish(timeout=20)
        assert out == b"early\nlate\n"
        assert end == {"type": "exit", "exitCode": 12}
    finally:
        s.close()


def test_attach_refusals(gw, engine, direct):
    with gw.peer() as p:
        cid = create_container(p, ["sh"])  # no openStdin
        e = pytest.raises(CallError, attach, gw, cid, stdin=True).value
        assert e.code == "CONFLICT"
        other = direct.create(cmd=["sleep", "60"])
        e = pytest.raises(CallError, attach, gw, other).value
        assert e.code == "NOT_FOUND"
        # raw carriage only
        e = p.error("docker/container/attach", {"containerId": cid})
        assert e.code == "INVALID_INPUT"


def test_attach_disconnect_leaves_container(gw, engine):
    with gw.peer() as p:
        cid = run_container(p, ["sh"], openStdin=True)
    off = gw.log_size()
    s = attach(gw, cid, stdin=True)
    pid = gw.serving_worker(off)
    s.stdin(b"echo hi\n")
    s.read_until(lambda b: b == b"hi\n")
    s.close()
    wait_for(lambda: proc_gone(pid),
             timeout=10, what="the worker to exit")
    # an attach is a view: the container goes on, and a new attach works
    assert engine.inspect(cid)["State"]["Running"]
    s = attach(gw, cid, stdin=True)
    try:
        s.stdin(b"echo again\n")
        assert s.read_until(lambda b: b == b"again\n") == b"again\n"
    finally:
        s.close()


# -- archives ----------------------------------------------------------------

def tar_of(entries, fmt=tarfile.PAX_FORMAT):
    """entries: (TarInfo fields dict, data or None)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for fields, data in entries:
            ti = tarfile.TarInfo(fields.pop("name"))
            for k, v in fields.items():
                setattr(ti, k, v)
            if data is not None:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            else:
                t.addfile(ti)
    return buf.getvalue()


def put(gw, cid, path, data, step=65536):
    out, err, end, s = rawpeer.run(gw.peer(), "docker/container/archive/put",
                                   {"containerId": cid, "path": path}, data)
    s.close()
    assert out == b"" and err == b"", (out, err)
    return end


def get(gw, cid, path):
    out, err, end, s = rawpeer.run(gw.peer(), "docker/container/archive/get",
                                   {"containerId": cid, "path": path})
    s.close()
    assert s.output == {"carriage": "raw"}
    assert end == {"type": "exit", "exitCode": 0}, end
    return out


def members(data):
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        for m in t.getmembers():
            f = t.extractfile(m) if m.isfile() else None
            out[m.name] = (m.type, stat.S_IMODE(m.mode), m.linkname, f.read() if f else None)
    return out


def test_copy_file_in_and_out(gw, box):
    data = os.urandom(300000) + b"\x00end"
    name = unique("file") + ".bin"
    arc = tar_of([({"name": name, "mode": 0o640}, data)])
    assert put(gw, box, "/tmp/dst", arc) == {"type": "exit", "exitCode": 0}
    back = members(get(gw, box, "/tmp/dst/" + name))
    assert back == {name: (tarfile.REGTYPE, 0o640, "", data)}


def test_copy_tree_in_and_out(gw, box):
    top = unique("tree")
    files = {
        top: (tarfile.DIRTYPE, 0o755, "", None),
        top + "/a.txt": (tarfile.REGTYPE, 0o644, "", b"alpha\n"),
        top + "/sub": (tarfile.DIRTYPE, 0o700, "", None),
        top + "/sub/b.bin": (tarfile.REGTYPE, 0o600, "", os.urandom(70000)),
        top + "/sub/empty": (tarfile.REGTYPE, 0o644, "", b""),
        top + "/sub/link": (tarfile.SYMTYPE, 0o777, "../a.txt", None),
        top + "/" + "deep/" * 30 + "f": (tarfile.REGTYPE, 0o644, "", b"deep"),
    }
    entries = []
    for name, (typ, mode, link, data) in files.items():
        if "/deep/" in name:
            for i in range(1, 31):
                d = top + "/" + "deep/" * i
                entries.append(({"name": d.rstrip("/"), "type": tarfile.DIRTYPE,
                                 "mode": 0o755}, None))
        entries.append(({"name": name, "type": typ, "mode": mode, "linkname": link}, data))
    arc = tar_of(entries)
    assert put(gw, box, "/tmp/dst", arc) == {"type": "exit", "exitCode": 0}
    back = members(get(gw, box, "/tmp/dst/" + top))
    for name, want in files.items():
        assert back.get(name) == want, name


def test_copy_gnu_format(gw, box):
    name = unique("gnu") + "-" + "n" * 150  # long: GNU long-name entries
    arc = tar_of([({"name": name}, b"gnu data")], fmt=tarfile.GNU_FORMAT)
    assert put(gw, box, "/tmp/dst", arc) == {"type": "exit", "exitCode": 0}
    assert members(get(gw, box, "/tmp/dst/" + name))[name][3] == b"gnu data"


def test_archive_errors(gw, box):
    with gw.peer() as p:
        e = pytest.raises(CallError, RawSession, p, "docker/container/archive/get",
                          {"containerId": box, "path": "/no/such/path"}).value
        assert e.code == "NOT_FOUND"
    if PODMAN:
        # Its put would make the missing path: the gate asks the engine's stat
        # first and refuses the call itself, as get does (docs/engines.md).
        e = pytest.raises(CallError, put, gw, box, "/no/such/dir",
                          tar_of([({"name": "x"}, b"x")])).value
        assert e.code == "NOT_FOUND", e
    else:
        end = put(gw, box, "/no/such/dir", tar_of([({"name": "x"}, b"x")]))
        assert end["type"] == "error" and end["code"] == "NOT_FOUND", end
    assert not _exists(gw, box, "/no/such")
    # a truncated archive
    arc = tar_of([({"name": unique("trunc")}, b"y" * 5000)])
    end = put(gw, box, "/tmp/dst", arc[:1024])
    assert end["type"] == "error" and end["code"] == "INVALID_INPUT", end


def _exists(gw, cid, path):
    with gw.peer() as p:
        try:
            RawSession(p, "docker/container/archive/get", {"containerId": cid, "path": path})
            return True
        except CallError as e:
            assert e.code == "NOT_FOUND"
            return False


def _gz(data):
    import gzip
    return gzip.compress(data)


def _forbidden_cases(tag):
    x = tag
    return {
        "absolute path": [({"name": "/tmp/" + x}, b"abs")],
        "dot-dot": [({"name": "../" + x}, b"up")],
        "dot-dot inside": [({"name": "a/../../" + x}, b"up")],
        "char device": [({"name": x, "type": tarfile.CHRTYPE, "devmajor": 1, "devminor": 3},
                         None)],
        "block device": [({"name": x, "type": tarfile.BLKTYPE, "devmajor": 8, "devminor": 0},
                          None)],
        "fifo": [({"name": x, "type": tarfile.FIFOTYPE}, None)],
        "setuid": [({"name": x, "mode": 0o4755}, b"#!/bin/sh\nid\n")],
        "setgid": [({"name": x, "mode": 0o2755}, b"g")],
        "absolute symlink": [({"name": x, "type": tarfile.SYMTYPE, "linkname": "/etc"}, None)],
        "escaping symlink": [({"name": x, "type": tarfile.SYMTYPE, "linkname": "../../.."},
                              None)],
        "escaping hardlink": [({"name": x, "type": tarfile.LNKTYPE, "linkname": "../etc/passwd"},
                               None)],
        "absolute hardlink": [({"name": x, "type": tarfile.LNKTYPE, "linkname": "/etc/passwd"},
                               None)],
        "through a symlink": [({"name": x + "-l", "type": tarfile.SYMTYPE, "linkname": "."},
                               None), ({"name": x + "-l/" + x}, b"via")],
        "file capability": [({"name": x, "pax_headers": {
            "SCHILY.xattr.security.capability": "\x01\x00\x00\x02"}}, b"cap")],
    }


@pytest.mark.parametrize("case", sorted(_forbidden_cases("t")))
def test_put_refuses_forbidden_entries(gw, box, case):
    tag = unique("bad")
    entries = [({"name": tag + "-ok"}, b"fine")] + _forbidden_cases(tag)[case] + [
        ({"name": tag + "-after"}, b"never")]
    end = put(gw, box, "/tmp/dst", tar_of(entries))
    assert end["type"] == "error" and end["code"] == "FORBIDDEN", (case, end)
    assert not _exists(gw, box, "/tmp/dst/" + tag + "-after"), case
    # the offending entry never reached the engine, wherever it pointed
    for where in ("/tmp/dst/", "/tmp/", "/"):
        assert not _exists(gw, box, where + tag), (case, where)


def test_put_refuses_compressed(gw, box):
    tag = unique("gz")
    end = put(gw, box, "/tmp/dst", _gz(tar_of([({"name": tag}, b"zipped")])))
    assert end["type"] == "error" and end["code"] == "FORBIDDEN", end
    assert not _exists(gw, box, "/tmp/dst/" + tag)


def test_put_disconnect_mid_body(gw, box):
    off = gw.log_size()
    s = RawSession(gw.peer(), "docker/container/archive/put",
                   {"containerId": box, "path": "/tmp/dst"})
    pid = gw.serving_worker(off)
    s.stdin(tar_of([({"name": unique("half")}, b"z" * 100000)])[:50000])
    s.close()
    wait_for(lambda: proc_gone(pid),
             timeout=10, what="the worker to exit")


def test_archive_other_peer(gw, box):
    with gw.peer(uid=1001) as q:
        for op in ("docker/container/archive/get", "docker/container/archive/put"):
            e = pytest.raises(CallError, RawSession, q, op, {"containerId": box, "path": "/"})
            assert e.value.code == "NOT_FOUND"
            q.close()
            q = gw.peer(uid=1001)


# -- engine facts --------------------------------------------------------------

def test_engine_fact_chunked_put_reads_one_request(engine, direct):
    """Invariant 2 for archive/put: the worker writes the chunked body; were it to end
    the body and write a second request, the engine must not read it."""
    cid = direct.create(cmd=["sleep", "60"])
    name = unique("pipelined")
    arc = tar_of([({"name": "f"}, b"x")])
    create = json.dumps({"Image": "dgtest:latest", "Cmd": ["true"]}).encode()
    s = socket.socket(socket.AF_UNIX)
    s.connect(engine.path)
    s.sendall(b"PUT /v1.41/containers/%s/archive?path=/tmp HTTP/1.1\r\nHost: docker\r\n"
              b"Connection: close\r\nContent-Type: application/x-tar\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n" % cid.encode())
    s.sendall(b"%x\r\n" % len(arc) + arc + b"\r\n0\r\n\r\n")
    s.sendall(b"POST /v1.41/containers/create?name=%s HTTP/1.1\r\nHost: docker\r\n"
              b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
              % (name.encode(), len(create)) + create)
    s.settimeout(20)
    answer = b""
    reset = False
    while True:
        try:
            d = s.recv(65536)
        except ConnectionResetError:
            # The engine closed with the pipelined request unread, so the
            # kernel answered with RST, which may discard its answer too.
            reset = True
            break
        if not d:
            break
        answer += d
    s.close()
    if not reset or answer:
        assert answer.startswith(b"HTTP/1.1 200"), answer[:100]
    assert answer.count(b"HTTP/1.1") <= 1
    # A window, not a wait: proving the create never happens (as test_security's twin).
    time.sleep(0.5)
    assert engine.inspect(name) is None, "the pipelined request was executed"


# -- the CLI's cp --------------------------------------------------------------

def test_cli_cp_both_ways(gw, box, tmp_path):
    import filecmp
    import subprocess
    from conftest import binary

    def cp(*args):
        r = subprocess.run([binary("dockgate"), "--socket", gw.socket, "cp"] + list(args),
                           capture_output=True, timeout=60)
        return r.returncode, r.stderr.decode()

    src = tmp_path / "src"
    (src / "tree" / "sub").mkdir(parents=True)
    (src / "file.txt").write_bytes(b"hello\n")
    (src / "tree" / "sub" / "b.bin").write_bytes(os.urandom(70000))
    os.chmod(src / "tree" / "sub" / "b.bin", 0o600)
    os.symlink("../file.txt", src / "tree" / "lnk")
    top = "/tmp/dst/" + unique("cli")
    with gw.peer() as p:
        p.call("docker/container/exec", {"containerId": box, "cmd": ["mkdir", top]})
    assert cp(str(src / "file.txt"), box + ":" + top) == (0, "")
    assert cp(str(src / "tree"), box + ":" + top) == (0, "")
    assert cp(str(src / "file.txt"), box + ":" + top + "/renamed.txt") == (0, "")
    assert cp(str(src / "tree"), box + ":" + top + "/tree2") == (0, "")
    out = tmp_path / "out"
    out.mkdir()
    assert cp(box + ":" + top + "/tree", str(out)) == (0, "")
    assert cp(box + ":" + top + "/renamed.txt", str(out / "back.txt")) == (0, "")
    assert cp(box + ":" + top + "/tree2", str(out / "tree3")) == (0, "")
    assert (out / "back.txt").read_bytes() == b"hello\n"
    for t in ("tree", "tree3"):
        assert (out / t / "sub" / "b.bin").read_bytes() == (src / "tree/sub/b.bin").read_bytes()
        assert stat.S_IMODE(os.stat(out / t / "sub" / "b.bin").st_mode) == 0o600
        assert os.readlink(out / t / "lnk") == "../file.txt"
    rc, err = cp(box + ":/no/such", str(out))
    assert rc == 1 and "NOT_FOUND" in err
    assert sorted(os.listdir(out)) == ["back.txt", "tree", "tree3"]  # nothing left behind
    rc, err = cp(str(src), str(out))
    assert rc == 2
