/*
 * quota.c - quotas read from the engine, holds for calls in flight, and
 * each peer's share of engine connections (quota.h).  The call rate is
 * rate.c's, the stream count pool_streams().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "bounds.h"
#include "ops_engine.h"
#include "ops_state.h"
#include "pool.h"
#include "quota.h"

struct quota_hold;

/* One peer's counters; entries live as long as the table. */
struct quota_entry {
        struct quota_entry *next;
        char name[POLICY_NAME_MAX + 1];
        struct quota_hold *holds; /* active holds of calls in flight */
        /* the peer's engine connections: control plane, and long-held (wait) */
        struct engine_share control, held;
};

struct quota {
        struct quota_entry *entries;
};

struct quota_hold {
        struct quota_hold *next_hold, **prev_hold; /* in e->holds while active */
        struct quota_entry *e;
        enum quota_hold_kind kind;
        int active;
        /* what the call adds: create, its container; start, its live limits */
        int64_t containers, memory_bytes, nano_cpus;
        /* which container: the engine-side name (create) or the full ID (start) */
        char ref[OPS_NAME_MAX + POLICY_NAME_MAX + 2];
        /* other calls' holds the engine's answer does not show yet */
        int64_t others_containers, others_memory, others_cpus;
        const json_t *list; /* the engine's list, borrowed during usage_cb */
        void (*next)(struct call *c);
        quota_usage_cb usage_cb;
};

struct quota *quota_new(void)
{
        return calloc(1, sizeof(struct quota));
}

void quota_free(struct quota *q)
{
        struct quota_entry *e, *n;

        if (q == NULL)
                return;
        for (e = q->entries; e != NULL; e = n) {
                n = e->next;
                free(e);
        }
        free(q);
}

static struct quota_entry *quota_entry(struct quota *q, const char *name)
{
        struct quota_entry *e;

        for (e = q->entries; e != NULL; e = e->next)
                if (strcmp(e->name, name) == 0)
                        return e;
        if ((e = calloc(1, sizeof(*e))) == NULL)
                return NULL;
        snprintf(e->name, sizeof(e->name), "%s", name);
        engine_share_init(&e->control, QUOTA_ENGINE_CONTROL);
        engine_share_init(&e->held, QUOTA_ENGINE_HELD);
        e->next = q->entries;
        q->entries = e;
        return e;
}

/* --- engine connections --- */

struct engine_share *quota_engine_share(struct quota *q, const char *peer, long timeout_ms)
{
        struct quota_entry *e = quota_entry(q, peer);

        if (e == NULL)
                return NULL;
        return engine_is_long(timeout_ms) ? &e->held : &e->control;
}

/* --- usage --- */

static const char *const live_states[] = {"running", "paused", "restarting", NULL};

static int is_live(const json_t *item)
{
        const char *state = json_string_value(json_object_get(item, "State"));

        for (size_t k = 0; state != NULL && live_states[k] != NULL; k++)
                if (strcmp(state, live_states[k]) == 0)
                        return 1;
        return 0;
}

/*
 * Does the engine's list already show what hold h is for?  Then counting
 * the hold too would count it twice: a create's container is listed under
 * its name, a start's container is listed live.
 */
static int hold_shown(const struct quota_hold *h, const json_t *list)
{
        const json_t *v, *n;
        size_t i, j;

        json_array_foreach(list, i, v)
        {
                if (h->kind == QUOTA_HOLD_START) {
                        const char *id = json_string_value(json_object_get(v, "Id"));
                        if (id != NULL && strcmp(id, h->ref) == 0 && is_live(v))
                                return 1;
                        continue;
                }
                json_array_foreach(json_object_get(v, "Names"), j, n)
                {
                        const char *s = json_string_value(n);
                        if (s != NULL && s[0] == '/' && strcmp(s + 1, h->ref) == 0)
                                return 1;
                }
        }
        return 0;
}

/* The other calls' holds, less what the listing shows already. */
static void others_held(struct quota_hold *mine, const json_t *list)
{
        const struct quota_hold *h;

        mine->others_containers = mine->others_memory = mine->others_cpus = 0;
        for (h = mine->e->holds; h != NULL; h = h->next_hold) {
                if (h == mine || hold_shown(h, list))
                        continue;
                /* A create adds a container; only a start adds to the live totals. */
                if (h->kind == QUOTA_HOLD_CREATE) {
                        mine->others_containers += h->containers;
                        continue;
                }
                mine->others_memory += h->memory_bytes;
                mine->others_cpus += h->nano_cpus;
        }
}

static int64_t label_int(const json_t *labels, const char *owner, const char *suffix,
                         int64_t dflt)
{
        char key[160];
        const char *s;
        char *end;
        long long v;

        snprintf(key, sizeof(key), "%s.%s", owner, suffix);
        s = json_string_value(json_object_get(labels, key));
        if (s == NULL || s[0] == '\0')
                return dflt;
        v = strtoll(s, &end, 10);
        return *end == '\0' && v >= 0 ? (int64_t)v : dflt;
}

