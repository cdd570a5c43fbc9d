/*
 * stream_json.c - newline-delimited JSON objects from the engine
 * (stream_json.h).
 */
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "log.h"
#include "stream_json.h"

/* A line buffer larger than this is freed when idle. */
#define STREAM_JSON_KEEP_MAX (64u << 10)

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
        call_fail(j->st->c, DG_UNAVAILABLE, "malformed engine stream", NULL);
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

/* A non-2xx answer, kept whole or up to STREAM_JSON_ERR_MAX. */
static int stream_json_error(struct stream_json *j)
{
        stream_logs_engine_error(j->st, j->status, j->buf, j->len);
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

int stream_json_kind_head(struct stream *st, int status)
{
        return stream_json_head(st->state, status);
}

int stream_json_kind_body(struct stream *st, const char *buf, size_t len)
{
        return stream_json_body(st->state, buf, len);
}

/* A clean end: events' "until" reached, a pull done (it fails inside the stream). */
int stream_json_kind_done(struct stream *st)
{
        if (stream_json_done(st->state) == -1 || st->dead)
                return -1;
        call_complete(st->c);
        return -1;
}

void stream_json_kind_free(void *state)
{
        stream_json_clear(state);
        free(state);
}

json_t *stream_json_str(const json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));

        return s != NULL ? json_string(s) : json_null();
}

json_t *stream_json_int(const json_t *o, const char *key)
{
        const json_t *v = json_object_get(o, key);

        return json_is_integer(v) ? json_integer(json_integer_value(v)) : json_null();
}
