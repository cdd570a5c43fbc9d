"""What real workloads need, through the gateway against the real engine:
resource knobs within ceilings, health checks and their transitions, host
ports reached over loopback, host paths beneath bind roots (create_knobs.c,
create_ports.c, op_health.c).
"""

import os
import random
import shutil
import tempfile
import time

import pytest

from conftest import (create_container, run_container, served, skip_if_podman_nproc_short,
                      skip_if_podman_without_systemd, unique, wait_for)

LO = random.randrange(31000, 39000, 100)


def policy(**container):
    return {"peers": {"alpha": {"uids": [0], "container": container},
                      "beta": {"uids": [1001]}}}


ROOMY = policy(
    ceilings={"nanoCpus": 2000000000},
    ulimits={"nofile": 4096},
    healthcheck={"minIntervalMs": 200, "maxRetries": 5},
    ports={"hostAddresses": ["127.0.0.1"], "hostPortRanges": ["%d-%d" % (LO, LO + 9)]},
)


def test_knobs_within_policy_reach_the_engine(make_gateway, engine):
    skip_if_podman_nproc_short()
    gw = make_gateway(policy=ROOMY)
    with gw.peer() as p:
        cid = run_container(p, ["sh", "-c", "ulimit -n; hostname; cat /etc/hosts"],
                            ulimits={"nofile": "1024:2048"}, hostname="web",
                            domainname="ex.test", init=True, stopSignal="SIGINT",
                            stopTimeout=3, shmSize=1 << 20, cpuQuota=50000, cpusetCpus="0",
                            extraHosts=["db:192.0.2.7"], dns=["127.0.0.53"])
        assert p.call("docker/container/wait", {"containerId": cid})["exitCode"] == 0
        recs, _ = p.subscribe("docker/container/logs", {"containerId": cid})
    out = "".join(r.get("text", "") for r in recs)
    assert out.splitlines()[0] == "1024" and "web" in out and "192.0.2.7\tdb" in out
    ins = engine.inspect(cid)
    hc = ins["HostConfig"]
    assert hc["Ulimits"] == [{"Name": "nofile", "Soft": 1024, "Hard": 2048}]
    assert hc["CpuQuota"] == 50000 and hc["CpusetCpus"] == "0" and hc["Init"] is True
    assert hc["ShmSize"] == 1 << 20 and hc["Dns"] == ["127.0.0.53"]
    assert ins["Config"]["StopSignal"] == "SIGINT" and ins["Config"]["StopTimeout"] == 3
    assert ins["Config"]["Domainname"] == "ex.test"


@pytest.mark.parametrize("extra,code,words", [
    ({"ulimits": {"nofile": "9999"}}, "FORBIDDEN", "ceiling of 4096"),
    ({"ulimits": {"stack": "1"}}, "FORBIDDEN", "only nofile"),
    ({"capAdd": ["SYS_ADMIN"]}, "FORBIDDEN", "allowed capabilities"),
    ({"runtime": "runsc"}, "FORBIDDEN", "runtimes"),
    ({"memorySwap": 1 << 40}, "FORBIDDEN", "may not swap"),
    ({"cpuQuota": 500000}, "FORBIDDEN", "CPUs, above"),
    ({"healthcheck": {"test": ["CMD", "true"], "intervalMs": 50}}, "FORBIDDEN", "minimum"),
    ({"ports": {"80": "0.0.0.0:%d" % LO}}, "FORBIDDEN", "host address"),
    ({"ports": {"80": "%d" % (LO + 50)}}, "FORBIDDEN", "outside"),
    ({"ports": {"80": ""}}, "INVALID_INPUT", "need a network"),
    ({"binds": {"/d": "/etc"}}, "FORBIDDEN", "bind root"),
])
def test_knobs_outside_policy_are_refused(make_gateway, extra, code, words):
    gw = make_gateway(policy=ROOMY)
    with gw.peer() as p:
        inp = dict({"image": "dgtest:latest", "cmd": ["true"]}, **extra)
        e = p.error("docker/container/create", inp)
    assert e.code == code and words in e.message, e


