"""The dockgate CLI with docker's habits (client/create_flags.c,
client/template.c): run/create flags reach the engine as typed inputs,
ps/inspect/logs/info/image inspect print as docker does, exit codes and
flag errors are docker's.
"""

import json
import os
import random
import re
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import PODMAN, binary, skip_if_podman_nproc_short, unique, wait_for

LO = random.randrange(40000, 48000, 100)
POLICY = {"peers": {
    "alpha": {"uids": [0], "container": {
        "ports": {"hostPortRanges": ["%d-%d" % (LO, LO + 9)]},
        "ulimits": {"nofile": 4096},
        "healthcheck": {"minIntervalMs": 200}}},
    "beta": {"uids": [1001]}}}


@pytest.fixture
def gw(make_gateway, tmp_path):
    conf = tmp_path / "conf.json"
    conf.write_text(json.dumps({"leaseTickSeconds": 1}))
    return make_gateway(policy=POLICY, args=["--config", str(conf)])


def cli(gw, *args, env=None, timeout=60):
    e = dict(os.environ, DOCKGATE_SOCKET=gw.socket, **(env or {}))
    return subprocess.run([binary("dockgate")] + list(args), env=e, capture_output=True,
                          text=True, timeout=timeout)


def ok(gw, *args, **kw):
    r = cli(gw, *args, **kw)
    assert r.returncode == 0, (args, r.returncode, r.stdout, r.stderr)
    return r.stdout


def test_run_detached_with_flags_reaches_the_engine(gw, engine, tmp_path):
    skip_if_podman_nproc_short()
    envf = tmp_path / "env"
    envf.write_text("\ufeff# a comment\n\n  SPACED=a b  c\nQUOTED=\"kept\"\nEQ=x=y\n"
                    "FROM_ENV\nUNSET_HERE\n")
    name = unique("flg")
    out = ok(gw, "run", "-d", "--name", name, "-l", "team=web", "-l", "flag", "-e", "A=1",
             "--env-file", str(envf), "-m", "64m", "--cpus", "0.5", "--pids-limit", "50",
             "--ulimit", "nofile=512:1024", "-w", "/tmp", "-u", "65534",
             "--health-cmd", "true", "--health-interval", "500ms", "--health-retries", "2",
             "--stop-signal", "SIGINT", "-h", "box", "--init",
             "dgtest:latest", "sleep", "60", env={"FROM_ENV": "yes"})
    cid = out.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", cid), out
    doc = engine.inspect(cid)
    hc, cfg = doc["HostConfig"], doc["Config"]
    assert hc["Memory"] == 64 << 20 and hc["NanoCpus"] == 500000000 and hc["PidsLimit"] == 50
    assert hc["Ulimits"] == [{"Name": "nofile", "Soft": 512, "Hard": 1024}] and hc["Init"]
    env = cfg["Env"]
    for want in ("A=1", "SPACED=a b  c", 'QUOTED="kept"', "EQ=x=y", "FROM_ENV=yes"):
        assert want in env, env
    assert not [e for e in env if e.startswith("UNSET_HERE")]
    assert cfg["WorkingDir"] == "/tmp" and cfg["User"] == "65534" and cfg["Hostname"] == "box"
    assert cfg["Labels"]["team"] == "web" and cfg["Labels"]["flag"] == ""
    assert cfg["Healthcheck"]["Interval"] == 500000000 and cfg["StopSignal"] == "SIGINT"
    # inspect -f and ps, as docker prints them.
    assert ok(gw, "inspect", "-f", "{{.State.Status}}", name) == "running\n"
    assert json.loads(ok(gw, "inspect", "-f", "{{json .Config.Labels}}", name))["team"] == "web"
    assert json.loads(ok(gw, "inspect", "-f", "{{json .}}", name))["Id"] == cid
    assert ok(gw, "ps", "-q", "--filter", "name=" + name) == cid[:12] + "\n"
    assert ok(gw, "ps", "--filter", "label=team=web", "--format",
              "{{.Names}}\\t{{.State}}") == "%s\trunning\n" % name
    ok(gw, "rm", "-f", name)


