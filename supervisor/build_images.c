/*
 * build_images.c - the images a build may use (build_images.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "build_images.h"
#include "imageref.h"

#define BUILD_LINE_MAX 1000000 /* a Dockerfile is at most 1 MiB (DF_MAX): never more lines */

static int fail(struct build_images_error *err, enum dg_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct build_images_error *err, enum dg_err code, const char *fmt, ...)
{
        va_list ap;

        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->text, sizeof(err->text), fmt, ap);
        va_end(ap);
        return -1;
}

int build_images_check(const struct peer_policy *pp, const json_t *images,
                       struct build_images_error *err)
{
        size_t i;
        const json_t *it;

        if (!json_is_array(images) || json_array_size(images) > BUILD_IMAGES_MAX)
                return fail(err, DG_INVALID_INPUT, "images: not an array of at most %d images",
                            BUILD_IMAGES_MAX);
        json_array_foreach(images, i, it)
        {
                const json_t *ref = json_object_get(it, "ref");
                const json_t *line = json_object_get(it, "line");
                const char *r;
                json_int_t n;

                if (!json_is_object(it) || json_object_size(it) != 2 || !json_is_string(ref) ||
                    !json_is_integer(line))
                        return fail(err, DG_INVALID_INPUT,
                                    "images[%zu]: not an object of exactly ref and line", i);
                n = json_integer_value(line);
                if (n < 1 || n > BUILD_LINE_MAX)
                        return fail(err, DG_INVALID_INPUT, "images[%zu].line: out of range", i);
                r = json_string_value(ref);
                /* A ref with a NUL would be checked as its prefix. */
                if (json_string_length(ref) != strlen(r) || !image_ref_ok(r))
                        return fail(err, DG_INVALID_INPUT,
                                    "Dockerfile line %lld: not an image reference",
                                    (long long)n);
                if (!policy_image_own(pp, r) && !policy_image_allowed(pp, r, NULL))
                        return fail(err, DG_FORBIDDEN,
                                    "Dockerfile line %lld: image %s is not allowed by the "
                                    "gateway's policy for this peer",
                                    (long long)n, r);
        }
        return 0;
}

int build_image_present(int status, const char *ref, json_int_t line,
                        struct build_images_error *err)
{
        if (status == 200)
                return 0;
        if (status == 404)
                return fail(err, DG_NOT_FOUND,
                            "Dockerfile line %lld: image %s is not present, and a build never "
                            "pulls: pull it first (docker/image/pull)",
                            (long long)line, ref);
        if (status == 0)
                return fail(err, DG_UNAVAILABLE,
                            "Dockerfile line %lld: the engine did not answer whether image %s "
                            "is present",
                            (long long)line, ref);
        return fail(err, DG_DOCKER_ERROR,
                    "Dockerfile line %lld: the engine answered %d when asked for image %s",
                    (long long)line, status, ref);
}
