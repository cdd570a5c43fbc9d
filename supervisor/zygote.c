/*
 * zygote.c - starting, using, retiring and replacing the fork server
 * (zygote.h; the zygote itself is worker/zygote.c).
 *
 * Each zygote has its control socket and the queue of requests it has not
 * answered yet; it answers in order.  A retired zygote gets no more
 * requests; its control socket is closed (which ends it) once its queue is
 * empty.  A zygote lost (socket closed, bad reply, died) takes its queue
 * with it: those workers are dropped (a child already made then sees its
 * channel closed and exits) and the pool spawns others.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "fdpass.h"
#include "log.h"
#include "pool.h"
#include "spawn.h"
#include "zygote.h"
#include "zygote_msg.h"

#define ZYGOTE_RESTART_MS 1000 /* at most one new zygote a second (after a loss) */
#define ZYGOTE_HELLO_S 10      /* a zygote not ready by then is killed */

struct zpend {
        TAILQ_ENTRY(zpend) link;
        struct worker *w; /* NULL once forgotten: its child is killed when it comes */
};

struct zygote {
        TAILQ_ENTRY(zygote) link;
        struct zygotes *zs;
        pid_t pid;
        int ctl; /* -1 once closed */
        struct event *ev;
        int ready;         /* said hello */
        int retiring;      /* no more requests */
        uint32_t seq;      /* last request sent */
        uint32_t answered; /* last request answered */
        unsigned forks;
        struct timespec started;
        TAILQ_HEAD(, zpend) pending;
};

struct zygotes {
        struct sv *sv;
        TAILQ_HEAD(, zygote) all; /* not yet reaped */
        struct zygote *cur;       /* the one asked, or NULL */
        struct zygote *next;      /* started to take over from cur, or NULL */
        struct event *ev_restart;
        struct timespec last_start;
        struct zygote_stats st;
};

static double since(const struct timespec *t)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)(now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

static void zy_read(evutil_socket_t fd, short what, void *arg);
static void zy_schedule(struct zygotes *zs);

static void zy_start(struct zygotes *zs)
{
        struct sv *sv = zs->sv;
        int sp[2];

        clock_gettime(CLOCK_MONOTONIC, &zs->last_start);
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
                log_warn("zygote: socketpair");
                zy_schedule(zs);
                return;
        }
        pid_t pid = spawn_worker(sv, sp[1], 1);
        close(sp[1]);
        if (pid < 0) {
                log_warn("zygote: spawning %s", sv->cfg.worker_path);
                close(sp[0]);
                zy_schedule(zs);
                return;
        }
        struct zygote *z = calloc(1, sizeof(*z));
        if (z == NULL)
                fatal("calloc");
        z->zs = zs;
        z->pid = pid;
        z->ctl = sp[0];
        z->started = zs->last_start;
        TAILQ_INIT(&z->pending);
        evutil_make_socket_nonblocking(z->ctl);
        if ((z->ev = event_new(sv->base, z->ctl, EV_READ | EV_PERSIST, zy_read, z)) == NULL)
                fatalx("event_new failed");
        event_add(z->ev, NULL);
        TAILQ_INSERT_TAIL(&zs->all, z, link);
        zs->st.started++;
        zs->next = z; /* it takes over once it said hello (zy_promote) */
        log_info("zygote %d started", (int)pid);
}

static void restart_fired(evutil_socket_t fd, short what, void *arg)
{
        struct zygotes *zs = arg;
        if (zs->cur == NULL && zs->next == NULL && !zs->sv->shutting_down)
                zy_start(zs);
}

/* The next zygote serves once it is ready and the current one is gone. */
static void zy_promote(struct zygotes *zs)
{
        if (zs->cur == NULL && zs->next != NULL && zs->next->ready && zs->next->ctl >= 0) {
                zs->cur = zs->next;
                zs->next = NULL;
        }
}

/* A new zygote now, or when a second has passed since the last one was started. */
static void zy_schedule(struct zygotes *zs)
{
        if (zs->sv->shutting_down || zs->cur != NULL || zs->next != NULL ||
            evtimer_pending(zs->ev_restart, NULL))
                return;
        double ms = since(&zs->last_start) * 1000;
        long wait = ms >= ZYGOTE_RESTART_MS ? 0 : (long)(ZYGOTE_RESTART_MS - ms) + 1;
        struct timeval tv = {wait / 1000, (wait % 1000) * 1000};
        evtimer_add(zs->ev_restart, &tv);
}

static void zy_close(struct zygote *z)
{
        if (z->ctl < 0)
                return;
        event_del(z->ev);
        close(z->ctl);
        z->ctl = -1;
}

/* No more requests; ended once it has answered the ones it has. */
static void zy_retire(struct zygote *z, const char *why)
{
        struct zygotes *zs = z->zs;

        if (!z->retiring)
                log_info("zygote %d retired after %u forks: %s", (int)z->pid, z->forks, why);
        z->retiring = 1;
        if (TAILQ_EMPTY(&z->pending))
                zy_close(z);
        if (zs->next == z)
                zs->next = NULL;
        if (zs->cur == z) {
                zs->cur = NULL;
                zy_promote(zs);
        }
        zy_schedule(zs);
}

