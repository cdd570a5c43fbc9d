"""docker build through the Docker-API front (POST /build onto the native
docker/image/build): the Debian docker CLI (classic builder) and docker-py as
tenants; the refusals the CLI prints as it prints the engine's errors; the
context streamed through the worker's checks."""

import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import urllib.parse

import pytest

from conftest import ALPHA_UID, BETA_UID, _run_docker_front, unique
from test_docker_api import DOCKER
from test_docker_api import http as raw_http
from test_docker_api import status_of

# alpha's allowlist does not name alpha/*: its own namespace is its own to run and build
# on; beta's allows every reference, so only ownership keeps alpha's images from it.
POLICY = {
    "peers": {
        "alpha": {"uids": [ALPHA_UID], "images": ["dgtest:*"],
                  "operations": ["docker/*"],
                  "quotas": {"images": 3},
                  "build": {"allow": True, "maxContextBytes": 1 << 20}},
        "beta": {"uids": [BETA_UID], "images": ["*"], "operations": ["docker/*"],
                 "build": {"allow": True}},
    }
}

TWO_STAGE = ("FROM dgtest:latest AS first\n"
             "RUN echo built-in-stage-one > /one\n"
             "FROM dgtest:latest\n"
             "COPY --from=first /one /one\n"
             "COPY hello.txt /hello.txt\n"
             "CMD [\"cat\", \"/one\", \"/hello.txt\"]\n")


@pytest.fixture(scope="module")
def bfront(request, engine, engine_sock):
    yield from _run_docker_front(request, engine, engine_sock, "dgdb", policy=POLICY)


@pytest.fixture
def images(engine):
    made = []
    yield made
    for ref in reversed(made):
        engine.http("DELETE", "/images/%s?force=1" % ref)


@pytest.fixture
def ctxdir():
    """A context directory every tenant uid can read; files written by make()."""
    d = tempfile.mkdtemp(prefix="dgbctx", dir="/tmp")
    os.chmod(d, 0o755)

    def make(files):
        for name, data in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(data)
            os.chmod(os.path.join(d, name), 0o644)
        return d
    yield make
    shutil.rmtree(d, ignore_errors=True)


