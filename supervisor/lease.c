/*
 * lease.c - the lease labels a create stamps, and the reaper (lease.h).
 *
 * One round at a time: list the leased containers, networks and volumes,
 * then (when some peer has a retention) the owned exited containers, and
 * queue what is due; then remove the queue one request at a time, then
 * wait a tick.  Rounds never overlap, however slow the engine is, and a
 * removal that fails is simply tried again next round (a network still in
 * use is removed once its containers are).
 *
 * SECURITY: the reaper removes only what carries the owner label and its
 * own lease labels, which only the supervisor stamps (ops_labels() refuses
 * peer labels under the owner prefix); it names only full IDs (and volume
 * names) that the engine's own list gave it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "audit.h"
#include "broker.h"
#include "lease.h"
#include "log.h"
#include "pool.h"
#include "supervisor.h"

#define LEASE_TIMEOUT_MS 30000L
#define LEASE_GONE_MAX 4096 /* sessions remembered as ended; more are seen anew */

enum lease_kind { LK_CONTAINER, LK_NETWORK, LK_VOLUME, LK_EXITED, LK__N };

static const char *const lease_kind_name[] = {"container", "network", "volume", "container"};

struct lease_todo {
        enum lease_kind kind;
        char id[256];   /* full ID, or a volume's name */
        char name[256]; /* as the engine names it, for the record */
        char peer[POLICY_NAME_MAX + 1];
        char lease[160]; /* "session <id>", "ttl", "retention" */
        char reason[160];
};

struct lease_gone {
        char session[64];
        time_t since;
        int seen; /* still named by a leased resource in this round */
};

struct lease {
        struct sv *sv;
        struct event *ev_tick;
        unsigned tick;
        char boot[17]; /* this instance's id: 16 hex digits */
        time_t started;
        struct engine_req *req;
        enum lease_kind listing;
        struct lease_todo *todo;
        size_t ntodo, captodo, next;
        struct lease_gone *gone;
        size_t ngone;
        unsigned long reaped;
};

/* --- labels --- */

static int lease_label(const struct call *c, char *buf, size_t len, const char *suffix)
{
        int n = snprintf(buf, len, "%s.lease%s", c->policy->owner_label, suffix);

        return n < 0 || (size_t)n >= len ? -1 : 0;
}

static void lease_session_of(const struct lease *l, const struct worker *w, char *buf,
                             size_t len)
{
        /* pid and spawn time name one stream of this instance; the boot id, the instance. */
        snprintf(buf, len, "%s-%ld-%llx", l->boot, (long)w->pid,
                 (unsigned long long)w->started.tv_sec * 1000000000ULL +
                     (unsigned long long)w->started.tv_nsec);
}

int lease_stamp(struct call *c, json_t *labels)
{
        json_t *in = json_object_get(c->input, "lease");
        struct lease *l = c->worker->sv->lease;
        char key[200], session[64], num[32];
        int sess = json_is_true(json_object_get(in, "session"));
        json_t *ttl = json_object_get(in, "ttlSeconds"),
               *grace = json_object_get(in, "graceSeconds");

        if (in == NULL || json_is_null(in))
                return 0;
        if (!sess && ttl == NULL) {
                call_fail(c, DG_INVALID_INPUT,
                          "input.lease: name session: true, ttlSeconds, or both");
                return -1;
        }
        if (grace != NULL && !sess) {
                call_fail(c, DG_INVALID_INPUT,
                          "input.lease.graceSeconds: goes with session: true only");
                return -1;
        }
        if (l == NULL) {
                call_fail(c, DG_UNAVAILABLE, "input.lease: the reaper is not running");
                return -1;
        }
        if (lease_label(c, key, sizeof(key), "") < 0)
                goto long_label;
        json_object_set_new(labels, key, json_string("1"));
        if (sess) {
                lease_session_of(l, c->worker, session, sizeof(session));
                if (lease_label(c, key, sizeof(key), ".session") < 0)
                        goto long_label;
                json_object_set_new(labels, key, json_string(session));
                snprintf(num, sizeof(num), "%lld",
                         grace != NULL ? (long long)json_integer_value(grace)
                                       : (long long)LEASE_GRACE_DEFAULT_S);
                if (lease_label(c, key, sizeof(key), ".grace") < 0)
                        goto long_label;
                json_object_set_new(labels, key, json_string(num));
        }
        if (ttl != NULL) {
                snprintf(num, sizeof(num), "%lld",
                         (long long)time(NULL) + (long long)json_integer_value(ttl));
                if (lease_label(c, key, sizeof(key), ".expires") < 0)
                        goto long_label;
                json_object_set_new(labels, key, json_string(num));
        }
        return 0;
long_label:
        call_fail(c, DG_INTERNAL, "the owner label is too long for lease labels");
        return -1;
}

