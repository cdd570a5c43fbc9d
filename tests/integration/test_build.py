"""docker/image/build (issue 15): a tar context on raw carriage, checked in the
worker, its Dockerfile's images approved by the supervisor before the engine
sees the body's end, and the image tagged in the builder's namespace."""

import glob
import io
import json
import os
import tarfile
import time

import pytest

from conftest import ALPHA_UID, BETA_UID, create_container, unique, wait_for
from peer import CallError
import rawpeer

POLICY = {
    "peers": {
        # 127.0.0.1:*: the test registry's images are allowed, and still never pulled
        "alpha": {"uids": [ALPHA_UID], "images": ["dgtest:*", "alpha/*", "127.0.0.1:*"],
                  "build": {"allow": True, "maxContextBytes": 1 << 20}},
        # small limits on beta's build cgroup, for the fork bomb and the memory hog
        "beta": {"uids": [BETA_UID], "images": ["dgtest:*", "beta/*"],
                 "build": {"allow": True, "pidsMax": 64, "memoryBytes": "64MiB"}},
    }
}


def context(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def build(gw, files, uid=None, **inp):
    """(stdout, final control) of one build, or raises CallError when refused up front."""
    p = gw.peer(uid=uid)
    try:
        out, err, end, s = rawpeer.run(p, "docker/image/build", inp, context(files))
        s.close()
        return out, end
    except Exception:
        print("---- gateway log ----\n" + gw.log_tail(30))
        raise
    finally:
        p.close()


def refused(gw, files, code, uid=None, **inp):
    try:
        out, end = build(gw, files, uid=uid, **inp)
    except CallError as e:
        assert e.code == code, e
        return str(e)
    assert end["type"] == "error" and end["code"] == code, (out[-300:], end)
    return end["message"]


@pytest.fixture(scope="module")
def gw(request, engine, engine_sock):
    from conftest import _run_gateway
    yield from _run_gateway(request, engine, engine_sock, policy=POLICY)


@pytest.fixture
def images(engine):
    made = []
    yield made
    for ref in reversed(made):
        engine.http("DELETE", "/images/%s?force=1" % ref)


def engine_images(engine):
    return {t for i in engine.ok("GET", "/images/json")
            for t in (i.get("RepoTags") or [])}


TWO_STAGE = (b"FROM dgtest:latest AS first\n"
             b"RUN echo built-in-stage-one > /one\n"
             b"FROM dgtest:latest\n"
             b"COPY --from=first /one /one\n"
             b"COPY hello.txt /hello.txt\n"
             b"CMD [\"cat\", \"/one\", \"/hello.txt\"]\n")


def test_two_stage_build_then_run(gw, images, engine):
    name = unique("app")
    out, end = build(gw, {"Dockerfile": TWO_STAGE, "hello.txt": b"hello from context\n"},
                     tag=name + ":1")
    assert end["type"] == "exit" and end["exitCode"] == 0, (out[-500:], end)
    images.append("alpha/%s:1" % name)
    assert end["tags"] == ["alpha/%s:1" % name], end
    assert end["imageId"].startswith("sha256:"), end
    assert b"Successfully built" in out, out[-300:]
    doc = engine.ok("GET", "/images/alpha/%s:1/json" % name)
    assert doc["Id"] == end["imageId"]
    assert doc["Config"]["Labels"].get("dockgate.owner") == "alpha", doc["Config"]["Labels"]
    with gw.peer() as p:
        cid = create_container(p, [], image="alpha/%s:1" % name)
        p.call("docker/container/start", {"containerId": cid})
        p.call("docker/container/wait", {"containerId": cid})
        recs, _ = p.subscribe("docker/container/logs", {"containerId": cid})
        p.call("docker/container/remove", {"containerId": cid, "force": True})
    text = "".join(r.get("text", "") for r in recs)
    assert text == "built-in-stage-one\nhello from context\n", recs


def test_derived_build_and_other_tenant(gw, images, engine):
    base = unique("base")
    out, end = build(gw, {"Dockerfile": b"FROM dgtest:latest\nRUN echo base > /base\n"},
                     tag=base)
    assert end["type"] == "exit", (out[-300:], end)
    images.append("alpha/%s:latest" % base)
    df = b"FROM alpha/%s\nRUN cat /base > /derived\n" % base.encode()
    out, end = build(gw, {"Dockerfile": df}, tag="alpha/%s-derived:2" % base)
    assert end["type"] == "exit", (out[-300:], end)
    images.append("alpha/%s-derived:2" % base)
    assert end["tags"] == ["alpha/%s-derived:2" % base]
    # beta can neither build from it nor create from it nor tag it into its namespace
    msg = refused(gw, {"Dockerfile": df}, "FORBIDDEN", uid=BETA_UID, tag="x")
    assert "alpha/%s" % base in msg, msg
    with gw.peer(uid=BETA_UID) as q:
        e = pytest.raises(CallError, q.call, "docker/container/create",
                          {"image": "alpha/%s:latest" % base, "cmd": ["true"]})
        assert e.value.code == "FORBIDDEN"
    assert "beta/x:latest" not in engine_images(engine)


def test_absent_base_refused_without_pull(gw, engine):
    before = engine_images(engine)
    msg = refused(gw, {"Dockerfile": b"FROM alpha/never-built:1\nRUN true\n"}, "NOT_FOUND",
                  tag=unique("absent"))
    assert "line 1" in msg, msg
    assert engine_images(engine) == before


def test_disallowed_base_refused(gw, engine):
    msg = refused(gw, {"Dockerfile": b"FROM busybox:latest\n"}, "FORBIDDEN", tag="x")
    assert "busybox" in msg and "line 1" in msg, msg


@pytest.mark.parametrize("files,inp,code,words", [
    ({"Dockerfile": b"FROM dgtest:latest\n"}, {"remote": "https://example.com/x.git"},
     "FORBIDDEN", "remote"),
    ({"Dockerfile": b"FROM dgtest:latest\n"}, {"version": "2"}, "FORBIDDEN", "BuildKit"),
    ({"Dockerfile": b"FROM dgtest:latest\n"}, {"gzip": True}, "INVALID_INPUT", "gzip"),
    ({"Dockerfile": b"# syntax=docker/dockerfile:1\nFROM dgtest:latest\n"}, {},
     "FORBIDDEN", "syntax"),
    ({"Dockerfile": b"FROM dgtest:latest\nADD http://127.0.0.1:9/x /x\n"}, {},
     "FORBIDDEN", "URL"),
    ({"Dockerfile": b"FROM dgtest:latest\n", "big": b"\0" * (1 << 20)}, {},
     "FORBIDDEN", ""),
    ({"Dockerfile": b"FROM dgtest:latest\n", "../evil": b"x"}, {}, "FORBIDDEN", ""),
    ({"other": b"x"}, {}, "INVALID_INPUT", "Dockerfile"),
])
def test_refusals(gw, engine, files, inp, code, words):
    before = engine_images(engine)
    msg = refused(gw, files, code, tag=unique("r"), **inp)
    assert words.lower() in msg.lower(), msg
    assert engine_images(engine) == before


def gz_stream(pieces, level=6):
    """gzip of the concatenated pieces (a generator may make a large one cheaply)."""
    import zlib
    z = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return b"".join(z.compress(p) for p in pieces) + z.flush()


def test_gzip_context_is_inflated_and_built(gw, images, engine):
    import gzip
    name = unique("gz")
    data = gzip.compress(context({"Dockerfile": b"FROM dgtest:latest\nCOPY f /f\n",
                                  "f": b"from a gzip context\n"}))
    for inp in ({}, {"gzip": True}):
        with gw.peer() as p:
            out, err, end, s = rawpeer.run(p, "docker/image/build", dict(inp, tag=name), data)
            s.close()
        assert end["type"] == "exit", (out[-300:], end)
    images.append("alpha/%s:latest" % name)
    with gw.peer() as p:
        cid = create_container(p, ["cat", "/f"], image="alpha/%s:latest" % name)
        p.call("docker/container/start", {"containerId": cid})
        p.call("docker/container/wait", {"containerId": cid})
        recs, _ = p.subscribe("docker/container/logs", {"containerId": cid})
        p.call("docker/container/remove", {"containerId": cid, "force": True})
    assert "".join(r.get("text", "") for r in recs) == "from a gzip context\n", recs


def gz_refused(gw, data, code, **inp):
    p = gw.peer()
    t0 = time.monotonic()
    try:
        s = rawpeer.RawSession(p, "docker/image/build", dict(inp, tag=unique("gz")),
                               timeout=20)
        try:
            s.stdin(data)
            s.close_stdin()
        except OSError:
            pass  # refused while it still sent
        _, _, end = s.finish(20)
    finally:
        p.close()
    assert end["type"] == "error" and end["code"] == code, end
    return end["message"], time.monotonic() - t0


def test_gzip_bomb_refused_at_the_cap(gw, engine):
    before = engine_images(engine)
    df = context({"Dockerfile": b"FROM dgtest:latest\n"})
    # 64 MiB of zeros after the archive's end (64 times the cap) in 64 KiB on
    # the wire: only the inflated count (not any entry's size) sees them
    zeros = bytes(1 << 20)
    bomb = gz_stream([df] + [zeros] * 64, level=9)
    assert len(bomb) < 80 << 10
    msg, took = gz_refused(gw, bomb, "FORBIDDEN")
    assert "decompressed" in msg and "build.maxContextBytes" in msg, msg
    assert took < 10, took
    # and one entry that claims 1 GiB: refused at its header, once inflated
    big = tarfile.TarInfo("big")
    big.size = 1 << 30
    bomb2 = gz_stream([big.tobuf(tarfile.GNU_FORMAT)] + [zeros] * 4)
    msg, took = gz_refused(gw, bomb2, "FORBIDDEN")
    assert "build.maxContextBytes" in msg and "big" in msg, msg
    assert engine_images(engine) == before


def test_broken_or_other_compressions_refused(gw):
    import bz2
    import gzip
    ok = gzip.compress(context({"Dockerfile": b"FROM dgtest:latest\n"}))
    msg, _ = gz_refused(gw, ok[:len(ok) // 2], "INVALID_INPUT")
    assert "gzip" in msg, msg
    msg, _ = gz_refused(gw, ok + b"trailing", "INVALID_INPUT")
    assert "after the end" in msg, msg
    msg, _ = gz_refused(gw, gzip.compress(ok), "FORBIDDEN")  # gzip in gzip: not inflated twice
    assert "compress" in msg, msg
    msg, _ = gz_refused(gw, bz2.compress(context({"Dockerfile": b"FROM dgtest:latest\n"})),
                        "FORBIDDEN")
    assert "compress" in msg, msg


def test_build_off_by_default(gateway):
    with gateway.peer() as p:
        e = pytest.raises(CallError, rawpeer.RawSession, p, "docker/image/build", {})
    assert e.value.code == "FORBIDDEN" and "build.allow" in str(e.value)


SLOW_RUN = b"FROM dgtest:latest\nRUN echo run-has-started && sleep 300\n"


def run_containers(engine):
    """The engine's containers (all states) running SLOW_RUN's RUN, by ID."""
    return {c["Id"] for c in engine.ok("GET", "/containers/json?all=1")
            if "run-has-started" in (c.get("Command") or "")}


def start_slow_build(gw, engine, uid=None):
    """A build whose RUN has started: (peer, session, the RUN container's ID)."""
    p = gw.peer(uid=uid)
    s = rawpeer.RawSession(p, "docker/image/build", {"tag": unique("slow")}, timeout=30)
    s.stdin(context({"Dockerfile": SLOW_RUN}))
    s.close_stdin()
    s.read_until(lambda got: b"run-has-started" in got)
    ids = wait_for(lambda: run_containers(engine), what="the RUN container")
    return p, s, ids


@pytest.mark.parametrize("how", ["abort", "disconnect"])
def test_stopped_build_leaves_no_container(gw, engine, how):
    before = engine_images(engine)
    p, s, ids = start_slow_build(gw, engine)
    if how == "abort":
        s.control({"type": "abort"})
        _, _, end = s.finish(20)
        assert end["type"] == "error" and end["code"] == "ABORTED", end
    p.close()
    # the engine's build stops: its RUN container goes (forcerm), no image is left
    wait_for(lambda: not (run_containers(engine) & ids), timeout=20,
             what="the RUN container to go")
    for cid in ids:
        assert engine.http("GET", "/containers/%s/json" % cid)[0] == 404
    assert engine_images(engine) == before


def test_one_build_at_a_time_per_peer(gw, engine):
    p, s, ids = start_slow_build(gw, engine)
    try:
        msg = refused(gw, {"Dockerfile": b"FROM dgtest:latest\n"}, "RATE_LIMITED",
                      tag=unique("second"))
        assert "build.concurrent" in msg, msg
        # another peer's build is not held up by alpha's
        out, end = build(gw, {"Dockerfile": b"FROM dgtest:latest\n"}, uid=BETA_UID,
                         tag=unique("beta"))
        assert end["type"] == "exit", (out[-300:], end)
        engine.http("DELETE", "/images/%s?force=1" % end["imageId"])
    finally:
        p.close()
    wait_for(lambda: not (run_containers(engine) & ids), timeout=20,
             what="the RUN container to go")
    # the slot is free again once the first build ended
    out, end = build(gw, {"Dockerfile": b"FROM dgtest:latest\n"}, tag=unique("third"))
    assert end["type"] == "exit", (out[-300:], end)
    engine.http("DELETE", "/images/%s?force=1" % end["imageId"])


def cgroup_dir(gw, engine, controller, peer):
    """The peer's build cgroup in controller's hierarchy (v1) or the unified one (v2)."""
    v2 = engine.ok("GET", "/info").get("CgroupVersion") == "2"
    root = "dgt-" + os.path.basename(gw.dir)  # conftest's buildCgroup
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, post = line.split(" - ")
            fstype, _, opts = post.split()[:3]
            mnt = pre.split()[4]
            if (v2 and fstype == "cgroup2") or (
                    not v2 and fstype == "cgroup" and controller in opts.split(",")):
                return os.path.join(mnt, root, peer)
    raise AssertionError("no %s cgroup hierarchy" % controller)


def cg_read(d, name):
    with open(os.path.join(d, name)) as f:
        return f.read()


def host_pids():
    return sum(1 for n in os.listdir("/proc") if n.isdigit())


def test_run_fork_bomb_is_contained(gw, engine):
    pids = cgroup_dir(gw, engine, "pids", "beta")
    before = host_pids()
    p = gw.peer(uid=BETA_UID)
    s = rawpeer.RawSession(p, "docker/image/build", {"tag": unique("bomb")}, timeout=30)
    s.stdin(context({"Dockerfile": b"FROM dgtest:latest\n"
                                   b"RUN echo bomb-starts; b() { b | b & }; b; sleep 300\n"}))
    s.close_stdin()
    t0 = time.monotonic()
    try:
        s.read_until(lambda got: b"bomb-starts" in got)
        # the peer's cgroup refuses forks past pids.max: pids.events count them (the
        # kernel counts them in the cgroup that forked: the RUN container's, inside)
        def refused_forks():
            return sum(int(cg_read(d, "pids.events").split()[1])
                       for d in [pids] + glob.glob(os.path.join(pids, "*", "")))
        wait_for(lambda: refused_forks() > 0, timeout=20,
                 what="pids.events max > 0 in %s" % pids)
        assert time.monotonic() - t0 < 20
        assert cg_read(pids, "pids.max").strip() == "64"
        peak = 0
        for _ in range(10):
            assert int(cg_read(pids, "pids.current")) <= 64
            peak = max(peak, host_pids() - before)
            time.sleep(0.1)
        # the host's pid count stays bounded (64 in the cgroup, plus the
        # engine's own per-container processes and what else runs here)
        assert peak < 400, peak
    finally:
        p.close()
    wait_for(lambda: not [c for c in engine.ok("GET", "/containers/json?all=1")
                          if "bomb-starts" in (c.get("Command") or "")],
             timeout=30, what="the bomb's container to go")


def test_run_memory_hog_is_killed(gw, engine):
    mem = cgroup_dir(gw, engine, "memory", "beta")
    t0 = time.monotonic()
    msg = refused(gw, {"Dockerfile": b"FROM dgtest:latest\n"
                                     b"RUN dd if=/dev/zero of=/dev/null bs=128M count=1\n"},
                  "DOCKER_ERROR", uid=BETA_UID, tag=unique("hog"))
    assert "137" in msg, msg  # SIGKILL by the OOM killer
    assert time.monotonic() - t0 < 30
    # killed by the peer's build cgroup (64 MiB), not by a container limit
    if os.path.exists(os.path.join(mem, "memory.failcnt")):
        assert int(cg_read(mem, "memory.limit_in_bytes")) == 64 << 20
        # v1 counts the kill in the RUN container's own cgroup, gone with it; the
        # peer's shows its usage reached its limit
        assert int(cg_read(mem, "memory.max_usage_in_bytes")) == 64 << 20
    else:
        assert int(cg_read(mem, "memory.max")) == 64 << 20
        events = dict(l.split() for l in cg_read(mem, "memory.events").splitlines())
        assert int(events["oom_kill"]) > 0, events


def test_build_cgroup_goes_at_shutdown(request, engine, engine_sock):
    from conftest import _run_gateway
    gen = _run_gateway(request, engine, engine_sock, policy=POLICY)
    g = next(gen)
    dirs = [cgroup_dir(g, engine, c, "beta") for c in ("pids", "memory")]
    out, end = build(g, {"Dockerfile": b"FROM dgtest:latest\nRUN true\n"}, uid=BETA_UID,
                     tag=unique("cg"))
    assert end["type"] == "exit", (out[-300:], end)
    engine.http("DELETE", "/images/%s?force=1" % end["imageId"])
    assert all(os.path.isdir(d) for d in dirs), dirs  # kept a while after the build
    for _ in gen:  # stops the gateway
        pass
    left = [d for d in dirs + [os.path.dirname(d) for d in dirs] if os.path.exists(d)]
    assert not left, left


# --- the dockgate CLI: dockgate build ---

def dgbuild(gw, *args, uid=None, cwd=None):
    import os
    import subprocess
    from conftest import binary
    env = dict(os.environ, DOCKGATE_SOCKET=gw.socket)
    return subprocess.run([binary("dockgate"), "build"] + list(args), env=env, cwd=cwd,
                          user=uid, capture_output=True, text=True, timeout=60)


@pytest.fixture
def ctxdir(tmp_path):
    import os
    os.chmod(tmp_path, 0o755)

    def make(files):
        for name, data in files.items():
            p = tmp_path / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        return str(tmp_path)
    return make


def test_cli_build_with_file_args_target_and_label(gw, images, engine, ctxdir, monkeypatch):
    name = unique("cli")
    d = ctxdir({"sub/Build.df": b"FROM dgtest:latest AS one\nARG A\nARG B\n"
                                b"RUN echo \"$A $B\" > /ab\nFROM dgtest:latest\nRUN false\n",
                "data.txt": b"x\n"})
    monkeypatch.setenv("B", "from-env")
    r = dgbuild(gw, "-t", name + ":3", "-f", d + "/sub/Build.df", "--build-arg", "A=given",
                "--build-arg", "B", "--target", "one", "--label", "k=v", "--no-cache", d)
    images.append("alpha/%s:3" % name)
    assert r.returncode == 0, (r.stdout[-600:], r.stderr)
    assert "Step 1/" in r.stdout and "Successfully tagged alpha/%s:3" % name in r.stdout, r.stdout
    assert "Using cache" not in r.stdout, r.stdout
    doc = engine.ok("GET", "/images/alpha/%s:3/json" % name)
    assert doc["Config"]["Labels"]["k"] == "v", doc["Config"]["Labels"]
    with gw.peer() as p:
        cid = create_container(p, ["cat", "/ab"], image="alpha/%s:3" % name)
        p.call("docker/container/start", {"containerId": cid})
        p.call("docker/container/wait", {"containerId": cid})
        recs, _ = p.subscribe("docker/container/logs", {"containerId": cid})
        p.call("docker/container/remove", {"containerId": cid, "force": True})
    assert "".join(x.get("text", "") for x in recs) == "given from-env\n", recs


def test_cli_build_failures_say_what_to_do(gw, engine, ctxdir):
    d = ctxdir({"Dockerfile": b"FROM alpha/never-built:1\n"})
    r = dgbuild(gw, "-t", unique("nb"), d)
    assert r.returncode == 1 and r.stderr.startswith("dockgate: NOT_FOUND: Dockerfile line 1"), r
    assert "(dockgate pull alpha/never-built:1, or build it)" in r.stderr, r.stderr
    r = dgbuild(gw, "-t", unique("df"), "-f", "/etc/hostname", d)
    assert r.returncode == 2 and "must be inside the build's directory" in r.stderr, r.stderr
    r = dgbuild(gw, "-t", "x", d + "/Dockerfile")
    assert r.returncode == 2 and "not a directory" in r.stderr, r.stderr
    r = dgbuild(gw, "--tga", "x", d)
    assert r.returncode == 2 and "did you mean --tag" in r.stderr, r.stderr
    d2 = ctxdir({"Dockerfile": b"FROM dgtest:latest\nRUN echo failing-step; exit 4\n"})
    r = dgbuild(gw, "-t", unique("rf"), d2)
    assert r.returncode == 1 and "failing-step" in r.stdout, r
    assert "DOCKER_ERROR" in r.stderr and "non-zero code: 4" in r.stderr, r.stderr


# --- what the Dockerfile and the context may not do (issue 15's tests) ---

ARG_FROM = b"ARG BASE\nARG TAG=latest\nFROM ${BASE}:$TAG\nRUN echo from-arg > /a\n"


def test_from_resolved_from_build_args(gw, images, engine):
    name = unique("argfrom")
    out, end = build(gw, {"Dockerfile": ARG_FROM}, tag=name, buildArgs={"BASE": "dgtest"})
    assert end["type"] == "exit", (out[-300:], end)
    images.append("alpha/%s:latest" % name)
    dg = engine.ok("GET", "/images/dgtest:latest/json")
    doc = engine.ok("GET", "/images/alpha/%s:latest/json" % name)
    assert doc["RootFS"]["Layers"][0] == dg["RootFS"]["Layers"][0], doc["RootFS"]
    # the resolved reference is what the allowlist judges: busybox is not allowed
    msg = refused(gw, {"Dockerfile": ARG_FROM}, "FORBIDDEN", tag=unique("argfrom"),
                  buildArgs={"BASE": "busybox"})
    assert "busybox:latest" in msg and "line 3" in msg, msg


def test_from_with_a_missing_arg_refused(gw, engine):
    before = engine_images(engine)
    msg = refused(gw, {"Dockerfile": ARG_FROM}, "INVALID_INPUT", tag=unique("noarg"))
    assert "BASE" in msg and "line 3" in msg, msg
    msg = refused(gw, {"Dockerfile": b"FROM $NEVER_DECLARED\n"}, "INVALID_INPUT",
                  tag=unique("noarg"), buildArgs={"NEVER_DECLARED": "dgtest:latest"})
    assert "NEVER_DECLARED" in msg, msg
    assert engine_images(engine) == before


def test_add_of_a_loopback_url_is_never_fetched(gw, engine):
    import select
    import socket
    lsn = socket.socket()
    lsn.bind(("127.0.0.1", 0))
    lsn.listen(4)
    port = lsn.getsockname()[1]
    try:
        for df, line, words in (
                (b"FROM dgtest:latest\nADD http://127.0.0.1:%d/x /x\n" % port, 2, "URL"),
                (b"FROM dgtest:latest\nADD --chown=1:1 http://127.0.0.1:%d/y /y\n" % port, 2,
                 "URL"),
                (b"FROM dgtest:latest\nARG U=http://127.0.0.1:%d/z\nADD $U /z\n" % port, 3,
                 "variables")):
            msg = refused(gw, {"Dockerfile": df}, "FORBIDDEN", tag=unique("addurl"))
            assert words in msg and "line %d" % line in msg, msg
        # the listener is open and nothing ever connected to it
        r, _, _ = select.select([lsn], [], [], 0.5)
        assert not r, "something connected to the ADD URL's listener"
    finally:
        lsn.close()


@pytest.fixture(scope="module")
def registry():
    from test_pull import registry as reg_fixture
    yield from reg_fixture.__wrapped__()


def test_absent_allowed_image_is_not_pulled(gw, engine, registry):
    from test_pull import REGISTRY_DIRS
    import urllib.request
    log = os.path.join(REGISTRY_DIRS[registry], "registry.log")
    ref = "%s/dgabsent-%s:1" % (registry, unique("r"))
    before = engine_images(engine)
    msg = refused(gw, {"Dockerfile": b"FROM %s\nRUN true\n" % ref.encode()}, "NOT_FOUND",
                  tag=unique("absent"))
    assert ref in msg and "line 1" in msg, msg
    # the registry logs every request: a probe after the build shows up, the
    # build's image never does
    probe = unique("probe")
    try:
        urllib.request.urlopen("http://%s/v2/%s/manifests/x" % (registry, probe), timeout=5)
    except OSError:
        pass
    wait_for(lambda: probe in open(log).read(), timeout=10, what="the probe in the log")
    text = open(log).read()
    assert ref.split("/", 1)[1].split(":")[0] not in text, text[-2000:]
    assert engine_images(engine) == before


def raw_tar(*members):
    """A tar of (TarInfo, data) members, GNU format (sizes over 8 GiB)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for ti, data in members:
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def test_device_nodes_refused(gw, engine):
    for kind in (tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE):
        dev = tarfile.TarInfo("dev/thing")
        dev.type, dev.devmajor, dev.devminor = kind, 1, 3
        df = tarfile.TarInfo("Dockerfile")
        df.size = len(b"FROM dgtest:latest\n")
        data = raw_tar((df, b"FROM dgtest:latest\n"), (dev, None))
        with gw.peer() as p:
            out, err, end, s = rawpeer.run(p, "docker/image/build", {"tag": unique("dev")},
                                           data)
            s.close()
        assert end["type"] == "error" and end["code"] == "FORBIDDEN", end
        assert "device nodes" in end["message"], end


def test_ten_gib_entry_refused_at_its_header(gw, engine):
    """A 10 GiB entry is refused by its header's size: no 10 GiB is sent or written."""
    big = tarfile.TarInfo("big")
    big.size = 10 << 30
    header = big.tobuf(tarfile.GNU_FORMAT)
    p = gw.peer()
    t0 = time.monotonic()
    try:
        s = rawpeer.RawSession(p, "docker/image/build", {"tag": unique("big")}, timeout=20)
        s.stdin(header + b"\0" * 65536)  # the header, then the first 64 KiB of its data
        _, _, end = s.finish(20)
    finally:
        p.close()
    assert end["type"] == "error" and end["code"] == "FORBIDDEN", end
    assert "build.maxContextBytes" in end["message"] and "big" in end["message"], end
    assert time.monotonic() - t0 < 10


def test_sparse_file_refused(gw, engine, tmp_path):
    import subprocess
    d = tmp_path / "ctx"
    d.mkdir()
    (d / "Dockerfile").write_bytes(b"FROM dgtest:latest\nCOPY sparse /sparse\n")
    with open(d / "sparse", "wb") as f:
        f.truncate(10 << 30)  # 10 GiB of holes: no disk used
    for fmt in ("gnu", "posix"):
        data = subprocess.run(["tar", "-C", str(d), "-c", "-S", "--format", fmt,
                               "Dockerfile", "sparse"], check=True,
                              capture_output=True, timeout=60).stdout
        assert len(data) < 1 << 20
        with gw.peer() as p:
            out, err, end, s = rawpeer.run(p, "docker/image/build", {"tag": unique("sp")},
                                           data)
            s.close()
        assert end["type"] == "error" and end["code"] == "INVALID_INPUT", end
        assert "sparse" in end["message"], end


def test_native_other_tenant_finds_nothing_of_a_built_image(gw, images, engine):
    name = unique("nat")
    out, end = build(gw, {"Dockerfile": b"FROM dgtest:latest\nRUN echo n > /n\n"}, tag=name)
    assert end["type"] == "exit", (out[-300:], end)
    ref = "alpha/%s:latest" % name
    images.append(ref)
    iid = end["imageId"]
    with gw.peer() as p:
        assert ref in [t for i in p.call("docker/image/list", {}) for t in i["repoTags"]]
        assert p.call("docker/image/inspect", {"image": iid})["Id"] == iid
        p.call("docker/image/tag", {"image": ref, "repo": "alpha/%s-t" % name})
        images.append("alpha/%s-t:latest" % name)
    with gw.peer(uid=BETA_UID) as q:
        listed = q.call("docker/image/list", {})
        assert iid not in [i["imageId"] for i in listed], listed
        for op, inp in (("docker/image/inspect", {"image": ref}),
                        ("docker/image/inspect", {"image": iid}),
                        ("docker/image/inspect", {"image": "docker.io/" + ref}),
                        ("docker/image/tag", {"image": iid, "repo": "beta/x"}),
                        ("docker/image/tag", {"image": ref, "repo": "beta/x"})):
            e = pytest.raises(CallError, q.call, op, inp)
            assert e.value.code == "NOT_FOUND" and "no such image" in str(e.value), (op, e.value)
    assert "beta/x:latest" not in engine_images(engine)
