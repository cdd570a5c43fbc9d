/*
 * op_build.c - docker/image/build (raw carriage): a tar context in, an
 * image tagged in the peer's own namespace out (issue 15).
 *
 * The handler refuses what the gateway does not carry (remote contexts,
 * BuildKit), then dials POST /build with every query
 * parameter chosen here: version=1 (the classic builder), pull=0, rm=1 and
 * forcerm=1, the tag "<peer>/NAME:TAG", the labels with the owner label,
 * the network from the policy's build key, and memory and CPU from the
 * peer's container defaults (else ceilings), and the cgroup parent made for
 * the peer after GET /info named the engine's cgroup driver (buildcg.h;
 * refused without it).  A peer runs at most build.concurrent builds
 * (buildtab.h).  The worker writes the chunked
 * body from the peer's stdin chunks through the tar checker (worker/raw.c,
 * worker/build.c), and when the context ended sends the images its
 * Dockerfile uses (MSG_BUILD_IMAGES).  Each must be allowed and already
 * present (build_images.c), and have no OnBuild triggers; only then does
 * the worker get its approval and write the body's last chunk.
 *
 * SECURITY: the classic builder starts nothing before the body ended
 * (checked on 20.10: no byte of answer in 3 s before the last chunk, and a
 * connection dropped before it built nothing), so a refusal here, the
 * build's time limit, or the peer leaving (the worker drops the connection)
 * each stop the build.  Nothing here asks the engine to pull.
 */
#include <event2/event.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_images.h"
#include "buildcg.h"
#include "buildtab.h"
#include "imageown.h"
#include "imageref.h"
#include "log.h"
#include "ops_impl.h"
#include "pool.h"
#include "supervisor.h"

#define BUILD_QUERY_MAX 16384
#define BUILD_ESC_MAX 6144 /* one escaped parameter */

struct build_run {
        struct call *c;
        struct event *timer;
        char tag[IMAGE_REF_MAX + 1]; /* the engine's name, "" for none */
        json_t *images;              /* the worker's list, once checked (owned) */
        size_t next;                 /* the image whose presence is asked now */
        int asked;                   /* MSG_BUILD_IMAGES came */
        struct build_slot *slot;     /* one of the peer's build.concurrent (buildtab.h) */
};

static void build_run_free(void *p)
{
        struct build_run *b = p;

        if (b == NULL)
                return;
        if (b->timer != NULL)
                event_free(b->timer);
        json_decref(b->images);
        buildtab_release(b->slot);
        free(b);
}

static struct build_run *build_run(struct call *c)
{
        struct ops_state *st = c->state;

        return st != NULL ? st->own : NULL;
}

static void build_timeout(evutil_socket_t fd, short what, void *arg)
{
        struct call *c = arg;

        call_fail(c, DG_TIMEOUT, "the build took longer than the policy allows (%lld s)",
                  (long long)c->peer->build.timeout_s);
}

static void build_present_next(struct call *c);

static void build_present_done(int status, json_t *body, const char *raw, size_t rawlen,
                               void *arg)
{
        struct call *c = arg;
        struct build_run *b = build_run(c);
        const json_t *it = json_array_get(b->images, b->next);
        const char *ref = json_string_value(json_object_get(it, "ref"));
        json_int_t line = json_integer_value(json_object_get(it, "line"));
        const json_t *onbuild = json_object_get(json_object_get(body, "Config"), "OnBuild");
        struct build_images_error err;

        c->pending = NULL;
        /* Another peer's image is not there for this one (imageown.h). */
        if (status == 200 && (image_ref_foreign(c, ref) || image_doc_foreign(c, body)))
                status = 404;
        if (build_image_present(status, ref, line, &err) == -1) {
                call_fail(c, err.code, "%s", err.text);
                return;
        }
        if (json_array_size(onbuild) > 0) {
                call_fail(c, DG_FORBIDDEN,
                          "Dockerfile line %lld: image %s has ONBUILD triggers, which the "
                          "gateway refuses",
                          (long long)line, ref);
                return;
        }
        b->next++;
        build_present_next(c);
}

