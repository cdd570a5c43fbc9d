/*
 * dapi_build.c - POST /build on the Docker-API front (docker build,
 * docker-py's images.build), mapped onto the native docker/image/build.
 *
 * The query is translated strictly: what the native operation takes
 * (t, dockerfile, buildargs, target, labels, nocache), what only shapes
 * this rendering (q), what the gateway always does whatever is asked
 * (rm, forcerm: intermediate containers are always removed), and the rest
 * only at the value the clients send by default, else refused naming the
 * parameter: the limits and network are the policy's, the gateway never
 * pulls (pull=1), remote contexts and BuildKit (version=2, a session,
 * outputs) are not carried.  POST /session and /grpc (BuildKit's) answer
 * 403 saying so.
 *
 * The context is the request body, streamed (never held) through the same
 * checks as the native build: tar.c's archive rules, the policy's size cap,
 * and the Dockerfile read by build.c; the relay (dapi_relay.c) holds the
 * body's last chunk until the supervisor approved its images.  The engine's
 * progress is rendered as the engine writes it, one JSON object a line, from
 * the keys the clients read: "stream", "aux" {"ID"}, "errorDetail" and
 * "error", and the "status", "id", "progress" of a step that fetches.
 *
 * SECURITY: the engine's lines carry a hostile build's output (RUN); each
 * is parsed, bounded (DBUILD_LINE_MAX) and re-written from those keys only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "dapi.h"
#include "log.h"
#include "tar.h"

#define DBUILD_LINE_MAX (1u << 20)

#define DBUILD_BUILDKIT                                                                        \
        "BuildKit is not supported by the gateway: build with the classic builder "            \
        "(DOCKER_BUILDKIT=0 docker build ...)"

struct dbuild {
        struct build_ctx *ctx;
        struct tar_check *tar;
        int quiet;
        int failed; /* the engine sent an error record */
        int status; /* a refused context: 403 or 400 */
        const char *code;
        char err[512];
        struct evbuffer *line;
};

/* --- the query --- */

static int dbuild_refuse(struct dapi *d, int status, const char *fmt, const char *arg)
    __attribute__((format(printf, 3, 0)));
static int dbuild_refuse(struct dapi *d, int status, const char *fmt, const char *arg)
{
        char msg[512];

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(msg, sizeof(msg), fmt, arg);
#pragma GCC diagnostic pop
        dapi_reply_error(d, status, "%s", msg);
        dapi_finish(d, status == 403 ? "FORBIDDEN" : "INVALID_INPUT");
        return -1;
}

static int dbuild_set(const char *s)
{
        return s != NULL && s[0] != '\0';
}

/* A key taken only at one of the values the clients send when nothing is asked. */
static int dbuild_default(struct dapi *d, const char *key, const char *const *ok,
                          const char *why)
{
        const char *s = dq_str(d, key);
        size_t i;

        if (!dbuild_set(s))
                return 0;
        for (i = 0; ok[i] != NULL; i++)
                if (strcmp(s, ok[i]) == 0)
                        return 0;
        return dbuild_refuse(d, 403, why, key);
}

/* A JSON object of strings ("buildargs" allows null: the ARG's default), or none. */
static int dbuild_map(struct dapi *d, const char *key, int nulls, json_t *input,
                      const char *field)
{
        const char *s = dq_str(d, key), *k;
        json_t *o, *v, *out;

        if (!dbuild_set(s) || strcmp(s, "null") == 0)
                return 0;
        o = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(o)) {
                json_decref(o);
                return dbuild_refuse(d, 400, "query parameter %s: a JSON object of strings",
                                     key);
        }
        if ((out = json_object()) == NULL)
                fatalx("out of memory");
        json_object_foreach(o, k, v)
        {
                if (json_is_null(v) && nulls)
                        continue;
                if (!json_is_string(v)) {
                        json_decref(o);
                        json_decref(out);
                        return dbuild_refuse(
                            d, 400, "query parameter %s: a JSON object of strings", key);
                }
                json_object_set(out, k, v);
        }
        json_decref(o);
        if (json_object_size(out) > 0)
                json_object_set_new(input, field, out);
        else
                json_decref(out);
        return 0;
}

