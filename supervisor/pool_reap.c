/*
 * pool_reap.c - reaping: every exited worker is found by its pid, its end
 * logged and audited (through sv->up), and freed; a zygote's worker that
 * exits before the zygote names it is kept until the reply (pool_forked).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "pool_impl.h"
#include "pool_up.h"
#include "zygote.h"

struct worker *pool_find_pid(struct sv *sv, pid_t pid)
{
        struct worker *w;
        TAILQ_FOREACH(w, &sv->workers, link)
        if (w->pid == pid)
                return w;
        return NULL;
}

void pool_worker_free(struct worker *w)
{
        zygote_forget(w);
        pool_chan_close(w);
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
                w->sv->up->worker_event(w, "sandbox-violation", "killed by SIGSYS");
        } else if (WIFSIGNALED(status) && !w->killed) {
                snprintf(detail, sizeof(detail), "killed by signal %d", WTERMSIG(status));
                w->sv->up->worker_event(w, "crash", detail);
        } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
                snprintf(detail, sizeof(detail), "exited with status %d", WEXITSTATUS(status));
                w->sv->up->worker_event(w, "crash", detail);
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
        pool_worker_free(w);
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
        if (pid <= 0 || pool_find_pid(sv, pid) != NULL)
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
                pool_signal(w, SIGKILL); /* killed while its pid was not known */
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
        pool_worker_free(w);
        pool_refill(sv);
}

void pool_reap(struct sv *sv)
{
        pid_t pid;
        int status;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                struct worker *w = pool_find_pid(sv, pid);
                if (w == NULL) {
                        if (!zygote_reaped(sv, pid, status))
                                unclaimed_add(sv, pid, status);
                        continue;
                }
                worker_exited(w, status);
        }
        pool_refill(sv);
}
