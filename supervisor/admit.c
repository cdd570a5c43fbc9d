/*
 * admit.c - admission at accept: identity, stream quotas, worker bounds,
 * a fair waiting queue, and the audit of every refusal (admit.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "admit.h"
#include "audit.h"
#include "envelope.h"
#include "frame.h"
#include "log.h"
#include "pool.h"

#define PENDING_MAX 256    /* peers waiting for a worker, all peers together */
#define PENDING_WAIT_S 10  /* without a hand-off from the queue: then UNAVAILABLE */
#define ADMIT_WINDOW_S 10  /* refusals of one kind are summarised per window */
#define ADMIT_KINDS_MAX 64 /* kinds (who, code) written in full per window */
#define ADMIT_TCP_KEY "tcp"

struct pending;

/* One peer's streams: served (a worker) and waiting (a place in its queue). */
struct admit_peer {
        LIST_ENTRY(admit_peer) link;
        TAILQ_ENTRY(admit_peer) rr;      /* in the rotation while it has peers waiting */
        char key[MSG_PEER_NAME_MAX + 1]; /* the peer's name, or "tcp" */
        int serving, npending;
        TAILQ_HEAD(pending_q, pending) q;
};

struct pending {
        TAILQ_ENTRY(pending) link;
        struct sv *sv;
        struct admit_peer *ap;
        int fd;
        uid_t uid;
        gid_t gid;
        int tcp;
        struct timespec since; /* queued at */
        struct event *ev_timeout;
};

/* A kind of refusal in the current window: written once in full, then counted. */
struct admit_kind {
        char peer[MSG_PEER_NAME_MAX + 1]; /* "" for a uid the policy does not know */
        uid_t uid;
        int tcp;
        char result[32];
        char reason[200];
        uint64_t more; /* seen again since the full record */
};

struct admit {
        LIST_HEAD(, admit_peer) peers;
        TAILQ_HEAD(, admit_peer) rr;
        int nserving;
        struct timespec progress; /* the last hand-off from the queue */
        struct admit_kind kinds[ADMIT_KINDS_MAX];
        int nkinds;
        uint64_t others; /* refusals of kinds beyond ADMIT_KINDS_MAX this window */
        struct event *ev_window;
};

