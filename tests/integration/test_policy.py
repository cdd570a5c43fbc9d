"""The policy: hardened creates, quotas, the call rate, reloads, --check-policy.

Invariants 5 and 6: whatever a peer asks for, the engine gets a confined
container within the peer's ceilings; quotas are read from the engine (a
restart of dockgated resets nothing); a reload changes a live stream's
rights at its next call, and a bad file changes nothing.
"""

import json
import os
import secrets
import signal
import subprocess
import time

import pytest

from conftest import (PODMAN, binary, caps_kept, cgroupns_of, create_container, runtime_of,
                      unique, wait_for)
from peer import CallError

MIB = 1 << 20
# Peer names of this run only: quotas count what the peer owns on the engine.
HP = "hard-" + secrets.token_hex(3)
QP = "quota-" + secrets.token_hex(3)
HARD = {
    "peers": {
        HP: {
            "uids": [0],
            "images": ["dgtest:*"],
            "container": {
                "defaults": {"memoryBytes": "64MiB", "nanoCpus": 250000000, "pidsLimit": 32},
                "ceilings": {"memoryBytes": "128MiB", "nanoCpus": 500000000, "pidsLimit": 64},
                "capabilities": ["CHOWN", "CAP_SETUID"],
                "runtime": "runc",
                "forceReadOnlyRootfs": True,
                "refuseRoot": True,
            },
        },
        "beta": {"uids": [1001]},
    }
}
USER = "1000:1000"


def create_input(**kw):
    inp = {"image": "dgtest:latest", "name": unique(), "cmd": ["true"], "user": USER}
    inp.update(kw)
    return inp


def reload(gw, policy, expect):
    """Writes policy (a dict, or text), sends SIGHUP, waits for the log line expect."""
    off = gw.log_size()
    with open(gw.policy_path, "w") as f:
        f.write(policy if isinstance(policy, str) else json.dumps(policy))
    os.kill(gw.pid, signal.SIGHUP)
    return gw.wait_log(expect, off)


@pytest.fixture
def hard(make_gateway):
    return make_gateway(policy=HARD)


# -- hardened create -------------------------------------------------------

def test_always_set(hard, engine):
    with hard.peer() as p:
        cid = p.call("docker/container/create", create_input())["containerId"]
    hc = engine.inspect(cid)["HostConfig"]
    assert hc["Memory"] == 64 * MIB and hc["MemorySwap"] == 64 * MIB, hc["Memory"]
    assert hc["NanoCpus"] == 250000000 and hc["PidsLimit"] == 32
    assert caps_kept(hc) == {"CHOWN", "SETUID"}, (hc["CapDrop"], hc["CapAdd"])
    assert "no-new-privileges" in " ".join(hc["SecurityOpt"]), hc["SecurityOpt"]
    assert hc["Privileged"] is False and hc["ReadonlyRootfs"] is True
    assert runtime_of(engine, cid) == "runc"
    # Podman shows "shareable" for a private IPC namespace, yet refuses
    # another container's IpcMode "container:<it>" (docs/engines.md).
    assert hc["NetworkMode"] == "none"
    assert hc["IpcMode"] in (("private", "shareable") if PODMAN else ("private",)), hc
    own = ("", "private") if PODMAN else ("",)  # Podman names its default: "private"
    assert hc["PidMode"] in own and hc["UTSMode"] in own and hc["UsernsMode"] == "", hc
    assert not hc.get("Devices") and not hc.get("Binds") and not hc.get("Sysctls")
    assert cgroupns_of(engine, cid) == "private"


def test_a_runtime_the_engine_does_not_run_is_refused(make_gateway, engine):
    """A forced runtime holds or the create fails, and leaves no container:
    dockerd refuses an unknown runtime; Podman's compat create would ignore
    it and run runc, so the gateway checks what it got (docs/engines.md)."""
    pol = json.loads(json.dumps(HARD))
    pol["peers"][HP]["container"]["runtime"] = "dgnosuch"
    gw = make_gateway(policy=pol)
    with gw.peer() as p:
        name = unique()
        e = p.error("docker/container/create", create_input(name=name))
        assert e.code in ("INVALID_INPUT", "DOCKER_ERROR") and "dgnosuch" in e.message, e
        assert p.call("docker/container/list", {"all": True, "filters": ["name=" + name]}) == []


