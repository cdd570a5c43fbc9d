/*
 * fuzz_engine_reader.c - the worker's reading of an engine response:
 * worker/http.c (http_parser: status, chunked decoding, framing) and the
 * "logs" stream kind (worker/stream_logs.c: demultiplexing, timestamps,
 * UTF-8 or base64 records), as worker/stream.c drives them.
 *
 * The container and the engine are the attacker here.  Input: byte 0
 * options (bit 0 tty, bit 1 timestamps), bytes 1..8 seed the sizes of the
 * reads (else as big as stream.c's, scaled), the rest is what the engine
 * connection yields before EOF.  The
 * call.c functions the kind calls are replaced by checks:
 *   - every record is one valid frame, within the kind's bound (which is
 *     what keeps real frames under FRAME_MAX_SERVER), with exactly the keys
 *     PROTOCOL.md allows, its text valid UTF-8 and base64 only for non-UTF-8;
 *   - exactly one terminal (complete or fail), nothing after it;
 *   - read whole or in pieces, the call ends the same way, and when it
 *     completes, the bytes of each stream are the same.
 * The fuzz build shrinks the kind's limits (fuzz.mk) so that small inputs
 * reach the record splitting paths.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "b64.h"
#include "call.h"
#include "envelope.h"
#include "log.h"
#include "stream.h"

/* A record's frame: the payload bound plus keys, id and timestamp. */
#define FUZZ_RECORD_MAX                                                                        \
        ((LOGS_TEXT_ESCAPED_MAX > (LOGS_FRAME_MAX / 3 + 1) * 4                                 \
              ? LOGS_TEXT_ESCAPED_MAX                                                          \
              : (LOGS_FRAME_MAX / 3 + 1) * 4) +                                                \
         512)
#define FUZZ_OUT_MAX (1u << 20)
/*
 * stream.c reads at most STREAM_READ_MAX (64 KiB) at a time, far below
 * LOGS_FRAME_MAX: a TTY body piece relies on that to fit one record.  The
 * "whole" run reads this much at a time, keeping the same relation.
 */
#define FUZZ_READ_MAX (LOGS_FRAME_MAX / 2)

struct fuzz_run {
        int ended;     /* terminal frames sent */
        int completed; /* the terminal was call.completed */
        enum dg_err code;
        unsigned char out[2][FUZZ_OUT_MAX]; /* stdout, stderr bytes */
        size_t outlen[2];
};

static struct fuzz_run *fuzz_cur;

static void fuzz_end(struct call *c)
{
        if (fuzz_cur->ended++ > 0)
                abort(); /* a second terminal frame */
        if (c->stream != NULL) {
                /* What call_end() -> stream_drop() does inside the reader. */
                c->stream->dead = 1;
                c->stream = NULL;
        }
}

static void fuzz_append(int which, const unsigned char *p, size_t n)
{
        size_t room = FUZZ_OUT_MAX - fuzz_cur->outlen[which];

        if (n > room)
                n = room;
        memcpy(fuzz_cur->out[which] + fuzz_cur->outlen[which], p, n);
        fuzz_cur->outlen[which] += n;
}

static void fuzz_record(json_t *o)
{
        const char *key, *name;
        json_t *v, *text, *b64;
        unsigned char *bin;
        size_t n;
        int which;

        if (!json_is_object(o))
                abort();
        json_object_foreach(o, key, v)
        {
                if (strcmp(key, "stream") != 0 && strcmp(key, "text") != 0 &&
                    strcmp(key, "base64") != 0 && strcmp(key, "timestamp") != 0)
                        abort();
                if (!json_is_string(v))
                        abort();
        }
        name = json_string_value(json_object_get(o, "stream"));
        if (name == NULL)
                abort();
        which = strcmp(name, "stderr") == 0;
        if (!which && strcmp(name, "stdout") != 0)
                abort();
        text = json_object_get(o, "text");
        b64 = json_object_get(o, "base64");
        if ((text == NULL) == (b64 == NULL))
                abort();
        if (text != NULL) {
                if (!utf8_valid(json_string_value(text), json_string_length(text)))
                        abort();
                fuzz_append(which, (const unsigned char *)json_string_value(text),
                            json_string_length(text));
                return;
        }
        bin = b64_decode(json_string_value(b64), json_string_length(b64), &n);
        if (bin == NULL || utf8_valid(bin, n))
                abort(); /* base64 only for bytes that are not UTF-8 */
        fuzz_append(which, bin, n);
        free(bin);
}

int call_respond(struct call *c, json_t *output)
{
        char *json;
        size_t len;

        if (fuzz_cur->ended)
                abort(); /* a frame after the terminal one */
        if ((json = envelope_responded(c->id, output, &len)) == NULL)
                return -1;
        if (len > FUZZ_RECORD_MAX)
                abort();
        free(json);
        fuzz_record(output);
        return 0;
}

