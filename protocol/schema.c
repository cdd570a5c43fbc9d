/*
 * schema.c - the input schema of every operation of PROTOCOL.md section 5,
 * the descriptor table built from protocol/ops.def, and the exact check.
 *
 * Bounds are ours (PROTOCOL.md names fields, not sizes); they are generous
 * for real use and small enough that no input can make a worker or the
 * supervisor do unbounded work.  Policy (what a peer may ask for) is not
 * here: this only says what is well formed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bounds.h"
#include "schema.h"
#include "errors.h"

#define SCHEMA_ITEM_MAX 4096 /* each string of F_STRINGS, each F_STRING_MAP value */
#define SCHEMA_KEY_MAX 256   /* each F_STRING_MAP key */
#define SCHEMA_KEY_SHOWN 64  /* how much of a peer-chosen key an error quotes */
#define SCHEMA_PATH_MAX 512

#define S_STR(n, lo, hi, req)                                                                  \
        {                                                                                      \
                n, F_STRING, lo, hi, NULL, req                                                 \
        }
#define S_BOOL(n)                                                                              \
        {                                                                                      \
                n, F_BOOL, 0, 1, NULL, 0                                                       \
        }
#define S_INT(n, lo, hi, req)                                                                  \
        {                                                                                      \
                n, F_INT, lo, hi, NULL, req                                                    \
        }
#define S_LIST(n, lo, hi, req)                                                                 \
        {                                                                                      \
                n, F_STRINGS, lo, hi, NULL, req                                                \
        } /* lo..hi items */
#define S_MAP(n, hi)                                                                           \
        {                                                                                      \
                n, F_STRING_MAP, 0, hi, NULL, 0                                                \
        } /* at most hi entries */
#define S_OBJ(n, sub)                                                                          \
        {                                                                                      \
                n, F_OBJECT, 0, 0, sub, 0                                                      \
        }
#define S_END                                                                                  \
        {                                                                                      \
                NULL, F_STRING, 0, 0, NULL, 0                                                  \
        }

#define S_CONTAINER S_STR("containerId", 1, OPS_REF_MAX, 1)
#define S_TIME(n) S_INT(n, 0, (int64_t)1 << 40, 0) /* unix seconds */

static const struct field_spec f_none[] = {
    S_END,
};

static const struct field_spec f_events[] = {
    S_TIME("since"),
    S_TIME("until"),
    S_LIST("types", 0, 16, 0),
    S_LIST("filters", 0, 32, 0), /* "key=value" each (supervisor/filters.h) */
    S_END,
};

/* Lists of networks and volumes: only filters (supervisor/filters.h). */
static const struct field_spec f_filtered[] = {
    S_LIST("filters", 0, 32, 0),
    S_END,
};

static const struct field_spec f_usage[] = {
    S_STR("peer", 1, DG_NAME_MAX, 0),
    S_END,
};

static const struct field_spec f_limits[] = {
    S_INT("memoryBytes", DG_MEMORY_MIN, DG_MEMORY_MAX, 0),
    S_INT("nanoCpus", DG_NANOCPUS_MIN, DG_NANOCPUS_MAX, 0),
    S_INT("pidsLimit", DG_PIDS_MIN, DG_PIDS_MAX, 0),
    S_END,
};

/* lease.h: bounds here, meaning there. */
static const struct field_spec f_lease[] = {
    S_BOOL("session"),
    S_INT("ttlSeconds", 1, 30LL * 86400, 0),
    S_INT("graceSeconds", 0, 60, 0),
    S_END,
};

/* healthcheck: the policy bounds each value further (supervisor/create_knobs.c). */
static const struct field_spec f_health[] = {
    S_LIST("test", 1, 64, 1),           S_INT("intervalMs", 0, 86400000, 0),
    S_INT("timeoutMs", 0, 86400000, 0), S_INT("startPeriodMs", 0, 86400000, 0),
    S_INT("retries", 0, 1000, 0),       S_END,
};