def test_limits_within_ceilings(hard, engine):
    with hard.peer() as p:
        cid = p.call("docker/container/create", create_input(
            limits={"memoryBytes": 128 * MIB, "nanoCpus": 500000000, "pidsLimit": 64}))[
                "containerId"]
        hc = engine.inspect(cid)["HostConfig"]
        assert (hc["Memory"], hc["NanoCpus"], hc["PidsLimit"]) == (128 * MIB, 500000000, 64)
        for key, val in (("memoryBytes", 128 * MIB + 1), ("nanoCpus", 500000001),
                         ("pidsLimit", 65)):
            e = p.error("docker/container/create", create_input(limits={key: val}))
            assert e.code == "FORBIDDEN" and "ceiling" in e.message, e


ROOTS = ["0", "00", "000", "root", "0:0", "root:root", "0:1000", "1000:0", "00:00",
         "toor", "1000:root", "", None]


@pytest.mark.parametrize("user", ROOTS)
def test_refuse_root(hard, engine, user):
    inp = create_input()
    if user is None:
        del inp["user"]
    else:
        inp["user"] = user
    with hard.peer() as p:
        e = p.error("docker/container/create", inp)
        assert e.code in ("FORBIDDEN", "INVALID_INPUT"), e
        assert engine.inspect(HP + "." + inp["name"]) is None
        assert p.call("docker/system/ping") == {"ok": True}


REFUSED = [
    # (extra input, expected code); unknown fields are INVALID_INPUT by PROTOCOL.md 4.
    ({"privileged": True}, "INVALID_INPUT"),
    ({"capAdd": ["SYS_ADMIN"]}, "FORBIDDEN"),  # a known input, outside the policy
    ({"devices": ["/dev/sda"]}, "INVALID_INPUT"),
    ({"sysctls": {"net.ipv4.ip_forward": "1"}}, "INVALID_INPUT"),
    ({"securityOpt": ["seccomp=unconfined"]}, "INVALID_INPUT"),
    ({"pidMode": "host"}, "INVALID_INPUT"),
    ({"ipcMode": "host"}, "INVALID_INPUT"),
    ({"usernsMode": "host"}, "INVALID_INPUT"),
    ({"binds": ["/:/host"]}, "INVALID_INPUT"),
    ({"HostConfig": {"Privileged": True}}, "INVALID_INPUT"),
    ({"network": "host"}, "FORBIDDEN"),
    ({"network": "container:abc"}, "FORBIDDEN"),
    ({"network": "bridge"}, "FORBIDDEN"),
    ({"volumes": {"/host": "/etc"}}, "FORBIDDEN"),
    ({"volumes": {"/host": "/"}}, "FORBIDDEN"),
    ({"volumes": {"/host": "../etc"}}, "FORBIDDEN"),
    ({"volumes": {"/host": "./x"}}, "FORBIDDEN"),
    ({"labels": {"dockgate.owner": "beta"}}, "FORBIDDEN"),
    ({"labels": {"dockgate.owner.memory": "1"}}, "FORBIDDEN"),
    ({"image": "busybox:latest"}, "FORBIDDEN"),
    ({"image": "dgtest"}, None),  # allowed: matched as dgtest:latest
    ({"readOnlyRootfs": False}, "FORBIDDEN"),
    ({"tmpfs": {"/t": "suid"}}, "FORBIDDEN"),
    ({"tmpfs": {"/t": "exec,dev"}}, "FORBIDDEN"),
    ({"limits": {"memoryBytes": 1 << 40}}, "FORBIDDEN"),
]


@pytest.mark.parametrize("extra,code", REFUSED, ids=[json.dumps(r[0]) for r in REFUSED])
def test_refused_create_input(hard, engine, extra, code):
    inp = create_input(**extra)
    with hard.peer() as p:
        if code is None:
            assert p.call("docker/container/create", inp)["containerId"]
            return
        e = p.error("docker/container/create", inp)
        assert e.code == code, e
        assert e.retryable is False
        assert engine.inspect(HP + "." + inp["name"]) is None, "a refused create left a container"
        assert p.call("docker/system/ping") == {"ok": True}


def test_image_allowlist_on_pull(hard):
    with hard.peer() as p:
        e = p.error("docker/image/pull", {"image": "127.0.0.1:5000/evil", "tag": "1"})
        assert e.code == "FORBIDDEN", e


def test_exec_user_checked(hard):
    with hard.peer() as p:
        cid = p.call("docker/container/create", create_input(cmd=["sleep", "60"]))["containerId"]
        p.call("docker/container/start", {"containerId": cid})
        for user in ("0", "root", "0:0", "00", None):
            inp = {"containerId": cid, "cmd": ["id"]}
            if user is not None:
                inp["user"] = user
            e = p.error("docker/container/exec", inp)
            assert e.code == "FORBIDDEN", (user, e)
        records, end = p.subscribe("docker/container/exec",
                                   {"containerId": cid, "cmd": ["id", "-u"], "user": "1000"})
        assert end["type"] == "call.completed", end
        assert "1000" in json.dumps(records), records


