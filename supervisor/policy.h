/*
 * policy.h - who the peers are and what each may do.
 *
 * The policy file is JSON.  The smallest useful one is
 *   {"peers": {"alpha": {"uids": [1001]}}}
 * and every omitted setting takes a safe default: an ordinary tenant's
 * operations (not admin ones) and conservative container limits.
 * The loaded policy is immutable; a reload builds a new one and swaps it.
 */
#ifndef DG_POLICY_H
#define DG_POLICY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define POLICY_NAME_MAX 64
#define POLICY_MAX_IDS 64
#define POLICY_MAX_PATTERNS 64

struct peer_policy {
        char name[POLICY_NAME_MAX + 1]; /* [a-z0-9][a-z0-9_-]*, at most 64 */
        uid_t uids[POLICY_MAX_IDS];
        size_t nuids;
        int admin;                       /* sees and touches every resource */
        char *operations[POLICY_MAX_PATTERNS]; /* glob patterns (fnmatch) of operation ids */
        size_t noperations;
        /* container defaults, always applied at create */
        int64_t memory_bytes;  /* default 512 MiB */
        int64_t nano_cpus;     /* default 1e9 (one CPU) */
        int64_t pids_limit;    /* default 256 */
        char network[32];      /* default network mode: "none" */
};

struct policy {
        int refs;                  /* main's reference plus one per call in flight */
        char owner_label[128];     /* reserved label key, default "dockgate.owner" */
        struct peer_policy *peers;
        size_t npeers;
};

/*
 * Loads and checks a policy file.  Returns NULL with a message naming the
 * problem and where it is ("peers.alpha.uids[2]: not a uid") in err.
 */
struct policy *policy_load(const char *path, char *err, size_t errlen);
struct policy *policy_parse(json_t *root, char *err, size_t errlen);
void policy_free(struct policy *p);
/* Calls hold a reference so that a reload never frees a policy in use. */
struct policy *policy_ref(struct policy *p);
void policy_unref(struct policy *p);

/* The peer whose uids list uid, or NULL. */
const struct peer_policy *policy_by_uid(const struct policy *p, uid_t uid);
const struct peer_policy *policy_by_name(const struct policy *p, const char *name);
/* 1 when the peer may call op. */
int policy_allows(const struct peer_policy *pp, const char *op);

#endif
