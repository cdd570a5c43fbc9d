/*
 * stream_logs.c - kind "logs": GET /containers/{id}/logs becomes records
 * {"stream": "stdout"|"stderr", "text"|"base64": ..., "timestamp": ...}.
 *
 * Without a TTY the body is Docker's multiplexed stream: 8-byte headers
 * [type u8, 0, 0, 0, size u32 big-endian] each followed by size bytes.  Each
 * engine frame becomes exactly one record (split only above LOGS_FRAME_MAX).
 * With a TTY there are no headers: each body piece is one stdout record.
 *
 * SECURITY: container output is hostile bytes.  Sizes come from the engine
 * stream and are never trusted for allocation beyond LOGS_FRAME_MAX; bytes
 * are never altered: valid UTF-8 goes out as text, anything else as base64.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "call.h"
#include "dstream.h"
#include "log.h"
#include "stream.h"

#define LOGS_TS_MAX 64 /* RFC3339Nano is 30-35 bytes */
/* Overridable only so that the fuzz build (tests/fuzz) can reach the splits. */
#ifndef LOGS_FRAME_MAX
#define LOGS_FRAME_MAX (8u << 20) /* one record's payload at most */
#define LOGS_ERR_MAX (64u << 10)  /* error body kept for its message */
#define LOGS_KEEP_MAX (1u << 20)  /* reassembly buffer kept between frames */
#define LOGS_TEXT_ESCAPED_MAX                                                                  \
        (12u << 20) /* escaped text per record, under FRAME_MAX_SERVER                         \
                     */
#endif

struct logs {
        struct stream *st;
        int tty, timestamps;

        /* Non-2xx answer: its body, for the engine's message. */
        int status;
        char *err;
        size_t errlen;

        /* Demultiplexing (dstream.h; mux.left: payload bytes of the frame still to come). */
        struct dstream mux;
        const char *name; /* "stdout" / "stderr" of the frame in progress */
        int systemerr;    /* type 3: the engine reports an error in-band */
        int frame_first;  /* the next record is the frame's first: look for its timestamp */
        char ts[LOGS_TS_MAX];
        int have_ts;
        unsigned char *buf; /* payload being reassembled */
        size_t blen, bcap;
        size_t esc; /* buf's size once JSON-escaped, were it text */
        int binary; /* buf is not UTF-8: the frame will go out as base64 */

        /* TTY: an incomplete UTF-8 sequence held for the next piece. */
        unsigned char carry[4];
        size_t carry_len;
};

static void stream_logs_set(json_t *o, const char *key, json_t *v)
{
        if (v == NULL || json_object_set_new(o, key, v) == -1)
                fatalx("out of memory building a log record");
}

/* Builds and queues one record; p[0..n) is text (valid UTF-8) or not. */
static int stream_logs_record1(struct logs *l, const unsigned char *p, size_t n, int text)
{
        json_t *o;
        char *b;
        int rc;

        if ((o = json_object()) == NULL)
                fatalx("out of memory");
        stream_logs_set(o, "stream", json_string(l->name));
        if (text) {
                /* utf8_valid() passed: jansson need not check it again. */
                stream_logs_set(o, "text", json_stringn_nocheck((const char *)p, n));
        } else {
                if ((b = b64_encode(p, n)) == NULL)
                        fatalx("out of memory");
                stream_logs_set(o, "base64", json_string(b));
                free(b);
        }
        if (l->have_ts)
                stream_logs_set(o, "timestamp", json_string(l->ts));
        rc = call_respond(l->st->c, o);
        json_decref(o);
        if (rc == -1)
                fatalx("cannot build a log record of %zu bytes", n);
        return l->st->dead ? -1 : 0;
}

/* JSON escaping of one byte: six for a control character, two for " and \\. */
static size_t stream_logs_cost(unsigned char c)
{
        return c < 0x20 ? 6 : (c == '"' || c == '\\') ? 2 : 1;
}

static size_t stream_logs_escaped(const unsigned char *p, size_t n)
{
        size_t i, cost = 0;

        for (i = 0; i < n; i++)
                cost += stream_logs_cost(p[i]);
        return cost;
}

/*
 * How much of the text p[0..n) fits in one record: its JSON escaping (up to
 * six bytes for a control character) must stay under LOGS_TEXT_ESCAPED_MAX
 * so that the frame stays under FRAME_MAX_SERVER.  Cuts between characters.
 */