static void build_present_next(struct call *c)
{
        struct build_run *b = build_run(c);
        char esc[IMAGE_REF_MAX * 3 + 1];
        const char *ref;

        if (b->next >= json_array_size(b->images)) {
                if (call_kept_note(c, json_pack("{s:b}", "approved", 1)) < 0)
                        log_warnx("call %llu: build approval not delivered",
                                  (unsigned long long)c->seq);
                return;
        }
        ref = json_string_value(json_object_get(json_array_get(b->images, b->next), "ref"));
        if (engine_escape(esc, sizeof(esc), ref) == -1) {
                call_fail(c, DG_INTERNAL, "engine path too long");
                return;
        }
        ops_send(c, "GET", NULL, 0, build_present_done, "/images/%s/json", esc);
}

static void build_images(struct call *c, const json_t *images)
{
        struct build_run *b = build_run(c);
        struct build_images_error err;

        if (b == NULL || b->asked) {
                call_fail(c, DG_INTERNAL, "the build's images came twice");
                return;
        }
        b->asked = 1;
        if (build_images_check(c->peer, images, &err) == -1) {
                call_fail(c, err.code, "%s", err.text);
                return;
        }
        b->images = json_deep_copy(images);
        build_present_next(c);
}

static void build_tagged(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct build_run *b = build_run(c);
        const char *id = json_string_value(json_object_get(body, "Id"));

        c->pending = NULL;
        if (status != 200 || id == NULL) {
                call_fail_engine(c, status, body);
                return;
        }
        call_set_resource(c, id);
        call_reply(c, json_pack("{s:s,s:[s]}", "imageId", id, "tags", b->tag));
}

/* MSG_STREAM_END: the build's output ended well; the image is looked up by its tag. */
static void build_end(struct call *c)
{
        struct build_run *b = build_run(c);
        char esc[IMAGE_REF_MAX * 3 + 1];

        if (b->tag[0] == '\0') {
                call_reply(c, json_pack("{s:[]}", "tags"));
                return;
        }
        if (engine_escape(esc, sizeof(esc), b->tag) == -1) {
                call_fail(c, DG_INTERNAL, "engine path too long");
                return;
        }
        ops_send(c, "GET", NULL, 0, build_tagged, "/images/%s/json", esc);
}

static const struct call_stream_ops build_ops = {
    .end = build_end,
    .images = build_images,
};

/* "NAME[:TAG]" or "<peer>/NAME[:TAG]" -> "<peer>/NAME:TAG" in out; -1 after failing c. */
static int build_tag(struct call *c, const char *in, char *out, size_t len)
{
        size_t n = strlen(c->peer->name);
        const char *slash, *rest = in;
        int w;

        if (strncmp(in, c->peer->name, n) == 0 && in[n] == '/')
                rest = in + n + 1;
        slash = strrchr(rest, '/');
        w = snprintf(out, len, "%s/%s%s", c->peer->name, rest,
                     strchr(slash != NULL ? slash : rest, ':') != NULL ? "" : ":latest");
        if (w < 0 || (size_t)w >= len || strchr(in, '@') != NULL || !image_ref_ok(out)) {
                call_fail(c, DG_INVALID_INPUT,
                          "input.tag: NAME[:TAG], stored as %s/NAME:TAG (no digest)",
                          c->peer->name);
                return -1;
        }
        return 0;
}

/* Appends "&key=<escaped val>" to q; -1 when it does not fit. */
static int build_param(char *q, size_t len, const char *key, const char *val)
{
        char esc[BUILD_ESC_MAX];
        size_t used = strlen(q);
        int w;

        if (engine_escape(esc, sizeof(esc), val) == -1)
                return -1;
        w = snprintf(q + used, len - used, "&%s=%s", key, esc);
        return w < 0 || (size_t)w >= len - used ? -1 : 0;
}

static int build_param_json(char *q, size_t len, const char *key, const json_t *v)
{
        char *txt = json_dumps(v, JSON_COMPACT);
        int rc = txt != NULL ? build_param(q, len, key, txt) : -1;

        free(txt);
        return rc;
}

