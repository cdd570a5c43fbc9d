/*
 * build.h - the context of docker/image/build, watched as it streams to the
 * engine (raw.c's build mode).
 *
 * The context is a tar archive checked by tar.c with archive put's rules;
 * on top of them this counts its size against the policy's cap (the bytes
 * sent, and each entry's size as its header declares it, refused at that
 * header), captures
 * the Dockerfile entry (the last one with the name the call gives, which is
 * what the engine reads: later entries overwrite earlier ones) and, when the
 * context ended, reads it with dockerfile.c into the {ref, line} list of
 * images the build would use, for the supervisor to approve before the
 * engine sees the end of the body.
 *
 * A gzip-compressed context is inflated here (zlib), and the engine is
 * sent the tar: what the engine reads is what was checked, and a gzip
 * bomb is refused when its inflated bytes pass the cap.
 *
 * The options come from the supervisor's MSG_STREAM (trusted):
 * {"maxBytes": N, "dockerfile": "Dockerfile", "buildArgs": {..},
 *  "target": "stage" (optional), "allowAddUrl": bool, "gzip": true
 *  (optional: the context must be gzip)}.
 */
#ifndef DG_WORKER_BUILD_H
#define DG_WORKER_BUILD_H

#include <jansson.h>
#include <stddef.h>

#include "errors.h"
#include "tar.h"

struct build_ctx;

/* NULL with err filled when opts are not the supervisor's shape. */
struct build_ctx *build_ctx_new(const json_t *opts, char *err, size_t errlen);
void build_ctx_free(struct build_ctx *b);
/* Makes t report its entries to b. */
void build_ctx_watch(struct build_ctx *b, struct tar_check *t);
/*
 * n more bytes of the context as the peer sent them: counted against the
 * cap, inflated when the context is gzip (its first two bytes, 1f 8b), and
 * fed to the watched checker.  DG_OK, or the error (message in err):
 * FORBIDDEN past the cap (the inflated bytes count) or for what tar.c
 * forbids, INVALID_INPUT for a broken gzip stream or archive.  Errors are
 * final: the call ends.
 */
enum dg_err build_ctx_feed(struct build_ctx *b, const unsigned char *p, size_t n, char *err,
                           size_t errlen);
/* The peer's context ended: DG_OK, or INVALID_INPUT for a gzip stream cut short. */
enum dg_err build_ctx_end(struct build_ctx *b, char *err, size_t errlen);
/* 1 when the context is inflated here (raw.c then feeds it in small steps). */
int build_ctx_gzip(const struct build_ctx *b);
/*
 * The context ended (tar.c accepted it): DG_OK with *images a new array of
 * {"ref", "line"}, or an error code and err saying why (no Dockerfile, not
 * a regular file, too large, or what dockerfile.c refused, naming the line).
 */
enum dg_err build_ctx_images(struct build_ctx *b, json_t **images, char *err, size_t errlen);

#endif
