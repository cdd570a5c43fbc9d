"""The fork server (config "zygote"): workers forked by a demoted zygote, the
zygote's bounded lifetime, and posix_spawn whenever no zygote is ready.

docs/SECURITY.md ("Zygote") and docs/ARCHITECTURE.md describe the design.
"""

import os
import re
import signal

import pytest

from conftest import alive, ppid_of, proc_status, wait_for

POOL = 2
READY = r"zygote (\d+) ready"
FORKED = r"worker (\d+) forked by the zygote"


def ping(gw):
    with gw.peer() as p:
        assert p.call("docker/system/ping") == {"ok": True}


def zygote_gateway(make_gateway, args=None, **config):
    cfg = {"zygote": True}
    cfg.update(config)
    gw = make_gateway(pool=POOL, config=cfg, args=args or [])
    zpid = int(gw.wait_log(READY).group(1))
    return gw, zpid


def zygote_metrics(admin):
    from test_usage import metrics, samples
    s = samples(metrics(admin))
    return {k[0][len("dockgate_zygote_"):] + "".join("/" + v for _, v in k[1]): v
            for k, v in s.items() if k[0].startswith("dockgate_zygote_")}


def forked_pids(gw, off=0):
    return [int(m) for m in re.findall(FORKED, gw.log_since(off))]


def idle_forked(gw, off=0):
    """Workers forked by the zygote and never handed a peer: idle in the pool, they stay."""
    served = set(int(m) for m in re.findall(r"worker (\d+) serving", gw.log()))
    return [p for p in forked_pids(gw, off) if p not in served and alive(p)]


def churn(gw, n):
    """n fresh streams, one ping each: each takes a pool worker, and the refill forks."""
    for _ in range(n):
        ping(gw)


def test_workers_are_forked_sandboxed_children_of_the_gateway(make_gateway):
    gw, zpid = zygote_gateway(make_gateway)
    # The zygote is demoted like a worker, but never serves a peer.
    st = proc_status(zpid)
    assert st["NoNewPrivs"] == "1" and int(st["CapEff"], 16) == 0, st
    assert st["Uid"].split()[0] != "0"
    # Filtered itself: the worker's list plus what forking a child takes.
    assert st["Seccomp"] == "2" and st["Seccomp_filters"] == "1", st
    assert zpid not in gw.workers()
    churn(gw, POOL + 2)
    # One forked and never handed a peer: idle in the pool, it stays.
    pid = wait_for(lambda: idle_forked(gw), what="an idle worker forked by the zygote")[0]
    # CLONE_PARENT: the gateway's own child, which it reaps and kills.
    assert ppid_of(pid) == gw.pid
    # Its own filter stacked on the zygote's (the inherited one is there from the fork).
    st = wait_for(lambda: (lambda s: s if s and s.get("Seccomp_filters") == "2" else None)(
        proc_status(pid)), what="worker %d with its two seccomp filters" % pid)
    assert st["Seccomp"] == "2", st
    assert st["NoNewPrivs"] == "1" and int(st["CapEff"], 16) == 0, st
    assert st["Uid"].split()[0] != "0"
    assert pid in gw.workers()


def test_zygote_killed_streams_still_served_and_a_new_one_starts(make_gateway):
    gw, zpid = zygote_gateway(make_gateway)
    off = gw.log_size()
    os.kill(zpid, signal.SIGKILL)
    # Fresh streams keep being served meanwhile (posix_spawn), none refused.
    churn(gw, POOL + 3)
    gw.wait_log(r"zygote %d killed by signal 9" % zpid, off)
    new = int(gw.wait_log(READY, off).group(1))
    assert new != zpid and not alive(zpid)
    off2 = gw.log_size()
    churn(gw, POOL + 2)
    wait_for(lambda: forked_pids(gw, off2), what="a worker forked by the new zygote")


