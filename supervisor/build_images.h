/*
 * build_images.h - whether a build may use the images its Dockerfile names
 * (docker/image/build, issue 15).
 *
 * The worker reads the Dockerfile out of the context (worker/dockerfile.c)
 * and reports every FROM and COPY --from image.  The classic builder pulls
 * any image it lacks, around the pull allowlist, so before the context's
 * end lets a build start the supervisor checks each reported image: a
 * well-formed reference allowed by the peer's image allowlist
 * (build_images_check), and then already present on the engine, one
 * GET /images/{ref}/json each, whose answer build_image_present() judges.
 * Nothing here ever asks the engine to pull.
 *
 * What the worker reports is untrusted input: every field is checked here,
 * where it enters the supervisor.
 */
#ifndef DG_BUILD_IMAGES_H
#define DG_BUILD_IMAGES_H

#include <jansson.h>

#include "errors.h"
#include "policy.h"

#define BUILD_IMAGES_MAX 128 /* as worker/dockerfile.h's DF_IMAGES_MAX */

struct build_images_error {
        enum dg_err code; /* DG_INVALID_INPUT, DG_FORBIDDEN, DG_NOT_FOUND, ... */
        char text[640];   /* peer-facing, names the image and its Dockerfile line */
};

/*
 * images: an array of at most BUILD_IMAGES_MAX objects {"ref": string,
 * "line": integer >= 1}, nothing else.  0 when every ref is a well-formed
 * reference the peer's allowlist admits (one without tag or digest is
 * matched as ref:latest, as for create); else -1 with err set: INVALID_INPUT
 * for a malformed list or reference, FORBIDDEN for the first image the
 * allowlist refuses.
 */
int build_images_check(const struct peer_policy *pp, const json_t *images,
                       struct build_images_error *err);

/*
 * Judges the engine's status for GET /images/{ref}/json: 0 when 200 (the
 * image is present); else -1 with err set: NOT_FOUND for 404 (absent: the
 * build would pull it, so it is refused and the message says to pull it
 * first), UNAVAILABLE when the engine gave no answer (status 0), and
 * DOCKER_ERROR for any other status.
 */
int build_image_present(int status, const char *ref, json_int_t line,
                        struct build_images_error *err);

#endif
