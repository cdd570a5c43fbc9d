/*
 * ops.c - the operation table, and the helpers the families (op_*.c) share.
 *
 * Only operations whose whole path exists are listed: the broker answers
 * any other operation id as unavailable.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lease.h"
#include "pool.h"
#include "ops_impl.h"
#include "resolve.h"

const struct op_entry op_table[] = {
    {"docker/system/ping", op_ping},
    {"docker/system/version", op_version},
    {"docker/system/info", op_system_info},
    {"docker/system/events", op_system_events},
    {"gateway/usage", op_usage},
    {"gateway/whoami", op_gateway_whoami},

    {"docker/container/create", op_container_create},
    {"docker/container/start", op_container_start},
    {"docker/container/stop", op_container_stop},
    {"docker/container/restart", op_container_restart},
    {"docker/container/kill", op_container_kill},
    {"docker/container/pause", op_container_pause},
    {"docker/container/unpause", op_container_unpause},
    {"docker/container/remove", op_container_remove},
    {"docker/container/list", op_container_list},
    {"docker/container/inspect", op_container_inspect},
    {"docker/container/wait", op_container_wait},
    {"docker/container/logs", op_container_logs},
    {"docker/container/top", op_container_top},
    {"docker/container/resize", op_container_resize},
    {"docker/container/stats", op_container_stats},
    {"docker/container/exec", op_container_exec},
    {"docker/container/attach", op_container_attach},
    {"docker/container/archive/get", op_container_archive_get},
    {"docker/container/archive/put", op_container_archive_put},

    {"docker/image/list", op_image_list},
    {"docker/image/inspect", op_image_inspect},
    {"docker/image/remove", op_image_remove},
    {"docker/image/pull", op_image_pull},

    {"docker/network/create", op_network_create},
    {"docker/network/list", op_network_list},
    {"docker/network/inspect", op_network_inspect},
    {"docker/network/remove", op_network_remove},
    {"docker/network/connect", op_network_connect},
    {"docker/network/disconnect", op_network_disconnect},

    {"docker/volume/create", op_volume_create},
    {"docker/volume/list", op_volume_list},
    {"docker/volume/inspect", op_volume_inspect},
    {"docker/volume/remove", op_volume_remove},

    {NULL, NULL},
};

static void ops_state_free(void *p)
{
        struct ops_state *st = p;

        json_decref(st->keep);
        quota_release(st->hold);
        op_stream_free(st->stream);
        free(st);
}

struct ops_state *ops_state(struct call *c)
{
        struct ops_state *st;

        if (c->state != NULL)
                return c->state;
        if ((st = calloc(1, sizeof(*st))) == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return NULL;
        }
        c->state = st;
        c->state_free = ops_state_free;
        return st;
}

const char *ops_str(const struct call *c, const char *key)
{
        return json_string_value(json_object_get(c->input, key));
}

int ops_bool(const struct call *c, const char *key, int def)
{
        json_t *v = json_object_get(c->input, key);

        return json_is_boolean(v) ? json_is_true(v) : def;
}

int64_t ops_int(const struct call *c, const char *key, int64_t def)
{
        json_t *v = json_object_get(c->input, key);

        return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

int ops_has(const struct call *c, const char *key)
{
        json_t *v = json_object_get(c->input, key);

        return v != NULL && !json_is_null(v);
}

int ops_word_ok(const char *s, size_t max)
{
        size_t i;

        if (s == NULL || s[0] == '\0')
                return 0;
        for (i = 0; s[i] != '\0'; i++) {
                char ch = s[i];
                int alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                            (ch >= '0' && ch <= '9');
                if (i >= max || !(alnum || (i > 0 && strchr("_.-", ch) != NULL)))
                        return 0;
        }
        return 1;
}

int ops_name_ok(const char *s)
{
        return ops_word_ok(s, OPS_NAME_MAX);
}

int ops_send(struct call *c, const char *method, json_t *body, long timeout_ms, engine_cb cb,
             const char *fmt, ...)
{
        char path[2048];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(path, sizeof(path), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(path)) {
                call_fail(c, DG_INTERNAL, "engine path too long");
                return -1;
        }
        /* Counted in the peer's own share of engine connections (quota.h). */
        c->pending = engine_request_as(
            c->engine,
            c->peer != NULL ? quota_engine_share(c->worker->sv->quota, c->peer->name, timeout_ms)
                            : NULL,
            method, path, body, timeout_ms, cb, c);
        if (c->pending == NULL) {
                call_fail(c, DG_INTERNAL, "the engine request could not be started");
                return -1;
        }
        return 0;
}

void ops_done_empty(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;

        c->pending = NULL;
        /* 304: already in the asked state (start, stop), which is what the peer wants. */
        if ((status >= 200 && status < 300) || status == 304)
                call_reply(c, json_object());
        else
                ops_fail_engine(c, status, body);
}

