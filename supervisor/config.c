/*
 * config.c - dockgated's settings: defaults, then the JSON config file.
 * Flags are applied by main.c after config_load().
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buildcg.h"
#include "config.h"
#include "frame.h"
#include "log.h"
#include "msg.h"

/* The worker binary sits beside dockgated unless told otherwise. */
static void default_worker_path(struct config *c, const char *argv0)
{
        char self[PATH_MAX - 64]; /* room for the file name */
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        (void)argv0;
        if (n <= 0) {
                snprintf(c->worker_path, sizeof(c->worker_path),
                         "/usr/libexec/dockgate-worker");
                return;
        }
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash != NULL)
                *slash = '\0';
        snprintf(c->worker_path, sizeof(c->worker_path), "%s/dockgate-worker", self);
        /* Installed (make install, the package): PREFIX/sbin and PREFIX/libexec/dockgate. */
        if (access(c->worker_path, X_OK) == 0 || (slash = strrchr(self, '/')) == NULL)
                return;
        *slash = '\0';
        snprintf(c->worker_path, sizeof(c->worker_path), "%s/libexec/dockgate/dockgate-worker",
                 self);
}

void config_defaults(struct config *c, const char *argv0)
{
        memset(c, 0, sizeof(*c));
        snprintf(c->socket, sizeof(c->socket), "/run/dockgate/dockgate.sock");
        snprintf(c->engine, sizeof(c->engine), "/var/run/docker.sock");
        snprintf(c->policy, sizeof(c->policy), "/etc/dockgate/policy.json");
        snprintf(c->worker_user, sizeof(c->worker_user), "nobody");
        default_worker_path(c, argv0);
        c->pool_size = 4;
        c->max_frame = FRAME_MAX_PEER_DEFAULT;
        c->worker_idle = 300;
        c->max_calls_stream = 64;
        c->max_calls_peer = 256;
        c->worker_lifetime = 86400;
        c->first_call = 10;
        c->max_workers = 1024;
        c->max_workers_per_peer = 512;
        c->streams_per_second = 100;
        c->log_level = LOG_LVL_INFO;
        c->syslog = 0;
        c->audit_rotate_bytes = 64ull << 20;
        c->audit_sync = 1;
        c->accounting_interval = 5;
        c->lease_tick = 5;
        c->zygote = 1;
        c->zygote_forks = 256;
        c->zygote_seconds = 600;
        snprintf(c->build_cgroup, sizeof(c->build_cgroup), "dockgate-build");
}

static int set_str(char *dst, size_t dstlen, json_t *v, const char *key, char *err,
                   size_t errlen)
{
        if (!json_is_string(v) || json_string_length(v) == 0 ||
            json_string_length(v) >= dstlen ||
            strlen(json_string_value(v)) != json_string_length(v)) {
                snprintf(err, errlen, "%s: must be a non-empty string shorter than %zu bytes",
                         key, dstlen);
                return -1;
        }
        memcpy(dst, json_string_value(v), json_string_length(v) + 1);
        return 0;
}

static int set_uint(uint32_t *dst, json_t *v, const char *key, json_int_t lo, json_int_t hi,
                    char *err, size_t errlen)
{
        if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
                snprintf(err, errlen, "%s: must be an integer from %lld to %lld", key,
                         (long long)lo, (long long)hi);
                return -1;
        }
        *dst = (uint32_t)json_integer_value(v);
        return 0;
}

