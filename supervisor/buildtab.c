/*
 * buildtab.c - the builds each peer has running (buildtab.h).
 *
 * A list of per-peer counts: builds are few (at most build.concurrent per
 * peer), so a walk is enough.  A slot is its peer's entry itself: the
 * count goes down with each release and the entry goes at zero.
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buildtab.h"
#include "policy.h"

struct build_slot {
        TAILQ_ENTRY(build_slot) link;
        struct buildtab *t;
        char peer[POLICY_NAME_MAX + 1];
        int64_t running;
};

struct buildtab {
        TAILQ_HEAD(, build_slot) list;
};

struct buildtab *buildtab_new(void)
{
        struct buildtab *t = calloc(1, sizeof(*t));

        if (t != NULL)
                TAILQ_INIT(&t->list);
        return t;
}

void buildtab_free(struct buildtab *t)
{
        struct build_slot *s;

        if (t == NULL)
                return;
        while ((s = TAILQ_FIRST(&t->list)) != NULL) {
                TAILQ_REMOVE(&t->list, s, link);
                free(s);
        }
        free(t);
}

static struct build_slot *buildtab_find(const struct buildtab *t, const char *peer)
{
        struct build_slot *s;

        TAILQ_FOREACH(s, &t->list, link)
        {
                if (strcmp(s->peer, peer) == 0)
                        return s;
        }
        return NULL;
}

struct build_slot *buildtab_take(struct buildtab *t, const char *peer, int64_t max)
{
        struct build_slot *s = buildtab_find(t, peer);

        if (s != NULL && s->running >= max) {
                errno = EBUSY;
                return NULL;
        }
        if (s == NULL) {
                if ((s = calloc(1, sizeof(*s))) == NULL) {
                        errno = ENOMEM;
                        return NULL;
                }
                s->t = t;
                snprintf(s->peer, sizeof(s->peer), "%s", peer);
                TAILQ_INSERT_TAIL(&t->list, s, link);
        }
        s->running++;
        return s;
}

void buildtab_release(struct build_slot *s)
{
        if (s == NULL)
                return;
        if (--s->running > 0)
                return;
        TAILQ_REMOVE(&s->t->list, s, link);
        free(s);
}

int64_t buildtab_running(const struct buildtab *t, const char *peer)
{
        const struct build_slot *s = buildtab_find(t, peer);

        return s != NULL ? s->running : 0;
}
