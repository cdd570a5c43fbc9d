"""The Docker-Engine-API front (--docker-socket): the real docker CLI, as two
tenant uids, through the gate; and raw HTTP that a careful server refuses.

The Debian docker CLI is used explicitly (/usr/bin/docker): another docker
binary may shadow it on PATH.
"""

import json
import os
import socket
import subprocess
import tempfile

import pytest

from conftest import ALPHA_UID, BETA_UID, unique

DOCKER = "/usr/bin/docker"
IMAGE = "dgtest:latest"


@pytest.fixture
def front(make_gateway):
    d = tempfile.mkdtemp(prefix="dgda", dir="/tmp")
    os.chmod(d, 0o755)
    sock = os.path.join(d, "docker.sock")
    audit = os.path.join(d, "audit.log")
    gw = make_gateway(args=["--docker-socket", sock, "--audit", audit])
    gw.docker_socket = sock
    gw.audit_path = audit
    yield gw
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    os.rmdir(d)


def docker(gw, uid, *args, timeout=60, check=None, input=None):
    if not os.access(DOCKER, os.X_OK):
        pytest.skip("Debian's docker CLI (/usr/bin/docker, package docker.io) is missing")
    home = tempfile.mkdtemp(prefix="dgcli", dir="/tmp")
    os.chown(home, uid, uid)
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "DOCKER_HOST": "unix://" + gw.docker_socket}
    try:
        r = subprocess.run([DOCKER] + list(args), env=env, user=uid, capture_output=True,
                           input=input, timeout=timeout, cwd=home)
    finally:
        subprocess.run(["rm", "-rf", home])
    if check is not None:
        assert r.returncode == check, (r.returncode, r.stdout, r.stderr)
    return r


def test_run_rm_prints_and_exits_with_the_container_code(front, engine):
    before = engine.labelled()["containers"]
    r = docker(front, ALPHA_UID, "run", "--rm", IMAGE, "echo", "hi", check=0)
    assert r.stdout == b"hi\n"
    r = docker(front, ALPHA_UID, "run", "--rm", IMAGE, "sh", "-c",
               "echo out; echo err >&2; exit 3", check=3)
    assert r.stdout == b"out\n" and r.stderr == b"err\n"
    # --rm: nothing of either is left in the engine
    assert engine.labelled()["containers"] == before


def test_ps_inspect_logs_stop_rm_and_the_other_tenant_sees_nothing(front, engine):
    name = unique("web")
    cid = docker(front, ALPHA_UID, "run", "-d", "--name", name, IMAGE, "sh", "-c",
                 "echo ready; exec sleep 300", check=0).stdout.decode().strip()
    assert len(cid) == 64
    ps = docker(front, ALPHA_UID, "ps", "--no-trunc", check=0).stdout.decode()
    assert cid in ps and name in ps
    # beta: not in its list, and every reference answers like a missing one
    ps_b = docker(front, BETA_UID, "ps", "-a", "--no-trunc", check=0).stdout.decode()
    assert cid not in ps_b and name not in ps_b
    for args in (["inspect", name], ["logs", name], ["stop", name], ["rm", "-f", name]):
        r = docker(front, BETA_UID, *args)
        # rm -f exits 0 on a missing container, as against the engine itself
        assert r.returncode != 0 or args[0] == "rm"
        assert b"No such" in r.stderr, r.stderr
    assert cid in engine.labelled()["containers"]
    out = docker(front, ALPHA_UID, "inspect", "-f",
                 "{{.Name}} {{.State.Running}} {{.HostConfig.Privileged}}", name, check=0)
    assert out.stdout.decode().strip() == "/%s true false" % name
    logs = docker(front, ALPHA_UID, "logs", name, check=0)
    assert logs.stdout == b"ready\n"
    docker(front, ALPHA_UID, "stop", "-t", "1", name, check=0)
    docker(front, ALPHA_UID, "rm", name, check=0)
    r = docker(front, ALPHA_UID, "inspect", name)
    assert r.returncode != 0 and b"No such" in r.stderr


@pytest.mark.parametrize("flags, words", [
    (["--privileged"], b"privileged containers are not allowed"),
    (["-v", "/etc:/host"], b"bind mounts of host paths are not allowed"),
    (["--cap-add", "SYS_ADMIN"], b"adding capabilities is not allowed"),
    (["--pid", "host"], b"host namespaces"),
    (["--network", "host"], b"host networking is not allowed"),
    (["--mount", "type=bind,source=/,target=/h"], b"bind mounts of host paths"),
    (["--volume-driver", "local", "-v", "x:/x"], b"volume drivers are not allowed"),
    (["--device", "/dev/null:/dev/x"], b"devices are not allowed"),
    (["--security-opt", "seccomp=unconfined"], b"security options are set by the gateway"),
    (["--ipc", "host"], b"only a private namespace"),
    (["--uts", "host"], b"host namespaces"),
])
def test_refused_create_fields_name_the_field_and_nothing_is_made(front, engine, flags, words):
    before = engine.labelled()["containers"]
    r = docker(front, ALPHA_UID, "run", "--rm", *flags, IMAGE, "true")
    assert r.returncode == 125, (r.returncode, r.stderr)
    assert words in r.stderr, r.stderr
    assert engine.labelled()["containers"] == before


