/*
 * dapi_create.c - strict Docker create bodies (dapi_create.h).
 *
 * SECURITY (invariants 4 and 5): this is the Docker front's half of "nothing
 * passes through".  The rows below name every field the Engine 20.10
 * create body has; each says what happens to it.  What the translation
 * produces is the native input, which the worker and then the broker check
 * against the schema and the policy as for any native peer: a field
 * translated here is still subject to every rule of docker/container/create.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dapi_create.h"
#include "dapi_knobs.h"

#define DC_DEPTH_MAX 32
#define DC_KEYS_MAX 4096

/* --- strict parsing --- */

static int dc_cmp(const void *a, const void *b)
{
        return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

/* 0 when no object under v has a key twice in any case; -1 with err naming it. */
static int dc_unique(const json_t *v, int depth, char *err, size_t errlen)
{
        const char *k, **keys;
        size_t i, n = 0;
        json_t *e;

        if (depth > DC_DEPTH_MAX) {
                snprintf(err, errlen, "the body nests deeper than %d levels", DC_DEPTH_MAX);
                return -1;
        }
        if (json_is_array(v)) {
                json_array_foreach(v, i, e)
                {
                        if (dc_unique(e, depth + 1, err, errlen) == -1)
                                return -1;
                }
                return 0;
        }
        if (!json_is_object(v))
                return 0;
        if (json_object_size(v) > DC_KEYS_MAX) {
                snprintf(err, errlen, "an object of the body has more than %d keys",
                         DC_KEYS_MAX);
                return -1;
        }
        if ((keys = calloc(json_object_size(v) + 1, sizeof(*keys))) == NULL) {
                snprintf(err, errlen, "out of memory");
                return -1;
        }
        json_object_foreach((json_t *)v, k, e)
        {
                keys[n++] = k;
        }
        qsort(keys, n, sizeof(*keys), dc_cmp);
        for (i = 1; i < n; i++) {
                if (strcasecmp(keys[i - 1], keys[i]) == 0) {
                        snprintf(err, errlen,
                                 "keys %.64s and %.64s differ only in case: the engine would "
                                 "read them as one",
                                 keys[i - 1], keys[i]);
                        free(keys);
                        return -1;
                }
        }
        free(keys);
        json_object_foreach((json_t *)v, k, e)
        {
                if (dc_unique(e, depth + 1, err, errlen) == -1)
                        return -1;
        }
        return 0;
}

json_t *dcreate_parse(const char *buf, size_t len, char *err, size_t errlen)
{
        json_error_t je;
        json_t *v;

        v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
        if (v == NULL) {
                snprintf(err, errlen, "invalid JSON body: %s", je.text);
                return NULL;
        }
        if (!json_is_object(v)) {
                snprintf(err, errlen, "the body must be a JSON object");
                json_decref(v);
                return NULL;
        }
        if (dc_unique(v, 0, err, errlen) == -1) {
                json_decref(v);
                return NULL;
        }
        return v;
}

/* --- translation --- */

struct dc {
        json_t *in; /* the native input being built */
        int status;
        char *err;
        size_t errlen;
        const char *network; /* HostConfig.NetworkMode as translated, or NULL */
        /* read together once the body is walked (dknob_ports) */
        const json_t *bindings, *exposed, *publish_all;
        char alias_net[256]; /* the endpoint that named aliases, or "" */
};

static int dc_fail(struct dc *x, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int dc_fail(struct dc *x, int status, const char *fmt, ...)
{
        va_list ap;

        x->status = status;
        va_start(ap, fmt);
        vsnprintf(x->err, x->errlen, fmt, ap);
        va_end(ap);
        return -1;
}

/* The zero value of any type: what the CLI sends for a field it was not told about. */
static int dc_zero(const json_t *v)
{
        const char *k;
        json_t *e;
        size_t i;

        switch (json_typeof(v)) {
        case JSON_NULL:
        case JSON_FALSE:
                return 1;
        case JSON_INTEGER:
                return json_integer_value(v) == 0;
        case JSON_REAL:
                return json_real_value(v) == 0;
        case JSON_STRING:
                return json_string_length(v) == 0;
        case JSON_ARRAY:
                json_array_foreach(v, i, e)
                {
                        if (!dc_zero(e))
                                return 0;
                }
                return 1;
        case JSON_OBJECT:
                json_object_foreach((json_t *)v, k, e)
                {
                        if (!dc_zero(e))
                                return 0;
                }
                return 1;
        default:
                return 0;
        }
}

typedef int (*dc_fn)(struct dc *x, const char *where, const char *key, const json_t *v);

struct dc_row {
        const char *key;
        dc_fn fn;        /* NULL: accepted only at its zero value */
        const char *why; /* the rule, when a non-zero value is refused */
};

static int dc_walk(struct dc *x, const char *where, const struct dc_row *rows,
                   const json_t *obj);

static json_t *dc_limits(struct dc *x)
{
        json_t *l = json_object_get(x->in, "limits");

        if (l == NULL) {
                l = json_object();
                json_object_set_new(x->in, "limits", l);
        }
        return l;
}

static int dc_string(struct dc *x, const char *where, const char *key, const json_t *v,
                     const char **out)
{
        if (!json_is_string(v))
                return dc_fail(x, 400, "%s%s: a string", where, key);
        *out = json_string_value(v);
        return 0;
}

/* A string field copied to a native field when not empty. */
static int dc_copy_str(struct dc *x, const char *where, const char *key, const json_t *v,
                       const char *to)
{
        const char *s = "";

        if (json_is_null(v))
                return 0;
        if (dc_string(x, where, key, v, &s) == -1)
                return -1;
        if (s[0] != '\0')
                json_object_set_new(x->in, to, json_string(s));
        return 0;
}

/* null, a string (one element) or an array of strings. */
static int dc_copy_list(struct dc *x, const char *where, const char *key, const json_t *v,
                        const char *to)
{
        json_t *e, *out;
        size_t i;

        if (json_is_null(v))
                return 0;
        if (json_is_string(v)) {
                json_object_set_new(x->in, to, json_pack("[O]", v));
                return 0;
        }
        if (!json_is_array(v))
                return dc_fail(x, 400, "%s%s: an array of strings", where, key);
        json_array_foreach(v, i, e)
        {
                if (!json_is_string(e))
                        return dc_fail(x, 400, "%s%s: an array of strings", where, key);
        }
        out = json_deep_copy(v);
        json_object_set_new(x->in, to, out);
        return 0;
}

static int dc_copy_bool(struct dc *x, const char *where, const char *key, const json_t *v,
                        const char *to)
{
        if (json_is_null(v))
                return 0;
        if (!json_is_boolean(v))
                return dc_fail(x, 400, "%s%s: true or false", where, key);
        json_object_set_new(x->in, to, json_boolean(json_is_true(v)));
        return 0;
}

static int dc_image(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_str(x, w, k, v, "image");
}
static int dc_cmd(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_list(x, w, k, v, "cmd");
}
static int dc_entrypoint(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_list(x, w, k, v, "entrypoint");
}
static int dc_env(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_list(x, w, k, v, "env");
}
static int dc_workdir(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_str(x, w, k, v, "workingDir");
}
static int dc_user(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_str(x, w, k, v, "user");
}
/* StopTimeout: seconds the engine waits after the stop signal (compose's stop_grace_period). */
static int dc_stop_timeout(struct dc *x, const char *w, const char *k, const json_t *v)
{
        if (json_is_null(v))
                return 0;
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 3600)
                return dc_fail(x, 400, "%s%s: seconds, 0 to 3600", w, k);
        json_object_set_new(x->in, "stopTimeout", json_integer(json_integer_value(v)));
        return 0;
}
static int dc_tty(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_bool(x, w, k, v, "tty");
}
static int dc_open_stdin(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_bool(x, w, k, v, "openStdin");
}
static int dc_stdin_once(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_bool(x, w, k, v, "stdinOnce");
}
static int dc_auto_remove(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_bool(x, w, k, v, "autoRemove");
}

/* A positive integer copied to a native field (0 and null: the default). */
static int dc_copy_pos(struct dc *x, const char *w, const char *k, const json_t *v,
                       const char *to)
{
        if (json_is_null(v) || (json_is_integer(v) && json_integer_value(v) == 0))
                return 0;
        if (!json_is_integer(v) || json_integer_value(v) < 0)
                return dc_fail(x, 400, "%s%s: a positive integer", w, k);
        json_object_set_new(x->in, to, json_integer(json_integer_value(v)));
        return 0;
}
static int dc_hostname(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_str(x, w, k, v, "hostname");
}
static int dc_domainname(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_str(x, w, k, v, "domainname");
}
static int dc_stop_signal(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_str(x, w, k, v, "stopSignal");
}
static int dc_init(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_bool(x, w, k, v, "init");
}
static int dc_shm(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_pos(x, w, k, v, "shmSize");
}
static int dc_cpu_quota(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_pos(x, w, k, v, "cpuQuota");
}
static int dc_cpu_period(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_pos(x, w, k, v, "cpuPeriod");
}
static int dc_cpuset(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_str(x, w, k, v, "cpusetCpus");
}
/* A list copied when it has an element (the CLI sends [] for none). */
static int dc_copy_some(struct dc *x, const char *w, const char *k, const json_t *v,
                        const char *to)
{
        if (json_is_array(v) && json_array_size(v) == 0)
                return 0;
        return dc_copy_list(x, w, k, v, to);
}
static int dc_extra_hosts(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_some(x, w, k, v, "extraHosts");
}
static int dc_dns(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_copy_some(x, w, k, v, "dns");
}

/* Attach*: how the client attaches, not what the container is; any boolean. */
static int dc_attach_flag(struct dc *x, const char *w, const char *k, const json_t *v)
{
        if (!json_is_null(v) && !json_is_boolean(v))
                return dc_fail(x, 400, "%s%s: true or false", w, k);
        return 0;
}

static int dc_labels(struct dc *x, const char *w, const char *k, const json_t *v)
{
        const char *lk;
        json_t *e;

        if (json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return dc_fail(x, 400, "%s%s: an object of strings", w, k);
        json_object_foreach((json_t *)v, lk, e)
        {
                if (!json_is_string(e))
                        return dc_fail(x, 400, "%s%s: an object of strings", w, k);
        }
        if (json_object_size(v) > 0)
                json_object_set_new(x->in, "labels", json_deep_copy(v));
        return 0;
}

static int dc_readonly(struct dc *x, const char *w, const char *k, const json_t *v)
{
        if (json_is_true(v))
                json_object_set_new(x->in, "readOnlyRootfs", json_true());
        else if (!json_is_null(v) && !json_is_false(v))
                return dc_fail(x, 400, "%s%s: true or false", w, k);
        return 0;
}

/* A positive integer limit (0, -1 and null: the peer's default). */
static int dc_limit(struct dc *x, const char *w, const char *k, const json_t *v, const char *to)
{
        if (json_is_null(v))
                return 0;
        if (!json_is_integer(v))
                return dc_fail(x, 400, "%s%s: an integer", w, k);
        if (json_integer_value(v) > 0)
                json_object_set_new(dc_limits(x), to, json_integer(json_integer_value(v)));
        else if (json_integer_value(v) < -1)
                return dc_fail(x, 400, "%s%s: a positive integer", w, k);
        return 0;
}
static int dc_memory(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_limit(x, w, k, v, "memoryBytes");
}
static int dc_nanocpus(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_limit(x, w, k, v, "nanoCpus");
}
static int dc_pids(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_limit(x, w, k, v, "pidsLimit");
}

/* The gateway sets the swap limit to the memory limit: 0, -1 or that value only. */
static int dc_swap(struct dc *x, const char *w, const char *k, const json_t *v)
{
        json_t *mem = json_object_get(json_object_get(x->in, "limits"), "memoryBytes");

        if (json_is_null(v) ||
            (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == -1)))
                return 0;
        if (json_is_integer(v) && json_is_integer(mem) &&
            json_integer_value(v) == json_integer_value(mem))
                return 0;
        return dc_fail(x, 403,
                       "%s%s: the gateway sets the swap limit to the memory limit (no swap)", w,
                       k);
}

static int dc_swappiness(struct dc *x, const char *w, const char *k, const json_t *v)
{
        if (json_is_null(v) || (json_is_integer(v) && json_integer_value(v) == -1))
                return 0;
        return dc_fail(x, 403, "%s%s: not supported by the gateway (only the default, -1)", w,
                       k);
}

static int dc_network(struct dc *x, const char *w, const char *k, const json_t *v)
{
        const char *s = "";

        if (json_is_null(v))
                return 0;
        if (dc_string(x, w, k, v, &s) == -1)
                return -1;
        if (s[0] == '\0' || strcmp(s, "default") == 0)
                return 0; /* the peer's default network */
        if (strcmp(s, "host") == 0)
                return dc_fail(x, 403, "%s%s: host networking is not allowed", w, k);
        if (strncmp(s, "container:", 10) == 0)
                return dc_fail(x, 403,
                               "%s%s: joining another container's network namespace is not "
                               "allowed",
                               w, k);
        json_object_set_new(x->in, "network", json_string(s));
        x->network = json_string_value(json_object_get(x->in, "network"));
        return 0;
}

static int dc_restart(struct dc *x, const char *w, const char *k, const json_t *v)
{
        const char *name = json_string_value(json_object_get(v, "Name"));
        json_t *max = json_object_get(v, "MaximumRetryCount");
        const char *key;
        json_t *e;
        char buf[48];

        if (json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return dc_fail(x, 400, "%s%s: an object", w, k);
        json_object_foreach((json_t *)v, key, e)
        {
                if (strcmp(key, "Name") != 0 && strcmp(key, "MaximumRetryCount") != 0)
                        return dc_fail(x, 400, "%s%s.%.64s: unknown field", w, k, key);
        }
        if (max != NULL && !json_is_integer(max))
                return dc_fail(x, 400, "%s%s.MaximumRetryCount: an integer", w, k);
        if (name == NULL || name[0] == '\0' || strcmp(name, "no") == 0) {
                if (max != NULL && json_integer_value(max) != 0)
                        return dc_fail(x, 400, "%s%s: a retry count goes with on-failure", w,
                                       k);
                return 0;
        }
        if (strcmp(name, "on-failure") == 0 && max != NULL && json_integer_value(max) > 0)
                snprintf(buf, sizeof(buf), "on-failure:%lld",
                         (long long)json_integer_value(max));
        else
                snprintf(buf, sizeof(buf), "%.32s", name);
        json_object_set_new(x->in, "restartPolicy", json_string(buf));
        return 0;
}

static json_t *dc_map(struct dc *x, const char *key)
{
        json_t *m = json_object_get(x->in, key);

        if (m == NULL) {
                m = json_object();
                json_object_set_new(x->in, key, m);
        }
        return m;
}

/* One named volume at target: the native volumes input. */
static int dc_volume(struct dc *x, const char *w, const char *src, const char *target, int ro)
{
        char buf[600];
        json_t *m = dc_map(x, "volumes");

        if (src[0] == '\0')
                return dc_fail(x, 403,
                               "%s: anonymous volumes are not supported by the gateway; name "
                               "one of your volumes",
                               w);
        if (src[0] == '/' || src[0] == '.' || src[0] == '~')
                return dc_fail(x, 403,
                               "%s: bind mounts of host paths are not allowed; name "
                               "one of your volumes",
                               w);
        if (json_object_get(m, target) != NULL)
                return dc_fail(x, 400, "%s: %.256s is mounted twice", w, target);
        snprintf(buf, sizeof(buf), "%.512s%s", src, ro ? ":ro" : "");
        json_object_set_new(m, target, json_string(buf));
        return 0;
}

/* Binds: "volume:/path[:ro|:rw]"; a host path is refused. */
static int dc_binds(struct dc *x, const char *w, const char *k, const json_t *v)
{
        char buf[1024], where[64], *c1, *c2;
        json_t *e;
        size_t i;

        if (json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return dc_fail(x, 400, "%s%s: an array of strings", w, k);
        json_array_foreach(v, i, e)
        {
                snprintf(where, sizeof(where), "%s%s[%zu]", w, k, i);
                if (!json_is_string(e) || json_string_length(e) >= sizeof(buf))
                        return dc_fail(x, 400, "%s: a string", where);
                snprintf(buf, sizeof(buf), "%s", json_string_value(e));
                if (buf[0] == '/' || buf[0] == '.' || buf[0] == '~')
                        return dc_fail(x, 403,
                                       "%s: bind mounts of host paths are not allowed; "
                                       "name one of your volumes",
                                       where);
                if ((c1 = strchr(buf, ':')) == NULL)
                        return dc_fail(
                            x, 403,
                            "%s: anonymous volumes are not supported by the gateway; "
                            "name one of your volumes",
                            where);
                *c1++ = '\0';
                if ((c2 = strchr(c1, ':')) != NULL) {
                        *c2++ = '\0';
                        if (strcmp(c2, "ro") != 0 && strcmp(c2, "rw") != 0)
                                return dc_fail(x, 403,
                                               "%s: mount options other than ro and rw are not "
                                               "allowed",
                                               where);
                }
                if (dc_volume(x, where, buf, c1, c2 != NULL && strcmp(c2, "ro") == 0) == -1)
                        return -1;
        }
        return 0;
}

static int dc_tmpfs_one(struct dc *x, const char *w, const char *target, const char *opts)
{
        json_t *m = dc_map(x, "tmpfs");

        if (json_object_get(m, target) != NULL)
                return dc_fail(x, 400, "%s: %.256s is mounted twice", w, target);
        json_object_set_new(m, target, json_string(opts));
        return 0;
}

static int dc_tmpfs(struct dc *x, const char *w, const char *k, const json_t *v)
{
        char where[64];
        const char *t;
        json_t *e;

        if (json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return dc_fail(x, 400, "%s%s: an object of strings", w, k);
        json_object_foreach((json_t *)v, t, e)
        {
                snprintf(where, sizeof(where), "%s%s", w, k);
                if (!json_is_string(e))
                        return dc_fail(x, 400, "%s: an object of strings", where);
                if (dc_tmpfs_one(x, where, t, json_string_value(e)) == -1)
                        return -1;
        }
        return 0;
}

/* Mounts[i].VolumeOptions: only the zero value, or NoCopy false, or Labels empty. */
static const struct dc_row dc_volume_opts[] = {
    {"NoCopy", NULL, "not supported by the gateway"},
    {"Labels", NULL, "labels on a volume made by a mount are not supported; create the volume"},
    {"DriverConfig", NULL,
     "volume driver options can bind host paths and are not allowed; create the volume"},
    {NULL, NULL, NULL},
};

static int dc_mount(struct dc *x, const char *w, const json_t *m)
{
        const char *type = json_string_value(json_object_get(m, "Type"));
        const char *src = json_string_value(json_object_get(m, "Source"));
        const char *target = json_string_value(json_object_get(m, "Target"));
        json_t *ro = json_object_get(m, "ReadOnly"), *e;
        const char *k;
        char opts[128], sub[96];
        json_int_t size, mode;

        if (!json_is_object(m) || type == NULL || target == NULL)
                return dc_fail(x, 400, "%s: an object with Type and Target", w);
        json_object_foreach((json_t *)m, k, e)
        {
                if (strcmp(k, "Type") == 0 || strcmp(k, "Source") == 0 ||
                    strcmp(k, "Target") == 0 || strcmp(k, "ReadOnly") == 0 ||
                    strcmp(k, "Consistency") == 0)
                        continue;
                snprintf(sub, sizeof(sub), "%s.", w);
                if (strcmp(k, "VolumeOptions") == 0 && strcmp(type, "volume") == 0) {
                        if (!json_is_null(e) &&
                            dc_walk(x, strcat(sub, "VolumeOptions."), dc_volume_opts, e) == -1)
                                return -1;
                        continue;
                }
                if (strcmp(k, "TmpfsOptions") == 0 && strcmp(type, "tmpfs") == 0)
                        continue;
                if (dc_zero(e))
                        continue;
                return dc_fail(x, 403, "%s.%.64s: not allowed on a %s mount", w, k, type);
        }
        if (ro != NULL && !json_is_boolean(ro))
                return dc_fail(x, 400, "%s.ReadOnly: true or false", w);
        if (strcmp(type, "volume") == 0)
                return dc_volume(x, w, src != NULL ? src : "", target, json_is_true(ro));
        if (strcmp(type, "tmpfs") == 0) {
                json_t *to = json_object_get(m, "TmpfsOptions");

                size = json_integer_value(json_object_get(to, "SizeBytes"));
                mode = json_integer_value(json_object_get(to, "Mode"));
                json_object_foreach(to, k, e)
                {
                        if (strcmp(k, "SizeBytes") != 0 && strcmp(k, "Mode") != 0)
                                return dc_fail(x, 403, "%s.TmpfsOptions.%.64s: not allowed", w,
                                               k);
                }
                if (size < 0 || mode < 0 || mode > 07777)
                        return dc_fail(x, 400, "%s.TmpfsOptions: SizeBytes >= 0, Mode 0..07777",
                                       w);
                snprintf(opts, sizeof(opts), "%s", json_is_true(ro) ? "ro" : "rw");
                if (size > 0)
                        snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), ",size=%lld",
                                 (long long)size);
                if (mode > 0)
                        snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), ",mode=%llo",
                                 (unsigned long long)mode);
                return dc_tmpfs_one(x, w, target, opts);
        }
        if (strcmp(type, "bind") == 0)
                return dc_fail(x, 403,
                               "%s: bind mounts of host paths are not allowed; name one "
                               "of your volumes",
                               w);
        return dc_fail(x, 403, "%s: mounts of type %.32s are not allowed", w, type);
}

