"""Every JSON-carriage query and mutation of PROTOCOL.md section 5, through
the gateway, against the private engine: what the peer gets back, what the
engine really did (read on the engine directly), and the error paths.

One gateway serves the whole module (shared_gateway): that it is still
healthy at the end is part of the proof.
"""

import time

import pytest

from conftest import (BETA_UID, PODMAN, create_container, on_engine, records_by_stream,
                      run_container, tmpfs_of, unique, wait_for)

IMAGE = "dgtest:latest"


@pytest.fixture
def alpha(shared_gateway):
    p = shared_gateway.peer()
    yield p
    p.close()


@pytest.fixture
def beta(shared_gateway):
    p = shared_gateway.peer(uid=BETA_UID)
    yield p
    p.close()


def expect_error(p, op, inp, code):
    e = p.error(op, inp, timeout=30)
    assert e.code == code, "%s %r: %s: %s" % (op, inp, e.code, e.message)
    return e


def wait_exit(p, cid, **extra):
    inp = {"containerId": cid}
    inp.update(extra)
    out = p.call("docker/container/wait", inp, timeout=60)
    assert set(out) == {"exitCode", "oomKilled", "error", "startedAt", "finishedAt"}, out
    return out


def logs(p, cid, **inp):
    inp["containerId"] = cid
    recs, end = p.subscribe("docker/container/logs", inp, timeout=30)
    assert end["type"] == "call.completed", end
    return recs


def output_of(p, cid):
    """stdout of a container that has exited, as text."""
    return records_by_stream(logs(p, cid))["stdout"].decode()


def wait_ready(p, cid):
    """Until the container has printed "ready" (its signal handler is in place)."""
    wait_for(lambda: "ready" in records_by_stream(logs(p, cid))["stdout"].decode(),
             timeout=10, step=0.05, what="the container to be ready")


def state(engine, cid):
    return engine.inspect(cid)["State"]


# -- create, field by field --------------------------------------------------

