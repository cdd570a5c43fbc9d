/*
 * op_container.c - docker/container operations.
 *
 * SECURITY (invariants 3, 4, 5): every operation on an existing container
 * resolves containerId to a full ID owned by the peer first (resolve.c) and
 * then names only that full ID to the engine.  create builds the engine's
 * body field by field from the inputs it knows, stamps the owner label, and
 * always sets the confinement and the limits (the peer's defaults, never
 * above its ceilings); nothing the peer sent is copied through as a whole.
 * Names are the peer's own (names.h); inspect answers are redacted
 * (redact.h); creates and starts are checked against the peer's quotas,
 * read from the engine (quota.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "ops_impl.h"
#include "profile.h"
#include "redact.h"

#define CONTAINER_WAIT_TIMEOUT_MS (3600L * 1000) /* a wait holds one engine connection */
#define CONTAINER_STOP_GRACE_MS 30000L           /* beyond the stop timeout itself */
#define CONTAINER_STOP_DEFAULT_S 10

/* --- create --- */

static int create_fail(struct call *c, enum dg_err code, const char *field, const char *why)
{
        call_fail(c, code, "input.%s: %s", field, why);
        return -1;
}

/* env: ["NAME=VALUE", ...] */
static int create_env(struct call *c, json_t *cfg)
{
        json_t *in = json_object_get(c->input, "env"), *out;

        if (in == NULL)
                return 0;
        if (!ops_env_ok(c))
                return create_fail(c, DG_INVALID_INPUT, "env", "entries must be NAME=VALUE");
        if ((out = ops_strings(in)) == NULL)
                return create_fail(c, DG_INTERNAL, "env", "out of memory");
        json_object_set_new(cfg, "Env", out);
        return 0;
}

/* The peer's default when it asks for nothing; refused above its ceiling. */
static int create_limit(struct call *c, const char *key, int64_t dflt, int64_t ceiling,
                        int64_t *out)
{
        json_t *v = json_object_get(json_object_get(c->input, "limits"), key);
        char why[160];

        *out = dflt;
        if (!json_is_integer(v))
                return 0;
        if (json_integer_value(v) > ceiling) {
                snprintf(why, sizeof(why), "%lld is above this peer's ceiling of %lld",
                         (long long)json_integer_value(v), (long long)ceiling);
                call_fail(c, DG_FORBIDDEN, "input.limits.%s: %s", key, why);
                return -1;
        }
        *out = json_integer_value(v);
        return 0;
}

/* An absolute path in the container, for tmpfs and volume mounts. */
static int create_path_ok(const char *p)
{
        size_t i, n = strlen(p);

        /* No "." or ".." segment: the engine would clean it into another path. */
        if (p[0] != '/' || n > 256 || strstr(p, "/..") != NULL || strstr(p, "/./") != NULL ||
            (n >= 2 && strcmp(p + n - 2, "/.") == 0))
                return 0;
        for (i = 0; p[i] != '\0'; i++)
                if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-",
                           p[i]) == NULL)
                        return 0;
        return 1;
}

/* Only options that confine or size the mount; never one that widens it. */
static int create_tmpfs_opts_ok(const char *o)
{
        static const char *const flags[] = {"rw",     "ro",    "noexec", "exec",
                                            "nosuid", "nodev", NULL};
        static const char *const keyed[] = {"size=", "mode=", "uid=", "gid=", NULL};
        char buf[256], *tok, *save = NULL;
        size_t i, n;
        int ok;

        if (strlen(o) >= sizeof(buf))
                return 0;
        snprintf(buf, sizeof(buf), "%s", o);
        for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
                ok = 0;
                for (i = 0; flags[i] != NULL; i++)
                        ok |= strcmp(tok, flags[i]) == 0;
                for (i = 0; !ok && keyed[i] != NULL; i++) {
                        n = strlen(keyed[i]);
                        ok = strncmp(tok, keyed[i], n) == 0 && tok[n] != '\0' &&
                             strspn(tok + n, "0123456789kmgKMG%") == strlen(tok + n);
                }
                if (!ok)
                        return 0;
        }
        return 1;
}

