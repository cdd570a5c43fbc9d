"""Installing dockgate as an operator would: make install, the Debian package,
the systemd unit, man pages and bash completion.

The package test builds the package from a copy of the tree, installs it on
this machine (dpkg -i), checks the unit with systemd-analyze verify, starts
the installed daemon exactly as the unit's ExecStart says (these machines
do not run systemd as PID 1: the test creates the unit's directories and
plays its NOTIFY_SOCKET), uses it as a peer with the installed tool and
completion, reloads and stops it, and purges the package.
"""

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, ROOT, binary, unique, wait_for

SANITIZED = os.environ.get("DOCKGATE_SANITIZED") == "1"
INSTALLED = [
    "usr/sbin/dockgated",
    "usr/bin/dockgate",
    "usr/libexec/dockgate/dockgate-worker",
    "etc/dockgate/dockgated.conf",
    "etc/dockgate/policy.json",
    "usr/share/man/man8/dockgated.8",
    "usr/share/man/man1/dockgate.1",
    "usr/share/man/man5/dockgate-policy.5",
    "usr/share/bash-completion/completions/dockgate",
    "usr/share/doc/dockgate/examples/policy.example.json",
]

# Both need the tree's build directory, which the sanitizer run does not have.
pytestmark = pytest.mark.skipif(SANITIZED, reason="packaging does not depend on sanitizers")


def run(argv, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 600)
    r = subprocess.run(argv, **kw)
    assert r.returncode == 0, (argv, r.returncode, r.stdout[-3000:], r.stderr[-3000:])
    return r


def render(page):
    """A man page as man -l renders it, one long line per paragraph."""
    env = dict(os.environ, MANWIDTH="2000", LC_ALL="C", MAN_KEEP_FORMATTING="")
    r = run(["man", "--warnings", "-l", page], env=env)
    assert r.stderr == "", "%s: groff warnings:\n%s" % (page, r.stderr)
    return r.stdout


def flags(text):
    """Every --long and -s flag named in a usage text."""
    return set(re.findall(r"(?:^|[\s\[|(])(--?[a-zA-Z][a-zA-Z-]*)", text))


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    dest = str(tmp_path_factory.mktemp("destdir"))
    run(["make", "-s", "-C", ROOT, "BUILD=" + BUILD, "PREFIX=/usr", "DESTDIR=" + dest, "install"])
    return dest


def test_make_install_puts_every_file_in_place(staged):
    for rel in INSTALLED + ["usr/lib/systemd/system/dockgated.service"]:
        assert os.path.isfile(os.path.join(staged, rel)), rel
    for rel in ("usr/sbin/dockgated", "usr/bin/dockgate", "usr/libexec/dockgate/dockgate-worker"):
        assert os.access(os.path.join(staged, rel), os.X_OK), rel
    unit = open(os.path.join(staged, "usr/lib/systemd/system/dockgated.service")).read()
    assert "ExecStart=/usr/sbin/dockgated --config /etc/dockgate/dockgated.conf" in unit
    assert "@" not in re.sub(r"(?m)^#.*$", "", unit), "unsubstituted @VAR@ in the unit"
    conf = json.load(open(os.path.join(staged, "etc/dockgate/dockgated.conf")))
    assert conf["workerPath"] == "/usr/libexec/dockgate/dockgate-worker"
    assert conf["policy"] == "/etc/dockgate/policy.json"
    # The installed policy is one dockgated accepts.
    run([binary("dockgated"), "--check-policy", os.path.join(staged, "etc/dockgate/policy.json")])


def test_make_install_keeps_an_operators_config(staged):
    path = os.path.join(staged, "etc/dockgate/policy.json")
    with open(path, "w") as f:
        f.write('{"peers": {"mine": {"uids": [1234]}}}')
    run(["make", "-s", "-C", ROOT, "BUILD=" + BUILD, "PREFIX=/usr", "DESTDIR=" + staged, "install"])
    assert "mine" in open(path).read()


def test_man_pages_render_and_name_every_flag(staged):
    man = os.path.join(staged, "usr/share/man")
    daemon = render(os.path.join(man, "man8/dockgated.8"))
    helptext = run([binary("dockgated"), "--help"]).stdout
    missing = sorted(f for f in flags(helptext) if f not in daemon)
    assert not missing, "dockgated(8) lacks %s" % missing
    render(os.path.join(man, "man5/dockgate-policy.5"))

    tool = render(os.path.join(man, "man1/dockgate.1"))
    top = run([binary("dockgate"), "help"]).stdout
    verbs = re.findall(r"(?m)^  ([a-z][a-z-]*) ", top.split("verbs:", 1)[1])
    assert len(verbs) > 20
    wanted = flags(top.split("verbs:", 1)[0])
    for v in verbs:
        usage = run([binary("dockgate"), "help", v]).stdout
        assert ("dockgate " + v) in tool, "dockgate(1) lacks the verb %s" % v
        wanted |= flags("\n".join(l for l in usage.splitlines()
                                   if l.startswith(("usage: ", "       "))))
    missing = sorted(f for f in wanted if f not in tool)
    assert not missing, "dockgate(1) lacks %s" % missing


# -- the package ------------------------------------------------------------

def unit_value(unit, key):
    return [l.split("=", 1)[1] for l in unit.splitlines() if l.startswith(key + "=")]


