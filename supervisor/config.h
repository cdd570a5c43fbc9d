/*
 * config.h - dockgated's settings: built-in defaults, then the config file
 * (JSON), then command-line flags, each overriding the one before.
 *
 * Config file keys (all optional; unknown keys are an error):
 *   socket, dockerSocket, engine, policy, workerPath, workerUser, poolSize, maxFrameBytes,
 *   workerIdleSeconds, workerLifetimeSeconds, maxCallsPerStream,
 *   maxCallsPerPeer, logLevel, syslog, tcp,
 *   audit, auditRotateBytes, auditSync, adminSocket, stateDir,
 *   accountingIntervalSeconds (docs/audit.md), leaseTickSeconds (lease.h),
 *   firstCallSeconds, maxWorkers, maxWorkersPerPeer, streamsPerSecondPerPeer
 *   (docs/SECURITY.md, invariant 6),
 *   zygote, zygoteForks, zygoteSeconds (the fork server: docs/SECURITY.md "Zygote")
 */
#ifndef DG_CONFIG_H
#define DG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct config {
        char socket[108];        /* peers' unix listener */
        char docker_socket[108]; /* the Docker-API front's unix listener; "" for none */
        char tcp[64];      /* "[HOST:]PORT" of the TCP listener (token auth); "" for none */
        char engine[108];  /* the Docker socket */
        char policy[4096]; /* policy file */
        char worker_path[4096];
        char worker_user[64];
        int pool_size;             /* idle, sandboxed workers kept ready */
        uint32_t max_frame;        /* largest frame from a peer */
        uint32_t worker_idle;      /* seconds a stream may sit without a call */
        uint32_t max_calls_stream; /* calls in flight on one stream (RATE_LIMITED past it) */
        uint32_t max_calls_peer;   /* calls in flight over all of one peer's streams */
        uint32_t worker_lifetime;  /* seconds before a worker is killed, whatever it does */
        uint32_t first_call;       /* seconds a new stream may stay silent */
        int max_workers;           /* serving workers and waiting peers, all peers together */
        int max_workers_per_peer;  /* the same, for one peer (its streams quota also applies) */
        uint32_t streams_per_second; /* new streams one peer may open (burst 2x); 0: no limit */
        int log_level;
        int syslog;
        char audit[4096];             /* the audit log; "" for none */
        uint64_t audit_rotate_bytes;  /* rotate past this size; 0: never */
        int audit_sync;               /* fdatasync before answering (0: benchmarks only) */
        char admin_socket[108];       /* /metrics and /ready; "" for none */
        char state_dir[4096];         /* persisted accounting; "" keeps it in memory */
        uint32_t accounting_interval; /* seconds between engine samples */
        uint32_t lease_tick;          /* seconds between lease reaper rounds (lease.h) */
        int zygote;              /* fork workers from a zygote (zygote.h); 0: posix_spawn */
        uint32_t zygote_forks;   /* a fresh zygote after this many forks */
        uint32_t zygote_seconds; /* ... or after this many seconds */
        char build_cgroup[65];   /* the cgroup under which each peer's builds run (buildcg.h) */
};

void config_defaults(struct config *c, const char *argv0);
/* 0 on success, -1 with err naming the key and the problem. */
int config_load(struct config *c, const char *path, char *err, size_t errlen);

#endif
