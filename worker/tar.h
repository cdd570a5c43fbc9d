/*
 * tar.h - checking a tar archive on its way into a container
 * (docker/container/archive/put).
 *
 * The archive is fed in whatever pieces the peer's chunks make; the checker
 * hands back, through emit(), the bytes that may go on to the engine, and
 * holds each header (and the extended headers that change the next entry)
 * until the entry they describe has been checked.  So the engine never sees
 * a byte of a refused entry.  Only uncompressed ustar, GNU and pax archives
 * are accepted, read the way the engine's reader (Go's archive/tar) reads
 * them; where the two could disagree, the archive is refused.
 *
 * Refused as FORBIDDEN: compressed archives, absolute paths, ".."
 * components, device nodes and fifos, setuid and setgid bits, and any
 * entry that would make a path of the archive lead outside the target
 * directory, judged on the filesystem the archive builds (tarfs.h: links
 * and hard links to links, in any order).  Refused as INVALID: anything
 * malformed (checksums, numbers, pax records and their lengths, sizes,
 * names longer than PATH_MAX) or ambiguous (sparse files, repeated or
 * conflicting extended headers, data on header-only entries, STAR or V7
 * headers, GNU headers Go would read a name prefix from).
 *
 * It never logs, never exits, and holds at most TAR_META_MAX bytes of
 * extended header plus the model's bounded bookkeeping (tarfs.h).
 */
#ifndef DG_WORKER_TAR_H
#define DG_WORKER_TAR_H

#include <stddef.h>
#include <stdint.h>

#define TAR_BLOCK 512
#define TAR_META_MAX (1u << 20) /* a pax or GNU long-name entry's data, as Go's limit */

enum tar_status {
        TAR_OK = 0,
        TAR_FORBIDDEN, /* policy: the entry is not allowed */
        TAR_INVALID    /* not a well-formed, unambiguous tar archive */
};

struct tar_check;

/* Bytes that may go to the engine, in order. */
typedef void (*tar_emit_fn)(void *arg, const unsigned char *p, size_t len);

struct tar_check *tar_check_new(tar_emit_fn emit, void *arg); /* NULL when out of memory */
void tar_check_free(struct tar_check *t);
/* Feeds archive bytes.  Errors are sticky; the message is tar_check_error(). */
enum tar_status tar_check_feed(struct tar_check *t, const unsigned char *p, size_t len);
/*
 * The input ended.  TAR_OK when it ended after the end-of-archive blocks,
 * or exactly between entries (Go's reader takes that as the end too).
 */
enum tar_status tar_check_end(struct tar_check *t);
/* 1 once the end-of-archive blocks were seen: what follows is dropped, not emitted. */
int tar_check_done(const struct tar_check *t);
const char *tar_check_error(const struct tar_check *t);

/*
 * An observer of the entries that pass (docker/image/build reads its
 * Dockerfile out of the context this way): entry() for each entry once it
 * was accepted, with its type flag, name, link name and size; data() for
 * the bytes of the last entry announced (padding included: the observer
 * trims to the size).  Either may be NULL.  entry() may refuse the entry
 * (before any byte of it is emitted) by returning why: the archive is then
 * FORBIDDEN with that message; NULL lets it pass.
 */
struct tar_watch {
        const char *(*entry)(void *arg, char type, const char *name, const char *link,
                             uint64_t size);
        void (*data)(void *arg, const unsigned char *p, size_t len);
        void *arg;
};
void tar_check_watch(struct tar_check *t, const struct tar_watch *w);

#endif
