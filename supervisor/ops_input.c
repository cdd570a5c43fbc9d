/*
 * ops_input.c - reading a call's checked input, and value checks.
 */
#include <stdio.h>
#include <string.h>

#include "bounds.h"
#include "lease.h"
#include "ops_input.h"

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

/* SECURITY: the owner label's key is reserved, and so is every key it prefixes. */
json_t *ops_labels_build(const json_t *in, const char *owner, const char *peer,
                         enum dg_err *code, char *err, size_t errlen)
{
        json_t *out, *v;
        const char *k;

        if ((out = json_object()) == NULL) {
                *code = DG_INTERNAL;
                snprintf(err, errlen, "out of memory");
                return NULL;
        }
        json_object_foreach((json_t *)in, k, v)
        {
                if (strncmp(k, owner, strlen(owner)) == 0) {
                        json_decref(out);
                        *code = DG_FORBIDDEN;
                        snprintf(err, errlen, "input.labels: the label prefix %s is reserved",
                                 owner);
                        return NULL;
                }
                if (!json_is_string(v)) {
                        json_decref(out);
                        *code = DG_INVALID_INPUT;
                        snprintf(err, errlen, "input.labels: values must be strings");
                        return NULL;
                }
                json_object_set_new(out, k, json_string(json_string_value(v)));
        }
        json_object_set_new(out, owner, json_string(peer));
        return out;
}

json_t *ops_labels(struct call *c)
{
        enum dg_err code;
        char err[512];
        json_t *out =
            ops_labels_build(json_object_get(c->input, "labels"), c->policy->owner_label,
                             c->peer->name, &code, err, sizeof(err));

        if (out == NULL)
                call_fail(c, code, "%s", err);
        else if (lease_stamp(c, out) < 0) {
                json_decref(out);
                return NULL;
        }
        return out;
}

int ops_env_list_ok(const json_t *env)
{
        json_t *v;
        size_t i;
        const char *s;

        json_array_foreach(env, i, v)
        {
                s = json_string_value(v);
                if (s == NULL || s[0] == '=' || strchr(s, '=') == NULL)
                        return 0;
        }
        return 1;
}

int ops_env_ok(const struct call *c)
{
        return ops_env_list_ok(json_object_get(c->input, "env"));
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
