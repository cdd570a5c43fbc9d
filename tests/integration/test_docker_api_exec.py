"""Exec (and stats) through the Docker-API front, and the exec-by-ID operations behind it
(docker/container/exec/create, docker/exec/start, docker/exec/inspect,
docker/exec/resize), against the real engine.

The Debian docker CLI (/usr/bin/docker) as two tenant uids, docker-py's
exec_run, raw HTTP for another tenant's exec IDs, and the native front's
calls of the same operations.
"""

import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile

import pytest

from conftest import ALPHA_UID, BETA_UID, _run_docker_front, run_container, unique, wait_for
from rawpeer import RawSession
from test_docker_api import IMAGE
from test_docker_api import docker as cli
from tmuxterm import TmuxTerm, needs_tmux

NO_EXEC = b"No such exec instance"


@pytest.fixture(scope="module")
def xfront(request, engine, engine_sock):
    """One gateway with a Docker-API socket for the module."""
    yield from _run_docker_front(request, engine, engine_sock, "dgdx")


@pytest.fixture(scope="module")
def box(xfront):
    """alpha's running container, stdin open, that the module's execs run in."""
    with xfront.peer() as p:
        return run_container(p, ["sleep", "3600"], openStdin=True)


def http(gw, uid, method, path, body=None):
    """One request as uid (a child process holds the connection): (status, body)."""
    req = {"method": method, "path": path, "body": body, "sock": gw.docker_socket}
    code = (
        "import json, socket, sys\n"
        "q = json.loads(sys.argv[1])\n"
        "s = socket.socket(socket.AF_UNIX); s.connect(q['sock'])\n"
        "b = b'' if q['body'] is None else json.dumps(q['body']).encode()\n"
        "s.sendall(('%s %s HTTP/1.1\\r\\nHost: d\\r\\nConnection: close\\r\\n"
        "Content-Type: application/json\\r\\nContent-Length: %d\\r\\n\\r\\n'"
        " % (q['method'], q['path'], len(b))).encode() + b)\n"
        "out = b''\n"
        "while True:\n"
        "    c = s.recv(65536)\n"
        "    if not c: break\n"
        "    out += c\n"
        "sys.stdout.buffer.write(out)\n")
    r = subprocess.run(["python3", "-c", code, json.dumps(req)], user=uid, capture_output=True,
                       timeout=30, check=True)
    head, _, rest = r.stdout.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), rest


def test_cli_exec_output_streams_and_exit_code(xfront, box):
    r = cli(xfront, ALPHA_UID, "exec", box, "sh", "-c", "echo out; echo err >&2; exit 5",
            check=5)
    assert r.stdout == b"out\n" and r.stderr == b"err\n"
    cli(xfront, ALPHA_UID, "exec", box, "true", check=0)


def test_cli_exec_tty_is_raw_and_keeps_the_code(xfront, box):
    r = cli(xfront, ALPHA_UID, "exec", "-t", box, "sh", "-c", "tty; echo err >&2; exit 3",
            check=3)
    # A TTY carries one stream: stderr arrives on it, with the terminal's CRLF.
    assert r.stdout.startswith(b"/dev/pts/"), r.stdout
    assert b"err\r\n" in r.stdout and r.stderr == b""


def test_cli_exec_stdin_binary_and_half_close(xfront, box):
    data = os.urandom(1 << 20)
    r = cli(xfront, ALPHA_UID, "exec", "-i", box, "sha256sum", input=data, check=0)
    assert r.stdout.split()[0].decode() == hashlib.sha256(data).hexdigest()


@needs_tmux
def test_cli_exec_it_under_tmux_with_resize(xfront, box):
    home = tempfile.mkdtemp(prefix="dgcli", dir="/tmp")
    cmd = ("HOME=%s DOCKER_HOST=unix://%s /usr/bin/docker exec -it %s sh; echo CLI-EXIT=$?; "
           "sleep 30" % (home, xfront.docker_socket, box))
    try:
        with TmuxTerm(cmd, 90, 30, prefix="dgxtmux") as t:
            # POST /exec/{id}/resize: the container's terminal follows the window
            t.resize_round(6)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_cli_exec_detached_runs_on(xfront, box):
    flag = "/tmp/" + unique("flag")
    cli(xfront, ALPHA_UID, "exec", "-d", box, "sh", "-c", "echo done > " + flag, check=0)
    wait_for(lambda: cli(xfront, ALPHA_UID, "exec", box, "cat", flag).stdout == b"done\n",
             what="the detached exec's file")


