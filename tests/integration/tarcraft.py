"""tarcraft.py - tar archives byte by byte, hostile ones included.

Python's tarfile will not write what an attacker writes (empty pax values,
empty GNU long names, pax record lengths that overflow, GNU headers with a
prefix where Go looks for one), so the archive attacks are built here, one
header at a time.  CASES holds every archive attack of issue 10 (items 7
and 8) and the model's own corner cases, each a list of archives put in
turn into the same target directory; tests/fuzz/make-seeds.py writes them
into the tar fuzz corpus, and test_hostile.py puts them through the gateway
and directly on the engine.
"""

BLOCK = 512


def _num(v, width):
    return (b"%0*o" % (width - 1, v)) + b"\0"


def header(name, typ=b"0", size=0, mode=0o644, link=b"", fmt="ustar", prefix=b"",
           fixup=None):
    """One header block; name, link and prefix are bytes (or str)."""
    name, link, prefix = (x.encode() if isinstance(x, str) else x for x in (name, link, prefix))
    h = bytearray(BLOCK)
    h[0:len(name[:100])] = name[:100]
    h[100:108] = _num(mode, 8)
    h[108:116] = _num(0, 8)
    h[116:124] = _num(0, 8)
    h[124:136] = _num(size, 12)
    h[136:148] = _num(0, 12)
    h[156:157] = typ
    h[157:157 + len(link[:100])] = link[:100]
    if fmt == "ustar":
        h[257:265] = b"ustar\x0000"
        h[345:345 + len(prefix)] = prefix
    elif fmt == "gnu":
        h[257:265] = b"ustar  \x00"
    if fixup is not None:
        fixup(h)
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def _pad(data):
    return data + b"\0" * (-len(data) % BLOCK)


def entry(name, typ=b"0", data=b"", mode=0o644, link=b"", fmt="ustar", **kw):
    return header(name, typ, len(data), mode, link, fmt, **kw) + _pad(data)


def file(name, data=b"x", **kw):
    return entry(name, b"0", data, **kw)


def dir(name, **kw):
    return entry(name, b"5", mode=0o755, **kw)


def sym(name, target, **kw):
    return entry(name, b"2", mode=0o777, link=target, **kw)


def hard(name, target, **kw):
    return entry(name, b"1", link=target, **kw)


def pax_record(key, value):
    key, value = (x.encode() if isinstance(x, str) else x for x in (key, value))
    body = b" " + key + b"=" + value + b"\n"
    n = len(body) + 1
    while len(b"%d" % n) + len(body) != n:
        n += 1
    return b"%d" % n + body


def pax(*pairs, typ=b"x"):
    """A pax header for the next entry: pax(("path", "x"), ("size", "3"))."""
    return entry("PaxHeaders/x", typ, b"".join(pax_record(k, v) for k, v in pairs))


def pax_raw(records, typ=b"x"):
    return entry("PaxHeaders/x", typ, records)


def gnu_long(typ, name):
    """A GNU long name ('L') or long link ('K'): the name and its NUL."""
    name = name.encode() if isinstance(name, str) else name
    return entry("././@LongLink", typ, name + b"\0", fmt="gnu")


def end():
    return b"\0" * (2 * BLOCK)


def archive(*parts):
    return b"".join(parts) + end()


def _gnu_prefix_atime(h):
    h[345:354] = b"../../etc"  # not octal: Go takes the bytes as a name prefix


# name -> list of archives, put in turn into one target directory.
# "escape" cases are attacks (the checker must refuse their escaping entry);
# the others must pass it whole.
CASES = {
    # item 7: a hard link to a deep symlink writes two levels above the target
    "escape-hardlink-to-deep-symlink": [archive(
        dir("a/"), dir("a/b/"), sym("a/b/l", "../.."), hard("h", "a/b/l"),
        file("h/x", b"two levels up"))],
    # item 7: a symlink made before the link it passes through; a second archive
    # writes through it
    "escape-symlink-before-its-link": [
        archive(sym("s", "a/b/../.."), dir("a/"), sym("a/b", "..")),
        archive(dir("s/etc/"), file("s/etc/x", b"through s"))],
    # item 7: empty pax path / GNU long name: Go keeps the ustar name
    "escape-pax-empty-path": [archive(pax(("path", "")), dir("../escape/"),
                                      pax(("path", "")), file("../escape-file", b"up"))],
    "escape-pax-empty-linkpath": [archive(pax(("linkpath", "")), sym("l", "../../.."),
                                          file("l/x", b"up"))],
    "escape-gnu-empty-name": [archive(gnu_long(b"L", ""),
                                      entry("../escape-gnu", b"0", b"up", fmt="gnu"))],
    "escape-gnu-empty-link": [archive(gnu_long(b"K", ""),
                                      entry("l", b"2", link="../../..", fmt="gnu"),
                                      file("l/x", b"up"))],
    # item 7: a 20-digit pax length, 2^64 + 31, wraps to 31 in a size_t
    "escape-pax-length-overflow": [archive(
        pax_raw(b"18446744073709551647 a=xxxxxxx\n"), file("after-overflow"))],
    # Go takes a GNU header's non-numeric atime bytes as a name prefix
    "escape-gnu-atime-prefix": [archive(
        header("x", b"0", 2, fmt="gnu", fixup=_gnu_prefix_atime) + _pad(b"up"))],
    # the model's own: a hard link relocating a link, a link over a directory in
    # use, a re-made link, a link made by a hard link under an earlier link's path
    "escape-hardlink-relocates": [archive(
        dir("d/"), sym("d/up", "../f"), hard("top", "d/up"), file("top/x"))],
    "escape-link-over-used-dir": [archive(
        file("p/q/f"), sym("p", "elsewhere"))],
    "escape-link-remade": [archive(
        dir("d/"), sym("d/l", "x"), sym("d/l", "../y"), hard("h", "d/l"), file("h/z"))],
    "escape-hardlink-under-earlier-link": [archive(
        dir("x/"), sym("x/dotdot", ".."), dir("e/"), dir("d/"),
        sym("d/s", "../e/q/../.."), hard("e/q", "x/dotdot"), dir("d/s/esc/"))],
    "escape-through-own-link": [archive(sym("l", "."), file("l/x"))],
    # what must pass whole
    "ok-tree-with-links": [archive(
        sym("s", "a/b"), sym("a/b", "../c"), dir("lib/"), file("lib/libx.so.1", b"elf"),
        sym("lib/libx.so", "libx.so.1"), hard("lib/copy", "lib/libx.so"), dir("bin/"),
        sym("bin/tool", "../lib/libx.so.1"), hard("bin/tool2", "bin/tool"),
        file("bin/tool", b"replaced"))],
    "ok-empty-pax-and-gnu-values": [archive(
        pax(("path", ""), ("size", "")), file("from-ustar", b"abc"),
        gnu_long(b"L", ""), gnu_long(b"K", "from-ustar"),
        entry("gnu-hard", b"1", link="ignored", fmt="gnu"),
        gnu_long(b"L", "gnu-wins"), pax(("path", "")), entry("x", b"0", fmt="gnu"))],
}
