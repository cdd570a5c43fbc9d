/*
 * policy.h - who the peers are and what each may do.
 *
 * The policy file is JSON (format: docs/policy.md, contrib/README.md).  The
 * smallest useful one is
 *   {"peers": {"alpha": {"uids": [1001]}}}
 * and every omitted setting takes a safe default: an ordinary tenant's
 * operations (not admin ones), conservative container limits, and quotas.
 * The loaded policy is immutable; a reload builds a new one and swaps it.
 *
 * Identity: a unix peer is the policy peer listing its uid (SO_PEERCRED),
 * else the one listing its gid; a TCP peer is the one holding the SHA-256
 * of the token its call carries.  Each uid, gid and token names one peer.
 */
#ifndef DG_POLICY_H
#define DG_POLICY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bounds.h"

#define POLICY_NAME_MAX DG_NAME_MAX /* bounds.h */
#define POLICY_MAX_IDS 64
#define POLICY_MAX_PATTERNS 64
#define POLICY_MAX_TOKENS 16
#define POLICY_MAX_CAPS 64
#define POLICY_MAX_NETWORKS 16
#define POLICY_TOKEN_ID_LEN 12 /* hex digits of a token's hash shown as its id */
#define POLICY_REPORT_MAX 16384

/* Limits set on a container: each peer has defaults and ceilings. */
struct policy_limits {
        int64_t memory_bytes;
        int64_t nano_cpus;
        int64_t pids_limit;
};

/* 0 in any field: no quota of that kind. */
struct policy_quotas {
        int64_t containers;   /* containers owned, in any state */
        int64_t memory_bytes; /* sum over live (running, paused) containers */
        int64_t nano_cpus;    /* likewise */
        int64_t streams;      /* concurrent streams */
        int64_t calls_per_second;
        int64_t burst;           /* calls allowed at once before the rate applies */
        int64_t published_ports; /* host ports published over its containers */
        int64_t images;          /* images it built (owner label), checked before a build */
        int64_t image_bytes;     /* their sizes summed, likewise */
};

#define POLICY_MAX_ROOTS 16
#define POLICY_MAX_RANGES 16
#define POLICY_MAX_ADDRS 8
#define POLICY_MAX_RUNTIMES 8
#define POLICY_ROOT_MAX 255

/* The ulimits a container may ask for, in this order (docs/policy.md). */
enum policy_ulimit { PU_NOFILE, PU_NPROC, PU_CORE, PU_MEMLOCK, PU__N };
extern const char *const policy_ulimit_names[PU__N + 1];

/* What a peer's workloads may ask for beyond the limits (container.* keys, docs/policy.md). */
struct policy_workload {
        int64_t ulimit_max[PU__N];  /* hard-limit ceilings */
        int64_t hc_min_interval_ms; /* health checks: at least this far apart */
        int64_t hc_max_timeout_ms;  /* each probe at most this long */
        int64_t hc_max_retries;
        int64_t hc_max_start_ms;                /* start period */
        char allowed_caps[POLICY_MAX_CAPS][24]; /* capAdd may name these (never risky ones) */
        size_t nallowed_caps;
        char runtimes[POLICY_MAX_RUNTIMES][POLICY_NAME_MAX + 1]; /* runtime may name these */
        size_t nruntimes;
        int allow_swap;                                         /* memorySwap above memory */
        char bind_roots[POLICY_MAX_ROOTS][POLICY_ROOT_MAX + 1]; /* host dirs it may mount */
        int bind_rw[POLICY_MAX_ROOTS];                          /* ... writable when set */
        size_t nbind_roots;
        char host_addrs[POLICY_MAX_ADDRS][64]; /* addresses published ports may bind */
        size_t nhost_addrs;
        int port_lo[POLICY_MAX_RANGES], port_hi[POLICY_MAX_RANGES]; /* host port ranges */
        size_t nranges;
};

/*
 * docker/image/build (the "build" key, docs/policy.md): off unless allowed.
 * The build containers get the peer's container defaults as limits.
 */
struct policy_build {
        int allow;                 /* build.allow: the operation is refused without it */
        int64_t max_context_bytes; /* the context tar, as sent */
        int64_t timeout_s;         /* the whole build, from its call */
        int64_t concurrent;        /* builds at once per peer */
        int64_t pids_max;          /* the peer's build cgroup: processes, all builds together */
        int64_t memory_bytes;      /* ... and memory (buildcg.h) */
        int allow_add_url;         /* ADD may fetch http(s) URLs */
        char network[POLICY_NAME_MAX + 1]; /* RUN's network: "none" or an engine network */
};

struct peer_policy {
        char name[POLICY_NAME_MAX + 1]; /* [a-z0-9][a-z0-9_-]*, at most 64 */
        uid_t uids[POLICY_MAX_IDS];
        size_t nuids;
        gid_t gids[POLICY_MAX_IDS];
        size_t ngids;
        unsigned char tokens[POLICY_MAX_TOKENS][32]; /* SHA-256 of each bearer token */
        size_t ntokens;
        int admin;                             /* sees and touches every resource */
        char *operations[POLICY_MAX_PATTERNS]; /* glob patterns (fnmatch) of operation ids */
        size_t noperations;
        char *images[POLICY_MAX_PATTERNS]; /* glob patterns of image references */
        size_t nimages;

