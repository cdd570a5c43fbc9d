/*
 * dapi_filters.c - the Docker API's `filters` query parameter, read into the
 * native input "filters": ["key=value", ...] (supervisor/filters.h).
 *
 * The engine takes two spellings of one thing: {"key": ["v1", "v2"]} (the
 * SDKs) and {"key": {"v1": true, "v2": true}} (the docker CLI).  Each route
 * names the keys it takes; any other key is refused with 400 before a call
 * is made, and a map entry set to false (which the engine reads as absent)
 * is refused too rather than guessed at.  The supervisor validates each
 * value again and ANDs the owner label in; nothing here can widen a list.
 */
#include <stdio.h>
#include <string.h>

#include "dapi.h"
#include "log.h"

#define DQF_MAX 32   /* the schema's bound on input.filters */
#define DQF_LEN 1024 /* one "key=value" */

static int dqf_fail(struct dapi *d, const char *why, const char *key)
{
        dapi_reply_error(d, 400, "filters%s%.64s: %s", key[0] != '\0' ? "." : "", key, why);
        dapi_finish(d, "INVALID_INPUT");
        return -1;
}

static int dqf_known(const char *const *keys, const char *k)
{
        size_t i;

        for (i = 0; keys[i] != NULL; i++)
                if (strcmp(keys[i], k) == 0)
                        return 1;
        return 0;
}

static int dqf_add(struct dapi *d, json_t *out, const char *key, const char *value)
{
        char one[2 * DQF_LEN + 2];

        if (json_array_size(out) >= DQF_MAX)
                return dqf_fail(d, "too many values", key);
        if (value[0] == '\0' || strlen(key) + strlen(value) + 1 > DQF_LEN)
                return dqf_fail(d, "a value of 1 to 1024 bytes", key);
        snprintf(one, sizeof(one), "%.1024s=%.1024s", key, value);
        json_array_append_new(out, json_string(one));
        return 0;
}

int dq_filters(struct dapi *d, json_t *input, const char *const *keys)
{
        const char *s = dq_str(d, "filters"), *key, *vk;
        json_t *f, *v, *e, *out;
        json_error_t jerr;
        size_t i;

        if (s == NULL || s[0] == '\0')
                return 0;
        f = json_loads(s, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(f)) {
                json_decref(f);
                return dqf_fail(d, "a JSON object of filter lists", "");
        }
        if ((out = json_array()) == NULL)
                fatalx("out of memory");
        json_object_foreach(f, key, v)
        {
                if (!dqf_known(keys, key)) {
                        dqf_fail(d, "not a filter of this route", key);
                        goto fail;
                }
                if (json_is_array(v)) {
                        json_array_foreach(v, i, e)
                        {
                                if (!json_is_string(e)) {
                                        dqf_fail(d, "a list of strings", key);
                                        goto fail;
                                }
                                if (dqf_add(d, out, key, json_string_value(e)) == -1)
                                        goto fail;
                        }
                } else if (json_is_object(v)) {
                        json_object_foreach(v, vk, e)
                        {
                                if (!json_is_true(e)) {
                                        dqf_fail(d, "a map of values to true", key);
                                        goto fail;
                                }
                                if (dqf_add(d, out, key, vk) == -1)
                                        goto fail;
                        }
                } else {
                        dqf_fail(d, "a list of strings", key);
                        goto fail;
                }
        }
        json_decref(f);
        if (json_array_size(out) > 0)
                json_object_set_new(input, "filters", out);
        else
                json_decref(out);
        return 0;
fail:
        json_decref(f);
        json_decref(out);
        return -1;
}
