"""docker cp through the Docker-API front: HEAD, GET and PUT /containers/{id}/archive,
mapped onto the native docker/container/archive/get and .../put (the same tar
checks), against the real engine, with the Debian docker CLI as two tenant uids.
"""

import base64
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile

import tarcraft

import pytest

from conftest import ALPHA_UID, BETA_UID, run_container
from test_docker_api import docker as cli
from test_docker_api import front  # noqa: F401 (the fixture)
from test_docker_api import http as raw_http

DATA = os.urandom(200000)


@pytest.fixture
def box(front, engine):  # noqa: F811
    """alpha's running container holding /tmp/blob (DATA)."""
    with front.peer() as p:
        cid = run_container(p, ["sleep", "3600"])
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w", format=tarfile.USTAR_FORMAT) as t:
        info = tarfile.TarInfo("blob")
        info.size = len(DATA)
        t.addfile(info, io.BytesIO(DATA))
    st, out = _engine_put(engine, cid, "/tmp", tar.getvalue())
    assert st == 200, out
    yield cid
    engine.http("DELETE", "/containers/%s?force=1" % cid)


def _engine_put(engine, cid, path, data):
    from engine_api import _UnixConnection
    conn = _UnixConnection(engine.path, 60)
    try:
        conn.request("PUT", "/containers/%s/archive?path=%s" % (cid, path), body=data,
                     headers={"Content-Type": "application/x-tar"})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def _engine_file(engine, cid, path):
    """The file's bytes as the engine has them, or None when it is missing."""
    st, out = engine.http("GET", "/containers/%s/archive?path=%s" % (cid, path))
    if st == 404:
        return None
    assert st == 200, (st, out)
    with tarfile.open(fileobj=io.BytesIO(out)) as t:
        m = t.getmembers()[0]
        return t.extractfile(m).read() if m.isfile() else b""


def _req(gw, method, path, body=b"", ctype="application/x-tar"):
    return ("%s %s HTTP/1.1\r\nHost: d\r\nConnection: close\r\nContent-Type: %s\r\n"
            "Content-Length: %d\r\n\r\n" % (method, path, ctype, len(body))).encode() + body


def test_head_and_get_give_the_stat_header_and_the_tar(front, box):  # noqa: F811
    resp = raw_http(front, _req(front, "HEAD", "/containers/%s/archive?path=/tmp/blob" % box))
    head = resp.partition(b"\r\n\r\n")[0].decode()
    assert head.startswith("HTTP/1.1 200"), head
    stat = [line.split(": ", 1)[1] for line in head.split("\r\n")
            if line.lower().startswith("x-docker-container-path-stat:")]
    doc = json.loads(base64.b64decode(stat[0]))
    assert doc["name"] == "blob" and doc["size"] == len(DATA), doc
    resp = raw_http(front, _req(front, "HEAD", "/containers/%s/archive?path=/nope" % box))
    assert resp.startswith(b"HTTP/1.1 404"), resp[:200]


def test_cp_out_to_stdout_and_to_a_dir_keeps_the_bytes(front, box, tmp_path):  # noqa: F811
    r = cli(front, ALPHA_UID, "cp", box + ":/tmp/blob", "-", check=0)
    with tarfile.open(fileobj=io.BytesIO(r.stdout)) as t:
        got = t.extractfile(t.getmember("blob")).read()
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(DATA).hexdigest()
    out = tmp_path / "out"
    out.mkdir()
    os.chown(out, ALPHA_UID, ALPHA_UID)
    cli(front, ALPHA_UID, "cp", box + ":/tmp/blob", str(out), check=0)
    assert hashlib.sha256((out / "blob").read_bytes()).digest() == hashlib.sha256(DATA).digest()


def test_cp_of_a_missing_path_and_of_another_tenants_container_fail(front, box):  # noqa: F811
    r = cli(front, ALPHA_UID, "cp", box + ":/no/such/file", "-")
    assert r.returncode != 0 and b"/no/such/file" in r.stderr, r.stderr
    r = cli(front, BETA_UID, "cp", box + ":/tmp/blob", "-")
    assert r.returncode != 0 and b"No such container" in r.stderr, r.stderr
    resp = raw_http(front, _req(front, "GET", "/containers/%s/archive?path=/tmp" % box))
    assert resp.startswith(b"HTTP/1.1 200")


def test_cp_in_keeps_the_bytes(front, engine, box):  # noqa: F811
    d = tempfile.mkdtemp(prefix="dgcp", dir="/tmp")
    os.chmod(d, 0o755)
    src = os.path.join(d, "upload.bin")
    with open(src, "wb") as f:
        f.write(DATA[::-1])
    os.chmod(src, 0o644)
    try:
        _cp_in(front, engine, box, src)
    finally:
        shutil.rmtree(d)


def _cp_in(front, engine, box, src):
    cli(front, ALPHA_UID, "cp", str(src), box + ":/tmp/", check=0)
    got = _engine_file(engine, box, "/tmp/upload.bin")
    assert got is not None and hashlib.sha256(got).digest() == hashlib.sha256(DATA[::-1]).digest()
    r = cli(front, BETA_UID, "cp", str(src), box + ":/tmp/beta.bin")
    assert r.returncode != 0 and b"No such container" in r.stderr, r.stderr
    assert _engine_file(engine, box, "/tmp/beta.bin") is None


@pytest.mark.parametrize("hostile", [
    tarcraft.archive(tarcraft.file("../escape", b"x")),
    tarcraft.archive(tarcraft.sym("link", "/etc"), tarcraft.file("link/escape", b"x")),
    tarcraft.archive(tarcraft.file("/escape", b"x")),
], ids=["dotdot", "abs-symlink", "abs-path"])
def test_hostile_tar_put_is_refused_and_nothing_is_written(front, engine, box, hostile):  # noqa: F811
    resp = raw_http(front, _req(front, "PUT", "/containers/%s/archive?path=/tmp" % box, hostile))
    assert resp.split(b" ", 2)[1] in (b"400", b"403"), resp[:300]
    assert b"message" in resp
    for p in ("/escape", "/tmp/escape", "/etc/escape", "/tmp/link"):
        assert _engine_file(engine, box, p) is None, p


def test_put_query_copyuidgid_is_refused(front, box):  # noqa: F811
    resp = raw_http(front, _req(front, "PUT", "/containers/%s/archive?path=/tmp&copyUIDGID=1"
                                % box, tarcraft.archive(tarcraft.file("x", b"x"))))
    assert resp.startswith(b"HTTP/1.1 403"), resp[:300]


def test_put_stalled_midway_gets_408_and_a_closed_connection(front, box, engine):  # noqa: F811
    """A PUT body that stops midway: 408 within the stall deadline (30 s) and the
    connection closed (the engine's too, mid-body: what it had may be applied)."""
    import socket
    import time
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w", format=tarfile.USTAR_FORMAT) as t:
        info = tarfile.TarInfo("stalled")
        info.size = 100000
        t.addfile(info, io.BytesIO(b"x" * 100000))
    body = tar.getvalue()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(45)
    s.connect(front.docker_socket)
    s.sendall(_req(front, "PUT", "/containers/%s/archive?path=/tmp" % box)
              .replace(b"Content-Length: 0", b"Content-Length: %d" % len(body)) + body[:4096])
    t0 = time.monotonic()
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    took = time.monotonic() - t0
    s.close()
    assert data.startswith(b"HTTP/1.1 408"), data[:200]
    assert 25 < took < 40, took
