/*
 * pool.c - spawning, pooling, talking to and reaping workers.  The state
 * table that says what a worker may send when is pool_state.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "account.h"
#include "admit.h"
#include "audit.h"
#include "auditrec.h"
#include "broker.h"
#include "fdpass.h"
#include "log.h"
#include "pool.h"
#include "spawn.h"
#include "zygote.h"

#define SPAWN_DEADLINE_S 10 /* a worker that cannot sandbox itself in time is killed */
#define DYING_GRACE_S 2     /* a worker that hung up gets this long to exit */
#define OUTQ_MAX (64u << 20)
#define CHAN_SNDBUF (18 << 20) /* results may carry a 16 MiB frame */
#define WORKER_SNDBUF (4 << 20)
/*
 * Spawning (fork, then the child's exec and sandboxing: milliseconds of
 * CPU) is kept off the path of the stream just handed over: the pool is
 * topped up REFILL_DELAY_US later, REFILL_BATCH workers per turn of the
 * loop, at once only when it runs low.
 */
#define REFILL_DELAY_US 2000
#define REFILL_BATCH 4

static void chan_read(evutil_socket_t fd, short what, void *arg);
static void chan_write(evutil_socket_t fd, short what, void *arg);
static void deadline_fired(evutil_socket_t fd, short what, void *arg);

static void arm_deadline(struct worker *w, time_t seconds)
{
        struct timeval tv = {.tv_sec = seconds, .tv_usec = 0};
        evtimer_add(w->ev_deadline, &tv);
}

/* Signals w's process, if we know it (a zygote's worker has no pid until its reply). */
static void worker_signal(struct worker *w, int sig)
{
        if (w->pid > 0)
                kill(w->pid, sig);
}

static struct worker *spawn(struct sv *sv)
{
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
                log_warn("socketpair");
                return NULL;
        }
        int big = CHAN_SNDBUF, small = WORKER_SNDBUF;
        /* Root may exceed wmem_max; if not root, the default still works for small calls. */
        if (setsockopt(sp[0], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) < 0)
                setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
        if (setsockopt(sp[1], SOL_SOCKET, SO_SNDBUFFORCE, &small, sizeof(small)) < 0)
                setsockopt(sp[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));

        struct worker *w = calloc(1, sizeof(*w));
        if (w == NULL)
                fatal("calloc");
        w->sv = sv;
        w->chan = sp[0];
        /*
         * The fast path: the zygote forks it (zygote.h) and our loop does not
         * wait.  Its channel is read once its pid is known (pool_forked).
         */
        int forked = zygote_fork(sv, w, sp[1]) == 0;
        pid_t pid = forked ? 0 : spawn_worker(sv, sp[1], 0);
        close(sp[1]);
        if (pid < 0) {
                log_warn("spawning %s", sv->cfg.worker_path);
                close(sp[0]);
                free(w);
                return NULL;
        }
        w->pid = pid;
        w->forked = forked;
        w->state = W_SPAWNED;
        TAILQ_INIT(&w->outq);
        TAILQ_INIT(&w->calls);
        clock_gettime(CLOCK_MONOTONIC, &w->started);
        evutil_make_socket_nonblocking(w->chan);
        w->ev_read = event_new(sv->base, w->chan, EV_READ | EV_PERSIST, chan_read, w);
        w->ev_write = event_new(sv->base, w->chan, EV_WRITE, chan_write, w);
        w->ev_deadline = evtimer_new(sv->base, deadline_fired, w);
        if (w->ev_read == NULL || w->ev_write == NULL || w->ev_deadline == NULL)
                fatalx("event_new failed");
        if (!forked)
                event_add(w->ev_read, NULL);
        arm_deadline(w, SPAWN_DEADLINE_S);
        TAILQ_INSERT_TAIL(&sv->workers, w, link);
        sv->nspawning++;
        if (!forked)
                log_debug("worker %d spawned", (int)pid);
        return w;
}

void pool_init(struct sv *sv)
{
        TAILQ_INIT(&sv->workers);
        sv->nready = sv->nspawning = 0;
}