def test_default_policy_publishes_nothing(gateway):
    with gateway.peer() as p:
        e = p.error("docker/container/create", {"image": "dgtest:latest",
                                                "ports": {"80": ""}})
    assert e.code == "FORBIDDEN" and "no host port range" in e.message


def test_health_transitions_list_events_and_wait(make_gateway):
    skip_if_podman_without_systemd()
    gw = make_gateway(policy=ROOMY)
    with gw.peer() as p:
        t0 = int(time.time()) - 1
        cid = run_container(p, ["sleep", "120"], healthcheck={
            "test": ["CMD-SHELL", "test -f /tmp/ok"], "intervalMs": 200, "retries": 1})
        st = p.call("docker/container/inspect", {"containerId": cid})["State"]["Health"]
        assert st["Status"] in ("starting", "unhealthy")
        p.call("docker/container/exec", {"containerId": cid, "cmd": ["touch", "/tmp/ok"]})
        out = p.call("docker/container/wait", {"containerId": cid, "condition": "healthy"})
        assert out["health"] == "healthy"
        wait_for(lambda: [x for x in p.call("docker/container/list")
                          if x["containerId"] == cid][0]["health"] == "healthy",
                 what="list to show healthy")
        assert [x["containerId"] for x in p.call("docker/container/list",
                                                 {"filters": ["health=healthy"]})] == [cid]
        p.call("docker/container/exec", {"containerId": cid, "cmd": ["rm", "/tmp/ok"]})
        wait_for(lambda: p.call("docker/container/inspect", {"containerId": cid})
                 ["State"]["Health"]["Status"] == "unhealthy", what="unhealthy")
        until = int(time.time()) + 1
        recs, _ = p.subscribe("docker/system/events", {
            "since": t0, "until": until, "filters": ["event=health_status"]}, timeout=30)
        # The engine names the action "health_status: healthy" and so on.
        seen = {r["action"] for r in recs if r["id"] == cid}
        assert any("healthy" in a for a in seen), seen
        # A container without a health check cannot be waited healthy.
        other = run_container(p, ["sleep", "30"])
        e = p.error("docker/container/wait", {"containerId": other, "condition": "healthy"})
        assert e.code == "INVALID_INPUT"


def test_published_port_reached_over_loopback(make_gateway):
    gw = make_gateway(policy=dict(ROOMY, peers=dict(ROOMY["peers"])))
    with gw.peer() as p:
        net = p.call("docker/network/create", {"name": unique("pub")})["networkId"]
        out = p.call("docker/container/create", {
            "image": "dgtest:latest", "network": net, "ports": {"8080/tcp": ""},
            "cmd": ["sh", "-c", "echo served > /tmp/index.html; exec httpd -f -p 8080 -h /tmp"]})
        host = out["ports"]["8080/tcp"]
        addr, port = host.rsplit(":", 1)
        assert addr == "127.0.0.1" and LO <= int(port) <= LO + 9
        p.call("docker/container/start", {"containerId": out["containerId"]})

        assert served(host) == b"served\n"
        ins = p.call("docker/container/inspect", {"containerId": out["containerId"]})
        assert ins["NetworkSettings"]["Ports"]["8080/tcp"][0]["HostPort"] == port
        listed = [x for x in p.call("docker/container/list")
                  if x["containerId"] == out["containerId"]][0]
        assert listed["ports"]["8080/tcp"] == host
        # The same host port again: CONFLICT naming the caller's own container.
        e = p.error("docker/container/create", {"image": "dgtest:latest", "network": net,
                                                "name": unique("dup"),
                                                "ports": {"80/tcp": port}})
        assert e.code == "CONFLICT" and "your container" in e.message, e


