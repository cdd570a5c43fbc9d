/*
 * fuzz_dapi_req.c - the Docker front's request reader and path
 * canonicaliser, on hostile bytes.
 *
 * The input is fed in two pieces (split at its first byte's value) to
 * exercise resumption.  A request that completes must have a URL within its
 * bound and a body within the cap; a refusal must carry a status and a
 * message.  A completed request's URL goes through dpath_parse(): an
 * accepted path never holds "//", "/./", "/../" nor '%'.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dapi_path.h"
#include "dapi_req.h"

/* A PUT's streamed body: counted, and it must never reach req.body. */
static int fuzz_body(void *arg, const char *p, size_t n)
{
        *(size_t *)arg += n;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct dreq_reader r;
        struct dpath p;
        enum dreq_status st = DREQ_MORE;
        size_t cut = size > 0 ? data[0] % (size + 1) : 0, used = 0, off = 0;
        char err[256];
        int status, streamed = 0;
        size_t body = 0;

        dreq_init(&r, 4096);
        while (off < size) {
                size_t n = off < cut ? cut - off : size - off;

                st = dreq_feed(&r, (const char *)data + off, n, &used);
                if (used > n)
                        abort();
                off += used;
                if (st == DREQ_HEAD && !streamed) {
                        if (r.req.method != HTTP_PUT)
                                abort();
                        dreq_body_stream(&r, fuzz_body, &body);
                        streamed = 1;
                        st = DREQ_MORE;
                        continue;
                }
                if (st != DREQ_MORE || used == 0)
                        break;
        }
        if (st == DREQ_ERROR && (r.status < 400 || r.status > 599 || r.err[0] == '\0'))
                abort();
        if (st == DREQ_DONE) {
                if (r.req.url_len > DREQ_URL_MAX || r.req.body_len > 4096 ||
                    (streamed && r.req.body != NULL))
                        abort();
                if (dpath_parse(r.req.url, &p, &status, err, sizeof(err)) == 0) {
                        if (strstr(p.path, "//") || strstr(p.path, "/./") ||
                            strstr(p.path, "/../") || strchr(p.path, '%') || p.path[0] != '/')
                                abort();
                } else if (status < 400 || err[0] == '\0') {
                        abort();
                }
                dpath_clear(&p);
        }
        dreq_free(&r);
        return 0;
}
