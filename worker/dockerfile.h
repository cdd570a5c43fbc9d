/*
 * dockerfile.h - reading a Dockerfile before the engine's classic builder
 * does (docker/image/build).
 *
 * A build is the most dangerous thing a tenant can ask of an engine: the
 * builder pulls any FROM image it lacks, and ADD fetches URLs from the host's
 * network.  So the worker reads the Dockerfile out of the context first and
 * reports every image the build would use (each FROM and COPY --from that
 * names no earlier stage), for the supervisor to check against the peer's
 * allowlist and the images already present; and it refuses what it cannot
 * read exactly as the engine would.
 *
 * Where the engine's lexer is richer than what is needed to name an image
 * (quotes, escapes, nested or conditional substitutions), a FROM using it is
 * refused rather than guessed: a reader that resolved a name differently
 * from the engine would check one image and let the builder pull another.
 *
 * Refused as FORBIDDEN: ADD from a URL (unless allowed), parser directives
 * other than `escape` (`# syntax=` selects a BuildKit frontend), flags the
 * classic builder lacks (BuildKit's RUN --mount and the like), FROM
 * --platform (it may make the builder pull).  Refused as INVALID: unknown
 * instructions, a FROM without an image, a reference the build args cannot
 * resolve, a --target that names no stage, anything over the bounds below.
 *
 * It never logs, never exits, and allocates at most a copy of one logical
 * line (bounded by DF_MAX).
 */
#ifndef DG_WORKER_DOCKERFILE_H
#define DG_WORKER_DOCKERFILE_H

#include <jansson.h>
#include <stddef.h>

#define DF_MAX (1u << 20) /* a Dockerfile's size */
#define DF_STAGES_MAX 64  /* FROM instructions */
#define DF_IMAGES_MAX 128 /* image references (FROM and COPY --from) */
#define DF_ARGS_MAX 64    /* ARGs before the first FROM */
#define DF_REF_MAX 255    /* an image reference, as the engine bounds a name */
#define DF_STAGE_NAME_MAX 128

enum df_status {
        DF_OK = 0,
        DF_FORBIDDEN, /* policy: the build may not do this */
        DF_INVALID    /* not a Dockerfile the gateway can read exactly */
};

struct df_image {
        char ref[DF_REF_MAX + 1]; /* after substitution of the build args */
        unsigned line;            /* where its instruction starts, from 1 */
};

struct df_opts {
        const json_t *build_args; /* NULL or an object of string values */
        const char *target;       /* NULL or the stage to build */
        int allow_add_url;        /* policy: ADD may fetch http(s) URLs */
};

struct df_result {
        struct df_image images[DF_IMAGES_MAX];
        size_t n_images;
        unsigned n_stages;
        char err[256]; /* why, when not DF_OK */
};

/*
 * Reads text[0..len).  Fills r (images in the order they appear, each
 * reference once) and returns DF_OK, or an error with r->err saying which
 * line and why.
 */
enum df_status dockerfile_read(const char *text, size_t len, const struct df_opts *o,
                               struct df_result *r);

#endif
