"""What the prunes free, as the docker CLI prints it ("Total reclaimed space"):
the sum of the engine's sizes of what was removed (a container's writable
layer, a volume's disk usage), and only the tenant's own.
"""

import re

from conftest import ALPHA_UID, BETA_UID, unique
from test_docker_api import IMAGE, docker, front  # noqa: F401 (a fixture)

UNITS = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}


def reclaimed(out):
    m = re.search(r"Total reclaimed space: ([0-9.]+)([kMG]?B)", out)
    assert m, out
    return float(m.group(1)) * UNITS[m.group(2)]


def test_prunes_report_the_space_they_freed(front, engine):
    """docker/container/prune and docker/volume/prune: SpaceReclaimed from the engine's sizes."""
    vol = unique("rv")
    docker(front, ALPHA_UID, "volume", "create", vol, check=0)
    cid = docker(front, ALPHA_UID, "run", "-d", "-v", vol + ":/data", IMAGE, "sh", "-c",
                 "dd if=/dev/zero of=/big bs=1M count=3 && "
                 "dd if=/dev/zero of=/data/big bs=1M count=2", check=0).stdout.decode().strip()
    docker(front, ALPHA_UID, "wait", cid, check=0)
    # beta's prune frees nothing of alpha's
    out = docker(front, BETA_UID, "container", "prune", "-f", check=0).stdout.decode()
    assert cid not in out and reclaimed(out) == 0, out
    out = docker(front, ALPHA_UID, "container", "prune", "-f", check=0).stdout.decode()
    assert cid in out and 3e6 <= reclaimed(out) < 4e6, out
    out = docker(front, ALPHA_UID, "volume", "prune", "-f", check=0).stdout.decode()
    assert vol in out and 2e6 <= reclaimed(out) < 3e6, out
