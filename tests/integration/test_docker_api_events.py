"""`docker events` through the Docker-API front, live, as two tenant uids:
each sees its own networks' and volumes' events (create, connect,
disconnect, destroy; create, mount, destroy), which the supervisor filters
itself (supervisor/evrelay.c), and never the other tenant's.

Operations (tests/check-ops.sh): docker/system/events.
"""

import json
import os
import queue
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import ALPHA_UID, BETA_UID, unique
from test_docker_api import DOCKER, IMAGE, docker, front  # noqa: F401 (a fixture)


class Events:
    """A running `docker events --format {{json .}}` of one uid, its lines read as they come."""

    def __init__(self, gw, uid, *filters):
        if not os.access(DOCKER, os.X_OK):
            pytest.skip("Debian's docker CLI (/usr/bin/docker, package docker.io) is missing")
        self.home = tempfile.mkdtemp(prefix="dgcli", dir="/tmp")
        os.chown(self.home, uid, uid)
        env = {"PATH": "/usr/bin:/bin", "HOME": self.home,
               "DOCKER_HOST": "unix://" + gw.docker_socket}
        self.p = subprocess.Popen([DOCKER, "events", "--format", "{{json .}}", *filters],
                                  env=env, user=uid, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, cwd=self.home)
        self.q = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.q.put(json.loads(line))

    def until(self, pred, timeout=20):
        """Reads events until one satisfies pred; returns it (all are kept in self.seen)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                ev = self.q.get(timeout=0.2)
            except queue.Empty:
                assert self.p.poll() is None, self.p.stderr.read()
                continue
            self.seen.append(ev)
            if pred(ev):
                return ev
        raise AssertionError("no such event; seen %r" % self.seen)

    def close(self):
        self.p.kill()
        self.p.wait()
        subprocess.run(["rm", "-rf", self.home])


def is_volume(name, action):
    return lambda e: e["Type"] == "volume" and e["Actor"]["ID"] == name and e["Action"] == action


def marked(gw, uid, ev, tag):
    """A volume made and removed until ev shows its create: ev is live, and ordered before."""
    for i in range(50):
        name = "%s-%d" % (tag, i)
        docker(gw, uid, "volume", "create", name, check=0)
        docker(gw, uid, "volume", "rm", name, check=0)
        try:
            return ev.until(is_volume(name, "destroy"), timeout=1 if i < 49 else 10)
        except AssertionError:
            continue
    raise AssertionError("the events stream never showed the tenant's own volume")


def test_network_and_volume_events_are_the_tenants_own(front, engine):
    """docker/system/events: live network and volume events, only the tenant's own."""
    a = Events(front, ALPHA_UID, "--filter", "type=network", "--filter", "type=volume")
    b = Events(front, BETA_UID)
    net, vol, bnet, bvol = unique("evn"), unique("evv"), unique("evbn"), unique("evbv")
    try:
        marked(front, ALPHA_UID, a, unique("mark"))
        marked(front, BETA_UID, b, unique("markb"))
        nid = docker(front, ALPHA_UID, "network", "create", net, check=0).stdout.decode().strip()
        docker(front, ALPHA_UID, "volume", "create", vol, check=0)
        docker(front, ALPHA_UID, "run", "--rm", "--network", net, "-v", vol + ":/data", IMAGE,
               "true", check=0)
        # beta's own, made while alpha watches
        docker(front, BETA_UID, "network", "create", bnet, check=0)
        docker(front, BETA_UID, "volume", "create", bvol, check=0)
        docker(front, ALPHA_UID, "network", "rm", net, check=0)
        docker(front, ALPHA_UID, "volume", "rm", vol, check=0)
        docker(front, BETA_UID, "network", "rm", bnet, check=0)
        docker(front, BETA_UID, "volume", "rm", bvol, check=0)
        end = unique("end")
        marked(front, ALPHA_UID, a, end)
        marked(front, BETA_UID, b, end)

        nets = [(e["Action"], e["Actor"]["ID"], e["Actor"]["Attributes"].get("name"))
                for e in a.seen if e["Type"] == "network"]
        assert ("create", nid, net) in nets and ("destroy", nid, net) in nets, nets
        assert ("connect", nid, net) in nets and ("disconnect", nid, net) in nets, nets
        vols = [(e["Action"], e["Actor"]["ID"]) for e in a.seen if e["Type"] == "volume"]
        assert ("create", vol) in vols and ("destroy", vol) in vols, vols
        assert ("mount", vol) in vols, vols
        # names as the tenant knows them, no owner label, and never beta's
        text = json.dumps(a.seen)
        assert "alpha." not in text and "dockgate.owner" not in text, text
        assert bnet not in text and bvol not in text, text
        assert {e["Type"] for e in a.seen} <= {"network", "volume"}, a.seen
        # beta saw its own, and nothing of alpha's (its stream has every type)
        text_b = json.dumps(b.seen)
        assert bnet in text_b and bvol in text_b, b.seen
        assert net not in text_b and vol not in text_b and nid not in text_b, b.seen
    finally:
        a.close()
        b.close()
