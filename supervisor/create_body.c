/*
 * create_body.c - docker/container/create's engine body from input and
 * policy (create_body.h).  Each create_<input>() step reads one input and
 * writes its part of the body, or refuses it; none sees the engine.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "create_body.h"
#include "ops_input.h"
#include "quota.h"

/* What one create is being built from, and into. */
struct create_ctx {
        const json_t *in;
        const struct peer_policy *pp;
        const char *owner_label;
        struct create_plan *plan;
        struct create_error *err;
};

static int create_fail(struct create_ctx *x, enum dg_err code, const char *field,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "input.<field>: <why>", the form of every refusal. */
static int create_fail(struct create_ctx *x, enum dg_err code, const char *field,
                       const char *fmt, ...)
{
        char why[CREATE_ERR_MAX - 96];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
        x->err->code = code;
        snprintf(x->err->text, sizeof(x->err->text), "input.%s: %s", field, why);
        return -1;
}

static const char *create_str(const struct create_ctx *x, const char *key)
{
        return json_string_value(json_object_get(x->in, key));
}

static int create_bool(const struct create_ctx *x, const char *key, int def)
{
        json_t *v = json_object_get(x->in, key);

        return json_is_boolean(v) ? json_is_true(v) : def;
}

static int create_set(struct create_ctx *x, json_t *obj, const char *key, json_t *v)
{
        if (v == NULL || json_object_set_new(obj, key, v) == -1)
                return create_fail(x, DG_INTERNAL, key, "out of memory");
        return 0;
}

/* env: ["NAME=VALUE", ...] */
static int create_env(struct create_ctx *x, json_t *cfg)
{
        json_t *in = json_object_get(x->in, "env");

        if (in == NULL)
                return 0;
        if (!ops_env_list_ok(in))
                return create_fail(x, DG_INVALID_INPUT, "env", "entries must be NAME=VALUE");
        return create_set(x, cfg, "Env", ops_strings(in));
}

/* The peer's default when it asks for nothing; refused above its ceiling. */
static int create_limit(struct create_ctx *x, const char *key, int64_t dflt, int64_t ceiling,
                        int64_t *out)
{
        json_t *v = json_object_get(json_object_get(x->in, "limits"), key);
        char field[64];

        *out = dflt;
        if (!json_is_integer(v))
                return 0;
        if (json_integer_value(v) > ceiling) {
                snprintf(field, sizeof(field), "limits.%s", key);
                return create_fail(x, DG_FORBIDDEN, field,
                                   "%lld is above this peer's ceiling of %lld",
                                   (long long)json_integer_value(v), (long long)ceiling);
        }
        *out = json_integer_value(v);
        return 0;
}

/* An absolute path in the container, for tmpfs and volume mounts. */
static int create_path_ok(const char *p)
{
        size_t i, n = strlen(p);

        /* No "." or ".." segment: the engine would clean it into another path. */
        if (p[0] != '/' || n > CREATE_PATH_MAX || strstr(p, "/..") != NULL ||
            strstr(p, "/./") != NULL || (n >= 2 && strcmp(p + n - 2, "/.") == 0))
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

/* tmpfs: {"/path": "options"} */
static int create_tmpfs(struct create_ctx *x, json_t *hc)
{
        json_t *in = json_object_get(x->in, "tmpfs"), *out, *v;
        const char *k, *opts;

        if (in == NULL)
                return 0;
        if ((out = json_object()) == NULL || create_set(x, hc, "Tmpfs", out) == -1)
                return create_fail(x, DG_INTERNAL, "tmpfs", "out of memory");
        json_object_foreach(in, k, v)
        {
                opts = json_string_value(v) != NULL ? json_string_value(v) : "";
                if (!create_path_ok(k))
                        return create_fail(x, DG_INVALID_INPUT, "tmpfs",
                                           "paths must be absolute");
                if (!create_tmpfs_opts_ok(opts))
                        return create_fail(x, DG_FORBIDDEN, "tmpfs",
                                           "options allowed: rw ro exec noexec nosuid nodev "
                                           "size= mode= uid= gid=");
                json_object_set_new(out, k, json_string(opts));
        }
        return 0;
}

json_t *create_restart_policy(const char *in, const char **why)
{
        static const char *const names[] = {"no", "always", "unless-stopped", "on-failure",
                                            NULL};
        const char *colon = strchr(in, ':');
        char name[32], *end;
        long retries = 0;
        size_t i;

        snprintf(name, sizeof(name), "%.*s", colon ? (int)(colon - in) : (int)strlen(in), in);
        for (i = 0; names[i] != NULL && strcmp(name, names[i]) != 0; i++)
                ;
        if (names[i] == NULL) {
                *why = "one of no, always, unless-stopped, on-failure[:N]";
                return NULL;
        }
        if (colon != NULL) {
                retries = strtol(colon + 1, &end, 10);
                if (strcmp(name, "on-failure") != 0 || colon[1] < '0' || colon[1] > '9' ||
                    *end != '\0' || retries > 1000) {
                        *why = "a retry count 0..1000 goes with on-failure only";
                        return NULL;
                }
        }
        *why = "out of memory";
        return json_pack("{s:s,s:I}", "Name", name, "MaximumRetryCount", (json_int_t)retries);
}

static int create_restart(struct create_ctx *x, json_t *hc)
{
        const char *in = create_str(x, "restartPolicy"), *why;
        json_t *rp;

        if (in == NULL)
                return 0;
        if ((rp = create_restart_policy(in, &why)) == NULL)
                return create_fail(x, DG_INVALID_INPUT, "restartPolicy", "%s", why);
        return create_set(x, hc, "RestartPolicy", rp);
}

/*
 * volumes: {"/container/path": "volumeName[:ro|:rw]"}, following the
 * engine's Volumes (keyed by container path).  Each volume must be the
 * peer's own: they are parsed here into plan->volumes and resolved one by
 * one by the handler before the create.
 */
static int create_volumes(struct create_ctx *x)
{
        json_t *in = json_object_get(x->in, "volumes"), *v;
        struct create_volume *vol;
        const char *path, *s, *colon;
        size_t n;
        int ro;

        json_object_foreach((json_t *)in, path, v)
        {
                s = json_string_value(v) ? json_string_value(v) : "";
                /* SECURITY: a volume is named; a path would be a bind mount of the host. */
                if (s[0] == '/' || s[0] == '.' || s[0] == '~')
                        return create_fail(x, DG_FORBIDDEN, "volumes",
                                           "bind mounts of host paths are not allowed; name "
                                           "one of your volumes");
                colon = strchr(s, ':');
                ro = colon != NULL && strcmp(colon + 1, "ro") == 0;
                n = colon ? (size_t)(colon - s) : strlen(s);
                if (!create_path_ok(path) || strcmp(path, "/") == 0)
                        return create_fail(x, DG_INVALID_INPUT, "volumes",
                                           "keys are absolute paths in the container");
                if ((colon != NULL && !ro && strcmp(colon + 1, "rw") != 0) || n > OPS_REF_MAX)
                        return create_fail(
                            x, DG_INVALID_INPUT, "volumes",
                            "values are volumeName, volumeName:ro or volumeName:rw");
                if (x->plan->nvolumes >= CREATE_VOLUMES_MAX)
                        return create_fail(x, DG_INVALID_INPUT, "volumes", "at most %d volumes",
                                           CREATE_VOLUMES_MAX);
                vol = &x->plan->volumes[x->plan->nvolumes++];
                snprintf(vol->ref, sizeof(vol->ref), "%.*s", (int)n, s);
                snprintf(vol->path, sizeof(vol->path), "%s", path);
                vol->read_only = ro;
        }
        return 0;
}

/*
 * networkAliases: names of the container on a network of the peer's own
 * (DNS names there, seen only by the peer's containers on it).  Not on the
 * engine's networks, where other peers' containers would resolve them.
 */
static int create_aliases(struct create_ctx *x)
{
        json_t *in = json_object_get(x->in, "networkAliases"), *v;
        const char *s;
        size_t i;

        if (json_array_size(in) == 0)
                return 0;
        if (x->plan->network[0] == '\0')
                return create_fail(x, DG_FORBIDDEN, "networkAliases",
                                   "aliases only on a network of your own");
        json_array_foreach(in, i, v)
        {
                s = json_string_value(v);
                if (i >= CREATE_ALIASES_MAX || s == NULL || !ops_name_ok(s))
                        return create_fail(x, DG_INVALID_INPUT, "networkAliases",
                                           "1 to %d of [A-Za-z0-9_.-], starting with a letter "
                                           "or digit",
                                           OPS_NAME_MAX);
                snprintf(x->plan->aliases[i], sizeof(x->plan->aliases[i]), "%s", s);
                x->plan->naliases = i + 1;
        }
        return 0;
}

/*
 * The network input: "none", an engine-wide network the policy lists, or
 * one of the peer's own (left in plan->network to resolve).  Never the
 * host's namespaces, never another container's.
 */
static int create_network(struct create_ctx *x, json_t *hc)
{
        const char *net = create_str(x, "network");

        if (net == NULL)
                return hc != NULL ? create_aliases(x) : 0; /* none: no aliases */
        if (net[0] == '\0')
                return create_fail(x, DG_INVALID_INPUT, "network", "a network name or ID");
        if (strcmp(net, "host") == 0)
                return create_fail(x, DG_FORBIDDEN, "network",
                                   "host networking is not allowed");
        if (strncmp(net, "container:", 10) == 0 || strchr(net, ':') != NULL)
                return create_fail(x, DG_FORBIDDEN, "network",
                                   "joining another container's network namespace is not "
                                   "allowed");
        if ((strcmp(net, "bridge") == 0 || strcmp(net, "default") == 0) &&
            !policy_network_allowed(x->pp, net))
                return create_fail(x, DG_FORBIDDEN, "network",
                                   "this peer may not use the engine's bridge network");
        if (hc == NULL)
                return 0; /* checked only, before anything is built */
        if (!policy_network_allowed(x->pp, net))
                snprintf(x->plan->network, sizeof(x->plan->network), "%s", net);
        if (create_aliases(x) == -1)
                return -1;
        if (x->plan->network[0] == '\0')
                return create_set(x, hc, "NetworkMode", json_string(net));
        return 0;
}

/*
 * The confinement every container gets, whoever asks (invariant 5): no
 * privilege, every capability dropped but the policy's list, no new
 * privileges, private namespaces, no devices, and always the limits.
 */
static json_t *create_host_config(struct create_ctx *x)
{
        const struct peer_policy *pp = x->pp;
        struct create_plan *plan = x->plan;
        json_t *hc, *caps;
        int ro = create_bool(x, "readOnlyRootfs", pp->read_only_default);

        if (create_limit(x, "memoryBytes", pp->defaults.memory_bytes, pp->ceilings.memory_bytes,
                         &plan->memory_bytes) < 0 ||
            create_limit(x, "nanoCpus", pp->defaults.nano_cpus, pp->ceilings.nano_cpus,
                         &plan->nano_cpus) < 0 ||
            create_limit(x, "pidsLimit", pp->defaults.pids_limit, pp->ceilings.pids_limit,
                         &plan->pids_limit) < 0)
                return NULL;
        if (pp->read_only_forced && json_is_boolean(json_object_get(x->in, "readOnlyRootfs")) &&
            !ro) {
                create_fail(x, DG_FORBIDDEN, "readOnlyRootfs",
                            "this peer's containers always have a read-only root filesystem");
                return NULL;
        }
        hc = json_pack(
            "{s:s,s:[s],s:[s],s:b,s:b,s:s,s:s,s:I,s:I,s:I,s:I,s:b,s:[],s:b}", "NetworkMode",
            pp->network, "CapDrop", "ALL", "SecurityOpt", "no-new-privileges", "Privileged", 0,
            "ReadonlyRootfs", ro || pp->read_only_forced, "IpcMode", "private", "CgroupnsMode",
            "private", "Memory", (json_int_t)plan->memory_bytes, "MemorySwap",
            (json_int_t)plan->memory_bytes, /* no swap beyond the memory limit */
            "NanoCpus", (json_int_t)plan->nano_cpus, "PidsLimit", (json_int_t)plan->pids_limit,
            "PublishAllPorts", 0, "Devices", "OomKillDisable", 0);
        if (hc == NULL) {
                create_fail(x, DG_INTERNAL, "limits", "out of memory");
                return NULL;
        }
        if (pp->ncaps > 0 && (caps = json_array()) != NULL) {
                for (size_t i = 0; i < pp->ncaps; i++)
                        json_array_append_new(caps, json_string(pp->caps[i]));
                json_object_set_new(hc, "CapAdd", caps);
        }
        if (pp->runtime[0] != '\0')
                json_object_set_new(hc, "Runtime", json_string(pp->runtime));
        /*
         * The "local" log driver keeps output bytes as they were; json-file
         * would turn invalid UTF-8 into U+FFFD, and logs must lose nothing.
         * The handler sets the engine's own such driver (create_body_log_driver()).
         */
        json_object_set_new(hc, "LogConfig",
                            json_pack("{s:s,s:{}}", "Type", "local", "Config"));
        return hc;
}

static void create_copy_str(struct create_ctx *x, json_t *cfg, const char *in, const char *out)
{
        const char *s = create_str(x, in);

        if (s != NULL)
                json_object_set_new(cfg, out, json_string(s));
}

/* refuseRoot: no uid 0 and no gid 0 (policy_run_as() gives a uid alone its own gid). */
static int create_user(struct create_ctx *x, json_t *cfg)
{
        char buf[POLICY_RUN_AS_MAX];
        const char *user = policy_run_as(x->pp, create_str(x, "user"), buf, sizeof(buf));

        if (user == NULL && x->pp->refuse_root)
                return create_fail(x, DG_FORBIDDEN, "user", "this peer may not run as root");
        if (user != NULL)
                json_object_set_new(cfg, "User", json_string(user));
        return 0;
}

/* The container's own settings: image, command, user, terminal, env, labels. */
static int create_config(struct create_ctx *x, json_t *cfg)
{
        enum dg_err code;
        json_t *labels;

        json_object_set_new(cfg, "Image", json_string(create_str(x, "image")));
        if (json_object_get(x->in, "cmd") != NULL)
                json_object_set_new(cfg, "Cmd", ops_strings(json_object_get(x->in, "cmd")));
        if (json_object_get(x->in, "entrypoint") != NULL)
                json_object_set_new(cfg, "Entrypoint",
                                    ops_strings(json_object_get(x->in, "entrypoint")));
        create_copy_str(x, cfg, "workingDir", "WorkingDir");
        if (create_user(x, cfg) == -1)
                return -1;
        json_object_set_new(cfg, "Tty", json_boolean(create_bool(x, "tty", 0)));
        json_object_set_new(cfg, "OpenStdin", json_boolean(create_bool(x, "openStdin", 0)));
        /* Closes the container's stdin when the one attached client ends its input. */
        json_object_set_new(cfg, "StdinOnce", json_boolean(create_bool(x, "stdinOnce", 0)));
        if (create_env(x, cfg) == -1)
                return -1;
        labels = ops_labels_build(json_object_get(x->in, "labels"), x->owner_label, x->pp->name,
                                  &code, x->err->text, sizeof(x->err->text));
        if (labels == NULL) {
                x->err->code = code;
                return -1;
        }
        quota_stamp(x->owner_label, labels, x->plan->memory_bytes, x->plan->nano_cpus);
        return create_set(x, cfg, "Labels", labels);
}

int create_body_build(const json_t *input, const struct peer_policy *pp,
                      const char *owner_label, struct create_plan *plan,
                      struct create_error *err)
{
        struct create_ctx x = {input, pp, owner_label, plan, err};
        const char *image = create_str(&x, "image"), *name = create_str(&x, "name");
        json_t *hc;

        memset(plan, 0, sizeof(*plan));
        err->code = DG_INTERNAL;
        err->text[0] = '\0';
        if (image == NULL || image[0] == '\0')
                return create_fail(&x, DG_INVALID_INPUT, "image", "required");
        if (name != NULL && !ops_name_ok(name))
                return create_fail(&x, DG_INVALID_INPUT, "name",
                                   "1 to %d of [A-Za-z0-9_.-], starting with a letter or digit",
                                   OPS_NAME_MAX);
        if (name != NULL)
                snprintf(plan->name, sizeof(plan->name), "%s", name);
        if (create_network(&x, NULL) == -1)
                return -1;
        if (create_volumes(&x) == -1)
                return -1;
        if ((plan->body = json_object()) == NULL)
                return create_fail(&x, DG_INTERNAL, "image", "out of memory");
        if ((hc = create_host_config(&x)) == NULL ||
            create_set(&x, plan->body, "HostConfig", hc) == -1 ||
            create_knobs(input, pp, plan, plan->body, hc, err) == -1 ||
            (plan->nvolumes > 0 && create_set(&x, hc, "Mounts", json_array()) == -1) ||
            create_config(&x, plan->body) == -1 || create_tmpfs(&x, hc) == -1 ||
            create_restart(&x, hc) == -1 || create_network(&x, hc) == -1) {
                create_body_clear(plan);
                return -1;
        }
        return 0;
}

void create_body_mount(struct create_plan *plan, size_t i, const char *volume_name)
{
        json_t *hc = json_object_get(plan->body, "HostConfig");
        const struct create_volume *v = &plan->volumes[i];

        json_array_append_new(json_object_get(hc, "Mounts"),
                              json_pack("{s:s,s:s,s:s,s:b}", "Type", "volume", "Source",
                                        volume_name, "Target", v->path, "ReadOnly",
                                        v->read_only));
}

int create_body_network(struct create_plan *plan, const char *id, const char *driver,
                        struct create_error *err)
{
        json_t *hc = json_object_get(plan->body, "HostConfig"), *aliases;
        size_t i;

        /* SECURITY: an admin resolves every network, the host's too. */
        if (driver != NULL && strcmp(driver, "host") == 0) {
                err->code = DG_FORBIDDEN;
                snprintf(err->text, sizeof(err->text),
                         "input.network: host networking is not allowed");
                return -1;
        }
        if ((aliases = json_array()) == NULL) {
                err->code = DG_INTERNAL;
                snprintf(err->text, sizeof(err->text), "out of memory");
                return -1;
        }
        json_object_set_new(hc, "NetworkMode", json_string(id));
        /* On its own network a container answers to the name its peer gave it. */
        if (plan->name[0] != '\0')
                json_array_append_new(aliases, json_string(plan->name));
        for (i = 0; i < plan->naliases; i++)
                json_array_append_new(aliases, json_string(plan->aliases[i]));
        json_object_set_new(
            plan->body, "NetworkingConfig",
            json_pack("{s:{s:{s:o}}}", "EndpointsConfig", id, "Aliases", aliases));
        return 0;
}

void create_body_clear(struct create_plan *plan)
{
        json_decref(plan->body);
        plan->body = NULL;
}

void create_body_log_driver(struct create_plan *plan, const char *driver)
{
        json_t *hc = json_object_get(plan->body, "HostConfig");

        json_object_set_new(hc, "LogConfig", json_pack("{s:s,s:{}}", "Type", driver, "Config"));
}