static const char *const none_[] = {NULL};
static const char *const zero_[] = {"0", NULL};
static const char *const empty_json_[] = {"null", "[]", "{}", NULL};
static const char *const default_[] = {"default", NULL};
static const char *const version_[] = {"1", NULL};

#define LIMITS "query parameter %s: the gateway sets a build's limits from the policy"

int dbuild_in(struct dapi *d, json_t *input)
{
        static const char *const limits[] = {
            "memory",  "memswap",    "cpushares",  "cpuquota",     "cpuperiod",
            "shmsize", "cpusetcpus", "cpusetmems", "cgroupparent", NULL};
        const char *tag = dq_str(d, "t"), *df = dq_str(d, "dockerfile"),
                   *target = dq_str(d, "target"), *version = dq_str(d, "version");
        int quiet, nocache, pull, rm, forcerm;
        size_t i;

        if (dbuild_set(dq_str(d, "remote")))
                return dbuild_refuse(d, 403,
                                     "query parameter %s: remote build contexts (git, URL) "
                                     "are refused by the gateway; build from a local "
                                     "directory",
                                     "remote");
        if ((dbuild_set(version) && strcmp(version, "1") != 0) ||
            dbuild_set(dq_str(d, "session")) || dbuild_set(dq_str(d, "buildid")))
                return dbuild_refuse(d, 403, "%s", DBUILD_BUILDKIT);
        if (dbuild_default(d, "outputs", empty_json_, "query parameter %s: " DBUILD_BUILDKIT) ==
                -1 ||
            dbuild_default(d, "version", version_, "%s") == -1)
                return -1;
        if (dq_bool(d, "q", 0, &quiet) == -1 || dq_bool(d, "nocache", 0, &nocache) == -1 ||
            dq_bool(d, "pull", 0, &pull) == -1 || dq_bool(d, "rm", 1, &rm) == -1 ||
            dq_bool(d, "forcerm", 0, &forcerm) == -1)
                return -1;
        if (pull)
                return dbuild_refuse(d, 403,
                                     "query parameter %s: the gateway never pulls during a "
                                     "build; pull the base image first (docker pull), then "
                                     "build without --pull",
                                     "pull");
        for (i = 0; limits[i] != NULL; i++)
                if (dbuild_default(d, limits[i], zero_, LIMITS) == -1)
                        return -1;
        if (dbuild_default(d, "networkmode", default_,
                           "query parameter %s: a build's network is the policy's "
                           "(build.network)") == -1 ||
            dbuild_default(d, "ulimits", empty_json_, LIMITS) == -1 ||
            dbuild_default(d, "cachefrom", empty_json_,
                           "query parameter %s: not supported by the gateway") == -1 ||
            dbuild_default(d, "extrahosts", none_,
                           "query parameter %s: not supported by the gateway") == -1 ||
            dbuild_default(d, "securityopt", none_,
                           "query parameter %s: not supported by the gateway") == -1 ||
            dbuild_default(d, "isolation", default_,
                           "query parameter %s: not supported by the gateway") == -1 ||
            dbuild_default(d, "platform", none_,
                           "query parameter %s: not supported by the gateway") == -1 ||
            dbuild_default(d, "squash", (const char *const[]){"0", "false", "False", NULL},
                           "query parameter %s: not supported by the gateway") == -1)
                return -1;
        if (dbuild_map(d, "buildargs", 1, input, "buildArgs") == -1 ||
            dbuild_map(d, "labels", 0, input, "labels") == -1)
                return -1;
        if (dbuild_set(tag))
                json_object_set_new(input, "tag", json_string(tag));
        if (dbuild_set(df))
                json_object_set_new(input, "dockerfile", json_string(df));
        if (dbuild_set(target))
                json_object_set_new(input, "target", json_string(target));
        if (nocache)
                json_object_set_new(input, "noCache", json_true());
        d->quiet = quiet;
        return 0;
}