static int create_tmpfs_one(struct call *c, json_t *out, const char *path, const char *opts)
{
        if (!create_path_ok(path))
                return create_fail(c, DG_INVALID_INPUT, "tmpfs", "paths must be absolute");
        if (!create_tmpfs_opts_ok(opts))
                return create_fail(c, DG_FORBIDDEN, "tmpfs",
                                   "options allowed: rw ro exec noexec nosuid nodev size= "
                                   "mode= uid= gid=");
        json_object_set_new(out, path, json_string(opts));
        return 0;
}

/* tmpfs: {"/path": "options"} */
static int create_tmpfs(struct call *c, json_t *hc)
{
        json_t *in = json_object_get(c->input, "tmpfs"), *out, *v;
        const char *k;

        if (in == NULL)
                return 0;
        if ((out = json_object()) == NULL)
                return create_fail(c, DG_INTERNAL, "tmpfs", "out of memory");
        json_object_set_new(hc, "Tmpfs", out);
        json_object_foreach(in, k, v)
        {
                const char *opts = json_string_value(v);

                if (create_tmpfs_one(c, out, k, opts ? opts : "") == -1)
                        return -1;
        }
        return 0;
}

/* restartPolicy: "no", "always", "unless-stopped", "on-failure" or "on-failure:N" (N <= 1000)
 */
static int create_restart(struct call *c, json_t *hc)
{
        static const char *const names[] = {"no", "always", "unless-stopped", "on-failure",
                                            NULL};
        const char *in = ops_str(c, "restartPolicy"), *colon;
        char name[32], *end;
        long retries = 0;
        size_t i;

        if (in == NULL)
                return 0;
        colon = strchr(in, ':');
        snprintf(name, sizeof(name), "%.*s", colon ? (int)(colon - in) : (int)strlen(in), in);
        for (i = 0; names[i] != NULL && strcmp(name, names[i]) != 0; i++)
                ;
        if (names[i] == NULL)
                return create_fail(c, DG_INVALID_INPUT, "restartPolicy",
                                   "one of no, always, unless-stopped, on-failure[:N]");
        if (colon != NULL) {
                retries = strtol(colon + 1, &end, 10);
                if (strcmp(name, "on-failure") != 0 || colon[1] < '0' || colon[1] > '9' ||
                    *end != '\0' || retries > 1000)
                        return create_fail(c, DG_INVALID_INPUT, "restartPolicy",
                                           "a retry count 0..1000 goes with on-failure only");
        }
        json_object_set_new(
            hc, "RestartPolicy",
            json_pack("{s:s,s:I}", "Name", name, "MaximumRetryCount", (json_int_t)retries));
        return 0;
}

/*
 * volumes: {"/container/path": "volumeName[:ro|:rw]"}, following the
 * engine's Volumes (keyed by container path).  Each volume must be the
 * peer's own: they are parsed here into [[name, path, readonly], ...] and
 * resolved one by one before the create (create_continue()).
 */
static int create_volumes(struct call *c, json_t *todo)
{
        json_t *in = json_object_get(c->input, "volumes"), *v;
        const char *path, *s, *colon;
        char name[OPS_REF_MAX + 1];
        int ro;

        json_object_foreach(in, path, v)
        {
                s = json_string_value(v) ? json_string_value(v) : "";
                /* SECURITY: a volume is named; a path would be a bind mount of the host. */
                if (s[0] == '/' || s[0] == '.' || s[0] == '~')
                        return create_fail(c, DG_FORBIDDEN, "volumes",
                                           "bind mounts of host paths are not allowed; name "
                                           "one of your volumes");
                colon = strchr(s, ':');
                ro = colon != NULL && strcmp(colon + 1, "ro") == 0;
                if (!create_path_ok(path) || strcmp(path, "/") == 0)
                        return create_fail(c, DG_INVALID_INPUT, "volumes",
                                           "keys are absolute paths in the container");
                if ((colon != NULL && !ro && strcmp(colon + 1, "rw") != 0) ||
                    (colon ? (size_t)(colon - s) : strlen(s)) > OPS_REF_MAX)
                        return create_fail(
                            c, DG_INVALID_INPUT, "volumes",
                            "values are volumeName, volumeName:ro or volumeName:rw");
                snprintf(name, sizeof(name), "%.*s", colon ? (int)(colon - s) : (int)strlen(s),
                         s);
                json_array_append_new(todo, json_pack("[s,s,b]", name, path, ro));
        }
        return 0;
}

