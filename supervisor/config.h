/*
 * config.h - dockgated's settings: built-in defaults, then the config file
 * (JSON), then command-line flags, each overriding the one before.
 *
 * Config file keys (all optional; unknown keys are an error):
 *   socket, engine, policy, workerPath, workerUser, poolSize, maxFrameBytes,
 *   workerIdleSeconds, workerLifetimeSeconds, logLevel, syslog
 */
#ifndef DG_CONFIG_H
#define DG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct config {
        char socket[108];      /* peers' unix listener */
        char engine[108];      /* the Docker socket */
        char policy[4096];     /* policy file */
        char worker_path[4096];
        char worker_user[64];
        int pool_size;         /* idle, sandboxed workers kept ready */
        uint32_t max_frame;    /* largest frame from a peer */
        uint32_t worker_idle;  /* seconds a stream may sit without a call */
        uint32_t worker_lifetime; /* seconds before a worker is killed, whatever it does */
        int log_level;
        int syslog;
};

void config_defaults(struct config *c, const char *argv0);
/* 0 on success, -1 with err naming the key and the problem. */
int config_load(struct config *c, const char *path, char *err, size_t errlen);

#endif
