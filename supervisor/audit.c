/*
 * audit.c - the audit log's record API: each record sealed and chained at
 * once, queued for the writer; open and close (audit.h).  The writer thread
 * is audit_writer.c, rotation and recovery audit_files.c (audit_impl.h).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_impl.h"
#include "log.h"
#include "supervisor.h"

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

/* Appends a record without the rotation check (the records of rotation itself). */
void audit_append_now(struct audit *a, const char *type, json_t *fields)
{
        char hash[AUDITFMT_HEX + 1];
        size_t len;
        char *line = audit_build(a, a->seq + 1, type, fields, &len, hash);

        json_decref(fields);
        if (line == NULL)
                fatalx("audit: cannot build a %s record", type);
        audit_push(a, line, len, hash);
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

static void audit_free(struct audit *a)
{
        audit_stop_writer(a);
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
