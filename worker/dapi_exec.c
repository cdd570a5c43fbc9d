/*
 * dapi_exec.c - exec through the Docker-API front (dapi_exec.h).
 *
 * The engine's exec is three requests, often on three connections: create
 * (POST /containers/{id}/exec), start (POST /exec/{id}/start, hijacked like
 * attach, or detached), inspect (GET /exec/{id}/json, for the exit code).
 * They become docker/container/exec/create, docker/exec/start and
 * docker/exec/inspect: the supervisor keeps which exec IDs are whose.
 *
 * The create body is read field by field: each is translated, accepted at
 * what clients send with no effect, or refused; an unknown one is 400.
 * Nothing is forwarded: the supervisor builds the engine's body with the
 * checks of every exec (the user the policy allows, never privileged).
 */
#include <stdio.h>
#include <string.h>

#include "dapi.h"
#include "dapi_exec.h"

static int dex_refuse(struct dapi *d, int status, const char *what, const char *why)
{
        dapi_reply_error(d, status, "%s: %s", what, why);
        dapi_finish(d, status == 403 ? "FORBIDDEN" : "INVALID_INPUT");
        return -1;
}

/* An array of strings (or null: absent) copied into input[name]. */
static int dex_strings(struct dapi *d, json_t *input, const char *name, const char *field,
                       const json_t *v)
{
        size_t i;
        json_t *s;

        if (json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return dex_refuse(d, 400, field, "an array of strings");
        json_array_foreach(v, i, s)
        {
                if (!json_is_string(s))
                        return dex_refuse(d, 400, field, "an array of strings");
        }
        json_object_set_new(input, name, json_deep_copy(v));
        return 0;
}

static int dex_string(struct dapi *d, json_t *input, const char *name, const char *field,
                      const json_t *v)
{
        if (json_is_null(v))
                return 0;
        if (!json_is_string(v))
                return dex_refuse(d, 400, field, "a string");
        if (json_string_length(v) > 0)
                json_object_set_new(input, name, json_copy((json_t *)v));
        return 0;
}

static int dex_bool(struct dapi *d, const char *field, const json_t *v, int *out)
{
        *out = 0;
        if (json_is_null(v))
                return 0;
        if (!json_is_boolean(v))
                return dex_refuse(d, 400, field, "a boolean");
        *out = json_is_true(v);
        return 0;
}

int dex_in_create(struct dapi *d, json_t *input)
{
        const char *k;
        json_t *v;
        int b;

        if (!json_is_object(d->body))
                return dex_refuse(d, 400, "body", "a JSON object is required");
        json_object_set_new(input, "containerId", json_string(d->capture));
        json_object_foreach(d->body, k, v)
        {
                if (strcmp(k, "Cmd") == 0) {
                        if (dex_strings(d, input, "cmd", k, v) == -1)
                                return -1;
                } else if (strcmp(k, "Env") == 0) {
                        if (dex_strings(d, input, "env", k, v) == -1)
                                return -1;
                } else if (strcmp(k, "WorkingDir") == 0) {
                        if (dex_string(d, input, "workingDir", k, v) == -1)
                                return -1;
                } else if (strcmp(k, "User") == 0) {
                        if (dex_string(d, input, "user", k, v) == -1)
                                return -1;
                } else if (strcmp(k, "Tty") == 0 || strcmp(k, "AttachStdin") == 0) {
                        if (dex_bool(d, k, v, &b) == -1)
                                return -1;
                        json_object_set_new(input, k[0] == 'T' ? "tty" : "stdin",
                                            json_boolean(b));
                } else if (strcmp(k, "AttachStdout") == 0 || strcmp(k, "AttachStderr") == 0 ||
                           strcmp(k, "Detach") == 0) {
                        /* Output is always attached; a detached start discards it. */
                        if (dex_bool(d, k, v, &b) == -1)
                                return -1;
                } else if (strcmp(k, "Privileged") == 0) {
                        if (dex_bool(d, k, v, &b) == -1)
                                return -1;
                        if (b)
                                return dex_refuse(d, 403, k,
                                                  "a privileged exec is not allowed by the "
                                                  "gateway");
                } else if (strcmp(k, "DetachKeys") == 0) {
                        if (!json_is_null(v) &&
                            !(json_is_string(v) && json_string_length(v) == 0))
                                return dex_refuse(d, 403, k,
                                                  "the gateway sets the detach keys");
                } else if (strcmp(k, "Container") == 0) {
                        /* docker-py repeats the path's container: the path is the one used. */
                        if (!json_is_null(v) &&
                            !(json_is_string(v) &&
                              (json_string_length(v) == 0 ||
                               strcmp(json_string_value(v), d->capture) == 0)))
                                return dex_refuse(d, 400, k, "the container of the path");
                } else if (strcmp(k, "ConsoleSize") == 0) {
                        /* API 1.42; a client that sends it gets the engine's default size. */
                        if (!json_is_null(v) && !json_is_array(v))
                                return dex_refuse(d, 400, k, "an array of two integers");
                } else {
                        return dex_refuse(d, 400, k, "unknown field of an exec create body");
                }
        }
        if (json_object_get(input, "cmd") == NULL)
                return dex_refuse(d, 400, "Cmd", "No exec command specified");
        return 0;
}

void dex_out_create(struct dapi *d, const json_t *o)
{
        json_t *doc = json_pack("{s:O}", "Id", json_object_get(o, "execId"));

        dapi_reply_json(d, 201, doc);
        json_decref(doc);
}

/* The path's ID: an exec ID is 64 hex digits; anything else is no exec of the peer's. */
static int dex_id(struct dapi *d, json_t *input)
{
        if (strlen(d->capture) != 64 || strspn(d->capture, "0123456789abcdef") != 64) {
                dapi_reply_error(d, 404, "No such exec instance: %.64s", d->capture);
                dapi_finish(d, "NOT_FOUND");
                return -1;
        }
        json_object_set_new(input, "execId", json_string(d->capture));
        return 0;
}

int dex_in_start(struct dapi *d, json_t *input)
{
        const char *k;
        json_t *v;
        int detach = 0, b;

        if (dex_id(d, input) == -1)
                return -1;
        if (d->body != NULL && !json_is_object(d->body))
                return dex_refuse(d, 400, "body", "a JSON object");
        json_object_foreach(d->body, k, v)
        {
                if (strcmp(k, "Detach") == 0) {
                        if (dex_bool(d, k, v, &detach) == -1)
                                return -1;
                } else if (strcmp(k, "Tty") == 0) {
                        /* The create's Tty is the one the session has. */
                        if (dex_bool(d, k, v, &b) == -1)
                                return -1;
                } else if (strcmp(k, "ConsoleSize") == 0) {
                        if (!json_is_null(v) && !json_is_array(v))
                                return dex_refuse(d, 400, k, "an array of two integers");
                } else {
                        return dex_refuse(d, 400, k, "unknown field of an exec start body");
                }
        }
        if (detach) {
                /* Answered with 200 once started: no hijack, JSON carriage. */
                json_object_set_new(input, "detach", json_true());
                d->json_carriage = 1;
        }
        return 0;
}

int dex_in_inspect(struct dapi *d, json_t *input)
{
        return dex_id(d, input);
}

int dex_in_resize(struct dapi *d, json_t *input)
{
        long long h, w;
        int hs, ws;

        if (dq_int(d, "h", 1, 10000, &hs, &h) == -1 || dq_int(d, "w", 1, 10000, &ws, &w) == -1)
                return -1;
        if (!hs || !ws)
                return dex_refuse(d, 400, "h, w", "both are required");
        if (dex_id(d, input) == -1)
                return -1;
        json_object_set_new(input, "rows", json_integer(h));
        json_object_set_new(input, "cols", json_integer(w));
        return 0;
}
