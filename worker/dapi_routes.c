/*
 * dapi_routes.c - the Docker-API front's route table: each row a method, a
 * path pattern, the native operation it becomes, the query keys it takes,
 * the input translation and the rendering of the broker's answer.
 *
 * A route not in the table answers 404 naming it as not supported by the
 * gateway; a query key a row does not list answers 400.  docs/docker-api.md
 * lists every row, what it translates and what it refuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dapi.h"
#include "dapi_containers.h"
#include "dapi_create.h"
#include "dapi_exec.h"
#include "dapi_objects.h"
#include "log.h"

/* --- query helpers --- */

const char *dq_str(struct dapi *d, const char *key)
{
        return json_string_value(json_object_get(d->path.query, key));
}

int dq_bool(struct dapi *d, const char *key, int def, int *out)
{
        const char *s = dq_str(d, key);

        *out = def;
        if (s == NULL || s[0] == '\0')
                return 0;
        /* Go's strconv.ParseBool, as the engine reads these. */
        if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
            strcmp(s, "TRUE") == 0 || strcmp(s, "t") == 0 || strcmp(s, "T") == 0)
                *out = 1;
        else if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
                 strcmp(s, "FALSE") == 0 || strcmp(s, "f") == 0 || strcmp(s, "F") == 0)
                *out = 0;
        else {
                dapi_reply_error(d, 400, "query parameter %s: a boolean", key);
                dapi_finish(d, "INVALID_INPUT");
                return -1;
        }
        return 0;
}

int dq_int(struct dapi *d, const char *key, long long lo, long long hi, int *set,
           long long *out)
{
        const char *s = dq_str(d, key);
        char *end;
        long long v;

        *set = 0;
        if (s == NULL || s[0] == '\0')
                return 0;
        v = strtoll(s, &end, 10);
        if (*end != '\0' || v < lo || v > hi) {
                dapi_reply_error(d, 400, "query parameter %s: an integer in %lld..%lld", key,
                                 lo, hi);
                dapi_finish(d, "INVALID_INPUT");
                return -1;
        }
        *set = 1;
        *out = v;
        return 0;
}

static int dq_refuse(struct dapi *d, int status, const char *fmt, const char *arg)
    __attribute__((format(printf, 3, 0)));
static int dq_refuse(struct dapi *d, int status, const char *fmt, const char *arg)
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

/* A query key accepted only at its zero value. */
static int dq_zero(struct dapi *d, const char *key)
{
        const char *s = dq_str(d, key);

        /* Go's false spellings (docker-py writes Python's "False"). */
        if (s == NULL || s[0] == '\0' || strcmp(s, "0") == 0 || strcmp(s, "false") == 0 ||
            strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0 || strcmp(s, "f") == 0 ||
            strcmp(s, "F") == 0)
                return 0;
        return dq_refuse(d, 403, "query parameter %s: not supported by the gateway", key);
}

static void in_set_container(struct dapi *d, json_t *input)
{
        json_object_set_new(input, "containerId", json_string(d->capture));
}

/* --- system --- */

static void out_ping(struct dapi *d, const json_t *o)
{
        dapi_reply(
            d, 200, "text/plain; charset=utf-8", "OK", 2,
            "Cache-Control: no-cache, no-store, must-revalidate\r\nPragma: no-cache\r\n");
}

static void out_version(struct dapi *d, const json_t *o)
{
        json_t *doc = json_deep_copy(o);
        const char *av = json_string_value(json_object_get(o, "ApiVersion"));

        /* This front speaks 1.41 at most, whatever the engine speaks. */
        if (av == NULL || strcmp(av, "1.41") > 0 || strlen(av) > 4)
                json_object_set_new(doc, "ApiVersion", json_string("1.41"));
        json_object_set_new(doc, "MinAPIVersion", json_string("1.12"));
        dapi_reply_json(d, 200, doc);
        json_decref(doc);
}

/* --- containers --- */