def test_worker_killed_by_a_signal_replaces_the_zygote(make_gateway, tmp_path):
    admin = str(tmp_path / "admin.sock")
    gw, zpid = zygote_gateway(make_gateway, args=["--admin-socket", admin])
    off = gw.log_size()
    churn(gw, POOL + 1)
    victim = wait_for(lambda: idle_forked(gw, off), what="an idle worker forked by the zygote")[0]
    off2 = gw.log_size()
    os.kill(victim, signal.SIGSEGV)  # what a failed probe of the shared layout looks like
    gw.wait_log(r"zygote %d retired after \d+ forks: worker %d died by signal %d"
                % (zpid, victim, signal.SIGSEGV), off2)
    new = int(gw.wait_log(READY, off2).group(1))
    assert new != zpid
    wait_for(lambda: not alive(zpid), what="the retired zygote to exit")
    ping(gw)
    m = zygote_metrics(admin)
    assert m["retirements_total/signal"] == 1 and m["starts_total"] == 2, m
    assert m["forks_total"] >= POOL + 1 and m["retirements_total/lost"] == 0, m


def test_zygote_is_replaced_every_n_forks(make_gateway, tmp_path):
    admin = str(tmp_path / "admin.sock")
    gw, zpid = zygote_gateway(make_gateway, args=["--admin-socket", admin], zygoteForks=8)
    off = gw.log_size()
    churn(gw, 24)
    gw.wait_log(r"zygote %d retired after 8 forks: 8 forks" % zpid, off)
    log = gw.log()
    zygotes = re.findall(READY, log)
    assert len(zygotes) >= 2 and len(set(zygotes)) == len(zygotes), zygotes
    # The successor was started before the retirement (at 6 forks), not after it.
    successor = re.search(r"zygote (\d+) started", log[log.index("zygote %d ready" % zpid):])
    assert successor is not None
    assert log.index(successor.group(0)) < log.index("zygote %d retired" % zpid)
    # No zygote ever forked more than 8.
    for m in re.finditer(r"zygote \d+ retired after (\d+) forks", log):
        assert int(m.group(1)) <= 8, m.group(0)
    # /metrics counts the same: forks, rotations, and whatever was spawned instead.
    # The pool refills as it is read: both are read again until they agree.
    def agreed():
        mm = zygote_metrics(admin)
        n = len(re.findall(FORKED, gw.log()))
        return (mm, n) if mm["forks_total"] == n else None
    m, forked = wait_for(agreed, timeout=10, what="/metrics to count the forks the log shows")
    assert forked >= 16, (m, forked)
    assert m["retirements_total/rotation"] >= 2 and m["retirements_total/signal"] == 0, m
    assert m["starts_total"] >= 3, m
    assert m["spawn_fallbacks_total"] >= 0


def test_zygote_off_by_config(make_gateway):
    gw = make_gateway(pool=POOL, config={"zygote": False})
    churn(gw, POOL + 1)
    assert not gw.zygotes()
    assert "zygote" not in gw.log()


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the canary is renewed on x86_64 only")
def test_each_forked_worker_has_its_own_stack_canary(make_gateway):
    """Siblings of one zygote share its layout, but not its canary (SECURITY.md)."""
    from conftest import binary
    gw = make_gateway(pool=POOL, config={"zygote": True}, worker=binary("dockgate-worker-evil"))
    zpid = int(gw.wait_log(READY).group(1))
    canaries = {}
    for _ in range(POOL + 4):  # the pool's first workers may predate the zygote
        off = gw.log_size()
        with gw.peer() as p:
            e = p.error("test/violate/canary")
            pid = gw.serving_worker(off)
        m = re.fullmatch(r"canary ([0-9a-f]{16})", e.message)
        assert m, e.message
        canaries[pid] = int(m.group(1), 16)
    forked = set(forked_pids(gw))
    canaries = {pid: v for pid, v in canaries.items() if pid in forked}
    assert len(canaries) >= 3, (canaries, forked)
    assert all(v != 0 and v & 0xff == 0 for v in canaries.values()), canaries
    assert len(set(canaries.values())) == len(canaries), canaries
    assert "zygote %d retired" % zpid not in gw.log()