# -- quotas ----------------------------------------------------------------

def quota_policy(**quotas):
    return {"peers": {
        QP: {"uids": [0], "quotas": quotas,
                  "container": {"defaults": {"memoryBytes": "64MiB", "nanoCpus": 100000000},
                                "ceilings": {"memoryBytes": "512MiB",
                                             "nanoCpus": 2000000000}}},
        "beta": {"uids": [1001]}}}


def test_quota_containers_survives_restart(make_gateway, engine):
    pol = quota_policy(containers=2)
    gw1 = make_gateway(policy=pol)
    with gw1.peer() as p:
        made = [create_container(p, ["true"]) for _ in range(2)]
        e = p.error("docker/container/create", create_input())
        assert e.code == "QUOTA_EXCEEDED" and e.retryable is False, e
        assert e.details == {"quota": "containers", "limit": 2, "used": 2, "asked": 1}, e.details
        # Another peer is not affected.
        with gw1.peer(uid=1001) as b:
            create_container(b, ["true"])
    gw1.stop()
    # A new dockgated reads the usage from the engine: still full.
    gw2 = make_gateway(policy=pol)
    with gw2.peer() as p:
        assert p.error("docker/container/create", create_input()).code == "QUOTA_EXCEEDED"
        assert p.call("docker/container/remove", {"containerId": made[0]}) == {}
        create_container(p, ["true"])
        assert p.error("docker/container/create", create_input()).code == "QUOTA_EXCEEDED"


def test_quota_memory_and_cpus(make_gateway):
    gw = make_gateway(policy=quota_policy(memoryBytes="128MiB", nanoCpus=300000000))
    with gw.peer() as p:
        a = create_container(p, ["sleep", "60"])
        b = create_container(p, ["sleep", "60"])
        c = create_container(p, ["sleep", "60"])
        assert p.call("docker/container/start", {"containerId": a}) == {}
        assert p.call("docker/container/start", {"containerId": b}) == {}
        e = p.error("docker/container/start", {"containerId": c})
        assert e.code == "QUOTA_EXCEEDED", e
        assert e.details["quota"] == "memoryBytes" and e.details["used"] == 128 * MIB, e.details
        # Starting a live one again costs nothing; stopping one makes room.
        assert p.call("docker/container/start", {"containerId": a}) == {}
        assert p.call("docker/container/stop", {"containerId": b, "timeoutSeconds": 0}) == {}
        assert p.call("docker/container/start", {"containerId": c}) == {}
        # A container that could never start within the quota is refused at create.
        e = p.error("docker/container/create", create_input(limits={"memoryBytes": 256 * MIB}))
        assert e.code == "QUOTA_EXCEEDED" and e.details["quota"] == "memoryBytes", e
        # CPUs: with c stopped, 0.1 of 0.3 are live; a 0.25-CPU container does not fit.
        assert p.call("docker/container/stop", {"containerId": c, "timeoutSeconds": 0}) == {}
        d = create_container(p, ["sleep", "60"], limits={"nanoCpus": 250000000,
                                                         "memoryBytes": 16 * MIB})
        e = p.error("docker/container/start", {"containerId": d})
        assert e.code == "QUOTA_EXCEEDED" and e.details["quota"] == "nanoCpus", e


def test_quota_concurrent_creates_hold(make_gateway):
    """Creates racing on several streams cannot all pass the same check."""
    gw = make_gateway(policy=quota_policy(containers=3), pool=8)
    peers = [gw.peer() for _ in range(8)]
    try:
        for p in peers:
            p.request("docker/container/create", create_input(), id="race")
        codes = []
        for p in peers:
            fr = list(p.frames("race", timeout=30))
            codes.append(fr[-1]["payload"]["code"] if fr[-1]["type"] == "call.error" else "OK")
        assert codes.count("OK") == 3, codes
        assert set(codes) <= {"OK", "QUOTA_EXCEEDED"}, codes
    finally:
        for p in peers:
            p.close()


