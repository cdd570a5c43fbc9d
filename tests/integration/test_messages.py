"""Messages that tell the user what to do, and docker's exit codes.

The tool: no gateway on the socket, a refused or mistyped flag, a missing
image, a command that cannot run.  The gateway: a uid it does not know, and
--syslog on a machine where nothing listens on /dev/log.
"""

import os
import subprocess

import pytest

from conftest import UNMAPPED_UID, binary, unique, wait_for


@pytest.fixture(scope="module")
def gw(shared_gateway):
    return shared_gateway


def cli(gw, *args, uid=None, socket=None, timeout=60):
    env = dict(os.environ, DOCKGATE_SOCKET=socket or gw.socket)
    argv = [binary("dockgate")] + list(args)
    if uid is not None:
        argv = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups"] + argv
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)


def test_cannot_connect_says_what_to_check(gw):
    r = cli(gw, "ps", socket="/nonexistent/dockgate.sock")
    assert r.returncode == 2
    assert "cannot connect to dockgated at /nonexistent/dockgate.sock" in r.stderr
    assert "is dockgated running?" in r.stderr and "DOCKGATE_SOCKET" in r.stderr
    # docker run's code for a daemon it cannot reach.
    r = cli(gw, "run", "--rm", "dgtest:latest", "true", socket="/nonexistent/dockgate.sock")
    assert r.returncode == 125 and "is dockgated running?" in r.stderr


def test_an_unmapped_uid_is_named(gw):
    r = cli(gw, "ping", uid=UNMAPPED_UID)
    assert r.returncode == 1
    assert ("UNAUTHENTICATED: uid %d (gid %d) is not known to the policy; ask the operator"
            % (UNMAPPED_UID, UNMAPPED_UID) in r.stderr), r.stderr


def test_flags_are_named_with_the_nearest_one_or_why_they_are_refused(gw):
    r = cli(gw, "run", "--privileged", "--rm", "dgtest:latest", "true")
    assert r.returncode == 125
    assert "--privileged is refused on purpose: a privileged container is root on the host" \
        in r.stderr, r.stderr
    r = cli(gw, "run", "--nme", "x", "dgtest:latest", "true")
    assert r.returncode == 125
    assert "unknown flag --nme; did you mean --name?" in r.stderr, r.stderr
    r = cli(gw, "--sockett", "x", "ps")
    assert r.returncode == 2 and "unknown flag --sockett; did you mean --socket?" in r.stderr
    r = cli(gw, "stop", "-t")
    assert r.returncode == 2 and "flag -t needs a value" in r.stderr, r.stderr
    r = cli(gw, "ps", "-Z")
    assert r.returncode == 2 and "unknown flag -Z" in r.stderr and "usage: dockgate ps" in r.stderr


def test_a_missing_image_suggests_pull(gw):
    ref = unique("nosuchimage") + ":v1"
    r = cli(gw, "run", "--rm", ref, "true")
    assert r.returncode == 125
    assert "NOT_FOUND" in r.stderr and ("dockgate pull %s" % ref) in r.stderr, r.stderr


def test_run_exit_codes_are_dockers(gw):
    r = cli(gw, "run", "--rm", "dgtest:latest", "nosuchcommand")
    assert r.returncode == 127, r.stderr
    r = cli(gw, "run", "--rm", "dgtest:latest", "/etc/passwd")
    assert r.returncode == 126, r.stderr
    r = cli(gw, "run", "--rm", "dgtest:latest", "sh", "-c", "exit 125")
    assert r.returncode == 125 and r.stderr == ""
    # Nothing left behind by the runs that failed to start.
    assert "nosuchcommand" not in cli(gw, "ps", "-a").stdout


def test_exec_exit_codes_are_dockers(gw):
    name = unique("msg")
    r = cli(gw, "run", "--name", name, "dgtest:latest", "sleep", "0")
    assert r.returncode == 0, r.stderr
    try:
        # A stopped container: exec fails in the gateway, as docker's does (1).
        r = cli(gw, "exec", name, "true")
        assert r.returncode == 1 and "CONFLICT" in r.stderr, r.stderr
    finally:
        cli(gw, "rm", "-f", name)


def test_syslog_without_a_syslog_daemon_falls_back_to_stderr(make_gateway):
    if os.path.exists("/dev/log"):
        pytest.skip("a syslog daemon listens on /dev/log here")
    gw = make_gateway(args=("--syslog",))
    wait_for(lambda: "logging to standard error instead" in gw.log(), what="the warning")
    assert "syslog: nothing listens on /dev/log" in gw.log()
    with gw.peer() as p:
        assert p.call("docker/system/ping") == {"ok": True}
    # Workers log through dockgated's stderr too (they are not killed for trying syslog).
    wait_for(lambda: "dockgate-worker[" in gw.log(), what="a worker's line")