int64_t quota_stamped(const char *owner_label, const json_t *labels, const char *what,
                      int64_t dflt)
{
        return label_int(labels, owner_label, what, dflt);
}

void quota_count(const json_t *list, const char *owner_label, const char *peer,
                 const struct policy_limits *dflt, struct quota_usage *u)
{
        const json_t *v, *labels;
        const char *state, *who;
        size_t i;

        memset(u, 0, sizeof(*u));
        json_array_foreach(list, i, v)
        {
                labels = json_object_get(v, "Labels");
                /* The engine filtered by label; check again, it costs nothing. */
                who = json_string_value(json_object_get(labels, owner_label));
                if (who == NULL || strcmp(who, peer) != 0)
                        continue;
                u->containers++;
                if (!is_live(v))
                        continue;
                u->live++;
                state = json_string_value(json_object_get(v, "State"));
                if (state != NULL && strcmp(state, "paused") == 0)
                        u->paused++;
                /* Made outside dockgate, without the labels: count the peer's defaults. */
                u->memory_bytes += label_int(labels, owner_label, "memory", dflt->memory_bytes);
                u->nano_cpus += label_int(labels, owner_label, "nanocpus", dflt->nano_cpus);
        }
}

static void usage_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct ops_state *st = c->state;
        struct quota_hold *h = st->hold;
        struct quota_usage u;

        c->pending = NULL;
        if (status != 200 || !json_is_array(body)) {
                call_fail_engine(c, status, body);
                return;
        }
        quota_count(body, c->policy->owner_label, c->peer->name, &c->peer->defaults, &u);
        h->list = body;
        h->usage_cb(c, &u);
}

struct quota_hold *quota_hold_new(struct quota *q, const char *peer, enum quota_hold_kind kind,
                                  const char *ref, int64_t memory, int64_t nano_cpus)
{
        struct quota_hold *h = calloc(1, sizeof(*h));

        if (h == NULL || (h->e = quota_entry(q, peer)) == NULL) {
                free(h);
                return NULL;
        }
        h->kind = kind;
        h->containers = kind == QUOTA_HOLD_CREATE ? 1 : 0;
        snprintf(h->ref, sizeof(h->ref), "%s", ref != NULL ? ref : "");
        h->memory_bytes = memory;
        h->nano_cpus = nano_cpus;
        return h;
}

static struct quota_hold *hold_new(struct call *c, enum quota_hold_kind kind, const char *ref,
                                   int64_t memory, int64_t nano_cpus)
{
        struct ops_state *st = ops_state(c);
        struct quota *q = c->worker->sv->quota;
        struct quota_hold *h;

        if (st == NULL)
                return NULL;
        if (st->hold != NULL) {
                call_fail(c, DG_INTERNAL, "a second quota check in one call");
                return NULL;
        }
        if ((h = quota_hold_new(q, c->peer->name, kind, ref, memory, nano_cpus)) == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return NULL;
        }
        st->hold = h;
        st->hold_free = quota_release;
        return h;
}

static void usage_start(struct call *c, struct quota_hold *h)
{
        char filter[1200];

        /* The peer's own usage, admins included: quotas are per peer. */
        if (ops_peer_filter(c, filter, sizeof(filter)) == -1) {
                call_fail(c, DG_INTERNAL, "owner filter too long");
                return;
        }
        ops_send(c, "GET", NULL, 0, usage_done, "/containers/json?all=1&%s", filter);
}

void quota_usage(struct call *c, quota_usage_cb cb)
{
        struct quota_hold *h = hold_new(c, QUOTA_HOLD_USAGE, NULL, 0, 0);

        if (h == NULL)
                return;
        h->usage_cb = cb;
        usage_start(c, h);
}

static void human(int64_t v, int bytes, char *buf, size_t len)
{
        if (!bytes)
                snprintf(buf, len, "%.3g CPUs", (double)v / 1e9);
        else if (v >= (1LL << 30) && v % (1LL << 30) == 0)
                snprintf(buf, len, "%lld GiB", (long long)(v >> 30));
        else if (v >= (1LL << 20) && v % (1LL << 20) == 0)
                snprintf(buf, len, "%lld MiB", (long long)(v >> 20));
        else
                snprintf(buf, len, "%lld bytes", (long long)v);
}

