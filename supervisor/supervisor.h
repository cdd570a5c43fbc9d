/*
 * supervisor.h - the one context of dockgated, owned by main.c and passed
 * to every module (no per-peer state lives in file-scope globals).
 */
#ifndef DG_SUPERVISOR_H
#define DG_SUPERVISOR_H

#include <event2/event.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "config.h"
#include "engine.h"
#include "policy.h"

#define DG_VERSION "0.1.0"

struct worker;
struct admit;
struct wlog;
struct quota;
struct rate;
struct audit;
struct account;
struct sampler;
struct admin;
struct inflight;
struct broker_ops;
struct pool_up;
struct lease;
struct exectab;
struct zygotes;
struct evrelays;
struct buildtab;

#define UNCLAIMED_MAX 32

struct sv {
        struct event_base *base;
        struct config cfg;
        struct policy *policy; /* replaced whole on SIGHUP */
        struct engine *engine;
        struct engine_profile *profile; /* which engine answers, and its choices (profile.h) */
        const struct broker_ops *ops;   /* every operation's handler (ops.c), for the broker */
        const struct pool_up *up; /* the broker and audit records, for the pool (pool_up.h) */
        uid_t worker_uid;
        gid_t worker_gid;

        TAILQ_HEAD(, worker) workers; /* every worker not yet reaped */
        int nready;                   /* sandboxed, in the pool */
        int nspawning;                /* started, not yet ready */
        struct event *ev_refill;      /* tops the pool up off the hand-off path (pool.c) */
        struct zygotes *zygotes;      /* the fork server (zygote.h), or NULL */
        struct {
                pid_t pid;
                int status;
        } unclaimed[UNCLAIMED_MAX]; /* exits reaped before a zygote named the pid */
        unsigned nunclaimed;

        int listen_fd;
        int tcp_fd;                     /* the TCP listener (config "tcp"), or -1 */
        struct event *ev_tcp_accept;    /* its accept event, or NULL */
        int docker_fd;                  /* the Docker-API front's listener, or -1 */
        struct event *ev_docker_accept; /* its accept event, or NULL */
        struct quota *quota;            /* per-peer quota holds (quota.h) */
        struct rate *rate;              /* per-peer call rate buckets (rate.h) */
        struct inflight *inflight;      /* per-peer calls in flight (opencall.c) */
        struct event *ev_accept;
        struct event *ev_accept_resume; /* re-arms accept after EMFILE */
        struct admit *admit;            /* who gets a worker, decided at accept (admit.h) */
        int npending;                   /* accepted peers waiting for a worker */

        struct wlog *wlog; /* workers' stderr, relayed to our log */
        int wlog_fd;       /* its write end: every worker's fd 2 */

        struct audit *audit;       /* NULL: no audit log (audit.h) */
        struct account *account;   /* per-peer accounting (account.h) */
        struct sampler *sampler;   /* engine sampling for accounting */
        struct admin *admin;       /* the admin socket, or NULL */
        struct lease *lease;       /* the lease reaper (lease.h) */
        struct exectab *execs;     /* the exec instances peers made (exectab.h) */
        struct buildtab *builds;   /* the builds each peer has running (buildtab.h) */
        struct evrelays *evrelays; /* non-admin peers' event streams (evrelay.h) */

        int shutting_down;
};

#endif