class Notify:
    """The service manager's end of NOTIFY_SOCKET."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(60)

    def expect(self, key):
        seen = []
        while True:
            msg = self.sock.recv(4096).decode()
            seen.append(msg)
            if key in msg.split("\n"):
                return msg
            assert len(seen) < 10, seen


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    top = str(tmp_path_factory.mktemp("deb"))
    src = os.path.join(top, "dockgate")
    files = run(["git", "-C", ROOT, "ls-files", "-co", "--exclude-standard", "-z"]).stdout
    os.makedirs(src)
    for rel in files.split("\0"):
        if rel and os.path.isfile(os.path.join(ROOT, rel)):
            os.makedirs(os.path.dirname(os.path.join(src, rel)), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, rel), os.path.join(src, rel))
    # noopt and noddebs: the test checks what is installed, not how fast it runs.
    env = dict(os.environ, DEB_BUILD_OPTIONS="noopt nocheck noddebs parallel=2")
    run(["dpkg-buildpackage", "-b", "-us", "-uc"], cwd=src, env=env)
    debs = [f for f in os.listdir(top) if re.match(r"dockgate_.*\.deb$", f)]
    assert len(debs) == 1, os.listdir(top)
    return os.path.join(top, debs[0])


@pytest.fixture
def installed(package):
    if os.path.exists("/etc/dockgate") and subprocess.run(
            ["dpkg", "-s", "dockgate"], capture_output=True).returncode != 0:
        pytest.skip("/etc/dockgate exists and is not the package's: not touching it")
    run(["dpkg", "-i", package])
    try:
        yield
    finally:
        subprocess.run(["dpkg", "--purge", "dockgate"], capture_output=True)
        for d in ("/run/dockgate", "/var/lib/dockgate", "/var/log/dockgate", "/etc/dockgate"):
            shutil.rmtree(d, ignore_errors=True)


def test_package_installs_and_serves_as_its_unit_says(installed, engine_sock, engine):
    for rel in INSTALLED:
        assert os.path.exists("/" + rel) or os.path.exists("/" + rel + ".gz"), rel
    unitfile = "/lib/systemd/system/dockgated.service"
    r = run(["systemd-analyze", "verify", unitfile])
    assert "dockgated.service" not in r.stderr, r.stderr
    unit = open(unitfile).read()
    for directive in ("ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                      "NoNewPrivileges=yes", "RuntimeDirectory=dockgate",
                      "StateDirectory=dockgate", "LogsDirectory=dockgate", "Type=notify"):
        assert directive in unit, directive

    # What systemd would do before ExecStart: the unit's directories, then the
    # command as written.  The operator's one edit: where the engine is.
    conf_path = "/etc/dockgate/dockgated.conf"
    conf = json.load(open(conf_path))
    conf["engine"] = engine_sock
    with open(conf_path, "w") as f:
        json.dump(conf, f)
    for key, base in (("RuntimeDirectory", "/run"), ("StateDirectory", "/var/lib"),
                      ("LogsDirectory", "/var/log")):
        mode = int(unit_value(unit, key + "Mode")[0], 8)
        os.makedirs(os.path.join(base, unit_value(unit, key)[0]), mode=mode, exist_ok=True)
    (execstart,) = unit_value(unit, "ExecStart")
    ndir = tempfile.mkdtemp(prefix="dgnotify", dir="/tmp")
    notify = Notify(os.path.join(ndir, "notify"))
    env = dict(os.environ, NOTIFY_SOCKET=notify.path)
    env.pop("DOCKGATE_SOCKET", None)
    log = open(os.path.join(ndir, "dockgated.log"), "w+")
    proc = subprocess.Popen(shlex.split(execstart), env=env, stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    name = unique("pkg")
    try:
        assert "STATUS=serving on /run/dockgate/dockgate.sock" in notify.expect("READY=1")
        assert oct(os.stat("/run/dockgate/dockgate.sock").st_mode & 0o777) == "0o666"

        # A peer with the installed tool and its default socket: no flags, no variables.
        penv = {k: v for k, v in os.environ.items() if k != "DOCKGATE_SOCKET"}
        r = run(["/usr/bin/dockgate", "run", "--rm", "dgtest:latest", "echo", "hello"], env=penv)
        assert r.stdout == "hello\n"
        run(["/usr/bin/dockgate", "run", "--name", name, "dgtest:latest", "true"], env=penv)

        # The installed completion offers that container by name, from the peer's own list.
        script = ("source /usr/share/bash-completion/completions/dockgate; "
                  "COMP_WORDS=(dockgate rm ''); COMP_CWORD=2; _dockgate; "
                  "printf '%s\\n' \"${COMPREPLY[@]}\"")
        r = run(["bash", "-c", script], env=penv)
        assert name in r.stdout.split(), r.stdout
        r = run(["bash", "-c", script.replace("rm ''", "run ''")], env=penv)
        assert "dgtest:latest" in r.stdout.split(), r.stdout

        # The audit log and the accounting went where the unit lets it write.
        assert os.path.getsize("/var/log/dockgate/audit.log") > 0
        run(["/usr/bin/dockgate", "audit", "verify", "/var/log/dockgate/audit.log"])

        # ExecReload: SIGHUP, reported as RELOADING=1 then READY=1.
        proc.send_signal(signal.SIGHUP)
        notify.expect("RELOADING=1")
        notify.expect("READY=1")
        run(["/usr/bin/dockgate", "rm", name], env=penv)

        proc.send_signal(signal.SIGTERM)
        notify.expect("STOPPING=1")
        assert proc.wait(timeout=60) == 0
        assert os.path.exists("/var/lib/dockgate/accounting.json")
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        log.seek(0)
        print(log.read())
        log.close()
        notify.sock.close()
        shutil.rmtree(ndir, ignore_errors=True)
