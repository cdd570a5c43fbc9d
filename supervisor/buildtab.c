/*
 * buildtab.c - the builds each peer has running (buildtab.h).
 *
 * A list of per-peer entries: builds are few (at most build.concurrent per
 * peer), so a walk is enough.  A slot is its peer's entry itself: the
 * count goes down with each release.  An entry stays while its peer has a
 * build or a cgroup not yet removed; one timer sweeps those that lingered.
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buildcg.h"
#include "buildtab.h"
#include "log.h"
#include "policy.h"

#define BUILDTAB_SWEEP_S 5

struct build_slot {
        TAILQ_ENTRY(build_slot) link;
        struct buildtab *t;
        char peer[POLICY_NAME_MAX + 1];
        int64_t running;
        int cg;      /* its cgroup was made and is not removed yet */
        time_t idle; /* when running went to 0 (monotonic seconds) */
};

struct buildtab {
        TAILQ_HEAD(, build_slot) list;
        struct event *sweep;
        char cgroot[80]; /* "" for none */
};

static time_t now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec;
}

static void buildtab_drop(struct build_slot *s)
{
        TAILQ_REMOVE(&s->t->list, s, link);
        free(s);
}

/* Removes the cgroup of an idle entry: 0 when it is gone (the entry with it). */
static int buildtab_uncgroup(struct build_slot *s)
{
        if (s->cg && buildcg_remove(s->t->cgroot, s->peer) == -1)
                return -1;
        s->cg = 0;
        buildtab_drop(s);
        return 0;
}

static void buildtab_sweep(evutil_socket_t fd, short what, void *arg)
{
        struct buildtab *t = arg;
        struct build_slot *s, *next;
        time_t now = now_s();
        int left = 0;

        for (s = TAILQ_FIRST(&t->list); s != NULL; s = next) {
                next = TAILQ_NEXT(s, link);
                if (s->running > 0 || !s->cg)
                        continue;
                if (now - s->idle < BUILDTAB_LINGER_S || buildtab_uncgroup(s) == -1)
                        left = 1;
        }
        if (left) {
                struct timeval tv = {BUILDTAB_SWEEP_S, 0};

                if (evtimer_add(t->sweep, &tv) == -1)
                        log_warnx("builds: cannot schedule the cgroup sweep");
        }
}

struct buildtab *buildtab_new(struct event_base *base, const char *cgroot)
{
        struct buildtab *t = calloc(1, sizeof(*t));

        if (t == NULL)
                return NULL;
        TAILQ_INIT(&t->list);
        if (cgroot != NULL)
                snprintf(t->cgroot, sizeof(t->cgroot), "%s", cgroot);
        if (base != NULL && (t->sweep = evtimer_new(base, buildtab_sweep, t)) == NULL) {
                free(t);
                return NULL;
        }
        return t;
}

void buildtab_free(struct buildtab *t)
{
        struct build_slot *s, *next;
        int tries;

        if (t == NULL)
                return;
        /* The engine may still be removing a container: a second or two at most. */
        for (tries = 0; tries < 20; tries++) {
                int left = 0;

                for (s = TAILQ_FIRST(&t->list); s != NULL; s = next) {
                        next = TAILQ_NEXT(s, link);
                        if (s->cg && buildcg_remove(t->cgroot, s->peer) == -1) {
                                left = 1;
                                continue;
                        }
                        s->cg = 0;
                }
                if (!left)
                        break;
                usleep(100 * 1000);
        }
        while ((s = TAILQ_FIRST(&t->list)) != NULL) {
                if (s->cg)
                        log_warnx("builds: the cgroup /%s/%s is still in use, left in place",
                                  t->cgroot, s->peer);
                buildtab_drop(s);
        }
        if (t->cgroot[0] != '\0')
                buildcg_remove_root(t->cgroot);
        if (t->sweep != NULL)
                event_free(t->sweep);
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
        struct timeval tv = {BUILDTAB_LINGER_S, 0};

        if (s == NULL || --s->running > 0)
                return;
        if (!s->cg) {
                buildtab_drop(s);
                return;
        }
        s->idle = now_s();
        if (s->t->sweep != NULL && !evtimer_pending(s->t->sweep, NULL) &&
            evtimer_add(s->t->sweep, &tv) == -1)
                log_warnx("builds: cannot schedule the cgroup sweep");
}

int64_t buildtab_running(const struct buildtab *t, const char *peer)
{
        const struct build_slot *s = buildtab_find(t, peer);

        return s != NULL ? s->running : 0;
}

void buildtab_cgroup_made(struct build_slot *s)
{
        s->cg = 1;
}

const char *buildtab_cgroot(const struct buildtab *t)
{
        return t->cgroot[0] != '\0' ? t->cgroot : NULL;
}
