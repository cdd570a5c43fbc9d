/*
 * exectab.h - the exec instances each peer created (docker/container/exec/create),
 * so that the later calls on one (start, inspect, resize) can be checked:
 * an exec ID is the peer's only if this table says so, and it stays tied
 * to the container it was made in.
 *
 * Bounded: at most EXECTAB_PER_PEER entries per peer; when full, a new one
 * replaces the one idle longest, and is refused only while every entry runs
 * a session through the gateway.  An entry goes when its container is
 * removed or found gone, and EXECTAB_TTL_SECS after its last use once it
 * runs no session.
 */
#ifndef DG_SV_EXECTAB_H
#define DG_SV_EXECTAB_H

#include <stddef.h>
#include <time.h>

#include "bounds.h"
#include "policy.h"

#define EXECTAB_PER_PEER 64
#define EXECTAB_TTL_SECS 600

struct exectab;

struct exec_entry {
        char peer[POLICY_NAME_MAX + 1];
        char eid[DG_ENGINE_ID_MAX + 1]; /* the engine's exec ID (64 hex) */
        char cid[DG_ENGINE_ID_MAX + 1]; /* the container's full ID */
        int tty, in;                    /* as created */
        int started;                    /* a start was asked: an exec starts once */
        int live;                       /* a session through the gateway is on */
        int ended;                      /* that session's output ended */
        time_t last;                    /* last use */
};

struct exectab *exectab_new(void);
void exectab_free(struct exectab *t);
/* 1 when peer may add one more (expired entries are dropped first; an idle one may go). */
int exectab_room(struct exectab *t, const char *peer, time_t now);
/* The new entry (copied), or NULL when out of room or memory. */
struct exec_entry *exectab_add(struct exectab *t, const struct exec_entry *e, time_t now);
/* peer's entry for eid, touched; NULL when there is none (or another peer's). */
struct exec_entry *exectab_find(struct exectab *t, const char *peer, const char *eid,
                                time_t now);
void exectab_drop(struct exectab *t, const char *eid);
/* Every entry of container cid. */
void exectab_drop_container(struct exectab *t, const char *cid);
/* Entries held by peer (for tests and usage). */
size_t exectab_count(struct exectab *t, const char *peer);

#endif