def test_quota_concurrent_starts_hold(make_gateway):
    """Starts racing on several streams: the live memory quota holds."""
    gw = make_gateway(policy=quota_policy(memoryBytes="128MiB"), pool=6)
    with gw.peer() as p:
        made = [create_container(p, ["sleep", "60"]) for _ in range(6)]
    peers = [gw.peer() for _ in made]
    try:
        for p, cid in zip(peers, made):
            p.request("docker/container/start", {"containerId": cid}, id="race")
        codes = []
        for p in peers:
            fr = list(p.frames("race", timeout=30))
            codes.append(fr[-1]["payload"]["code"] if fr[-1]["type"] == "call.error" else "OK")
        assert codes.count("OK") == 2, codes
        assert set(codes) <= {"OK", "QUOTA_EXCEEDED"}, codes
    finally:
        for p in peers:
            p.close()


def test_quota_streams(make_gateway):
    gw = make_gateway(policy=quota_policy(streams=2), pool=4)
    a, b = gw.peer(), gw.peer()
    assert a.call("docker/system/ping") == {"ok": True}
    assert b.call("docker/system/ping") == {"ok": True}
    with gw.peer() as c:
        # Refused at accept, by the supervisor: no worker, id "".
        c.request("docker/system/ping", id="third")
        frames = c.expect_eof(timeout=10)
        assert len(frames) == 1 and frames[0]["id"] == "", frames
        assert frames[0]["payload"]["code"] == "QUOTA_EXCEEDED", frames
        assert frames[0]["payload"]["details"] == {"quota": "streams", "limit": 2}, frames
    # Another peer has streams of its own.
    with gw.peer(uid=1001) as other:
        assert other.call("docker/system/ping") == {"ok": True}
    # A closed stream frees its place.
    a.close()

    def fourth_ok():
        with gw.peer() as d:
            try:
                return d.call("docker/system/ping") == {"ok": True}
            except CallError:
                return False
    wait_for(fourth_ok, timeout=10, what="a stream after one closed")
    b.close()


def test_rate_limited(make_gateway):
    gw = make_gateway(policy=quota_policy(callsPerSecond=2, burst=3))
    with gw.peer() as p:
        for _ in range(3):
            assert p.call("docker/system/ping") == {"ok": True}
        e = p.error("docker/system/ping")
        assert e.code == "RATE_LIMITED" and e.retryable is True, e
        wait = e.details["retryAfterMs"]
        assert isinstance(wait, int) and 0 < wait <= 500, e.details
        # The limit is the peer's: beta is not held back.
        with gw.peer(uid=1001) as b:
            for _ in range(5):
                assert b.call("docker/system/ping") == {"ok": True}
        time.sleep(wait / 1000.0 + 0.02)
        assert p.call("docker/system/ping") == {"ok": True}


# -- whoami ------------------------------------------------------------------

def test_whoami(hard):
    with hard.peer() as p:
        create_container(p, ["true"], user=USER)
        me = p.call("gateway/whoami")
    assert me["peer"] == HP and me["admin"] is False
    assert me["identity"] == {"transport": "unix", "uid": 0, "gid": 0}
    assert "docker/container/create" in me["operations"]
    assert "docker/image/remove" not in me["operations"]
    assert me["images"] == ["dgtest:*"]
    c = me["container"]
    assert c["defaults"]["memoryBytes"] == 64 * MIB and c["ceilings"]["memoryBytes"] == 128 * MIB
    assert c["refuseRoot"] is True and c["forceReadOnlyRootfs"] is True
    assert sorted(c["capabilities"]) == ["CHOWN", "SETUID"] and c["runtime"] == "runc"
    assert set(me["quotas"]) == {"containers", "memoryBytes", "nanoCpus", "streams",
                                 "callsPerSecond", "burst", "publishedPorts", "images",
                                 "imageBytes"}
    # What workloads may ask for beyond the limits: nothing that widens, by default.
    assert c["ports"] == {"hostAddresses": ["127.0.0.1"], "hostPortRanges": []}
    assert c["bindRoots"] == [] and c["allowedCapabilities"] == [] and c["runtimes"] == []
    assert c["ulimits"]["core"] == 0 and c["allowSwap"] is False
    assert me["usage"]["containers"] == 1 and me["usage"]["streams"] == 1, me["usage"]


# -- reload ------------------------------------------------------------------

