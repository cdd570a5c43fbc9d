"""Fixtures for dockgate's integration tests.

Environment (set by tests/run-integration.sh):
  DOCKGATE_BUILD        the build directory (binaries in $DOCKGATE_BUILD/bin)
  DOCKGATE_TEST_ENGINE  a private engine's socket with dgtest:latest imported
  ENGINE                docker (default) or podman: which engine that is, and
                        which one a test that starts its own engine starts
Without DOCKGATE_TEST_ENGINE the session starts its own engine with
tests/lib/engine.sh, so a single test file can be run by hand:
  /usr/bin/python3 -m pytest -q tests/integration/test_core.py
"""

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from engine_api import Engine  # noqa: E402
from peer import CallError, Peer  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(os.environ.get("DOCKGATE_BUILD", os.path.join(ROOT, "build")))
BIN = os.path.join(BUILD, "bin")

ALPHA_UID = 0
BETA_UID = 1001
UNMAPPED_UID = 4242
POOL = 2

DEFAULT_POLICY = {
    "peers": {
        "alpha": {"uids": [ALPHA_UID]},
        "beta": {"uids": [BETA_UID]},
    }
}


ENGINE_SH = os.path.join(ROOT, "tests", "lib", "engine.sh")
ENGINE = os.environ.get("ENGINE", "docker")
if ENGINE not in ("docker", "podman"):
    raise RuntimeError("ENGINE must be docker or podman, not %r" % ENGINE)
PODMAN = ENGINE == "podman"
ENGINE_NAME = "Podman" if PODMAN else "Docker Engine"  # as dockgated's log names it


def on_engine(kind, why):
    """Skips the calling test on engine kind: why names the engine's
    limitation (each such skip is listed in docs/engines.md)."""
    if ENGINE == kind:
        pytest.skip("%s: %s" % (kind, why))


def skip_if_podman_nproc_short():
    """Podman 4.3's compat create with any Ulimits drops containers.conf's
    default_ulimits and asks for an nproc of 1048576; runc then fails where
    the host's root may not raise its hard limit that far (a sandbox)."""
    with open("/proc/self/limits") as f:
        hard = [ln.split()[3] for ln in f if ln.startswith("Max processes")][0]
    if hard != "unlimited" and int(hard) < 1048576:
        on_engine("podman", "a create with ulimits asks for nproc 1048576, above this "
                            "host's hard limit of %s (runc: error setting rlimit type 6)" % hard)


def skip_if_podman_without_systemd():
    """Podman 4.3 runs health checks from systemd timers (one transient
    unit per container); on a host without systemd none ever runs, and a
    container's health stays "starting" (seen with curl: interval 1 s, no
    log after 13 s)."""
    if not os.path.isdir("/run/systemd/system"):
        on_engine("podman", "its health checks run from systemd timers and this host has no "
                            "systemd: a container's health stays starting")


def engine_start(d, *args, timeout=120):
    """Starts the run's kind of engine in d (tests/lib/engine.sh)."""
    subprocess.run(["sh", ENGINE_SH, "start", d] + list(args), check=True, timeout=timeout,
                   env=dict(os.environ, ENGINE=ENGINE))


def engine_stop(d, timeout=120):
    subprocess.run(["sh", ENGINE_SH, "stop", d], timeout=timeout)


def engine_socket(d):
    return subprocess.run(["sh", ENGINE_SH, "sock", d], check=True, capture_output=True,
                          text=True).stdout.strip()


def engine_pid(d):
    return int(subprocess.run(["sh", ENGINE_SH, "pid", d], check=True, capture_output=True,
                              text=True).stdout.strip())


# The capabilities a container gets unless told: dockerd's defaults, and
# Podman 4.3's (Debian's containers.conf), the same fourteen.
DEFAULT_CAPS = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID",
                "SYS_CHROOT"}