def test_create_then_start_and_logs_flags(gw):
    name = unique("lg")
    cid = ok(gw, "create", "--name", name, "dgtest:latest", "sh", "-c",
             "echo one; echo two; echo three").strip()
    assert ok(gw, "inspect", "-f", "{{.State.Status}}", cid) == "created\n"
    ok(gw, "start", name)
    ok(gw, "wait", name)
    assert ok(gw, "logs", "--tail", "1", name) == "three\n"
    stamped = ok(gw, "logs", "-t", name).splitlines()
    assert [s.split(" ", 1)[1] for s in stamped] == ["one", "two", "three"]
    # Podman's API stamps whole seconds (its log file holds nanoseconds).
    frac = r"(\.\d+)?" if PODMAN else r"\.\d+"
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d" + frac + "Z$", s.split(" ")[0])
               for s in stamped), stamped
    assert ok(gw, "logs", "--since", str(int(time.time()) + 3600), name) == ""
    assert ok(gw, "ps", "-a", "-q", "--filter", "status=exited", "--filter",
              "name=" + name) == cid[:12] + "\n"


def test_published_port_and_ps_ports(gw):
    net = unique("cnet")
    ok(gw, "network", "create", net)
    name = unique("web")
    ok(gw, "run", "-d", "--name", name, "--network", net, "-p", "127.0.0.1::8080",
       "dgtest:latest", "sleep", "60")
    ports = ok(gw, "ps", "--filter", "name=" + name, "--format", "{{.Ports}}").strip()
    m = re.fullmatch(r"127\.0\.0\.1:(\d+)->8080/tcp", ports)
    assert m and LO <= int(m.group(1)) <= LO + 9, ports
    r = cli(gw, "run", "-d", "-p", "127.0.0.1:%d:80" % (LO + 50), "--network", net,
            "dgtest:latest", "true")
    assert r.returncode == 125 and "outside this peer's ranges" in r.stderr, r.stderr


def test_run_rm_killed_cli_leaves_nothing(gw, engine):
    name = unique("rmk")
    env = dict(os.environ, DOCKGATE_SOCKET=gw.socket)
    proc = subprocess.Popen([binary("dockgate"), "run", "--rm", "--name", name,
                             "dgtest:latest", "sh", "-c", "echo up; sleep 300"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b"up\n"
        labels = engine.inspect("alpha." + name)["Config"]["Labels"]
        assert labels["dockgate.owner.lease.session"]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
    # The default grace (30 s) and one reaper tick.
    wait_for(lambda: engine.http("GET", "/containers/alpha.%s/json" % name)[0] == 404,
             timeout=90, what="the killed run --rm's container to be reaped")


def test_info_and_image_inspect(gw):
    out = ok(gw, "info")
    assert re.search(r"^CPUs: \d+$", out, re.M) and "Peer: alpha" in out
    assert int(ok(gw, "info", "-f", "{{.cpus}}")) >= 1
    assert ok(gw, "image", "inspect", "-f", "{{.Id}}", "dgtest:latest").startswith("sha256:")


@pytest.mark.parametrize("args,code,words", [
    (["run", "--memroy", "1g", "dgtest:latest"], 125, "did you mean --memory"),
    (["run", "-m", "lots", "dgtest:latest"], 125, "--memory"),
    (["run", "--ulimit", "stack=1", "dgtest:latest", "true"], 125, "only nofile"),
    (["run", "--cap-add", "SYS_ADMIN", "dgtest:latest", "true"], 125, "allowed capabilities"),
    (["run", "-v", "/etc:/x", "dgtest:latest", "true"], 125, "bind root"),
    (["run", "--health-interval", "1s", "dgtest:latest"], 125, "--health-cmd"),
    (["run", "dgtest:latest", "/no/such/command"], 127, ""),
    (["inspect", "-f", "{{range .Mounts}}", "x"], 2, "not supported"),
    (["ps", "--filter", "colour=red"], 1, "unknown key colour"),
])
def test_errors_as_docker_says_them(gw, args, code, words):
    r = cli(gw, *args)
    assert r.returncode == code and words in r.stderr, (r.returncode, r.stderr)


def test_env_file_errors_name_the_line(gw, tmp_path):
    bad = tmp_path / "bad"
    bad.write_text("GOOD=1\nBAD KEY=2\n")
    r = cli(gw, "run", "--env-file", str(bad), "dgtest:latest", "true")
    assert r.returncode == 125 and "'BAD KEY' contains whitespaces" in r.stderr, r.stderr
    bad.write_text("=nothing\n")
    r = cli(gw, "run", "--env-file", str(bad), "dgtest:latest", "true")
    assert "no variable name on line 1" in r.stderr, r.stderr