def test_cli_privileged_exec_is_refused(xfront, box):
    r = cli(xfront, ALPHA_UID, "exec", "--privileged", box, "true")
    assert r.returncode != 0 and b"privileged exec is not allowed" in r.stderr, r.stderr


def test_other_tenant_cannot_exec_or_see_an_exec(xfront, box, engine):
    r = cli(xfront, BETA_UID, "exec", box, "true")
    assert r.returncode != 0 and b"No such container" in r.stderr, r.stderr
    st, body = http(xfront, ALPHA_UID, "POST", "/v1.41/containers/%s/exec" % box,
                    {"Cmd": ["true"], "AttachStdout": True, "AttachStderr": True})
    assert st == 201, body
    eid = json.loads(body)["Id"]
    # beta: exactly as an ID that never existed
    for method, path, b in (("GET", "/exec/%s/json", None),
                            ("POST", "/exec/%s/start", {"Detach": True}),
                            ("POST", "/exec/%s/resize?h=10&w=10", None)):
        st, body = http(xfront, BETA_UID, method, path % eid, b)
        st0, body0 = http(xfront, BETA_UID, method, path % ("0" * 64), b)
        assert (st, st0) == (404, 404), (body, body0)
        assert NO_EXEC in body and body.replace(eid.encode(), b"0" * 64) == body0
    # alpha's own: untouched by beta's tries
    st, body = http(xfront, ALPHA_UID, "GET", "/exec/%s/json" % eid)
    assert st == 200 and json.loads(body)["Running"] is False, body
    assert json.loads(body)["ContainerID"] == box
    # and the engine's own record of it: built by the gateway, never privileged
    real = engine.ok("GET", "/exec/%s/json" % eid)
    assert real["ProcessConfig"]["privileged"] is False and real["ContainerID"] == box


def test_exec_create_body_is_checked(xfront, box):
    for body, status, words in (({"Cmd": ["true"], "Privileged": True}, 403, b"privileged"),
                                ({"Cmd": ["true"], "DetachKeys": "ctrl-x"}, 403, b"detach keys"),
                                ({"Cmd": ["true"], "Bogus": 1}, 400, b"Bogus"),
                                ({"Cmd": []}, 400, b"cmd"),
                                ({}, 400, b"No exec command")):
        st, out = http(xfront, ALPHA_UID, "POST", "/containers/%s/exec" % box, body)
        assert st == status and words in out, (body, st, out)


def test_docker_py_exec_run(xfront, box):
    docker = pytest.importorskip("docker")
    client = docker.DockerClient(base_url="unix://" + xfront.docker_socket, version="1.41")
    try:
        c = client.containers.get(box)
        code, out = c.exec_run(["sh", "-c", "echo py; exit 4"])
        assert (code, out) == (4, b"py\n")
        code, (out, err) = c.exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True)
        assert (code, out, err) == (0, b"o\n", b"e\n")
        code, out = c.exec_run(["tty"], tty=True)
        assert code == 0 and out.startswith(b"/dev/pts/"), out
    finally:
        client.close()


# -- the native front: the same operations --------------------------------

def test_native_exec_by_id_start_inspect_resize(xfront, box):
    with xfront.peer() as p:
        eid = p.call("docker/container/exec/create",
                     {"containerId": box, "cmd": ["sh", "-c", "read l; echo got $l; exit 6"],
                      "stdin": True, "tty": False})["execId"]
        assert len(eid) == 64
        ins = p.call("docker/exec/inspect", {"execId": eid})
        assert ins["Running"] is False and ins["ContainerID"] == box
        # stdin needs raw carriage
        assert p.error("docker/exec/start", {"execId": eid}).code == "INVALID_INPUT"
    s = RawSession(xfront.peer(), "docker/exec/start", {"execId": eid})
    s.stdin(b"hello\n")
    out, err, end = s.finish(timeout=30)
    s.close()
    assert out == b"got hello\n" and end == {"type": "exit", "exitCode": 6}, (out, err, end)
    with xfront.peer() as p:
        assert p.call("docker/exec/inspect", {"execId": eid})["ExitCode"] == 6
        # an exec starts once
        assert p.error("docker/exec/start", {"execId": eid, "detach": True}).code == "CONFLICT"
        tid = p.call("docker/container/exec/create",
                     {"containerId": box, "cmd": ["sleep", "30"], "tty": True})["execId"]
        assert p.call("docker/exec/start", {"execId": tid, "detach": True}) == {}
        wait_for(lambda: p.call("docker/exec/inspect", {"execId": tid})["Running"],
                 what="the detached exec to run")
        assert p.call("docker/exec/resize", {"execId": tid, "rows": 30, "cols": 100}) == {}
    with xfront.peer(uid=BETA_UID) as q:
        for op, inp in (("docker/exec/inspect", {"execId": tid}),
                        ("docker/exec/resize", {"execId": tid, "rows": 3, "cols": 3}),
                        ("docker/exec/start", {"execId": eid, "detach": True})):
            assert q.error(op, inp).code == "NOT_FOUND"
        assert q.error("docker/container/exec/create",
                       {"containerId": box, "cmd": ["true"]}).code == "NOT_FOUND"


