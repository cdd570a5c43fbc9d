/*
 * audit.c - the audit log writer: chain, group commit, rotation, recovery
 * (audit.h).
 *
 * Records are made on the supervisor's loop: each is sealed at once (so
 * the chain order is the order decisions were made) and queued in memory.
 * The first record of a loop iteration activates ev_flush, which libevent
 * runs after the callbacks already active in that iteration; it hands the
 * batch to a writer thread for one write and one fdatasync.  The loop goes
 * on meanwhile, so the next batch grows while the disk syncs this one: the
 * busier the gateway, the more records share an fdatasync.  The writer
 * reports through an eventfd; the loop then releases the held answers.
 * While writes fail, records stay queued, answers stay held, and a timer
 * retries.  Rotation, open and close wait for the writer (rare, and short).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "audit.h"
#include "log.h"
#include "supervisor.h"

#define AUDIT_RETRY_MS 1000
#define AUDIT_TAIL_MAX (2 * AUDITFMT_LINE_MAX) /* how far back the last line may start */
#define AUDIT_ROT_DIGITS 6
#define AUDIT_ROT_NAME (NAME_MAX + 16) /* NAME.NNNNNN */

struct audit {
        struct event_base *base;
        struct event *ev_flush; /* activated by the first record of a batch */
        struct event *ev_retry; /* after a failed write or sync */
        int flush_armed;

        char path[PATH_MAX];
        char dir[PATH_MAX];
        char name[NAME_MAX + 1]; /* the live file's base name */
        int fd;
        uint64_t rotate_bytes;
        int sync;
        uint64_t file_bytes; /* written to the live file */
        unsigned next_rot;   /* number of the next rotated file */

        struct evbuffer *buf;        /* sealed lines not yet written */
        uint64_t seq;                /* last seq appended */
        char head[AUDITFMT_HEX + 1]; /* its hash */
        uint64_t durable;            /* last seq on stable storage */
        char durable_hash[AUDITFMT_HEX + 1];

        void (*release)(void *);
        void *release_arg;
        struct audit_stats st;

        /* the writer thread and the batch it owns while job_busy */
        pthread_t thread;
        int thread_started;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        int efd; /* eventfd: the writer finished a batch */
        struct event *ev_done;
        struct evbuffer *job; /* the batch being written */
        int job_busy;         /* loop's view: a batch is out */
        uint64_t job_upto;    /* last seq in it */
        char job_hash[AUDITFMT_HEX + 1];
        uint64_t queued_bytes; /* appended, not yet written */
        /* under mu */
        int job_ready, job_done, job_errno, quit;
        uint64_t job_written, job_fsync_ns;
};

static void audit_flush_cb(evutil_socket_t fd, short what, void *arg);

/* RFC 3339, UTC, microseconds. */
static void audit_now(char *buf, size_t len)
{
        struct timespec ts;
        struct tm tm;
        char base[32];

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, len, "%.20s.%06dZ", base, (int)(ts.tv_nsec / 1000));
}

static uint64_t audit_mono_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Seals one record as seq (not yet appended).  NULL when it cannot be built. */
static char *audit_build(struct audit *a, uint64_t seq, const char *type, json_t *fields,
                         size_t *len, char hash[AUDITFMT_HEX + 1])
{
        static const char *const reserved[] = {"seq", "time", "type", "prev", "hash", NULL};
        json_t *rec = json_object(), *v;
        char now[48], *body, *line = NULL;
        const char *k;

        audit_now(now, sizeof(now));
        if (rec == NULL || json_object_set_new(rec, "seq", json_integer((json_int_t)seq)) ||
            json_object_set_new(rec, "time", json_string(now)) ||
            json_object_set_new(rec, "type", json_string(type))) {
                json_decref(rec);
                return NULL;
        }
        /* The chain's own members are ours alone: a field never replaces them. */
        json_object_foreach(fields, k, v)
        {
                size_t i;
                for (i = 0; reserved[i] != NULL && strcmp(k, reserved[i]) != 0; i++)
                        ;
                if (reserved[i] == NULL && json_object_set(rec, k, v) < 0) {
                        json_decref(rec);
                        return NULL;
                }
        }
        if (json_object_set_new(rec, "prev", json_string(a->head)) < 0) {
                json_decref(rec);
                return NULL;
        }
        if ((body = json_dumps(rec, JSON_COMPACT)) != NULL) {
                line = auditfmt_seal(body, strlen(body), len, hash);
                free(body);
        }
        json_decref(rec);
        return line;
}