static int create_unsupported(struct call *c, const char *key)
{
        json_t *v = json_object_get(c->input, key);

        if (v == NULL || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0) ||
            (json_is_object(v) && json_object_size(v) == 0))
                return 0;
        return create_fail(c, DG_INVALID_INPUT, key, "not supported yet");
}

/*
 * The confinement every container gets, whoever asks (invariant 5): no
 * privilege, every capability dropped but the policy's list, no new
 * privileges, private namespaces, no devices, and always the limits.
 */
static json_t *create_host_config(struct call *c)
{
        const struct peer_policy *pp = c->peer;
        json_t *hc, *caps;
        int64_t mem, cpus, pids;
        int ro = ops_bool(c, "readOnlyRootfs", pp->read_only_default);

        if (create_limit(c, "memoryBytes", pp->defaults.memory_bytes, pp->ceilings.memory_bytes,
                         &mem) < 0 ||
            create_limit(c, "nanoCpus", pp->defaults.nano_cpus, pp->ceilings.nano_cpus, &cpus) <
                0 ||
            create_limit(c, "pidsLimit", pp->defaults.pids_limit, pp->ceilings.pids_limit,
                         &pids) < 0)
                return NULL;
        if (pp->read_only_forced && ops_has(c, "readOnlyRootfs") && !ro) {
                call_fail(c, DG_FORBIDDEN,
                          "input.readOnlyRootfs: this peer's containers always have a "
                          "read-only root filesystem");
                return NULL;
        }
        hc = json_pack("{s:s,s:[s],s:[s],s:b,s:b,s:s,s:s,s:I,s:I,s:I,s:I,s:b,s:[],s:b}",
                       "NetworkMode", pp->network, "CapDrop", "ALL", "SecurityOpt",
                       "no-new-privileges", "Privileged", 0, "ReadonlyRootfs",
                       ro || pp->read_only_forced, "IpcMode", "private", "CgroupnsMode",
                       "private", "Memory", (json_int_t)mem, "MemorySwap",
                       (json_int_t)mem, /* no swap beyond the memory limit */
                       "NanoCpus", (json_int_t)cpus, "PidsLimit", (json_int_t)pids,
                       "PublishAllPorts", 0, "Devices", "OomKillDisable", 0);
        if (hc == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return NULL;
        }
        if (pp->ncaps > 0 && (caps = json_array()) != NULL) {
                for (size_t i = 0; i < pp->ncaps; i++)
                        json_array_append_new(caps, json_string(pp->caps[i]));
                json_object_set_new(hc, "CapAdd", caps);
        }
        if (pp->runtime[0] != '\0')
                json_object_set_new(hc, "Runtime", json_string(pp->runtime));
        return hc;
}

static void create_copy_str(struct call *c, json_t *cfg, const char *in, const char *out)
{
        const char *s = ops_str(c, in);

        if (s != NULL)
                json_object_set_new(cfg, out, json_string(s));
}

static json_t *create_body(struct call *c)
{
        json_t *cfg, *hc, *labels;

        if ((cfg = json_object()) == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return NULL;
        }
        if ((hc = create_host_config(c)) == NULL) {
                json_decref(cfg);
                return NULL;
        }
        /* Logs must lose nothing: the engine's driver that keeps bytes (profile.h). */
        json_object_set_new(
            hc, "LogConfig",
            json_pack("{s:s,s:{}}", "Type", engine_profile(c->engine)->log_driver, "Config"));
        json_object_set_new(cfg, "HostConfig", hc);
        json_object_set_new(cfg, "Image", json_string(ops_str(c, "image")));
        if (ops_has(c, "cmd"))
                json_object_set_new(cfg, "Cmd", ops_strings(json_object_get(c->input, "cmd")));
        if (ops_has(c, "entrypoint"))
                json_object_set_new(cfg, "Entrypoint",
                                    ops_strings(json_object_get(c->input, "entrypoint")));
        create_copy_str(c, cfg, "workingDir", "WorkingDir");
        create_copy_str(c, cfg, "user", "User");
        json_object_set_new(cfg, "Tty", json_boolean(ops_bool(c, "tty", 0)));
        json_object_set_new(cfg, "OpenStdin", json_boolean(ops_bool(c, "openStdin", 0)));
        /* Closes the container's stdin when the one attached client ends its input. */
        json_object_set_new(cfg, "StdinOnce", json_boolean(ops_bool(c, "stdinOnce", 0)));
        if (create_env(c, cfg) == -1 || (labels = ops_labels(c)) == NULL) {
                json_decref(cfg);
                return NULL;
        }
        json_object_set_new(cfg, "Labels", labels);
        if (create_tmpfs(c, hc) == -1 || create_restart(c, hc) == -1 ||
            create_unsupported(c, "ports") == -1) {
                json_decref(cfg);
                return NULL;
        }
        quota_stamp(c, labels, json_integer_value(json_object_get(hc, "Memory")),
                    json_integer_value(json_object_get(hc, "NanoCpus")));
        return cfg;
}