/* --- deciding --- */

static const char *lease_get(const struct lease *l, json_t *labels, const char *suffix)
{
        char key[200];

        snprintf(key, sizeof(key), "%s.lease%s", l->sv->policy->owner_label, suffix);
        return json_string_value(json_object_get(labels, key));
}

static int lease_session_live(const struct lease *l, const char *session)
{
        const struct worker *w;
        char id[64];

        TAILQ_FOREACH(w, &l->sv->workers, link)
        {
                if (w->state != W_SERVING)
                        continue;
                lease_session_of(l, w, id, sizeof(id));
                if (strcmp(id, session) == 0)
                        return 1;
        }
        return 0;
}

/* Since when the session has been gone, as far as this instance can tell. */
static time_t lease_gone_since(struct lease *l, const char *session, time_t now)
{
        size_t i;
        struct lease_gone *g;

        /* Another instance's session ended no later than this instance started. */
        if (strncmp(session, l->boot, 16) != 0 || session[16] != '-')
                return l->started;
        for (i = 0; i < l->ngone; i++)
                if (strcmp(l->gone[i].session, session) == 0) {
                        l->gone[i].seen = 1;
                        return l->gone[i].since;
                }
        if (l->ngone >= LEASE_GONE_MAX)
                return now;
        if ((g = realloc(l->gone, (l->ngone + 1) * sizeof(*g))) == NULL)
                return now;
        l->gone = g;
        g = &l->gone[l->ngone++];
        snprintf(g->session, sizeof(g->session), "%s", session);
        g->since = now;
        g->seen = 1;
        return now;
}

/* Sessions no longer named by anything leased are forgotten. */
static void lease_gone_prune(struct lease *l)
{
        size_t i, j = 0;

        for (i = 0; i < l->ngone; i++) {
                if (l->gone[i].seen) {
                        l->gone[i].seen = 0;
                        l->gone[j++] = l->gone[i];
                }
        }
        l->ngone = j;
}

static int lease_todo_add(struct lease *l, enum lease_kind kind, const char *id,
                          const char *name, const char *peer, const char *lease,
                          const char *reason)
{
        struct lease_todo *t;

        if (l->ntodo == l->captodo) {
                size_t cap = l->captodo ? l->captodo * 2 : 16;
                if ((t = realloc(l->todo, cap * sizeof(*t))) == NULL)
                        return -1;
                l->todo = t;
                l->captodo = cap;
        }
        t = &l->todo[l->ntodo++];
        t->kind = kind;
        snprintf(t->id, sizeof(t->id), "%s", id);
        snprintf(t->name, sizeof(t->name), "%s", name ? name : "");
        snprintf(t->peer, sizeof(t->peer), "%s", peer ? peer : "");
        snprintf(t->lease, sizeof(t->lease), "%s", lease);
        snprintf(t->reason, sizeof(t->reason), "%s", reason);
        return 0;
}