/* Refused before any engine request: what the gateway does not carry, or builds off. */
static int build_refused(struct call *c)
{
        const char *version = ops_str(c, "version");

        if (!c->peer->build.allow) {
                call_fail(c, DG_FORBIDDEN,
                          "builds are off for peer %s (the policy's build.allow)",
                          c->peer->name);
        } else if (ops_str(c, "remote") != NULL) {
                call_fail(c, DG_FORBIDDEN,
                          "input.remote: remote build contexts (git, URL) are refused; send "
                          "the context as a tar on stdin");
        } else if (version != NULL && strcmp(version, "1") != 0) {
                call_fail(c, DG_FORBIDDEN,
                          "input.version: only the classic builder (1) is carried; BuildKit "
                          "is refused");
        } else {
                return 0;
        }
        return -1;
}

/* The query of POST /build, every parameter chosen here; -1 after failing c. */
static int build_query(struct call *c, const char *tag, const char *parent, char *q, size_t len)
{
        const struct peer_policy *pp = c->peer;
        const char *df = ops_str(c, "dockerfile"), *target = ops_str(c, "target");
        const json_t *args = json_object_get(c->input, "buildArgs");
        int64_t mem =
            pp->defaults.memory_bytes ? pp->defaults.memory_bytes : pp->ceilings.memory_bytes;
        int64_t cpus = pp->defaults.nano_cpus ? pp->defaults.nano_cpus : pp->ceilings.nano_cpus;
        json_t *labels;
        char num[64];
        int bad = 0;

        if ((labels = ops_labels(c)) == NULL)
                return -1;
        snprintf(q, len, "/build?version=1&pull=0&rm=1&forcerm=1");
        bad |= build_param(q, len, "networkmode",
                           pp->build.network[0] ? pp->build.network : "none");
        bad |= build_param_json(q, len, "labels", labels);
        json_decref(labels);
        bad |= build_param(q, len, "dockerfile", df != NULL ? df : "Dockerfile");
        bad |= build_param(q, len, "cgroupparent", parent);
        if (tag[0] != '\0')
                bad |= build_param(q, len, "t", tag);
        if (target != NULL)
                bad |= build_param(q, len, "target", target);
        if (json_is_true(json_object_get(c->input, "noCache")))
                bad |= build_param(q, len, "nocache", "1");
        if (args != NULL)
                bad |= build_param_json(q, len, "buildargs", args);
        if (mem > 0) {
                snprintf(num, sizeof(num), "%lld", (long long)mem);
                bad |= build_param(q, len, "memory", num);
                bad |= build_param(q, len, "memswap", num);
        }
        if (cpus > 0) {
                bad |= build_param(q, len, "cpuperiod", "100000");
                snprintf(num, sizeof(num), "%lld", (long long)(cpus / 10000));
                bad |= build_param(q, len, "cpuquota", num);
        }
        if (bad) {
                call_fail(c, DG_INVALID_INPUT, "the build's parameters are too long");
                return -1;
        }
        return 0;
}

/* One of the peer's build.concurrent slots for b, held until the call is freed; -1 after
 * failing c. */
static int build_slot_take(struct call *c, struct build_run *b)
{
        struct buildtab *t = c->worker->sv->builds;
        int64_t max = c->peer->build.concurrent;

        if (t != NULL && (b->slot = buildtab_take(t, c->peer->name, max)) != NULL)
                return 0;
        if (t != NULL && errno == EBUSY) {
                call_fail_details(
                    c, DG_RATE_LIMITED,
                    json_pack("{s:i,s:I}", "retryAfterMs", 1000, "limit", (json_int_t)max),
                    "peer %s has %lld build(s) running already, the most the "
                    "policy allows (build.concurrent); retry when one ended",
                    c->peer->name, (long long)max);
                return -1;
        }
        call_fail(c, DG_INTERNAL, "out of memory");
        return -1;
}