static int in_create(struct dapi *d, json_t *input)
{
        char err[512];
        int status = 400;
        const char *platform = dq_str(d, "platform");

        if (platform != NULL && platform[0] != '\0')
                return dq_refuse(d, 403, "query parameter %s: not supported by the gateway",
                                 "platform");
        if (d->body == NULL)
                return dq_refuse(d, 400, "%s", "a JSON body is required");
        /* dockerode repeats its options, the query's name too, in the body. */
        if (dq_str(d, "name") != NULL && json_equal(json_object_get(d->body, "name"),
                                                    json_object_get(d->path.query, "name")))
                json_object_del(d->body, "name");
        if (dcreate_translate(d->body, dq_str(d, "name"), input, &status, err, sizeof(err)) ==
            -1) {
                dapi_reply_error(d, status, "%s", err);
                dapi_finish(d, status == 403 ? "FORBIDDEN" : "INVALID_INPUT");
                return -1;
        }
        return 0;
}

static void out_create(struct dapi *d, const json_t *o)
{
        json_t *w = json_object_get(o, "warnings");
        json_t *doc = json_pack("{s:O,s:O}", "Id", json_object_get(o, "containerId"),
                                "Warnings", json_is_array(w) ? w : json_array());

        if (!json_is_array(w))
                json_decref(json_object_get(doc, "Warnings"));
        dapi_reply_json(d, 201, doc);
        json_decref(doc);
}

static int in_container(struct dapi *d, json_t *input)
{
        in_set_container(d, input);
        return 0;
}

static int in_start(struct dapi *d, json_t *input)
{
        const char *k = dq_str(d, "detachKeys");

        if (k != NULL && k[0] != '\0')
                return dq_refuse(d, 403, "query parameter %s: the gateway sets the detach keys",
                                 "detachKeys");
        in_set_container(d, input);
        return 0;
}

static void out_no_content(struct dapi *d, const json_t *o)
{
        dapi_reply_empty(d, 204);
}

static int in_stop(struct dapi *d, json_t *input)
{
        long long t;
        int set;

        if (dq_int(d, "t", -1, 3600, &set, &t) == -1)
                return -1;
        in_set_container(d, input);
        if (set && t >= 0)
                json_object_set_new(input, "timeoutSeconds", json_integer(t));
        return 0;
}

static int in_kill(struct dapi *d, json_t *input)
{
        const char *sig = dq_str(d, "signal");

        in_set_container(d, input);
        if (sig != NULL && sig[0] != '\0')
                json_object_set_new(input, "signal", json_string(sig));
        return 0;
}

static int in_remove(struct dapi *d, json_t *input)
{
        int force, v;

        if (dq_bool(d, "force", 0, &force) == -1 || dq_bool(d, "v", 0, &v) == -1 ||
            dq_zero(d, "link") == -1)
                return -1;
        in_set_container(d, input);
        json_object_set_new(input, "force", json_boolean(force));
        json_object_set_new(input, "removeVolumes", json_boolean(v));
        return 0;
}

static int in_list(struct dapi *d, json_t *input)
{
        int all;
        long long limit;
        int set;

        static const char *const keys[] = {"label",   "name",   "status", "id", "ancestor",
                                           "network", "health", "exited", NULL};
        int trunc;

        /* trunc_cmd (docker-py sends 0): the engine's list never truncates Command. */
        if (dq_bool(d, "all", 0, &all) == -1 || dq_zero(d, "size") == -1 ||
            dq_int(d, "limit", -1, 1000000, &set, &limit) == -1 ||
            dq_bool(d, "trunc_cmd", 0, &trunc) == -1 || dq_filters(d, input, keys) == -1)
                return -1;
        if (set && limit > 0)
                return dq_refuse(d, 403, "query parameter %s: not supported by the gateway",
                                 "limit");
        json_object_set_new(input, "all", json_boolean(all));
        return 0;
}

static void out_list(struct dapi *d, const json_t *o)
{
        dapi_reply_json(d, 200, json_is_array(o) ? o : json_object_get(o, "items"));
}

static int in_inspect(struct dapi *d, json_t *input)
{
        if (dq_zero(d, "size") == -1)
                return -1;
        in_set_container(d, input);
        return 0;
}

static int in_wait(struct dapi *d, json_t *input)
{
        const char *cond = dq_str(d, "condition");

        in_set_container(d, input);
        if (cond != NULL && cond[0] != '\0')
                json_object_set_new(input, "condition", json_string(cond));
        return 0;
}