/* Gone or not to be trusted: its unanswered requests fail, the process is killed. */
static void zy_lost(struct zygote *z, const char *why)
{
        struct zygotes *zs = z->zs;
        struct zpend *p;

        if (z->ctl >= 0 || !z->retiring) {
                log_warnx("zygote %d lost after %u forks: %s; spawning workers until a new "
                          "one is ready",
                          (int)z->pid, z->forks, why);
                zs->st.lost++;
        }
        z->retiring = 1;
        zy_close(z);
        if (z->pid > 0)
                kill(z->pid, SIGKILL); /* ours until reaped: the pid is not reused */
        if (zs->cur == z)
                zs->cur = NULL;
        if (zs->next == z)
                zs->next = NULL;
        zy_promote(zs);
        while ((p = TAILQ_FIRST(&z->pending)) != NULL) {
                TAILQ_REMOVE(&z->pending, p, link);
                if (p->w != NULL) {
                        p->w->zpend = NULL;
                        pool_fork_failed(p->w);
                }
                free(p);
        }
        zy_schedule(zs);
}

static void zy_reply(struct zygote *z, const struct zygote_rep *rep)
{
        char why[96];

        if (!z->ready) {
                if (rep->seq != 0 || rep->pid != z->pid || rep->err != 0) {
                        zy_lost(z, "a wrong hello");
                        return;
                }
                z->ready = 1;
                log_info("zygote %d ready", (int)z->pid);
                zy_promote(z->zs);
                return;
        }
        struct zpend *p = TAILQ_FIRST(&z->pending);
        if (p == NULL || rep->seq != z->answered + 1) {
                zy_lost(z, "a reply to no request");
                return;
        }
        TAILQ_REMOVE(&z->pending, p, link);
        z->answered = rep->seq;
        struct worker *w = p->w;
        free(p);
        if (w != NULL)
                w->zpend = NULL;
        if (rep->pid <= 0 || rep->err != 0) {
                /* EAGAIN (RLIMIT_NPROC, pids.max) would fail again: spawn for a while. */
                if (w != NULL)
                        pool_fork_failed(w);
                snprintf(why, sizeof(why), "it could not fork: %s", strerror(rep->err));
                zy_lost(z, why);
                return;
        } else if (w == NULL) {
                /* Forgotten meanwhile (shutdown): its pid must still be a child of ours. */
                siginfo_t si;
                memset(&si, 0, sizeof(si));
                if (waitid(P_PID, rep->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0)
                        kill(rep->pid, SIGKILL);
        } else if (pool_forked(w, rep->pid) < 0) {
                pool_fork_failed(w);
                snprintf(why, sizeof(why), "reported pid %d, not a new child", (int)rep->pid);
                zy_lost(z, why);
                return;
        } else {
                z->zs->st.forks++;
        }
        if (z->retiring && TAILQ_EMPTY(&z->pending))
                zy_close(z);
}

static void zy_read(evutil_socket_t fd, short what, void *arg)
{
        struct zygote *z = arg;

        for (int i = 0; i < 64 && z->ctl >= 0; i++) {
                struct zygote_rep rep;
                void *buf;
                size_t len;
                int pfd;
                int rc = fdpass_recv(z->ctl, sizeof(rep), &buf, &len, &pfd);
                if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return;
                if (rc <= 0) {
                        zy_lost(z, rc == 0 ? "it closed its control socket"
                                           : "an unreadable reply");
                        return;
                }
                /* SECURITY: exactly one fixed-size reply, and never a descriptor. */
                if (pfd >= 0)
                        close(pfd);
                if (pfd >= 0 || len != sizeof(rep)) {
                        free(buf);
                        zy_lost(z, "a malformed reply");
                        return;
                }
                memcpy(&rep, buf, sizeof(rep));
                free(buf);
                if (rep.magic != ZYGOTE_MAGIC) {
                        zy_lost(z, "a malformed reply");
                        return;
                }
                zy_reply(z, &rep);
        }
}

void zygote_init(struct sv *sv)
{
        struct zygotes *zs;

        if (!sv->cfg.zygote || sv->zygotes != NULL)
                return;
        if ((zs = calloc(1, sizeof(*zs))) == NULL)
                fatal("calloc");
        zs->sv = sv;
        TAILQ_INIT(&zs->all);
        if ((zs->ev_restart = evtimer_new(sv->base, restart_fired, zs)) == NULL)
                fatalx("evtimer_new failed");
        sv->zygotes = zs;
        zy_start(zs);
}

static int zy_fork(struct zygotes *zs, struct worker *w, int chan);

int zygote_fork(struct sv *sv, struct worker *w, int chan)
{
        struct zygotes *zs = sv->zygotes;

        if (zs == NULL)
                return -1;
        if (zy_fork(zs, w, chan) == 0)
                return 0;
        zs->st.spawned++; /* the pool spawns this one */
        return -1;
}

static int zy_fork(struct zygotes *zs, struct worker *w, int chan)
{
        struct sv *sv = zs->sv;
        struct zygote *z;
        char why[64];

        /* SECURITY: one that hangs before its hello must not keep others from starting. */
        if (zs->next != NULL && !zs->next->ready && since(&zs->next->started) >= ZYGOTE_HELLO_S)
                zy_lost(zs->next, "no hello in time");
        zy_promote(zs);
        if ((z = zs->cur) == NULL || !z->ready || z->ctl < 0)
                return -1;
        double age = since(&z->started);
        if (age >= sv->cfg.zygote_seconds) {
                snprintf(why, sizeof(why), "%u seconds old", (unsigned)sv->cfg.zygote_seconds);
                zs->st.rotated++;
                zy_retire(z, why);
                if ((z = zs->cur) == NULL)
                        return -1; /* none ready to take over: spawned meanwhile */
                age = since(&z->started);
        }
        struct zygote_req req = {.magic = ZYGOTE_MAGIC, .seq = z->seq + 1};
        /* SECURITY: each child's own canary (SECURITY.md, "Zygote"); none, no fork. */
        if (getrandom(&req.canary, sizeof(req.canary), GRND_NONBLOCK) != sizeof(req.canary))
                return -1;
        if (fdpass_send(z->ctl, &req, sizeof(req), chan) < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK)
                        zy_lost(z, "its control socket failed");
                return -1; /* full: this one is spawned, the zygote catches up */
        }
        struct zpend *p = calloc(1, sizeof(*p));
        if (p == NULL)
                fatal("calloc");
        p->w = w;
        w->zpend = p;
        TAILQ_INSERT_TAIL(&z->pending, p, link);
        z->seq = req.seq;
        if (++z->forks >= sv->cfg.zygote_forks) {
                snprintf(why, sizeof(why), "%u forks", (unsigned)sv->cfg.zygote_forks);
                zs->st.rotated++;
                zy_retire(z, why);
        } else if (zs->next == NULL &&
                   (z->forks >= sv->cfg.zygote_forks - sv->cfg.zygote_forks / 4 ||
                    age >= sv->cfg.zygote_seconds * 0.75)) {
                /* Planned: its successor starts now, so that it is ready when it retires. */
                zy_start(zs);
        }
        return 0;
}