def test_reload_narrows_live_stream(make_gateway):
    gw = make_gateway(policy={"peers": {"alpha": {"uids": [0]}, "beta": {"uids": [1001]}}})
    p = gw.peer()
    assert p.call("docker/container/list") is not None
    narrowed = {"peers": {"alpha": {"uids": [0], "operations": ["docker/system/*"]},
                          "beta": {"uids": [1001]}}}
    reload(gw, narrowed, r"policy reloaded")
    # The same stream, still open, at its next call.
    e = p.error("docker/container/list")
    assert e.code == "FORBIDDEN", e
    assert p.call("docker/system/ping") == {"ok": True}
    # Quotas too: a rate of one call per second.
    reload(gw, {"peers": {"alpha": {"uids": [0], "quotas": {"callsPerSecond": 1, "burst": 1}},
                          "beta": {"uids": [1001]}}}, r"policy reloaded")
    p.call("docker/system/ping")
    assert p.error("docker/system/ping").code == "RATE_LIMITED"
    # The uid given to nobody: the live stream is no longer anyone.
    reload(gw, {"peers": {"beta": {"uids": [1001]}}}, r"policy reloaded")
    e = p.error("docker/system/ping")
    assert e.code == "UNAUTHENTICATED", e
    p.close()


@pytest.mark.parametrize("bad,why", [
    ("{\"peers\": {\"alpha\": {\"uids\": [0]}", r"line \d+, column \d+"),
    ("{\"peers\": {\"alpha\": {\"uids\": [0], \"operatons\": []}}}",
     r'peers\.alpha\.operatons: unknown setting .*did you mean "operations"'),
    ("{\"peers\": {\"alpha\": {\"uids\": [0]}, \"beta\": {\"uids\": [0]}}}",
     r"uid 0 is also given to peer"),
    ("{\"peers\": {\"alpha\": {\"uids\": [0], \"quotas\": {\"streams\": -1}}}}",
     r"peers\.alpha\.quotas\.streams"),
])
def test_bad_reload_keeps_old(make_gateway, bad, why):
    gw = make_gateway(policy={"peers": {"alpha": {"uids": [0]}, "beta": {"uids": [1001]}}})
    p = gw.peer()
    m = reload(gw, bad, r"policy reload refused, the old policy stays in force: (.*)")
    assert __import__("re").search(why, m.group(1)), m.group(1)
    # The old policy works: on the live stream and on a new one.
    assert p.call("docker/container/list") is not None
    with gw.peer() as q:
        assert q.call("docker/container/list") is not None
    p.close()


# -- --check-policy ----------------------------------------------------------

def check(tmp_path, policy):
    path = tmp_path / "policy.json"
    path.write_text(policy if isinstance(policy, str) else json.dumps(policy))
    r = subprocess.run([binary("dockgated"), "--check-policy", str(path)],
                       capture_output=True, text=True, timeout=10)
    return r.returncode, r.stdout + r.stderr


def test_check_policy_ok(tmp_path):
    rc, out = check(tmp_path, HARD)
    assert rc == 0, out
    assert "ok, 2 peer(s)" in out
    assert HP in out and "64 MiB" in out and "never as root" in out, out


def test_check_policy_example_is_valid():
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    r = subprocess.run([binary("dockgated"), "--check-policy",
                        os.path.join(root, "contrib", "policy.example.json")],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stdout + r.stderr


def test_check_policy_lists_every_problem(tmp_path):
    bad = {"peers": {
        "alpha": {"uids": [1, "two"], "operaitons": ["docker/*"],
                  "container": {"defaults": {"memoryBytes": "2GiB"},
                                "ceilings": {"memoryBytes": "1GiB"},
                                "networks": ["host"], "capabilities": ["chown"]},
                  "quotas": {"streams": 0},
                  "tokens": ["not-a-hash"]},
        "Bad Name": {"uids": [5]},
        "beta": {"uids": [1]}},
        "ownerlabel": "x"}
    rc, out = check(tmp_path, bad)
    assert rc == 1, out
    for where in ("peers.alpha.uids[1]", "peers.alpha.operaitons", "did you mean \"operations\"",
                  "container.defaults.memoryBytes (2 GiB) is above", "networks[0]",
                  "capabilities[0]", "quotas.streams", "tokens[0]", "sha256:",
                  "peers.Bad Name", "uid 1 is also given", "ownerlabel"):
        assert where in out, "%r not in:\n%s" % (where, out)
    assert "problems to fix" in out, out


def test_check_policy_syntax_error_located(tmp_path):
    rc, out = check(tmp_path, "{\"peers\": {\"a\": {\"uids\": [1]},}}")
    assert rc == 1 and "line 1, column" in out, out


def test_check_policy_warnings(tmp_path):
    rc, out = check(tmp_path, {"peers": {
        "a": {"uids": [1], "container": {"capabilities": ["SYS_ADMIN"]},
              "operations": ["docker/contaner/*"]},
        "b": {}}})
    assert rc == 0, out
    assert "SYS_ADMIN" in out and "matches no operation" in out and "nobody can connect" in out