int dbuild_refuse_buildkit(struct dapi *d, json_t *input)
{
        (void)input;
        /*
         * The docker CLI (20.10, DOCKER_BUILDKIT=1) dials /session before its
         * POST /build?version=2 and prints only the status of the failed dial
         * ("unable to upgrade to h2c, received 403"); the words are for others.
         */
        dapi_reply_error(d, 403, "%s %s: %s", d->route->method, d->route->pattern,
                         DBUILD_BUILDKIT);
        dapi_finish_close(d, "FORBIDDEN");
        return -1;
}

/* --- the context --- */

struct dbuild *dbuild_new(const json_t *opts, int quiet,
                          void (*emit)(void *arg, const unsigned char *p, size_t n), void *arg,
                          char *err, size_t errlen)
{
        struct dbuild *b;

        if ((b = calloc(1, sizeof(*b))) == NULL)
                fatal("calloc");
        if ((b->ctx = build_ctx_new(opts, err, errlen)) == NULL) {
                free(b);
                return NULL;
        }
        if ((b->tar = tar_check_new(emit, arg)) == NULL || (b->line = evbuffer_new()) == NULL)
                fatalx("out of memory");
        build_ctx_watch(b->ctx, b->tar);
        b->quiet = quiet;
        return b;
}

void dbuild_free(struct dbuild *b)
{
        if (b == NULL)
                return;
        build_ctx_free(b->ctx);
        tar_check_free(b->tar);
        evbuffer_free(b->line);
        free(b);
}

static int dbuild_code(struct dbuild *b, enum dg_err e)
{
        b->status = e == DG_FORBIDDEN ? 403 : e == DG_NOT_FOUND ? 404 : 400;
        b->code = dg_err_name(e);
        return -1;
}

static int dbuild_tar(struct dbuild *b, enum tar_status st)
{
        snprintf(b->err, sizeof(b->err), "%s", tar_check_error(b->tar));
        return dbuild_code(b, st == TAR_FORBIDDEN ? DG_FORBIDDEN : DG_INVALID_INPUT);
}

int dbuild_context(struct dbuild *b, const unsigned char *p, size_t n)
{
        enum dg_err e;

        /* counted, inflated when gzip, and checked (build.h) */
        if ((e = build_ctx_feed(b->ctx, p, n, b->err, sizeof(b->err))) != DG_OK)
                return dbuild_code(b, e);
        return 0;
}

int dbuild_context_end(struct dbuild *b, json_t **images)
{
        enum tar_status st;
        enum dg_err e;

        if ((e = build_ctx_end(b->ctx, b->err, sizeof(b->err))) != DG_OK)
                return dbuild_code(b, e);
        if ((st = tar_check_end(b->tar)) != TAR_OK)
                return dbuild_tar(b, st);
        if ((e = build_ctx_images(b->ctx, images, b->err, sizeof(b->err))) != DG_OK)
                return dbuild_code(b, e);
        return 0;
}

const char *dbuild_error(const struct dbuild *b, int *status, const char **code)
{
        *status = b->status != 0 ? b->status : 400;
        *code = b->code != NULL ? b->code : "INVALID_INPUT";
        return b->err;
}

/* --- the progress --- */

static void dbuild_emit(struct dapi *d, json_t *rec)
{
        char *txt = json_dumps(rec, JSON_COMPACT), *line;
        size_t n;

        json_decref(rec);
        if (txt == NULL || (line = malloc((n = strlen(txt)) + 2)) == NULL)
                fatalx("out of memory");
        /* One chunk a line, as the engine writes them: clients split on chunks too. */
        memcpy(line, txt, n);
        line[n] = '\r';
        line[n + 1] = '\n';
        dapi_chunk(d, line, n + 2);
        free(line);
        free(txt);
}

static void dbuild_copy_str(json_t *out, const json_t *in, const char *key)
{
        const json_t *v = json_object_get(in, key);

        if (json_is_string(v))
                json_object_set_new(out, key, json_string(json_string_value(v)));
}

