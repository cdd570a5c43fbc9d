/*
 * bindroot.h - host paths a peer may bind-mount, resolved beneath the
 * policy's roots (docs/policy.md, "Host paths").
 *
 * SECURITY (invariant 5): a requested host path is mounted only when it is
 * a directory or a regular file found beneath one of the peer's roots by a
 * walk that follows no symlink (not even in the last component), no magic
 * link (/proc/self/fd/...), no ".." and no "." (openat2 with
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), and that
 * neither is nor contains one of the engine's own paths (its socket, its
 * data root).  What is mounted is the canonical path of what was checked:
 * the file's own name as the kernel reports it for the opened fd, which must
 * equal the path that was asked (a directory renamed under the walk fails).
 *
 * What remains: the engine mounts the path at start, by name.  Whoever can
 * rename directories inside a root between the check and the start could
 * swap one for a symlink; docs/policy.md says to give writable roots only
 * to what cannot also ask for other paths beneath them.
 */
#ifndef DG_BINDROOT_H
#define DG_BINDROOT_H

#include <stddef.h>

#define BINDROOT_PATH_MAX 4096

/*
 * Resolves host (absolute) beneath root (absolute and canonical, not "/").
 * forbidden: NULL-terminated list of absolute paths that may be neither the
 * result nor inside it (may be NULL).  On success returns 0 and writes the
 * canonical path to out; else -1 with the reason in err (peer-facing, names
 * only what the peer asked).
 */
int bindroot_resolve(const char *root, const char *host, const char *const *forbidden,
                     char *out, size_t outlen, char *err, size_t errlen);

/* The same check, answering the O_PATH fd of what was checked (the caller closes it). */
int bindroot_open(const char *root, const char *host, const char *const *forbidden, char *err,
                  size_t errlen);

/* 1 when host is root or beneath it, by name (no file system access). */
int bindroot_under(const char *root, const char *host);

/* 0 when root is fit to be a policy bind root; -1 with the reason. */
int bindroot_root_ok(const char *root, char *err, size_t errlen);

#endif
