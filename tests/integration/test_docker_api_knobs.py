"""The Docker front's create knobs (worker/dapi_knobs.c) with the real docker
CLI: published ports (-p, then docker port and a fetch over loopback),
ulimits (--ulimit) and health checks (--health-*), each within the tenant's
policy, and refused past it with the policy's words.
"""

import os
import random
import tempfile

import pytest

from conftest import (ALPHA_UID, BETA_UID, PODMAN, served, skip_if_podman_nproc_short, unique,
                      wait_for)
from test_docker_api import IMAGE, docker

LO = random.randrange(40000, 48000, 100)

KNOBS = {"peers": {
    "alpha": {"uids": [ALPHA_UID], "container": {
        "ulimits": {"nofile": 4096},
        "healthcheck": {"minIntervalMs": 200, "maxRetries": 5},
        "ports": {"hostAddresses": ["127.0.0.1"],
                  "hostPortRanges": ["%d-%d" % (LO, LO + 9)]}}},
    "beta": {"uids": [BETA_UID]},
}}


@pytest.fixture
def front(make_gateway):
    """The Docker socket of a gateway whose alpha may publish ports, set ulimits, check health."""
    d = tempfile.mkdtemp(prefix="dgdk", dir="/tmp")
    os.chmod(d, 0o755)
    gw = make_gateway(policy=KNOBS, args=["--docker-socket", os.path.join(d, "docker.sock")])
    gw.docker_socket = os.path.join(d, "docker.sock")
    yield gw
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    os.rmdir(d)


def out(r):
    return r.stdout.decode().strip()


def test_published_ports_show_in_docker_port_and_serve_over_loopback(front, engine):
    net = unique("pub")
    docker(front, ALPHA_UID, "network", "create", net, check=0)
    made = []
    try:
        cid = out(docker(front, ALPHA_UID, "run", "-d", "--network", net, "-p",
                         "127.0.0.1::8080", IMAGE, "sh", "-c",
                         "echo served > /tmp/index.html; exec httpd -f -p 8080 -h /tmp",
                         check=0))
        made.append(cid)
        host = out(docker(front, ALPHA_UID, "port", cid, "8080", check=0))
        addr, port = host.rsplit(":", 1)
        assert addr == "127.0.0.1" and LO <= int(port) <= LO + 9, host
        assert served(host) == b"served\n"
        # -p 80: the policy's address, a port the gateway picks from the range
        cid = out(docker(front, ALPHA_UID, "create", "--network", net, "-p", "80", IMAGE,
                         "true", check=0))
        made.append(cid)
        ins = engine.inspect(cid)["HostConfig"]["PortBindings"]["80/tcp"][0]
        assert ins["HostIp"] == "127.0.0.1" and LO <= int(ins["HostPort"]) <= LO + 9, ins
        assert int(ins["HostPort"]) != int(port)
        # beta's policy gives it no port range
        r = docker(front, BETA_UID, "create", "-p", "127.0.0.1::80", IMAGE, "true")
        assert r.returncode != 0 and b"no host port range" in r.stderr, r.stderr
    finally:
        for c in made:
            docker(front, ALPHA_UID, "rm", "-f", c)
        docker(front, ALPHA_UID, "network", "rm", net)


@pytest.mark.parametrize("flags, words", [
    (["-p", "0.0.0.0::80"], b"may not bind host address 0.0.0.0"),
    (["-p", "127.0.0.1:%d:80" % (LO + 50)], b"outside this peer's ranges"),
    (["-p", "127.0.0.1:%d-%d:80" % (LO, LO + 1)], b"host port ranges are not supported"),
    (["-p", "127.0.0.1::80", "-p", "127.0.0.1::80/udp", "-p", "127.0.0.1:%d:80" % LO],
     b"one host binding per container port"),
    (["--ulimit", "nofile=8192"], b"ceiling of 4096"),
    (["--ulimit", "stack=1024"], b"only nofile, nproc, core and memlock"),
    (["--health-cmd", "true", "--health-interval", "50ms"], b"minimum of 200"),
    (["--health-interval", "1s"], b"Healthcheck.Test: required"),
])
def test_knobs_past_the_policy_are_refused_and_nothing_is_made(front, engine, flags, words):
    before = engine.labelled()["containers"]
    r = docker(front, ALPHA_UID, "create", *flags, IMAGE, "true")
    assert r.returncode != 0, r.stdout
    assert words in r.stderr, r.stderr
    assert engine.labelled()["containers"] == before