static void create_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct ops_state *st = c->state;
        const char *id;

        c->pending = NULL;
        if (status == 409) {
                /* Names are per peer (names.h): the holder can only be the caller's own. */
                call_fail(c, DG_CONFLICT, "container name already in use: %s", st->name);
                return;
        }
        if (status == 404) {
                call_fail(c, DG_NOT_FOUND, "no such image: %s", ops_str(c, "image"));
                return;
        }
        id = json_string_value(json_object_get(body, "Id"));
        if (status != 201 || id == NULL) {
                ops_fail_engine(c, status, body);
                return;
        }
        call_reply(c, json_pack("{s:s,s:s,s:o}", "containerId", id, "name", st->name,
                                "warnings", ops_strings(json_object_get(body, "Warnings"))));
}

static void create_send(struct call *c)
{
        struct ops_state *st = c->state;
        json_t *body = json_object_get(st->keep, "body");
        char name[OPS_NAME_MAX + POLICY_NAME_MAX + 2];

        /* The checked shape of names needs no escaping: [A-Za-z0-9_.-] only. */
        if (names_engine(c, st->name, name, sizeof(name)) < 0) {
                call_fail(c, DG_INVALID_INPUT, "input.name: too long");
                return;
        }
        ops_send(c, "POST", body, 0, create_done, "/containers/create?name=%s", name);
}

static void create_continue(struct call *c);

/* A network other than the default is one of the peer's own, named by its full ID. */
static void create_on_network(struct call *c, const char *id, json_t *inspect)
{
        struct ops_state *st = c->state;
        json_t *hc = json_object_get(json_object_get(st->keep, "body"), "HostConfig");
        const char *driver = json_string_value(json_object_get(inspect, "Driver"));

        /* SECURITY: an admin resolves every network, the host's too. */
        if (driver != NULL && strcmp(driver, "host") == 0) {
                call_fail(c, DG_FORBIDDEN, "input.network: host networking is not allowed");
                return;
        }
        json_object_set_new(hc, "NetworkMode", json_string(id));
        /* On its own network a container answers to the name its peer gave it. */
        json_object_set_new(
            json_object_get(st->keep, "body"), "NetworkingConfig",
            json_pack("{s:{s:{s:[s]}}}", "EndpointsConfig", id, "Aliases", st->name));
        create_send(c);
}

/* One of the peer's own volumes, mounted by its (resolved) name, never a host path. */
static void create_on_volume(struct call *c, const char *name, json_t *inspect)
{
        struct ops_state *st = c->state;
        json_t *hc = json_object_get(json_object_get(st->keep, "body"), "HostConfig");
        json_t *todo = json_array_get(json_object_get(st->keep, "volumes"), (size_t)st->num);

        json_array_append_new(json_object_get(hc, "Mounts"),
                              json_pack("{s:s,s:s,s:s,s:b}", "Type", "volume", "Source", name,
                                        "Target", json_string_value(json_array_get(todo, 1)),
                                        "ReadOnly", json_is_true(json_array_get(todo, 2))));
        st->num++;
        create_continue(c);
}

/* The steps of a create: each volume, then the network, then the create itself. */
static void create_continue(struct call *c)
{
        struct ops_state *st = c->state;
        json_t *todo = json_object_get(st->keep, "volumes");
        const char *net = ops_str(c, "network");

        if ((size_t)st->num < json_array_size(todo)) {
                resolve_volume(
                    c, json_string_value(json_array_get(json_array_get(todo, st->num), 0)),
                    create_on_volume);
                return;
        }
        if (net != NULL && !policy_network_allowed(c->peer, net)) {
                resolve_network(c, net, create_on_network);
                return;
        }
        create_send(c);
}