/* The info answered: the cgroup parent is made, then POST /build is dialled. */
static void build_dial(struct call *c, const char *parent)
{
        const struct peer_policy *pp = c->peer;
        struct build_run *b = build_run(c);
        const char *df = ops_str(c, "dockerfile"), *target = ops_str(c, "target");
        const json_t *args = json_object_get(c->input, "buildArgs");
        char q[BUILD_QUERY_MAX];
        json_t *opts;
        int fd;

        if (build_query(c, b->tag, parent, q, sizeof(q)) == -1)
                return;
        opts =
            json_pack("{s:I,s:s,s:o,s:b}", "maxBytes", (json_int_t)pp->build.max_context_bytes,
                      "dockerfile", df != NULL ? df : "Dockerfile", "buildArgs",
                      args != NULL ? json_deep_copy(args) : json_object(), "allowAddUrl",
                      pp->build.allow_add_url);
        if (opts == NULL ||
            (target != NULL &&
             json_object_set_new(opts, "target", json_string(target)) == -1) ||
            (json_is_true(json_object_get(c->input, "gzip")) &&
             json_object_set_new(opts, "gzip", json_true()) == -1)) {
                json_decref(opts);
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        fd = engine_dial(c->engine, "POST", q,
                         "Content-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n",
                         NULL);
        if (fd == -1) {
                json_decref(opts);
                call_fail(c, DG_UNAVAILABLE, "the Docker Engine cannot be reached");
                return;
        }
        call_stream_keep(c, fd, "build", opts, &build_ops);
}

/*
 * GET /info: the engine's cgroup driver and version, for the peer's build
 * cgroup (buildcg.h).  A build that cannot have it is refused: its RUN
 * steps would be bounded by no pids limit at all.
 */
static void build_info_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct build_run *b = build_run(c);
        struct buildtab *t = c->worker->sv->builds;
        struct buildcg_want w = {
            .driver = json_string_value(json_object_get(body, "CgroupDriver")),
            .version = json_string_value(json_object_get(body, "CgroupVersion")),
            .root = t != NULL ? buildtab_cgroot(t) : NULL,
            .peer = c->peer->name,
            .pids_max = c->peer->build.pids_max,
            .memory_max = c->peer->build.memory_bytes,
        };
        char parent[160], err[512];

        c->pending = NULL;
        if (status != 200 || !json_is_object(body)) {
                call_fail_engine(c, status, body);
                return;
        }
        if (w.root == NULL) {
                call_fail(c, DG_INTERNAL, "no build cgroup root");
                return;
        }
        if (buildcg_make(&w, parent, sizeof(parent), err, sizeof(err)) == -1) {
                log_warnx("call %llu: %s", (unsigned long long)c->seq, err);
                call_fail(c, DG_FORBIDDEN, "builds are refused: %s", err);
                return;
        }
        buildtab_cgroup_made(b->slot);
        build_dial(c, parent);
}

/* Within the image quotas: the build's slot, then the engine's cgroup driver. */
static void build_begin(struct call *c)
{
        const struct peer_policy *pp = c->peer;
        const char *tag = ops_str(c, "tag");
        struct ops_state *st;
        struct build_run *b;
        struct timeval tv = {(time_t)pp->build.timeout_s, 0};

        if (build_refused(c) == -1 || (st = ops_state(c)) == NULL)
                return;
        if ((b = calloc(1, sizeof(*b))) == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        b->c = c;
        st->own = b;
        st->own_free = build_run_free;
        if (build_slot_take(c, b) == -1)
                return;
        if (tag != NULL && build_tag(c, tag, b->tag, sizeof(b->tag)) == -1)
                return;
        if ((b->timer = evtimer_new(c->worker->sv->base, build_timeout, c)) == NULL ||
            evtimer_add(b->timer, &tv) == -1) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        ops_send(c, "GET", NULL, 0, build_info_done, "/info");
}

/* The image quotas first (imageown.h): a build starts only under both. */
void op_image_build(struct call *c)
{
        if (build_refused(c) == -1)
                return;
        image_quota_check(c, build_begin);
}