def test_create_every_field(alpha, engine):
    name = unique()
    out = alpha.call("docker/container/create", {
        "image": IMAGE, "name": name,
        "entrypoint": ["sh", "-c"],
        "cmd": ['echo "$GREETING $(id -u):$(id -g) $(pwd)"; echo x > /scratch/f && '
                'cat /scratch/f; touch /rootfile 2>/dev/null || echo ro'],
        "env": ["GREETING=hello", "EMPTY="],
        "labels": {"purpose": "fields", "team": "a"},
        "workingDir": "/tmp",
        "user": "65534:65534",
        "limits": {"memoryBytes": 64 << 20, "nanoCpus": 500000000, "pidsLimit": 50},
        "readOnlyRootfs": True,
        "tmpfs": {"/scratch": "size=1m,mode=1777"},
        "restartPolicy": "on-failure:2",
    })
    assert set(out) == {"containerId", "name", "warnings", "ports"} and out["ports"] == {}, out
    assert out["name"] == name and isinstance(out["warnings"], list), out
    doc = engine.inspect(out["containerId"])
    cfg, hc = doc["Config"], doc["HostConfig"]
    assert cfg["Entrypoint"] == ["sh", "-c"]
    assert cfg["Cmd"][0].startswith('echo "$GREETING')
    assert "GREETING=hello" in cfg["Env"] and "EMPTY=" in cfg["Env"], cfg["Env"]
    assert cfg["Labels"]["purpose"] == "fields" and cfg["Labels"]["team"] == "a"
    assert cfg["Labels"]["dockgate.owner"] == "alpha"
    assert cfg["WorkingDir"] == "/tmp"
    assert cfg["User"] == "65534:65534"
    assert cfg["Tty"] is False and cfg["OpenStdin"] is False
    assert hc["Memory"] == 64 << 20 and hc["NanoCpus"] == 500000000
    assert hc["PidsLimit"] == 50
    assert hc["ReadonlyRootfs"] is True
    assert tmpfs_of(hc) == {"/scratch": "size=1m,mode=1777"}, hc["Tmpfs"]
    assert hc["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}

    # And the container behaves as asked.
    cid = out["containerId"]
    assert alpha.call("docker/container/start", {"containerId": cid}) == {}
    assert wait_exit(alpha, cid)["exitCode"] == 0
    assert output_of(alpha, cid) == "hello 65534:65534 /tmp\nx\nro\n"


def test_create_tty_and_open_stdin(alpha, engine):
    cid = create_container(alpha, ["sh", "-c", "printf 'a\\nb\\n'"], tty=True, openStdin=True)
    cfg = engine.inspect(cid)["Config"]
    assert cfg["Tty"] is True and cfg["OpenStdin"] is True
    assert cfg["StdinOnce"] is False
    alpha.call("docker/container/start", {"containerId": cid})
    wait_exit(alpha, cid)
    recs = logs(alpha, cid)
    assert all(r["stream"] == "stdout" for r in recs), recs
    # A TTY turns "\n" into "\r\n"; everything is stdout.
    assert records_by_stream(recs)["stdout"] == b"a\r\nb\r\n"


def test_create_defaults(alpha, engine):
    """Without a name the gateway picks one; the fields left out take safe defaults."""
    out = alpha.call("docker/container/create", {"image": IMAGE, "cmd": ["true"]})
    assert out["name"], out
    doc = engine.inspect(out["containerId"])
    hc = doc["HostConfig"]
    assert hc["NetworkMode"] == "none" and hc["ReadonlyRootfs"] is False
    assert hc["RestartPolicy"]["Name"] in ("", "no"), hc["RestartPolicy"]
    assert hc["Memory"] > 0 and hc["NanoCpus"] > 0 and hc["PidsLimit"] > 0


@pytest.mark.parametrize("extra, code", [
    ({"env": ["NOEQUALS"]}, "INVALID_INPUT"),
    ({"env": ["=value"]}, "INVALID_INPUT"),
    ({"env": "A=1"}, "INVALID_INPUT"),
    ({"cmd": "echo hi"}, "INVALID_INPUT"),
    ({"cmd": [1, 2]}, "INVALID_INPUT"),
    ({"labels": {"k": 1}}, "INVALID_INPUT"),
    ({"labels": {"dockgate.owner": "beta"}}, "FORBIDDEN"),
    ({"labels": {"dockgate.owner.x": "y"}}, "FORBIDDEN"),
    ({"tty": "yes"}, "INVALID_INPUT"),
    ({"name": "../etc"}, "INVALID_INPUT"),
    ({"name": "-lead"}, "INVALID_INPUT"),
    ({"limits": {"memoryBytes": 1024}}, "INVALID_INPUT"),
    ({"limits": {"memoryBytes": 1 << 38}}, "FORBIDDEN"),
    ({"limits": {"cpuShares": 2}}, "INVALID_INPUT"),
    ({"tmpfs": {"relative": "size=1m"}}, "INVALID_INPUT"),
    ({"tmpfs": {"/t/../etc": ""}}, "INVALID_INPUT"),
    ({"tmpfs": {"/t": "suid"}}, "FORBIDDEN"),
    ({"volumes": {"/data": "/etc"}}, "FORBIDDEN"),
    ({"volumes": {"relative": "vol"}}, "INVALID_INPUT"),
    ({"volumes": {"/data": "vol:rx"}}, "INVALID_INPUT"),
    ({"restartPolicy": "sometimes"}, "INVALID_INPUT"),
    ({"restartPolicy": "always:3"}, "INVALID_INPUT"),
    ({"restartPolicy": "on-failure:x"}, "INVALID_INPUT"),
    ({"network": "host"}, "FORBIDDEN"),
    ({"network": "container:abc"}, "FORBIDDEN"),
    ({"privileged": True}, "INVALID_INPUT"),
    ({"HostConfig": {"Privileged": True}}, "INVALID_INPUT"),
])
def test_create_refused(alpha, engine, extra, code):
    inp = {"image": IMAGE, "name": unique()}
    inp.update(extra)
    before = engine.labelled()["containers"]
    expect_error(alpha, "docker/container/create", inp, code)
    assert engine.labelled()["containers"] == before, "a refused create made a container"


def test_create_missing_image_and_name_conflict(alpha):
    expect_error(alpha, "docker/container/create", {"image": "dgt-no-such-image:1"},
                 "NOT_FOUND")
    expect_error(alpha, "docker/container/create", {}, "INVALID_INPUT")
    # The engine's own refusal of the input (the image has no command).
    e = expect_error(alpha, "docker/container/create", {"image": IMAGE}, "INVALID_INPUT")
    assert "command" in e.message, e.message
    name = unique()
    create_container(alpha, ["true"], name=name)
    e = expect_error(alpha, "docker/container/create",
                     {"image": IMAGE, "name": name, "cmd": ["true"]}, "CONFLICT")
    assert name in e.message, e.message


def test_names_are_per_peer(alpha, beta):
    """Two peers may both use one name; neither sees the other's."""
    name = unique()
    a = create_container(alpha, ["true"], name=name)
    b = create_container(beta, ["true"], name=name)
    assert a != b
    assert alpha.call("docker/container/inspect", {"containerId": name})["Id"] == a
    assert beta.call("docker/container/inspect", {"containerId": name})["Id"] == b


# -- lifecycle ---------------------------------------------------------------

def test_start_stop_restart(alpha, engine):
    cid = create_container(alpha, ["sleep", "60"])
    assert alpha.call("docker/container/start", {"containerId": cid}) == {}
    # Already started: the engine's 304 is success.
    assert alpha.call("docker/container/start", {"containerId": cid}) == {}
    first = state(engine, cid)["StartedAt"]

    t = time.monotonic()
    assert alpha.call("docker/container/restart", {"containerId": cid, "timeoutSeconds": 0},
                      timeout=30) == {}
    st = state(engine, cid)
    assert st["Running"] is True and st["StartedAt"] != first, st

    # sleep as PID 1 ignores SIGTERM: the stop timeout ends in SIGKILL.
    assert alpha.call("docker/container/stop", {"containerId": cid, "timeoutSeconds": 1},
                      timeout=30) == {}
    assert time.monotonic() - t < 15
    st = state(engine, cid)
    assert st["Running"] is False and st["ExitCode"] == 137, st
    # Already stopped: 304, success.
    assert alpha.call("docker/container/stop", {"containerId": cid}) == {}
    w = wait_exit(alpha, cid)
    assert w["exitCode"] == 137 and w["oomKilled"] is False, w
    expect_error(alpha, "docker/container/stop", {"containerId": cid, "timeoutSeconds": -1},
                 "INVALID_INPUT")


def test_kill_signals(alpha, engine):
    cid = run_container(alpha, ["sleep", "60"])
    assert alpha.call("docker/container/kill", {"containerId": cid}) == {}
    w = wait_exit(alpha, cid)
    assert w["exitCode"] == 137, w  # SIGKILL by default
    assert isinstance(w["startedAt"], str) and isinstance(w["finishedAt"], str), w
    assert w["error"] is None, w
    # Killing a container that is not running is a conflict.
    expect_error(alpha, "docker/container/kill", {"containerId": cid}, "CONFLICT")

    # PID 1 only dies of signals it handles: this one exits 128+15, as
    # shells do for SIGTERM, and stop's SIGTERM reaches it first.
    trap = ["sh", "-c", "trap 'exit 143' TERM; echo ready; while :; do sleep 0.1; done"]
    cid = run_container(alpha, trap)
    wait_ready(alpha, cid)
    assert alpha.call("docker/container/kill", {"containerId": cid, "signal": "SIGTERM"}) == {}
    assert wait_exit(alpha, cid)["exitCode"] == 143
    cid = run_container(alpha, trap)
    wait_ready(alpha, cid)
    assert alpha.call("docker/container/stop", {"containerId": cid, "timeoutSeconds": 10},
                      timeout=30) == {}
    assert wait_exit(alpha, cid)["exitCode"] == 143

    cid = run_container(alpha, ["sleep", "60"])
    for bad in ("SIG KILL", "KILL;rm", ""):
        expect_error(alpha, "docker/container/kill", {"containerId": cid, "signal": bad},
                     "INVALID_INPUT")
    expect_error(alpha, "docker/container/kill", {"containerId": cid, "signal": "SIGNOPE"},
                 "INVALID_INPUT")
    assert alpha.call("docker/container/kill", {"containerId": cid, "signal": "9"}) == {}
    assert wait_exit(alpha, cid)["exitCode"] == 137


def test_pause_unpause(alpha, engine):
    cid = run_container(alpha, ["sleep", "60"])
    assert alpha.call("docker/container/pause", {"containerId": cid}) == {}
    assert state(engine, cid)["Paused"] is True
    expect_error(alpha, "docker/container/pause", {"containerId": cid}, "CONFLICT")
    assert alpha.call("docker/container/unpause", {"containerId": cid}) == {}
    assert state(engine, cid)["Paused"] is False
    expect_error(alpha, "docker/container/unpause", {"containerId": cid}, "CONFLICT")
    alpha.call("docker/container/kill", {"containerId": cid})
    wait_exit(alpha, cid)
    expect_error(alpha, "docker/container/pause", {"containerId": cid}, "CONFLICT")


def test_remove(alpha, engine):
    cid = run_container(alpha, ["sleep", "60"])
    expect_error(alpha, "docker/container/remove", {"containerId": cid}, "CONFLICT")
    assert engine.inspect(cid) is not None
    assert alpha.call("docker/container/remove", {"containerId": cid, "force": True}) == {}
    assert engine.inspect(cid) is None
    expect_error(alpha, "docker/container/remove", {"containerId": cid}, "NOT_FOUND")

    # removeVolumes removes anonymous volumes only: a named one stays.
    vol = alpha.call("docker/volume/create", {"name": unique("vol")})["volumeName"]
    cid = create_container(alpha, ["true"], volumes={"/data": vol})
    assert alpha.call("docker/container/remove",
                      {"containerId": cid, "removeVolumes": True}) == {}
    assert engine.inspect(cid) is None
    assert alpha.call("docker/volume/inspect", {"volumeName": vol})["Name"] in (
        vol, "alpha." + vol)
    alpha.call("docker/volume/remove", {"volumeName": vol})


def test_list(alpha, beta):
    running = run_container(alpha, ["sleep", "60"])
    stopped = create_container(alpha, ["true"])
    other = create_container(beta, ["true"])

    def ids(out):
        assert isinstance(out, list), out
        return [c["containerId"] for c in out]

    now = ids(alpha.call("docker/container/list", {}))
    assert running in now and stopped not in now and other not in now
    every = alpha.call("docker/container/list", {"all": True})
    assert running in ids(every) and stopped in ids(every) and other not in ids(every)
    item = [c for c in every if c["containerId"] == running][0]
    assert item["state"] == "running" and item["image"] == IMAGE, item
    assert item["labels"]["dockgate.owner"] == "alpha", item
    expect_error(alpha, "docker/container/list", {"all": "yes"}, "INVALID_INPUT")
    alpha.call("docker/container/remove", {"containerId": running, "force": True})


def test_inspect_and_top(alpha):
    cid = run_container(alpha, ["sleep", "60"])
    doc = alpha.call("docker/container/inspect", {"containerId": cid})
    assert doc["Id"] == cid and doc["State"]["Running"] is True
    top = alpha.call("docker/container/top", {"containerId": cid})
    assert set(top) == {"titles", "processes"}, top
    assert "PID" in top["titles"], top
    # ps -ef's CMD on dockerd, ps descriptors' COMMAND on Podman (docs/engines.md).
    cmd = "COMMAND" if PODMAN else "CMD"
    cmdcol = top["titles"].index(cmd) if cmd in top["titles"] else -1
    assert any("sleep" in p[cmdcol] for p in top["processes"]), top
    alpha.call("docker/container/kill", {"containerId": cid})
    wait_exit(alpha, cid)
    expect_error(alpha, "docker/container/top", {"containerId": cid}, "CONFLICT")


def test_wait(alpha):
    cid = run_container(alpha, ["sh", "-c", "sleep 0.3; exit 3"])
    w = wait_exit(alpha, cid)
    assert w["exitCode"] == 3 and w["oomKilled"] is False and w["error"] is None, w
    assert w["finishedAt"] >= w["startedAt"], w
    # A finished container answers at once with the same exit.
    assert wait_exit(alpha, cid)["exitCode"] == 3
    expect_error(alpha, "docker/container/wait", {"containerId": cid, "condition": "soon"},
                 "INVALID_INPUT")
    # next-exit waits for the next run.
    alpha.call("docker/container/start", {"containerId": cid})
    assert wait_exit(alpha, cid, condition="next-exit")["exitCode"] == 3


def test_wait_oom_killed(alpha):
    on_engine("podman", "Podman 4.3 with conmon 2.1.6 reports OOMKilled false (exit 137): "
                        "conmon writes its oom marker into the service's working directory, "
                        "not the container's bundle where Podman reads it")
    cid = run_container(alpha, ["sh", "-c", "x=$(head -c 100000000 /dev/zero | tr '\\0' a); "
                                            "echo survived"],
                        limits={"memoryBytes": 8 << 20})
    w = wait_exit(alpha, cid)
    assert w["oomKilled"] is True, w
    assert w["exitCode"] != 0, w


def test_resize(alpha):
    cid = run_container(alpha, ["sleep", "60"], tty=True)
    assert alpha.call("docker/container/resize",
                      {"containerId": cid, "rows": 40, "cols": 120}) == {}
    for bad in ({"rows": 0, "cols": 80}, {"rows": 24}, {"rows": 24, "cols": "80"}):
        inp = {"containerId": cid}
        inp.update(bad)
        expect_error(alpha, "docker/container/resize", inp, "INVALID_INPUT")
    alpha.call("docker/container/remove", {"containerId": cid, "force": True})


# -- logs ----------------------------------------------------------------------

def test_logs_options(alpha):
    cid = run_container(alpha, ["sh", "-c", "echo o1; echo e1 >&2; echo o2; echo e2 >&2; "
                                            "echo o3"])
    wait_exit(alpha, cid)
    both = records_by_stream(logs(alpha, cid))
    assert both == {"stdout": b"o1\no2\no3\n", "stderr": b"e1\ne2\n"}, both
    assert records_by_stream(logs(alpha, cid, stderr=False)) == {
        "stdout": b"o1\no2\no3\n", "stderr": b""}
    assert records_by_stream(logs(alpha, cid, stdout=False)) == {
        "stdout": b"", "stderr": b"e1\ne2\n"}
    assert len(logs(alpha, cid, tail="all")) == 5
    assert logs(alpha, cid, tail="0") == []
    # (The engine stores the two streams each in its order, not interleaved
    # exactly as written: tail is checked on one stream.)
    one = run_container(alpha, ["sh", "-c", "for i in 1 2 3 4 5; do echo $i; done"])
    wait_exit(alpha, one)
    assert [r["text"] for r in logs(alpha, one, tail="2")] == ["4\n", "5\n"]
    for r in logs(alpha, cid, timestamps=True):
        assert set(r) == {"stream", "text", "timestamp"}, r
        assert r["timestamp"].endswith("Z") and r["timestamp"][:2] == "20", r
        assert not r["text"][:1].isdigit(), "timestamp left in the text: %r" % r
    for r in logs(alpha, cid):
        assert "timestamp" not in r
    assert logs(alpha, cid, since=int(time.time()) + 3600) == []
    for bad in ({"stdout": False, "stderr": False}, {"tail": "last"}, {"tail": 2},
                {"since": "yesterday"},
                {"follow": 1}):
        inp = {"containerId": cid}
        inp.update(bad)
        expect_error(alpha, "docker/container/logs", inp, "INVALID_INPUT")


def unix_ts(rfc3339):
    """Seconds since the epoch of the engine's RFC 3339 nanosecond timestamp."""
    import datetime
    base, _, frac = rfc3339.rstrip("Z").partition(".")
    t = datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S")
    t = t.replace(tzinfo=datetime.timezone.utc)
    return t.timestamp() + (float("0." + frac) if frac else 0.0)


def test_logs_since(alpha):
    cid = run_container(alpha, ["sh", "-c", "echo early; sleep 1.5; echo late"])
    wait_exit(alpha, cid)
    recs = logs(alpha, cid, timestamps=True)
    assert [r["text"] for r in recs] == ["early\n", "late\n"], recs
    since = int(unix_ts(recs[1]["timestamp"]))
    assert since > unix_ts(recs[0]["timestamp"])
    assert [r["text"] for r in logs(alpha, cid, since=since)] == ["late\n"]


def test_logs_follow_until_exit(alpha):
    cid = run_container(alpha, ["sh", "-c", "for i in 1 2 3; do echo $i; sleep 0.3; done"])
    t = time.monotonic()
    recs = logs(alpha, cid, follow=True)
    assert records_by_stream(recs)["stdout"] == b"1\n2\n3\n"
    assert time.monotonic() - t < 10
    # A follow of a finished container gives what there was, then completes.
    assert records_by_stream(logs(alpha, cid, follow=True))["stdout"] == b"1\n2\n3\n"


# -- images --------------------------------------------------------------------

IMAGE_ADMIN_POLICY = {
    "peers": {
        "alpha": {"uids": [0], "operations": ["docker/*"]},
        "beta": {"uids": [BETA_UID]},
    }
}


def test_image_list_and_inspect(alpha):
    imgs = alpha.call("docker/image/list")
    assert isinstance(imgs, list)
    mine = [i for i in imgs if IMAGE in i["repoTags"]]
    assert len(mine) == 1, imgs
    assert set(mine[0]) >= {"imageId", "repoTags", "repoDigests", "created", "size"}, mine
    doc = alpha.call("docker/image/inspect", {"image": IMAGE})
    assert doc["Id"] == mine[0]["imageId"]
    assert alpha.call("docker/image/inspect", {"image": doc["Id"]})["Id"] == doc["Id"]
    expect_error(alpha, "docker/image/inspect", {"image": "dgt-no-such:1"}, "NOT_FOUND")
    for bad in ("../containers/x", "a b", "/abs", "x?y=1", ""):
        expect_error(alpha, "docker/image/inspect", {"image": bad}, "INVALID_INPUT")


def test_image_remove(make_gateway, engine, shared_gateway):
    # Not among an ordinary peer's operations.
    p = shared_gateway.peer()
    expect_error(p, "docker/image/remove", {"image": IMAGE}, "FORBIDDEN")
    p.close()

    gw = make_gateway(policy=IMAGE_ADMIN_POLICY)
    p = gw.peer()
    repo = unique("dgt-img")
    engine.ok("POST", "/images/%s/tag?repo=%s&tag=1" % (IMAGE, repo))
    try:
        out = p.call("docker/image/remove", {"image": repo + ":1"})
        assert {"untagged": repo + ":1"} in out, out
        assert engine.http("GET", "/images/%s:1/json" % repo)[0] == 404
        assert engine.http("GET", "/images/%s/json" % IMAGE)[0] == 200
        expect_error(p, "docker/image/remove", {"image": repo + ":1"}, "NOT_FOUND")

        # An image a container uses cannot go without force.
        cid = create_container(p, ["true"])
        base = engine.inspect(cid)["Image"]
        status, _ = engine.http("POST", "/commit?container=%s&repo=%s&tag=2" % (cid, repo),
                                body={})  # Podman refuses a commit without a body
        assert status == 201
        user = create_container(p, ["true"], image=repo + ":2")
        e = expect_error(p, "docker/image/remove", {"image": repo + ":2"}, "CONFLICT")
        assert user not in e.message  # the engine's text names the container: not relayed
        p.call("docker/container/remove", {"containerId": user})
        out = p.call("docker/image/remove", {"image": repo + ":2"})
        assert {"untagged": repo + ":2"} in out, out
        assert any("deleted" in o for o in out), out
        assert engine.http("GET", "/images/%s/json" % base)[0] == 200
    finally:
        for tag in ("1", "2"):
            engine.http("DELETE", "/images/%s:%s?force=1" % (repo, tag))
        p.close()


# -- networks --------------------------------------------------------------------

def test_network_lifecycle(alpha, beta, engine):
    name = unique("net")
    out = alpha.call("docker/network/create", {"name": name, "internal": True})
    assert set(out) == {"networkId"}, out
    nid = out["networkId"]
    status, doc = engine.http("GET", "/networks/" + nid)
    assert status == 200 and doc["Labels"]["dockgate.owner"] == "alpha", doc
    assert doc["Internal"] is True and doc["Driver"] == "bridge"

    listed = alpha.call("docker/network/list")
    assert nid in [n["networkId"] for n in listed], listed
    assert nid not in [n["networkId"] for n in beta.call("docker/network/list")]
    ins = alpha.call("docker/network/inspect", {"networkId": name})
    assert ins["Id"] == nid
    assert alpha.call("docker/network/inspect", {"networkId": nid[:12]})["Id"] == nid
    expect_error(beta, "docker/network/inspect", {"networkId": nid}, "NOT_FOUND")
    expect_error(beta, "docker/network/remove", {"networkId": nid}, "NOT_FOUND")

    expect_error(alpha, "docker/network/create", {"name": name}, "CONFLICT")
    for bad in ({"name": "a b"}, {"name": ""}, {}, {"name": "x", "driver": "host"}):
        expect_error(alpha, "docker/network/create", bad, "INVALID_INPUT")

    assert alpha.call("docker/network/remove", {"networkId": name}) == {}
    assert engine.http("GET", "/networks/" + nid)[0] == 404
    expect_error(alpha, "docker/network/remove", {"networkId": name}, "NOT_FOUND")
    expect_error(alpha, "docker/network/inspect", {"networkId": "bridge"}, "NOT_FOUND")


def test_network_connect_disconnect(alpha, beta, engine):
    a = alpha.call("docker/network/create", {"name": unique("neta")})["networkId"]
    b = alpha.call("docker/network/create", {"name": unique("netb")})["networkId"]
    cid = create_container(alpha, ["sleep", "60"], network=a)
    if PODMAN:
        # Podman reports NetworkMode "bridge" for any network of its own (docs/engines.md).
        assert engine_net_name(engine, a) in engine.inspect(cid)["NetworkSettings"]["Networks"]
    else:
        assert engine.inspect(cid)["HostConfig"]["NetworkMode"] == a

    assert alpha.call("docker/network/connect", {"networkId": b, "containerId": cid}) == {}
    nets = engine.inspect(cid)["NetworkSettings"]["Networks"]
    assert set(nets) >= {engine_net_name(engine, a), engine_net_name(engine, b)}, nets
    assert alpha.call("docker/network/disconnect", {"networkId": b, "containerId": cid}) == {}
    nets = engine.inspect(cid)["NetworkSettings"]["Networks"]
    assert engine_net_name(engine, b) not in nets, nets

    # Both ends must be the peer's own.
    other = create_container(beta, ["true"])
    expect_error(alpha, "docker/network/connect", {"networkId": b, "containerId": other},
                 "NOT_FOUND")
    expect_error(beta, "docker/network/connect", {"networkId": b, "containerId": other},
                 "NOT_FOUND")
    expect_error(alpha, "docker/network/connect", {"networkId": b}, "INVALID_INPUT")

    # A network in use cannot be removed.
    alpha.call("docker/container/start", {"containerId": cid})
    expect_error(alpha, "docker/network/remove", {"networkId": a}, "CONFLICT")
    alpha.call("docker/container/remove", {"containerId": cid, "force": True})
    assert alpha.call("docker/network/remove", {"networkId": a}) == {}
    assert alpha.call("docker/network/remove", {"networkId": b}) == {}


def engine_net_name(engine, nid):
    return engine.http("GET", "/networks/" + nid)[1]["Name"]


def test_create_on_networks(alpha, beta):
    mine = alpha.call("docker/network/create", {"name": unique("net")})["networkId"]
    theirs = beta.call("docker/network/create", {"name": unique("net")})["networkId"]
    expect_error(alpha, "docker/container/create",
                 {"image": IMAGE, "network": theirs}, "NOT_FOUND")
    expect_error(alpha, "docker/container/create",
                 {"image": IMAGE, "network": "dgt-no-such-net"}, "NOT_FOUND")
    expect_error(alpha, "docker/container/create",
                 {"image": IMAGE, "network": "bridge"}, "FORBIDDEN")
    cid = create_container(alpha, ["true"], network=mine)
    assert alpha.call("docker/container/inspect", {"containerId": cid})
    create_container(alpha, ["true"], network="none")


# -- volumes ------------------------------------------------------------------

def test_volume_lifecycle(alpha, beta, engine):
    name = unique("vol")
    out = alpha.call("docker/volume/create", {"name": name})
    assert out == {"volumeName": name}, out
    vols = engine.labelled()["volumes"]
    engine_name = [v for v in vols if v.endswith(name)]
    assert len(engine_name) == 1, vols

    listed = alpha.call("docker/volume/list")
    assert name in [v["volumeName"] for v in listed], listed
    assert name not in [v["volumeName"] for v in beta.call("docker/volume/list")]
    ins = alpha.call("docker/volume/inspect", {"volumeName": name})
    assert "Mountpoint" not in ins or not ins["Mountpoint"].startswith("/"), ins
    expect_error(beta, "docker/volume/inspect", {"volumeName": name}, "NOT_FOUND")
    expect_error(beta, "docker/volume/remove", {"volumeName": name}, "NOT_FOUND")
    # Names are per peer: beta may have one called the same.
    assert beta.call("docker/volume/create", {"name": name}) == {"volumeName": name}
    beta.call("docker/volume/remove", {"volumeName": name})

    unnamed = alpha.call("docker/volume/create", {})["volumeName"]
    assert unnamed and unnamed in [v["volumeName"] for v in alpha.call("docker/volume/list")]
    alpha.call("docker/volume/remove", {"volumeName": unnamed})

    for bad in ({"name": "a/b"}, {"name": "x"}, {"name": "v", "driverOpts": {"o": "bind"}}):
        expect_error(alpha, "docker/volume/create", bad, "INVALID_INPUT")

    # In use by a container: CONFLICT, unless forced... and force does not
    # remove a volume in use either (the engine's rule).
    cid = create_container(alpha, ["true"], volumes={"/data": name})
    expect_error(alpha, "docker/volume/remove", {"volumeName": name}, "CONFLICT")
    alpha.call("docker/container/remove", {"containerId": cid})
    assert alpha.call("docker/volume/remove", {"volumeName": name, "force": True}) == {}
    expect_error(alpha, "docker/volume/remove", {"volumeName": name}, "NOT_FOUND")


def test_volumes_in_containers(alpha, shared_gateway):
    vol = alpha.call("docker/volume/create", {"name": unique("vol")})["volumeName"]
    w = run_container(alpha, ["sh", "-c", "echo shared > /data/f"], volumes={"/data": vol})
    assert wait_exit(alpha, w)["exitCode"] == 0
    r = run_container(alpha, ["sh", "-c", "cat /data/f; echo no >> /data/f || echo ro"],
                      volumes={"/data": vol + ":ro"})
    wait_exit(alpha, r)
    assert output_of(alpha, r).startswith("shared\n")
    assert output_of(alpha, r).endswith("ro\n")
    # Beta's stream opens now: one idle through the steps above would pass the
    # gateway's first-call deadline (firstCallSeconds, 10 s by default).
    with shared_gateway.peer(uid=BETA_UID) as beta:
        theirs = beta.call("docker/volume/create", {"name": unique("vol")})["volumeName"]
    expect_error(alpha, "docker/container/create",
                 {"image": IMAGE, "volumes": {"/data": theirs}}, "NOT_FOUND")


# -- errors common to every operation on a container ------------------------------

CONTAINER_OPS = [
    ("docker/container/start", {}),
    ("docker/container/stop", {}),
    ("docker/container/restart", {}),
    ("docker/container/kill", {}),
    ("docker/container/pause", {}),
    ("docker/container/unpause", {}),
    ("docker/container/remove", {}),
    ("docker/container/inspect", {}),
    ("docker/container/top", {}),
    ("docker/container/wait", {}),
    ("docker/container/resize", {"rows": 10, "cols": 10}),
]


def test_container_ops_not_found_and_invalid(alpha, beta):
    theirs = create_container(beta, ["sleep", "60"])
    for op, extra in CONTAINER_OPS:
        for ref in (unique("dgt-missing"), "f" * 64, theirs, theirs[:12]):
            inp = {"containerId": ref}
            inp.update(extra)
            expect_error(alpha, op, inp, "NOT_FOUND")
        inp = {"containerId": "../x"}
        inp.update(extra)
        e = alpha.error(op, inp)
        assert e.code in ("NOT_FOUND", "INVALID_INPUT"), (op, e)
        inp = dict(extra)
        expect_error(alpha, op, inp, "INVALID_INPUT")  # containerId missing
        inp = {"containerId": "x", "bogus": 1}
        inp.update(extra)
        expect_error(alpha, op, inp, "INVALID_INPUT")


def test_gateway_still_serves(alpha):
    """Last in the module: the shared gateway survived everything above."""
    assert alpha.call("docker/system/ping") == {"ok": True}