static size_t stream_logs_text_cut(const unsigned char *p, size_t n)
{
        size_t i, cost = 0, last = 0;

        if (n <= LOGS_TEXT_ESCAPED_MAX / 6)
                return n; /* fits even if every byte took six: no need to count */
        for (i = 0; i < n; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        last = i; /* a character starts here */
                cost += stream_logs_cost(p[i]);
                if (cost > LOGS_TEXT_ESCAPED_MAX)
                        return last > 0 ? last : i;
        }
        return n;
}

/*
 * Sends p[0..n) as one record, or as several when its text would not fit a
 * frame once escaped.  Returns -1 once the call has ended.
 */
static int stream_logs_record(struct logs *l, const unsigned char *p, size_t n)
{
        size_t cut;

        if (!utf8_valid(p, n))
                return stream_logs_record1(l, p, n, 0); /* base64 of 8 MiB fits */
        do {
                cut = stream_logs_text_cut(p, n);
                if (stream_logs_record1(l, p, cut, 1) == -1)
                        return -1;
                p += cut;
                n -= cut;
        } while (n > 0);
        return 0;
}

/* "2024-01-02T03:04:05.123456789Z " at the start of a frame: returns its length. */
static size_t stream_logs_timestamp(const unsigned char *p, size_t n, char *ts)
{
        size_t i;

        for (i = 0; i < n && i < LOGS_TS_MAX - 1; i++) {
                if (p[i] == ' ')
                        break;
                if (p[i] == '\0' || strchr("0123456789-:.TZ+", p[i]) == NULL)
                        return 0;
        }
        if (i == 0 || i == n || i == LOGS_TS_MAX - 1 || p[i] != ' ')
                return 0;
        memcpy(ts, p, i);
        ts[i] = '\0';
        return i + 1;
}

/* One piece of the current frame's payload: strip its timestamp first. */
static int stream_logs_piece(struct logs *l, const unsigned char *p, size_t n)
{
        size_t skip;

        if (l->frame_first) {
                l->frame_first = 0;
                if (l->timestamps && (skip = stream_logs_timestamp(p, n, l->ts)) > 0) {
                        l->have_ts = 1;
                        p += skip;
                        n -= skip;
                }
        }
        if (l->systemerr) {
                char msg[512];

                snprintf(msg, sizeof(msg), "%.*s", (int)(n < 400 ? n : 400), (const char *)p);
                if (!utf8_valid(msg, strlen(msg)))
                        snprintf(msg, sizeof(msg), "engine error in the log stream");
                call_fail(l->st->c, DG_DOCKER_ERROR, msg, NULL);
                return -1;
        }
        return stream_logs_record(l, p, n);
}

static void stream_logs_frame_begin(struct logs *l)
{
        uint8_t type = l->mux.type;

        l->name = type == DSTREAM_STDERR ? "stderr" : "stdout"; /* 0 (stdin) reads as stdout */
        l->systemerr = type == DSTREAM_SYSTEMERR;
        if (!dstream_type_known(type))
                log_warnx("log stream: unknown frame type %u, read as stdout", type);
        l->frame_first = 1;
        l->have_ts = 0;
        l->blen = 0;
        l->esc = 0;
        l->binary = 0;
}

static void stream_logs_frame_end(struct logs *l)
{
        dstream_next(&l->mux);
        if (l->bcap > LOGS_KEEP_MAX) {
                free(l->buf);
                l->buf = NULL;
                l->bcap = 0;
        }
}

/* Appends to the reassembly buffer, growing it to at most LOGS_FRAME_MAX. */
static void stream_logs_append(struct logs *l, const unsigned char *p, size_t n)
{
        size_t want = l->blen + n;

        if (want > l->bcap) {
                size_t cap = l->blen + n + l->mux.left;

                if (cap > LOGS_FRAME_MAX)
                        cap = LOGS_FRAME_MAX;
                if ((l->buf = realloc(l->buf, cap)) == NULL)
                        fatal("realloc");
                l->bcap = cap;
        }
        memcpy(l->buf + l->blen, p, n);
        l->blen += n;
}

