/*
 * names.c - "<peer>.<name>" on the engine, "<name>" for the peer (names.h).
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "broker.h"
#include "names.h"

int names_engine_of(const char *peer, const char *name, char *buf, size_t len)
{
        int n = snprintf(buf, len, "%s.%s", peer, name);

        return n < 0 || (size_t)n >= len ? -1 : 0;
}

int names_engine(const struct call *c, const char *name, char *buf, size_t len)
{
        return names_engine_of(c->peer->name, name, buf, len);
}

const char *names_view(const struct call *c, const char *engine_name, int *slash)
{
        const char *s = engine_name, *dot;
        size_t own = strlen(c->peer->name);
        char ns[POLICY_NAME_MAX + 1];

        *slash = s[0] == '/';
        s += *slash;
        if (strncmp(s, c->peer->name, own) == 0 && s[own] == '.' && s[own + 1] != '\0')
                return s + own + 1;
        if (c->peer->admin || (dot = strchr(s, '.')) == NULL ||
            (size_t)(dot - s) > POLICY_NAME_MAX)
                return s;
        /* SECURITY: another peer's name is its own business. */
        memcpy(ns, s, (size_t)(dot - s));
        ns[dot - s] = '\0';
        return policy_by_name(c->policy, ns) != NULL ? NULL : s;
}

json_t *names_view_json(const struct call *c, const char *engine_name)
{
        const char *v;
        int slash;
        char buf[512];

        if (engine_name == NULL || (v = names_view(c, engine_name, &slash)) == NULL)
                return NULL;
        snprintf(buf, sizeof(buf), "%s%s", slash ? "/" : "", v);
        return json_string(buf);
}

void names_view_key(const struct call *c, json_t *obj, const char *key)
{
        json_t *v = names_view_json(c, json_string_value(json_object_get(obj, key)));

        if (v != NULL)
                json_object_set_new(obj, key, v);
        else
                json_object_del(obj, key);
}

int names_random(char *buf, size_t len, const char *prefix, size_t ndigits)
{
        unsigned char r[32];
        size_t n = strlen(prefix), i;

        if (ndigits > 64 || n + ndigits + 1 > len ||
            getrandom(r, (ndigits + 1) / 2, 0) != (ssize_t)((ndigits + 1) / 2))
                return -1;
        memcpy(buf, prefix, n);
        for (i = 0; i < ndigits; i++)
                buf[n + i] = "0123456789abcdef"[(r[i / 2] >> (i % 2 ? 0 : 4)) & 15];
        buf[n + ndigits] = '\0';
        return 0;
}