def test_binds_beneath_a_root(make_gateway, engine):
    root = tempfile.mkdtemp(prefix="dgbind", dir="/tmp")
    try:
        os.mkdir(os.path.join(root, "data"))
        with open(os.path.join(root, "data", "f"), "w") as f:
            f.write("from the host\n")
        os.symlink("/etc", os.path.join(root, "etc"))
        gw = make_gateway(policy=policy(bindRoots=[root]))
        with gw.peer() as p:
            cid = run_container(p, ["cat", "/d/f"], binds={"/d": root + "/data"})
            p.call("docker/container/wait", {"containerId": cid})
            recs, _ = p.subscribe("docker/container/logs", {"containerId": cid})
            assert "".join(r.get("text", "") for r in recs) == "from the host\n"
            m = engine.inspect(cid)["Mounts"][0]
            assert m["Source"] == root + "/data" and m["RW"] is False
            e = p.error("docker/container/create", {"image": "dgtest:latest",
                                                    "binds": {"/d": root + "/etc"}})
            assert e.code == "FORBIDDEN" and "symlink" in e.message, e
            e = p.error("docker/container/create", {"image": "dgtest:latest",
                                                    "binds": {"/d": root + "/data:rw"}})
            assert e.code == "FORBIDDEN" and "read-only" in e.message, e
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_published_ports_quota_and_host_conflicts(make_gateway):
    import socket
    lo = LO + 20
    pol = {"peers": {"alpha": {"uids": [0], "quotas": {"publishedPorts": 2}, "container": {
        "ports": {"hostPortRanges": ["%d-%d" % (lo, lo + 4)]}}}, "beta": {"uids": [1001]}}}
    gw = make_gateway(policy=pol)
    held = socket.socket()
    held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    held.bind(("127.0.0.1", lo))  # the host holds the first port of the range
    held.listen(1)
    try:
        with gw.peer() as p:
            net = p.call("docker/network/create", {"name": unique("q")})["networkId"]
            base = {"image": "dgtest:latest", "network": net, "cmd": ["true"]}
            e = p.error("docker/container/create", dict(base, ports={"80": str(lo)}))
            assert e.code == "CONFLICT" and "in use" in e.message and "your" not in e.message
            # A picked port skips the held one; two fit the quota, a third does not.
            one = p.call("docker/container/create", dict(base, ports={"80": "", "81": ""}))
            picked = sorted(int(v.rsplit(":", 1)[1]) for v in one["ports"].values())
            assert picked == [lo + 1, lo + 2], one["ports"]
            e = p.error("docker/container/create", dict(base, ports={"82": ""}))
            assert e.code == "QUOTA_EXCEEDED" and e.details["quota"] == "publishedPorts"
            p.call("docker/container/remove", {"containerId": one["containerId"]})
            again = p.call("docker/container/create", dict(base, ports={"80": ""}))
            assert again["ports"]["80/tcp"] == "127.0.0.1:%d" % (lo + 1)
    finally:
        held.close()


def test_publish_all_ports_maps_into_the_range(make_gateway, engine, direct):
    import urllib.parse
    tag = unique("expose")
    src = direct.create(name=unique("dgt-src"), cmd=["true"])
    # One port per EXPOSE: Podman's commit takes one port per instruction.
    changes = "&".join("changes=" + urllib.parse.quote("EXPOSE " + p)
                       for p in ("8080", "9090/udp"))
    engine.ok("POST", "/commit?container=%s&repo=dgexpose&tag=%s&%s"
              % (src, tag, changes), {})  # Podman refuses a commit without a body
    image = "dgexpose:" + tag
    try:
        gw = make_gateway(policy=ROOMY)
        with gw.peer() as p:
            net = p.call("docker/network/create", {"name": unique("pa")})["networkId"]
            out = p.call("docker/container/create", {"image": image, "network": net,
                                                     "publishAllPorts": True,
                                                     "cmd": ["true"]})
            assert set(out["ports"]) == {"8080/tcp", "9090/udp"}, out
            for v in out["ports"].values():
                addr, port = v.rsplit(":", 1)
                assert addr == "127.0.0.1" and LO <= int(port) <= LO + 9, out
            hc = engine.inspect(out["containerId"])["HostConfig"]
            assert hc["PublishAllPorts"] is False  # the gateway's picks, not the engine's
            assert set(hc["PortBindings"]) == {"8080/tcp", "9090/udp"}
            p.call("docker/container/remove", {"containerId": out["containerId"]})
    finally:
        engine.http("DELETE", "/images/%s?force=1" % urllib.parse.quote(image, safe=""))
