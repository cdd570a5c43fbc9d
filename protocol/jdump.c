/*
 * jdump.c - jansson values to compact JSON text (jdump.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "jdump.h"
#include "jtext.h"

/* Deeper than jansson parses (JSON_PARSER_MAX_DEPTH): a bug, not a document. */
#define JDUMP_MAX_DEPTH 2048

struct jd {
        char *b;
        size_t len, cap;
};

static int jd_room(struct jd *d, size_t more)
{
        size_t cap = d->cap > 0 ? d->cap : 1024;
        char *n;

        if (more <= d->cap - d->len)
                return 0;
        if (more > SIZE_MAX / 2 - d->len)
                return -1;
        while (cap - d->len < more)
                cap *= 2;
        if ((n = realloc(d->b, cap)) == NULL)
                return -1;
        d->b = n;
        d->cap = cap;
        return 0;
}

static int jd_put(struct jd *d, const void *p, size_t n)
{
        if (jd_room(d, n) < 0)
                return -1;
        memcpy(d->b + d->len, p, n);
        d->len += n;
        return 0;
}

static int jd_byte(struct jd *d, char c)
{
        if (d->len == d->cap && jd_room(d, 1) < 0)
                return -1;
        d->b[d->len++] = c;
        return 0;
}

/* A byte a JSON string cannot hold as it is. */
static int jd_special(unsigned char c)
{
        return c < 0x20 || c == '"' || c == '\\';
}

static int jd_string(struct jd *d, const char *s, size_t n)
{
        static const char hex[] = "0123456789ABCDEF";
        const unsigned char *p = (const unsigned char *)s, *end = p + n, *r;
        char esc[6];
        int high = 0;

        if (jd_byte(d, '"') < 0)
                return -1;
        while (p < end) {
                uint64_t w, seen = 0;

                for (r = p; end - p >= 8 && !jtext_stop8(p, &w); p += 8)
                        seen |= w;
                if (seen & JTEXT_HIGHS)
                        high = 0x80;
                for (; p < end && !jd_special(*p); p++)
                        high |= *p & 0x80;
                if (p > r && jd_put(d, r, (size_t)(p - r)) < 0)
                        return -1;
                if (p == end)
                        break;
                esc[0] = '\\';
                switch (*p) {
                case '"':
                case '\\':
                        esc[1] = (char)*p;
                        break;
                case '\b':
                        esc[1] = 'b';
                        break;
                case '\f':
                        esc[1] = 'f';
                        break;
                case '\n':
                        esc[1] = 'n';
                        break;
                case '\r':
                        esc[1] = 'r';
                        break;
                case '\t':
                        esc[1] = 't';
                        break;
                default: /* as jansson: \u00XX, upper-case hex */
                        esc[1] = 'u';
                        esc[2] = '0';
                        esc[3] = '0';
                        esc[4] = hex[*p >> 4];
                        esc[5] = hex[*p & 15];
                        if (jd_put(d, esc, 6) < 0)
                                return -1;
                        p++;
                        continue;
                }
                if (jd_put(d, esc, 2) < 0)
                        return -1;
                p++;
        }
        /* jansson refuses to write a string that is not UTF-8 (one made _nocheck). */
        if (high && !utf8_valid(s, n))
                return -1;
        return jd_byte(d, '"');
}

static int jd_integer(struct jd *d, json_int_t v)
{
        char buf[24], *p = buf + sizeof(buf);
        uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

        do {
                *--p = (char)('0' + u % 10);
                u /= 10;
        } while (u > 0);
        if (v < 0)
                *--p = '-';
        return jd_put(d, p, (size_t)(buf + sizeof(buf) - p));
}

/* jansson's own text for a real (%.17g, cleaned up): they are rare. */
static int jd_real(struct jd *d, const json_t *v)
{
        char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        int rc;

        if (t == NULL)
                return -1;
        rc = jd_put(d, t, strlen(t));
        free(t);
        return rc;
}

static int jd_value(struct jd *d, const json_t *v, int depth)
{
        size_t i, n;
        void *it;
        int first = 1;

        switch (json_typeof(v)) {
        case JSON_OBJECT:
                if (depth >= JDUMP_MAX_DEPTH || jd_byte(d, '{') < 0)
                        return -1;
                for (it = json_object_iter((json_t *)v); it != NULL;
                     it = json_object_iter_next((json_t *)v, it)) {
                        if ((!first && jd_byte(d, ',') < 0) ||
                            jd_string(d, json_object_iter_key(it),
                                      json_object_iter_key_len(it)) < 0 ||
                            jd_byte(d, ':') < 0 ||
                            jd_value(d, json_object_iter_value(it), depth + 1) < 0)
                                return -1;
                        first = 0;
                }
                return jd_byte(d, '}');
        case JSON_ARRAY:
                if (depth >= JDUMP_MAX_DEPTH || jd_byte(d, '[') < 0)
                        return -1;
                n = json_array_size(v);
                for (i = 0; i < n; i++)
                        if ((i > 0 && jd_byte(d, ',') < 0) ||
                            jd_value(d, json_array_get(v, i), depth + 1) < 0)
                                return -1;
                return jd_byte(d, ']');
        case JSON_STRING:
                return jd_string(d, json_string_value(v), json_string_length(v));
        case JSON_INTEGER:
                return jd_integer(d, json_integer_value(v));
        case JSON_REAL:
                return jd_real(d, v);
        case JSON_TRUE:
                return jd_put(d, "true", 4);
        case JSON_FALSE:
                return jd_put(d, "false", 5);
        case JSON_NULL:
                return jd_put(d, "null", 4);
        }
        return -1;
}

char *jdump(const json_t *v, size_t *len)
{
        struct jd d = {NULL, 0, 0};

        if (v == NULL || jd_value(&d, v, 0) < 0 || jd_byte(&d, '\0') < 0) {
                free(d.b);
                return NULL;
        }
        if (len != NULL)
                *len = d.len - 1;
        return d.b;
}