def caps_kept(hc):
    """The capabilities a container created with HostConfig hc keeps.
    dockerd shows what it was asked: CapDrop ["ALL"] and CapAdd.  Podman
    folds them: CapDrop lists the defaults it dropped, CapAdd only what is
    beyond its defaults (docs/engines.md)."""
    drop = {c.upper().replace("CAP_", "") for c in (hc.get("CapDrop") or [])}
    add = {c.upper().replace("CAP_", "") for c in (hc.get("CapAdd") or [])}
    return add if "ALL" in drop else (DEFAULT_CAPS - drop) | add


def runtime_of(engine, cid):
    """The OCI runtime container cid runs under.  dockerd shows it in
    HostConfig.Runtime; Podman's compat inspect says "oci" there whatever it
    runs, and its own inspect's OCIRuntime tells (docs/engines.md)."""
    if PODMAN:
        return engine.ok("GET", "/v1.41/libpod/containers/%s/json" % cid)["OCIRuntime"]
    return engine.inspect(cid)["HostConfig"]["Runtime"]


def cgroupns_of(engine, cid):
    """Container cid's cgroup namespace mode: dockerd's HostConfig; Podman's
    own inspect (its compat one says "" whatever it did).  On Podman 4.3 with
    cgroup v1 a compat create always gets the host's: skipped there, the
    engine's limitation (docs/engines.md)."""
    if not PODMAN:
        return engine.inspect(cid)["HostConfig"]["CgroupnsMode"]
    mode = engine.ok("GET", "/v1.41/libpod/containers/%s/json" % cid)["HostConfig"]["CgroupMode"]
    if mode == "host" and os.path.exists("/sys/fs/cgroup/cpu"):
        on_engine("podman", "on cgroup v1 its compat create ignores CgroupnsMode: every "
                            "container shares the host's cgroup namespace (CgroupMode host)")
    return mode


def tmpfs_of(hc):
    """HostConfig.Tmpfs as dockgate asked for it.  Podman adds its own tmpfs
    on /run, /tmp and /var/tmp to a read-only container and appends its
    default options to each (docs/engines.md)."""
    t = dict(hc.get("Tmpfs") or {})
    if not PODMAN:
        return t
    out = {}
    for path, opts in t.items():
        if path in ("/run", "/tmp", "/var/tmp") and opts == "rw,rprivate,nosuid,nodev,tmpcopyup":
            continue
        out[path] = opts.replace(",rw,rprivate,nosuid,nodev,tmpcopyup", "")
    return out


@pytest.fixture
def own_engine():
    """A private engine of the run's kind that a test may stop and start again."""
    d = tempfile.mkdtemp(prefix="dgoe", dir="/tmp")
    engine_start(d)
    try:
        yield d
    finally:
        engine_stop(d)
        shutil.rmtree(d, ignore_errors=True)


def stop_engine(d, timeout=30):
    """Stops the engine in d by its pid (SIGTERM) and waits for it to exit;
    its state stays, so that engine_start(d) starts it again."""
    pid = engine_pid(d)
    os.kill(pid, signal.SIGTERM)
    wait_for(lambda: proc_status(pid) is None or proc_status(pid)["State"].startswith("Z"),
             timeout=timeout, what="the engine (pid %d) to exit" % pid)


def binary(name):
    path = os.path.join(BIN, name)
    if not os.access(path, os.X_OK):
        pytest.fail("%s is not built (make all)" % path)
    return path


def unique(prefix="dgt"):
    return "%s-%s" % (prefix, secrets.token_hex(4))


# -- processes --------------------------------------------------------------

