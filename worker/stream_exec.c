/*
 * stream_exec.c - kind "exec": docker/container/exec in JSON carriage.
 *
 * The supervisor created the exec and wrote POST /exec/{id}/start; the
 * engine answers "200 OK" and then hijacks the connection, so the body has
 * neither a length nor chunks: it is the multiplexed output (or, with a
 * TTY, the raw output) until the process ends and the engine closes, which
 * http_parser reads as a body lasting until EOF.  Records are built exactly
 * as for logs (stream_logs.c: stdout and stderr apart, text or base64).
 * When the output ended the worker asks the supervisor for the exit code
 * (MSG_STREAM_END); its answer becomes the last record, {"exitCode": N,
 * "terminal": true}, and then call.completed.  The exec gets no stdin in
 * this carriage (the supervisor refuses stdin: true).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "log.h"
#include "stream.h"

struct exec_json {
        struct logs *logs;
};

static void *stream_exec_start(struct stream *st, const json_t *opts, char *err, size_t errlen)
{
        json_t *tty = json_object_get(opts, "tty");
        struct exec_json *e;

        if (!json_is_object(opts) || json_object_size(opts) != 1 || !json_is_boolean(tty)) {
                snprintf(err, errlen, "exec wants exactly {tty}");
                return NULL;
        }
        if ((e = calloc(1, sizeof(*e))) == NULL)
                fatal("calloc");
        e->logs = stream_logs_new(st, json_is_true(tty));
        return e;
}

static int stream_exec_head(struct stream *st, int status)
{
        struct exec_json *e = st->state;

        return stream_logs_head_of(e->logs, status);
}

static int stream_exec_body(struct stream *st, const char *buf, size_t len)
{
        struct exec_json *e = st->state;

        return stream_logs_feed(e->logs, buf, len);
}

static int stream_exec_done(struct stream *st)
{
        struct exec_json *e = st->state;

        if (stream_logs_flush(e->logs) == -1)
                return -1; /* the engine refused: the call failed */
        stream_send_end(st);
        return 0; /* the exit code comes as MSG_RESULT (stream_exec_msg) */
}

static void stream_exec_msg(struct stream *st, struct msg *m)
{
        json_t *code, *rec;
        int err;

        if (m->type == MSG_FAIL) {
                err = dg_err_parse(m->code);
                if (err <= DG_OK || err >= DG_ERR_COUNT)
                        fatalx("MSG_FAIL with unknown code \"%s\"", m->code);
                call_fail(st->c, (enum dg_err)err, m->text, m->details);
                return;
        }
        code = json_object_get(m->output, "exitCode");
        if (!json_is_integer(code)) {
                call_fail(st->c, DG_INTERNAL, "no exit code", NULL);
                return;
        }
        rec = json_pack("{s:I,s:b}", "exitCode", json_integer_value(code), "terminal", 1);
        if (rec == NULL || call_respond(st->c, rec) == -1)
                fatalx("cannot build the exit record");
        json_decref(rec);
        call_complete(st->c);
}

static void stream_exec_free(void *state)
{
        struct exec_json *e = state;

        stream_logs_free(e->logs);
        free(e);
}

const struct stream_kind stream_exec_kind = {
    "exec",
    stream_exec_start,
    stream_exec_head,
    stream_exec_body,
    stream_exec_done,
    stream_exec_free,
    NULL,
    stream_exec_msg,
};