def http(gw, raw, read_all=True, timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(gw.docker_socket)
    s.sendall(raw)
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
        if not read_all:
            break
    s.close()
    return data


def status_of(resp):
    return int(resp.split(b" ", 2)[1])


@pytest.mark.parametrize("raw, status", [
    (b"GET /_ping HTTP/1.0\r\n\r\n", 505),
    (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
    (b"POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
     b"Content-Length: 2\r\n\r\n{}", 400),
    (b"GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", 431),
    (b"POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
     b"Content-Length: 2000000\r\n\r\n", 413),
    (b"GET /_ping HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400),
])
def test_bad_http_gets_a_status_and_a_closed_connection(front, raw, status):
    resp = http(front, raw)
    assert status_of(resp) == status, resp[:200]
    assert b"Connection: close" in resp


@pytest.mark.parametrize("path, status, words", [
    ("/v1.42/_ping", 400, b"too new"),
    ("/containers/%2e%2e/json", 400, b"percent-encoding"),
    ("/containers/../json", 400, b"dot segments"),
    ("//containers/json", 400, b"empty path segments"),
    ("/swarm", 404, b"not supported by the gateway"),
    ("/containers/json?all=1&all=0", 400, b"given twice"),
    ("/containers/json?bogus=1", 400, b"bogus"),
])
def test_paths_are_canonical_or_refused(front, path, status, words):
    resp = http(front, ("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        % path).encode())
    assert status_of(resp) == status, resp[:300]
    assert words in resp, resp[:300]


def test_create_body_shadow_keys_are_refused(front, engine):
    before = engine.labelled()["containers"]
    for body in ('{"Image":"dgtest:latest","HostConfig":{"Privileged":false,"privileged":true}}',
                 '{"Image":"dgtest:latest","HostConfig":{"Privileged":false,"Privileged":true}}',
                 '{"Image":"dgtest:latest","HostConfig":{"\\u0050rivileged":true}}',
                 '{"Image":"dgtest:latest","HostConfig":{"Mounts":[{"Type":"volume",'
                 '"Source":"v","Target":"/v","VolumeOptions":{"DriverConfig":{"Name":"local",'
                 '"Options":{"type":"none","o":"bind","device":"/"}}}}]}}',
                 '{"Image":"dgtest:latest","HostConfig":{"VolumesFrom":["other"]}}',
                 '{"Image":"dgtest:latest","HostConfig":{"NetworkMode":"container:x"}}'):
        raw = ("POST /v1.41/containers/create HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
               "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
               % (len(body), body)).encode()
        resp = http(front, raw)
        assert status_of(resp) in (400, 403), (body, resp[:300])
    assert engine.labelled()["containers"] == before


def test_pipelined_request_is_answered_400_and_not_served(front, engine):
    body = '{"Image":"dgtest:latest","Cmd":["true"]}'
    create = ("POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
              "\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)).encode()
    before = engine.labelled()["containers"]
    resp = http(front, b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n" + create)
    assert resp.startswith(b"HTTP/1.1 200 OK")
    assert b"HTTP/1.1 400 Bad Request" in resp and b"pipelined" in resp
    assert engine.labelled()["containers"] == before


def test_ping_headers_and_audit_sees_the_route(front):
    resp = http(front, b"GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert b"Api-Version: 1.41" in resp and b"Ostype: linux" in resp
    assert resp.endswith(b"OK")
    head = http(front, b"HEAD /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_of(head) == 200 and head.endswith(b"\r\n\r\n")
    docker(front, ALPHA_UID, "run", "--rm", IMAGE, "true", check=0)
    lines = [json.loads(x) for x in open(front.audit_path) if x.strip()]
    routes = {(x.get("operation"), x.get("route")) for x in lines if x.get("front") == "docker"}
    assert ("docker/container/create", "POST /containers/create") in routes
    assert ("docker/system/ping", "GET /_ping") in routes


def test_ps_filters_narrow_the_tenants_own_list_and_the_owner_label_is_refused(front, engine):
    name = unique("flt")
    cid = docker(front, ALPHA_UID, "create", "--name", name, "--label", "dgf=1", IMAGE,
                 "true", check=0).stdout.decode().strip()
    try:
        def ps(uid, *f):
            return docker(front, uid, "ps", "-aq", "--no-trunc", *f, check=0).stdout.decode()
        assert cid in ps(ALPHA_UID, "--filter", "label=dgf=1", "--filter", "status=created")
        assert cid in ps(ALPHA_UID, "--filter", "name=" + name)
        assert cid not in ps(ALPHA_UID, "--filter", "status=running")
        assert cid not in ps(ALPHA_UID, "--filter", "label=dgf=2")
        # beta's filters never reach alpha's containers
        assert cid not in ps(BETA_UID, "--filter", "id=" + cid)
        assert cid not in ps(BETA_UID, "--filter", "name=" + name)
        r = docker(front, ALPHA_UID, "ps", "-a", "--filter", "label=dockgate.owner=x")
        assert r.returncode != 0 and cid.encode() not in r.stdout
    finally:
        docker(front, ALPHA_UID, "rm", cid, check=0)