static const struct field_spec f_create[] = {
    S_STR("image", 1, 256, 1),
    S_STR("name", 1, 256, 0),
    S_LIST("cmd", 0, 256, 0),
    S_LIST("entrypoint", 0, 256, 0),
    S_LIST("env", 0, 256, 0),
    S_MAP("labels", 64),
    S_STR("workingDir", 1, 4096, 0),
    S_STR("user", 1, 256, 0),
    S_BOOL("tty"),
    S_BOOL("openStdin"),
    S_BOOL("stdinOnce"),
    S_OBJ("limits", f_limits),
    S_STR("network", 1, OPS_REF_MAX, 0),
    S_LIST("networkAliases", 0, DG_ALIASES_MAX, 0),
    S_BOOL("readOnlyRootfs"),
    S_MAP("tmpfs", 16),
    S_MAP("volumes", DG_VOLUMES_MAX),
    S_MAP("ports", 32),
    S_STR("restartPolicy", 1, 32, 0),
    S_OBJ("lease", f_lease),
    S_OBJ("healthcheck", f_health),
    S_MAP("ulimits", 4),
    S_INT("cpuQuota", 1000, (int64_t)1 << 40, 0),
    S_INT("cpuPeriod", 1000, 1000000, 0),
    S_STR("cpusetCpus", 1, 128, 0),
    S_INT("shmSize", 0, (int64_t)1 << 40, 0),
    S_INT("memorySwap", 0, (int64_t)1 << 41, 0),
    S_STR("stopSignal", 1, 16, 0),
    S_INT("stopTimeout", 0, 3600, 0),
    S_BOOL("init"),
    S_STR("hostname", 1, 63, 0),
    S_STR("domainname", 1, 253, 0),
    S_LIST("extraHosts", 0, 64, 0),
    S_LIST("dns", 0, 8, 0),
    S_BOOL("autoRemove"),
    S_LIST("capAdd", 0, 16, 0),
    S_STR("runtime", 1, 64, 0),
    S_BOOL("publishAllPorts"),
    S_MAP("binds", 16),
    S_END,
};

static const struct field_spec f_container[] = {
    S_CONTAINER,
    S_END,
};

static const struct field_spec f_stop[] = {
    S_CONTAINER,
    S_INT("timeoutSeconds", 0, 3600, 0),
    S_END,
};

static const struct field_spec f_kill[] = {
    S_CONTAINER,
    S_STR("signal", 1, 16, 0),
    S_END,
};

/* rename: the new name, in the caller's namespace like a create's (supervisor/names.h). */
static const struct field_spec f_rename[] = {
    S_CONTAINER,
    S_STR("name", 1, OPS_NAME_MAX, 1), /* checked again by the handler */
    S_END,
};

/* Limits may only go down from the container's create-time values (op_update.c). */
static const struct field_spec f_update[] = {
    S_CONTAINER,
    S_OBJ("limits", f_limits),
    S_STR("restartPolicy", 1, 32, 0),
    S_END,
};

static const struct field_spec f_remove[] = {
    S_CONTAINER,
    S_BOOL("force"),
    S_BOOL("removeVolumes"),
    S_END,
};

static const struct field_spec f_list[] = {
    S_BOOL("all"),
    S_LIST("filters", 0, 32, 0),
    S_END,
};

static const struct field_spec f_wait[] = {
    S_CONTAINER,
    S_STR("condition", 1, 32, 0),
    S_END,
};

static const struct field_spec f_logs[] = {
    S_CONTAINER,          S_BOOL("follow"),        S_BOOL("stdout"), S_BOOL("stderr"),
    S_BOOL("timestamps"), S_STR("tail", 1, 16, 0), S_TIME("since"),  S_END,
};

static const struct field_spec f_stats[] = {
    S_CONTAINER,
    S_BOOL("stream"),
    S_END,
};