def ppid_of(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return None
    # The command may hold spaces and parentheses: split after the last ')'.
    return int(stat[stat.rindex(")") + 2:].split()[1])


def children_of(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit() and ppid_of(int(d)) == pid:
            out.append(int(d))
    return out


def proc_status(pid):
    """/proc/<pid>/status as a dict, or None when the process is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    out = {}
    for line in lines:
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out


def rss_kib(pid):
    """pid's resident memory (VmRSS) in KiB, or None when it is gone."""
    st = proc_status(pid)
    if st is None or "VmRSS" not in st:
        return None
    return int(st["VmRSS"].split()[0])


def proc_gone(pid):
    """True once pid has exited (gone or a zombie), from one read of /proc:
    two reads can see it alive and then gone."""
    st = proc_status(pid)
    return st is None or st.get("State", "").startswith("Z")


def alive(pid):
    st = proc_status(pid)
    return st is not None and not st.get("State", "").startswith("Z")


TEST_FIRST_CALL_SECONDS = 120


def wait_for(pred, timeout=30.0, step=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(step)


def wait_steady(read, timeout=30.0, step=0.5, near=None, what="a steady value"):
    """Waits until read() gives the same value at two looks step seconds
    apart (or values near(a, b) says are the same) and returns the last one.
    For "it has stopped": a stalled data path, a queue that filled, a peer's
    writes that block.  A false or None value never counts as steady."""
    same = near or (lambda a, b: a == b)
    deadline = time.monotonic() + timeout
    last = None
    while True:
        v = read()
        if v and last and same(last, v):
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s (last %r, then %r)"
                                 % (timeout, what, last, v))
        last = v
        time.sleep(step)


def unread_bytes(sock):
    """Bytes waiting in sock's receive queue (FIONREAD)."""
    import fcntl
    import struct
    import termios
    return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]


def served(host, path="/index.html"):
    """Waits for http://host/path to answer (a published port) and returns its body."""
    def fetch():
        try:
            with urllib.request.urlopen("http://%s%s" % (host, path), timeout=2) as r:
                return r.read()
        except OSError:
            return None
    return wait_for(fetch, timeout=30, what="http://%s%s to answer" % (host, path))


class CpuHogs:
    """n CPU-bound processes (a busy machine), started and stopped by pid."""

    def __init__(self, n=3):
        self.procs = [subprocess.Popen(["sh", "-c", "while :; do :; done"],
                                       stdin=subprocess.DEVNULL, start_new_session=True)
                      for _ in range(n)]

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        self.procs = []

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.stop()


# -- the gateway ------------------------------------------------------------

class Gateway:
    """One dockgated process on a private socket, logging to a file."""

    def __init__(self, engine_sock, policy=None, worker=None, pool=POOL, args=(), config=None):
        self.dir = tempfile.mkdtemp(prefix="dg", dir="/tmp")
        # Peers of other uids must reach the socket inside.
        os.chmod(self.dir, 0o755)
        self.socket = os.path.join(self.dir, "gw.sock")
        self.policy_path = os.path.join(self.dir, "policy.json")
        self.log_path = os.path.join(self.dir, "gateway.log")
        self.policy = policy if policy is not None else DEFAULT_POLICY
        with open(self.policy_path, "w") as f:
            json.dump(self.policy, f)
        # Fixtures often open a stream, then set up for a while before its first
        # call; on a loaded machine that passed the 10 s first-call deadline.
        # Tests of the deadline set their own (and a --config of their own wins).
        if "--config" not in args:
            config = dict(config or {})
            config.setdefault("firstCallSeconds", TEST_FIRST_CALL_SECONDS)
            # Each gateway's build cgroups apart: gateways of parallel runs share the host.
            config.setdefault("buildCgroup", "dgt-" + os.path.basename(self.dir))
            # DOCKGATE_TEST_ZYGOTE=1 or 0 runs the tests with the fork server on or off.
            if os.environ.get("DOCKGATE_TEST_ZYGOTE") in ("0", "1"):
                config.setdefault("zygote", os.environ["DOCKGATE_TEST_ZYGOTE"] == "1")
        if config is not None:  # a config file (keys of supervisor/config.h)
            path = os.path.join(self.dir, "config.json")
            with open(path, "w") as f:
                json.dump(config, f)
            args = ["--config", path] + list(args)
        self.worker = worker or binary("dockgate-worker")
        self.pool = pool
        self.engine_sock = engine_sock
        self.argv = [
            binary("dockgated"),
            "--socket", self.socket,
            "--engine", engine_sock,
            "--policy", self.policy_path,
            "--worker", self.worker,
            "--worker-user", "nobody",
            "--pool", str(pool),
            "--log-level", "debug",
        ] + list(args)
        self.proc = None
        self.returncode = None
        self.leftover = []

    def start(self, timeout=30.0):
        # A pipe, not the file itself: workers run with RLIMIT_FSIZE 0, so
        # their writes to a regular file fail (EFBIG) and their lines would
        # be lost.  A thread copies the pipe into the log file.
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid
        open(self.log_path, "wb").close()
        self._copier = threading.Thread(target=self._copy_log, daemon=True)
        self._copier.start()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("dockgated exited %s during start:\n%s"
                                     % (self.proc.returncode, self.log_tail()))
            if self._listening():
                return self
            if time.monotonic() > deadline:
                raise AssertionError("dockgated socket not ready in %.0fs:\n%s"
                                     % (timeout, self.log_tail()))
            time.sleep(0.05)

    def _copy_log(self):
        with open(self.log_path, "ab", buffering=0) as f:
            while True:
                data = os.read(self.proc.stdout.fileno(), 65536)
                if not data:
                    break
                f.write(data)

    def _listening(self):
        """True once the socket listens, seen in /proc/net/unix.

        Connecting to find out would use up a worker and put a stream of its
        own into the log, which tests read to find the worker serving them.
        """
        if not os.path.exists(self.socket):
            return False
        with open("/proc/net/unix") as f:
            next(f)
            for line in f:
                cols = line.split()
                # Num RefCount Protocol Flags Type St Inode Path;
                # flag 0x10000 is __SO_ACCEPTCON: listen() was called.
                if len(cols) >= 8 and cols[7] == self.socket and int(cols[3], 16) & 0x10000:
                    return True
        return False

    # -- log ---------------------------------------------------------------
    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_size(self):
        return os.path.getsize(self.log_path)

    def log_since(self, offset):
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")

    def log_tail(self, n=60):
        return "\n".join(self.log().splitlines()[-n:])

    def serving_worker(self, offset=0, peer="alpha"):
        """The pid of the worker handed peer's next stream after log offset."""
        m = self.wait_log(r"worker (\d+) serving peer %s\b" % re.escape(peer), offset)
        return int(m.group(1))

    def wait_log(self, pattern, offset=0, timeout=30.0):
        """The first match of regex pattern in the log after offset."""
        rx = re.compile(pattern)
        try:
            return wait_for(lambda: rx.search(self.log_since(offset)), timeout)
        except AssertionError:
            raise AssertionError("no log line /%s/ within %.0fs; log tail:\n%s"
                                 % (pattern, timeout, self.log_tail(20))) from None

    # -- processes ---------------------------------------------------------
    def _worker_binaries(self, zygote):
        out = []
        real = os.path.realpath(self.worker)
        for pid in children_of(self.pid):
            try:
                exe = os.readlink("/proc/%d/exe" % pid)
                with open("/proc/%d/comm" % pid) as f:
                    comm = f.read().strip()
            except OSError:
                continue
            if exe == real and alive(pid) and (comm == "dockgate-zygote") == zygote:
                out.append(pid)
        return out

    def workers(self):
        """Live children of the gateway that run the worker binary (the zygote is not one)."""
        return self._worker_binaries(False)

    _WORKER_LINE = re.compile(r"worker (\d+) (spawned|forked by the zygote|serving)\b")

    def idle_workers(self):
        """Live workers that no stream has been handed yet: the idle pool.

        From the log, which names each worker once spawned (or forked) and
        once serving; read on from where the last look stopped, whole
        lines only, and by the latest line per pid (pids are reused)."""
        if not hasattr(self, "_idle_seen"):
            self._idle_seen, self._idle_off = {}, 0
        with open(self.log_path, "rb") as f:
            f.seek(self._idle_off)
            data = f.read()
        data = data[:data.rfind(b"\n") + 1]
        self._idle_off += len(data)
        for m in self._WORKER_LINE.finditer(data.decode("utf-8", "replace")):
            self._idle_seen[int(m.group(1))] = m.group(2) != "serving"
        return [w for w in self.workers() if self._idle_seen.get(w)]

    def zygotes(self):
        """Live zygotes (config "zygote"): the worker binary named dockgate-zygote."""
        return self._worker_binaries(True)

    def peer(self, uid=None):
        return Peer(self.socket, uid=uid)

    def stop(self, timeout=15.0):
        """SIGTERM by pid; returns the exit status (negative: killed)."""
        if self.proc is None or self.returncode is not None:
            return self.returncode
        workers = self.workers() + self.zygotes()
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
            self.proc.wait()
            self.returncode = "hung: no exit within %.0fs of SIGTERM" % timeout
        # Workers must not outlive the gateway; those that do are killed.
        try:
            wait_for(lambda: not [w for w in workers if alive(w)], timeout=5)
            self.leftover = []
        except AssertionError:
            self.leftover = [w for w in workers if alive(w)]
            for w in self.leftover:
                os.kill(w, signal.SIGKILL)
        self._copier.join(2)
        if not self._copier.is_alive():
            self.proc.stdout.close()
        return self.returncode

    def remove_dir(self):
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _test_failed(request):
    rep = getattr(request.node, "rep_call", None)
    return rep is not None and rep.failed


@contextlib.contextmanager
def gateway_on(engine_dir, **kw):
    """A Gateway(**kw) on the private engine in engine_dir (own_engine),
    which the test may stop and start again.  Afterwards dockgated must exit
    0 on SIGTERM; its log is printed when it did not or the test failed."""
    gw = Gateway(engine_socket(engine_dir), **kw).start()
    failed = True
    try:
        yield gw
        failed = False
    finally:
        rc = gw.stop()
        if rc != 0 or failed:
            print("---- gateway log ----\n" + gw.log_tail(60))
        gw.remove_dir()
    assert rc == 0, "dockgated did not exit 0 on SIGTERM: %r" % (rc,)


# -- fixtures ---------------------------------------------------------------

@pytest.fixture
def work():
    """A private directory for a test's files (configs, state, sockets),
    open to the peers of other uids, removed afterwards."""
    d = tempfile.mkdtemp(prefix="dgwork", dir="/tmp")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def write_config(d, name="conf.json", **keys):
    """A dockgated config file (keys of supervisor/config.h) in d; returns its path."""
    path = os.path.join(d, name)
    with open(path, "w") as f:
        json.dump(keys, f)
    return path


@pytest.fixture(scope="session")
def engine_sock():
    sock = os.environ.get("DOCKGATE_TEST_ENGINE")
    if sock:
        yield sock
        return
    d = tempfile.mkdtemp(prefix="dgeng", dir="/tmp")
    engine_start(d)
    try:
        yield engine_socket(d)
    finally:
        engine_stop(d)


@pytest.fixture(scope="session")
def engine(engine_sock):
    return Engine(engine_sock)


@pytest.fixture
def direct(engine):
    """Creates containers straight on the engine; removes them afterwards."""
    made = []

    class Direct:
        def create(self, **kw):
            cid = engine.create(**kw)
            made.append(cid)
            return cid

    yield Direct()
    for cid in made:
        engine.remove(cid)


def _run_docker_front(request, engine, engine_sock, prefix, **kw):
    """_run_gateway (kw: its policy...) with a Docker-API socket too, in a fresh
    directory named prefix*."""
    d = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(d, 0o755)
    sock = os.path.join(d, "docker.sock")
    gen = _run_gateway(request, engine, engine_sock,
                       args=["--docker-socket", sock] + kw.pop("args", []), **kw)
    gw = next(gen)
    gw.docker_socket = sock
    yield gw
    for _ in gen:
        pass
    shutil.rmtree(d, ignore_errors=True)


def _run_gateway(request, engine, engine_sock, **kw):
    before = engine.labelled()
    gw = Gateway(engine_sock, **kw)
    started = False
    try:
        gw.start()
        started = True
        yield gw
    finally:
        problems = []
        try:
            rc = gw.stop()
            if started and rc != 0:
                problems.append("dockgated did not exit 0 on SIGTERM: %r" % (rc,))
            if gw.leftover:
                problems.append("workers %r outlived dockgated" % gw.leftover)
        finally:
            after = engine.labelled()
            engine.remove_all({k: [x for x in v if x not in before[k]] for k, v in after.items()})
            if problems or _test_failed(request):
                print("---- gateway log (%s) ----\n%s" % (gw.log_path, gw.log_tail(80)))
            gw.remove_dir()
        if problems:
            pytest.fail("; ".join(problems), pytrace=False)


@pytest.fixture
def gateway(request, engine, engine_sock):
    """A fresh dockgated with DEFAULT_POLICY (alpha = uid 0, beta = 1001)."""
    yield from _run_gateway(request, engine, engine_sock)


@pytest.fixture
def make_gateway(request, engine, engine_sock):
    """Factory for gateways with another policy, worker or pool size."""
    gens = []

    def make(**kw):
        g = _run_gateway(request, engine, engine_sock, **kw)
        gens.append(g)
        return next(g)

    yield make
    first = None
    for g in reversed(gens):
        try:
            for _ in g:  # runs the teardown
                pass
        except BaseException as e:  # tear every gateway down, then report
            first = first or e
    if first is not None:
        raise first


@pytest.fixture(scope="module")
def shared_gateway(request, engine, engine_sock):
    """One gateway for a whole module: its tests also prove it survives them all."""
    yield from _run_gateway(request, engine, engine_sock)


@pytest.fixture
def peer(gateway):
    """A stream as uid 0, i.e. peer "alpha"."""
    p = gateway.peer()
    yield p
    p.close()


# -- helpers used by several test files --------------------------------------

def create_container(p, cmd, name=None, **extra):
    """Creates dgtest:latest through the gateway; returns containerId."""
    inp = {"image": "dgtest:latest", "name": name or unique(), "cmd": cmd}
    inp.update(extra)
    out = p.call("docker/container/create", inp)
    assert isinstance(out, dict) and isinstance(out.get("containerId"), str), out
    return out["containerId"]


def run_container(p, cmd, **kw):
    cid = create_container(p, cmd, **kw)
    assert p.call("docker/container/start", {"containerId": cid}) == {}
    return cid


def first_error(p, op, inp, carriage=None):
    """The call.error op got, or a string saying what else happened."""
    fr = p.call_frames(op, inp, timeout=20, carriage=carriage)
    if len(fr) != 1 or fr[0]["type"] != "call.error":
        return "answered %r" % [f["type"] for f in fr]
    return CallError(fr[0])


def normalised(e, ref):
    """What must be identical between a missing and another peer's resource:
    the error with ref, the name or id asked for, taken out."""
    msg = e.message.replace(ref, "<REF>")
    det = json.dumps(e.details, sort_keys=True).replace(ref, "<REF>")
    return (e.code, msg, e.retryable, det)


def records_by_stream(records):
    """Joins log records into {"stdout": bytes, "stderr": bytes}, checking each."""
    import base64
    out = {"stdout": b"", "stderr": b""}
    for r in records:
        assert isinstance(r, dict), r
        assert r.get("stream") in ("stdout", "stderr"), r
        assert set(r) <= {"stream", "text", "base64", "timestamp"}, r
        assert ("text" in r) != ("base64" in r), "exactly one of text/base64: %r" % r
        if "text" in r:
            assert isinstance(r["text"], str), r
            data = r["text"].encode("utf-8")
        else:
            data = base64.b64decode(r["base64"], validate=True)
            try:
                data.decode("utf-8")
                raise AssertionError("valid UTF-8 sent as base64: %r" % r)
            except UnicodeDecodeError:
                pass
        out[r["stream"]] += data
    return out


def container_ids(output):
    """Full ids in a docker/container/list output (engine summaries)."""
    items = output
    if isinstance(output, dict):
        items = output.get("containers", output.get("items"))
    assert isinstance(items, list), "list output: %r" % (output,)
    ids = []
    for c in items:
        assert isinstance(c, dict), c
        cid = c.get("Id", c.get("id", c.get("containerId")))
        assert isinstance(cid, str), c
        ids.append(cid)
    return ids