void zygote_forget(struct worker *w)
{
        if (w->zpend != NULL) {
                w->zpend->w = NULL;
                w->zpend = NULL;
        }
}

int zygote_reaped(struct sv *sv, pid_t pid, int status)
{
        struct zygotes *zs = sv->zygotes;
        struct zygote *z;

        if (zs == NULL)
                return 0;
        TAILQ_FOREACH(z, &zs->all, link)
        if (z->pid == pid)
                break;
        if (z == NULL)
                return 0;
        z->pid = 0; /* reaped: never signalled again */
        if (WIFSIGNALED(status))
                log_warnx("zygote %d killed by signal %d", (int)pid, WTERMSIG(status));
        else if (WEXITSTATUS(status) != 0)
                log_warnx("zygote %d exited with status %d", (int)pid, WEXITSTATUS(status));
        else
                log_info("zygote %d exited", (int)pid);
        if (z->ctl >= 0 || !TAILQ_EMPTY(&z->pending) || zs->cur == z || zs->next == z)
                zy_lost(z, "it died");
        TAILQ_REMOVE(&zs->all, z, link);
        event_free(z->ev);
        free(z);
        return 1;
}

void zygote_signalled(struct sv *sv, pid_t pid, int sig)
{
        struct zygotes *zs = sv->zygotes;
        char why[64];

        if (zs == NULL || zs->cur == NULL)
                return;
        /* SECURITY: what a probe of the shared layout or canary looks like (SECURITY.md). */
        snprintf(why, sizeof(why), "worker %d died by signal %d", (int)pid, sig);
        zs->st.signalled++;
        zy_retire(zs->cur, why);
}

void zygote_stats(const struct sv *sv, struct zygote_stats *st)
{
        if (sv->zygotes != NULL)
                *st = sv->zygotes->st;
        else
                memset(st, 0, sizeof(*st));
}

void zygote_shutdown(struct sv *sv)
{
        struct zygotes *zs = sv->zygotes;
        struct zygote *z;

        if (zs == NULL)
                return;
        while ((z = TAILQ_FIRST(&zs->all)) != NULL) {
                struct zpend *p;
                TAILQ_REMOVE(&zs->all, z, link);
                zy_close(z);
                while ((p = TAILQ_FIRST(&z->pending)) != NULL) {
                        TAILQ_REMOVE(&z->pending, p, link);
                        if (p->w != NULL)
                                p->w->zpend = NULL;
                        free(p);
                }
                if (z->pid > 0) {
                        kill(z->pid, SIGKILL);
                        waitpid(z->pid, NULL, 0);
                }
                event_free(z->ev);
                free(z);
        }
        event_free(zs->ev_restart);
        free(zs);
        sv->zygotes = NULL;
}
