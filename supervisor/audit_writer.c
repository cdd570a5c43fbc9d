/*
 * audit_writer.c - the audit log's writer thread and group commit
 * (audit_impl.h): one write and one fdatasync for everything recorded in a
 * loop iteration, while the loop goes on; failed writes keep records
 * queued and answers held, and are retried.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "audit_impl.h"
#include "log.h"

#define AUDIT_RETRY_MS 1000

static uint64_t audit_mono_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The writer thread: writes one batch (a->job) and syncs it, then tells
 * the loop through the eventfd.  It touches nothing but the job, the fd
 * and the job_* results, and only between a submit and its completion;
 * the mutex hands those over (and orders memory) in both directions.
 */
static void *audit_writer(void *arg)
{
        struct audit *a = arg;
        uint64_t one = 1;

        pthread_mutex_lock(&a->mu);
        for (;;) {
                while (!a->job_ready && !a->quit)
                        pthread_cond_wait(&a->cv, &a->mu);
                if (!a->job_ready)
                        break;
                a->job_ready = 0;
                pthread_mutex_unlock(&a->mu);

                uint64_t written = 0, ns = 0;
                int err = 0;
                while (evbuffer_get_length(a->job) > 0) {
                        int n = evbuffer_write(a->job, a->fd);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0) {
                                err = n == 0 ? ENOSPC : errno;
                                break;
                        }
                        written += (uint64_t)n;
                }
                if (err == 0 && a->sync) {
                        uint64_t t0 = audit_mono_ns();
                        if (fdatasync(a->fd) < 0)
                                err = errno;
                        ns = audit_mono_ns() - t0;
                }

                pthread_mutex_lock(&a->mu);
                a->job_written = written;
                a->job_fsync_ns = ns;
                a->job_errno = err;
                a->job_done = 1;
                pthread_cond_broadcast(&a->cv);
                /* A full eventfd counter cannot happen: one job at a time. */
                (void)!write(a->efd, &one, sizeof(one));
        }
        pthread_mutex_unlock(&a->mu);
        return NULL;
}

/* Hands everything queued to the writer, unless a batch is already out. */
static void audit_submit(struct audit *a)
{
        /* Records not yet durable are queued, or written but not synced (a failed sync). */
        if (a->job_busy || a->durable == a->seq)
                return;
        /* After a failed write, its unwritten rest goes first. */
        evbuffer_add_buffer(a->job, a->buf);
        a->job_upto = a->seq;
        memcpy(a->job_hash, a->head, sizeof(a->job_hash));
        a->job_busy = 1;
        pthread_mutex_lock(&a->mu);
        a->job_ready = 1;
        pthread_cond_signal(&a->cv);
        pthread_mutex_unlock(&a->mu);
}

/* Takes the writer's result, if it has one: the batch is durable, or failed. */
static void audit_complete(struct audit *a)
{
        uint64_t written, ns;
        int err, done;

        pthread_mutex_lock(&a->mu);
        done = a->job_done;
        a->job_done = 0;
        written = a->job_written;
        ns = a->job_fsync_ns;
        err = a->job_errno;
        pthread_mutex_unlock(&a->mu);
        if (!done)
                return;
        a->job_busy = 0;
        a->file_bytes += written;
        a->queued_bytes -= written;
        a->st.bytes += written;
        if (err != 0) {
                if (!a->st.failing)
                        log_warnx(
                            "audit: cannot write %s: %s; answers are held until it can be",
                            a->path, strerror(err));
                a->st.failing = 1;
                a->st.failures++;
                struct timeval tv = {0, AUDIT_RETRY_MS * 1000};
                evtimer_add(a->ev_retry, &tv);
                return;
        }
        if (a->st.failing)
                log_info("audit: %s is written again", a->path);
        a->st.failing = 0;
        a->st.batches++;
        if (a->sync) {
                a->st.fsyncs++;
                a->st.fsync_ns += ns;
        }
        a->durable = a->job_upto;
        memcpy(a->durable_hash, a->job_hash, sizeof(a->durable_hash));
        if (a->release != NULL)
                a->release(a->release_arg);
}

static void audit_wait(struct audit *a)
{
        pthread_mutex_lock(&a->mu);
        while (!a->job_done)
                pthread_cond_wait(&a->cv, &a->mu);
        pthread_mutex_unlock(&a->mu);
        audit_complete(a);
}

/* The writer finished a batch: release what it made durable, send the next. */
static void audit_done_cb(evutil_socket_t fd, short what, void *arg)
{
        struct audit *a = arg;
        uint64_t n;

        (void)!read(fd, &n, sizeof(n));
        audit_complete(a);
        if (!a->st.failing)
                audit_submit(a); /* what was recorded meanwhile: the next group */
}

int audit_flush(struct audit *a)
{
        if (a == NULL)
                return 0;
        if (a->job_busy)
                audit_wait(a);
        /* A failed batch's unwritten rest is not durable either: submit sends it too. */
        audit_submit(a);
        if (a->job_busy)
                audit_wait(a);
        return a->st.failing || a->durable != a->seq ? -1 : 0;
}

/* End of the loop iteration that recorded something: one group commit for it all. */
void audit_flush_cb(evutil_socket_t fd, short what, void *arg)
{
        struct audit *a = arg;

        a->flush_armed = 0;
        if (!a->st.failing)
                audit_submit(a);
}

void audit_retry_cb(evutil_socket_t fd, short what, void *arg)
{
        struct audit *a = arg;

        if (!a->job_busy)
                audit_submit(a);
}

int audit_start_writer(struct audit *a, char *err, size_t errlen)
{
        if ((a->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
            (a->ev_done = event_new(a->base, a->efd, EV_READ | EV_PERSIST, audit_done_cb, a)) ==
                NULL ||
            event_add(a->ev_done, NULL) < 0) {
                snprintf(err, errlen, "cannot set up the writer: %s", strerror(errno));
                return -1;
        }
        pthread_mutex_init(&a->mu, NULL);
        pthread_cond_init(&a->cv, NULL);
        /* The writer must not take signals meant for the loop (SIGCHLD, SIGTERM). */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        int rc = pthread_create(&a->thread, NULL, audit_writer, a);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (rc != 0) {
                snprintf(err, errlen, "cannot start the writer: %s", strerror(rc));
                pthread_mutex_destroy(&a->mu);
                pthread_cond_destroy(&a->cv);
                return -1;
        }
        a->thread_started = 1;
        return 0;
}

void audit_stop_writer(struct audit *a)
{
        if (!a->thread_started)
                return;
        if (a->job_busy)
                audit_wait(a);
        pthread_mutex_lock(&a->mu);
        a->quit = 1;
        pthread_cond_signal(&a->cv);
        pthread_mutex_unlock(&a->mu);
        pthread_join(a->thread, NULL);
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->cv);
        a->thread_started = 0;
}