static void out_wait(struct dapi *d, const json_t *o)
{
        const char *err = json_string_value(json_object_get(o, "error"));
        json_t *doc =
            json_pack("{s:O,s:o}", "StatusCode", json_object_get(o, "exitCode"), "Error",
                      err != NULL ? json_pack("{s:s}", "Message", err) : json_null());

        dapi_reply_json(d, 200, doc);
        json_decref(doc);
}

static int in_logs(struct dapi *d, json_t *input)
{
        int follow, out, err, ts;
        const char *tail = dq_str(d, "tail"), *since = dq_str(d, "since"),
                   *until = dq_str(d, "until");
        char *end;
        double t;

        if (dq_bool(d, "follow", 0, &follow) == -1 || dq_bool(d, "stdout", 0, &out) == -1 ||
            dq_bool(d, "stderr", 0, &err) == -1 || dq_bool(d, "timestamps", 0, &ts) == -1 ||
            dq_zero(d, "details") == -1)
                return -1;
        if (until != NULL && until[0] != '\0' && strcmp(until, "0") != 0)
                return dq_refuse(d, 403, "query parameter %s: not supported by the gateway",
                                 "until");
        if (!out && !err)
                return dq_refuse(d, 400, "%s",
                                 "Bad parameters: you must choose at least one "
                                 "stream");
        in_set_container(d, input);
        json_object_set_new(input, "follow", json_boolean(follow));
        json_object_set_new(input, "stdout", json_boolean(out));
        json_object_set_new(input, "stderr", json_boolean(err));
        json_object_set_new(input, "timestamps", json_boolean(ts));
        if (tail != NULL && tail[0] != '\0')
                json_object_set_new(input, "tail", json_string(tail));
        if (since != NULL && since[0] != '\0') {
                t = strtod(since, &end);
                if (*end != '\0' || t < 0 || t > 1e12)
                        return dq_refuse(d, 400, "query parameter %s: a UNIX time", "since");
                if ((long long)t > 0)
                        json_object_set_new(input, "since", json_integer((json_int_t)t));
        }
        return 0;
}

static int in_attach(struct dapi *d, json_t *input)
{
        int stream, in, out, err, logs;
        const char *keys = dq_str(d, "detachKeys");

        if (dq_bool(d, "stream", 0, &stream) == -1 || dq_bool(d, "stdin", 0, &in) == -1 ||
            dq_bool(d, "stdout", 0, &out) == -1 || dq_bool(d, "stderr", 0, &err) == -1 ||
            dq_bool(d, "logs", 0, &logs) == -1)
                return -1;
        if (!stream)
                return dq_refuse(d, 403, "%s",
                                 "attach without stream=1 is not supported by the "
                                 "gateway; use logs");
        if (!out || !err)
                return dq_refuse(d, 403, "%s",
                                 "attach carries stdout and stderr both through "
                                 "the gateway: set stdout=1 and stderr=1");
        if (keys != NULL && keys[0] != '\0')
                return dq_refuse(d, 403, "query parameter %s: the gateway sets the detach keys",
                                 "detachKeys");
        in_set_container(d, input);
        json_object_set_new(input, "stdin", json_boolean(in));
        json_object_set_new(input, "logs", json_boolean(logs));
        return 0;
}

static int in_resize(struct dapi *d, json_t *input)
{
        long long h, w;
        int hs, ws;

        if (dq_int(d, "h", 0, 65535, &hs, &h) == -1 || dq_int(d, "w", 0, 65535, &ws, &w) == -1)
                return -1;
        in_set_container(d, input);
        json_object_set_new(input, "rows", json_integer(hs ? h : 0));
        json_object_set_new(input, "cols", json_integer(ws ? w : 0));
        return 0;
}

static void out_ok_empty(struct dapi *d, const json_t *o)
{
        dapi_reply(d, 200, "text/plain; charset=utf-8", NULL, 0, NULL);
}

