/*
 * pool_reap.c - the end of workers: reaping them, logging and auditing how
 * each ended (a sandbox violation or a crash names its peer and call), and
 * stopping them all at shutdown.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "pool_impl.h"

static struct worker *find_pid(struct sv *sv, pid_t pid)
{
        struct worker *w;
        TAILQ_FOREACH(w, &sv->workers, link)
        if (w->pid == pid)
                return w;
        return NULL;
}

void pool_worker_free(struct worker *w)
{
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
                pool_audit_worker(w, "sandbox-violation", "killed by SIGSYS");
        } else if (WIFSIGNALED(status) && !w->killed) {
                snprintf(detail, sizeof(detail), "killed by signal %d", WTERMSIG(status));
                pool_audit_worker(w, "crash", detail);
        } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
                snprintf(detail, sizeof(detail), "exited with status %d", WEXITSTATUS(status));
                pool_audit_worker(w, "crash", detail);
        }
}

void pool_reap(struct sv *sv)
{
        pid_t pid;
        int status;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                struct worker *w = find_pid(sv, pid);
                if (w == NULL)
                        continue;
                log_exit(w, status);
                audit_exit(w, status);
                if (w->state != W_DYING)
                        pool_set_state(w, W_DYING);
                pool_worker_free(w);
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
        TAILQ_FOREACH(w, &sv->workers, link)
        {
                pool_chan_close(w);
                kill(w->pid, SIGTERM);
        }
        for (int i = 0; i < 40 && !TAILQ_EMPTY(&sv->workers); i++) {
                pid_t pid;
                int status;
                while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                        if ((w = find_pid(sv, pid)) != NULL)
                                pool_worker_free(w);
                if (!TAILQ_EMPTY(&sv->workers))
                        usleep(50000);
        }
        while ((w = TAILQ_FIRST(&sv->workers)) != NULL) {
                kill(w->pid, SIGKILL);
                waitpid(w->pid, NULL, 0);
                pool_worker_free(w);
        }
}
