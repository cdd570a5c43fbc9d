/*
 * opencall.c - the calls open on a worker's stream, and per-peer counts of
 * calls in flight (opencall.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "opencall.h"
#include "pool.h"

/* One peer's calls in flight; entries live as long as the table (peers are few). */
struct inflight {
        struct inflight *next;
        char peer[MSG_PEER_NAME_MAX + 1];
        uint32_t n;
};

struct opencall *opencall_new(struct worker *w, uint64_t seq, const char *id, const char *op)
{
        struct opencall *oc = calloc(1, sizeof(*oc));

        if (oc == NULL)
                fatal("calloc");
        oc->w = w;
        oc->seq = seq;
        snprintf(oc->id, sizeof(oc->id), "%s", id);
        snprintf(oc->op, sizeof(oc->op), "%s", op);
        snprintf(oc->peer, sizeof(oc->peer), "%s", w->peer);
        clock_gettime(CLOCK_MONOTONIC, &oc->t0);
        TAILQ_INSERT_TAIL(&w->calls, oc, link);
        w->ncalls++;
        return oc;
}

struct opencall *opencall_find(struct worker *w, uint64_t seq)
{
        struct opencall *oc;

        /* Newest first: answers mostly concern the calls just sent. */
        TAILQ_FOREACH_REVERSE(oc, &w->calls, opencall_list, link)
        {
                if (oc->seq == seq)
                        return oc;
        }
        return NULL;
}

static struct inflight *inflight_entry(struct sv *sv, const char *peer, int create)
{
        struct inflight *e;

        for (e = sv->inflight; e != NULL; e = e->next) {
                if (strcmp(e->peer, peer) == 0)
                        return e;
        }
        if (!create)
                return NULL;
        if ((e = calloc(1, sizeof(*e))) == NULL)
                fatal("calloc");
        snprintf(e->peer, sizeof(e->peer), "%s", peer);
        e->next = sv->inflight;
        sv->inflight = e;
        return e;
}

int opencall_count(struct opencall *oc, const char *peer, uint32_t max)
{
        struct inflight *e = inflight_entry(oc->w->sv, peer, 1);

        if (oc->counted)
                return 0;
        if (e->n >= max)
                return -1;
        e->n++;
        oc->counted = 1;
        snprintf(oc->peer, sizeof(oc->peer), "%s", peer);
        return 0;
}

uint32_t opencall_peer_inflight(const struct sv *sv, const char *peer)
{
        const struct inflight *e;

        for (e = sv->inflight; e != NULL; e = e->next) {
                if (strcmp(e->peer, peer) == 0)
                        return e->n;
        }
        return 0;
}

void opencall_free(struct opencall *oc)
{
        struct worker *w = oc->w;
        struct inflight *e;

        if (oc->counted && (e = inflight_entry(w->sv, oc->peer, 0)) != NULL && e->n > 0)
                e->n--;
        TAILQ_REMOVE(&w->calls, oc, link);
        w->ncalls--;
        free(oc);
}

void opencall_shutdown(struct sv *sv)
{
        struct inflight *e;

        while ((e = sv->inflight) != NULL) {
                sv->inflight = e->next;
                free(e);
        }
}