static void out_top(struct dapi *d, const json_t *o)
{
        json_t *doc = json_pack("{s:O,s:O}", "Titles", json_object_get(o, "titles"),
                                "Processes", json_object_get(o, "processes"));

        dapi_reply_json(d, 200, doc);
        json_decref(doc);
}

static int in_top(struct dapi *d, json_t *input)
{
        const char *args = dq_str(d, "ps_args");

        if (args != NULL && args[0] != '\0')
                return dq_refuse(d, 403, "query parameter %s: not supported by the gateway",
                                 "ps_args");
        in_set_container(d, input);
        return 0;
}

static int in_stats(struct dapi *d, json_t *input)
{
        int stream, one;

        /* one-shot (1.41): no wait for a second sample; accepted, the answer waits for it. */
        if (dq_bool(d, "stream", 1, &stream) == -1 || dq_bool(d, "one-shot", 0, &one) == -1)
                return -1;
        in_set_container(d, input);
        json_object_set_new(input, "stream", json_boolean(stream));
        return 0;
}

/* docker update: limits down from the create-time values only (supervisor/op_update.c). */
static int in_update(struct dapi *d, json_t *input)
{
        char err[512];
        int status = 400;

        if (d->body == NULL)
                return dq_refuse(d, 400, "%s", "a JSON body is required");
        in_set_container(d, input);
        if (dupdate_translate(d->body, input, &status, err, sizeof(err)) == -1) {
                dapi_reply_error(d, status, "%s", err);
                dapi_finish(d, status == 403 ? "FORBIDDEN" : "INVALID_INPUT");
                return -1;
        }
        return 0;
}

static void out_update(struct dapi *d, const json_t *o)
{
        json_t *w = json_object_get(o, "warnings");
        json_t *doc = json_pack("{s:O}", "Warnings", json_is_array(w) ? w : json_array());

        if (!json_is_array(w))
                json_decref(json_object_get(doc, "Warnings"));
        dapi_reply_json(d, 200, doc);
        json_decref(doc);
}

/* docker cp: the native archive operations, the path as given. */
static int in_archive_get(struct dapi *d, json_t *input)
{
        const char *path = dq_str(d, "path");

        if (path == NULL || path[0] == '\0')
                return dq_refuse(d, 400, "%s", "query parameter path: required");
        in_set_container(d, input);
        json_object_set_new(input, "path", json_string(path));
        /* HEAD: the engine's HEAD too, so no tar is made only to be dropped. */
        if (d->head_only)
                json_object_set_new(input, "statOnly", json_true());
        return 0;
}

/*
 * The native put always sets noOverwriteDirNonDir (as docker cp does);
 * copyUIDGID (docker cp -a) would make the archive's owners the
 * container's: not offered.
 */
static int in_archive_put(struct dapi *d, json_t *input)
{
        int no_overwrite;

        if (dq_bool(d, "noOverwriteDirNonDir", 1, &no_overwrite) == -1 ||
            dq_zero(d, "copyUIDGID") == -1)
                return -1;
        return in_archive_get(d, input);
}

/* --- the table --- */

static const char *const q_none[] = {NULL};
static const char *const q_create[] = {"name", "platform", NULL};
static const char *const q_start[] = {"detachKeys", NULL};
static const char *const q_stop[] = {"t", NULL};
static const char *const q_kill[] = {"signal", NULL};
static const char *const q_remove[] = {"force", "v", "link", NULL};
static const char *const q_list[] = {"all", "limit", "size", "filters", "trunc_cmd", NULL};
static const char *const q_inspect[] = {"size", NULL};
static const char *const q_wait[] = {"condition", NULL};
static const char *const q_logs[] = {"follow",     "stdout", "stderr",  "since", "until",
                                     "timestamps", "tail",   "details", NULL};
static const char *const q_attach[] = {"stream", "stdin",      "stdout", "stderr",
                                       "logs",   "detachKeys", NULL};
static const char *const q_resize[] = {"h", "w", NULL};
static const char *const q_top[] = {"ps_args", NULL};
static const char *const q_rename[] = {"name", NULL};
static const char *const q_exec_resize[] = {"h", "w", NULL};
static const char *const q_stats[] = {"stream", "one-shot", NULL};
static const char *const q_archive[] = {"path", NULL};
static const char *const q_archive_put[] = {"path", "noOverwriteDirNonDir", "copyUIDGID", NULL};

