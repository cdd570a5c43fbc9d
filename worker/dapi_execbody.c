/*
 * dapi_execbody.c - exec bodies of the Docker front (dapi_execbody.h).
 *
 * Each field is translated, accepted at what clients send with no effect,
 * or refused; an unknown one is 400.  Nothing is forwarded: the supervisor
 * builds the engine's body with the checks of every exec (the user the
 * policy allows, never privileged, its own detach keys).  The body was
 * parsed by dcreate_parse: no key twice, in any case.
 */
#include <stdio.h>
#include <string.h>

#include "dapi_execbody.h"

struct dxb {
        int *status;
        char *err;
        size_t errlen;
};

static int dxb_refuse(struct dxb *x, int status, const char *field, const char *why)
{
        *x->status = status;
        snprintf(x->err, x->errlen, "%.64s: %s", field, why); /* a peer-chosen key, cut */
        return -1;
}

/* An array of strings (or null: absent) copied into input[name]. */
static int dxb_strings(struct dxb *x, json_t *input, const char *name, const char *field,
                       json_t *v)
{
        size_t i;
        json_t *s;

        if (json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return dxb_refuse(x, 400, field, "an array of strings");
        json_array_foreach(v, i, s)
        {
                if (!json_is_string(s))
                        return dxb_refuse(x, 400, field, "an array of strings");
        }
        json_object_set_new(input, name, json_deep_copy(v));
        return 0;
}

static int dxb_string(struct dxb *x, json_t *input, const char *name, const char *field,
                      json_t *v)
{
        if (json_is_null(v))
                return 0;
        if (!json_is_string(v))
                return dxb_refuse(x, 400, field, "a string");
        if (json_string_length(v) > 0)
                json_object_set_new(input, name, json_copy(v));
        return 0;
}

static int dxb_bool(struct dxb *x, const char *field, const json_t *v, int *out)
{
        *out = 0;
        if (json_is_null(v))
                return 0;
        if (!json_is_boolean(v))
                return dxb_refuse(x, 400, field, "a boolean");
        *out = json_is_true(v);
        return 0;
}

/* ConsoleSize (API 1.42): a client that sends it gets the engine's default size. */
static int dxb_console(struct dxb *x, const char *field, const json_t *v)
{
        if (!json_is_null(v) && !json_is_array(v))
                return dxb_refuse(x, 400, field, "an array of two integers");
        return 0;
}

static int dxb_field(struct dxb *x, const char *k, json_t *v, const char *cid, json_t *input)
{
        int b;

        if (strcmp(k, "Cmd") == 0)
                return dxb_strings(x, input, "cmd", k, v);
        if (strcmp(k, "Env") == 0)
                return dxb_strings(x, input, "env", k, v);
        if (strcmp(k, "WorkingDir") == 0)
                return dxb_string(x, input, "workingDir", k, v);
        if (strcmp(k, "User") == 0)
                return dxb_string(x, input, "user", k, v);
        if (strcmp(k, "Tty") == 0 || strcmp(k, "AttachStdin") == 0) {
                if (dxb_bool(x, k, v, &b) == -1)
                        return -1;
                json_object_set_new(input, k[0] == 'T' ? "tty" : "stdin", json_boolean(b));
                return 0;
        }
        /* Output is always attached; a detached start discards it. */
        if (strcmp(k, "AttachStdout") == 0 || strcmp(k, "AttachStderr") == 0 ||
            strcmp(k, "Detach") == 0)
                return dxb_bool(x, k, v, &b);
        if (strcmp(k, "Privileged") == 0) {
                if (dxb_bool(x, k, v, &b) == -1)
                        return -1;
                return b ? dxb_refuse(x, 403, k,
                                      "a privileged exec is not allowed by the gateway")
                         : 0;
        }
        if (strcmp(k, "DetachKeys") == 0) {
                if (json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
                        return 0;
                return dxb_refuse(x, 403, k, "the gateway sets the detach keys");
        }
        if (strcmp(k, "Container") == 0) {
                /* docker-py repeats the path's container: the path is the one used. */
                if (json_is_null(v) ||
                    (json_is_string(v) &&
                     (json_string_length(v) == 0 || strcmp(json_string_value(v), cid) == 0)))
                        return 0;
                return dxb_refuse(x, 400, k, "the container of the path");
        }
        if (strcmp(k, "ConsoleSize") == 0)
                return dxb_console(x, k, v);
        return dxb_refuse(x, 400, k, "unknown field of an exec create body");
}

int dxb_create(const json_t *body, const char *cid, json_t *input, int *status, char *err,
               size_t errlen)
{
        struct dxb x = {status, err, errlen};
        const char *k;
        json_t *v;

        if (!json_is_object(body))
                return dxb_refuse(&x, 400, "body", "a JSON object is required");
        json_object_set_new(input, "containerId", json_string(cid));
        json_object_foreach((json_t *)body, k, v)
        {
                if (dxb_field(&x, k, v, cid, input) == -1)
                        return -1;
        }
        if (json_object_get(input, "cmd") == NULL)
                return dxb_refuse(&x, 400, "Cmd", "No exec command specified");
        return 0;
}

int dxb_start(const json_t *body, int *detach, int *status, char *err, size_t errlen)
{
        struct dxb x = {status, err, errlen};
        const char *k;
        json_t *v;
        int b;

        *detach = 0;
        if (body == NULL)
                return 0;
        if (!json_is_object(body))
                return dxb_refuse(&x, 400, "body", "a JSON object");
        json_object_foreach((json_t *)body, k, v)
        {
                if (strcmp(k, "Detach") == 0) {
                        if (dxb_bool(&x, k, v, detach) == -1)
                                return -1;
                } else if (strcmp(k, "Tty") == 0) {
                        /* The create's Tty is the one the session has. */
                        if (dxb_bool(&x, k, v, &b) == -1)
                                return -1;
                } else if (strcmp(k, "ConsoleSize") == 0) {
                        if (dxb_console(&x, k, v) == -1)
                                return -1;
                } else {
                        return dxb_refuse(&x, 400, k, "unknown field of an exec start body");
                }
        }
        return 0;
}
