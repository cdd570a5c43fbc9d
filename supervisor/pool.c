/*
 * pool.c - the pool of ready workers: filling it, topping it up off the
 * hand-off path, taking a worker, handing it a peer, counting, shutdown.
 * A worker's making is pool_spawn.c's, its channel pool_chan.c's, its
 * out-queue (held for the audit log) pool_outq.c's, its reaping
 * pool_reap.c's, and the state table pool_state.c's.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "pool_impl.h"
#include "zygote.h"

/*
 * Spawning (fork, then the child's exec and sandboxing: milliseconds of
 * CPU) is kept off the path of the stream just handed over: the pool is
 * topped up REFILL_DELAY_US later, REFILL_BATCH workers per turn of the
 * loop, at once only when it runs low.
 */
#define REFILL_DELAY_US 2000
#define REFILL_BATCH 4

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
                if (pool_spawn(sv) == NULL)
                        return -1; /* retried at the next reap or hand-off */
        return 0;
}

void pool_fill(struct sv *sv)
{
        zygote_init(sv); /* the first fill spawns: the zygote is not ready yet */
        top_up(sv, sv->cfg.pool_size);
}

static void refill_fired(evutil_socket_t fd, short what, void *arg);

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
                pool_chan_close(w);
                pool_signal(w, SIGTERM);
                /* Its zygote is gone before naming it: nothing to wait for (its channel is
                 * closed). */
                if (w->pid == 0)
                        pool_worker_free(w);
        }
        for (int i = 0; i < 40 && !TAILQ_EMPTY(&sv->workers); i++) {
                pid_t pid;
                int status;
                while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                        if ((w = pool_find_pid(sv, pid)) != NULL)
                                pool_worker_free(w);
                if (!TAILQ_EMPTY(&sv->workers))
                        usleep(50000);
        }
        while ((w = TAILQ_FIRST(&sv->workers)) != NULL) {
                if (w->pid > 0) {
                        kill(w->pid, SIGKILL);
                        waitpid(w->pid, NULL, 0);
                }
                pool_worker_free(w);
        }
}