/* Networks, volumes, images, system (dapi_objects.c). */
static const char *const q_filters[] = {"filters", NULL};
static const char *const q_events[] = {"since", "until", "filters", NULL};
static const char *const q_net_inspect[] = {"verbose", "scope", NULL};
static const char *const q_force[] = {"force", NULL};
static const char *const q_img_list[] = {"all", "digests", "filters", "filter", NULL};
static const char *const q_img_remove[] = {"force", "noprune", NULL};
static const char *const q_img_tag[] = {"repo", "tag", NULL};
static const char *const q_build[] = {
    "t",        "dockerfile",  "buildargs",  "target",      "labels",       "q",
    "rm",       "forcerm",     "nocache",    "pull",        "remote",       "version",
    "session",  "buildid",     "outputs",    "memory",      "memswap",      "cpushares",
    "cpuquota", "cpuperiod",   "cpusetcpus", "cpusetmems",  "cgroupparent", "shmsize",
    "ulimits",  "networkmode", "extrahosts", "securityopt", "squash",       "isolation",
    "platform", "cachefrom",   NULL};
static const char *const q_img_pull[] = {"fromImage", "tag",     "fromSrc",  "repo",
                                         "message",   "changes", "platform", NULL};

#define RAWSTREAM "application/vnd.docker.raw-stream"

