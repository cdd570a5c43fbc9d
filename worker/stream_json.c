/*
 * stream_json.c - newline-delimited JSON objects from the engine
 * (stream_json.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "call.h"
#include "log.h"
#include "stream_json.h"

#define STREAM_JSON_KEEP_MAX (64u << 10) /* a line buffer larger than this is freed when idle  \
                                          */

void stream_json_init(struct stream_json *j, struct stream *st, stream_json_cb object,
                      size_t flags)
{
        memset(j, 0, sizeof(*j));
        j->st = st;
        j->object = object;
        j->flags = flags;
}

void stream_json_clear(struct stream_json *j)
{
        free(j->buf);
        j->buf = NULL;
        j->len = j->cap = 0;
}

int stream_json_malformed(struct stream_json *j, const char *why)
{
        log_warnx("malformed engine stream: %s", why);
        call_fail(j->st->s, DG_UNAVAILABLE, "malformed engine stream", NULL);
        return -1;
}

/* Appends to the buffer; the callers bound the total first. */
static void stream_json_append(struct stream_json *j, const char *p, size_t n)
{
        size_t cap;

        if (j->len + n > j->cap) {
                cap = j->cap ? j->cap : 4096;
                while (cap < j->len + n)
                        cap *= 2;
                if ((j->buf = realloc(j->buf, cap)) == NULL)
                        fatal("realloc");
                j->cap = cap;
        }
        memcpy(j->buf + j->len, p, n);
        j->len += n;
}

/* The engine's {"message": ...}, mapped as the supervisor maps engine answers. */
static int stream_json_error(struct stream_json *j)
{
        char msg[MSG_TEXT_MAX + 1];
        json_t *body, *m, *details = NULL;
        enum dg_err code;

        snprintf(msg, sizeof(msg), "engine answered HTTP %d", j->status);
        body = json_loadb(j->buf != NULL ? j->buf : "", j->len, 0, NULL);
        if (json_is_object(body) && (m = json_object_get(body, "message")) != NULL &&
            json_is_string(m))
                snprintf(msg, sizeof(msg), "%s", json_string_value(m));
        json_decref(body);
        if (!utf8_valid(msg, strlen(msg))) /* cut inside a character */
                snprintf(msg, sizeof(msg), "engine answered HTTP %d", j->status);

        if (j->status == 404) {
                code = DG_NOT_FOUND;
        } else if (j->status == 409) {
                code = DG_CONFLICT;
        } else {
                code = DG_DOCKER_ERROR;
                if ((details = json_pack("{s:i}", "status", j->status)) == NULL)
                        fatalx("out of memory");
        }
        call_fail(j->st->s, code, msg, details);
        json_decref(details);
        return -1;
}

/* One complete line, without its "\n". */
static int stream_json_line(struct stream_json *j, const char *p, size_t n)
{
        json_error_t e;
        json_t *o;
        size_t i;
        int rc;

        for (i = 0; i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'); i++)
                ;
        if (i == n)
                return 0; /* a blank line */
        o = json_loadb(p, n, j->flags, &e);
        if (o == NULL)
                return stream_json_malformed(j, e.text);
        if (!json_is_object(o)) {
                json_decref(o);
                return stream_json_malformed(j, "a line is not a JSON object");
        }
        j->seen++;
        rc = j->object(j->st, o);
        json_decref(o);
        return rc;
}

int stream_json_head(struct stream_json *j, int status)
{
        if (status < 200 || status > 299)
                j->status = status;
        return 0;
}

int stream_json_body(struct stream_json *j, const char *buf, size_t len)
{
        const char *nl;
        size_t n;
        int rc;

        if (j->status != 0) {
                n = STREAM_JSON_ERR_MAX - j->len;
                stream_json_append(j, buf, len < n ? len : n);
                return j->len == STREAM_JSON_ERR_MAX ? stream_json_error(j) : 0;
        }
        while (len > 0) {
                nl = memchr(buf, '\n', len);
                n = nl != NULL ? (size_t)(nl - buf) : len;
                if (n > STREAM_JSON_LINE_MAX - j->len)
                        return stream_json_malformed(j, "an object over 1 MiB");
                if (nl == NULL) {
                        stream_json_append(j, buf, n);
                        return 0;
                }
                if (j->len == 0) {
                        /* The whole line is in this piece: no copy. */
                        rc = stream_json_line(j, buf, n);
                } else {
                        stream_json_append(j, buf, n);
                        rc = stream_json_line(j, j->buf, j->len);
                        j->len = 0;
                        if (j->cap > STREAM_JSON_KEEP_MAX)
                                stream_json_clear(j);
                }
                if (rc == -1)
                        return -1;
                buf += n + 1;
                len -= n + 1;
        }
        return 0;
}

int stream_json_done(struct stream_json *j)
{
        size_t n = j->len;

        if (j->status != 0)
                return stream_json_error(j);
        if (n == 0)
                return 0;
        j->len = 0;
        return stream_json_line(j, j->buf, n);
}
