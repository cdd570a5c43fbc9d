"""The dockgate command-line tool's docker-style verbs, run as a subprocess.

Each verb once at least, its output checked: wait, kill, restart, pause,
unpause, top, stats, events, pull (plain and on a terminal), images,
network and volume; run's exit code, and run -i closing the container's
stdin at the end of piped input (stdinOnce).
"""

import json
import os
import pty
import re
import subprocess
import time

import pytest

from conftest import PODMAN, binary, on_engine, run_container, unique, wait_for
from test_pull import gone, pushed, registry  # noqa: F401 (fixtures)

TIMEOUT = 60
HEX64 = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture(scope="module")
def gw(shared_gateway):
    return shared_gateway


def cli(gw, *args, input=None, timeout=TIMEOUT):
    """Runs dockgate ARGS against gw; returns the CompletedProcess (text)."""
    env = dict(os.environ, DOCKGATE_SOCKET=gw.socket)
    return subprocess.run([binary("dockgate")] + list(args), input=input, env=env,
                          capture_output=True, text=True, timeout=timeout)


def ok(gw, *args, **kw):
    r = cli(gw, *args, **kw)
    assert r.returncode == 0, (args, r.returncode, r.stdout, r.stderr)
    return r.stdout


def real(engine, name):
    """The engine's document of a container the peer named (names are per peer)."""
    return engine.inspect("alpha." + name) or engine.inspect(name)


def table(out):
    """A table's lines split on runs of 3+ spaces: [header, rows...]."""
    return [re.split(r" {3,}", line) for line in out.splitlines()]


@pytest.fixture
def box(gw):
    """A running container of its own for the test (sleep, PID 1)."""
    name = unique("cli")
    with gw.peer() as p:
        run_container(p, ["sleep", "600"], name=name)
    return name


def test_help_lists_the_verbs(gw):
    out = ok(gw, "help")
    for verb in ("wait", "kill", "restart", "pause", "unpause", "top", "stats", "events",
                 "pull", "images", "network", "volume"):
        assert re.search(r"^  %s +\S" % verb, out, re.M), (verb, out)
    assert "connect|disconnect" in ok(gw, "help", "network")
    r = cli(gw, "network", "frobnicate")
    assert r.returncode == 2 and "usage: dockgate network" in r.stderr


def test_run_exit_code_and_stdin_once(gw, engine):
    r = cli(gw, "run", "--rm", "dgtest:latest", "sh", "-c", "exit 3")
    assert r.returncode == 3, r.stderr
    # The end of piped input closes the container's stdin: cat ends, so does run.
    r = cli(gw, "run", "-i", "--rm", "dgtest:latest", "cat", input="hi\n", timeout=30)
    assert (r.returncode, r.stdout) == (0, "hi\n"), r.stderr
    name = unique("once")
    r = cli(gw, "run", "-i", "--name", name, "dgtest:latest", "cat", input="", timeout=30)
    assert r.returncode == 0, r.stderr
    doc = real(engine, name)
    # Podman's inspect does not report StdinOnce (docs/engines.md); cat ending above shows it.
    assert PODMAN or doc["Config"]["StdinOnce"] is True
    assert doc["Config"]["OpenStdin"] is True
    assert ok(gw, "rm", name) == name + "\n"