static const struct droute droute_table[] = {
    {"GET", "/_ping", "docker/system/ping", 0, q_none, NULL, out_ping, DRELAY_NONE, NULL, 0, 0},
    {"HEAD", "/_ping", "docker/system/ping", 0, q_none, NULL, out_ping, DRELAY_NONE, NULL, 0,
     0},
    {"GET", "/version", "docker/system/version", 0, q_none, NULL, out_version, DRELAY_NONE,
     NULL, 0, 0},
    {"POST", "/containers/create", "docker/container/create", 0, q_create, in_create,
     out_create, DRELAY_NONE, NULL, 1, 0},
    {"GET", "/containers/json", "docker/container/list", 0, q_list, in_list, out_list,
     DRELAY_NONE, NULL, 0, 0},
    {"GET", "/containers/{id}/json", "docker/container/inspect", 0, q_inspect, in_inspect, NULL,
     DRELAY_NONE, NULL, 0, 0},
    {"POST", "/containers/{id}/start", "docker/container/start", 0, q_start, in_start,
     out_no_content, DRELAY_NONE, NULL, 0, 0},
    {"POST", "/containers/{id}/stop", "docker/container/stop", 0, q_stop, in_stop,
     out_no_content, DRELAY_NONE, NULL, 0, 0},
    {"POST", "/containers/{id}/restart", "docker/container/restart", 0, q_stop, in_stop,
     out_no_content, DRELAY_NONE, NULL, 0, 0},
    {"POST", "/containers/{id}/kill", "docker/container/kill", 0, q_kill, in_kill,
     out_no_content, DRELAY_NONE, NULL, 0, 0},
    {"POST", "/containers/{id}/pause", "docker/container/pause", 0, q_none, in_container,
     out_no_content, DRELAY_NONE, NULL, 0, 0},
    {"POST", "/containers/{id}/unpause", "docker/container/unpause", 0, q_none, in_container,
     out_no_content, DRELAY_NONE, NULL, 0, 0},
    {"DELETE", "/containers/{id}", "docker/container/remove", 0, q_remove, in_remove,
     out_no_content, DRELAY_NONE, NULL, 0, 0},
    {"POST", "/containers/{id}/wait", "docker/container/wait", 0, q_wait, in_wait, out_wait,
     DRELAY_NONE, NULL, 0, 1},
    {"GET", "/containers/{id}/logs", "docker/container/logs", 0, q_logs, in_logs, NULL,
     DRELAY_CHUNKED, RAWSTREAM, 0, 0},
    {"POST", "/containers/{id}/attach", "docker/container/attach", 1, q_attach, in_attach, NULL,
     DRELAY_HIJACK, RAWSTREAM, 0, 0},
    {"POST", "/containers/{id}/resize", "docker/container/resize", 0, q_resize, in_resize,
     out_ok_empty, DRELAY_NONE, NULL, 0, 0},
    {"GET", "/containers/{id}/top", "docker/container/top", 0, q_top, in_top, out_top,
     DRELAY_NONE, NULL, 0, 0},
    {"POST", "/containers/prune", "docker/container/prune", 0, q_filters, dob_in_prune,
     dctr_out_prune, DRELAY_NONE, NULL, 0, 0},
    {"POST", "/containers/{id}/rename", "docker/container/rename", 0, q_rename, dctr_in_rename,
     dob_out_no_content, DRELAY_NONE, NULL, 0, 0},
    {"POST", "/containers/{id}/update", "docker/container/update", 0, q_none, in_update,
     out_update, DRELAY_NONE, NULL, 1, 0},
    {"GET", "/containers/{id}/stats", "docker/container/stats", 0, q_stats, in_stats, NULL,
     DRELAY_EVENTS, "application/json", 0, 0},
    {"HEAD", "/containers/{id}/archive", "docker/container/archive/get", 1, q_archive,
     in_archive_get, NULL, DRELAY_ARCHIVE, "application/x-tar", 0, 0},
    {"GET", "/containers/{id}/archive", "docker/container/archive/get", 1, q_archive,
     in_archive_get, NULL, DRELAY_ARCHIVE, "application/x-tar", 0, 0},
    {"PUT", "/containers/{id}/archive", "docker/container/archive/put", 1, q_archive_put,
     in_archive_put, NULL, DRELAY_PUT, NULL, 0, 0},
    /* --- exec (dapi_exec.c) --- */
    {"POST", "/containers/{id}/exec", "docker/container/exec/create", 0, q_none, dex_in_create,
     dex_out_create, DRELAY_NONE, NULL, 1, 0},
    {"POST", "/exec/{id}/start", "docker/exec/start", 1, q_none, dex_in_start, dob_out_ok,
     DRELAY_HIJACK, RAWSTREAM, 1, 0},
    {"GET", "/exec/{id}/json", "docker/exec/inspect", 0, q_none, dex_in_inspect, NULL,
     DRELAY_NONE, NULL, 0, 0},
    {"POST", "/exec/{id}/resize", "docker/exec/resize", 0, q_exec_resize, dex_in_resize,
     dob_out_ok, DRELAY_NONE, NULL, 0, 0},
    /* --- system, networks, volumes, images (dapi_objects.c) --- */
    {"GET", "/info", "docker/system/info", 0, q_none, NULL, NULL, DRELAY_NONE, NULL, 0, 0},
    {"GET", "/system/df", "docker/system/df", 0, q_none, NULL, NULL, DRELAY_NONE, NULL, 0, 0},
    {"GET", "/events", "docker/system/events", 0, q_events, dob_in_events, NULL, DRELAY_EVENTS,
     "application/json", 0, 0},
    {"GET", "/networks", "docker/network/list", 0, q_filters, dob_in_net_list, NULL,
     DRELAY_NONE, NULL, 0, 0},
    {"POST", "/networks/create", "docker/network/create", 0, q_none, dob_in_net_create,
     dob_out_net_create, DRELAY_NONE, NULL, 1, 0},
    {"POST", "/networks/prune", "docker/network/prune", 0, q_filters, dob_in_prune,
     dob_out_net_prune, DRELAY_NONE, NULL, 0, 0},
    {"GET", "/networks/{id}", "docker/network/inspect", 0, q_net_inspect, dob_in_net_inspect,
     NULL, DRELAY_NONE, NULL, 0, 0},
    {"DELETE", "/networks/{id}", "docker/network/remove", 0, q_none, dob_in_net,
     dob_out_no_content, DRELAY_NONE, NULL, 0, 0},
    {"POST", "/networks/{id}/connect", "docker/network/connect", 0, q_none, dob_in_net_connect,
     dob_out_ok, DRELAY_NONE, NULL, 1, 0},
    {"POST", "/networks/{id}/disconnect", "docker/network/disconnect", 0, q_none,
     dob_in_net_disconnect, dob_out_ok, DRELAY_NONE, NULL, 1, 0},
    {"GET", "/volumes", "docker/volume/list", 0, q_filters, dob_in_vol_list, dob_out_vol_list,
     DRELAY_NONE, NULL, 0, 0},
    {"POST", "/volumes/create", "docker/volume/create", 0, q_none, dob_in_vol_create,
     dob_out_vol_create, DRELAY_NONE, NULL, 1, 0},
    {"POST", "/volumes/prune", "docker/volume/prune", 0, q_filters, dob_in_vol_prune,
     dob_out_vol_prune, DRELAY_NONE, NULL, 0, 0},
    {"GET", "/volumes/{name}", "docker/volume/inspect", 0, q_none, dob_in_vol, NULL,
     DRELAY_NONE, NULL, 0, 0},
    {"DELETE", "/volumes/{name}", "docker/volume/remove", 0, q_force, dob_in_vol_remove,
     dob_out_no_content, DRELAY_NONE, NULL, 0, 0},
    {"GET", "/images/json", "docker/image/list", 0, q_img_list, dob_in_img_list, NULL,
     DRELAY_NONE, NULL, 0, 0},
    {"POST", "/images/prune", "docker/image/prune", 0, q_filters, dob_in_img_prune,
     dob_out_img_prune, DRELAY_NONE, NULL, 0, 0},
    {"POST", "/images/create", "docker/image/pull", 0, q_img_pull, dob_in_img_pull, NULL,
     DRELAY_CHUNKED, "application/json", 0, 0},
    {"GET", "/images/{name*}/json", "docker/image/inspect", 0, q_none, dob_in_img, NULL,
     DRELAY_NONE, NULL, 0, 0},
    {"POST", "/images/{name*}/tag", "docker/image/tag", 0, q_img_tag, dob_in_img_tag,
     dob_out_created, DRELAY_NONE, NULL, 0, 0},
    {"DELETE", "/images/{name*}", "docker/image/remove", 0, q_img_remove, dob_in_img_remove,
     dob_out_img_remove, DRELAY_NONE, NULL, 0, 0},
    /* --- build (dapi_build.c) --- */
    {"POST", "/build", "docker/image/build", 1, q_build, dbuild_in, NULL, DRELAY_BUILD,
     "application/json", 0, 0},
    {"POST", "/session", NULL, 0, NULL, dbuild_refuse_buildkit, NULL, DRELAY_NONE, NULL, 0, 0},
    {"POST", "/grpc", NULL, 0, NULL, dbuild_refuse_buildkit, NULL, DRELAY_NONE, NULL, 0, 0},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL, DRELAY_NONE, NULL, 0, 0},
};