static void exceeded(struct call *c, const struct quota_over *o)
{
        json_t *d =
            json_pack("{s:s,s:I,s:I,s:I}", "quota", o->quota, "limit", (json_int_t)o->limit,
                      "used", (json_int_t)o->used, "asked", (json_int_t)o->asked);
        char l[48], u[48], a[48];
        int bytes = strcmp(o->quota, "memoryBytes") == 0;

        if (strcmp(o->quota, "containers") != 0) {
                human(o->limit, bytes, l, sizeof(l));
                human(o->used, bytes, u, sizeof(u));
                human(o->asked, bytes, a, sizeof(a));
                if (o->used == 0 && o->asked > o->limit)
                        call_fail_details(c, DG_QUOTA_EXCEEDED, d,
                                          "quota %s: this container needs %s, more than the "
                                          "whole quota of %s",
                                          o->quota, a, l);
                else
                        call_fail_details(c, DG_QUOTA_EXCEEDED, d,
                                          "quota %s: live containers use %s of %s; this one "
                                          "needs %s",
                                          o->quota, u, l, a);
                return;
        }
        call_fail_details(c, DG_QUOTA_EXCEEDED, d, "quota %s: %lld of %lld %s already",
                          o->quota, (long long)o->used, (long long)o->limit,
                          "containers exist");
}

static int over_by(struct quota_over *o, const char *quota, int64_t limit, int64_t used,
                   int64_t asked)
{
        o->quota = quota;
        o->limit = limit;
        o->used = used;
        o->asked = asked;
        return -1;
}

int quota_take(struct quota_hold *h, const json_t *list, const struct quota_usage *u,
               const struct policy_quotas *q, struct quota_over *o)
{
        int start = h->kind == QUOTA_HOLD_START;
        int64_t used_mem, used_cpus;

        others_held(h, list);
        used_mem = start ? u->memory_bytes + h->others_memory : 0;
        used_cpus = start ? u->nano_cpus + h->others_cpus : 0;
        if (h->containers > 0 && q->containers > 0 &&
            u->containers + h->others_containers + h->containers > q->containers)
                return over_by(o, "containers", q->containers,
                               u->containers + h->others_containers, h->containers);
        if (q->memory_bytes > 0 && used_mem + h->memory_bytes > q->memory_bytes)
                return over_by(o, "memoryBytes", q->memory_bytes, used_mem, h->memory_bytes);
        if (q->nano_cpus > 0 && used_cpus + h->nano_cpus > q->nano_cpus)
                return over_by(o, "nanoCpus", q->nano_cpus, used_cpus, h->nano_cpus);
        h->active = 1;
        h->next_hold = h->e->holds;
        if (h->next_hold != NULL)
                h->next_hold->prev_hold = &h->next_hold;
        h->prev_hold = &h->e->holds;
        h->e->holds = h;
        return 0;
}

static void checked(struct call *c, const struct quota_usage *u)
{
        struct ops_state *st = c->state;
        struct quota_hold *h = st->hold;
        struct quota_over o;

        if (quota_take(h, h->list, u, &c->peer->quotas, &o) < 0) {
                exceeded(c, &o);
                return;
        }
        h->next(c);
}

/*
 * A create holds a container (its memory and CPUs count once it runs,
 * but a container that could never start within the quota is refused
 * now); a start holds the memory and CPUs it brings to the live total.
 */
static void check(struct call *c, enum quota_hold_kind kind, const char *ref, int64_t memory,
                  int64_t nano_cpus, void (*next)(struct call *c))
{
        const struct policy_quotas *q = &c->peer->quotas;
        struct quota_hold *h;

        if (q->containers <= 0 && q->memory_bytes <= 0 && q->nano_cpus <= 0) {
                next(c);
                return;
        }
        if ((h = hold_new(c, kind, ref, memory, nano_cpus)) == NULL)
                return;
        h->next = next;
        h->usage_cb = checked;
        usage_start(c, h);
}

void quota_check_create(struct call *c, const char *engine_name, int64_t memory,
                        int64_t nano_cpus, void (*next)(struct call *c))
{
        check(c, QUOTA_HOLD_CREATE, engine_name, memory, nano_cpus, next);
}

void quota_check_start(struct call *c, const char *id, int64_t memory, int64_t nano_cpus,
                       void (*next)(struct call *c))
{
        check(c, QUOTA_HOLD_START, id, memory, nano_cpus, next);
}

void quota_release(struct quota_hold *h)
{
        if (h == NULL)
                return;
        if (h->active) {
                *h->prev_hold = h->next_hold;
                if (h->next_hold != NULL)
                        h->next_hold->prev_hold = h->prev_hold;
        }
        free(h);
}

void quota_stamp(const char *owner_label, json_t *labels, int64_t memory, int64_t nano_cpus)
{
        char key[160], val[32];

        snprintf(key, sizeof(key), "%s.memory", owner_label);
        snprintf(val, sizeof(val), "%lld", (long long)memory);
        json_object_set_new(labels, key, json_string(val));
        snprintf(key, sizeof(key), "%s.nanocpus", owner_label);
        snprintf(val, sizeof(val), "%lld", (long long)nano_cpus);
        json_object_set_new(labels, key, json_string(val));
}