def test_top_pause_stats_restart_kill_wait(gw, engine, box):
    rows = table(ok(gw, "top", box))
    assert "PID" in rows[0] and ("COMMAND" if PODMAN else "CMD") in rows[0], rows
    assert any(r[-1] == "sleep 600" for r in rows[1:]), rows

    assert ok(gw, "pause", box) == box + "\n"
    r = cli(gw, "pause", box)
    assert r.returncode == 1 and "CONFLICT" in r.stderr
    assert ok(gw, "unpause", box) == box + "\n"
    r = cli(gw, "unpause", box)
    assert r.returncode == 1 and "CONFLICT" in r.stderr

    rows = table(ok(gw, "stats", "--no-stream", box))
    assert rows[0] == ["CONTAINER", "CPU %", "MEM USAGE / LIMIT", "NET I/O", "BLOCK I/O",
                       "PIDS"], rows
    assert len(rows) == 2, rows
    name, cpu, mem, net, blk, pids = rows[1]
    assert name == box and re.match(r"^\d+\.\d\d%$", cpu), rows
    assert re.match(r"^[\d.]+[KMG]?i?B / [\d.]+[KMG]?i?B$", mem), rows
    assert re.match(r"^[\d.]+[kMG]?B / [\d.]+[kMG]?B$", net), rows
    assert re.match(r"^[\d.]+[kMG]?B / [\d.]+[kMG]?B$", blk), rows
    assert pids == "1", rows

    before = real(engine, box)["State"]["StartedAt"]
    assert ok(gw, "restart", "-t", "1", box) == box + "\n"
    assert real(engine, box)["State"]["StartedAt"] != before
    assert ok(gw, "kill", "-s", "KILL", box) == box + "\n"
    assert ok(gw, "wait", box) == "137\n"
    r = cli(gw, "kill", "-s", "NOSUCHSIG", box, "f" * 64)
    assert r.returncode == 1, r


def test_wait_prints_the_code_and_exits_0(gw):
    name = unique("wait")
    with gw.peer() as p:
        run_container(p, ["sh", "-c", "sleep 1; exit 5"], name=name)
    assert ok(gw, "wait", name) == "5\n"
    r = cli(gw, "wait", "f" * 64)
    assert r.returncode == 1 and "NOT_FOUND" in r.stderr


def test_stats_streams_until_the_container_stops(gw):
    name = unique("stats")
    with gw.peer() as p:
        run_container(p, ["sleep", "3"], name=name)
    r = cli(gw, "stats", name, timeout=30)
    assert r.returncode == 0, r.stderr
    rows = table(r.stdout)
    assert rows[0][0] == "CONTAINER" and len(rows) >= 2, rows
    assert all(row[0] == name and len(row) == 6 for row in rows[1:]), rows


EVENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(?:Z|[+-]\d\d:\d\d) "
                   r"(\S+) (\S+) ([0-9a-f]{64})(?: \((.*)\))?$")


def test_events_one_line_each_cleaned(gw):
    since = int(time.time()) - 1
    name = unique("ev")
    with gw.peer() as p:
        # A label value with terminal escapes: it comes back in the events' attributes.
        cid = run_container(p, ["true"], name=name, labels={"evil": "\x1b]0;pwned\x07\x1b[31m"})
        p.call("docker/container/wait", {"containerId": cid})
    r = cli(gw, "events", "--since", str(since), "--until", str(int(time.time()) + 1),
            "--type", "container", timeout=30)
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout
    mine = [m for m in map(EVENT.match, r.stdout.splitlines()) if m and m.group(3) == cid]
    assert all(EVENT.match(line) for line in r.stdout.splitlines()), r.stdout
    actions = [m.group(2) for m in mine]
    assert "create" in actions and "start" in actions and "die" in actions, r.stdout
    assert all(m.group(1) == "container" for m in mine)
    die = [m for m in mine if m.group(2) == "die"][0]
    assert "exitCode=0" in die.group(4) and "evil=?]0;pwned??[31m" in die.group(4), die.group(4)
    # Durations and dates are accepted; a bad time is a usage error.
    r = cli(gw, "events", "--since", "10m", "--until", "2000-01-01T00:00:00Z")
    assert r.returncode == 1 and "INVALID_INPUT" in r.stderr  # until before since
    r = cli(gw, "events", "--since", "yesterday")
    assert r.returncode == 2 and "usage" in r.stderr