/* tty and stdin matter for raw carriage only; the broker decides what they mean for json. */
static const struct field_spec f_exec[] = {
    S_CONTAINER,
    S_LIST("cmd", 1, 256, 1),
    S_LIST("env", 0, 256, 0),
    S_STR("workingDir", 1, 4096, 0),
    S_STR("user", 1, 256, 0),
    S_BOOL("tty"),
    S_BOOL("stdin"),
    S_END,
};

/* Exec instances by ID (docker/exec/...; docker/container/exec/create takes f_exec). */
#define S_EXEC_ID                                                                              \
        S_STR("execId", DG_ENGINE_ID_MAX, DG_ENGINE_ID_MAX,                                    \
              1) /* the engine's ID, as create gave it */

static const struct field_spec f_exec_start[] = {
    S_EXEC_ID,
    S_BOOL("detach"),
    S_END,
};

static const struct field_spec f_exec_id[] = {
    S_EXEC_ID,
    S_END,
};

static const struct field_spec f_exec_resize[] = {
    S_EXEC_ID,
    S_INT("rows", 1, DG_TTY_MAX, 1),
    S_INT("cols", 1, DG_TTY_MAX, 1),
    S_END,
};

static const struct field_spec f_attach[] = {
    S_CONTAINER,
    S_BOOL("stdin"),
    S_BOOL("logs"),
    S_END,
};

static const struct field_spec f_resize[] = {
    S_CONTAINER,
    S_INT("rows", 1, DG_TTY_MAX, 1),
    S_INT("cols", 1, DG_TTY_MAX, 1),
    S_END,
};

static const struct field_spec f_archive[] = {
    S_CONTAINER,
    S_STR("path", 1, 4096, 1),
    S_END,
};

/* statOnly: the path's stat header alone (the engine's HEAD), no tar. */
static const struct field_spec f_archive_get[] = {
    S_CONTAINER,
    S_STR("path", 1, 4096, 1),
    S_BOOL("statOnly"),
    S_END,
};

static const struct field_spec f_pull[] = {
    S_STR("image", 1, 256, 1),
    S_STR("tag", 1, 128, 0),
    S_END,
};

/* docker/image/build: the context comes as stdin chunks (raw carriage). */
static const struct field_spec f_build[] = {
    S_STR("tag", 1, 256, 0),
    S_STR("dockerfile", 1, 256, 0),
    S_MAP("buildArgs", 64),
    S_STR("target", 1, 128, 0),
    S_MAP("labels", 64),
    S_STR("remote", 1, 4096, 0), /* refused: remote contexts are FORBIDDEN */
    S_STR("version", 1, 8, 0),   /* "1" only: BuildKit ("2") is FORBIDDEN */
    S_BOOL("gzip"),              /* refused: compressed contexts */
    S_BOOL("noCache"),           /* the engine's nocache: no step from its cache */
    S_END,
};

static const struct field_spec f_image[] = {
    S_STR("image", 1, 256, 1),
    S_END,
};

static const struct field_spec f_image_remove[] = {
    S_STR("image", 1, 256, 1),
    S_BOOL("force"),
    S_END,
};

static const struct field_spec f_image_tag[] = {
    S_STR("image", 1, 256, 1),
    S_STR("repo", 1, 256, 1),
    S_STR("tag", 1, 128, 0),
    S_END,
};

static const struct field_spec f_network_create[] = {
    S_STR("name", 1, 256, 1),
    S_BOOL("internal"),
    S_MAP("labels", 64),
    S_OBJ("lease", f_lease),
    S_END,
};

static const struct field_spec f_network[] = {
    S_STR("networkId", 1, OPS_REF_MAX, 1),
    S_END,
};

static const struct field_spec f_network_connect[] = {
    S_STR("networkId", 1, OPS_REF_MAX, 1),
    S_CONTAINER,
    S_LIST("aliases", 0, DG_ALIASES_MAX, 0), /* connect only */
    S_END,
};