/* Length of an incomplete UTF-8 sequence at the end of p (0 when none). */
static size_t stream_logs_utf8_tail(const unsigned char *p, size_t n)
{
        size_t i, back, need;

        for (back = 1; back <= 3 && back <= n; back++) {
                i = n - back;
                if ((p[i] & 0xc0) == 0x80)
                        continue; /* continuation byte: look further back */
                if ((p[i] & 0xe0) == 0xc0)
                        need = 2;
                else if ((p[i] & 0xf0) == 0xe0)
                        need = 3;
                else if ((p[i] & 0xf8) == 0xf0)
                        need = 4;
                else
                        return 0;
                return back < need ? back : 0;
        }
        return 0;
}

/*
 * The text being reassembled can no longer be one record (its escaping is
 * above LOGS_TEXT_ESCAPED_MAX): send the part that fits now, so that one
 * frame never queues several big records at once (back-pressure acts
 * between reads).  Binary frames wait: as base64 they fit one record.
 */
static int stream_logs_early(struct logs *l)
{
        size_t tail, cut;

        tail = stream_logs_utf8_tail(l->buf, l->blen);
        if (l->binary || !utf8_valid(l->buf, l->blen - tail)) {
                l->binary = 1;
                return 0;
        }
        cut = stream_logs_text_cut(l->buf, l->blen - tail);
        if (stream_logs_piece(l, l->buf, cut) == -1)
                return -1;
        memmove(l->buf, l->buf + cut, l->blen - cut);
        l->blen -= cut;
        l->esc = stream_logs_escaped(l->buf, l->blen);
        return 0;
}

static int stream_logs_demux(struct logs *l, const unsigned char *p, size_t len)
{
        size_t take;

        while (len > 0) {
                if (dstream_in_header(&l->mux)) {
                        take = dstream_header(&l->mux, p, len);
                        p += take;
                        len -= take;
                        if (dstream_in_header(&l->mux))
                                break;
                        stream_logs_frame_begin(l);
                        if (l->mux.left == 0) {
                                /* An empty frame is still one record. */
                                if (stream_logs_piece(l, p, 0) == -1)
                                        return -1;
                                stream_logs_frame_end(l);
                        }
                        continue;
                }
                take = len < l->mux.left ? len : l->mux.left;
                if (l->blen == 0 && take == l->mux.left && take <= LOGS_FRAME_MAX) {
                        /* The whole frame is in this read: no copy. */
                        l->mux.left = 0;
                        if (stream_logs_piece(l, p, take) == -1)
                                return -1;
                } else {
                        if (take > LOGS_FRAME_MAX - l->blen)
                                take = LOGS_FRAME_MAX - l->blen;
                        stream_logs_append(l, p, take);
                        l->esc += stream_logs_escaped(p, take);
                        l->mux.left -= take;
                        if (l->mux.left == 0 || l->blen == LOGS_FRAME_MAX) {
                                size_t n = l->blen;

                                l->blen = 0;
                                l->esc = 0;
                                if (stream_logs_piece(l, l->buf, n) == -1)
                                        return -1;
                        } else if (l->esc > LOGS_TEXT_ESCAPED_MAX &&
                                   stream_logs_early(l) == -1) {
                                return -1;
                        }
                }
                p += take;
                len -= take;
                if (l->mux.left == 0)
                        stream_logs_frame_end(l);
        }
        return 0;
}

/*
 * TTY: one record per body piece.  A character cut by the read boundary is
 * held back (at most 3 bytes) so that UTF-8 output stays text.
 */
static int stream_logs_tty(struct logs *l, const unsigned char *p, size_t len)
{
        unsigned char *joined = NULL;
        size_t tail;
        int rc;

        if (l->carry_len > 0) {
                if ((joined = malloc(l->carry_len + len)) == NULL)
                        fatal("malloc");
                memcpy(joined, l->carry, l->carry_len);
                memcpy(joined + l->carry_len, p, len);
                p = joined;
                len += l->carry_len;
                l->carry_len = 0;
        }
        tail = stream_logs_utf8_tail(p, len);
        if (tail > 0 && tail < len && utf8_valid(p, len - tail)) {
                memcpy(l->carry, p + len - tail, tail);
                l->carry_len = tail;
                len -= tail;
        }
        rc = stream_logs_record(l, p, len);
        free(joined);
        return rc;
}

