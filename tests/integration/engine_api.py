"""engine_api.py - the tests' own, direct line to the Docker Engine.

Used to see what really happened behind the gateway (labels, limits, whether
a container exists) and to clean up.  http.client over the engine's socket.
"""

import http.client
import json
import socket
import urllib.parse

OWNER_LABEL = "dockgate.owner"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self._path)
        self.sock = s


class Engine:
    def __init__(self, path):
        self.path = path

    def http(self, method, url, body=None, headers=None, timeout=60):
        """Returns (status, decoded JSON or raw bytes)."""
        conn = _UnixConnection(self.path, timeout)
        try:
            hdrs = dict(headers or {})
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                hdrs["Content-Type"] = "application/json"
            conn.request(method, url, body=data, headers=hdrs)
            r = conn.getresponse()
            raw = r.read()
            ctype = r.getheader("Content-Type", "")
            if ctype.startswith("application/json") and raw:
                return r.status, json.loads(raw)
            return r.status, raw
        finally:
            conn.close()

    def ok(self, method, url, body=None, expect=(200, 201, 204, 304)):
        status, out = self.http(method, url, body)
        if status not in expect:
            raise RuntimeError("engine %s %s: %d %r" % (method, url, status, out))
        return out

    # -- containers ------------------------------------------------------
    def create(self, name=None, cmd=None, labels=None, image="dgtest:latest"):
        body = {
            "Image": image,
            "Cmd": cmd or ["sleep", "60"],
            "Labels": labels or {},
            "HostConfig": {"NetworkMode": "none"},
        }
        url = "/containers/create"
        if name:
            url += "?name=" + urllib.parse.quote(name)
        return self.ok("POST", url, body)["Id"]

    def inspect(self, ref):
        """The inspect document, or None when the engine answers 404."""
        status, out = self.http("GET", "/containers/%s/json" % urllib.parse.quote(ref, safe=""))
        if status == 404:
            return None
        if status != 200:
            raise RuntimeError("inspect %s: %d %r" % (ref, status, out))
        return out

    def start(self, cid):
        self.ok("POST", "/containers/%s/start" % cid)

    def wait(self, cid, timeout=60):
        return self.http("POST", "/containers/%s/wait" % cid, timeout=timeout)[1]

    def remove(self, cid):
        status, out = self.http("DELETE", "/containers/%s?force=1&v=1" % cid)
        if status not in (204, 404):
            raise RuntimeError("remove %s: %d %r" % (cid, status, out))

    def _filters(self, label):
        return urllib.parse.quote(json.dumps({"label": [label]}))

    def labelled(self, label=OWNER_LABEL):
        """{"containers": [ids], "networks": [ids], "volumes": [names]} under label."""
        f = self._filters(label)
        cs = self.ok("GET", "/containers/json?all=1&filters=" + f)
        ns = self.ok("GET", "/networks?filters=" + f)
        vs = self.ok("GET", "/volumes?filters=" + f)
        return {
            "containers": [c["Id"] for c in cs],
            "networks": [n["Id"] for n in ns],
            "volumes": [v["Name"] for v in (vs.get("Volumes") or [])],
        }

    def remove_all(self, found):
        for cid in found.get("containers", []):
            self.remove(cid)
        for nid in found.get("networks", []):
            self.http("DELETE", "/networks/%s" % nid)
        for name in found.get("volumes", []):
            self.http("DELETE", "/volumes/%s?force=1" % urllib.parse.quote(name, safe=""))