        /* containers */
        struct policy_limits defaults;       /* applied when the peer asks for nothing */
        struct policy_limits ceilings;       /* the most a peer may ask for */
        char network[POLICY_NAME_MAX + 1];   /* default network: "none" or in networks */
        char *networks[POLICY_MAX_NETWORKS]; /* engine-wide networks it may join */
        size_t nnetworks;
        char *caps[POLICY_MAX_CAPS]; /* capabilities kept; every other one is dropped */
        size_t ncaps;
        char runtime[POLICY_NAME_MAX + 1]; /* forced OCI runtime, "" for the engine's */
        int read_only_default;             /* readOnlyRootfs when the peer does not say */
        int read_only_forced;              /* the root filesystem is always read-only */
        int put_with_read_only;            /* archive put allowed despite read_only_forced */
        int refuse_root;                   /* containers and execs must name a non-root uid */

        struct policy_quotas quotas;
        int64_t retention_exited_s; /* exited containers removed this long after; 0: kept */
        struct policy_workload wl;
        struct policy_build build;
};

struct policy {
        int refs;              /* main's reference plus one per call in flight */
        char owner_label[128]; /* reserved label key, default "dockgate.owner" */
        struct peer_policy *peers;
        size_t npeers;
};

/* What a check found: one line per problem, errors and warnings counted. */
struct policy_report {
        char text[POLICY_REPORT_MAX];
        size_t len;
        int errors, warnings;
};

/*
 * Loads and checks a policy file.  Returns NULL with the first problem,
 * located ("peers.alpha.uids[2]: ..."), and how many more there are in err.
 */
struct policy *policy_load(const char *path, char *err, size_t errlen);
/*
 * The same, reporting every problem and every warning in r (one per line).
 * Returns NULL when r->errors > 0.
 */
struct policy *policy_check_file(const char *path, struct policy_report *r);
struct policy *policy_parse(json_t *root, struct policy_report *r);
void policy_free(struct policy *p);
/* Calls hold a reference so that a reload never frees a policy in use. */
struct policy *policy_ref(struct policy *p);
void policy_unref(struct policy *p);

/* The peer whose uids list uid, or NULL. */
const struct peer_policy *policy_by_uid(const struct policy *p, uid_t uid);
/* The peer listing uid, else the one listing gid, or NULL. */
const struct peer_policy *policy_by_cred(const struct policy *p, uid_t uid, gid_t gid);
/*
 * The peer holding token (compared as SHA-256 digests in constant time), or
 * NULL.  id (at least POLICY_TOKEN_ID_LEN + 1 bytes, may be NULL) receives a
 * short, non-secret id of the token: the first hex digits of its digest.
 */
const struct peer_policy *policy_by_token(const struct policy *p, const char *token, char *id);
const struct peer_policy *policy_by_name(const struct policy *p, const char *name);
/* 1 when the peer may call op. */
int policy_allows(const struct peer_policy *pp, const char *op);
/*
 * 1 when the peer may use the image reference (tag may be NULL).  A
 * reference without tag or digest is matched as "<ref>:latest".
 */
int policy_image_allowed(const struct peer_policy *pp, const char *image, const char *tag);
/*
 * 1 when the reference lies in the peer's own namespace ("<peer>/NAME"):
 * images it built or tagged, which it may create containers from and build
 * on whatever the allowlist says (never pull: a registry's "<peer>/..." is
 * not the peer's).
 */
int policy_image_own(const struct peer_policy *pp, const char *image);
/* 1 when name is an engine-wide network the peer may join ("none" always is). */
int policy_network_allowed(const struct peer_policy *pp, const char *name);
/*
 * 0 when a container or exec may run as user ("uid[:gid]", a name, or
 * NULL/"" for the image's default).  With refuseRoot set, only a numeric
 * uid other than 0 (and a numeric gid other than 0, if any) is accepted:
 * a name is resolved inside the image, where any name may be uid 0.
 * Returns -1 with the reason in err (to be prefixed by the field's name).
 */
int policy_check_user(const struct peer_policy *pp, const char *user, char *err, size_t errlen);
/*
 * The user the engine is to run a container or exec as.  With refuseRoot,
 * a uid alone (as policy_check_user() accepts it) becomes "uid:uid": the
 * engine would otherwise take the gid from the image's passwd, or 0 when
 * the uid has no entry there, and the supplementary groups of the image's
 * group file (group 0 for a uid with no name).  With an explicit gid it
 * takes that gid and no supplementary group at all.  Without refuseRoot
 * user is returned as it is.  out holds POLICY_RUN_AS_MAX bytes.  NULL
 * when policy_check_user() refuses user (the caller checked it first).
 */
#define POLICY_RUN_AS_MAX 24
const char *policy_run_as(const struct peer_policy *pp, const char *user, char *out,
                          size_t outlen);
/*
 * The checks of a call's input that need no engine: the image allowlist
 * (create, pull) and the user (create, exec: with refuseRoot both must name
 * a non-root numeric uid).  0, or -1 with a peer-facing reason (FORBIDDEN)
 * in err.
 */
int policy_check_call(const struct peer_policy *pp, const char *op, const json_t *input,
                      char *err, size_t errlen);
/* What whoami shows of a peer's settings (a new object). */
json_t *policy_peer_json(const struct peer_policy *pp);
/* "sha256:<hex>" of token into out (at least 72 bytes); -1 on failure. */
int policy_hash_token(const char *token, char *out, size_t outlen);

#endif