/* Spawns up to most workers, short of the pool size; -1 when spawning fails. */
static int top_up(struct sv *sv, int most)
{
        for (int i = 0;
             i < most && !sv->shutting_down && sv->nready + sv->nspawning < sv->cfg.pool_size;
             i++)
                if (spawn(sv) == NULL)
                        return -1; /* retried at the next reap or hand-off */
        return 0;
}

void pool_fill(struct sv *sv)
{
        zygote_init(sv); /* the first fill spawns: the zygote is not ready yet */
        top_up(sv, sv->cfg.pool_size);
}

static void refill_fired(evutil_socket_t fd, short what, void *arg);

/* pool_fill(), soon: see REFILL_DELAY_US. */
static void pool_refill(struct sv *sv)
{
        int urgent = sv->nready <= sv->cfg.pool_size / 4 || sv->npending > 0;
        struct timeval tv = {0, urgent ? 0 : REFILL_DELAY_US};

        if (sv->shutting_down || sv->nready + sv->nspawning >= sv->cfg.pool_size)
                return;
        if (sv->ev_refill == NULL &&
            (sv->ev_refill = evtimer_new(sv->base, refill_fired, sv)) == NULL) {
                pool_fill(sv);
                return;
        }
        if (urgent || !evtimer_pending(sv->ev_refill, NULL))
                evtimer_add(sv->ev_refill, &tv);
}

static void refill_fired(evutil_socket_t fd, short what, void *arg)
{
        struct sv *sv = arg;

        if (top_up(sv, REFILL_BATCH) == 0)
                pool_refill(sv);
}

/* The ready workers are the head of the list (set_state). */
struct worker *pool_take(struct sv *sv)
{
        struct worker *w = TAILQ_FIRST(&sv->workers);
        return w != NULL && w->state == W_READY ? w : NULL;
}

int pool_streams(const struct sv *sv, const char *peer, const struct worker *except)
{
        const struct worker *w;
        int n = 0;

        TAILQ_FOREACH(w, &sv->workers, link)
        {
                if (w != except && w->state == W_SERVING && !w->refused &&
                    strcmp(w->peer, peer) == 0)
                        n++;
        }
        return n;
}

int pool_count(const struct sv *sv, enum worker_state st)
{
        int n = 0;
        const struct worker *w;
        TAILQ_FOREACH(w, &sv->workers, link)
        if (w->state == st)
                n++;
        return n;
}

/* Drops a worker's channel; the process itself is reaped by pool_reap(). */
static void chan_close(struct worker *w)
{
        struct outmsg *om;
        struct opencall *oc;
        while ((oc = TAILQ_FIRST(&w->calls)) != NULL) {
                if (oc->call != NULL)
                        broker_cancel(oc->call); /* clears oc->call */
                /* The call ends with its channel, without the worker's MSG_CALL_END. */
                const char *res =
                    oc->cancelled || w->sv->shutting_down ? "ABORTED" : "INTERNAL";
                auditrec_end(oc, res, 0, 0, 0);
                account_call_end(w->sv->account, oc->peer, oc->op, res, 0, 0);
                opencall_free(oc);
        }
        while ((om = TAILQ_FIRST(&w->outq)) != NULL) {
                TAILQ_REMOVE(&w->outq, om, link);
                if (om->fd >= 0)
                        close(om->fd);
                free(om->buf);
                free(om);
        }
        w->outq_bytes = 0;
        if (w->chan >= 0) {
                event_del(w->ev_read);
                event_del(w->ev_write);
                close(w->chan);
                w->chan = -1;
        }
}

void pool_kill(struct worker *w, const char *reason)
{
        if (reason != NULL)
                log_warnx("worker %d (peer %s): %s; killing it", (int)w->pid,
                          w->peer[0] ? w->peer : "-", reason);
        if (w->state != W_DYING) {
                if (reason != NULL)
                        auditrec_worker(w, "killed", reason);
                pool_set_state(w, W_DYING);
                w->killed = 1;
                worker_signal(w, SIGKILL);
        }
        chan_close(w);
        pool_refill(w->sv);
}

static void deadline_fired(evutil_socket_t fd, short what, void *arg)
{
        struct worker *w = arg;
        switch (w->state) {
        case W_SPAWNED:
                pool_kill(w, "not ready in time");
                break;
        case W_SERVING:
                pool_kill(w, "lifetime exceeded");
                break;
        case W_DYING:
                w->killed = 1;
                worker_signal(w, SIGKILL);
                break;
        case W_READY:
                break;
        }
}

