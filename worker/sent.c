/*
 * sent.c - the ledger of queued peer output, per call (sent.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "chan.h"
#include "log.h"
#include "sent.h"
#include "session.h"

struct span {
        TAILQ_ENTRY(span) link;
        uint64_t seq;
        uint64_t left; /* bytes of this span not written yet */
};

/* A call whose bytes are being counted: one in flight, or an ended one being flushed. */
struct sent_call {
        LIST_ENTRY(sent_call) link;
        uint64_t seq;
        uint64_t queued, written;
        uint64_t bytes_in;
        int ended;
        char result[32];
};

struct sent {
        TAILQ_HEAD(span_q, span) spans;
        LIST_HEAD(, sent_call) calls;
        uint64_t unwritten;
};

struct sent *sent_new(void)
{
        struct sent *t = calloc(1, sizeof(*t));

        if (t == NULL)
                fatal("calloc");
        TAILQ_INIT(&t->spans);
        LIST_INIT(&t->calls);
        return t;
}

void sent_free(struct sent *t)
{
        struct span *sp;
        struct sent_call *c;

        if (t == NULL)
                return;
        while ((sp = TAILQ_FIRST(&t->spans)) != NULL) {
                TAILQ_REMOVE(&t->spans, sp, link);
                free(sp);
        }
        while ((c = LIST_FIRST(&t->calls)) != NULL) {
                LIST_REMOVE(c, link);
                free(c);
        }
        free(t);
}

static struct sent_call *sent_call(struct sent *t, uint64_t seq, int make)
{
        struct sent_call *c;

        LIST_FOREACH(c, &t->calls, link)
        if (c->seq == seq)
                return c;
        if (!make)
                return NULL;
        if ((c = calloc(1, sizeof(*c))) == NULL)
                fatal("calloc");
        c->seq = seq;
        LIST_INSERT_HEAD(&t->calls, c, link);
        return c;
}

static void sent_report(struct session *s, struct sent_call *c)
{
        if (c->written < c->queued)
                log_debug("call %llu: the peer got %llu of its %llu bytes",
                          (unsigned long long)c->seq, (unsigned long long)c->written,
                          (unsigned long long)c->queued);
        chan_call_end(s->chan, c->seq, c->result, c->bytes_in, c->written);
        /* No longer open for the supervisor: room for another call (call.c). */
        if (s->nopen > 0)
                s->nopen--;
        LIST_REMOVE(c, link);
        free(c);
}

void sent_queued(struct session *s, uint64_t seq, size_t n)
{
        struct sent *t = s->sent;
        struct span *sp = TAILQ_LAST(&t->spans, span_q);

        if (n == 0)
                return;
        t->unwritten += n;
        if (seq != 0)
                sent_call(t, seq, 1)->queued += n;
        if (sp != NULL && sp->seq == seq) {
                sp->left += n;
                return;
        }
        if ((sp = calloc(1, sizeof(*sp))) == NULL)
                fatal("calloc");
        sp->seq = seq;
        sp->left = n;
        TAILQ_INSERT_TAIL(&t->spans, sp, link);
}

void sent_written(struct session *s, size_t n)
{
        struct sent *t = s->sent;
        struct sent_call *c;
        struct span *sp;
        uint64_t take;

        while (n > 0 && (sp = TAILQ_FIRST(&t->spans)) != NULL) {
                take = sp->left < n ? sp->left : n;
                sp->left -= take;
                n -= take;
                t->unwritten -= take;
                if (sp->seq != 0 && (c = sent_call(t, sp->seq, 0)) != NULL) {
                        c->written += take;
                        if (c->ended && c->written == c->queued)
                                sent_report(s, c);
                }
                if (sp->left == 0) {
                        TAILQ_REMOVE(&t->spans, sp, link);
                        free(sp);
                }
        }
        if (n > 0)
                fatalx("wrote %zu bytes more than were queued", n);
}

void sent_end(struct session *s, uint64_t seq, const char *result, uint64_t bytes_in)
{
        struct sent_call *c = sent_call(s->sent, seq, 1);

        if (strlen(result) >= sizeof(c->result))
                fatalx("call result name too long");
        strcpy(c->result, result);
        c->bytes_in = bytes_in;
        c->ended = 1;
        if (c->written == c->queued)
                sent_report(s, c);
}

void sent_flush(struct session *s)
{
        struct sent *t = s->sent;
        struct sent_call *c, *next;
        struct span *sp;

        for (c = LIST_FIRST(&t->calls); c != NULL; c = next) {
                next = LIST_NEXT(c, link);
                if (!c->ended)
                        continue;
                /* Its bytes still queued are written, but no longer counted. */
                TAILQ_FOREACH(sp, &t->spans, link)
                if (sp->seq == c->seq)
                        sp->seq = 0;
                sent_report(s, c);
        }
}

uint64_t sent_unwritten(const struct session *s)
{
        return s->sent->unwritten;
}
