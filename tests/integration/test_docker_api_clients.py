"""docker-py through the Docker front, as two tenants: containers.run (attached
and detached, the exit code and ContainerError), wait, logs(stream=True),
attach and attach_socket; the other tenant finds none of it.

alpha is uid 0, so its client runs in this process; beta's runs as uid 1001
in a child process.
"""

import json
import socket
import subprocess

import pytest

from conftest import BETA_UID, PODMAN, _run_docker_front, unique, wait_for
from test_docker_api import IMAGE

docker = pytest.importorskip("docker")


@pytest.fixture(scope="module")
def cfront(request, engine, engine_sock):
    """One gateway with a Docker-API socket for the module."""
    yield from _run_docker_front(request, engine, engine_sock, "dgdc")


@pytest.fixture
def client(cfront):
    c = docker.DockerClient(base_url="unix://" + cfront.docker_socket, version="1.41",
                            timeout=30)
    made = []
    c.made = made
    yield c
    for cid in made:
        try:
            c.api.remove_container(cid, force=True)
        except docker.errors.NotFound:
            pass
    c.close()


BETA_LOOKS = """
import json, sys, docker
c = docker.DockerClient(base_url="unix://" + sys.argv[1], version="1.41", timeout=30)
out = {"all": [x.id for x in c.containers.list(all=True)], "get": {}}
for ref in sys.argv[2:]:
    try:
        c.containers.get(ref)
        out["get"][ref] = "found"
    except docker.errors.NotFound as e:
        out["get"][ref] = "NotFound: " + str(e.explanation)
    try:
        c.api.logs(ref)
        out["get"][ref] += "; logs read"
    except docker.errors.NotFound:
        pass
print(json.dumps(out))
"""


def beta_sees(gw, *refs):
    r = subprocess.run(["python3", "-c", BETA_LOOKS, gw.docker_socket] + list(refs),
                       user=BETA_UID, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_run_attached_exit_code_raises_container_error(client, engine):
    before = engine.labelled()["containers"]
    assert client.containers.run(IMAGE, ["true"], remove=True) is not False
    with pytest.raises(docker.errors.ContainerError) as e:
        client.containers.run(IMAGE, ["sh", "-c", "echo bad >&2; exit 3"], remove=True)
    assert e.value.exit_status == 3, e.value
    # remove=True: nothing of either run is left in the engine
    wait_for(lambda: engine.labelled()["containers"] == before, what="runs removed")


# On Podman it passes: its k8s-file driver shows itself as json-file in
# HostConfig.LogConfig (docs/engines.md).
@pytest.mark.xfail(not PODMAN, strict=True,
                   reason="the gate creates every container with the 'local' log driver on "
                   "dockerd and shows it in HostConfig.LogConfig; docker-py 5 reads an "
                   "attached run's output only for json-file/journald and returns None")
def test_run_attached_returns_the_output(client):
    out = client.containers.run(IMAGE, ["sh", "-c", "echo hi; echo warn >&2"], remove=True)
    assert out == b"hi\n"


def test_run_detached_wait_and_streamed_logs(client, cfront, engine):
    name = unique("py")
    c = client.containers.run(IMAGE, ["sh", "-c", "for i in 1 2 3; do echo line$i; done; exit 5"],
                              detach=True, name=name, labels={"via": "docker-py"})
    client.made.append(c.id)
    assert c.wait(timeout=30)["StatusCode"] == 5
    got = b"".join(c.logs(stream=True))
    assert got == b"line1\nline2\nline3\n"
    c.reload()
    assert c.name == name and c.labels.get("via") == "docker-py"
    assert c.attrs["State"]["ExitCode"] == 5
    # the engine holds it under alpha's namespace; alpha lists it by its own name
    assert engine.inspect(c.id)["Name"] == "/alpha." + name
    assert c.id in [x.id for x in client.containers.list(all=True, filters={"name": name})]
    # the other tenant sees nothing: not in its list, NotFound by id and by name
    seen = beta_sees(cfront, c.id, name)
    assert c.id not in seen["all"], seen
    for ref in (c.id, name):
        assert seen["get"][ref].startswith("NotFound: No such container"), seen


def test_follow_logs_stream_while_the_container_runs(client):
    c = client.containers.run(IMAGE, ["sh", "-c", "echo a; sleep 1; echo b"], detach=True)
    client.made.append(c.id)
    lines = [x for x in c.logs(stream=True, follow=True)]
    assert b"".join(lines) == b"a\nb\n"
    assert c.wait(timeout=30)["StatusCode"] == 0


def test_attach_stream_yields_the_output(client):
    c = client.containers.create(IMAGE, ["sh", "-c", "read l; echo got $l; echo e >&2"],
                                 stdin_open=True)
    client.made.append(c.id)
    sock = client.api.attach_socket(c.id, params={"stdin": 1, "stdout": 1, "stderr": 1,
                                                  "stream": 1})
    raw = sock._sock
    try:
        c.start()
        raw.sendall(b"py\n")
        raw.shutdown(socket.SHUT_WR)  # stdin half-close
        data = b""
        raw.settimeout(30)
        while True:
            chunk = raw.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    # not a tty: the 8-byte multiplexed frames, stdout (1) and stderr (2)
    frames = {}
    while data:
        assert len(data) >= 8, data
        kind, size = data[0], int.from_bytes(data[4:8], "big")
        frames[kind] = frames.get(kind, b"") + data[8:8 + size]
        data = data[8 + size:]
    assert frames == {1: b"got py\n", 2: b"e\n"}, frames
    assert c.wait(timeout=30)["StatusCode"] == 0


def test_attach_with_stream_and_a_tty(client):
    c = client.containers.create(IMAGE, ["sh", "-c", "echo ready; sleep 1; echo done"],
                                 tty=True)
    client.made.append(c.id)
    stream = c.attach(stdout=True, stderr=True, stream=True)  # attached before it starts
    c.start()
    out = b"".join(stream)
    # a tty: raw bytes, the terminal's line endings
    assert out.replace(b"\r\n", b"\n") == b"ready\ndone\n", out
    assert c.wait(timeout=30)["StatusCode"] == 0
