/*
 * audit_impl.h - what the three files of the audit log share (audit.h is
 * what the rest of the supervisor sees): the state of one log, and the
 * calls between its parts.
 *
 * - audit.c: the record API (sealing and chaining records, queueing them;
 *   open and close);
 * - audit_writer.c: the writer thread and its group commits (one write and
 *   one fdatasync per loop iteration's records), failures and retries;
 * - audit_files.c: the files: rotation, and recovery of the chain at open
 *   (a torn last line cut off; tests/unit/test_sv_audit.c).
 */
#ifndef DG_AUDIT_IMPL_H
#define DG_AUDIT_IMPL_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "audit.h"

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

/* audit.c: appends a record without the rotation check (the records of rotation itself). */
void audit_append_now(struct audit *a, const char *type, json_t *fields);

/* audit_writer.c */
/* Starts the writer thread and its eventfd; -1 with err. */
int audit_start_writer(struct audit *a, char *err, size_t errlen);
/* Waits for the batch out, if any, and ends the thread (nothing when never started). */
void audit_stop_writer(struct audit *a);
/* ev_flush: the end of a loop iteration that recorded something (one group commit). */
void audit_flush_cb(evutil_socket_t fd, short what, void *arg);
/* ev_retry: after a failed write or sync. */
void audit_retry_cb(evutil_socket_t fd, short what, void *arg);

/* audit_files.c */
/* a->path, a->dir and a->name from path; -1 with err when it cannot be a log (or rotate). */
int audit_split_path(struct audit *a, const char *path, char *err, size_t errlen);
/* Opens (creates, 0600) the live file into a->fd; -1 with err. */
int audit_open_live(struct audit *a, char *err, size_t errlen);
/*
 * Where the chain ends (a->seq, a->head): the live file, else the newest
 * rotated one (*cont_rotated its number).  A torn last line of the live
 * file is cut, its size in *cut.  1 found, 0 a new chain, -1 with err.
 */
int audit_recover(struct audit *a, uint64_t *cut, int *cont_rotated, char *err, size_t errlen);
/* Renames the live file aside and starts a new one chained to it. */
void audit_rotate(struct audit *a);
/* FILE.NNNNNN of rotated file n. */
void audit_rot_name(const struct audit *a, unsigned n, char *buf, size_t len);
/* fsync of the log's directory (after a create or rename). */
int audit_sync_dir(const struct audit *a);

#endif