/* The worker hung up: give it a moment to exit on its own. */
static void chan_eof(struct worker *w)
{
        if (w->state != W_DYING) {
                pool_set_state(w, W_DYING);
                arm_deadline(w, DYING_GRACE_S);
        }
        chan_close(w);
        pool_refill(w->sv);
}

int pool_send(struct worker *w, const struct msg *m, int fd)
{
        return pool_send_held(w, m, fd, 0);
}

int pool_send_held(struct worker *w, const struct msg *m, int fd, uint64_t ticket)
{
        char *buf;
        size_t len;
        if (w->chan < 0 || w->state == W_DYING) {
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        /* The encoder checks the fd against the type's schema; it stays ours. */
        struct msg withfd = *m;
        withfd.fd = fd;
        if (msg_encode(&withfd, &buf, &len) < 0) {
                log_warnx("worker %d: cannot encode %s", (int)w->pid, msg_type_name(m->type));
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        if (w->outq_bytes + len > OUTQ_MAX) {
                free(buf);
                if (fd >= 0)
                        close(fd);
                pool_kill(w, "not reading its channel");
                return -1;
        }
        struct outmsg *om = calloc(1, sizeof(*om));
        if (om == NULL)
                fatal("calloc");
        om->buf = buf;
        om->len = len;
        om->fd = fd;
        om->ticket = ticket > audit_durable(w->sv->audit) ? ticket : 0;
        int was_empty = TAILQ_EMPTY(&w->outq);
        TAILQ_INSERT_TAIL(&w->outq, om, link);
        w->outq_bytes += len;
        /*
         * Arm the write event only while something is queued.  A message
         * alone in the queue is written as soon as the current callback
         * returns, without a round through epoll (the channel is almost
         * always writable): hand-offs and answers are latency.
         */
        if (was_empty && om->ticket == 0)
                event_active(w->ev_write, EV_WRITE, 1);
        else
                event_add(w->ev_write, NULL);
        return 0;
}

static void chan_write(evutil_socket_t fd, short what, void *arg)
{
        struct worker *w = arg;
        struct outmsg *om;
        while ((om = TAILQ_FIRST(&w->outq)) != NULL) {
                /* Invariant 7: held until its audit record is durable (pool_release). */
                if (om->ticket > audit_durable(w->sv->audit))
                        return;
                if (fdpass_send(w->chan, om->buf, om->len, om->fd) < 0) {
                        if (errno == EAGAIN || errno == EWOULDBLOCK) {
                                event_add(w->ev_write, NULL);
                                return;
                        }
                        log_warn("worker %d: send", (int)w->pid);
                        chan_eof(w);
                        return;
                }
                TAILQ_REMOVE(&w->outq, om, link);
                w->outq_bytes -= om->len;
                if (om->fd >= 0)
                        close(om->fd);
                free(om->buf);
                free(om);
        }
}

int pool_hand_off(struct worker *w, int peer_fd, const char *peer, uid_t uid, gid_t gid,
                  int tcp, int docker, const char *refusal)
{
        struct sv *sv = w->sv;
        struct msg m;
        if (tcp)
                peer = NULL; /* named by each call's token */
        msg_init(&m, MSG_PEER);
        snprintf(m.peer, sizeof(m.peer), "%s", peer != NULL ? peer : "");
        m.uid = uid;
        m.gid = gid;
        m.authenticated = peer != NULL;
        m.max_frame = sv->cfg.max_frame;
        m.idle_timeout = sv->cfg.worker_idle;
        m.max_calls = sv->cfg.max_calls_stream;
        m.first_call = sv->cfg.first_call;
        snprintf(m.transport, sizeof(m.transport), "%s", tcp ? "tcp" : "unix");
        snprintf(m.refusal, sizeof(m.refusal), "%s", refusal != NULL ? refusal : "");
        snprintf(m.front, sizeof(m.front), "%s", docker ? "docker" : "native");
        w->docker = docker;
        snprintf(w->peer, sizeof(w->peer), "%s", peer != NULL ? peer : "");
        w->peer_uid = uid;
        w->peer_gid = gid;
        w->tcp = tcp;
        w->refused = refusal != NULL;
        pool_set_state(w, W_SERVING);
        evtimer_del(w->ev_deadline);
        arm_deadline(w, sv->cfg.worker_lifetime);
        int rc = pool_send(w, &m, peer_fd);
        msg_clear(&m);
        /* A worker that did not get its peer would serve nobody until its lifetime ends. */
        if (rc < 0 && w->state != W_DYING)
                pool_kill(w, "peer not handed over");
        else if (rc == 0 && tcp)
                log_info("worker %d serving a TCP peer (identified per call)", (int)w->pid);
        else if (rc == 0)
                log_info("worker %d serving peer %s (uid %u)%s%s", (int)w->pid,
                         peer != NULL ? peer : "(unknown)", (unsigned)uid,
                         refusal != NULL ? ", refused: " : "", refusal != NULL ? refusal : "");
        pool_refill(sv);
        return rc;
}

static void chan_read(evutil_socket_t fd, short what, void *arg)
{
        struct worker *w = arg;
        /* A worker's messages are at most a peer frame plus the message's own keys. */
        size_t max = (size_t)w->sv->cfg.max_frame + 65536;
        for (int i = 0; i < 16 && w->chan >= 0; i++) {
                void *buf;
                size_t len;
                int pfd;
                int rc = fdpass_recv(w->chan, max, &buf, &len, &pfd);
                if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return;
                if (rc < 0) {
                        pool_kill(w, errno == EMSGSIZE ? "message too large"
                                                       : "unreadable message");
                        return;
                }
                if (rc == 0) {
                        chan_eof(w);
                        return;
                }
                struct msg m;
                char err[256];
                /* SECURITY: no worker message carries an fd; msg_decode refuses one. */
                if (msg_decode(buf, len, pfd, &m, err, sizeof(err)) < 0) {
                        free(buf);
                        pool_kill(w, err);
                        return;
                }
                free(buf);
                if (pool_state_dispatch(w, &m, err, sizeof(err)) < 0)
                        pool_kill(w, err);
                msg_clear(&m);
        }
}

static struct worker *find_pid(struct sv *sv, pid_t pid)
{
        struct worker *w;
        TAILQ_FOREACH(w, &sv->workers, link)
        if (w->pid == pid)
                return w;
        return NULL;
}

static void worker_free(struct worker *w)
{
        zygote_forget(w);
        chan_close(w);
        TAILQ_REMOVE(&w->sv->workers, w, link);
        event_free(w->ev_read);
        event_free(w->ev_write);
        event_free(w->ev_deadline);
        free(w);
}

static void log_exit(const struct worker *w, int status)
{
        const char *peer = w->peer[0] ? w->peer : "-";
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
                log_warnx("worker %d killed by SIGSYS (sandbox violation), peer %s",
                          (int)w->pid, peer);
        else if (WIFSIGNALED(status))
                log_info("worker %d killed by signal %d, peer %s", (int)w->pid,
                         WTERMSIG(status), peer);
        else if (WEXITSTATUS(status) != 0)
                log_warnx("worker %d exited with status %d, peer %s", (int)w->pid,
                          WEXITSTATUS(status), peer);
        else
                log_debug("worker %d exited, peer %s", (int)w->pid, peer);
}

/* Invariant 1 and STYLE 12: a violation or a crash is audited, naming peer and call. */
static void audit_exit(struct worker *w, int status)
{
        char detail[64];

        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
                auditrec_worker(w, "sandbox-violation", "killed by SIGSYS");
        } else if (WIFSIGNALED(status) && !w->killed) {
                snprintf(detail, sizeof(detail), "killed by signal %d", WTERMSIG(status));
                auditrec_worker(w, "crash", detail);
        } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
                snprintf(detail, sizeof(detail), "exited with status %d", WEXITSTATUS(status));
                auditrec_worker(w, "crash", detail);
        }
}

