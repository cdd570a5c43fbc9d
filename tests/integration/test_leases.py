"""Leases: nothing outlives the coordinator that asked for it (lease.h).

A session lease ends when the creating stream has been gone for its grace;
a TTL lease when its time is up; both are labels, so a restarted gateway
reaps what expired while it was down.  Every reap is audited and counted.
"""

import json
import os
import signal
import subprocess
import sys
import time

from conftest import Gateway, unique, wait_for, write_config
from engine_api import OWNER_LABEL

HERE = os.path.dirname(os.path.abspath(__file__))


def leased_gateway(make_gateway, work, policy=None, audit=True):
    args = ["--config", write_config(work, leaseTickSeconds=1)]
    if audit:
        args += ["--audit", os.path.join(work, "audit.log")]
    return make_gateway(policy=policy, args=args)


def exists(engine, kind, ref):
    url = {"container": "/containers/%s/json", "network": "/networks/%s",
           "volume": "/volumes/%s"}[kind] % ref
    status, _ = engine.http("GET", url)
    return status == 200


def reaps(work):
    path = os.path.join(work, "audit.log")
    out = []
    with open(path, "rb") as f:
        # whole records only: the gateway may be writing the last one
        for line in f.read().split(b"\n")[:-1]:
            r = json.loads(line)
            if r.get("type") == "reap":
                out.append(r)
    return out


# A coordinator in its own process, so that the test can kill -9 it: it
# opens one stream, creates and starts a container with a session lease,
# prints its ID and then holds the stream open until it is killed.
CLIENT = r"""
import sys, time
sys.path.insert(0, %(here)r)
from peer import Peer
p = Peer(%(sock)r)
out = p.call("docker/container/create", {"image": "dgtest:latest", "name": %(name)r,
             "cmd": ["sleep", "600"], "lease": {"session": True, "graceSeconds": 1}})
p.call("docker/container/start", {"containerId": out["containerId"]})
print(out["containerId"], flush=True)
time.sleep(600)
"""


def test_session_lease_reaped_after_the_client_is_killed(make_gateway, engine, work):
    gw = leased_gateway(make_gateway, work)
    code = CLIENT % {"here": HERE, "sock": gw.socket, "name": unique("lease")}
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        cid = proc.stdout.readline().decode().strip()
        assert len(cid) == 64, cid
        labels = engine.inspect(cid)["Config"]["Labels"]
        assert labels[OWNER_LABEL + ".lease"] == "1"
        assert labels[OWNER_LABEL + ".lease.grace"] == "1"
        assert labels[OWNER_LABEL + ".lease.session"]
        assert exists(engine, "container", cid)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    wait_for(lambda: not exists(engine, "container", cid), timeout=30,
             what="the killed client's container to be reaped")
    rec = wait_for(lambda: [r for r in reaps(work) if r["resource"] == cid], timeout=10,
                   what="the reap's audit record")[0]
    assert rec["peer"] == "alpha" and rec["kind"] == "container" and rec["result"] == "OK"
    assert rec["lease"].startswith("session ") and "gone" in rec["reason"]
    with gw.peer() as p:
        usage = p.call("gateway/usage")
    assert usage["calls"]["byOperation"]["lease/reap/container"]["OK"] >= 1


def test_live_session_keeps_its_container_while_a_ttl_ends(make_gateway, engine, work):
    gw = leased_gateway(make_gateway, work)
    with gw.peer() as p:
        kept = p.call("docker/container/create", {
            "image": "dgtest:latest", "name": unique("kept"), "cmd": ["sleep", "60"],
            "lease": {"session": True, "graceSeconds": 0}})["containerId"]
        ttl = p.call("docker/container/create", {
            "image": "dgtest:latest", "name": unique("ttl"), "cmd": ["sleep", "60"],
            "lease": {"ttlSeconds": 1}})["containerId"]
        # The round that removes the TTL one saw the live session's one too.
        wait_for(lambda: not exists(engine, "container", ttl), timeout=30,
                 what="the TTL container to be reaped")
        assert exists(engine, "container", kept)
        # A list answered after that round: the session's container is still there.
        ids = [c["containerId"] for c in p.call("docker/container/list", {"all": True})]
        assert kept in ids and ttl not in ids
    # The stream is gone, with a grace of 0: the next rounds remove it.
    wait_for(lambda: not exists(engine, "container", kept), timeout=30,
             what="the closed session's container to be reaped")
    rec = [r for r in reaps(work) if r["resource"] == ttl][0]
    assert rec["lease"] == "ttl" and "TTL" in rec["reason"]