/*
 * The network input: "none", an engine-wide network the policy lists, or
 * one of the peer's own (resolved later).  Never the host's namespaces,
 * never another container's.
 */
static int create_network_ok(struct call *c, const char *net)
{
        if (net == NULL)
                return 0;
        if (net[0] == '\0')
                return create_fail(c, DG_INVALID_INPUT, "network", "a network name or ID");
        if (strcmp(net, "host") == 0)
                return create_fail(c, DG_FORBIDDEN, "network",
                                   "host networking is not allowed");
        if (strncmp(net, "container:", 10) == 0 || strchr(net, ':') != NULL)
                return create_fail(c, DG_FORBIDDEN, "network",
                                   "joining another container's network namespace is not "
                                   "allowed");
        if ((strcmp(net, "bridge") == 0 || strcmp(net, "default") == 0) &&
            !policy_network_allowed(c->peer, net))
                return create_fail(c, DG_FORBIDDEN, "network",
                                   "this peer may not use the engine's bridge network");
        return 0;
}

static void create_quota_ok(struct call *c)
{
        struct ops_state *st = c->state;

        st->num = 0; /* from here on: the volume being resolved */
        create_continue(c);
}

static void create_begin(struct call *c)
{
        const char *name = ops_str(c, "name"), *net = ops_str(c, "network");
        char engine_name[OPS_NAME_MAX + POLICY_NAME_MAX + 2];
        struct ops_state *st;
        json_t *body = NULL, *todo, *hc;

        if (ops_str(c, "image") == NULL || ops_str(c, "image")[0] == '\0') {
                call_fail(c, DG_INVALID_INPUT, "input.image: required");
                return;
        }
        if (name != NULL && !ops_name_ok(name)) {
                call_fail(c, DG_INVALID_INPUT,
                          "input.name: 1 to 128 of [A-Za-z0-9_.-], starting with a letter or "
                          "digit");
                return;
        }
        if (create_network_ok(c, net) < 0 || (st = ops_state(c)) == NULL)
                return;
        if (name != NULL)
                snprintf(st->name, sizeof(st->name), "%s", name);
        else if (names_random(st->name, sizeof(st->name), "ctr-", 12) < 0) {
                call_fail(c, DG_INTERNAL, "no randomness for a name");
                return;
        }
        todo = json_array();
        st->keep = json_pack("{s:o}", "volumes", todo);
        if (todo == NULL || st->keep == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        if (create_volumes(c, todo) == -1 || (body = create_body(c)) == NULL)
                return;
        json_object_set_new(st->keep, "body", body);
        hc = json_object_get(body, "HostConfig");
        if (json_array_size(todo) > 0)
                json_object_set_new(hc, "Mounts", json_array());
        if (net != NULL && policy_network_allowed(c->peer, net))
                json_object_set_new(hc, "NetworkMode", json_string(net));
        if (names_engine(c, st->name, engine_name, sizeof(engine_name)) < 0) {
                call_fail(c, DG_INVALID_INPUT, "input.name: too long");
                return;
        }
        quota_check_create(c, engine_name, json_integer_value(json_object_get(hc, "Memory")),
                           json_integer_value(json_object_get(hc, "NanoCpus")),
                           create_quota_ok);
}

static void create_identified(int status, json_t *body, const char *raw, size_t rawlen,
                              void *arg)
{
        struct call *c = arg;

        c->pending = NULL;
        if (status != 200 || profile_from_version(engine_profile(c->engine), body) == -1) {
                call_fail_engine(c, status, body);
                return;
        }
        create_begin(c);
}

/*
 * What a container is created with depends on the engine (its log driver):
 * until the engine was identified (it was down when dockgated started),
 * a create asks it first.
 */
void op_container_create(struct call *c)
{
        if (engine_profile(c->engine)->kind == ENGINE_UNKNOWN)
                ops_send(c, "GET", NULL, 0, create_identified, "/version");
        else
                create_begin(c);
}

/* --- simple actions on one owned container --- */

static void start_go(struct call *c)
{
        struct ops_state *st = c->state;

        ops_send(c, "POST", NULL, 0, ops_done_empty, "/containers/%s/start", st->id);
}

/*
 * A container that is not live yet adds its memory and CPUs to the peer's
 * live total: checked against the quotas first (quota.h).
 */
static void start_checked(struct call *c, const char *id, json_t *inspect,
                          void (*go)(struct call *c))
{
        struct ops_state *st = c->state;
        json_t *state = json_object_get(inspect, "State");
        json_t *hc = json_object_get(inspect, "HostConfig");
        json_int_t mem = json_integer_value(json_object_get(hc, "Memory"));
        json_int_t cpus = json_integer_value(json_object_get(hc, "NanoCpus"));

        snprintf(st->id, sizeof(st->id), "%s", id);
        if (json_is_true(json_object_get(state, "Running"))) {
                go(c);
                return;
        }
        /* Made outside dockgate without limits: it counts at the peer's defaults. */
        quota_check_start(c, id, mem > 0 ? mem : c->peer->defaults.memory_bytes,
                          cpus > 0 ? cpus : c->peer->defaults.nano_cpus, go);
}

static void start_resolved(struct call *c, const char *id, json_t *inspect)
{
        start_checked(c, id, inspect, start_go);
}

void op_container_start(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), start_resolved);
}