/* The audit log is durable further: wake the workers whose next message it held. */
void pool_release(void *arg)
{
        struct sv *sv = arg;
        struct worker *w;
        TAILQ_FOREACH(w, &sv->workers, link)
        {
                struct outmsg *om = TAILQ_FIRST(&w->outq);
                if (om != NULL && om->ticket != 0 && w->chan >= 0)
                        event_add(w->ev_write, NULL);
        }
}

static void worker_exited(struct worker *w, int status)
{
        log_exit(w, status);
        audit_exit(w, status);
        if (w->forked && WIFSIGNALED(status) && !w->killed)
                zygote_signalled(w->sv, w->pid, WTERMSIG(status));
        if (w->state != W_DYING)
                pool_set_state(w, W_DYING);
        worker_free(w);
}

/*
 * A zygote's worker may exit before the zygote's reply names it: its exit
 * is kept here (the last few) until the reply comes (pool_forked).
 */
static void unclaimed_add(struct sv *sv, pid_t pid, int status)
{
        if (sv->zygotes == NULL)
                return;
        unsigned i = sv->nunclaimed++ % UNCLAIMED_MAX;
        sv->unclaimed[i].pid = pid;
        sv->unclaimed[i].status = status;
}

static int unclaimed_take(struct sv *sv, pid_t pid, int *status)
{
        for (unsigned i = 0; i < UNCLAIMED_MAX; i++)
                if (sv->unclaimed[i].pid == pid) {
                        sv->unclaimed[i].pid = 0;
                        *status = sv->unclaimed[i].status;
                        return 1;
                }
        return 0;
}