/*
 * Matches path against pattern: literal text and at most one {capture},
 * one segment (no '/'), or the rest up to a literal suffix when the name
 * ends in '*' (image references hold slashes).
 */
static int droute_match(const char *pattern, const char *path, char *capture, size_t caplen)
{
        const char *open = strchr(pattern, '{'), *close;
        size_t pre, suf, plen = strlen(path), n;
        int star;

        if (open == NULL)
                return strcmp(pattern, path) == 0;
        close = strchr(open, '}');
        pre = (size_t)(open - pattern);
        suf = strlen(close + 1);
        star = close[-1] == '*';
        if (plen <= pre + suf || strncmp(path, pattern, pre) != 0 ||
            strcmp(path + plen - suf, close + 1) != 0)
                return 0;
        n = plen - pre - suf;
        if (n >= caplen || (!star && memchr(path + pre, '/', n) != NULL))
                return 0;
        memcpy(capture, path + pre, n);
        capture[n] = '\0';
        return 1;
}

const struct droute *droute_find(const char *method, const char *path, char *capture,
                                 size_t caplen, int *status)
{
        const struct droute *r;
        int path_seen = 0;

        for (r = droute_table; r->method != NULL; r++) {
                if (!droute_match(r->pattern, path, capture, caplen))
                        continue;
                if (strcmp(r->method, method) == 0)
                        return r;
                path_seen = 1;
        }
        capture[0] = '\0';
        *status = path_seen ? 405 : 404;
        return NULL;
}
