/*
 * admit.c - admission at accept: identity, stream quotas, worker bounds,
 * a fair waiting queue, and the audit of every refusal (admit.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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
        int nparked; /* accepted, silent: no worker until they send a byte */
        TAILQ_HEAD(pending_q, pending) q;
        double tokens; /* new streams it may open now (admit_rate) */
        struct timespec last;
        int primed;
};

struct pending {
        TAILQ_ENTRY(pending) link;
        struct sv *sv;
        struct admit_peer *ap;
        int fd;
        uid_t uid;
        gid_t gid;
        int tcp;
        int docker;            /* the Docker-API front: refusals are HTTP answers */
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
        uint64_t more;                        /* seen again since the full record */
        unsigned char frame[FRAME_HDR + 500]; /* its refusal frame, built once */
        size_t frame_len;                     /* 0: none */
};

struct admit {
        LIST_HEAD(, admit_peer) peers;
        TAILQ_HEAD(, admit_peer) rr;
        int nserving;
        int nparked;
        LIST_HEAD(, parked) parked;
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

static struct admit_kind *admit_kind_find(struct admit *a, const char *peer, uid_t uid, int tcp,
                                          const char *result)
{
        for (int i = 0; i < a->nkinds; i++) {
                struct admit_kind *k = &a->kinds[i];
                if (k->uid == uid && k->tcp == tcp && strcmp(k->peer, peer) == 0 &&
                    strcmp(k->result, result) == 0)
                        return k;
        }
        return NULL;
}

/*
 * The first of a kind in this window: audited in full, and kept to count
 * the next ones.  NULL past ADMIT_KINDS_MAX kinds (counted as others).
 */
static struct admit_kind *admit_kind_new(struct sv *sv, const char *peer, uid_t uid, int tcp,
                                         const char *result, const char *reason)
{
        struct admit *a = sv->admit;
        struct admit_kind *k;

        if (!evtimer_pending(a->ev_window, NULL)) {
                struct timeval tv = {ADMIT_WINDOW_S, 0};
                evtimer_add(a->ev_window, &tv);
        }
        if (a->nkinds == ADMIT_KINDS_MAX) {
                a->others++;
                return NULL;
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
        return k;
}

/* One refusal (or a stream closed without a call): audited in full or counted. */
static void admit_note(struct sv *sv, const char *peer, uid_t uid, int tcp, const char *result,
                       const char *reason)
{
        struct admit_kind *k = admit_kind_find(sv->admit, peer, uid, tcp, result);

        if (k != NULL)
                k->more++;
        else
                (void)admit_kind_new(sv, peer, uid, tcp, result, reason);
}

/*
 * Tells a peer we will not serve it, without reading anything from it: the
 * frame is ours, built from constants and numbers (once per kind and
 * window: a flood then costs a send and a close each).  Best effort, never
 * blocking; then the connection is closed.
 */
static void admit_refuse(struct sv *sv, int fd, const char *peer, uid_t uid, int tcp,
                         int docker, enum dg_err code, json_t *details, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));

static void admit_refuse_http(int fd, enum dg_err code, const char *message)
{
        int status = code == DG_UNAUTHENTICATED ? 403 : code == DG_QUOTA_EXCEEDED ? 429 : 503;
        json_t *o = json_pack("{s:s}", "message", message);
        char *body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
        char head[256];
        int n;

        json_decref(o);
        if (body == NULL)
                return;
        n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nApi-Version: "
                     "1.41\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n",
                     status,
                     status == 403   ? "Forbidden"
                     : status == 429 ? "Too Many Requests"
                                     : "Service Unavailable",
                     strlen(body));
        if (n > 0 && (size_t)n < sizeof(head)) {
                struct iovec iov[2] = {{head, (size_t)n}, {body, strlen(body)}};
                struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
                (void)sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
        }
        free(body);
}

