"""A real terminal for the CLIs' -it tests: one tmux server on a private
socket, running one command in a window of a given size."""

import os
import re
import shutil
import subprocess

import pytest

from conftest import unique, wait_for

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class TmuxTerm:
    """with TmuxTerm(cmd, cols, rows) as t: t.keys(...); t.wait_screen(...)"""

    def __init__(self, cmd, cols, rows, prefix="dgtmux"):
        self.session = unique(prefix)
        self.sock = "/tmp/%s.tmux" % self.session
        self.tmux("new-session", "-d", "-s", self.session, "-x", str(cols), "-y", str(rows), cmd)

    def tmux(self, *args, check=True):
        return subprocess.run(["tmux", "-S", self.sock] + list(args), check=check,
                              capture_output=True, text=True)

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", self.session).stdout

    def keys(self, *keys):
        """Types keys into the window (tmux send-keys: "Enter" is the key)."""
        self.tmux("send-keys", "-t", self.session, *keys)
        return True

    def wait_screen(self, *patterns, timeout=10, what=None):
        """Waits until each regex (multiline) is on the screen."""
        try:
            return wait_for(lambda: all(re.search(p, self.screen(), re.M) for p in patterns),
                            timeout=timeout, what=what or " and ".join(patterns))
        except AssertionError as e:
            raise AssertionError("%s; the screen:\n%s" % (e, self.screen())) from None

    def wait_prompt(self, timeout=15):
        self.wait_screen(r"[#$]", timeout=timeout, what="a shell prompt")

    def wait_size(self, rows, cols, timeout=10):
        """Asks the shell for its terminal's size until it is rows x cols: a
        resize reaches the container's terminal some time after the window's."""
        try:
            wait_for(lambda: (self.keys("clear; stty size", "Enter")
                              and re.search(r"^%d %d\s*$" % (rows, cols), self.screen(), re.M)),
                     timeout=timeout, step=0.5, what="stty size %d %d" % (rows, cols))
        except AssertionError as e:
            raise AssertionError("%s; the screen:\n%s" % (e, self.screen())) from None

    def resize(self, cols, rows):
        self.tmux("resize-window", "-t", self.session, "-x", str(cols), "-y", str(rows),
                  check=False)

    def resize_round(self, code):
        """The round both -it CLIs' tests make in a 90 x 30 window: a shell
        prompt, its terminal's size, that size following the window to
        70 x 20 (SIGWINCH, then the engine's resize), and exit code back."""
        self.wait_prompt()
        self.wait_size(30, 90)
        self.resize(70, 20)
        self.wait_size(20, 70)
        self.keys("exit %d" % code, "Enter")
        self.wait_screen("CLI-EXIT=%d" % code, what="the exit code")

    def close(self):
        self.tmux("kill-server", check=False)
        try:
            os.unlink(self.sock)
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()
