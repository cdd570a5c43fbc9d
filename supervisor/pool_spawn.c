/*
 * pool_spawn.c - making a worker: its channel (a SEQPACKET pair with large
 * send buffers), the process (the zygote's fork, else posix_spawn: spawn.c),
 * its events, and its deadlines (sandboxed in time, lifetime, exit grace).
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "pool_impl.h"
#include "spawn.h"
#include "zygote.h"

#define SPAWN_DEADLINE_S 10    /* a worker that cannot sandbox itself in time is killed */
#define CHAN_SNDBUF (18 << 20) /* results may carry a 16 MiB frame */
#define WORKER_SNDBUF (4 << 20)

static void deadline_fired(evutil_socket_t fd, short what, void *arg);

void pool_arm_deadline(struct worker *w, time_t seconds)
{
        struct timeval tv = {.tv_sec = seconds, .tv_usec = 0};
        evtimer_add(w->ev_deadline, &tv);
}

void pool_signal(struct worker *w, int sig)
{
        if (w->pid > 0)
                kill(w->pid, sig);
}

struct worker *pool_spawn(struct sv *sv)
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
        w->ev_read = event_new(sv->base, w->chan, EV_READ | EV_PERSIST, pool_chan_read, w);
        w->ev_write = event_new(sv->base, w->chan, EV_WRITE, pool_chan_write, w);
        w->ev_deadline = evtimer_new(sv->base, deadline_fired, w);
        if (w->ev_read == NULL || w->ev_write == NULL || w->ev_deadline == NULL)
                fatalx("event_new failed");
        if (!forked)
                event_add(w->ev_read, NULL);
        pool_arm_deadline(w, SPAWN_DEADLINE_S);
        TAILQ_INSERT_TAIL(&sv->workers, w, link);
        sv->nspawning++;
        if (!forked)
                log_debug("worker %d spawned", (int)pid);
        return w;
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
                pool_signal(w, SIGKILL);
                break;
        case W_READY:
                break;
        }
}