/* One leased resource from a list: queued when its lease is over. */
static void lease_consider(struct lease *l, enum lease_kind kind, const char *id,
                           const char *name, json_t *labels, time_t now)
{
        const char *peer =
            json_string_value(json_object_get(labels, l->sv->policy->owner_label));
        const char *session = lease_get(l, labels, ".session");
        const char *grace_s = lease_get(l, labels, ".grace");
        const char *expires_s = lease_get(l, labels, ".expires");
        char lease[160], reason[160];
        long long grace, expires;
        time_t since;

        if (id == NULL || peer == NULL)
                return;
        if (expires_s != NULL && (expires = strtoll(expires_s, NULL, 10)) > 0 &&
            (long long)now >= expires) {
                snprintf(reason, sizeof(reason), "its TTL ended at %lld", expires);
                lease_todo_add(l, kind, id, name, peer, "ttl", reason);
                return;
        }
        if (session == NULL || session[0] == '\0' || lease_session_live(l, session))
                return;
        grace = grace_s != NULL ? strtoll(grace_s, NULL, 10) : LEASE_GRACE_DEFAULT_S;
        if (grace < 0 || grace > LEASE_GRACE_MAX_S)
                grace = LEASE_GRACE_DEFAULT_S;
        since = lease_gone_since(l, session, now);
        if ((long long)(now - since) < grace)
                return;
        snprintf(lease, sizeof(lease), "session %.64s", session);
        snprintf(reason, sizeof(reason), "its session has been gone for %llds (grace %llds)",
                 (long long)(now - since), grace);
        lease_todo_add(l, kind, id, name, peer, lease, reason);
}

/* Exited containers of a peer with a retention: due once exited for that long. */
static void lease_consider_exited(struct lease *l, json_t *c, time_t now)
{
        json_t *labels = json_object_get(c, "Labels");
        const char *peer =
            json_string_value(json_object_get(labels, l->sv->policy->owner_label));
        const struct peer_policy *pp = peer ? policy_by_name(l->sv->policy, peer) : NULL;
        const char *id = json_string_value(json_object_get(c, "Id"));
        json_int_t created = json_integer_value(json_object_get(c, "Created"));
        char reason[160];

        if (pp == NULL || pp->retention_exited_s <= 0 || id == NULL)
                return;
        /* Created is a lower bound of the exit time: only those old enough can be due. */
        if ((long long)(now - created) < pp->retention_exited_s)
                return;
        snprintf(reason, sizeof(reason), "exited more than %llds ago (retention)",
                 (long long)pp->retention_exited_s);
        lease_todo_add(l, LK_EXITED, id,
                       json_string_value(json_array_get(json_object_get(c, "Names"), 0)), peer,
                       "retention", reason);
}

/* --- the round --- */

static void lease_schedule(struct lease *l)
{
        struct timeval tv = {(time_t)l->tick, 0};

        evtimer_add(l->ev_tick, &tv);
}

static void lease_round_end(struct lease *l)
{
        lease_gone_prune(l);
        l->ntodo = l->next = 0;
        lease_schedule(l);
}

static void lease_record(struct lease *l, const struct lease_todo *t, int status,
                         const char *message)
{
        int ok = status >= 200 && status < 300;

        if (status == 404)
                return; /* gone already: removed by its owner meanwhile; nothing was done */
        if (ok) {
                l->reaped++;
                log_info("lease: removed %s %.12s (%s) of peer %s: %s",
                         lease_kind_name[t->kind], t->id, t->name, t->peer, t->reason);
        } else
                log_warnx("lease: removing %s %.12s of peer %s failed (%d): %s",
                          lease_kind_name[t->kind], t->id, t->peer, status,
                          message ? message : "");
        audit_append(l->sv->audit, "reap",
                     json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s?}", "peer", t->peer,
                               "kind", lease_kind_name[t->kind], "resource", t->id, "name",
                               t->name, "lease", t->lease, "reason", t->reason, "result",
                               ok ? "OK" : "DOCKER_ERROR", "status", status, "message",
                               ok ? NULL : message));
        account_call_end(l->sv->account, t->peer,
                         t->kind == LK_NETWORK  ? "lease/reap/network"
                         : t->kind == LK_VOLUME ? "lease/reap/volume"
                                                : "lease/reap/container",
                         ok ? "OK" : "DOCKER_ERROR", 0, 0);
}

