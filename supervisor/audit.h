/*
 * audit.h - the tamper-evident audit log (DESIGN.md invariant 7).
 *
 * One JSON line per record, sealed and chained as audit/auditfmt.h says.
 * Records are appended in memory as the loop makes them and written in
 * groups: at the end of the loop iteration, everything recorded during it
 * goes out in one write and one fdatasync (group commit).  Each record has
 * a ticket (its seq); an answer that depends on a record is held until
 * audit_durable() reaches that ticket (pool.c), so no effect is
 * acknowledged before its record is on stable storage.
 *
 * Size-based rotation renames the live file to FILE.NNNNNN (numbers grow)
 * and starts a new FILE whose first record, type "rotate", chains to the
 * last record of the previous file.  At open, a torn last line (a crash
 * mid-write: never acknowledged) is cut off and the chain continues from
 * the last whole record; a last record whose seal is broken stops dockgated
 * rather than extending a chain that no longer verifies.
 *
 * A NULL struct audit means "no audit log": every function accepts it and
 * nothing is held.
 */
#ifndef DG_AUDIT_H
#define DG_AUDIT_H

#include <event2/event.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "auditfmt.h"

struct audit;

struct audit_stats {
        uint64_t records; /* appended by this process */
        uint64_t bytes;   /* written by this process */
        uint64_t batches; /* group commits */
        uint64_t fsyncs;
        uint64_t fsync_ns; /* total time spent in fdatasync */
        uint64_t failures; /* failed writes or syncs */
        uint64_t rotations;
        uint64_t seq;     /* last seq appended */
        uint64_t durable; /* last seq on stable storage */
        int failing;      /* 1 while writes fail (answers are held) */
};

struct audit_conf {
        const char *path;
        uint64_t rotate_bytes; /* 0: never rotate */
        int sync;              /* 0: no fdatasync (benchmarks only) */
        /*
         * Where the state file last saw this log end (0 and NULL: unknown).
         * A log that now ends earlier lost records from its end, which a
         * hash chain alone cannot show; the "open" record then says so.
         */
        uint64_t expect_seq;
        const char *expect_hash;
};

/*
 * Opens (or creates, mode 0600) the log and recovers its chain, then
 * records "start" (a new chain) or "rotate" (continuing a rotated file)
 * as needed, and "open".  Returns NULL with err filled in on failure.
 */
struct audit *audit_open(struct event_base *base, const struct audit_conf *conf, char *err,
                         size_t errlen);
/* Writes a "close" record, flushes it and frees a. */
void audit_close(struct audit *a);

/* Called after each group commit that made records durable (pool_release). */
void audit_set_release(struct audit *a, void (*fn)(void *), void *arg);

/*
 * Appends a record of type with fields (an object, stolen, may be NULL;
 * its members follow seq, time and type).  Returns its ticket, or 0 when
 * a is NULL.
 */
uint64_t audit_append(struct audit *a, const char *type, json_t *fields);
/* The highest ticket on stable storage; UINT64_MAX when a is NULL. */
uint64_t audit_durable(const struct audit *a);
/* 0 while writes to the log fail; 1 otherwise (and when a is NULL). */
int audit_ok(const struct audit *a);
/* Writes out what is pending now, without waiting for the loop. */
int audit_flush(struct audit *a);
void audit_stats(const struct audit *a, struct audit_stats *st);
/* The hash of the last durable record (for the state file's cross-check). */
const char *audit_durable_hash(const struct audit *a);

#endif