static int set_bool(int *dst, json_t *v, const char *key, char *err, size_t errlen)
{
        if (!json_is_boolean(v)) {
                snprintf(err, errlen, "%s: must be true or false", key);
                return -1;
        }
        *dst = json_is_true(v);
        return 0;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
        json_error_t jerr;
        json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (root == NULL) {
                snprintf(err, errlen, "%s:%d: %s", path, jerr.line, jerr.text);
                return -1;
        }
        int rc = -1;
        if (!json_is_object(root)) {
                snprintf(err, errlen, "%s: the config must be a JSON object", path);
                goto out;
        }
        const char *key;
        json_t *v;
        json_object_foreach(root, key, v)
        {
                uint32_t u;
                if (strcmp(key, "socket") == 0) {
                        if (set_str(c->socket, sizeof(c->socket), v, key, err, errlen) < 0)
                                goto out;
                } else if (strcmp(key, "dockerSocket") == 0) {
                        if (set_str(c->docker_socket, sizeof(c->docker_socket), v, key, err,
                                    errlen) < 0)
                                goto out;
                } else if (strcmp(key, "tcp") == 0) {
                        if (set_str(c->tcp, sizeof(c->tcp), v, key, err, errlen) < 0)
                                goto out;
                } else if (strcmp(key, "engine") == 0) {
                        if (set_str(c->engine, sizeof(c->engine), v, key, err, errlen) < 0)
                                goto out;
                } else if (strcmp(key, "policy") == 0) {
                        if (set_str(c->policy, sizeof(c->policy), v, key, err, errlen) < 0)
                                goto out;
                } else if (strcmp(key, "workerPath") == 0) {
                        if (set_str(c->worker_path, sizeof(c->worker_path), v, key, err,
                                    errlen) < 0)
                                goto out;
                } else if (strcmp(key, "workerUser") == 0) {
                        if (set_str(c->worker_user, sizeof(c->worker_user), v, key, err,
                                    errlen) < 0)
                                goto out;
                } else if (strcmp(key, "poolSize") == 0) {
                        if (set_uint(&u, v, key, 1, 256, err, errlen) < 0)
                                goto out;
                        c->pool_size = (int)u;
                } else if (strcmp(key, "maxFrameBytes") == 0) {
                        if (set_uint(&c->max_frame, v, key, 1024, FRAME_MAX_SERVER, err,
                                     errlen) < 0)
                                goto out;
                } else if (strcmp(key, "maxCallsPerStream") == 0) {
                        if (set_uint(&c->max_calls_stream, v, key, 1, MSG_CALLS_MAX, err,
                                     errlen) < 0)
                                goto out;
                } else if (strcmp(key, "maxCallsPerPeer") == 0) {
                        if (set_uint(&c->max_calls_peer, v, key, 1, 1u << 20, err, errlen) < 0)
                                goto out;
                } else if (strcmp(key, "workerIdleSeconds") == 0) {
                        if (set_uint(&c->worker_idle, v, key, 1, 86400, err, errlen) < 0)
                                goto out;
                } else if (strcmp(key, "workerLifetimeSeconds") == 0) {
                        if (set_uint(&c->worker_lifetime, v, key, 1, 30 * 86400, err, errlen) <
                            0)
                                goto out;
                } else if (strcmp(key, "firstCallSeconds") == 0) {
                        if (set_uint(&c->first_call, v, key, 1, 86400, err, errlen) < 0)
                                goto out;
                } else if (strcmp(key, "maxWorkers") == 0) {
                        if (set_uint(&u, v, key, 1, 65536, err, errlen) < 0)
                                goto out;
                        c->max_workers = (int)u;
                } else if (strcmp(key, "streamsPerSecondPerPeer") == 0) {
                        if (set_uint(&c->streams_per_second, v, key, 0, 1000000, err, errlen) <
                            0)
                                goto out;
                } else if (strcmp(key, "maxWorkersPerPeer") == 0) {
                        if (set_uint(&u, v, key, 1, 65536, err, errlen) < 0)
                                goto out;
                        c->max_workers_per_peer = (int)u;
                } else if (strcmp(key, "logLevel") == 0) {
                        int lvl =
                            json_is_string(v) ? log_level_parse(json_string_value(v)) : -1;
                        if (lvl < 0) {
                                snprintf(err, errlen, "%s: must be error, warn, info or debug",
                                         key);
                                goto out;
                        }
                        c->log_level = lvl;
                } else if (strcmp(key, "audit") == 0) {
                        if (set_str(c->audit, sizeof(c->audit), v, key, err, errlen) < 0)
                                goto out;
                } else if (strcmp(key, "auditRotateBytes") == 0) {
                        /* 0 never rotates; else at least a few records per file */
                        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                            (json_integer_value(v) > 0 && json_integer_value(v) < 4096)) {
                                snprintf(err, errlen, "%s: must be 0 or at least 4096", key);
                                goto out;
                        }
                        c->audit_rotate_bytes = (uint64_t)json_integer_value(v);
                } else if (strcmp(key, "auditSync") == 0) {
                        if (set_bool(&c->audit_sync, v, key, err, errlen) < 0)
                                goto out;
                } else if (strcmp(key, "adminSocket") == 0) {
                        if (set_str(c->admin_socket, sizeof(c->admin_socket), v, key, err,
                                    errlen) < 0)
                                goto out;
                } else if (strcmp(key, "stateDir") == 0) {
                        if (set_str(c->state_dir, sizeof(c->state_dir), v, key, err, errlen) <
                            0)
                                goto out;
                } else if (strcmp(key, "accountingIntervalSeconds") == 0) {
                        if (set_uint(&c->accounting_interval, v, key, 1, 3600, err, errlen) < 0)
                                goto out;
                } else if (strcmp(key, "leaseTickSeconds") == 0) {
                        if (set_uint(&c->lease_tick, v, key, 1, 60, err, errlen) < 0)
                                goto out;
                } else if (strcmp(key, "zygote") == 0) {
                        if (set_bool(&c->zygote, v, key, err, errlen) < 0)
                                goto out;
                } else if (strcmp(key, "zygoteForks") == 0) {
                        if (set_uint(&c->zygote_forks, v, key, 1, 65536, err, errlen) < 0)
                                goto out;
                } else if (strcmp(key, "zygoteSeconds") == 0) {
                        if (set_uint(&c->zygote_seconds, v, key, 1, 86400, err, errlen) < 0)
                                goto out;
                } else if (strcmp(key, "buildCgroup") == 0) {
                        if (set_str(c->build_cgroup, sizeof(c->build_cgroup), v, key, err,
                                    errlen) < 0)
                                goto out;
                        if (!buildcg_name_ok(c->build_cgroup)) {
                                snprintf(err, errlen,
                                         "%s: one cgroup name of [A-Za-z0-9_.-], not . or ..",
                                         key);
                                goto out;
                        }
                } else if (strcmp(key, "syslog") == 0) {
                        if (set_bool(&c->syslog, v, key, err, errlen) < 0)
                                goto out;
                } else {
                        snprintf(err, errlen, "%s: unknown setting", key);
                        goto out;
                }
        }
        rc = 0;
out:
        json_decref(root);
        return rc;
}