void ops_fail_engine(struct call *c, int status, json_t *body)
{
        const char *text = json_string_value(json_object_get(body, "message"));

        /* 400 is the engine refusing a value the peer gave ("Invalid signal: X"). */
        if (status == 400 && text != NULL)
                call_fail(c, DG_INVALID_INPUT, "%s", text);
        else
                call_fail_engine(c, status, body);
}

void ops_reply_list(struct call *c, int status, json_t *body, const char *key, int owned,
                    ops_item_fn item)
{
        json_t *arr = key != NULL ? json_object_get(body, key) : body, *out, *v, *one;
        size_t i;

        c->pending = NULL;
        if (status != 200 || (key != NULL ? !json_is_object(body) : !json_is_array(body))) {
                call_fail_engine(c, status, body);
                return;
        }
        if ((out = json_array()) == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        json_array_foreach(arr, i, v)
        {
                if (owned && !resolve_owns(c, json_object_get(v, "Labels")))
                        continue;
                if ((one = item(c, v)) != NULL)
                        json_array_append_new(out, one);
        }
        call_reply(c, out);
}

void ops_stream(struct call *c, const char *method, const char *path, const char *headers,
                const char *kind, json_t *opts)
{
        int fd;

        if ((fd = engine_dial(c->engine, method, path, headers, NULL)) == -1) {
                json_decref(opts);
                call_fail(c, DG_UNAVAILABLE, "the Docker Engine cannot be reached");
                return;
        }
        call_stream(c, fd, kind, opts);
}

int ops_peer_filter(const struct call *c, char *buf, size_t len)
{
        char label[256], esc[1024];
        json_t *f;
        char *txt;
        int rc;

        if (engine_path(label, sizeof(label), "%s=%s", c->policy->owner_label, c->peer->name))
                return -1;
        if ((f = json_pack("{s:[s]}", "label", label)) == NULL)
                return -1;
        txt = json_dumps(f, JSON_COMPACT);
        json_decref(f);
        if (txt == NULL)
                return -1;
        rc = engine_escape(esc, sizeof(esc), txt);
        free(txt);
        if (rc == -1)
                return -1;
        return engine_path(buf, len, "filters=%s", esc);
}

int ops_owner_filter(const struct call *c, char *buf, size_t len)
{
        if (c->peer->admin) {
                buf[0] = '\0';
                return len > 0 ? 0 : -1;
        }
        return ops_peer_filter(c, buf, len);
}

void ops_list_owned(struct call *c, engine_cb cb, const char *path)
{
        char filter[1200];

        if (ops_owner_filter(c, filter, sizeof(filter)) == -1) {
                call_fail(c, DG_INTERNAL, "owner filter too long");
                return;
        }
        ops_send(c, "GET", NULL, 0, cb, "%s%s%s", path,
                 filter[0] == '\0'           ? ""
                 : strchr(path, '?') != NULL ? "&"
                                             : "?",
                 filter);
}

/* SECURITY: the owner label's key is reserved, and so is every key it prefixes. */
json_t *ops_labels(struct call *c)
{
        json_t *in = json_object_get(c->input, "labels"), *out, *v;
        const char *owner = c->policy->owner_label, *k;

        if ((out = json_object()) == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return NULL;
        }
        json_object_foreach(in, k, v)
        {
                if (strncmp(k, owner, strlen(owner)) == 0) {
                        json_decref(out);
                        call_fail(c, DG_FORBIDDEN,
                                  "input.labels: the label prefix %s is reserved", owner);
                        return NULL;
                }
                if (!json_is_string(v)) {
                        json_decref(out);
                        call_fail(c, DG_INVALID_INPUT, "input.labels: values must be strings");
                        return NULL;
                }
                json_object_set_new(out, k, json_string(json_string_value(v)));
        }
        json_object_set_new(out, owner, json_string(c->peer->name));
        if (lease_stamp(c, out) < 0) {
                json_decref(out);
                return NULL;
        }
        return out;
}

int ops_env_ok(const struct call *c)
{
        json_t *v;
        size_t i;
        const char *s;

        json_array_foreach(json_object_get(c->input, "env"), i, v)
        {
                s = json_string_value(v);
                if (s == NULL || s[0] == '=' || strchr(s, '=') == NULL)
                        return 0;
        }
        return 1;
}

json_t *ops_strings(const json_t *a)
{
        json_t *out = json_array(), *v;
        size_t i;

        if (out == NULL)
                return NULL;
        json_array_foreach(a, i, v)
        {
                if (json_is_string(v))
                        json_array_append_new(out, json_string(json_string_value(v)));
        }
        return out;
}