void stream_logs_engine_error(struct stream *st, int status, const char *body, size_t len)
{
        char msg[MSG_TEXT_MAX + 1];
        json_t *answer, *m, *details = NULL;
        enum dg_err code;

        snprintf(msg, sizeof(msg), "engine answered HTTP %d", status);
        answer = json_loadb(body != NULL ? body : "", len, 0, NULL);
        if (json_is_object(answer) && json_is_string(m = json_object_get(answer, "message")))
                snprintf(msg, sizeof(msg), "%s", json_string_value(m));
        json_decref(answer);
        if (!utf8_valid(msg, strlen(msg))) /* cut inside a character */
                snprintf(msg, sizeof(msg), "engine answered HTTP %d", status);

        if (status == 404) {
                code = DG_NOT_FOUND;
        } else if (status == 409) {
                code = DG_CONFLICT;
        } else {
                code = DG_DOCKER_ERROR;
                if ((details = json_pack("{s:i}", "status", status)) == NULL)
                        fatalx("out of memory");
        }
        call_fail(st->c, code, msg, details);
        json_decref(details);
}

static int stream_logs_error_done(struct logs *l)
{
        stream_logs_engine_error(l->st, l->status, l->err, l->errlen);
        return -1;
}

static void *stream_logs_start(struct stream *st, const json_t *opts, char *err, size_t errlen)
{
        struct logs *l;
        const char *key;
        json_t *v;

        if (!json_is_object(opts)) {
                snprintf(err, errlen, "opts is not an object");
                return NULL;
        }
        if ((l = calloc(1, sizeof(*l))) == NULL)
                fatal("calloc");
        l->st = st;
        json_object_foreach((json_t *)opts, key, v)
        {
                if (!json_is_boolean(v) ||
                    (strcmp(key, "tty") != 0 && strcmp(key, "timestamps") != 0)) {
                        snprintf(err, errlen, "bad logs option \"%.40s\"", key);
                        free(l);
                        return NULL;
                }
                if (strcmp(key, "tty") == 0)
                        l->tty = json_is_true(v);
                else
                        l->timestamps = json_is_true(v);
        }
        l->name = "stdout";
        return l;
}

int stream_logs_head_of(struct logs *l, int status)
{
        if (status < 200 || status > 299)
                l->status = status;
        return 0;
}

static int stream_logs_head(struct stream *st, int status)
{
        return stream_logs_head_of(st->state, status);
}

int stream_logs_feed(struct logs *l, const char *buf, size_t len)
{
        size_t take;

        if (l->status != 0) {
                take = LOGS_ERR_MAX - l->errlen;
                if (take > len)
                        take = len;
                if (l->err == NULL && (l->err = malloc(LOGS_ERR_MAX)) == NULL)
                        fatal("malloc");
                memcpy(l->err + l->errlen, buf, take);
                l->errlen += take;
                if (l->errlen == LOGS_ERR_MAX)
                        return stream_logs_error_done(l);
                return 0;
        }
        if (l->tty)
                return stream_logs_tty(l, (const unsigned char *)buf, len);
        return stream_logs_demux(l, (const unsigned char *)buf, len);
}

static int stream_logs_body(struct stream *st, const char *buf, size_t len)
{
        return stream_logs_feed(st->state, buf, len);
}

int stream_logs_flush(struct logs *l)
{
        if (l->status != 0)
                return stream_logs_error_done(l);
        if (l->carry_len > 0 && stream_logs_record(l, l->carry, l->carry_len) == -1)
                return -1;
        if (!l->tty && (dstream_mid(&l->mux) || l->blen > 0)) {
                /* The engine ended inside a frame: pass on what came, drop nothing. */
                log_warnx("log stream ended inside a frame");
                if (l->blen > 0 && stream_logs_piece(l, l->buf, l->blen) == -1)
                        return -1;
        }
        return 0;
}

static int stream_logs_done(struct stream *st)
{
        if (stream_logs_flush(st->state) == -1)
                return -1;
        call_complete(st->c);
        return -1;
}

struct logs *stream_logs_new(struct stream *st, int tty)
{
        struct logs *l;

        if ((l = calloc(1, sizeof(*l))) == NULL)
                fatal("calloc");
        l->st = st;
        l->tty = tty;
        l->name = "stdout";
        return l;
}

void stream_logs_free(void *state)
{
        struct logs *l = state;

        free(l->err);
        free(l->buf);
        free(l);
}

const struct stream_kind stream_logs_kind = {
    "logs",
    stream_logs_start,
    stream_logs_head,
    stream_logs_body,
    stream_logs_done,
    stream_logs_free,
    NULL,
    NULL,
};