static void stop_or_restart(struct call *c, const char *id, const char *verb)
{
        int64_t t = ops_int(c, "timeoutSeconds", -1);
        long budget = (t >= 0 && t < 86400 ? t : CONTAINER_STOP_DEFAULT_S) * 1000L +
                      CONTAINER_STOP_GRACE_MS;

        if (t >= 0)
                ops_send(c, "POST", NULL, budget, ops_done_empty, "/containers/%s/%s?t=%lld",
                         id, verb, (long long)t);
        else
                ops_send(c, "POST", NULL, budget, ops_done_empty, "/containers/%s/%s", id,
                         verb);
}

static void stop_resolved(struct call *c, const char *id, json_t *inspect)
{
        stop_or_restart(c, id, "stop");
}

static void restart_go(struct call *c)
{
        struct ops_state *st = c->state;

        stop_or_restart(c, st->id, "restart");
}

static void restart_resolved(struct call *c, const char *id, json_t *inspect)
{
        start_checked(c, id, inspect, restart_go);
}

void op_container_stop(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), stop_resolved);
}

void op_container_restart(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), restart_resolved);
}

/* "SIGKILL", "KILL", "9", "SIGRTMIN+1": the engine parses it, we bound its shape. */
static int kill_signal_ok(const char *s)
{
        size_t n = strlen(s);

        return n >= 1 && n <= 32 &&
               strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-") ==
                   n;
}

static void kill_resolved(struct call *c, const char *id, json_t *inspect)
{
        const char *sig = ops_str(c, "signal");
        char esc[100];

        /* "+" would read as a space in a query: escape. */
        if (sig != NULL && engine_escape(esc, sizeof(esc), sig) == 0)
                ops_send(c, "POST", NULL, 0, ops_done_empty, "/containers/%s/kill?signal=%s",
                         id, esc);
        else if (sig != NULL)
                call_fail(c, DG_INVALID_INPUT, "input.signal: a signal name or number");
        else
                ops_send(c, "POST", NULL, 0, ops_done_empty, "/containers/%s/kill", id);
}

void op_container_kill(struct call *c)
{
        const char *sig = ops_str(c, "signal");

        if (sig != NULL && !kill_signal_ok(sig)) {
                call_fail(c, DG_INVALID_INPUT, "input.signal: a signal name or number");
                return;
        }
        resolve_container(c, ops_str(c, "containerId"), kill_resolved);
}

static void pause_resolved(struct call *c, const char *id, json_t *inspect)
{
        ops_send(c, "POST", NULL, 0, ops_done_empty, "/containers/%s/pause", id);
}

static void unpause_resolved(struct call *c, const char *id, json_t *inspect)
{
        /* The engine answers 500 for this conflict; say it as pause's 409 does. */
        if (!json_is_true(json_object_get(json_object_get(inspect, "State"), "Paused"))) {
                call_fail(c, DG_CONFLICT, "container %s is not paused",
                          ops_str(c, "containerId"));
                return;
        }
        ops_send(c, "POST", NULL, 0, ops_done_empty, "/containers/%s/unpause", id);
}

void op_container_pause(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), pause_resolved);
}

void op_container_unpause(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), unpause_resolved);
}