static int dc_mounts(struct dc *x, const char *w, const char *k, const json_t *v)
{
        char where[64];
        json_t *e;
        size_t i;

        if (json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return dc_fail(x, 400, "%s%s: an array of mounts", w, k);
        json_array_foreach(v, i, e)
        {
                snprintf(where, sizeof(where), "%s%s[%zu]", w, k, i);
                if (dc_mount(x, where, e) == -1)
                        return -1;
        }
        return 0;
}

/* The capabilities a container keeps are the policy's; dropping more changes nothing. */
static int dc_cap_drop(struct dc *x, const char *w, const char *k, const json_t *v)
{
        json_t *e;
        size_t i;

        if (json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return dc_fail(x, 400, "%s%s: an array of strings", w, k);
        json_array_foreach(v, i, e)
        {
                if (!json_is_string(e))
                        return dc_fail(x, 400, "%s%s: an array of strings", w, k);
        }
        return 0;
}

static int dc_log_config(struct dc *x, const char *w, const char *k, const json_t *v)
{
        if (dc_zero(v))
                return 0;
        return dc_fail(x, 403,
                       "%s%s: the gateway chooses the log driver (local: it keeps every byte)",
                       w, k);
}

/* [rows, cols]: the TTY size the client starts with; resize requests set it. */
static int dc_console(struct dc *x, const char *w, const char *k, const json_t *v)
{
        if (json_is_null(v) ||
            (json_is_array(v) && json_array_size(v) == 2 &&
             json_is_integer(json_array_get(v, 0)) && json_is_integer(json_array_get(v, 1))))
                return 0;
        return dc_fail(x, 400, "%s%s: [rows, cols]", w, k);
}

/* "", or the value the gateway sets anyway. */
static int dc_private_mode(struct dc *x, const char *w, const char *k, const json_t *v)
{
        const char *s = json_string_value(v);

        if (json_is_null(v) || (s != NULL && (s[0] == '\0' || strcmp(s, "private") == 0)))
                return 0;
        return dc_fail(x, 403, "%s%s: only a private namespace is allowed", w, k);
}

static int dc_isolation(struct dc *x, const char *w, const char *k, const json_t *v)
{
        const char *s = json_string_value(v);

        if (json_is_null(v) || (s != NULL && (s[0] == '\0' || strcmp(s, "default") == 0)))
                return 0;
        return dc_fail(x, 403, "%s%s: not supported by the gateway", w, k);
}

static int dc_security_opt(struct dc *x, const char *w, const char *k, const json_t *v)
{
        json_t *e;
        size_t i;

        if (json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return dc_fail(x, 400, "%s%s: an array of strings", w, k);
        json_array_foreach(v, i, e)
        {
                /* The one option the gateway sets on every container anyway. */
                if (!json_is_string(e) ||
                    (strcmp(json_string_value(e), "no-new-privileges") != 0 &&
                     strcmp(json_string_value(e), "no-new-privileges:true") != 0))
                        return dc_fail(x, 403,
                                       "%s%s: security options are set by the gateway "
                                       "(no-new-privileges, its seccomp and AppArmor defaults)",
                                       w, k);
        }
        return 0;
}

/* A dapi_knobs.c answer (0, or an HTTP status with x->err set) as a row's. */
static int dc_knob(struct dc *x, int status)
{
        if (status == 0)
                return 0;
        x->status = status;
        return -1;
}
static int dc_ulimits(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_knob(x, dknob_ulimits(v, x->in, x->err, x->errlen));
}
static int dc_health(struct dc *x, const char *w, const char *k, const json_t *v)
{
        return dc_knob(x, dknob_health(v, x->in, x->err, x->errlen));
}
/* The three port fields are read together at the end (dcreate_translate). */
static int dc_bindings(struct dc *x, const char *w, const char *k, const json_t *v)
{
        x->bindings = v;
        return 0;
}
static int dc_exposed(struct dc *x, const char *w, const char *k, const json_t *v)
{
        x->exposed = v;
        return 0;
}
static int dc_publish_all(struct dc *x, const char *w, const char *k, const json_t *v)
{
        x->publish_all = v;
        return 0;
}

#define NS "host namespaces and shared namespaces are not allowed"
#define DEV "devices are not allowed"
#define KNOB "not supported by the gateway (only its zero value)"

static const struct dc_row dc_host_rows[] = {
    {"Binds", dc_binds, NULL},
    {"Mounts", dc_mounts, NULL},
    {"Tmpfs", dc_tmpfs, NULL},
    {"AutoRemove", dc_auto_remove, NULL},
    {"RestartPolicy", dc_restart, NULL},
    {"NetworkMode", dc_network, NULL},
    {"Memory", dc_memory, NULL},
    {"NanoCpus", dc_nanocpus, NULL},
    {"PidsLimit", dc_pids, NULL},
    {"MemorySwap", dc_swap, NULL},
    {"MemorySwappiness", dc_swappiness, NULL},
    {"ReadonlyRootfs", dc_readonly, NULL},
    {"CapDrop", dc_cap_drop, NULL},
    {"LogConfig", dc_log_config, NULL},
    {"ConsoleSize", dc_console, NULL},
    {"IpcMode", dc_private_mode, NULL},
    {"CgroupnsMode", dc_private_mode, NULL},
    {"Isolation", dc_isolation, NULL},
    {"SecurityOpt", dc_security_opt, NULL},
    {"Privileged", NULL, "privileged containers are not allowed"},
    {"CapAdd", NULL, "adding capabilities is not allowed"},
    {"Devices", NULL, DEV},
    {"DeviceCgroupRules", NULL, DEV},
    {"DeviceRequests", NULL, DEV},
    {"PidMode", NULL, NS},
    {"UTSMode", NULL, NS},
    {"UsernsMode", NULL, NS},
    {"Cgroup", NULL, NS},
    {"CgroupParent", NULL, "the cgroup parent is the engine's"},
    {"VolumesFrom", NULL, "mounting another container's volumes is not allowed"},
    {"VolumeDriver", NULL, "volume drivers are not allowed; create the volume"},
    {"Links", NULL, "links are not supported; use one of your networks"},
    {"PortBindings", dc_bindings, NULL},
    {"PublishAllPorts", dc_publish_all, NULL},
    {"Dns", dc_dns, NULL},
    {"DnsOptions", NULL, KNOB},
    {"DnsSearch", NULL, KNOB},
    {"ExtraHosts", dc_extra_hosts, NULL},
    {"GroupAdd", NULL, KNOB},
    {"Sysctls", NULL, "sysctls are not allowed"},
    {"Ulimits", dc_ulimits, NULL},
    {"OomScoreAdj", NULL, KNOB},
    {"OomKillDisable", NULL, "the OOM killer cannot be disabled"},
    {"ShmSize", dc_shm, NULL},
    {"ContainerIDFile", NULL, "a client-side setting; the engine never gets it"},
    {"Runtime", NULL, "the runtime is the policy's"},
    {"MaskedPaths", NULL, "the masked paths are the engine's defaults"},
    {"ReadonlyPaths", NULL, "the read-only paths are the engine's defaults"},
    {"Init", dc_init, NULL},
    {"StorageOpt", NULL, KNOB},
    {"Annotations", NULL, KNOB},
    {"CpuShares", NULL, KNOB},
    {"CpuPeriod", dc_cpu_period, NULL},
    {"CpuQuota", dc_cpu_quota, NULL},
    {"CpuRealtimePeriod", NULL, KNOB},
    {"CpuRealtimeRuntime", NULL, KNOB},
    {"CpusetCpus", dc_cpuset, NULL},
    {"CpusetMems", NULL, KNOB},
    {"CpuCount", NULL, KNOB},
    {"CpuPercent", NULL, KNOB},
    {"BlkioWeight", NULL, KNOB},
    {"BlkioWeightDevice", NULL, DEV},
    {"BlkioDeviceReadBps", NULL, DEV},
    {"BlkioDeviceWriteBps", NULL, DEV},
    {"BlkioDeviceReadIOps", NULL, DEV},
    {"BlkioDeviceWriteIOps", NULL, DEV},
    {"KernelMemory", NULL, KNOB},
    {"KernelMemoryTCP", NULL, KNOB},
    {"MemoryReservation", NULL, KNOB},
    {"IOMaximumIOps", NULL, KNOB},
    {"IOMaximumBandwidth", NULL, KNOB},
    {NULL, NULL, NULL},
};

static int dc_host_config(struct dc *x, const char *w, const char *k, const json_t *v)
{
        if (json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return dc_fail(x, 400, "HostConfig: an object");
        return dc_walk(x, "HostConfig.", dc_host_rows, v);
}

/*
 * EndpointsConfig: nothing, or the network NetworkMode names, with its
 * Aliases (input networkAliases) and nothing else set.  Which network that
 * is, is checked once the whole body is read (dcreate_translate).
 */
static int dc_endpoint(struct dc *x, const char *name, const json_t *e)
{
        const char *k;
        json_t *v, *a;
        size_t i;

        if (json_is_null(e))
                return 0;
        if (!json_is_object(e))
                return dc_fail(x, 400, "NetworkingConfig.EndpointsConfig.%.64s: an object",
                               name);
        json_object_foreach((json_t *)e, k, v)
        {
                if (strcasecmp(k, "Aliases") != 0) {
                        if (!dc_zero(v))
                                return dc_fail(x, 403,
                                               "NetworkingConfig.EndpointsConfig.%.64s.%.64s: "
                                               "endpoint settings other than aliases are not "
                                               "supported by the gateway",
                                               name, k);
                        continue;
                }
                if (json_is_null(v) || json_array_size(v) == 0)
                        continue;
                if (!json_is_array(v))
                        return dc_fail(x, 400,
                                       "NetworkingConfig.EndpointsConfig.%.64s.Aliases: a list "
                                       "of strings",
                                       name);
                json_array_foreach(v, i, a)
                {
                        if (!json_is_string(a))
                                return dc_fail(
                                    x, 400,
                                    "NetworkingConfig.EndpointsConfig.%.64s.Aliases: "
                                    "a list of strings",
                                    name);
                }
                json_object_set(x->in, "networkAliases", v);
                snprintf(x->alias_net, sizeof(x->alias_net), "%s", name);
        }
        return 0;
}

static int dc_networking(struct dc *x, const char *w, const char *k, const json_t *v)
{
        json_t *eps = json_object_get(v, "EndpointsConfig"), *e;
        const char *name, *key;

        if (json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return dc_fail(x, 400, "NetworkingConfig: an object");
        json_object_foreach((json_t *)v, key, e)
        {
                if (strcmp(key, "EndpointsConfig") != 0)
                        return dc_fail(x, 400, "NetworkingConfig.%.64s: unknown field", key);
        }
        if (json_object_size(eps) > 1)
                return dc_fail(x, 403,
                               "NetworkingConfig.EndpointsConfig: one network at create; "
                               "connect the container to the others");
        json_object_foreach(eps, name, e)
        {
                if (dc_endpoint(x, name, e) == -1)
                        return -1;
        }
        return 0;
}

#define CFG "not supported by the gateway (only its zero value)"

static const struct dc_row dc_config_rows[] = {
    {"Image", dc_image, NULL},
    {"Cmd", dc_cmd, NULL},
    {"Entrypoint", dc_entrypoint, NULL},
    {"Env", dc_env, NULL},
    {"Labels", dc_labels, NULL},
    {"WorkingDir", dc_workdir, NULL},
    {"User", dc_user, NULL},
    {"Tty", dc_tty, NULL},
    {"OpenStdin", dc_open_stdin, NULL},
    {"StdinOnce", dc_stdin_once, NULL},
    {"AttachStdin", dc_attach_flag, NULL},
    {"AttachStdout", dc_attach_flag, NULL},
    {"AttachStderr", dc_attach_flag, NULL},
    {"HostConfig", dc_host_config, NULL},
    {"NetworkingConfig", dc_networking, NULL},
    {"Hostname", dc_hostname, NULL},
    {"Domainname", dc_domainname, NULL},
    {"Volumes", NULL,
     "anonymous volumes are not supported by the gateway; name one of your "
     "volumes"},
    {"ExposedPorts", dc_exposed, NULL},
    {"StopSignal", dc_stop_signal, NULL},
    {"StopTimeout", dc_stop_timeout, NULL},
    {"Healthcheck", dc_health, NULL},
    {"OnBuild", NULL, CFG},
    {"Shell", NULL, CFG},
    {"NetworkDisabled", NULL, CFG},
    {"MacAddress", NULL, CFG},
    {"ArgsEscaped", NULL, CFG},
    {NULL, NULL, NULL},
};

static int dc_walk(struct dc *x, const char *where, const struct dc_row *rows,
                   const json_t *obj)
{
        const struct dc_row *r;
        const char *k;
        json_t *v;

        json_object_foreach((json_t *)obj, k, v)
        {
                for (r = rows; r->key != NULL && strcmp(r->key, k) != 0; r++)
                        ;
                if (r->key == NULL)
                        return dc_fail(x, 400, "%s%.64s: unknown field", where, k);
                if (r->fn != NULL) {
                        if (r->fn(x, where, k, v) == -1)
                                return -1;
                } else if (!dc_zero(v)) {
                        return dc_fail(x, 403, "%s%s: %s", where, k, r->why);
                }
        }
        return 0;
}

int dcreate_translate(const json_t *body, const char *name, json_t *input, int *status,
                      char *err, size_t errlen)
{
        struct dc x = {input, 0, err, errlen, NULL, NULL, NULL, NULL, ""};
        const json_t *hc = json_object_get(body, "HostConfig");

        /* Memory first, so that MemorySwap can be compared with it. */
        if (json_is_object(hc) && json_object_get(hc, "Memory") != NULL &&
            dc_memory(&x, "HostConfig.", "Memory", json_object_get(hc, "Memory")) == -1)
                goto fail;
        if (dc_walk(&x, "", dc_config_rows, body) == -1)
                goto fail;
        if (dc_knob(&x, dknob_ports(x.bindings, x.exposed, x.publish_all, input, err,
                                    errlen)) == -1)
                goto fail;
        if (json_object_get(input, "image") == NULL) {
                dc_fail(&x, 400, "Image: required");
                goto fail;
        }
        /* Aliases belong to the network the container is created on. */
        if (x.alias_net[0] != '\0' &&
            (x.network == NULL || strcmp(x.network, x.alias_net) != 0)) {
                dc_fail(&x, 403,
                        "NetworkingConfig.EndpointsConfig.%.64s: aliases only on the network "
                        "HostConfig.NetworkMode names",
                        x.alias_net);
                goto fail;
        }
        if (name != NULL && name[0] != '\0')
                json_object_set_new(input, "name",
                                    json_string(name[0] == '/' ? name + 1 : name));
        return 0;
fail:
        *status = x.status;
        return -1;
}

/* --- update bodies: the Resources of HostConfig, and RestartPolicy --- */

/* On update, -1 would mean unlimited: refused; 0 and null leave the limit as it is. */
static int du_limit(struct dc *x, const char *w, const char *k, const json_t *v)
{
        if (json_is_integer(v) && json_integer_value(v) == -1)
                return dc_fail(x, 403, "%s: an unlimited value is not allowed", k);
        if (strcmp(k, "Memory") == 0)
                return 0; /* read first (dupdate_translate) */
        return strcmp(k, "NanoCpus") == 0 ? dc_nanocpus(x, w, k, v) : dc_pids(x, w, k, v);
}

/* An empty Name leaves the policy as it is; "no" is a change on update. */
static int du_restart(struct dc *x, const char *w, const char *k, const json_t *v)
{
        const char *name = json_string_value(json_object_get(v, "Name"));

        if (dc_restart(x, w, k, v) == -1)
                return -1;
        if (name != NULL && strcmp(name, "no") == 0)
                json_object_set_new(x->in, "restartPolicy", json_string("no"));
        return 0;
}

#define UPD "not supported by docker update through the gateway (only its zero value)"

static const struct dc_row du_rows[] = {
    {"Memory", du_limit, NULL},
    {"NanoCpus", du_limit, NULL},
    {"PidsLimit", du_limit, NULL},
    {"MemorySwap", dc_swap, NULL},
    {"MemorySwappiness", dc_swappiness, NULL},
    {"RestartPolicy", du_restart, NULL},
    {"CgroupParent", NULL, "the cgroup parent is the engine's"},
    {"Devices", NULL, DEV},
    {"DeviceCgroupRules", NULL, DEV},
    {"DeviceRequests", NULL, DEV},
    {"OomKillDisable", NULL, "the OOM killer cannot be disabled"},
    {"BlkioWeightDevice", NULL, DEV},
    {"BlkioDeviceReadBps", NULL, DEV},
    {"BlkioDeviceWriteBps", NULL, DEV},
    {"BlkioDeviceReadIOps", NULL, DEV},
    {"BlkioDeviceWriteIOps", NULL, DEV},
    {"CpuShares", NULL, UPD},
    {"CpuPeriod", NULL, UPD},
    {"CpuQuota", NULL, UPD},
    {"CpuRealtimePeriod", NULL, UPD},
    {"CpuRealtimeRuntime", NULL, UPD},
    {"CpusetCpus", NULL, UPD},
    {"CpusetMems", NULL, UPD},
    {"CpuCount", NULL, UPD},
    {"CpuPercent", NULL, UPD},
    {"BlkioWeight", NULL, UPD},
    {"KernelMemory", NULL, UPD},
    {"KernelMemoryTCP", NULL, UPD},
    {"MemoryReservation", NULL, UPD},
    {"Ulimits", NULL, UPD},
    {"IOMaximumIOps", NULL, UPD},
    {"IOMaximumBandwidth", NULL, UPD},
    {NULL, NULL, NULL},
};

int dupdate_translate(const json_t *body, json_t *input, int *status, char *err, size_t errlen)
{
        struct dc x = {input, 0, err, errlen, NULL, NULL, NULL, NULL, ""};
        const json_t *mem = json_object_get(body, "Memory");

        /* Memory first, so that MemorySwap can be compared with it. */
        if ((mem != NULL && (du_limit(&x, "", "Memory", mem) == -1 ||
                             dc_memory(&x, "", "Memory", mem) == -1)) ||
            dc_walk(&x, "", du_rows, body) == -1) {
                *status = x.status;
                return -1;
        }
        return 0;
}

int dcreate_zero(const json_t *v)
{
        return dc_zero(v);
}