def test_network_and_volume_leases(make_gateway, engine, work):
    gw = leased_gateway(make_gateway, work)
    with gw.peer() as p:
        net = p.call("docker/network/create", {"name": unique("lnet"),
                                               "lease": {"ttlSeconds": 1}})["networkId"]
        vol = p.call("docker/volume/create", {"name": unique("lvol"),
                                              "lease": {"ttlSeconds": 1}})["volumeName"]
    wait_for(lambda: not exists(engine, "network", net), timeout=30, what="network reaped")
    # The gateway names volumes in the peer's namespace: find it by its label.
    wait_for(lambda: not [v for v in (engine.http("GET", "/volumes")[1]["Volumes"] or [])
                          if v["Name"].endswith(vol)],
             timeout=30, what="volume reaped")
    # The reap's audit record follows the engine's answer: wait for both.
    wait_for(lambda: {"network", "volume"} <= {r["kind"] for r in reaps(work)}, timeout=10,
             what="the network and volume reaps audited")


def test_restarted_gateway_reaps_what_expired_while_it_was_down(make_gateway, engine,
                                                                  engine_sock, work):
    args = ["--config", write_config(work, leaseTickSeconds=1),
            "--audit", os.path.join(work, "audit.log")]
    first = Gateway(engine_sock, args=args).start()
    try:
        with first.peer() as p:
            sess = p.call("docker/container/create", {
                "image": "dgtest:latest", "name": unique("sess"), "cmd": ["sleep", "60"],
                "lease": {"session": True, "graceSeconds": 2}})["containerId"]
            ttl = p.call("docker/container/create", {
                "image": "dgtest:latest", "name": unique("ttl"), "cmd": ["sleep", "60"],
                "lease": {"ttlSeconds": 2}})["containerId"]
            expires = int(engine.inspect(ttl)["Config"]["Labels"][OWNER_LABEL
                                                                   + ".lease.expires"])
        # Down mid-lease: nothing is removed while no gateway runs.
        assert first.stop() == 0
    finally:
        if first.proc.poll() is None:
            first.stop()
        first.remove_dir()
    wait_for(lambda: time.time() > expires + 1, timeout=10, what="the TTL to pass")
    assert exists(engine, "container", sess) and exists(engine, "container", ttl)
    leased_gateway(make_gateway, work)
    wait_for(lambda: not exists(engine, "container", ttl), timeout=30, what="TTL reaped")
    wait_for(lambda: not exists(engine, "container", sess), timeout=30,
             what="the old instance's session reaped")


def test_retention_removes_exited_containers(make_gateway, engine, work):
    policy = {"peers": {"alpha": {"uids": [0], "retention": {"exitedSeconds": 1}},
                        "beta": {"uids": [1001]}}}
    gw = leased_gateway(make_gateway, work, policy=policy)
    with gw.peer() as p:
        cid = p.call("docker/container/create", {"image": "dgtest:latest",
                                                 "cmd": ["true"]})["containerId"]
        p.call("docker/container/start", {"containerId": cid})
        p.call("docker/container/wait", {"containerId": cid})
    wait_for(lambda: not exists(engine, "container", cid), timeout=30,
             what="the exited container to be removed")
    rec = [r for r in reaps(work) if r["resource"] == cid][0]
    assert rec["lease"] == "retention"


def test_lease_inputs_are_checked(gateway):
    with gateway.peer() as p:
        base = {"image": "dgtest:latest", "cmd": ["true"]}
        e = p.error("docker/container/create", dict(base, lease={}))
        assert e.code == "INVALID_INPUT" and "session" in e.message
        e = p.error("docker/container/create", dict(base, lease={"session": True,
                                                                 "graceSeconds": 61}))
        assert e.code == "INVALID_INPUT" and "graceSeconds" in e.message
        e = p.error("docker/container/create", dict(base, lease={"ttlSeconds": 5,
                                                                 "graceSeconds": 5}))
        assert e.code == "INVALID_INPUT" and "session" in e.message
        e = p.error("docker/container/create",
                    dict(base, labels={OWNER_LABEL + ".lease.expires": "1"}))
        assert e.code == "FORBIDDEN"


def test_bad_retention_policy_is_refused(engine_sock, work):
    pol = os.path.join(work, "p.json")
    with open(pol, "w") as f:
        json.dump({"peers": {"a": {"uids": [5], "retention": {"exitedDays": 1}}}}, f)
    from conftest import binary
    r = subprocess.run([binary("dockgated"), "--check-policy", pol], capture_output=True,
                       text=True)
    assert r.returncode != 0
    assert "peers.a.retention.exitedDays" in r.stdout + r.stderr