def cli(gw, uid, *args, buildkit="0", timeout=60):
    if not os.access(DOCKER, os.X_OK):
        pytest.skip("Debian's docker CLI (/usr/bin/docker, package docker.io) is missing")
    home = tempfile.mkdtemp(prefix="dgcli", dir="/tmp")
    os.chown(home, uid, uid)
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "DOCKER_HOST": "unix://" + gw.docker_socket}
    if buildkit is not None:
        env["DOCKER_BUILDKIT"] = buildkit
    try:
        return subprocess.run([DOCKER] + list(args), env=env, user=uid, capture_output=True,
                              timeout=timeout, cwd=home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def engine_tags(engine):
    return {t for i in engine.ok("GET", "/images/json") for t in (i.get("RepoTags") or [])}


def test_cli_two_stage_build_then_run(bfront, engine, images, ctxdir):
    name = unique("app")
    d = ctxdir({"Dockerfile": TWO_STAGE, "hello.txt": "hello from context\n"})
    r = cli(bfront, ALPHA_UID, "build", "-t", name + ":1", "--label", "stage=two",
            "--build-arg", "UNUSED=x", d)
    images.append("alpha/%s:1" % name)
    assert r.returncode == 0, (r.stdout[-800:], r.stderr)
    out = r.stdout.decode()
    assert "Step 1/8 : FROM dgtest:latest AS first" in out, out
    assert "Successfully built" in out and "Successfully tagged alpha/%s:1" % name in out, out
    doc = engine.ok("GET", "/images/alpha/%s:1/json" % name)
    assert doc["Config"]["Labels"] == {"stage": "two", "dockgate.owner": "alpha"}, doc
    r = cli(bfront, ALPHA_UID, "run", "--rm", "alpha/%s:1" % name)
    assert r.returncode == 0 and r.stdout == b"built-in-stage-one\nhello from context\n", r
    # -q: only the image ID, as the engine prints it
    r = cli(bfront, ALPHA_UID, "build", "-q", "-t", name + ":1", "--label", "stage=two",
            "--build-arg", "UNUSED=x", d)
    assert r.returncode == 0, r
    assert r.stdout.decode().strip() == doc["Id"], (r.stdout, doc["Id"])


def test_docker_py_images_build(bfront, engine, images, ctxdir):
    docker = pytest.importorskip("docker")
    name = unique("py")
    d = ctxdir({"Dockerfile": "FROM dgtest:latest\nARG WHO\nRUN echo $WHO > /who\n"})
    c = docker.DockerClient(base_url="unix://" + bfront.docker_socket, version="1.41",
                            timeout=60)
    try:
        img, logs = c.images.build(path=d, tag=name, buildargs={"WHO": "py"}, rm=True)
        images.append("alpha/%s:latest" % name)
        assert img.tags == ["alpha/%s:latest" % name], img.tags
        assert any("Successfully built" in x.get("stream", "") for x in logs), list(logs)
        ct = c.containers.run("alpha/%s" % name, ["cat", "/who"], detach=True)
        assert ct.wait()["StatusCode"] == 0 and ct.logs() == b"py\n"
        assert c.images.get(img.id).id == img.id
        e = pytest.raises(docker.errors.APIError, c.images.build, path=d, tag=name,
                          pull=True)
        assert e.value.status_code == 403 and "never pulls" in str(e.value), e.value
        e = pytest.raises(docker.errors.APIError, c.images.build,
                          path="https://example.com/ctx.tar.gz", tag=name)
        assert e.value.status_code == 403 and "remote build contexts" in str(e.value)
        e = pytest.raises(docker.errors.APIError, c.images.build, path=d, tag=name,
                          container_limits={"memory": 1 << 30})
        assert e.value.status_code == 403 and "memory" in str(e.value), e.value
    finally:
        for ct in c.containers.list(all=True):
            ct.remove(force=True)
        c.close()


@pytest.mark.parametrize("args,words", [
    (["--pull"], "query parameter pull: the gateway never pulls during a build"),
    (["-m", "64m"], "query parameter memory: the gateway sets a build's limits"),
    (["--network", "host"], "query parameter networkmode: a build's network is the policy's"),
])
def test_cli_refused_flags(bfront, engine, ctxdir, args, words):
    d = ctxdir({"Dockerfile": "FROM dgtest:latest\n"})
    before = engine_tags(engine)
    # no DOCKER_BUILDKIT: the CLI picks the classic builder (no Builder-Version in _ping)
    r = cli(bfront, ALPHA_UID, "build", *args, "-t", unique("rf"), d, buildkit=None)
    assert r.returncode == 1, r
    assert ("Error response from daemon: " + words) in r.stderr.decode(), r.stderr
    assert engine_tags(engine) == before


def test_cli_compressed_context_is_inflated_and_built(bfront, engine, ctxdir):
    # --compress sends the context gzip'd: the worker inflates and checks it
    name = unique("cz")
    d = ctxdir({"Dockerfile": "FROM dgtest:latest\nCOPY f /f\n", "f": "compressed\n"})
    r = cli(bfront, ALPHA_UID, "build", "--compress", "-t", name, d, buildkit=None)
    assert r.returncode == 0, (r.stdout[-500:], r.stderr)
    doc = engine.ok("GET", "/images/alpha/%s:latest/json" % name)
    engine.http("DELETE", "/images/%s?force=1" % doc["Id"])


def test_cli_disallowed_from_is_the_daemons_error(bfront, engine, ctxdir):
    d = ctxdir({"Dockerfile": "FROM busybox:latest\nRUN true\n"})
    before = engine_tags(engine)
    r = cli(bfront, ALPHA_UID, "build", "-t", unique("bb"), d)
    err = r.stderr.decode()
    assert r.returncode == 1 and err.startswith("Error response from daemon: "), r
    assert "busybox" in err and "line 1" in err, err
    assert engine_tags(engine) == before


def test_cli_failing_run_step_exits_with_its_code_and_the_engines_words(bfront, engine, ctxdir):
    d = ctxdir({"Dockerfile": "FROM dgtest:latest\nRUN echo about-to-fail; exit 3\n"})
    r = cli(bfront, ALPHA_UID, "build", "-t", unique("fail"), d)
    # the CLI exits with the step's code, from the engine's errorDetail
    assert r.returncode == 3, r
    assert b"about-to-fail" in r.stdout, r.stdout
    assert b"returned a non-zero code: 3" in r.stderr, r.stderr


def test_cli_buildkit_is_refused(bfront, engine, ctxdir):
    """The 20.10 CLI dials /session before any POST /build and prints only the status
    of that dial; the words (test_session_and_grpc_...) are for other clients."""
    d = ctxdir({"Dockerfile": "FROM dgtest:latest\n"})
    before = engine_tags(engine)
    r = cli(bfront, ALPHA_UID, "build", "-t", unique("bk"), d, buildkit="1")
    assert r.returncode == 1, r
    assert b"unable to upgrade to h2c, received 403" in r.stderr, r.stderr
    assert engine_tags(engine) == before


def _context(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def _post_build(gw, query, body, chunked=False):
    head = ("POST /v1.41/build?%s HTTP/1.1\r\nHost: d\r\nContent-Type: application/x-tar\r\n"
            % query)
    if chunked:
        data = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 7000]), body[i:i + 7000])
                        for i in range(0, len(body), 7000)) + b"0\r\n\r\n"
        return raw_http(gw, (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + data,
                        timeout=60)
    return raw_http(gw, (head + "Content-Length: %d\r\n\r\n" % len(body)).encode() + body,
                    timeout=60)


@pytest.mark.parametrize("query,files,status,words", [
    ("t=x", {"Dockerfile": b"FROM dgtest:latest\n", "../evil": b"x"}, 403, ".."),
    ("t=x", {"Dockerfile": b"FROM dgtest:latest\n", "big": b"\0" * (1 << 20)}, 403, ""),
    ("t=x", {"other": b"x"}, 400, "Dockerfile"),
    ("t=x", {"Dockerfile": b"FROM dgtest:latest\nADD http://127.0.0.1:9/x /x\n"}, 403, "URL"),
    ("t=x&version=2", {"Dockerfile": b"FROM dgtest:latest\n"}, 403, "BuildKit"),
    ("t=x&frobnicate=1", {"Dockerfile": b"FROM dgtest:latest\n"}, 400, "frobnicate"),
    ("t=x&buildargs=%5B1%5D", {"Dockerfile": b"FROM dgtest:latest\n"}, 400, "buildargs"),
])
def test_raw_refusals_build_nothing(bfront, engine, query, files, status, words):
    before = engine_tags(engine)
    resp = _post_build(bfront, query, _context(files), chunked="big" in files)
    assert status_of(resp) == status, resp[:400]
    body = json.loads(resp.partition(b"\r\n\r\n")[2])
    assert words in body["message"], body
    assert engine_tags(engine) == before


def test_raw_chunked_context_builds_and_streams_records(bfront, engine, images):
    name = unique("ch")
    ctx = _context({"Dockerfile": b"FROM dgtest:latest\nCOPY f /f\n", "f": os.urandom(50000)})
    resp = _post_build(bfront, "t=%s&q=0&rm=1&forcerm=0&nocache=1&pull=0" % name, ctx,
                       chunked=True)
    images.append("alpha/%s:latest" % name)
    head, _, body = resp.partition(b"\r\n\r\n")
    assert status_of(resp) == 200 and b"application/json" in head, head
    assert b"Transfer-Encoding: chunked" in head, head
    # de-chunk
    data, rest = b"", body
    while rest:
        n, _, rest = rest.partition(b"\r\n")
        n = int(n, 16)
        if n == 0:
            break
        data, rest = data + rest[:n], rest[n + 2:]
    recs = [json.loads(x) for x in data.split(b"\r\n") if x.strip()]
    keys = {k for r in recs for k in r}
    assert keys <= {"stream", "aux"}, recs
    ids = [r["aux"]["ID"] for r in recs if "aux" in r]
    assert ids == [engine.ok("GET", "/images/alpha/%s/json" % name)["Id"]], recs
    assert any("Successfully tagged alpha/%s:latest" % name in r.get("stream", "")
               for r in recs), recs


def test_session_and_grpc_answer_buildkit_refusals(bfront):
    for path in ("/session", "/grpc"):
        resp = raw_http(bfront, ("POST %s HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\n"
                                 "Upgrade: h2c\r\n\r\n" % path).encode())
        assert status_of(resp) == 403, resp[:300]
        assert b"BuildKit is not supported by the gateway" in resp, resp


def test_beta_cannot_see_run_tag_or_remove_alphas_image(bfront, engine, images, ctxdir):
    name = unique("own")
    d = ctxdir({"Dockerfile": "FROM dgtest:latest\nRUN echo mine > /mine\n"})
    r = cli(bfront, ALPHA_UID, "build", "-t", name, d)
    images.append("alpha/%s:latest" % name)
    assert r.returncode == 0, r
    iid = engine.ok("GET", "/images/alpha/%s/json" % name)["Id"]
    ref = "alpha/%s" % name
    # alpha: listed, inspected, tagged (into its namespace), run
    r = cli(bfront, ALPHA_UID, "images", "--format", "{{.Repository}}:{{.Tag}}")
    assert ref + ":latest" in r.stdout.decode().split(), r
    assert cli(bfront, ALPHA_UID, "tag", ref, ref + "-2:x").returncode == 0
    images.append(ref + "-2:x")
    r = cli(bfront, ALPHA_UID, "run", "--rm", ref, "cat", "/mine")
    assert r.returncode == 0 and r.stdout == b"mine\n", r
    # beta: not listed, and every way to it is "No such image", by name and by ID
    r = cli(bfront, BETA_UID, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
    assert r.returncode == 0 and name not in r.stdout.decode(), r.stdout
    assert iid[7:19] not in r.stdout.decode(), r.stdout
    for args in (["image", "inspect", ref], ["image", "inspect", iid],
                 ["image", "inspect", "docker.io/" + ref], ["rmi", ref], ["rmi", "-f", iid],
                 ["tag", ref, "beta/stolen"], ["tag", iid, "beta/stolen"]):
        r = cli(bfront, BETA_UID, *args)
        # rmi -f exits 0 on a missing image (the CLI's way), saying so
        assert r.returncode == (0 if "-f" in args else 1), (args, r)
        assert b"No such image" in r.stderr, (args, r)
    r = cli(bfront, BETA_UID, "run", "--rm", ref, "true")
    assert r.returncode == 125 and b"No such image" in r.stderr, r
    r = cli(bfront, BETA_UID, "run", "--rm", iid, "true")
    assert r.returncode == 125, r
    # nor build on it
    d2 = ctxdir({"Dockerfile": "FROM %s\n" % ref})
    r = cli(bfront, BETA_UID, "build", "-t", "stolen", d2)
    assert r.returncode == 1 and b"is not present" in r.stderr, r
    # a tag outside one's namespace (over a shared image, or alpha's) is refused
    for target in ("dgtest:latest", ref, "alpha/other"):
        r = cli(bfront, BETA_UID, "tag", "dgtest:latest", target)
        assert r.returncode == 1 and b"own namespace" in r.stderr, (target, r)
    r = cli(bfront, ALPHA_UID, "tag", ref, "dgtest:latest")
    assert r.returncode == 1 and b"own namespace" in r.stderr, r
    tags = engine_tags(engine)
    assert "beta/stolen:latest" not in tags and ref + ":latest" in tags, tags
    # alpha removes its own, by name
    assert cli(bfront, ALPHA_UID, "rmi", ref + "-2:x").returncode == 0
    assert ref + "-2:x" not in engine_tags(engine)


def test_image_quota_counts_the_owners_images(bfront, engine, images, ctxdir):
    made = []
    for i in range(4):
        d = ctxdir({"Dockerfile": "FROM dgtest:latest\nRUN echo %d > /n\n" % i})
        name = unique("q%d" % i)
        r = cli(bfront, ALPHA_UID, "build", "-t", name, d)
        if i < 3:
            images.append("alpha/%s:latest" % name)
            assert r.returncode == 0, r
            made.append(name)
    assert r.returncode == 1, r
    err = r.stderr.decode()
    assert err.startswith("Error response from daemon: quota images: peer alpha owns 3 images"), err
    assert "quotas.images" in err and "remove one" in err, err
    # beta's images are beta's: alpha's quota does not count them, nor refuse beta
    d = ctxdir({"Dockerfile": "FROM dgtest:latest\nRUN echo b > /n\n"})
    r = cli(bfront, BETA_UID, "build", "-t", "bq", d)
    images.append("beta/bq:latest")
    assert r.returncode == 0, r


def test_cli_killed_mid_run_leaves_no_container_nor_image(bfront, engine, ctxdir):
    import signal
    from conftest import wait_for
    d = ctxdir({"Dockerfile": "FROM dgtest:latest\nRUN echo front-run-started && sleep 300\n"})
    before = engine_tags(engine)
    home = tempfile.mkdtemp(prefix="dgcli", dir="/tmp")
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "DOCKER_BUILDKIT": "0",
           "DOCKER_HOST": "unix://" + bfront.docker_socket}
    proc = subprocess.Popen([DOCKER, "build", "-t", unique("kill"), d], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        got = b""
        while b"front-run-started" not in got:
            line = proc.stdout.readline()
            assert line, (got, proc.stderr.read())
            got += line

        def running():
            return {c["Id"] for c in engine.ok("GET", "/containers/json?all=1")
                    if "front-run-started" in (c.get("Command") or "")}
        ids = wait_for(running, what="the RUN container")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        wait_for(lambda: not (running() & ids), timeout=20, what="the RUN container to go")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()
        shutil.rmtree(home, ignore_errors=True)
    assert engine_tags(engine) == before


COMPOSE_BUILT = """\
version: "2.4"
services:
  web:
    build: .
    command: ["sh", "-c", "cat /built; exec sleep 300"]
    stop_grace_period: 1s
"""


def test_compose_build_then_up_runs_the_tenants_own_image(bfront, engine, ctxdir):
    """compose builds "<project>_web" (stored as alpha/<project>_web) and then inspects and
    creates with the bare name: a bare name is the tenant's own image first."""
    from test_docker_api_objects import COMPOSE, compose
    if not os.access(COMPOSE, os.X_OK):
        pytest.skip("Debian's docker-compose (1.29) is missing")
    project = unique("cb").replace("-", "")
    d = ctxdir({"Dockerfile": "FROM dgtest:latest\nRUN echo built-by-compose > /built\n",
                "docker-compose.yml": COMPOSE_BUILT})
    own = "alpha/%s_web" % project
    try:
        r = compose(bfront, ALPHA_UID, d, project, "build")
        assert r.returncode == 0, (r.stdout[-800:], r.stderr)
        assert engine.http("GET", "/images/%s/json" % own)[0] == 200
        r = compose(bfront, ALPHA_UID, d, project, "up", "-d")
        assert r.returncode == 0, r.stderr
        r = compose(bfront, ALPHA_UID, d, project, "logs", "--no-color")
        assert b"built-by-compose" in r.stdout, (r.stdout, r.stderr)
        # the CLI, by the bare name too; lists show the namespaced name
        r = cli(bfront, ALPHA_UID, "image", "inspect", "--format", "{{.RepoTags}}",
                "%s_web" % project)
        assert r.returncode == 0 and own + ":latest" in r.stdout.decode(), r
        # beta's bare name is not alpha's image
        r = cli(bfront, BETA_UID, "image", "inspect", "%s_web" % project)
        assert r.returncode == 1 and b"No such image" in r.stderr, r
        r = compose(bfront, ALPHA_UID, d, project, "down")
        assert r.returncode == 0, r.stderr
    finally:
        f = urllib.parse.quote(json.dumps(
            {"label": ["com.docker.compose.project=%s" % project]}))
        for c in engine.ok("GET", "/containers/json?all=1&filters=" + f):
            engine.http("DELETE", "/containers/%s?force=1&v=1" % c["Id"])
        for n in engine.ok("GET", "/networks?filters=" + f):
            engine.http("DELETE", "/networks/%s" % n["Id"])
        st, doc = engine.http("GET", "/images/%s/json" % own)
        if st == 200:
            engine.http("DELETE", "/images/%s?force=1" % doc["Id"])
