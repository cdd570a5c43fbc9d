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
 * The options come from the supervisor's MSG_STREAM (trusted):
 * {"maxBytes": N, "dockerfile": "Dockerfile", "buildArgs": {..},
 *  "target": "stage" (optional), "allowAddUrl": bool}.
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
/* n more context bytes came: DG_OK, or DG_FORBIDDEN past the cap (message in err). */
enum dg_err build_ctx_count(struct build_ctx *b, size_t n, char *err, size_t errlen);
/*
 * The context ended (tar.c accepted it): DG_OK with *images a new array of
 * {"ref", "line"}, or an error code and err saying why (no Dockerfile, not
 * a regular file, too large, or what dockerfile.c refused, naming the line).
 */
enum dg_err build_ctx_images(struct build_ctx *b, json_t **images, char *err, size_t errlen);

#endif
