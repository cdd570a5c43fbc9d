/*
 * detect.c - which engine answers (detect.h): at start, and again each time
 * the engine answers after it was unreachable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "engine.h"
#include "log.h"

#define DETECT_TIMEOUT_MS 10000L

static void detect_report(struct engine_profile *p, int changed)
{
        const char *sock = engine_socket_path(p->engine);

        if (!p->reported)
                log_info("engine: %s %s, API %s, on %s", profile_display_name(p), p->version,
                         p->api_version, sock);
        else if (changed)
                log_warnx("engine: now %s %s, API %s, on %s (a different engine answers)",
                          profile_display_name(p), p->version, p->api_version, sock);
        else
                log_info("engine: back: %s %s, API %s, on %s", profile_display_name(p),
                         p->version, p->api_version, sock);
        p->reported = 1;
}

static void detect_done(struct engine_profile *p, const struct engine_profile *before)
{
        p->detecting = 0;
        p->stale = 0;
        detect_report(
            p, before->kind != ENGINE_UNKNOWN &&
                   (before->kind != p->kind || strcmp(before->version, p->version) != 0));
}

static void version_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct engine_profile *p = arg, before = *p;

        if (status != 200 || profile_from_version(p, body) == -1) {
                p->detecting = 0;
                log_warnx("engine: cannot tell which engine answers on %s (GET /version: %d)",
                          engine_socket_path(p->engine), status);
                return;
        }
        detect_done(p, &before);
}

/*
 * /_ping's headers come first: Podman's name it and its versions
 * (Libpod-Api-Version, Api-Version), and that is all it takes: Podman's
 * /version asks the package manager about conmon and the OCI runtime and
 * takes seconds (10 s seen on a loaded host).  dockerd's /version is quick
 * and names its components: asked next.
 */
static void ping_done(int status, json_t *headers, const char *raw, size_t rawlen, void *arg)
{
        struct engine_profile *p = arg, before = *p;

        if (status != 200) {
                p->detecting = 0;
                if (!p->reported)
                        log_info("engine: not answering on %s yet (%d); detected when it does",
                                 engine_socket_path(p->engine), status);
                return;
        }
        if (profile_from_ping(p, headers) == 0) {
                detect_done(p, &before);
                return;
        }
        if (engine_request(p->engine, "GET", "/version", NULL, DETECT_TIMEOUT_MS, version_done,
                           p) == NULL)
                p->detecting = 0;
}

void detect_run(struct engine_profile *p)
{
        if (p->detecting)
                return;
        p->detecting = 1;
        if (engine_request_headers(p->engine, "GET", "/_ping", DETECT_TIMEOUT_MS, ping_done,
                                   p) == NULL)
                p->detecting = 0;
}

static void detect_on_reach(int up, void *arg)
{
        struct engine_profile *p = arg;

        if (!up) {
                p->stale = 1;
                log_warnx("engine: %s is not answering", engine_socket_path(p->engine));
                return;
        }
        if (p->stale || p->kind == ENGINE_UNKNOWN)
                detect_run(p);
}

struct engine_profile *detect_new(struct engine *e)
{
        struct engine_profile *p;

        if ((p = calloc(1, sizeof(*p))) == NULL)
                return NULL;
        p->engine = e;
        p->kind = ENGINE_UNKNOWN;
        profile_apply(p);
        engine_set_profile(e, p);
        engine_on_reach(e, detect_on_reach, p);
        return p;
}

void detect_free(struct engine_profile *p)
{
        if (p == NULL)
                return;
        engine_on_reach(p->engine, NULL, NULL);
        engine_set_profile(p->engine, NULL);
        free(p);
}