static void remove_resolved(struct call *c, const char *id, json_t *inspect)
{
        ops_send(c, "DELETE", NULL, 0, ops_done_empty, "/containers/%s?force=%d&v=%d", id,
                 ops_bool(c, "force", 0), ops_bool(c, "removeVolumes", 0));
}

void op_container_remove(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), remove_resolved);
}

static void resize_resolved(struct call *c, const char *id, json_t *inspect)
{
        ops_send(c, "POST", NULL, 0, ops_done_empty, "/containers/%s/resize?h=%lld&w=%lld", id,
                 (long long)ops_int(c, "rows", 0), (long long)ops_int(c, "cols", 0));
}

void op_container_resize(struct call *c)
{
        int64_t rows = ops_int(c, "rows", 0), cols = ops_int(c, "cols", 0);

        if (rows < 1 || rows > 65535 || cols < 1 || cols > 65535) {
                call_fail(c, DG_INVALID_INPUT,
                          "input.rows, input.cols: 1..65535, both required");
                return;
        }
        resolve_container(c, ops_str(c, "containerId"), resize_resolved);
}

/* --- queries --- */

static void inspect_resolved(struct call *c, const char *id, json_t *inspect)
{
        /* resolve.c fetched this very document, ownership checked; now the host's paths go. */
        redact_container(c, inspect);
        call_reply(c, json_incref(inspect));
}

void op_container_inspect(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), inspect_resolved);
}

static void top_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        json_t *titles = json_object_get(body, "Titles"),
               *procs = json_object_get(body, "Processes");

        c->pending = NULL;
        if (status != 200 || !json_is_array(titles) || !json_is_array(procs)) {
                call_fail_engine(c, status, body);
                return;
        }
        call_reply(c, json_pack("{s:O,s:O}", "titles", titles, "processes", procs));
}

static void top_resolved(struct call *c, const char *id, json_t *inspect)
{
        ops_send(c, "GET", NULL, 0, top_done, "/containers/%s/top", id);
}

void op_container_top(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), top_resolved);
}

static json_t *list_item(const struct call *c, const json_t *in)
{
        json_t *names = json_array(), *v, *labels = json_object_get(in, "Labels");
        const char *s;
        size_t i;
        int slash;

        json_array_foreach(json_object_get(in, "Names"), i, v)
        {
                /* The peer's own names, as it gave them; never another peer's. */
                if (json_is_string(v) &&
                    (s = names_view(c, json_string_value(v), &slash)) != NULL)
                        json_array_append_new(names, json_string(s));
        }
        return json_pack("{s:s?,s:o,s:s?,s:s?,s:s?,s:I,s:o}", "containerId",
                         json_string_value(json_object_get(in, "Id")), "names", names, "image",
                         json_string_value(json_object_get(in, "Image")), "state",
                         json_string_value(json_object_get(in, "State")), "status",
                         json_string_value(json_object_get(in, "Status")), "created",
                         json_integer_value(json_object_get(in, "Created")), "labels",
                         json_is_object(labels) ? json_deep_copy(labels) : json_object());
}

static void list_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        ops_reply_list(arg, status, body, NULL, 1, list_item);
}

void op_container_list(struct call *c)
{
        ops_list_owned(c, list_done,
                       ops_bool(c, "all", 0) ? "/containers/json?all=1"
                                             : "/containers/json?all=0");
}

/* --- wait: the engine's wait, then the state it left behind --- */

static void wait_reply(struct call *c, json_t *state)
{
        struct ops_state *st = c->state;
        json_t *out = st->keep;
        json_t *oom = json_object_get(state, "OOMKilled");
        const char *started = json_string_value(json_object_get(state, "StartedAt"));
        const char *finished = json_string_value(json_object_get(state, "FinishedAt"));

        st->keep = NULL;
        json_object_set_new(out, "oomKilled", json_boolean(json_is_true(oom)));
        json_object_set_new(out, "startedAt", started ? json_string(started) : json_null());
        json_object_set_new(out, "finishedAt", finished ? json_string(finished) : json_null());
        call_reply(c, out);
}

static void wait_inspected(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;

        c->pending = NULL;
        /* The wait itself succeeded; a container gone since only loses the details. */
        wait_reply(c, status == 200 ? json_object_get(body, "State") : NULL);
}