static void lease_remove_next(struct lease *l);

static void lease_removed(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct lease *l = arg;

        l->req = NULL;
        lease_record(l, &l->todo[l->next - 1], status,
                     json_string_value(json_object_get(body, "message")));
        lease_remove_next(l);
}

static int lease_is_exited(json_t *state)
{
        const char *s = json_string_value(json_object_get(state, "Status"));

        return s != NULL && strcmp(s, "exited") == 0;
}

static void lease_exited_inspected(int status, json_t *body, const char *raw, size_t rawlen,
                                   void *arg)
{
        struct lease *l = arg;
        struct lease_todo *t = &l->todo[l->next - 1];
        json_t *state = json_object_get(body, "State");
        const char *fin = json_string_value(json_object_get(state, "FinishedAt"));
        const struct peer_policy *pp = policy_by_name(l->sv->policy, t->peer);
        struct tm tm;
        char path[400];

        l->req = NULL;
        memset(&tm, 0, sizeof(tm));
        if (status != 200 || fin == NULL || pp == NULL || !lease_is_exited(state) ||
            strptime(fin, "%Y-%m-%dT%H:%M:%S", &tm) == NULL ||
            (long long)(time(NULL) - timegm(&tm)) < pp->retention_exited_s) {
                lease_remove_next(l);
                return;
        }
        t->kind = LK_CONTAINER;
        snprintf(path, sizeof(path), "/containers/%s?force=1&v=1", t->id);
        l->req = engine_request(l->sv->engine, "DELETE", path, NULL, LEASE_TIMEOUT_MS,
                                lease_removed, l);
        if (l->req == NULL)
                lease_round_end(l);
}

static void lease_remove_next(struct lease *l)
{
        struct lease_todo *t;
        char path[400], esc[300];

        if (l->next >= l->ntodo) {
                lease_round_end(l);
                return;
        }
        t = &l->todo[l->next++];
        switch (t->kind) {
        case LK_EXITED:
                snprintf(path, sizeof(path), "/containers/%s/json", t->id);
                l->req = engine_request(l->sv->engine, "GET", path, NULL, LEASE_TIMEOUT_MS,
                                        lease_exited_inspected, l);
                break;
        case LK_CONTAINER:
                /* Its anonymous volumes go with it (v=1); named ones are leased on their own.
                 */
                snprintf(path, sizeof(path), "/containers/%s?force=1&v=1", t->id);
                l->req = engine_request(l->sv->engine, "DELETE", path, NULL, LEASE_TIMEOUT_MS,
                                        lease_removed, l);
                break;
        case LK_NETWORK:
                snprintf(path, sizeof(path), "/networks/%s", t->id);
                l->req = engine_request(l->sv->engine, "DELETE", path, NULL, LEASE_TIMEOUT_MS,
                                        lease_removed, l);
                break;
        case LK_VOLUME:
                if (engine_escape(esc, sizeof(esc), t->id) < 0) {
                        lease_remove_next(l);
                        return;
                }
                snprintf(path, sizeof(path), "/volumes/%s", esc);
                l->req = engine_request(l->sv->engine, "DELETE", path, NULL, LEASE_TIMEOUT_MS,
                                        lease_removed, l);
                break;
        default:
                lease_remove_next(l);
                return;
        }
        if (l->req == NULL)
                lease_round_end(l);
}

static int lease_any_retention(const struct lease *l)
{
        size_t i;

        for (i = 0; i < l->sv->policy->npeers; i++)
                if (l->sv->policy->peers[i].retention_exited_s > 0)
                        return 1;
        return 0;
}

static void lease_list(struct lease *l);