static const struct field_spec f_volume_create[] = {
    S_STR("name", 1, 256, 0),
    S_MAP("labels", 64),
    S_OBJ("lease", f_lease),
    S_END,
};

static const struct field_spec f_volume[] = {
    S_STR("volumeName", 1, OPS_REF_MAX, 1),
    S_END,
};

static const struct field_spec f_volume_remove[] = {
    S_STR("volumeName", 1, OPS_REF_MAX, 1),
    S_BOOL("force"),
    S_END,
};

/* The carriages of an ops.def row. */
#define OPCARRIAGE_JSON 1, 0
#define OPCARRIAGE_RAW 0, 1
#define OPCARRIAGE_BOTH 1, 1
/* clang-format off */
#define DG_OP(id, name, type, carriage, fields, verb, resource, handler) \
        [OPID_##id] = {OPID_##id, name, OP_##type, OPCARRIAGE_##carriage, fields, verb, resource},
/* clang-format on */

const struct op_desc op_descs[OPID__COUNT] = {
#include "ops.def"
};
#undef DG_OP

const struct op_desc *op_desc_find(const char *name)
{
        if (name == NULL)
                return NULL;
        for (size_t i = 0; i < OPID__COUNT; i++)
                if (strcmp(op_descs[i].name, name) == 0)
                        return &op_descs[i];
        return NULL;
}

/* A printable, bounded rendering of a peer-chosen key. */
static const char *schema_key_shown(const char *key, size_t keylen, char *buf, size_t buflen)
{
        size_t i;

        for (i = 0; i < keylen && i + 1 < buflen && i < SCHEMA_KEY_SHOWN; i++) {
                unsigned char c = (unsigned char)key[i];

                buf[i] = (c >= 0x20 && c <= 0x7e) ? (char)c : '?';
        }
        buf[i] = '\0';
        return buf;
}

/* A string of [min, max] bytes without NUL (jansson strings may hold NUL). */
static int schema_string_ok(const json_t *v, int64_t min, int64_t max)
{
        size_t n;

        if (!json_is_string(v))
                return 0;
        n = json_string_length(v);
        return strlen(json_string_value(v)) == n && (int64_t)n >= min && (int64_t)n <= max;
}

static int schema_check_list(const struct field_spec *f, const json_t *v, const char *path,
                             char *err, size_t errlen)
{
        size_t i;
        json_t *item;

        if (!json_is_array(v) || (int64_t)json_array_size(v) < f->min ||
            (int64_t)json_array_size(v) > f->max)
                return dg_errf(err, errlen, "%s: must be an array of %lld..%lld strings", path,
                               (long long)f->min, (long long)f->max);
        json_array_foreach(v, i, item)
        {
                if (!schema_string_ok(item, 0, SCHEMA_ITEM_MAX))
                        return dg_errf(err, errlen,
                                       "%s[%zu]: must be a string of at most %d bytes "
                                       "without NUL",
                                       path, i, SCHEMA_ITEM_MAX);
        }
        return 0;
}

static int schema_check_map(const struct field_spec *f, const json_t *v, const char *path,
                            char *err, size_t errlen)
{
        char shown[SCHEMA_KEY_SHOWN + 1];
        const char *key;
        size_t keylen;
        void *it;

        if (!json_is_object(v) || (int64_t)json_object_size(v) > f->max)
                return dg_errf(err, errlen, "%s: must be an object of at most %lld strings",
                               path, (long long)f->max);
        for (it = json_object_iter((json_t *)v); it != NULL;
             it = json_object_iter_next((json_t *)v, it)) {
                key = json_object_iter_key(it);
                keylen = json_object_iter_key_len(it);
                if (keylen < 1 || keylen > SCHEMA_KEY_MAX || strlen(key) != keylen)
                        return dg_errf(err, errlen, "%s: keys must be 1..%d bytes without NUL",
                                       path, SCHEMA_KEY_MAX);
                if (!schema_string_ok(json_object_iter_value(it), 0, SCHEMA_ITEM_MAX))
                        return dg_errf(err, errlen,
                                       "%s.%s: must be a string of at most %d bytes "
                                       "without NUL",
                                       path,
                                       schema_key_shown(key, keylen, shown, sizeof(shown)),
                                       SCHEMA_ITEM_MAX);
        }
        return 0;
}

static int schema_check_object(const struct field_spec *fields, const json_t *obj,
                               const char *path, char *err, size_t errlen);

static int schema_check_value(const struct field_spec *f, const json_t *v, const char *path,
                              char *err, size_t errlen)
{
        json_int_t i;

        switch (f->kind) {
        case F_STRING:
                if (!schema_string_ok(v, f->min, f->max))
                        return dg_errf(err, errlen,
                                       "%s: must be a string of %lld..%lld bytes without NUL",
                                       path, (long long)f->min, (long long)f->max);
                return 0;
        case F_BOOL:
                if (!json_is_boolean(v))
                        return dg_errf(err, errlen, "%s: must be a boolean", path);
                return 0;
        case F_INT:
                /* json_is_integer: reals and booleans are refused */
                if (!json_is_integer(v) || (i = json_integer_value(v)) < f->min || i > f->max)
                        return dg_errf(err, errlen,
                                       "%s: must be an integer between %lld and %lld", path,
                                       (long long)f->min, (long long)f->max);
                return 0;
        case F_STRINGS:
                return schema_check_list(f, v, path, err, errlen);
        case F_STRING_MAP:
                return schema_check_map(f, v, path, err, errlen);
        case F_OBJECT:
                if (!json_is_object(v))
                        return dg_errf(err, errlen, "%s: must be an object", path);
                return schema_check_object(f->sub, v, path, err, errlen);
        }
        return dg_errf(err, errlen, "%s: bad schema", path);
}

static const struct field_spec *schema_field(const struct field_spec *fields, const char *key)
{
        const struct field_spec *f;

        for (f = fields; f != NULL && f->name != NULL; f++)
                if (strcmp(f->name, key) == 0)
                        return f;
        return NULL;
}

static int schema_check_object(const struct field_spec *fields, const json_t *obj,
                               const char *path, char *err, size_t errlen)
{
        char shown[SCHEMA_KEY_SHOWN + 1], sub[SCHEMA_PATH_MAX];
        const struct field_spec *f;
        const char *key;
        size_t keylen;
        void *it;

        for (it = json_object_iter((json_t *)obj); it != NULL;
             it = json_object_iter_next((json_t *)obj, it)) {
                key = json_object_iter_key(it);
                keylen = json_object_iter_key_len(it);
                /* A key with an embedded NUL is never a field name. */
                f = strlen(key) == keylen ? schema_field(fields, key) : NULL;
                if (f == NULL)
                        return dg_errf(err, errlen, "%s.%s: unknown field", path,
                                       schema_key_shown(key, keylen, shown, sizeof(shown)));
                snprintf(sub, sizeof(sub), "%s.%s", path, f->name);
                if (schema_check_value(f, json_object_iter_value(it), sub, err, errlen) < 0)
                        return -1;
        }
        for (f = fields; f != NULL && f->name != NULL; f++)
                if (f->required && json_object_get(obj, f->name) == NULL)
                        return dg_errf(err, errlen, "%s.%s: missing (required)", path, f->name);
        return 0;
}

int schema_check(const struct op_desc *op, const json_t *input, char *err, size_t errlen)
{
        if (err != NULL && errlen > 0)
                err[0] = '\0';
        if (op == NULL)
                return dg_errf(err, errlen, "unknown operation");
        if (!json_is_object(input))
                return dg_errf(err, errlen, "input: must be an object");
        return schema_check_object(op->fields, input, "input", err, errlen);
}
