/*
 * sampler.c - the background sampling of peers' containers (sampler.h).
 *
 * One round: list every container carrying the owner label, then ask the
 * engine for one stats sample of each running one, a few at a time, and
 * hand everything to account.c.  The next round starts interval seconds
 * after one ends, so rounds never overlap however slow the engine is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "log.h"
#include "sampler.h"

#define SAMPLER_CONCURRENCY 4     /* stats requests in flight at once */
#define SAMPLER_TIMEOUT_MS 10000L /* per engine request */

struct sampler_slot {
        struct sampler *s;
        struct engine_req *req;
        char id[65];
};

struct sampler {
        struct sv *sv;
        struct event *ev_tick;
        unsigned interval;
        struct engine_req *list_req;
        char (*queue)[65]; /* running containers still to sample */
        size_t nqueue, next;
        int active; /* slots in use */
        struct sampler_slot slots[SAMPLER_CONCURRENCY];
        int engine_up;
        uint64_t rounds;
};

static void sampler_schedule(struct sampler *s)
{
        struct timeval tv = {(time_t)s->interval, 0};

        evtimer_add(s->ev_tick, &tv);
}

static void sampler_round_end(struct sampler *s)
{
        account_sample_end(s->sv->account);
        s->rounds++;
        free(s->queue);
        s->queue = NULL;
        s->nqueue = s->next = 0;
        sampler_schedule(s);
}

/*
 * Memory as `docker stats` shows it: usage less the inactive page cache,
 * which the kernel reclaims first (cgroup v1 and v2 name it differently).
 */
static uint64_t sampler_memory(json_t *ms)
{
        json_t *st = json_object_get(ms, "stats");
        json_int_t usage = json_integer_value(json_object_get(ms, "usage"));
        json_t *inactive = json_object_get(st, "total_inactive_file");

        if (inactive == NULL)
                inactive = json_object_get(st, "inactive_file");
        if (usage <= 0)
                return 0;
        if (json_integer_value(inactive) > 0 && json_integer_value(inactive) < usage)
                usage -= json_integer_value(inactive);
        return (uint64_t)usage;
}

static void sampler_launch(struct sampler *s);

static void sampler_stats_done(int status, json_t *body, const char *raw, size_t rawlen,
                               void *arg)
{
        struct sampler_slot *slot = arg;
        struct sampler *s = slot->s;
        json_int_t cpu;

        slot->req = NULL;
        s->active--;
        cpu = json_integer_value(json_object_get(
            json_object_get(json_object_get(body, "cpu_stats"), "cpu_usage"), "total_usage"));
        if (status == 200 && cpu > 0)
                account_sample_stats(s->sv->account, slot->id, (uint64_t)cpu,
                                     sampler_memory(json_object_get(body, "memory_stats")));
        sampler_launch(s);
}

/* Fills free slots from the queue; ends the round when all is done. */
static void sampler_launch(struct sampler *s)
{
        for (int i = 0; i < SAMPLER_CONCURRENCY; i++) {
                struct sampler_slot *slot = &s->slots[i];
                while (slot->req == NULL && s->next < s->nqueue) {
                        char path[160];
                        snprintf(slot->id, sizeof(slot->id), "%s", s->queue[s->next++]);
                        /* one-shot (API 1.41): one sample now, not two a second apart. */
                        snprintf(path, sizeof(path), "/containers/%s/stats?stream=0&one-shot=1",
                                 slot->id);
                        slot->s = s;
                        slot->req =
                            engine_request(s->sv->engine, "GET", path, NULL, SAMPLER_TIMEOUT_MS,
                                           sampler_stats_done, slot);
                        if (slot->req != NULL)
                                s->active++;
                }
        }
        if (s->active == 0)
                sampler_round_end(s);
}

static void sampler_list_done(int status, json_t *body, const char *raw, size_t rawlen,
                              void *arg)
{
        struct sampler *s = arg;
        const char *label = s->sv->policy->owner_label;
        size_t i;
        json_t *c;

        s->list_req = NULL;
        s->engine_up = status == 200;
        if (status != 200 || !json_is_array(body)) {
                log_debug("sampler: the engine did not list containers (status %d)", status);
                sampler_schedule(s);
                return;
        }
        if ((s->queue = calloc(json_array_size(body) + 1, sizeof(*s->queue))) == NULL) {
                sampler_schedule(s);
                return;
        }
        account_sample_begin(s->sv->account);
        json_array_foreach(body, i, c)
        {
                const char *id = json_string_value(json_object_get(c, "Id"));
                const char *owner =
                    json_string_value(json_object_get(json_object_get(c, "Labels"), label));
                const char *state = json_string_value(json_object_get(c, "State"));
                int running = state != NULL && strcmp(state, "running") == 0;
                /* Only containers account.c tracks are worth a stats request. */
                if (account_sample_container(s->sv->account, id, owner, running) && running)
                        snprintf(s->queue[s->nqueue++], sizeof(s->queue[0]), "%s", id);
        }
        sampler_launch(s);
}

static void sampler_tick(evutil_socket_t fd, short what, void *arg)
{
        struct sampler *s = arg;
        char filter[256], esc[512], path[700];

        snprintf(filter, sizeof(filter), "{\"label\":[\"%s\"]}", s->sv->policy->owner_label);
        if (engine_escape(esc, sizeof(esc), filter) < 0 ||
            engine_path(path, sizeof(path), "/containers/json?all=1&filters=%s", esc) < 0) {
                sampler_schedule(s);
                return;
        }
        s->list_req = engine_request(s->sv->engine, "GET", path, NULL, SAMPLER_TIMEOUT_MS,
                                     sampler_list_done, s);
        if (s->list_req == NULL)
                sampler_schedule(s);
}

struct sampler *sampler_start(struct sv *sv, unsigned interval_s)
{
        struct sampler *s = calloc(1, sizeof(*s));
        struct timeval now = {0, 0};

        if (s == NULL)
                return NULL;
        s->sv = sv;
        s->interval = interval_s > 0 ? interval_s : 1;
        if ((s->ev_tick = evtimer_new(sv->base, sampler_tick, s)) == NULL) {
                free(s);
                return NULL;
        }
        evtimer_add(s->ev_tick, &now);
        return s;
}

void sampler_free(struct sampler *s)
{
        if (s == NULL)
                return;
        if (s->list_req != NULL)
                engine_cancel(s->list_req);
        for (int i = 0; i < SAMPLER_CONCURRENCY; i++)
                if (s->slots[i].req != NULL)
                        engine_cancel(s->slots[i].req);
        event_free(s->ev_tick);
        free(s->queue);
        free(s);
}

int sampler_engine_up(const struct sampler *s)
{
        return s != NULL && s->engine_up;
}

uint64_t sampler_rounds(const struct sampler *s)
{
        return s != NULL ? s->rounds : 0;
}