def test_ulimits_and_health_reach_the_container(front, engine):
    skip_if_podman_nproc_short()
    r = docker(front, ALPHA_UID, "run", "--rm", "--ulimit", "nofile=1024:2048", IMAGE, "sh",
               "-c", "ulimit -n; ulimit -Hn", check=0)
    assert r.stdout == b"1024\n2048\n"
    cid = out(docker(front, ALPHA_UID, "run", "-d", "--health-cmd", "test -f /tmp/ok",
                     "--health-interval", "200ms", "--health-retries", "1", IMAGE, "sh", "-c",
                     "touch /tmp/ok; exec sleep 60", check=0))
    try:
        def health():
            return out(docker(front, ALPHA_UID, "inspect", "-f", "{{.State.Health.Status}}",
                              cid, check=0))
        assert wait_for(lambda: health() == "healthy", timeout=30, what="healthy")
        hc = engine.inspect(cid)["Config"]["Healthcheck"]
        assert hc["Test"] == ["CMD-SHELL", "test -f /tmp/ok"] and hc["Interval"] == 200000000
        assert hc["Retries"] == 1
        ps = out(docker(front, ALPHA_UID, "ps", "-q", "--no-trunc", "--filter",
                        "health=healthy", check=0))
        assert ps == cid
        assert out(docker(front, BETA_UID, "ps", "-aq", "--filter", "health=healthy",
                          check=0)) == ""
    finally:
        docker(front, ALPHA_UID, "rm", "-f", cid)
    # --no-healthcheck: the engine's NONE
    cid = out(docker(front, ALPHA_UID, "create", "--no-healthcheck", IMAGE, "true", check=0))
    try:
        assert engine.inspect(cid)["Config"]["Healthcheck"]["Test"] == ["NONE"]
    finally:
        docker(front, ALPHA_UID, "rm", "-f", cid)


def test_process_identity_and_cpu_flags_reach_the_engine(front, engine):
    # Podman's compat create ignores Domainname: the gate refuses it there.
    dom = [] if PODMAN else ["--domainname", "ex.test"]
    r = docker(front, ALPHA_UID, "run", "-d", "--hostname", "web", *dom,
               "--add-host", "db:192.0.2.7", "--dns", "127.0.0.53", "--init", "--stop-signal",
               "SIGINT", "--shm-size", "1m", "--cpu-quota", "50000", "--cpuset-cpus", "0",
               IMAGE, "sh", "-c", "hostname; grep db /etc/hosts; exec sleep 60", check=0)
    cid = out(r)
    try:
        wait_for(lambda: b"db" in docker(front, ALPHA_UID, "logs", cid, check=0).stdout,
                 timeout=30, what="the container's output")
        logs = docker(front, ALPHA_UID, "logs", cid, check=0).stdout.decode().split("\n")
        assert logs[0] == "web" and "192.0.2.7\tdb" in logs[1], logs
        ins = engine.inspect(cid)
        hc, cfg = ins["HostConfig"], ins["Config"]
        assert hc["CpuQuota"] == 50000 and hc["CpusetCpus"] == "0" and hc["Init"] is True
        assert hc["ShmSize"] == 1 << 20 and hc["Dns"] == ["127.0.0.53"]
        assert hc["ExtraHosts"] == ["db:192.0.2.7"]
        # Podman keeps the signal's number ("2"), dockerd the name asked.
        assert cfg["StopSignal"] in (("SIGINT", "2") if PODMAN else ("SIGINT",)), cfg
        assert cfg["Domainname"] == ("" if PODMAN else "ex.test")
    finally:
        docker(front, ALPHA_UID, "rm", "-f", cid)
    if PODMAN:
        r = docker(front, ALPHA_UID, "create", "--domainname", "ex.test", IMAGE, "true")
        assert r.returncode != 0 and b"domainname: not supported on Podman" in r.stderr, r.stderr
    # past the peer's CPU ceiling (the default policy's), in the policy's words
    r = docker(front, ALPHA_UID, "create", "--cpu-quota", "400000", IMAGE, "true")
    assert r.returncode != 0 and b"above this peer's ceiling" in r.stderr, r.stderr
