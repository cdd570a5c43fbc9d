/*
 * rate.c - one token bucket per peer for its calls per second (rate.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rate.h"

/* One peer's bucket; entries live as long as the table, across reloads. */
struct rate_entry {
        struct rate_entry *next;
        char name[POLICY_NAME_MAX + 1];
        double tokens;
        struct timespec last;
        int primed;
};

struct rate {
        struct rate_entry *entries;
};

struct rate *rate_new(void)
{
        return calloc(1, sizeof(struct rate));
}

void rate_free(struct rate *q)
{
        struct rate_entry *e, *n;

        if (q == NULL)
                return;
        for (e = q->entries; e != NULL; e = n) {
                n = e->next;
                free(e);
        }
        free(q);
}

static struct rate_entry *rate_entry(struct rate *q, const char *name)
{
        struct rate_entry *e;

        for (e = q->entries; e != NULL; e = e->next)
                if (strcmp(e->name, name) == 0)
                        return e;
        if ((e = calloc(1, sizeof(*e))) == NULL)
                return NULL;
        snprintf(e->name, sizeof(e->name), "%s", name);
        e->next = q->entries;
        q->entries = e;
        return e;
}

int rate_take(struct rate *q, const struct peer_policy *pp, long *retry_ms)
{
        struct rate_entry *e;
        struct timespec now;
        double rate = (double)pp->quotas.calls_per_second, burst = (double)pp->quotas.burst;
        double dt;

        *retry_ms = 0;
        if (pp->quotas.calls_per_second <= 0)
                return 0;
        if (burst < 1)
                burst = 1;
        /* Out of memory for a counter: let the call through rather than refuse everyone. */
        if ((e = rate_entry(q, pp->name)) == NULL)
                return 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (!e->primed) {
                e->tokens = burst;
                e->primed = 1;
        } else {
                dt = (double)(now.tv_sec - e->last.tv_sec) +
                     (double)(now.tv_nsec - e->last.tv_nsec) / 1e9;
                e->tokens += dt > 0 ? dt * rate : 0;
        }
        e->last = now;
        /* A reload may have lowered the burst. */
        if (e->tokens > burst)
                e->tokens = burst;
        if (e->tokens >= 1.0) {
                e->tokens -= 1.0;
                return 0;
        }
        /* Whole milliseconds, rounded up: retrying then always finds a token. */
        dt = (1.0 - e->tokens) / rate * 1000.0;
        *retry_ms = (long)dt + ((double)(long)dt < dt);
        if (*retry_ms < 1)
                *retry_ms = 1;
        return -1;
}