int pool_forked(struct worker *w, pid_t pid)
{
        struct sv *sv = w->sv;
        siginfo_t si;
        int status;

        /* SECURITY: the zygote's word is checked: a new child of ours, no worker's pid. */
        if (pid <= 0 || find_pid(sv, pid) != NULL)
                return -1;
        memset(&si, 0, sizeof(si));
        if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
                if (errno != ECHILD || !unclaimed_take(sv, pid, &status))
                        return -1;
                w->pid = pid; /* already gone, and reaped */
                worker_exited(w, status);
                pool_refill(sv);
                return 0;
        }
        (void)unclaimed_take(sv, pid, &status); /* an older process's, if any */
        w->pid = pid;
        log_debug("worker %d forked by the zygote", (int)pid);
        if (w->state == W_DYING) {
                worker_signal(w, SIGKILL); /* killed while its pid was not known */
                return 0;
        }
        event_add(w->ev_read, NULL);
        return 0;
}

void pool_fork_failed(struct worker *w)
{
        struct sv *sv = w->sv;

        if (w->state != W_DYING)
                pool_set_state(w, W_DYING);
        worker_free(w);
        pool_refill(sv);
}

void pool_reap(struct sv *sv)
{
        pid_t pid;
        int status;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                struct worker *w = find_pid(sv, pid);
                if (w == NULL) {
                        if (!zygote_reaped(sv, pid, status))
                                unclaimed_add(sv, pid, status);
                        continue;
                }
                worker_exited(w, status);
        }
        pool_refill(sv);
}

void pool_shutdown(struct sv *sv)
{
        struct worker *w;
        sv->shutting_down = 1;
        if (sv->ev_refill != NULL) {
                event_free(sv->ev_refill);
                sv->ev_refill = NULL;
        }
        /* Closing the channel is the worker's signal to stop. */
        zygote_shutdown(sv);
        struct worker *tmp;
        for (w = TAILQ_FIRST(&sv->workers); w != NULL; w = tmp) {
                tmp = TAILQ_NEXT(w, link);
                chan_close(w);
                worker_signal(w, SIGTERM);
                /* Its zygote is gone before naming it: nothing to wait for (its channel is
                 * closed). */
                if (w->pid == 0)
                        worker_free(w);
        }
        for (int i = 0; i < 40 && !TAILQ_EMPTY(&sv->workers); i++) {
                pid_t pid;
                int status;
                while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                        if ((w = find_pid(sv, pid)) != NULL)
                                worker_free(w);
                if (!TAILQ_EMPTY(&sv->workers))
                        usleep(50000);
        }
        while ((w = TAILQ_FIRST(&sv->workers)) != NULL) {
                if (w->pid > 0) {
                        kill(w->pid, SIGKILL);
                        waitpid(w->pid, NULL, 0);
                }
                worker_free(w);
        }
}
