/*
 * dapi_exec.c - exec through the Docker-API front (dapi_exec.h).
 *
 * The engine's exec is three requests, often on three connections: create
 * (POST /containers/{id}/exec), start (POST /exec/{id}/start, hijacked like
 * attach, or detached), inspect (GET /exec/{id}/json, for the exit code).
 * They become docker/container/exec/create, docker/exec/start and
 * docker/exec/inspect: the supervisor keeps which exec IDs are whose.
 *
 * The bodies are read by dapi_execbody.c; this file ties them to the
 * connection.
 */
#include <stdio.h>
#include <string.h>

#include "bounds.h"
#include "dapi.h"
#include "dapi_exec.h"
#include "dapi_execbody.h"

/* A body dapi_execbody.c refused: its status and message. */
static int dex_refused(struct dapi *d, int status, const char *err)
{
        dapi_reply_error(d, status, "%s", err);
        dapi_finish(d, status == 403 ? "FORBIDDEN" : "INVALID_INPUT");
        return -1;
}

int dex_in_create(struct dapi *d, json_t *input)
{
        char err[256];
        int status = 400;

        if (dxb_create(d->body, d->capture, input, &status, err, sizeof(err)) == -1)
                return dex_refused(d, status, err);
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
        if (!dg_engine_id_ok(d->capture)) {
                dapi_reply_error(d, 404, "No such exec instance: %.64s", d->capture);
                dapi_finish(d, "NOT_FOUND");
                return -1;
        }
        json_object_set_new(input, "execId", json_string(d->capture));
        return 0;
}

int dex_in_start(struct dapi *d, json_t *input)
{
        char err[256];
        int status = 400, detach;

        if (dex_id(d, input) == -1)
                return -1;
        if (dxb_start(d->body, &detach, &status, err, sizeof(err)) == -1)
                return dex_refused(d, status, err);
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

        if (dq_int(d, "h", 1, DG_TTY_MAX, &hs, &h) == -1 ||
            dq_int(d, "w", 1, DG_TTY_MAX, &ws, &w) == -1)
                return -1;
        if (!hs || !ws)
                return dex_refused(d, 400, "h, w: both are required");
        if (dex_id(d, input) == -1)
                return -1;
        json_object_set_new(input, "rows", json_integer(h));
        json_object_set_new(input, "cols", json_integer(w));
        return 0;
}
