/*
 * create_body.h - the engine's body for docker/container/create, built
 * from the checked input and the peer's policy alone (no engine, no call):
 * a pure function, unit-tested in tests/unit/test_create_body.c.
 *
 * SECURITY (invariants 4 and 5): the body is built field by field from the
 * inputs known here; nothing the peer sent is copied through as a whole;
 * the confinement and the limits (the peer's defaults, never above its
 * ceilings) are always set, and the owner label always stamped.
 *
 * What needs the engine is left in the plan for the handler
 * (op_container.c): each volume and a network of the peer's own are
 * resolved (ownership) before the create, then put in the body with
 * create_body_mount() and create_body_network().
 *
 * Adding a create input: its field in protocol/schema.c (f_create), a
 * create_<input>() step here called from create_body_build(), a case in
 * test_create_body.c, and its line in docs/operations.md.
 */
#ifndef DG_CREATE_BODY_H
#define DG_CREATE_BODY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "errors.h"
#include "policy.h"

#define CREATE_VOLUMES_MAX DG_VOLUMES_MAX
#define CREATE_PATH_MAX 256 /* a mount path in the container */
#define CREATE_ERR_MAX 512
#define CREATE_ALIASES_MAX DG_ALIASES_MAX

struct call;

/* A volume to mount: the peer's reference, resolved to its own volume first. */
struct create_volume {
        char ref[OPS_REF_MAX + 1];
        char path[CREATE_PATH_MAX + 1];
        int read_only;
};

#define CREATE_PORTS_MAX 32 /* the schema's bound on input.ports */
#define CREATE_BINDS_MAX 16
#define CREATE_HOST_PATH_MAX 1024

/* A port to publish: container port/proto on host address:port (0: the gateway picks). */
struct create_port {
        char ctr[16]; /* "7777/tcp" */
        char addr[64];
        int host;
};

/* A host path to bind, resolved beneath its root (bindroot.h) before the create. */
struct create_bind {
        char host[CREATE_HOST_PATH_MAX + 1];
        char root[256];
        char path[CREATE_PATH_MAX + 1];
        int read_only;
};

/* Everything a create needs after the checks: the body and what is left to resolve. */
struct create_plan {
        json_t *body;                  /* the engine's create body (owned) */
        char name[OPS_NAME_MAX + 1];   /* input.name, or "" when the gateway picks one */
        char network[OPS_REF_MAX + 1]; /* a network of the peer's own to resolve, or "" */
        /* input.networkAliases: more names on that network, beside plan->name */
        char aliases[CREATE_ALIASES_MAX][OPS_NAME_MAX + 1];
        size_t naliases;
        struct create_volume volumes[CREATE_VOLUMES_MAX];
        size_t nvolumes;
        int64_t memory_bytes, nano_cpus, pids_limit; /* the limits set */
        struct create_port ports[CREATE_PORTS_MAX];  /* create_knobs.c */
        size_t nports;
        int publish_all; /* every port the image exposes, each on a picked host port */
        struct create_bind binds[CREATE_BINDS_MAX];
        size_t nbinds;
        int ports_settled;                  /* create_ports.c: host ports chosen */
        void (*ports_next)(struct call *c); /* create_ports.c: what runs after its steps */
};

/*
 * create_knobs.c: the workload inputs (healthcheck, ulimits, CPU quota and
 * set, shm, swap, stop signal and timeout, init, hostname, domainname,
 * extraHosts, dns, autoRemove, capAdd, runtime, ports, binds), checked
 * against the peer's policy and written into the body (cfg, hc); ports and
 * binds are left in plan for the handler.  0, or -1 with err filled in.
 */
struct create_error;
int create_knobs(const json_t *in, const struct peer_policy *pp, struct create_plan *plan,
                 json_t *cfg, json_t *hc, struct create_error *err);

/* Why a create is refused: the code and the peer-facing message. */
struct create_error {
        enum dg_err code;
        char text[CREATE_ERR_MAX];
};

/*
 * Checks input (already checked against the schema) against the peer's
 * policy and fills plan.  owner_label is the policy's reserved label key.
 * 0, or -1 with err filled in and nothing to free.
 */
int create_body_build(const json_t *input, const struct peer_policy *pp,
                      const char *owner_label, struct create_plan *plan,
                      struct create_error *err);
/* Mounts plan->volumes[i] from the resolved volume name. */
void create_body_mount(struct create_plan *plan, size_t i, const char *volume_name);
/*
 * Puts the container on the resolved network id (its driver, from the
 * engine's inspect, may be NULL), with plan->name and plan->aliases as its
 * aliases there.
 * -1 with err filled in when that network is the host's.
 */
int create_body_network(struct create_plan *plan, const char *id, const char *driver,
                        struct create_error *err);
void create_body_clear(struct create_plan *plan);
/*
 * restartPolicy: "no", "always", "unless-stopped", "on-failure" or
 * "on-failure:N" (N <= 1000) as the engine's {"Name", "MaximumRetryCount"};
 * NULL with *why set when it is none of those (create, update).
 */
json_t *create_restart_policy(const char *in, const char **why);
/*
 * Sets the log driver of the container (the builder's default: "local"):
 * the engine's driver that keeps output bytes and order (profile.h).
 */
void create_body_log_driver(struct create_plan *plan, const char *driver);

#endif