def test_network_verbs(gw, engine):
    net, other = unique("net"), unique("net")
    nid = ok(gw, "network", "create", net).strip()
    assert HEX64.match(nid), nid
    assert ok(gw, "network", "create", "--internal", other).strip()
    rows = table(ok(gw, "network", "ls"))
    assert rows[0] == ["NETWORK ID", "NAME", "DRIVER", "INTERNAL"], rows
    assert [nid[:12], net, "bridge", "false"] in rows, rows
    assert any(r[1] == other and r[3] == "true" for r in rows), rows
    doc = json.loads(ok(gw, "network", "inspect", net))
    assert doc["Id"] == nid

    ctr = unique("onnet")
    with gw.peer() as p:
        cid = run_container(p, ["sleep", "600"], name=ctr, network=net)
    assert ok(gw, "network", "connect", other, ctr) == ""
    assert len(engine.inspect(cid)["NetworkSettings"]["Networks"]) == 2
    assert ok(gw, "network", "disconnect", other, ctr) == ""
    assert len(engine.inspect(cid)["NetworkSettings"]["Networks"]) == 1
    r = cli(gw, "network", "rm", net)
    assert r.returncode == 1 and "CONFLICT" in r.stderr
    assert ok(gw, "rm", "-f", ctr) == ctr + "\n"
    assert ok(gw, "network", "rm", net, other) == "%s\n%s\n" % (net, other)
    assert net not in ok(gw, "network", "ls")
    r = cli(gw, "network", "inspect", net)
    assert r.returncode == 1 and "NOT_FOUND" in r.stderr


def test_volume_verbs(gw):
    vol = unique("vol")
    assert ok(gw, "volume", "create", vol) == vol + "\n"
    picked = ok(gw, "volume", "create").strip()
    assert picked and picked != vol
    rows = table(ok(gw, "volume", "ls"))
    assert rows[0] == ["DRIVER", "VOLUME NAME"], rows
    assert ["local", vol] in rows and ["local", picked] in rows, rows
    assert json.loads(ok(gw, "volume", "inspect", vol))["Name"] == vol
    assert ok(gw, "volume", "rm", vol, picked) == "%s\n%s\n" % (vol, picked)
    assert vol not in ok(gw, "volume", "ls")
    r = cli(gw, "volume", "rm", "-f", vol)
    assert r.returncode == 1 and "NOT_FOUND" in r.stderr


def pull_on_a_terminal(gw, ref):
    """dockgate pull with its stdout on a pseudo-terminal: (exit code, bytes shown)."""
    master, slave = pty.openpty()
    env = dict(os.environ, DOCKGATE_SOCKET=gw.socket)
    proc = subprocess.Popen([binary("dockgate"), "pull", ref], stdout=slave, stderr=slave,
                            stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    out = b""
    try:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the last holder of the slave side is gone
                break
            if not data:
                break
            out += data
        return proc.wait(TIMEOUT), out
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_pull_and_images(gw, engine, pushed):  # noqa: F811 (fixture)
    r = cli(gw, "pull", pushed + ":v1", timeout=120)
    assert r.returncode == 0, r.stderr
    assert engine.http("GET", "/images/%s:v1/json" % pushed)[0] == 200
    on_engine("podman", "its pull stream has no 'Pulling from', 'Digest:' or 'Status:' message and no "
                        "byte counts (Podman 4.3: 'Already exists', 'Pulling fs layer', "
                        "'Download complete' only)")
    lines = r.stdout.splitlines()
    assert lines[0] == "v1: Pulling from " + pushed.split("/", 1)[1], lines
    assert any(re.match(r"^[0-9a-f]{12}: Pull complete$", x) for x in lines), lines
    assert lines[-1] == "Status: Downloaded newer image for %s:v1" % pushed, lines
    assert not [x for x in lines if "[=" in x or "Downloading" in x], lines  # no bars

    rows = table(ok(gw, "images"))
    assert rows[0] == ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], rows
    mine = [x for x in rows if x[:2] == [pushed, "v1"]]
    assert len(mine) == 1, rows
    _, _, iid, created, size = mine[0]
    real = engine.ok("GET", "/images/%s:v1/json" % pushed)
    assert iid == real["Id"].split(":", 1)[1][:12]
    assert created.endswith(" ago") and re.match(r"^[\d.]+[kMG]?B$", size), mine
    assert ["dgtest", "latest"] in [x[:2] for x in rows]

    # On a terminal: one line per layer, rewritten in place.
    gone(engine, pushed)
    rc, shown = pull_on_a_terminal(gw, pushed + ":v1")
    assert rc == 0, shown
    assert b"\x1b[1A\x1b[2K\r" in shown and b"Pull complete" in shown, shown

    r = cli(gw, "pull", pushed + ":nosuchtag", timeout=120)
    assert r.returncode == 1 and "NOT_FOUND" in r.stderr, r