def test_exec_ids_go_with_their_container_and_the_table_is_bounded(xfront):
    with xfront.peer() as p:
        cid = run_container(p, ["sleep", "3600"])
        ids = [p.call("docker/container/exec/create", {"containerId": cid, "cmd": ["true"]})
               ["execId"] for _ in range(65)]
        # 64 per peer: the 65th replaced the one idle longest
        assert p.error("docker/exec/inspect", {"execId": ids[0]}).code == "NOT_FOUND"
        assert p.call("docker/exec/inspect", {"execId": ids[-1]})["ContainerID"] == cid
        assert p.call("docker/container/remove", {"containerId": cid, "force": True}) == {}
        e = p.error("docker/exec/inspect", {"execId": ids[-1]})
        assert e.code == "NOT_FOUND" and "no such exec instance" in e.message


# -- stats (docker/container/stats through the front) ---------------------

def test_cli_stats_no_stream_and_a_streamed_sample(xfront):
    name = unique("st")
    with xfront.peer() as p:
        cid = p.call("docker/container/create", {"image": IMAGE, "name": name,
                                                 "cmd": ["sleep", "3600"]})["containerId"]
        assert p.call("docker/container/start", {"containerId": cid}) == {}
    r = cli(xfront, ALPHA_UID, "stats", "--no-stream", "--format",
            "{{.Name}} {{.Container}} {{.MemUsage}}", name, check=0)
    shown, ref, mem = r.stdout.decode().split(" ", 2)
    # the tenant's own name, without the gateway's namespace
    assert (shown, ref) == (name, name) and "/" in mem, r.stdout
    r = cli(xfront, BETA_UID, "stats", "--no-stream", name)
    assert r.returncode != 0 and b"No such container" in r.stderr, r.stderr
    # streamed: chunked JSON lines, one per second, until the client leaves
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(20)
    s.connect(xfront.docker_socket)
    s.sendall(b"GET /v1.41/containers/%s/stats HTTP/1.1\r\nHost: d\r\n\r\n" % name.encode())
    data = b""
    while data.count(b'"read"') < 2:
        chunk = s.recv(65536)
        assert chunk, data
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"Transfer-Encoding: chunked" in head, head
    assert b'"name":"/%s"' % name.encode() in body and b"alpha." not in body, body[:300]


@pytest.mark.parametrize("upgrade", [True, False])
def test_exec_start_hijack_both_forms_multiplexed(xfront, box, upgrade):
    st, body = http(xfront, ALPHA_UID, "POST", "/containers/%s/exec" % box,
                    {"Cmd": ["sh", "-c", "echo out; echo err >&2; exit 2"],
                     "AttachStdout": True, "AttachStderr": True})
    assert st == 201, body
    eid = json.loads(body)["Id"]
    start = json.dumps({"Detach": False, "Tty": False}).encode()
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(20)
    s.connect(xfront.docker_socket)
    s.sendall(b"POST /v1.41/exec/%s/start HTTP/1.1\r\nHost: d\r\n%sContent-Type: "
              b"application/json\r\nContent-Length: %d\r\n\r\n%s"
              % (eid.encode(), b"Connection: Upgrade\r\nUpgrade: tcp\r\n" if upgrade else b"",
                 len(start), start))
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101 UPGRADED" if upgrade else b"HTTP/1.1 200 OK"), head
    assert b"application/vnd.docker.raw-stream" in head
    got = {1: b"", 2: b""}
    while rest:  # the engine's 8-byte frames: stream, 0, 0, 0, length (big-endian)
        assert len(rest) >= 8 and rest[1:4] == b"\0\0\0", rest
        n = int.from_bytes(rest[4:8], "big")
        got[rest[0]] += rest[8:8 + n]
        rest = rest[8 + n:]
    assert got == {1: b"out\n", 2: b"err\n"}
    st, body = http(xfront, ALPHA_UID, "GET", "/exec/%s/json" % eid)
    assert st == 200 and json.loads(body)["ExitCode"] == 2, body