static int dbuild_line(struct dbuild *b, struct dapi *d, const char *p, size_t n)
{
        json_t *rec = json_loadb(p, n, 0, NULL), *out, *aux, *detail;
        const char *id, *msg;

        if (!json_is_object(rec)) {
                json_decref(rec);
                return -1;
        }
        if ((out = json_object()) == NULL)
                fatalx("out of memory");
        if (!b->quiet)
                dbuild_copy_str(out, rec, "stream");
        id = json_string_value(json_object_get(json_object_get(rec, "aux"), "ID"));
        if (id != NULL && (aux = json_pack("{s:s}", "ID", id)) != NULL)
                json_object_set_new(out, "aux", aux);
        detail = json_object_get(rec, "errorDetail");
        msg = json_string_value(json_object_get(detail, "message"));
        if (msg == NULL)
                msg = json_string_value(json_object_get(rec, "error"));
        if (json_object_get(rec, "error") != NULL || detail != NULL) {
                b->failed = 1;
                if (msg == NULL || msg[0] == '\0')
                        msg = "the build failed";
                json_object_set_new(out, "errorDetail", json_pack("{s:s}", "message", msg));
                json_object_set_new(out, "error", json_string(msg));
                if (json_is_integer(json_object_get(detail, "code")))
                        json_object_set_new(
                            json_object_get(out, "errorDetail"), "code",
                            json_integer(json_integer_value(json_object_get(detail, "code"))));
        }
        dbuild_copy_str(out, rec, "status");
        dbuild_copy_str(out, rec, "id");
        dbuild_copy_str(out, rec, "progress");
        json_decref(rec);
        if (json_object_size(out) == 0) {
                json_decref(out);
                return 0;
        }
        dbuild_emit(d, out);
        return 0;
}

int dbuild_progress(struct dbuild *b, struct dapi *d, const char *buf, size_t len)
{
        struct evbuffer_ptr at;
        size_t n;
        char *line;

        if (evbuffer_add(b->line, buf, len) == -1)
                fatalx("out of memory");
        for (;;) {
                at = evbuffer_search(b->line, "\n", 1, NULL);
                if (at.pos < 0)
                        break;
                n = (size_t)at.pos;
                if ((line = malloc(n + 1)) == NULL)
                        fatal("malloc");
                evbuffer_remove(b->line, line, n + 1);
                while (n > 0 && line[n - 1] == '\r')
                        n--;
                if (n > 0 && dbuild_line(b, d, line, n) == -1) {
                        free(line);
                        return -1;
                }
                free(line);
        }
        return evbuffer_get_length(b->line) > DBUILD_LINE_MAX ? -1 : 0;
}

int dbuild_progress_end(struct dbuild *b, struct dapi *d)
{
        size_t n = evbuffer_get_length(b->line);
        char *line;

        if (n > 0) {
                if ((line = malloc(n)) == NULL)
                        fatal("malloc");
                evbuffer_remove(b->line, line, n);
                if (dbuild_line(b, d, line, n) == -1)
                        log_warnx("build: the engine's last line cannot be presented");
                free(line);
        }
        return b->failed;
}

void dbuild_result(struct dbuild *b, struct dapi *d, const json_t *output)
{
        const char *id = json_string_value(json_object_get(output, "imageId"));
        char line[160];

        if (!b->quiet || id == NULL || strlen(id) > 128)
                return;
        snprintf(line, sizeof(line), "%s\n", id);
        dbuild_emit(d, json_pack("{s:s}", "stream", line));
}

void dbuild_fail_record(struct dapi *d, const char *message)
{
        json_t *rec =
            json_pack("{s:{s:s},s:s}", "errorDetail", "message", message, "error", message);

        if (rec == NULL) /* not UTF-8 */
                rec = json_pack("{s:{s:s},s:s}", "errorDetail", "message", "the build failed",
                                "error", "the build failed");
        dbuild_emit(d, rec);
}