static void wait_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct ops_state *st = c->state;
        json_t *code = json_object_get(body, "StatusCode");
        const char *err =
            json_string_value(json_object_get(json_object_get(body, "Error"), "Message"));

        c->pending = NULL;
        if (status != 200 || !json_is_integer(code)) {
                call_fail_engine(c, status, body);
                return;
        }
        st->keep = json_pack("{s:I,s:o}", "exitCode", json_integer_value(code), "error",
                             err && err[0] ? json_string(err) : json_null());
        if (st->keep == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        if (strcmp(ops_str(c, "condition") ? ops_str(c, "condition") : "", "removed") == 0) {
                wait_reply(c, NULL);
                return;
        }
        ops_send(c, "GET", NULL, 0, wait_inspected, "/containers/%s/json", st->id);
}

static void wait_resolved(struct call *c, const char *id, json_t *inspect)
{
        struct ops_state *st = c->state;
        const char *cond = ops_str(c, "condition");

        snprintf(st->id, sizeof(st->id), "%s", id);
        ops_send(c, "POST", NULL, CONTAINER_WAIT_TIMEOUT_MS, wait_done,
                 "/containers/%s/wait?condition=%s", id, cond ? cond : "not-running");
}

void op_container_wait(struct call *c)
{
        const char *cond = ops_str(c, "condition");

        if (cond != NULL && strcmp(cond, "not-running") != 0 &&
            strcmp(cond, "next-exit") != 0 && strcmp(cond, "removed") != 0) {
                call_fail(c, DG_INVALID_INPUT,
                          "input.condition: one of not-running, next-exit, removed");
                return;
        }
        resolve_container(c, ops_str(c, "containerId"), wait_resolved);
}

/* --- logs: data plane, the worker reads the engine's answer --- */

/* tail: a count, or "all"; since: a UNIX time, as a number or digits. */
static int logs_arg(struct call *c, const char *key, int allow_all, char *buf, size_t len)
{
        json_t *v = json_object_get(c->input, key);
        const char *s;

        buf[0] = '\0';
        if (v == NULL || json_is_null(v))
                return 0;
        if (json_is_integer(v) && json_integer_value(v) >= 0)
                return engine_path(buf, len, "%lld", (long long)json_integer_value(v));
        s = json_string_value(v);
        if (s != NULL && allow_all && strcmp(s, "all") == 0)
                return engine_path(buf, len, "all");
        if (s != NULL && s[0] != '\0' && strlen(s) < 32 &&
            strspn(s, "0123456789.") == strlen(s))
                return engine_path(buf, len, "%s", s);
        return -1;
}

static void logs_resolved(struct call *c, const char *id, json_t *inspect)
{
        char path[512], tail[40], since[40];
        int tty = json_is_true(json_object_get(json_object_get(inspect, "Config"), "Tty"));
        int ts = ops_bool(c, "timestamps", 0);

        logs_arg(c, "tail", 1, tail, sizeof(tail));
        logs_arg(c, "since", 0, since, sizeof(since));
        if (engine_path(
                path, sizeof(path),
                "/containers/%s/logs?follow=%d&stdout=%d&stderr=%d&timestamps=%d&tail=%s%s%s",
                id, ops_bool(c, "follow", 0), ops_bool(c, "stdout", 1),
                ops_bool(c, "stderr", 1), ts, tail[0] ? tail : "all", since[0] ? "&since=" : "",
                since) == -1) {
                call_fail(c, DG_INTERNAL, "engine path too long");
                return;
        }
        ops_stream(c, "GET", path, NULL, "logs",
                   json_pack("{s:b,s:b}", "tty", tty, "timestamps", ts));
}

void op_container_logs(struct call *c)
{
        char buf[40];

        if (!ops_bool(c, "stdout", 1) && !ops_bool(c, "stderr", 1)) {
                call_fail(c, DG_INVALID_INPUT, "input.stdout, input.stderr: at least one");
                return;
        }
        if (logs_arg(c, "tail", 1, buf, sizeof(buf)) == -1) {
                call_fail(c, DG_INVALID_INPUT, "input.tail: a count or \"all\"");
                return;
        }
        if (logs_arg(c, "since", 0, buf, sizeof(buf)) == -1) {
                call_fail(c, DG_INVALID_INPUT, "input.since: a UNIX timestamp");
                return;
        }
        resolve_container(c, ops_str(c, "containerId"), logs_resolved);
}
