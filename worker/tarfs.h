/*
 * tarfs.h - the filesystem an archive builds, as far as where its paths
 * lead: the model worker/tar.c checks every entry of archive/put against.
 *
 * SECURITY: the engine (moby's archive.Unpack) joins each entry's name to
 * the target directory lexically and then lets the kernel walk it, so an
 * intermediate component that is a symbolic link is followed; a hard link
 * made to a symbolic link (link(2) does not follow it) is a second symbolic
 * link with the same target, read from a new place; and a symbolic link's
 * target is walked only when it is used, through whatever the archive made
 * since.  The model holds what decides where paths lead:
 *
 *  - the symbolic links the archive made (its symlink entries, and its hard
 *    links to them), with their targets;
 *  - every path some entry, hard link target or symbolic link target passed
 *    through as a directory (including a component undone by "..").
 *
 * and keeps these rules, each one checked when an entry is added, in any
 * order of entries:
 *
 *  1. No name, hard link target or symbolic link target goes through a
 *     symbolic link the archive made (as a directory, or before "..").
 *  2. No symbolic link is made where a path was already passed through as
 *     a directory: it would change where an earlier entry led.
 *  3. Every symbolic link, walked from the directory it sits in (for a hard
 *     link to one: from the hard link's own directory), stays inside the
 *     target directory at every step; its last component may be another
 *     link, which obeys the same rules.
 *
 * With 1-3 every path the archive names resolves inside the target,
 * whatever the order of its entries.  What the model cannot see is the
 * container's own filesystem: a symbolic link already in the target
 * directory (made by a process in the container, or by an earlier archive
 * whose links were harmless there) is followed by the engine.  See
 * docs/SECURITY.md ("Archives") for what that leaves open.
 *
 * Memory is bounded: at most TARFS_NODES_MAX paths (links and directories
 * passed through) and TARFS_BYTES_MAX bytes of their names and targets;
 * past either the archive is FORBIDDEN with a message saying so.
 */
#ifndef DG_WORKER_TARFS_H
#define DG_WORKER_TARFS_H

#include <stddef.h>

#include "tar.h"

#define TARFS_PATH_MAX 4095         /* a name or link target: Linux's PATH_MAX, less its NUL */
#define TARFS_NODES_MAX 65536       /* links and directories one archive may make or pass */
#define TARFS_BYTES_MAX (16u << 20) /* their paths and targets, in total */

struct tarfs;

struct tarfs *tarfs_new(void); /* NULL when out of memory */
void tarfs_free(struct tarfs *fs);
/*
 * One entry, in archive order: type is the tar type flag ('5' a directory,
 * '1' a hard link, '2' a symbolic link, anything else a file), name and
 * link its name and link name exactly as the engine's reader gives them.
 * TAR_OK, or TAR_FORBIDDEN / TAR_INVALID with a peer-facing reason in msg.
 */
enum tar_status tarfs_add(struct tarfs *fs, char type, const char *name, const char *link,
                          char *msg, size_t msglen);

#endif