static void audit_push(struct audit *a, char *line, size_t len, const char *hash)
{
        if (evbuffer_add(a->buf, line, len) < 0)
                fatalx("audit: out of memory");
        free(line);
        a->queued_bytes += len;
        a->seq++;
        memcpy(a->head, hash, sizeof(a->head));
        a->st.records++;
        if (!a->flush_armed) {
                a->flush_armed = 1;
                event_active(a->ev_flush, EV_TIMEOUT, 0);
        }
}

static int audit_sync_dir(const struct audit *a)
{
        int fd = open(a->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int rc;

        if (fd < 0)
                return -1;
        rc = fsync(fd);
        close(fd);
        return rc;
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
static void audit_flush_cb(evutil_socket_t fd, short what, void *arg)
{
        struct audit *a = arg;

        a->flush_armed = 0;
        if (!a->st.failing)
                audit_submit(a);
}

static void audit_retry_cb(evutil_socket_t fd, short what, void *arg)
{
        struct audit *a = arg;

        if (!a->job_busy)
                audit_submit(a);
}

static void audit_rot_name(const struct audit *a, unsigned n, char *buf, size_t len)
{
        snprintf(buf, len, "%s.%0*u", a->name, AUDIT_ROT_DIGITS, n);
}

/* The highest N of an existing NAME.NNNNNN in the log's directory, or 0. */
static unsigned audit_last_rotated(const struct audit *a)
{
        DIR *d = opendir(a->dir);
        struct dirent *de;
        size_t nl = strlen(a->name);
        unsigned best = 0;

        if (d == NULL)
                return 0;
        while ((de = readdir(d)) != NULL) {
                const char *s = de->d_name;
                char *end;
                unsigned long n;

                if (strncmp(s, a->name, nl) != 0 || s[nl] != '.' ||
                    strspn(s + nl + 1, "0123456789") != strlen(s + nl + 1) ||
                    strlen(s + nl + 1) < AUDIT_ROT_DIGITS)
                        continue;
                n = strtoul(s + nl + 1, &end, 10);
                if (*end == '\0' && n > best && n < UINT_MAX)
                        best = (unsigned)n;
        }
        closedir(d);
        return best;
}

/*
 * The last whole line of fd: its seq and hash.  A torn last line (no
 * newline) is cut off when cut is set, its size in *cut_bytes.  Returns 1
 * when a record was found, 0 when the file holds none, -1 with err.
 */
static int audit_tail(int fd, const char *what, int cut, uint64_t *seq,
                      char hash[AUDITFMT_HEX + 1], uint64_t *cut_bytes, char *err,
                      size_t errlen)
{
        struct stat sb;
        char *buf = NULL, *end, *start;
        off_t off;
        size_t n;
        ssize_t got;
        const char *why;
        int rc = -1;

        *cut_bytes = 0;
        if (fstat(fd, &sb) < 0) {
                snprintf(err, errlen, "%s: %s", what, strerror(errno));
                return -1;
        }
        if (sb.st_size == 0)
                return 0;
        n = sb.st_size > AUDIT_TAIL_MAX ? AUDIT_TAIL_MAX : (size_t)sb.st_size;
        off = sb.st_size - (off_t)n;
        if ((buf = malloc(n + 1)) == NULL || (got = pread(fd, buf, n, off)) != (ssize_t)n) {
                snprintf(err, errlen, "%s: cannot read its end", what);
                goto out;
        }
        buf[n] = '\0';
        end = memrchr(buf, '\n', n);
        if (end == NULL || end != buf + n - 1) {
                /* A torn write: it was never acknowledged, so it may go. */
                size_t keep = end != NULL ? (size_t)(end - buf) + 1 : 0;
                if (end == NULL && off > 0) {
                        snprintf(err, errlen, "%s: its last line is longer than %d bytes", what,
                                 AUDIT_TAIL_MAX);
                        goto out;
                }
                if (!cut) {
                        snprintf(err, errlen, "%s: its last line is incomplete", what);
                        goto out;
                }
                if (ftruncate(fd, off + (off_t)keep) < 0 || fdatasync(fd) < 0) {
                        snprintf(err, errlen, "%s: cannot cut its torn last line: %s", what,
                                 strerror(errno));
                        goto out;
                }
                *cut_bytes = n - keep;
                if (end == NULL) {
                        rc = 0;
                        goto out;
                }
        }
        /* end != NULL here: a NULL end went to out above (cppcheck misses that goto). */
        /* cppcheck-suppress nullPointerRedundantCheck */
        *end = '\0';
        /* cppcheck-suppress nullPointerArithmeticRedundantCheck */
        start = memrchr(buf, '\n', (size_t)(end - buf));
        start = start != NULL ? start + 1 : buf;
        if (start == buf && off > 0) {
                snprintf(err, errlen, "%s: its last line is longer than %d bytes", what,
                         AUDIT_TAIL_MAX);
                goto out;
        }
        if (auditfmt_check(start, (size_t)(end - start), hash, &why) < 0) {
                snprintf(err, errlen, "%s: last record: %s; verify the log and move it aside",
                         what, why);
                goto out;
        }
        json_t *rec = json_loadb(start, (size_t)(end - start), JSON_REJECT_DUPLICATES, NULL);
        json_t *s = json_object_get(rec, "seq");
        if (!json_is_integer(s) || json_integer_value(s) < 1) {
                snprintf(err, errlen, "%s: last record has no valid seq", what);
                json_decref(rec);
                goto out;
        }
        *seq = (uint64_t)json_integer_value(s);
        json_decref(rec);
        rc = 1;
out:
        free(buf);
        return rc;
}

static int audit_open_live(struct audit *a, char *err, size_t errlen)
{
        struct stat sb;

        a->fd = open(a->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (a->fd < 0) {
                snprintf(err, errlen, "%s: %s", a->path, strerror(errno));
                return -1;
        }
        if (fstat(a->fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
                snprintf(err, errlen, "%s: not a regular file", a->path);
                return -1;
        }
        a->file_bytes = (uint64_t)sb.st_size;
        return 0;
}

/* Appends a record without the rotation check (the records of rotation itself). */
static void audit_append_now(struct audit *a, const char *type, json_t *fields)
{
        char hash[AUDITFMT_HEX + 1];
        size_t len;
        char *line = audit_build(a, a->seq + 1, type, fields, &len, hash);

        json_decref(fields);
        if (line == NULL)
                fatalx("audit: cannot build a %s record", type);
        audit_push(a, line, len, hash);
}

/*
 * Renames the live file aside and starts a new one that chains to it.
 * Everything queued is written and synced first, so a rotated file is
 * complete on disk before it gets its final name.
 */
static void audit_rotate(struct audit *a)
{
        char rot[AUDIT_ROT_NAME], from[PATH_MAX + AUDIT_ROT_NAME + 2], err[512];
        int oldfd = a->fd;

        if (audit_flush(a) < 0)
                return; /* keep writing here; rotation is retried with the next record */
        audit_rot_name(a, a->next_rot, rot, sizeof(rot));
        snprintf(from, sizeof(from), "%s/%s", a->dir, rot);
        if (rename(a->path, from) < 0) {
                log_warn("audit: cannot rotate %s", a->path);
                return;
        }
        if (audit_open_live(a, err, sizeof(err)) < 0) {
                /* Keep appending to the renamed file: its chain still holds. */
                log_warnx("audit: after rotation: %s; still writing %s", err, from);
                if (a->fd >= 0)
                        close(a->fd);
                a->fd = oldfd;
                return;
        }
        close(oldfd);
        audit_sync_dir(a);
        a->next_rot++;
        a->st.rotations++;
        log_info("audit: rotated to %s at seq %llu", rot, (unsigned long long)a->seq);
        audit_append_now(a, "rotate", json_pack("{s:s}", "previousFile", rot));
}

uint64_t audit_append(struct audit *a, const char *type, json_t *fields)
{
        char hash[AUDITFMT_HEX + 1];
        size_t len;
        char *line;

        if (a == NULL) {
                json_decref(fields);
                return 0;
        }
        line = audit_build(a, a->seq + 1, type, fields, &len, hash);
        if (line == NULL) {
                /* Never silently: a record that cannot be built is recorded as such. */
                log_warnx("audit: cannot build a %s record", type);
                json_decref(fields);
                fields = json_pack("{s:s}", "error", "record could not be built");
                line = audit_build(a, a->seq + 1, type, fields, &len, hash);
                if (line == NULL)
                        fatalx("audit: cannot build records");
        }
        if (a->rotate_bytes > 0 && a->file_bytes + a->queued_bytes + len > a->rotate_bytes &&
            a->file_bytes + a->queued_bytes > 0) {
                uint64_t before = a->st.rotations;
                audit_rotate(a);
                if (a->st.rotations != before) {
                        /* The rotate record took seq + 1: seal again after it. */
                        free(line);
                        line = audit_build(a, a->seq + 1, type, fields, &len, hash);
                        if (line == NULL)
                                fatalx("audit: cannot build a %s record", type);
                }
        }
        json_decref(fields);
        audit_push(a, line, len, hash);
        return a->seq;
}

/* Finds where the chain ends: the live file, else the newest rotated one. */
static int audit_recover(struct audit *a, uint64_t *cut, int *cont_rotated, char *err,
                         size_t errlen)
{
        char rot[AUDIT_ROT_NAME], rpath[PATH_MAX + AUDIT_ROT_NAME + 2];
        unsigned last = audit_last_rotated(a);
        int rc, fd;

        a->next_rot = last + 1;
        *cont_rotated = 0;
        rc = audit_tail(a->fd, a->path, 1, &a->seq, a->head, cut, err, errlen);
        if (rc != 0 || last == 0)
                return rc;
        /* An empty live file after a rotation: chain to the rotated file. */
        audit_rot_name(a, last, rot, sizeof(rot));
        snprintf(rpath, sizeof(rpath), "%s/%s", a->dir, rot);
        if ((fd = open(rpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
                snprintf(err, errlen, "%s: %s", rpath, strerror(errno));
                return -1;
        }
        uint64_t none;
        rc = audit_tail(fd, rpath, 0, &a->seq, a->head, &none, err, errlen);
        close(fd);
        if (rc == 0) {
                snprintf(err, errlen, "%s: empty rotated file", rpath);
                return -1;
        }
        if (rc == 1)
                *cont_rotated = (int)last;
        return rc;
}

static int audit_split_path(struct audit *a, const char *path, char *err, size_t errlen)
{
        char tmp[PATH_MAX], *d;

        if (strlen(path) == 0 || strlen(path) >= sizeof(a->path) ||
            path[strlen(path) - 1] == '/') {
                snprintf(err, errlen, "%s: not a file path", path);
                return -1;
        }
        snprintf(a->path, sizeof(a->path), "%s", path);
        snprintf(tmp, sizeof(tmp), "%s", path);
        snprintf(a->name, sizeof(a->name), "%s", basename(tmp));
        snprintf(tmp, sizeof(tmp), "%s", path);
        d = dirname(tmp);
        snprintf(a->dir, sizeof(a->dir), "%s", d);
        if (strlen(a->name) + 1 + AUDIT_ROT_DIGITS + 3 > NAME_MAX) {
                snprintf(err, errlen, "%s: file name too long to rotate", path);
                return -1;
        }
        return 0;
}

static json_t *audit_open_fields(const struct audit *a, const struct audit_conf *conf,
                                 uint64_t cut, uint64_t found_seq, const char *found_hash)
{
        json_t *f = json_pack("{s:i,s:s}", "pid", (json_int_t)getpid(), "version", DG_VERSION);

        if (f == NULL)
                return NULL;
        if (cut > 0) {
                json_object_set_new(f, "truncatedBytes", json_integer((json_int_t)cut));
                log_warnx("audit: %s ended in a torn line; cut %llu byte(s) never acknowledged",
                          a->path, (unsigned long long)cut);
        }
        if (conf->expect_seq > found_seq ||
            (conf->expect_seq == found_seq && conf->expect_hash != NULL &&
             strcmp(conf->expect_hash, found_hash) != 0)) {
                char w[256];
                snprintf(w, sizeof(w),
                         "the log ends at seq %llu but the state file saw seq %llu: records "
                         "were removed from its end or changed",
                         (unsigned long long)found_seq, (unsigned long long)conf->expect_seq);
                json_object_set_new(f, "warning", json_string(w));
                log_warnx("audit: %s: %s", a->path, w);
        }
        return f;
}

static int audit_start_writer(struct audit *a, char *err, size_t errlen)
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

static void audit_free(struct audit *a)
{
        if (a->thread_started) {
                if (a->job_busy)
                        audit_wait(a);
                pthread_mutex_lock(&a->mu);
                a->quit = 1;
                pthread_cond_signal(&a->cv);
                pthread_mutex_unlock(&a->mu);
                pthread_join(a->thread, NULL);
                pthread_mutex_destroy(&a->mu);
                pthread_cond_destroy(&a->cv);
        }
        if (a->ev_done != NULL)
                event_free(a->ev_done);
        if (a->efd >= 0)
                close(a->efd);
        if (a->fd >= 0)
                close(a->fd);
        if (a->buf != NULL)
                evbuffer_free(a->buf);
        if (a->job != NULL)
                evbuffer_free(a->job);
        if (a->ev_flush != NULL)
                event_free(a->ev_flush);
        if (a->ev_retry != NULL)
                event_free(a->ev_retry);
        free(a);
}

struct audit *audit_open(struct event_base *base, const struct audit_conf *conf, char *err,
                         size_t errlen)
{
        struct audit *a = calloc(1, sizeof(*a));
        uint64_t cut = 0;
        int cont = 0, rc;

        if (a == NULL) {
                snprintf(err, errlen, "out of memory");
                return NULL;
        }
        a->fd = -1;
        a->base = base;
        a->rotate_bytes = conf->rotate_bytes;
        a->sync = conf->sync;
        a->efd = -1;
        a->buf = evbuffer_new();
        a->job = evbuffer_new();
        a->ev_flush = event_new(base, -1, 0, audit_flush_cb, a);
        a->ev_retry = evtimer_new(base, audit_retry_cb, a);
        if (a->buf == NULL || a->job == NULL || a->ev_flush == NULL || a->ev_retry == NULL) {
                snprintf(err, errlen, "out of memory");
                goto fail;
        }
        if (audit_split_path(a, conf->path, err, errlen) < 0 ||
            audit_open_live(a, err, errlen) < 0 || audit_start_writer(a, err, errlen) < 0)
                goto fail;
        if ((rc = audit_recover(a, &cut, &cont, err, errlen)) < 0)
                goto fail;
        a->durable = a->seq;
        memcpy(a->durable_hash, a->head, sizeof(a->durable_hash));
        uint64_t found_seq = a->seq;
        char found_hash[AUDITFMT_HEX + 1];
        memcpy(found_hash, a->head, sizeof(found_hash));
        if (rc == 0) {
                /* A new chain: its origin is a recorded random seed. */
                char seed[AUDITFMT_HEX + 1];
                if (auditfmt_seed(seed) < 0) {
                        snprintf(err, errlen, "cannot get random bytes for the seed");
                        goto fail;
                }
                memcpy(a->head, seed, sizeof(a->head));
                audit_append_now(a, "start", json_pack("{s:s}", "seed", seed));
        } else if (cont > 0) {
                char rot[AUDIT_ROT_NAME];
                audit_rot_name(a, (unsigned)cont, rot, sizeof(rot));
                audit_append_now(a, "rotate", json_pack("{s:s}", "previousFile", rot));
        }
        audit_append_now(a, "open", audit_open_fields(a, conf, cut, found_seq, found_hash));
        if (audit_flush(a) < 0 || audit_sync_dir(a) < 0) {
                snprintf(err, errlen, "%s: cannot write: %s", a->path, strerror(errno));
                goto fail;
        }
        log_info("audit: %s, chain at seq %llu%s", a->path, (unsigned long long)a->seq,
                 a->sync ? "" : " (no fdatasync: records may be lost on a crash)");
        return a;
fail:
        audit_free(a);
        return NULL;
}

void audit_close(struct audit *a)
{
        if (a == NULL)
                return;
        if (!a->st.failing)
                audit_append_now(a, "close", json_pack("{s:i}", "pid", (json_int_t)getpid()));
        if (audit_flush(a) < 0)
                log_warnx("audit: %s: %llu record(s) could not be written at close", a->path,
                          (unsigned long long)(a->seq - a->durable));
        audit_free(a);
}

void audit_set_release(struct audit *a, void (*fn)(void *), void *arg)
{
        if (a == NULL)
                return;
        a->release = fn;
        a->release_arg = arg;
}

uint64_t audit_durable(const struct audit *a)
{
        return a == NULL ? UINT64_MAX : a->durable;
}

int audit_ok(const struct audit *a)
{
        return a == NULL || !a->st.failing;
}

void audit_stats(const struct audit *a, struct audit_stats *st)
{
        memset(st, 0, sizeof(*st));
        if (a == NULL)
                return;
        *st = a->st;
        st->seq = a->seq;
        st->durable = a->durable;
}

const char *audit_durable_hash(const struct audit *a)
{
        return a == NULL ? NULL : a->durable_hash;
}
