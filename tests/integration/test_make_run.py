"""`make run` leaves a gateway a second terminal can use.

contrib/run-gateway.sh (what `make run` runs after building) is started the
way sudo would start it for uid 1001 (SUDO_UID), in the background; the
lines it prints are pasted into a shell of that uid, which must get
"hello"; Ctrl-C (SIGINT to its process group) must then stop the gateway.
The suite's engine stands in for the system one (DOCKGATE_ENGINE).
"""

import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time

from conftest import BETA_UID, BUILD, ROOT, alive


def read_until(proc, pattern, timeout=120):
    """stdout lines until one matches; the deadline is reset by every line."""
    lines = []
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    buf = b""
    while True:
        r, _, _ = select.select([fd], [], [], 1.0)
        if r:
            data = os.read(fd, 65536)
            if not data:
                raise AssertionError("make run ended:\n" + "".join(lines) + buf.decode())
            buf += data
            deadline = time.monotonic() + timeout
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                lines.append(line.decode() + "\n")
                if re.search(pattern, lines[-1]):
                    return lines
        if time.monotonic() > deadline:
            raise AssertionError("no progress from make run:\n" + "".join(lines))


def test_make_run_leaves_a_gateway_for_the_sudo_user(engine_sock, engine):
    rundir = tempfile.mkdtemp(prefix="dgrun", dir="/tmp")
    os.chmod(rundir, 0o755)  # the user must reach the socket inside
    env = dict(os.environ, SUDO_UID=str(BETA_UID), DOCKGATE_ENGINE=engine_sock,
               DOCKGATE_RUN_DIR=os.path.join(rundir, "run"))
    env.pop("DOCKGATE_SOCKET", None)
    # As from a terminal: SIGINT not ignored, even when the suite itself was
    # started in the background (a non-interactive shell's `&` ignores it, and
    # sh cannot trap a signal ignored at its start).
    proc = subprocess.Popen(["sh", os.path.join(ROOT, "contrib", "run-gateway.sh"), BUILD],
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    gw_pid = None
    try:
        lines = read_until(proc, r"dockgate run --rm .* echo hello")
        text = "".join(lines)
        gw_pid = int(re.search(r"dockgate is running \(pid (\d+)\) for uid %d" % BETA_UID,
                               text).group(1))
        paste = [l for l in lines if l.startswith("export ")] + [lines[-1]]
        assert paste[0].startswith("export DOCKGATE_SOCKET=")
        if "--docker-socket" in subprocess.run([os.path.join(BUILD, "bin", "dockgated"), "--help"],
                                               capture_output=True, text=True).stdout:
            assert any(l.startswith("export DOCKER_HOST=unix://") for l in paste), text
        else:
            assert not any("DOCKER_HOST" in l for l in paste), text

        # Another terminal, as that user, with nothing but the pasted lines.
        user_env = {"PATH": "/usr/bin:/bin", "HOME": "/"}
        r = subprocess.run(["setpriv", "--reuid=%d" % BETA_UID, "--regid=%d" % BETA_UID,
                            "--clear-groups", "sh", "-c", "".join(paste)],
                           env=user_env, capture_output=True, text=True, timeout=120)
        assert (r.returncode, r.stdout) == (0, "hello\n"), (r.stdout, r.stderr, text)
        r = subprocess.run(["setpriv", "--reuid=%d" % BETA_UID, "--regid=%d" % BETA_UID,
                            "--clear-groups", "sh", "-c",
                            "".join(paste[:-1]) + paste[-1].split(" run ")[0] + " call gateway/whoami"],
                           env=user_env, capture_output=True, text=True, timeout=60)
        assert '"peer":"you"' in r.stdout.replace(" ", ""), r.stdout + r.stderr

        # Ctrl-C stops the gateway, by pid, and the socket goes with it.
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=60) == 130
        rest = proc.stdout.read().decode()
        assert "gateway stopped" in rest, rest
        assert not alive(gw_pid)
        assert not os.path.exists(os.path.join(rundir, "run", "dockgate.sock"))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        # The gateway has its own session: a failed run stops it by its pid.
        if gw_pid is not None and alive(gw_pid):
            os.kill(gw_pid, signal.SIGTERM)
        shutil.rmtree(rundir, ignore_errors=True)