static void admit_refuse(struct sv *sv, int fd, const char *peer, uid_t uid, int tcp,
                         int docker, enum dg_err code, json_t *details, const char *fmt, ...)
{
        const char *result = dg_err_name(code);
        unsigned char frame[sizeof(((struct admit_kind *)0)->frame)];
        struct admit_kind *k;
        char message[200];
        size_t len = 0;
        char *json;
        va_list ap;

        if (peer == NULL)
                peer = "";
        if (docker) {
                /* The Docker front's peers read HTTP: the engine's error shape. */
                va_start(ap, fmt);
                vsnprintf(message, sizeof(message), fmt, ap);
                va_end(ap);
                admit_refuse_http(fd, code, message);
                json_decref(details);
                close(fd);
                admit_note(sv, peer, uid, tcp, result, message);
                return;
        }
        if ((k = admit_kind_find(sv->admit, peer, uid, tcp, result)) != NULL &&
            k->frame_len > 0) {
                (void)send(fd, k->frame, k->frame_len, MSG_DONTWAIT | MSG_NOSIGNAL);
                close(fd);
                json_decref(details);
                k->more++;
                return;
        }
        va_start(ap, fmt);
        vsnprintf(message, sizeof(message), fmt, ap);
        va_end(ap);
        json = envelope_error("", code, message, details, &len);
        json_decref(details);
        if (json != NULL && FRAME_HDR + len <= sizeof(frame)) {
                frame_put_header(frame, (uint32_t)len);
                memcpy(frame + FRAME_HDR, json, len);
                (void)send(fd, frame, FRAME_HDR + len, MSG_DONTWAIT | MSG_NOSIGNAL);
        } else {
                len = 0;
        }
        free(json);
        close(fd);
        if (k != NULL) {
                k->more++;
        } else if ((k = admit_kind_new(sv, peer, uid, tcp, result, message)) != NULL &&
                   len > 0) {
                memcpy(k->frame, frame, FRAME_HDR + len);
                k->frame_len = FRAME_HDR + len;
        }
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
        /*
         * Kept until admit_free (one per peer name the policy ever had, and
         * "tcp"): the stream bucket must outlive the streams, or closing
         * them all would refill it.
         */
        return ap;
}

/*
 * The peer's bucket of new streams (streamsPerSecondPerPeer, burst twice
 * that): a new stream costs a worker process, milliseconds of CPU, so that
 * a tenant cycling through its quota cannot spend the machine on it.  0 when
 * the stream may go on.
 */
