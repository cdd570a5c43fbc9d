/*
 * ops_input.c - reading a call's checked input, and value checks.
 */
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
