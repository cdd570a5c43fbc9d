/*
 * stream_pull.c - kind "pull" (stream_pull.h).
 *
 * The engine answers 200 before it knows whether the pull will work, so
 * failures (unknown repository, registry unreachable, a broken layer)
 * arrive inside the stream as {"error": ..., "errorDetail": {...}}.  The
 * supervisor never sees the stream; this is where success is decided.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "call.h"
#include "log.h"
#include "stream_json.h"
#include "stream_pull.h"

#define PULL_ERROR_SHOWN 512 /* of the engine's error text */

struct pull {
        struct stream_json j; /* first: stream_json_kind_* take the state as one */
};

static int stream_pull_error(struct stream *st, const json_t *msg)
{
        const char *text =
            json_string_value(json_object_get(json_object_get(msg, "errorDetail"), "message"));
        char buf[PULL_ERROR_SHOWN + 1];
        json_t *details;

        if (text == NULL)
                text = json_string_value(json_object_get(msg, "error"));
        if (text == NULL || text[0] == '\0')
                text = "the pull failed";
        snprintf(buf, sizeof(buf), "%s", text);
        if (!utf8_valid(buf, strlen(buf))) /* cut inside a character */
                snprintf(buf, sizeof(buf), "the pull failed");
        /* The engine's HTTP status was 200: the failure came inside the stream. */
        if ((details = json_pack("{s:i}", "status", 200)) == NULL)
                fatalx("out of memory");
        call_fail(st->c, DG_DOCKER_ERROR, buf, details);
        json_decref(details);
        return -1;
}

static int stream_pull_object(struct stream *st, json_t *msg)
{
        const json_t *detail = json_object_get(msg, "progressDetail");
        json_t *rec;

        if (json_object_get(msg, "error") != NULL ||
            json_object_get(msg, "errorDetail") != NULL)
                return stream_pull_error(st, msg);
        if (!json_is_string(json_object_get(msg, "status")))
                return 0; /* nothing a peer can show ("aux" and the like) */
        rec = json_pack(
            "{s:o,s:o,s:o,s:o,s:o}", "status", stream_json_str(msg, "status"), "id",
            stream_json_str(msg, "id"), "progress", stream_json_str(msg, "progress"), "current",
            stream_json_int(detail, "current"), "total", stream_json_int(detail, "total"));
        if (rec == NULL)
                fatalx("out of memory building a pull record");
        if (call_respond(st->c, rec) == -1) {
                json_decref(rec);
                call_fail(st->c, DG_INTERNAL, "pull progress too large for one frame", NULL);
                return -1;
        }
        json_decref(rec);
        return st->dead ? -1 : 0;
}

static void *stream_pull_start(struct stream *st, const json_t *opts, char *err, size_t errlen)
{
        struct pull *x;

        if (!json_is_object(opts) || json_object_size(opts) != 0) {
                snprintf(err, errlen, "pull takes no options");
                return NULL;
        }
        if ((x = calloc(1, sizeof(*x))) == NULL)
                fatal("calloc");
        stream_json_init(&x->j, st, stream_pull_object, 0);
        return x;
}

const struct stream_kind stream_pull_kind = {
    .name = "pull",
    .start = stream_pull_start,
    .head = stream_json_kind_head,
    .body = stream_json_kind_body,
    .done = stream_json_kind_done,
    .free = stream_json_kind_free,
};