static void lease_listed(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct lease *l = arg;
        json_t *arr = l->listing == LK_VOLUME ? json_object_get(body, "Volumes") : body, *v;
        time_t now = time(NULL);
        size_t i;

        l->req = NULL;
        if (status != 200 || (!json_is_array(arr) && !json_is_null(arr))) {
                log_debug("lease: the engine did not list %ss (status %d)",
                          lease_kind_name[l->listing], status);
                lease_round_end(l);
                return;
        }
        json_array_foreach(arr, i, v)
        {
                json_t *labels = json_object_get(v, "Labels");
                const char *id = json_string_value(
                    json_object_get(v, l->listing == LK_VOLUME ? "Name" : "Id"));
                const char *name =
                    l->listing == LK_CONTAINER
                        ? json_string_value(json_array_get(json_object_get(v, "Names"), 0))
                        : json_string_value(json_object_get(v, "Name"));

                if (l->listing == LK_EXITED)
                        lease_consider_exited(l, v, now);
                else
                        lease_consider(l, l->listing, id, name, labels, now);
        }
        l->listing++;
        if (l->listing == LK_EXITED && !lease_any_retention(l))
                l->listing++;
        if (l->listing < LK__N) {
                lease_list(l);
                return;
        }
        l->next = 0;
        lease_remove_next(l);
}

static void lease_list(struct lease *l)
{
        static const char *const base[] = {"/containers/json?all=1&", "/networks?", "/volumes?",
                                           "/containers/json?all=1&"};
        char filter[400], esc[800], path[1000];

        if (l->listing == LK_EXITED)
                snprintf(filter, sizeof(filter), "{\"label\":[\"%s\"],\"status\":[\"exited\"]}",
                         l->sv->policy->owner_label);
        else
                snprintf(filter, sizeof(filter), "{\"label\":[\"%s.lease\"]}",
                         l->sv->policy->owner_label);
        if (engine_escape(esc, sizeof(esc), filter) < 0 ||
            engine_path(path, sizeof(path), "%sfilters=%s", base[l->listing], esc) < 0) {
                lease_round_end(l);
                return;
        }
        l->req =
            engine_request(l->sv->engine, "GET", path, NULL, LEASE_TIMEOUT_MS, lease_listed, l);
        if (l->req == NULL)
                lease_round_end(l);
}

static void lease_tick(evutil_socket_t fd, short what, void *arg)
{
        struct lease *l = arg;

        l->listing = LK_CONTAINER;
        l->ntodo = l->next = 0;
        lease_list(l);
}

struct lease *lease_start(struct sv *sv, unsigned tick_s)
{
        struct lease *l = calloc(1, sizeof(*l));
        struct timeval now = {0, 0};
        unsigned char rnd[8];
        FILE *f;
        size_t i;

        if (l == NULL)
                return NULL;
        l->sv = sv;
        l->tick = tick_s > 0 ? tick_s : 1;
        l->started = time(NULL);
        /* A fresh id per instance: its sessions are told from every earlier one's. */
        if ((f = fopen("/dev/urandom", "rb")) == NULL || fread(rnd, 1, sizeof(rnd), f) != 8) {
                if (f != NULL)
                        fclose(f);
                free(l);
                return NULL;
        }
        fclose(f);
        for (i = 0; i < sizeof(rnd); i++)
                snprintf(l->boot + 2 * i, 3, "%02x", rnd[i]);
        if ((l->ev_tick = evtimer_new(sv->base, lease_tick, l)) == NULL) {
                free(l);
                return NULL;
        }
        evtimer_add(l->ev_tick, &now);
        return l;
}

void lease_free(struct lease *l)
{
        if (l == NULL)
                return;
        if (l->req != NULL)
                engine_cancel(l->req);
        event_free(l->ev_tick);
        free(l->todo);
        free(l->gone);
        free(l);
}

unsigned long lease_reaped(const struct lease *l)
{
        return l != NULL ? l->reaped : 0;
}
