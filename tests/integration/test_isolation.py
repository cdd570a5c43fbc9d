"""Invariant 3: a peer sees and touches only what it owns.

Another peer's container answers NOT_FOUND, by full id, by prefix and by
name, to every operation, with exactly the message a missing one gets (after
the reference the peer typed is replaced by a placeholder), and it is left
untouched.
"""

import json
import secrets

import pytest

from conftest import BETA_UID, container_ids, create_container, first_error, normalised, unique
from peer import CallError

OPS = [
    ("docker/container/inspect", {}),
    ("docker/container/start", {}),
    ("docker/container/remove", {"force": True}),
    ("docker/container/logs", {"stdout": True, "stderr": True}),
]


def attempt(p, op, extra, ref):
    """The call.error of op on ref; any other outcome is a failure string."""
    inp = {"containerId": ref}
    inp.update(extra)
    return first_error(p, op, inp)


def forms(cid, name):
    return {"full id": cid, "prefix": cid[:12], "name": name}


def missing_forms():
    return forms(secrets.token_hex(32), unique("dgt-missing"))


@pytest.fixture(params=["beta-via-gateway", "beta-label-on-engine"])
def foreign(request, gateway, engine, direct):
    """(id, name) of a container owned by beta."""
    name = unique("dgt-beta")
    if request.param == "beta-via-gateway":
        with gateway.peer(uid=BETA_UID) as b:
            cid = create_container(b, ["sh", "-c", "echo secret-of-beta"], name=name)
    else:
        cid = direct.create(name=name, cmd=["sh", "-c", "echo secret-of-beta"],
                            labels={"dockgate.owner": "beta"})
    return cid, name


def test_others_container_is_not_found(peer, engine, foreign):
    cid, name = foreign
    failures = []
    baseline = {}
    for form, ref in missing_forms().items():
        for op, extra in OPS:
            e = attempt(peer, op, extra, ref)
            if not isinstance(e, CallError) or e.code != "NOT_FOUND":
                failures.append("missing container, %s, %s: %s" % (form, op, e))
                continue
            baseline[(form, op)] = normalised(e, ref)
    for form, ref in forms(cid, name).items():
        for op, extra in OPS:
            e = attempt(peer, op, extra, ref)
            where = "beta's container by %s (%s), %s" % (form, ref, op)
            if not isinstance(e, CallError):
                failures.append("%s: %s" % (where, e))
                continue
            if e.code != "NOT_FOUND":
                failures.append("%s: %s %r" % (where, e.code, e.message))
                continue
            # Echoing what the peer typed is fine; anything more is a leak.
            text = (e.message + json.dumps(e.details)).replace(ref, "<REF>")
            if cid[:12] in text or name in text:
                failures.append("%s: the error leaks the container: %r" % (where, text))
            if (form, op) in baseline and normalised(e, ref) != baseline[(form, op)]:
                failures.append("%s: differs from a missing container: %r vs %r"
                                % (where, normalised(e, ref), baseline[(form, op)]))
    ids = container_ids(peer.call("docker/container/list", {"all": True}))
    if cid in ids:
        failures.append("alpha's list shows beta's container")
    doc = engine.inspect(cid)
    if doc is None:
        failures.append("beta's container was removed by alpha")
    elif doc["State"]["Running"] or doc["State"]["StartedAt"] != "0001-01-01T00:00:00Z":
        failures.append("beta's container was started by alpha")
    assert not failures, "\n".join(failures)


def test_owner_sees_own(gateway, engine):
    """The other side of the coin: beta does reach its own container."""
    with gateway.peer(uid=BETA_UID) as b:
        cid = create_container(b, ["true"])
        assert b.call("docker/container/inspect", {"containerId": cid})["Id"] == cid
        assert cid in container_ids(b.call("docker/container/list", {"all": True}))
        assert b.call("docker/container/remove", {"containerId": cid}) == {}
    assert engine.inspect(cid) is None


def test_unlabelled_container_is_not_found(peer, direct):
    """A container nobody stamped is no peer's."""
    name = unique("dgt-bare")
    cid = direct.create(name=name)
    for ref in (cid, cid[:12], name):
        e = peer.error("docker/container/inspect", {"containerId": ref})
        assert e.code == "NOT_FOUND", (ref, e)
