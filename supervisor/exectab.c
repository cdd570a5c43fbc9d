/*
 * exectab.c - the table of exec instances per peer (exectab.h).
 *
 * A list: it holds at most EXECTAB_PER_PEER entries per peer, and every
 * lookup is a walk that also drops what expired.  Callers never keep an
 * entry across an engine request: they look it up again by ID, because it
 * may have gone meanwhile.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "exectab.h"

struct exec_node {
        TAILQ_ENTRY(exec_node) link;
        struct exec_entry e;
};

struct exectab {
        TAILQ_HEAD(, exec_node) list;
};

struct exectab *exectab_new(void)
{
        struct exectab *t = calloc(1, sizeof(*t));

        if (t != NULL)
                TAILQ_INIT(&t->list);
        return t;
}

static void exectab_remove(struct exectab *t, struct exec_node *n)
{
        TAILQ_REMOVE(&t->list, n, link);
        free(n);
}

void exectab_free(struct exectab *t)
{
        struct exec_node *n;

        if (t == NULL)
                return;
        while ((n = TAILQ_FIRST(&t->list)) != NULL)
                exectab_remove(t, n);
        free(t);
}

static int exectab_expired(const struct exec_entry *e, time_t now)
{
        return !e->live && now - e->last > EXECTAB_TTL_SECS;
}

static void exectab_sweep(struct exectab *t, time_t now)
{
        struct exec_node *n, *next;

        for (n = TAILQ_FIRST(&t->list); n != NULL; n = next) {
                next = TAILQ_NEXT(n, link);
                if (exectab_expired(&n->e, now))
                        exectab_remove(t, n);
        }
}

size_t exectab_count(struct exectab *t, const char *peer)
{
        struct exec_node *n;
        size_t k = 0;

        TAILQ_FOREACH(n, &t->list, link)
        if (strcmp(n->e.peer, peer) == 0)
                k++;
        return k;
}

/* peer's entry used longest ago that runs no session, or NULL. */
static struct exec_node *exectab_oldest_idle(struct exectab *t, const char *peer)
{
        struct exec_node *n, *old = NULL;

        TAILQ_FOREACH(n, &t->list, link)
        {
                if (strcmp(n->e.peer, peer) == 0 && !n->e.live &&
                    (old == NULL || n->e.last < old->e.last))
                        old = n;
        }
        return old;
}

int exectab_room(struct exectab *t, const char *peer, time_t now)
{
        exectab_sweep(t, now);
        return exectab_count(t, peer) < EXECTAB_PER_PEER ||
               exectab_oldest_idle(t, peer) != NULL;
}

struct exec_entry *exectab_add(struct exectab *t, const struct exec_entry *e, time_t now)
{
        struct exec_node *n;

        if (!exectab_room(t, e->peer, now))
                return NULL;
        /* Full: the entry idle longest makes room (a client that still wants it gets 404). */
        if (exectab_count(t, e->peer) >= EXECTAB_PER_PEER)
                exectab_remove(t, exectab_oldest_idle(t, e->peer));
        if ((n = calloc(1, sizeof(*n))) == NULL)
                return NULL;
        n->e = *e;
        n->e.last = now;
        TAILQ_INSERT_TAIL(&t->list, n, link);
        return &n->e;
}

struct exec_entry *exectab_find(struct exectab *t, const char *peer, const char *eid,
                                time_t now)
{
        struct exec_node *n;

        exectab_sweep(t, now);
        TAILQ_FOREACH(n, &t->list, link)
        {
                /* SECURITY: another peer's entry is the same as none (NOT_FOUND). */
                if (strcmp(n->e.eid, eid) == 0 && strcmp(n->e.peer, peer) == 0) {
                        n->e.last = now;
                        return &n->e;
                }
        }
        return NULL;
}

void exectab_drop(struct exectab *t, const char *eid)
{
        struct exec_node *n;

        TAILQ_FOREACH(n, &t->list, link)
        {
                if (strcmp(n->e.eid, eid) == 0) {
                        exectab_remove(t, n);
                        return;
                }
        }
}

void exectab_drop_container(struct exectab *t, const char *cid)
{
        struct exec_node *n, *next;

        for (n = TAILQ_FIRST(&t->list); n != NULL; n = next) {
                next = TAILQ_NEXT(n, link);
                if (strcmp(n->e.cid, cid) == 0)
                        exectab_remove(t, n);
        }
}
