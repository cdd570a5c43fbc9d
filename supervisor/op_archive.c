/*
 * op_archive.c - docker/container/archive/get and .../put (raw carriage):
 * copying files out of and into a container as tar.
 *
 * get: GET /containers/{id}/archive?path=P; the worker relays the tar body
 * as stdout chunks.  put: PUT /containers/{id}/archive?path=P with a
 * chunked body; the worker writes the body from the peer's stdin chunks,
 * checking each tar header before its bytes go on (worker/tar.c), and ends
 * it with the last chunk when the peer's input ends.  P must name an
 * existing directory for put.  noOverwriteDirNonDir is set, as docker cp
 * does: an entry may not replace a directory with a non-directory or the
 * reverse.
 *
 * SECURITY (invariant 2): the request line and headers are written here,
 * with "Connection: close"; the worker writes only the body.  Were a
 * compromised worker to end the chunked body and write a second request
 * after it, the engine would not read it (checked on 20.10, and tested in
 * tests/integration/test_raw.py).
 */
#include <stdio.h>

#include "ops_impl.h"
#include "profile.h"

#define ARCHIVE_PATH_ESC_MAX (3 * 4096 + 1) /* schema.c: path is at most 4096 bytes */

static int archive_path(struct call *c, const char *id, const char *extra, char *path,
                        size_t len)
{
        char esc[ARCHIVE_PATH_ESC_MAX];

        if (engine_escape(esc, sizeof(esc), ops_str(c, "path")) == -1 ||
            engine_path(path, len, "/containers/%s/archive?path=%s%s", id, esc, extra) == -1) {
                call_fail(c, DG_INTERNAL, "engine path too long");
                return -1;
        }
        return 0;
}

static void archive_get_resolved(struct call *c, const char *id, json_t *inspect)
{
        char path[ARCHIVE_PATH_ESC_MAX + 256];

        /* statOnly: HEAD, which the engine answers with the stat header and no tar. */
        if (archive_path(c, id, "", path, sizeof(path)) == 0)
                ops_stream(c, ops_bool(c, "statOnly", 0) ? "HEAD" : "GET", path, NULL,
                           "archive_get", json_object());
}

static void archive_put_send(struct call *c, const char *id)
{
        char path[ARCHIVE_PATH_ESC_MAX + 256];

        if (archive_path(c, id, "&noOverwriteDirNonDir=true", path, sizeof(path)) == 0)
                ops_stream(c, "PUT", path,
                           "Content-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n",
                           "archive_put", json_object());
}

/* The engine's stat of the target: a put goes only into a path that exists. */
static void archive_put_stat(int status, json_t *body, const char *raw, size_t rawlen,
                             void *arg)
{
        struct call *c = arg;
        struct ops_state *st = c->state;

        c->pending = NULL;
        if (status == 404) {
                call_fail(c, DG_NOT_FOUND, "no such path in the container: %s",
                          ops_str(c, "path"));
                return;
        }
        if (status != 200) {
                call_fail_engine(c, status, body);
                return;
        }
        archive_put_send(c, st->id);
}

static void archive_put_resolved(struct call *c, const char *id, json_t *inspect)
{
        char path[ARCHIVE_PATH_ESC_MAX + 256];
        struct ops_state *st;

        /* An engine whose put makes a missing target (profile.h): its stat first. */
        if (!engine_profile(c->engine)->archive_put_makes_path) {
                archive_put_send(c, id);
                return;
        }
        if ((st = ops_state(c)) == NULL)
                return;
        snprintf(st->id, sizeof(st->id), "%s", id);
        if (archive_path(c, id, "", path, sizeof(path)) == 0)
                ops_send(c, "HEAD", NULL, 0, archive_put_stat, "%s", path);
}

/* The path is the container's: any string, but no NUL (schema.c) and not empty. */
void op_container_archive_get(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), archive_get_resolved);
}

/*
 * With a forced read-only root, a put is refused unless the operator allowed
 * it: the engine follows links already in the target volume, which the
 * container's own processes can make (ln -s / /data/s, then a put of
 * s/etc/x), and the checker sees only the archive (docs/SECURITY.md).
 */
void op_container_archive_put(struct call *c)
{
        if (c->peer->read_only_forced && !c->peer->put_with_read_only) {
                call_fail(c, DG_FORBIDDEN,
                          "archive put is refused for this peer: its containers have a forced "
                          "read-only root, which a put into a volume could reach through "
                          "links the container made; the operator may set "
                          "container.allowPutWithReadOnlyRoot (docs/SECURITY.md)");
                return;
        }
        resolve_container(c, ops_str(c, "containerId"), archive_put_resolved);
}