static double admit_since(const struct timespec *t)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)(now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

/* --- the audit of admission --- */

static json_t *admit_who(const char *peer, uid_t uid, int tcp)
{
        if (tcp)
                return json_pack("{s:n,s:s}", "peer", "transport", "tcp");
        return json_pack("{s:o,s:I}", "peer", peer[0] ? json_string(peer) : json_null(), "uid",
                         (json_int_t)uid);
}

static void admit_record(struct sv *sv, const struct admit_kind *k, uint64_t count, int summary)
{
        json_t *f;

        if (sv->audit == NULL || (f = admit_who(k->peer, k->uid, k->tcp)) == NULL)
                return;
        json_object_set_new(f, "stage", json_string("accept"));
        json_object_set_new(f, "decision",
                            json_string(strcmp(k->result, "NO_CALL") == 0 ? "closed" : "deny"));
        json_object_set_new(f, "result", json_string(k->result));
        json_object_set_new(f, "reason", json_string(k->reason));
        json_object_set_new(f, "count", json_integer((json_int_t)count));
        if (summary)
                json_object_set_new(f, "windowSeconds", json_integer(ADMIT_WINDOW_S));
        audit_append(sv->audit, summary ? "admission-summary" : "admission", f);
}

static void admit_window(evutil_socket_t fd, short what, void *arg)
{
        struct sv *sv = arg;
        struct admit *a = sv->admit;
        int i;

        for (i = 0; i < a->nkinds; i++) {
                struct admit_kind *k = &a->kinds[i];
                if (k->more == 0)
                        continue;
                log_warnx("admission: %llu more like \"%s\" (%s, %s%s uid %u) in %d s",
                          (unsigned long long)k->more, k->reason, k->result,
                          k->peer[0] ? "peer " : "", k->peer, (unsigned)k->uid, ADMIT_WINDOW_S);
                admit_record(sv, k, k->more, 1);
        }
        if (a->others > 0) {
                struct admit_kind o = {.result = "MIXED", .reason = "refusals of other kinds"};
                log_warnx("admission: %llu refusals of other kinds in %d s",
                          (unsigned long long)a->others, ADMIT_WINDOW_S);
                admit_record(sv, &o, a->others, 1);
        }
        a->nkinds = 0;
        a->others = 0;
}

/* One refusal (or a stream closed without a call): audited in full or counted. */
static void admit_note(struct sv *sv, const char *peer, uid_t uid, int tcp, const char *result,
                       const char *reason)
{
        struct admit *a = sv->admit;
        struct admit_kind *k;
        int i;

        for (i = 0; i < a->nkinds; i++) {
                k = &a->kinds[i];
                if (k->uid == uid && k->tcp == tcp && strcmp(k->peer, peer) == 0 &&
                    strcmp(k->result, result) == 0) {
                        k->more++;
                        return;
                }
        }
        if (!evtimer_pending(a->ev_window, NULL)) {
                struct timeval tv = {ADMIT_WINDOW_S, 0};
                evtimer_add(a->ev_window, &tv);
        }
        if (a->nkinds == ADMIT_KINDS_MAX) {
                a->others++;
                return;
        }
        k = &a->kinds[a->nkinds++];
        memset(k, 0, sizeof(*k));
        snprintf(k->peer, sizeof(k->peer), "%s", peer);
        k->uid = uid;
        k->tcp = tcp;
        snprintf(k->result, sizeof(k->result), "%s", result);
        snprintf(k->reason, sizeof(k->reason), "%s", reason);
        log_info("admission: %s (%s)", reason, result);
        admit_record(sv, k, 1, 0);
}

/*
 * Tells a peer we will not serve it, without reading anything from it: the
 * frame is ours, built from constants and numbers.  Best effort, never
 * blocking; then the connection is closed.
 */
static void admit_refuse(struct sv *sv, int fd, const char *peer, uid_t uid, int tcp,
                         enum dg_err code, json_t *details, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

static void admit_refuse(struct sv *sv, int fd, const char *peer, uid_t uid, int tcp,
                         enum dg_err code, json_t *details, const char *fmt, ...)
{
        unsigned char hdr[FRAME_HDR];
        char message[200];
        size_t len;
        char *json;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(message, sizeof(message), fmt, ap);
        va_end(ap);
        if ((json = envelope_error("", code, message, details, &len)) != NULL) {
                frame_put_header(hdr, (uint32_t)len);
                struct iovec iov[2] = {{hdr, sizeof(hdr)}, {json, len}};
                struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
                (void)sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
                free(json);
        }
        json_decref(details);
        close(fd);
        admit_note(sv, peer != NULL ? peer : "", uid, tcp, dg_err_name(code), message);
}

/* --- peers --- */

static struct admit_peer *admit_peer_get(struct admit *a, const char *key)
{
        struct admit_peer *ap;

        LIST_FOREACH(ap, &a->peers, link)
        if (strcmp(ap->key, key) == 0)
                return ap;
        if ((ap = calloc(1, sizeof(*ap))) == NULL)
                fatal("calloc");
        snprintf(ap->key, sizeof(ap->key), "%s", key);
        TAILQ_INIT(&ap->q);
        LIST_INSERT_HEAD(&a->peers, ap, link);
        return ap;
}

/* Forgets a peer that has neither streams nor peers waiting. */
static void admit_peer_put(struct admit_peer *ap)
{
        if (ap->serving == 0 && ap->npending == 0) {
                LIST_REMOVE(ap, link);
                free(ap);
        }
}

static void pending_unlink(struct pending *p)
{
        struct admit *a = p->sv->admit;
        struct admit_peer *ap = p->ap;

        TAILQ_REMOVE(&ap->q, p, link);
        ap->npending--;
        p->sv->npending--;
        if (ap->npending == 0)
                TAILQ_REMOVE(&a->rr, ap, rr);
        event_free(p->ev_timeout);
}

/* A waiting peer leaves the queue refused. */
static void pending_refuse(struct pending *p, enum dg_err code, const char *message)
{
        struct admit_peer *ap = p->ap;
        struct sv *sv = p->sv;

        pending_unlink(p);
        admit_refuse(sv, p->fd, p->tcp ? NULL : ap->key, p->uid, p->tcp, code, NULL, "%s",
                     message);
        free(p);
        admit_peer_put(ap);
}

static void pending_timeout(evutil_socket_t fd, short what, void *arg)
{
        struct pending *p = arg;
        struct admit *a = p->sv->admit;
        /* Waiting is measured from the last hand-off, not from the start (invariant 6). */
        const struct timespec *from =
            a->progress.tv_sec > p->since.tv_sec || (a->progress.tv_sec == p->since.tv_sec &&
                                                     a->progress.tv_nsec > p->since.tv_nsec)
                ? &a->progress
                : &p->since;
        double waited = admit_since(from);

        if (waited < PENDING_WAIT_S) {
                struct timeval tv = {(time_t)(PENDING_WAIT_S - waited) + 1, 0};
                evtimer_add(p->ev_timeout, &tv);
                return;
        }
        pending_refuse(p, DG_UNAVAILABLE,
                       "no worker became free for a waiting stream in "
                       "10 s; try again");
}

/* --- hand-off --- */

static void admit_hand(struct sv *sv, struct worker *w, struct admit_peer *ap, int fd,
                       const char *name, uid_t uid, gid_t gid, int tcp)
{
        w->admit = ap;
        ap->serving++;
        sv->admit->nserving++;
        pool_hand_off(w, fd, tcp ? NULL : name, uid, gid, tcp, NULL);
}

void admit_left(struct worker *w)
{
        struct sv *sv = w->sv;
        struct admit_peer *ap = w->admit;

        if (ap == NULL)
                return;
        w->admit = NULL;
        /* An idle flood is seen too: streams that never made a call, counted. */
        if (w->last_seq == 0)
                admit_note(sv, w->tcp ? "" : ap->key, w->peer_uid, w->tcp, "NO_CALL",
                           "a stream ended without making a call");
        ap->serving--;
        sv->admit->nserving--;
        admit_peer_put(ap);
}

/* The peer that waits in most places: it gives one up for a peer below its share. */
static struct admit_peer *admit_biggest(struct admit *a)
{
        struct admit_peer *ap, *big = NULL;

        TAILQ_FOREACH(ap, &a->rr, rr)
        if (big == NULL || ap->npending > big->npending)
                big = ap;
        return big;
}

static void admit_queue(struct sv *sv, struct admit_peer *ap, int fd, uid_t uid, gid_t gid,
                        int tcp)
{
        struct admit *a = sv->admit;
        struct pending *p;

        if (sv->npending >= PENDING_MAX) {
                struct admit_peer *big = admit_biggest(a);

                if (big == NULL || big->npending <= ap->npending + 1) {
                        admit_refuse(sv, fd, tcp ? NULL : ap->key, uid, tcp, DG_UNAVAILABLE,
                                     NULL,
                                     "server at capacity: %d streams wait for a worker; "
                                     "try again",
                                     PENDING_MAX);
                        return;
                }
                /* Fair share: the newest of the biggest waiter's places goes. */
                pending_refuse(TAILQ_LAST(&big->q, pending_q), DG_UNAVAILABLE,
                               "server at capacity: this peer waits in more "
                               "than its share of the queue; try again");
        }
        if ((p = calloc(1, sizeof(*p))) == NULL ||
            (p->ev_timeout = evtimer_new(sv->base, pending_timeout, p)) == NULL)
                fatal("cannot queue a peer");
        p->sv = sv;
        p->ap = ap;
        p->fd = fd;
        p->uid = uid;
        p->gid = gid;
        p->tcp = tcp;
        clock_gettime(CLOCK_MONOTONIC, &p->since);
        struct timeval tv = {PENDING_WAIT_S, 0};
        evtimer_add(p->ev_timeout, &tv);
        if (ap->npending++ == 0)
                TAILQ_INSERT_TAIL(&a->rr, ap, rr);
        TAILQ_INSERT_TAIL(&ap->q, p, link);
        sv->npending++;
}

void admit_peer(struct sv *sv, int fd, uid_t uid, gid_t gid, int tcp)
{
        struct admit *a = sv->admit;
        const struct peer_policy *pp = NULL;
        struct admit_peer *ap;
        struct worker *w;
        int held, share = sv->cfg.max_workers_per_peer;

        if (sv->shutting_down) {
                admit_refuse(sv, fd, NULL, uid, tcp, DG_UNAVAILABLE, NULL,
                             "server shutting down");
                return;
        }
        if (!tcp && (pp = policy_by_cred(sv->policy, uid, gid)) == NULL) {
                admit_refuse(sv, fd, NULL, uid, 0, DG_UNAUTHENTICATED, NULL,
                             "uid %u (gid %u) is not known to the policy; ask the operator "
                             "to map it",
                             (unsigned)uid, (unsigned)gid);
                return;
        }
        ap = admit_peer_get(a, pp != NULL ? pp->name : ADMIT_TCP_KEY);
        held = ap->serving + ap->npending;
        if (pp != NULL && pp->quotas.streams > 0 &&
            (held >= pp->quotas.streams ||
             pool_streams(sv, pp->name, NULL) + ap->npending >= pp->quotas.streams)) {
                admit_refuse(sv, fd, pp->name, uid, 0, DG_QUOTA_EXCEEDED,
                             json_pack("{s:s,s:I}", "quota", "streams", "limit",
                                       (json_int_t)pp->quotas.streams),
                             "quota streams: peer %s has %lld concurrent streams open "
                             "already; close one and retry",
                             pp->name, (long long)pp->quotas.streams);
        } else if (held >= share) {
                admit_refuse(
                    sv, fd, pp != NULL ? pp->name : NULL, uid, tcp, DG_UNAVAILABLE, NULL,
                    "%s %s holds its share of %d workers; close a stream and "
                    "retry",
                    tcp ? "the TCP listener" : "peer", pp != NULL ? pp->name : "", share);
        } else if (a->nserving + sv->npending >= sv->cfg.max_workers) {
                admit_refuse(sv, fd, pp != NULL ? pp->name : NULL, uid, tcp, DG_UNAVAILABLE,
                             NULL,
                             "server at capacity: %d streams served or waiting; try "
                             "again",
                             sv->cfg.max_workers);
        } else if (TAILQ_EMPTY(&a->rr) && (w = pool_take(sv)) != NULL) {
                admit_hand(sv, w, ap, fd, pp != NULL ? pp->name : NULL, uid, gid, tcp);
        } else {
                admit_queue(sv, ap, fd, uid, gid, tcp);
        }
        admit_peer_put(ap);
}

void admit_drain(struct sv *sv)
{
        struct admit *a = sv->admit;
        struct admit_peer *ap;
        const struct peer_policy *pp;
        struct pending *p;
        struct worker *w;

        while ((ap = TAILQ_FIRST(&a->rr)) != NULL && (w = pool_take(sv)) != NULL) {
                p = TAILQ_FIRST(&ap->q);
                pending_unlink(p);
                /* Round robin: the peer goes to the back of the rotation. */
                if (ap->npending > 0) {
                        TAILQ_REMOVE(&a->rr, ap, rr);
                        TAILQ_INSERT_TAIL(&a->rr, ap, rr);
                }
                clock_gettime(CLOCK_MONOTONIC, &a->progress);
                /* Identity against the policy now in force (a reload may have come). */
                pp = p->tcp ? NULL : policy_by_cred(sv->policy, p->uid, p->gid);
                if (!p->tcp && pp == NULL)
                        admit_refuse(sv, p->fd, NULL, p->uid, 0, DG_UNAUTHENTICATED, NULL,
                                     "uid %u (gid %u) is not known to the policy; ask the "
                                     "operator to map it",
                                     (unsigned)p->uid, (unsigned)p->gid);
                else
                        admit_hand(sv, w, ap, p->fd, pp != NULL ? pp->name : NULL, p->uid,
                                   p->gid, p->tcp);
                free(p);
                admit_peer_put(ap);
        }
}

int admit_streams(const struct sv *sv, const char *peer)
{
        const struct admit_peer *ap;

        LIST_FOREACH(ap, &sv->admit->peers, link)
        if (strcmp(ap->key, peer) == 0)
                return ap->serving + ap->npending;
        return 0;
}

void admit_init(struct sv *sv)
{
        struct admit *a = calloc(1, sizeof(*a));

        if (a == NULL)
                fatal("calloc");
        LIST_INIT(&a->peers);
        TAILQ_INIT(&a->rr);
        if ((a->ev_window = evtimer_new(sv->base, admit_window, sv)) == NULL)
                fatalx("evtimer_new");
        sv->admit = a;
        sv->npending = 0;
}

void admit_close(struct sv *sv)
{
        struct admit *a = sv->admit;
        struct admit_peer *ap;

        if (a == NULL)
                return;
        while ((ap = TAILQ_FIRST(&a->rr)) != NULL)
                pending_refuse(TAILQ_FIRST(&ap->q), DG_UNAVAILABLE, "server shutting down");
        /* What the last window counted is written before the log closes. */
        if (evtimer_pending(a->ev_window, NULL)) {
                evtimer_del(a->ev_window);
                admit_window(-1, 0, sv);
        }
}

void admit_free(struct sv *sv)
{
        struct admit *a = sv->admit;
        struct admit_peer *ap;
        struct worker *w;

        if (a == NULL)
                return;
        TAILQ_FOREACH(w, &sv->workers, link)
        w->admit = NULL;
        while ((ap = LIST_FIRST(&a->peers)) != NULL) {
                LIST_REMOVE(ap, link);
                free(ap);
        }
        event_free(a->ev_window);
        free(a);
        sv->admit = NULL;
}
