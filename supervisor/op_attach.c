/*
 * op_attach.c - docker/container/attach (raw carriage only): a session on
 * the container's main process.
 *
 * Resolve the container (ownership), dial POST /containers/{id}/attach and
 * hand the connection to the worker as a kept stream.  As for exec start,
 * Engine 20.10 answers "200 OK" and hijacks the connection without an
 * "Upgrade" header; bytes the worker writes before it has read that answer
 * are dropped by the engine (DESIGN.md), so the worker waits for it.  An
 * attach may come before start (dockgate run -it does that, so that no
 * output is missed): the engine holds it until the container runs.  When
 * the output ended, the exit code is the container's, from POST
 * /containers/{id}/wait?condition=not-running.
 *
 * Leaving an attach releases only the connection: the container goes on,
 * as with docker attach.
 */
#include <stdio.h>
#include <string.h>

#include "ops_impl.h"

#define ATTACH_WAIT_TIMEOUT_MS (3600L * 1000) /* the wait holds one engine connection */

static void attach_waited(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        json_t *code = json_object_get(body, "StatusCode");

        c->pending = NULL;
        if (status != 200 || !json_is_integer(code)) {
                call_fail_engine(c, status, body);
                return;
        }
        call_reply(c, json_pack("{s:I}", "exitCode", json_integer_value(code)));
}

static void attach_end(struct call *c)
{
        struct ops_state *st = c->state;

        ops_send(c, "POST", NULL, ATTACH_WAIT_TIMEOUT_MS, attach_waited,
                 "/containers/%s/wait?condition=not-running", st->stream->cid);
}

static const struct call_stream_ops attach_ops = {attach_end, op_stream_resize, NULL, NULL};

static void attach_resolved(struct call *c, const char *id, json_t *inspect)
{
        json_t *cfg = json_object_get(inspect, "Config");
        int tty = json_is_true(json_object_get(cfg, "Tty"));
        int in = ops_bool(c, "stdin", 0), fd;
        char path[512], keys[128];

        if (in && !json_is_true(json_object_get(cfg, "OpenStdin"))) {
                call_fail(c, DG_CONFLICT, "container %.12s was not created with openStdin", id);
                return;
        }
        if (op_stream_new(c, id) == NULL)
                return;
        if (engine_escape(keys, sizeof(keys), op_detach_keys) == -1 ||
            engine_path(path, sizeof(path),
                        "/containers/%s/attach?stream=1&stdin=%d&stdout=1&stderr=1&logs=%d"
                        "&detachKeys=%s",
                        id, in, ops_bool(c, "logs", 0), keys) == -1) {
                call_fail(c, DG_INTERNAL, "engine path too long");
                return;
        }
        if ((fd = engine_dial(c->engine, "POST", path, NULL, NULL)) == -1) {
                call_fail(c, DG_UNAVAILABLE, "the Docker Engine cannot be reached");
                return;
        }
        call_stream_keep(c, fd, "attach", json_pack("{s:b,s:b}", "tty", tty, "stdin", in),
                         &attach_ops);
}

void op_container_attach(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), attach_resolved);
}
