/*
 * pool.c - spawning workers, the idle pool, handing a peer to one, and
 * reading its channel.  The out-queue is pool_outq.c, the state table
 * pool_state.c, the end of workers pool_reap.c.  The broker is reached only
 * through sv->calls (pool.h), never called by name.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "account.h"
#include "fdpass.h"
#include "log.h"
#include "pool_impl.h"

#define SPAWN_DEADLINE_S 10 /* a worker that cannot sandbox itself in time is killed */
#define DYING_GRACE_S 2     /* a worker that hung up gets this long to exit */
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
static void deadline_fired(evutil_socket_t fd, short what, void *arg);

void pool_arm_deadline(struct worker *w, time_t seconds)
{
        struct timeval tv = {.tv_sec = seconds, .tv_usec = 0};
        evtimer_add(w->ev_deadline, &tv);
}

/*
 * Starts the worker program on chan.  Worker fd layout (documented in
 * worker/main.c too): 0 and 1 /dev/null, 2 the log pipe (wlog.c), 3 the
 * SEQPACKET channel, nothing else.  SIGPIPE stays ignored (exec keeps an
 * ignored signal ignored) so that a vanished peer is an EPIPE, not a death.
 * posix_spawn, not fork: glibc's vfork-style clone neither copies our page
 * tables nor makes every page we touch afterwards copy-on-write, which at a
 * spawn per stream is most of what spawning costs the supervisor.
 */
static pid_t exec_worker(struct sv *sv, int chan)
{
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t at;
        sigset_t none;
        char uid[16], gid[16];
        pid_t pid = -1;
        int rc;

        snprintf(uid, sizeof(uid), "%u", (unsigned)sv->worker_uid);
        snprintf(gid, sizeof(gid), "%u", (unsigned)sv->worker_gid);
        const char *lvlname[] = {"error", "warn", "info", "debug"};
        char *argv[] = {sv->cfg.worker_path,
                        "--uid",
                        uid,
                        "--gid",
                        gid,
                        "--log-level",
                        (char *)lvlname[sv->cfg.log_level & 3],
                        sv->cfg.syslog ? "--syslog" : NULL,
                        NULL};
        char *envp[] = {NULL};

        if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
                errno = rc;
                return -1;
        }
        if ((rc = posix_spawnattr_init(&at)) != 0) {
                posix_spawn_file_actions_destroy(&fa);
                errno = rc;
                return -1;
        }
        sigemptyset(&none);
        if ((rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0)) != 0 ||
            (rc = posix_spawn_file_actions_adddup2(&fa, 0, 1)) != 0 ||
            (rc = posix_spawn_file_actions_adddup2(&fa, sv->wlog_fd, 2)) != 0 ||
            (rc = posix_spawn_file_actions_adddup2(&fa, chan, 3)) != 0 ||
            (rc = posix_spawn_file_actions_addclosefrom_np(&fa, 4)) != 0 ||
            (rc = posix_spawnattr_setsigmask(&at, &none)) != 0 ||
            (rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK)) != 0 ||
            (rc = posix_spawn(&pid, sv->cfg.worker_path, &fa, &at, argv, envp)) != 0)
                pid = -1;
        posix_spawnattr_destroy(&at);
        posix_spawn_file_actions_destroy(&fa);
        errno = rc;
        return pid;
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
        pid_t pid = exec_worker(sv, sp[1]);
        close(sp[1]);
        if (pid < 0) {
                log_warn("spawning %s", sv->cfg.worker_path);
                close(sp[0]);
                return NULL;
        }

        struct worker *w = calloc(1, sizeof(*w));
        if (w == NULL)
                fatal("calloc");
        w->sv = sv;
        w->pid = pid;
        w->chan = sp[0];
        w->state = W_SPAWNED;
        TAILQ_INIT(&w->outq);
        clock_gettime(CLOCK_MONOTONIC, &w->started);
        evutil_make_socket_nonblocking(w->chan);
        w->ev_read = event_new(sv->base, w->chan, EV_READ | EV_PERSIST, chan_read, w);
        w->ev_write = event_new(sv->base, w->chan, EV_WRITE, pool_chan_write, w);
        w->ev_deadline = evtimer_new(sv->base, deadline_fired, w);
        if (w->ev_read == NULL || w->ev_write == NULL || w->ev_deadline == NULL)
                fatalx("event_new failed");
        event_add(w->ev_read, NULL);
        pool_arm_deadline(w, SPAWN_DEADLINE_S);
        TAILQ_INSERT_TAIL(&sv->workers, w, link);
        sv->nspawning++;
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
        top_up(sv, sv->cfg.pool_size);
}

static void refill_fired(evutil_socket_t fd, short what, void *arg);

/* pool_fill(), soon: see REFILL_DELAY_US. */
void pool_refill(struct sv *sv)
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

int pool_count(const struct sv *sv, enum worker_state st)
{
        int n = 0;
        const struct worker *w;
        TAILQ_FOREACH(w, &sv->workers, link)
        if (w->state == st)
                n++;
        return n;
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

/* Drops a worker's channel; the process itself is reaped by pool_reap(). */
void pool_chan_close(struct worker *w)
{
        w->sv->calls->cancel(w); /* clears w->call */
        if (w->open_seq != 0 && !w->lost_call) {
                /* The call ends with its channel, without the worker's MSG_CALL_END. */
                const char *res =
                    w->open_cancelled || w->sv->shutting_down ? "ABORTED" : "INTERNAL";
                pool_audit_end(w, res, 0, 0, 0);
                account_call_end(w->sv->account, w->open_peer, w->open_op, res, 0, 0);
                w->lost_call = 1;
        }
        pool_outq_drop(w);
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
                        pool_audit_worker(w, "killed", reason);
                pool_set_state(w, W_DYING);
                w->killed = 1;
                kill(w->pid, SIGKILL);
        }
        pool_chan_close(w);
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
                kill(w->pid, SIGKILL);
                break;
        case W_READY:
                break;
        }
}

/* The worker hung up: give it a moment to exit on its own. */
void pool_chan_eof(struct worker *w)
{
        if (w->state != W_DYING) {
                pool_set_state(w, W_DYING);
                pool_arm_deadline(w, DYING_GRACE_S);
        }
        pool_chan_close(w);
        pool_refill(w->sv);
}

int pool_hand_off(struct worker *w, int peer_fd, const char *peer, uid_t uid, gid_t gid,
                  int tcp, const char *refusal)
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
        m.first_call = sv->cfg.first_call;
        snprintf(m.transport, sizeof(m.transport), "%s", tcp ? "tcp" : "unix");
        snprintf(m.refusal, sizeof(m.refusal), "%s", refusal != NULL ? refusal : "");
        snprintf(w->peer, sizeof(w->peer), "%s", peer != NULL ? peer : "");
        w->peer_uid = uid;
        w->peer_gid = gid;
        w->tcp = tcp;
        w->refused = refusal != NULL;
        pool_set_state(w, W_SERVING);
        evtimer_del(w->ev_deadline);
        pool_arm_deadline(w, sv->cfg.worker_lifetime);
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
                        pool_chan_eof(w);
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