void call_complete(struct call *c)
{
        fuzz_end(c);
        fuzz_cur->completed = 1;
}

void call_fail(struct call *c, enum dg_err code, const char *message, json_t *details)
{
        char *json;
        size_t len;

        /* call.c sends this frame, or fatalx()es when even that cannot be built. */
        json = envelope_error(c->id, code, message, details, &len);
        if (json == NULL)
                json = envelope_error(c->id, code, dg_err_name(code), NULL, &len);
        if (json == NULL)
                abort();
        free(json);
        fuzz_end(c);
        fuzz_cur->code = code;
}

/* stream.c's glue, minus the fd and the event loop. */
static int fuzz_head(void *arg, int status)
{
        struct stream *st = arg;

        if (st->kind->head(st, status) == -1)
                return -1;
        return st->dead ? -1 : 0;
}

static int fuzz_body(void *arg, const char *buf, size_t len)
{
        struct stream *st = arg;

        if (st->kind->body(st, buf, len) == -1)
                return -1;
        return st->dead ? -1 : 0;
}

static int fuzz_done(void *arg)
{
        struct stream *st = arg;

        return st->kind->done(st);
}

static const struct http_read_cb fuzz_cb = {fuzz_head, fuzz_body, fuzz_done};

static size_t fuzz_next(uint64_t *s)
{
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        return (size_t)(*s % 97) + 1;
}

/* One run of stream_on_read() per piece, then EOF, as stream.c does. */
static void fuzz_run(int tty, int ts, const uint8_t *data, size_t size, uint64_t seed,
                     struct fuzz_run *r)
{
        struct session s;
        struct call c;
        struct stream *st;
        json_t *opts;
        char err[256];
        size_t off = 0;

        /* Not the output buffers: 2 MiB of memset per run would be most of the time. */
        r->ended = r->completed = 0;
        r->code = DG_OK;
        r->outlen[0] = r->outlen[1] = 0;
        fuzz_cur = r;
        memset(&s, 0, sizeof(s));
        memset(&c, 0, sizeof(c));
        c.s = &s;
        snprintf(c.id, sizeof(c.id), "fuzz-1");
        if ((st = calloc(1, sizeof(*st))) == NULL)
                abort();
        st->s = &s;
        st->c = &c;
        st->fd = -1;
        st->kind = &stream_logs_kind;
        opts = json_pack("{s:b,s:b}", "tty", tty, "timestamps", ts);
        if ((st->state = st->kind->start(st, opts, err, sizeof(err))) == NULL)
                abort();
        json_decref(opts);
        http_read_init(&st->http, &fuzz_cb, st);
        c.stream = st;

        for (;;) {
                size_t n = seed ? fuzz_next(&seed) : size - off, used;
                enum http_read_status rc;

                if (n > size - off)
                        n = size - off;
                if (n > FUZZ_READ_MAX)
                        n = FUZZ_READ_MAX;
                st->busy = 1;
                rc = http_read_feed(&st->http, (const char *)data + off, n, &used);
                st->busy = 0;
                if (used > n)
                        abort();
                if (st->dead)
                        break;
                if (n == 0) {
                        call_fail(&c, DG_UNAVAILABLE, "engine connection lost", NULL);
                        break;
                }
                off += n;
                if (rc == HTTP_READ_ERROR) {
                        call_fail(&c, DG_UNAVAILABLE, "malformed engine response", NULL);
                        break;
                }
                if (rc == HTTP_READ_UPGRADE) {
                        call_fail(&c, DG_INTERNAL, "upgraded", NULL);
                        break;
                }
                if (rc == HTTP_READ_STOPPED) {
                        call_fail(&c, DG_INTERNAL, "stopped", NULL);
                        break;
                }
        }
        if (r->ended != 1)
                abort();
        st->kind->free(st->state);
        free(st);
        fuzz_cur = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        log_init("fuzz", 0, LOG_LVL_ERROR);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct fuzz_run whole, pieces;
        uint64_t seed;
        int tty, ts;

        if (size < 9)
                return 0;
        tty = data[0] & 1;
        ts = (data[0] >> 1) & 1;
        memcpy(&seed, data + 1, 8);
        seed |= 1;
        data += 9;
        size -= 9;

        fuzz_run(tty, ts, data, size, 0, &whole);
        fuzz_run(tty, ts, data, size, seed, &pieces);
        if (whole.completed != pieces.completed || whole.code != pieces.code)
                abort();
        if (whole.completed)
                for (int i = 0; i < 2; i++)
                        if (whole.outlen[i] != pieces.outlen[i] ||
                            memcmp(whole.out[i], pieces.out[i], whole.outlen[i]) != 0)
                                abort();
        return 0;
}