static int admit_rate(struct sv *sv, struct admit_peer *ap)
{
        double rate = sv->cfg.streams_per_second, burst = 2 * rate, dt;
        struct timespec now;

        if (rate <= 0)
                return 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (!ap->primed) {
                ap->tokens = burst;
                ap->primed = 1;
        } else {
                dt = (double)(now.tv_sec - ap->last.tv_sec) +
                     (now.tv_nsec - ap->last.tv_nsec) / 1e9;
                ap->tokens = ap->tokens + dt * rate > burst ? burst : ap->tokens + dt * rate;
        }
        ap->last = now;
        if (ap->tokens < 1)
                return -1;
        ap->tokens -= 1;
        return 0;
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
        admit_refuse(sv, p->fd, p->tcp ? NULL : ap->key, p->uid, p->tcp, p->docker, code, NULL,
                     "%s", message);
        free(p);
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
                       const char *name, uid_t uid, gid_t gid, int tcp, int docker)
{
        w->admit = ap;
        ap->serving++;
        sv->admit->nserving++;
        pool_hand_off(w, fd, tcp ? NULL : name, uid, gid, tcp, docker, NULL);
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
                        int tcp, int docker)
{
        struct admit *a = sv->admit;
        struct pending *p;

        if (sv->npending >= PENDING_MAX) {
                struct admit_peer *big = admit_biggest(a);

                if (big == NULL || big->npending <= ap->npending + 1) {
                        admit_refuse(sv, fd, tcp ? NULL : ap->key, uid, tcp, docker,
                                     DG_UNAVAILABLE, NULL,
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
        p->docker = docker;
        clock_gettime(CLOCK_MONOTONIC, &p->since);
        struct timeval tv = {PENDING_WAIT_S, 0};
        evtimer_add(p->ev_timeout, &tv);
        if (ap->npending++ == 0)
                TAILQ_INSERT_TAIL(&a->rr, ap, rr);
        TAILQ_INSERT_TAIL(&ap->q, p, link);
        sv->npending++;
}

/* --- silent connections: parked without a worker --- */

/*
 * A connection that has sent nothing yet costs no worker: it is parked here
 * (counted against its peer's bounds) until its first byte arrives, and
 * then admitted as if it had just been accepted.  Whether a byte is there
 * is asked of the kernel (FIONREAD): nothing is read.  One that closes, or
 * stays silent for firstCallSeconds, is closed and counted (NO_CALL), so
 * that churn and idle floods spend no process (issue 10 items 3 and 4).
 */
struct parked {
        LIST_ENTRY(parked) link;
        struct sv *sv;
        struct admit_peer *ap;
        int fd;
        uid_t uid;
        gid_t gid;
        int tcp;
        int docker;
        struct event *ev;
};

static void admit_place(struct sv *sv, struct admit_peer *ap, const char *name, int fd,
                        uid_t uid, gid_t gid, int tcp, int docker);

static int admit_waiting_bytes(int fd)
{
        int n = 0;

        return ioctl(fd, FIONREAD, &n) == 0 ? n : 0;
}

static void parked_free(struct parked *k)
{
        LIST_REMOVE(k, link);
        k->ap->nparked--;
        k->sv->admit->nparked--;
        event_free(k->ev);
        free(k);
}

static void parked_fired(evutil_socket_t fd, short what, void *arg)
{
        struct parked *k = arg;
        struct sv *sv = k->sv;
        struct admit_peer *ap = k->ap;
        const struct peer_policy *pp = NULL;

        if ((what & EV_READ) && admit_waiting_bytes(k->fd) > 0) {
                int cfd = k->fd;
                uid_t uid = k->uid;
                gid_t gid = k->gid;
                int tcp = k->tcp;
                int docker = k->docker;

                parked_free(k);
                /* Identity against the policy now in force (a reload may have come). */
                if (!tcp && (pp = policy_by_cred(sv->policy, uid, gid)) == NULL) {
                        admit_refuse(sv, cfd, NULL, uid, 0, docker, DG_UNAUTHENTICATED, NULL,
                                     "uid %u (gid %u) is not known to the policy; ask the "
                                     "operator to map it",
                                     (unsigned)uid, (unsigned)gid);
                        return;
                }
                admit_place(sv, ap, pp != NULL ? pp->name : NULL, cfd, uid, gid, tcp, docker);
                return;
        }
        /* Closed, or silent for firstCallSeconds: it never said anything. */
        admit_note(sv, k->tcp ? "" : ap->key, k->uid, k->tcp, "NO_CALL",
                   (what & EV_READ) ? "a connection closed without making a call"
                                    : "a connection said nothing in its first seconds");
        close(k->fd);
        parked_free(k);
}

static void admit_park(struct sv *sv, struct admit_peer *ap, int fd, uid_t uid, gid_t gid,
                       int tcp, int docker)
{
        struct timeval tv = {(time_t)sv->cfg.first_call, 0};
        struct parked *k = calloc(1, sizeof(*k));

        if (k == NULL ||
            (k->ev = event_new(sv->base, fd, EV_READ | EV_TIMEOUT, parked_fired, k)) == NULL)
                fatal("cannot park a connection");
        k->sv = sv;
        k->ap = ap;
        k->fd = fd;
        k->uid = uid;
        k->gid = gid;
        k->tcp = tcp;
        k->docker = docker;
        ap->nparked++;
        sv->admit->nparked++;
        LIST_INSERT_HEAD(&sv->admit->parked, k, link);
        if (event_add(k->ev, &tv) == -1)
                fatalx("event_add");
}

/* A connection with bytes to read: a worker now, or a place in its peer's queue. */
static void admit_place(struct sv *sv, struct admit_peer *ap, const char *name, int fd,
                        uid_t uid, gid_t gid, int tcp, int docker)
{
        struct worker *w;

        if (TAILQ_EMPTY(&sv->admit->rr) && (w = pool_take(sv)) != NULL)
                admit_hand(sv, w, ap, fd, name, uid, gid, tcp, docker);
        else
                admit_queue(sv, ap, fd, uid, gid, tcp, docker);
}

void admit_peer(struct sv *sv, int fd, uid_t uid, gid_t gid, int tcp, int docker)
{
        struct admit *a = sv->admit;
        const struct peer_policy *pp = NULL;
        struct admit_peer *ap;
        int held, share = sv->cfg.max_workers_per_peer;

        if (sv->shutting_down) {
                admit_refuse(sv, fd, NULL, uid, tcp, docker, DG_UNAVAILABLE, NULL,
                             "server shutting down");
                return;
        }
        if (!tcp && (pp = policy_by_cred(sv->policy, uid, gid)) == NULL) {
                admit_refuse(sv, fd, NULL, uid, 0, docker, DG_UNAUTHENTICATED, NULL,
                             "uid %u (gid %u) is not known to the policy; ask the operator "
                             "to map it",
                             (unsigned)uid, (unsigned)gid);
                return;
        }
        ap = admit_peer_get(a, pp != NULL ? pp->name : ADMIT_TCP_KEY);
        held = ap->serving + ap->npending + ap->nparked;
        if (pp != NULL && pp->quotas.streams > 0 &&
            (held >= pp->quotas.streams ||
             pool_streams(sv, pp->name, NULL) + ap->npending + ap->nparked >=
                 pp->quotas.streams)) {
                admit_refuse(sv, fd, pp->name, uid, 0, docker, DG_QUOTA_EXCEEDED,
                             json_pack("{s:s,s:I}", "quota", "streams", "limit",
                                       (json_int_t)pp->quotas.streams),
                             "quota streams: peer %s has %lld concurrent streams open "
                             "already; close one and retry",
                             pp->name, (long long)pp->quotas.streams);
        } else if (admit_rate(sv, ap) < 0) {
                admit_refuse(sv, fd, pp != NULL ? pp->name : NULL, uid, tcp, docker,
                             DG_UNAVAILABLE, NULL,
                             "%s %s opens streams faster than %u a second; retry in a moment",
                             tcp ? "the TCP listener" : "peer", pp != NULL ? pp->name : "",
                             (unsigned)sv->cfg.streams_per_second);
        } else if (held >= share) {
                admit_refuse(sv, fd, pp != NULL ? pp->name : NULL, uid, tcp, docker,
                             DG_UNAVAILABLE, NULL,
                             "%s %s holds its share of %d workers; close a stream and "
                             "retry",
                             tcp ? "the TCP listener" : "peer", pp != NULL ? pp->name : "",
                             share);
        } else if (a->nserving + sv->npending + a->nparked >= sv->cfg.max_workers) {
                admit_refuse(sv, fd, pp != NULL ? pp->name : NULL, uid, tcp, docker,
                             DG_UNAVAILABLE, NULL,
                             "server at capacity: %d streams served or waiting; try "
                             "again",
                             sv->cfg.max_workers);
        } else if (admit_waiting_bytes(fd) == 0) {
                admit_park(sv, ap, fd, uid, gid, tcp, docker);
        } else {
                admit_place(sv, ap, pp != NULL ? pp->name : NULL, fd, uid, gid, tcp, docker);
        }
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
                        admit_refuse(sv, p->fd, NULL, p->uid, 0, p->docker, DG_UNAUTHENTICATED,
                                     NULL,
                                     "uid %u (gid %u) is not known to the policy; ask the "
                                     "operator to map it",
                                     (unsigned)p->uid, (unsigned)p->gid);
                else
                        admit_hand(sv, w, ap, p->fd, pp != NULL ? pp->name : NULL, p->uid,
                                   p->gid, p->tcp, p->docker);
                free(p);
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
        LIST_INIT(&a->parked);
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
        while (!LIST_EMPTY(&a->parked)) {
                struct parked *k = LIST_FIRST(&a->parked);
                admit_refuse(sv, k->fd, k->tcp ? NULL : k->ap->key, k->uid, k->tcp, k->docker,
                             DG_UNAVAILABLE, NULL, "server shutting down");
                parked_free(k);
        }
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
