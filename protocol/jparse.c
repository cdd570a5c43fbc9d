/*
 * jparse.c - JSON text to jansson values in one pass (jparse.h).
 *
 * Recursive descent over the bytes: strings without escapes are handed to
 * jansson straight from the text (UTF-8 checked here, once, only when a byte
 * is above 0x7f), strings with escapes are decoded into one scratch buffer
 * per parse, integers are read with an overflow check, reals by strtod.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "jparse.h"
#include "jtext.h"

struct jp {
        const unsigned char *p, *end;
        int flags;
        char *tmp; /* decoded strings with escapes; a real's text */
        size_t cap;
};

static json_t *jp_value(struct jp *j, int depth);

static int jp_room(struct jp *j, size_t need)
{
        size_t cap = j->cap > 0 ? j->cap : 256;
        char *n;

        if (need <= j->cap)
                return 0;
        while (cap < need) {
                if (cap > SIZE_MAX / 2)
                        return -1;
                cap *= 2;
        }
        if ((n = realloc(j->tmp, cap)) == NULL)
                return -1;
        j->tmp = n;
        j->cap = cap;
        return 0;
}

static void jp_ws(struct jp *j)
{
        while (j->p < j->end &&
               (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
                j->p++;
}

static int jp_isdigit(const struct jp *j, const unsigned char *q)
{
        return q < j->end && *q >= '0' && *q <= '9';
}

static int jp_hex4(const unsigned char *p, unsigned *out)
{
        unsigned v = 0, d;
        int i;

        for (i = 0; i < 4; i++) {
                unsigned c = p[i];

                if (c >= '0' && c <= '9')
                        d = c - '0';
                else if (c >= 'a' && c <= 'f')
                        d = c - 'a' + 10;
                else if (c >= 'A' && c <= 'F')
                        d = c - 'A' + 10;
                else
                        return -1;
                v = v << 4 | d;
        }
        *out = v;
        return 0;
}

/* UTF-8 of a code point (not a surrogate, not 0, at most 0x10ffff) at out. */
static size_t jp_utf8(char *out, unsigned cp)
{
        unsigned char *o = (unsigned char *)out;

        if (cp < 0x80) {
                o[0] = (unsigned char)cp;
                return 1;
        }
        if (cp < 0x800) {
                o[0] = (unsigned char)(0xc0 | cp >> 6);
                o[1] = (unsigned char)(0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                o[0] = (unsigned char)(0xe0 | cp >> 12);
                o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
                o[2] = (unsigned char)(0x80 | (cp & 0x3f));
                return 3;
        }
        o[0] = (unsigned char)(0xf0 | cp >> 18);
        o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        o[3] = (unsigned char)(0x80 | (cp & 0x3f));
        return 4;
}

/* One \uXXXX (and its low surrogate) at q, after the backslash and 'u'. */
static const unsigned char *jp_unicode(const struct jp *j, const unsigned char *q, unsigned *cp)
{
        unsigned lo;

        if (j->end - q < 4 || jp_hex4(q, cp) < 0)
                return NULL;
        q += 4;
        if (*cp >= 0xd800 && *cp <= 0xdbff) {
                if (j->end - q < 6 || q[0] != '\\' || q[1] != 'u' || jp_hex4(q + 2, &lo) < 0 ||
                    lo < 0xdc00 || lo > 0xdfff)
                        return NULL;
                *cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
                q += 6;
        } else if (*cp >= 0xdc00 && *cp <= 0xdfff) {
                return NULL;
        }
        /* jansson refuses U+0000 without JSON_ALLOW_NUL, in values and keys. */
        return *cp == 0 ? NULL : q;
}

/* The plain bytes from q on: up to a quote, a backslash or a control byte. */
static const unsigned char *jp_run(const struct jp *j, const unsigned char *q, int *high)
{
        uint64_t w, seen = 0;

        while (j->end - q >= 8 && !jtext_stop8(q, &w)) {
                seen |= w;
                q += 8;
        }
        if (seen & JTEXT_HIGHS)
                *high = 0x80;
        while (q < j->end && *q != '"' && *q != '\\' && *q >= 0x20) {
                *high |= *q & 0x80;
                q++;
        }
        return q;
}

/* The escape after a backslash at q, appended to j->tmp at *len (room for 4). */
static const unsigned char *jp_escape(struct jp *j, const unsigned char *q, size_t *len)
{
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *e;
        unsigned cp;

        if (q >= j->end)
                return NULL;
        if (*q == 'u') {
                if ((q = jp_unicode(j, q + 1, &cp)) != NULL)
                        *len += jp_utf8(j->tmp + *len, cp);
                return q;
        }
        if (*q == '\0' || (e = strchr(from, *q)) == NULL)
                return NULL;
        j->tmp[(*len)++] = to[e - from];
        return q + 1;
}

/*
 * The string whose opening quote is at j->p: *s and *n its bytes, in the
 * text itself when it has no escape, else in j->tmp (until the next string
 * or number).  0, or -1 when it is not a JSON string of valid UTF-8.
 */
static int jp_string(struct jp *j, const char **s, size_t *n)
{
        const unsigned char *start = j->p + 1, *q, *r;
        size_t len = 0;
        int high = 0;

        q = jp_run(j, start, &high);
        if (q < j->end && *q == '"') {
                *s = (const char *)start;
                *n = (size_t)(q - start);
                j->p = q + 1;
                return high == 0 || utf8_valid(start, *n) ? 0 : -1;
        }
        r = start;
        for (;;) {
                if (jp_room(j, len + (size_t)(q - r) + 4) < 0)
                        return -1;
                memcpy(j->tmp + len, r, (size_t)(q - r));
                len += (size_t)(q - r);
                if (q >= j->end || *q < 0x20)
                        return -1;
                if (*q == '"')
                        break;
                if ((r = jp_escape(j, q + 1, &len)) == NULL)
                        return -1;
                q = jp_run(j, r, &high);
        }
        j->p = q + 1;
        *s = j->tmp;
        *n = len;
        /* Escapes give whole, valid sequences: the raw bytes decide. */
        return high == 0 || utf8_valid(j->tmp, len) ? 0 : -1;
}

static json_t *jp_integer(const unsigned char *p, const unsigned char *end, int neg)
{
        uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

        for (; p < end; p++) {
                unsigned d = (unsigned)(*p - '0');

                if (v > (lim - d) / 10)
                        return NULL; /* jansson: "too big integer" */
                v = v * 10 + d;
        }
        if (!neg)
                return json_integer((json_int_t)v);
        return json_integer(v == 0 ? 0 : -(json_int_t)(v - 1) - 1);
}

/* A number, by JSON's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static json_t *jp_number(struct jp *j)
{
        const unsigned char *start = j->p, *q = j->p;
        int neg = 0, real = 0;
        size_t len;
        char *end;
        double d;

        if (q < j->end && *q == '-') {
                neg = 1;
                q++;
        }
        if (!jp_isdigit(j, q))
                return NULL;
        if (*q++ != '0')
                while (jp_isdigit(j, q))
                        q++;
        if (q < j->end && *q == '.') {
                real = 1;
                if (!jp_isdigit(j, ++q))
                        return NULL;
                while (jp_isdigit(j, q))
                        q++;
        }
        if (q < j->end && (*q == 'e' || *q == 'E')) {
                real = 1;
                q++;
                if (q < j->end && (*q == '+' || *q == '-'))
                        q++;
                if (!jp_isdigit(j, q))
                        return NULL;
                while (jp_isdigit(j, q))
                        q++;
        }
        j->p = q;
        if (!real)
                return jp_integer(start + neg, q, neg);
        len = (size_t)(q - start);
        if (jp_room(j, len + 1) < 0)
                return NULL;
        memcpy(j->tmp, start, len);
        j->tmp[len] = '\0';
        errno = 0;
        d = strtod(j->tmp, &end);
        if (end != j->tmp + len || (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL)))
                return NULL; /* jansson: "real number overflow" */
        return json_real(d);
}

static json_t *jp_array(struct jp *j, int depth)
{
        json_t *a = json_array(), *v;

        if (a == NULL)
                return NULL;
        j->p++;
        jp_ws(j);
        if (j->p < j->end && *j->p == ']') {
                j->p++;
                return a;
        }
        for (;;) {
                if ((v = jp_value(j, depth + 1)) == NULL || json_array_append_new(a, v) < 0)
                        break;
                jp_ws(j);
                if (j->p >= j->end)
                        break;
                if (*j->p == ']') {
                        j->p++;
                        return a;
                }
                if (*j->p++ != ',')
                        break;
                jp_ws(j);
        }
        json_decref(a);
        return NULL;
}

/* One member: key, colon, value, into o.  0 or -1. */
static int jp_member(struct jp *j, json_t *o, int depth)
{
        const char *k;
        char *copy = NULL;
        size_t kn, before;
        json_t *v;
        int rc = -1;

        if (j->p >= j->end || *j->p != '"' || jp_string(j, &k, &kn) < 0)
                return -1;
        /* A decoded key lives in j->tmp, which the value may reuse. */
        if (k == j->tmp) {
                if ((copy = malloc(kn > 0 ? kn : 1)) == NULL)
                        return -1;
                memcpy(copy, k, kn);
                k = copy;
        }
        jp_ws(j);
        if (j->p >= j->end || *j->p != ':')
                goto out;
        j->p++;
        jp_ws(j);
        if ((v = jp_value(j, depth + 1)) == NULL)
                goto out;
        /* Checked UTF-8 without NUL; the last of duplicate keys wins, as in jansson. */
        before = json_object_size(o);
        rc = json_object_setn_new_nocheck(o, k, kn, v);
        /* A duplicate replaced a value instead of adding one. */
        if (rc == 0 && (j->flags & JPARSE_REJECT_DUPLICATES) && json_object_size(o) == before)
                rc = -1;
out:
        free(copy);
        return rc;
}

static json_t *jp_object(struct jp *j, int depth)
{
        json_t *o = json_object();

        if (o == NULL)
                return NULL;
        j->p++;
        jp_ws(j);
        if (j->p < j->end && *j->p == '}') {
                j->p++;
                return o;
        }
        for (;;) {
                if (jp_member(j, o, depth) < 0)
                        break;
                jp_ws(j);
                if (j->p >= j->end)
                        break;
                if (*j->p == '}') {
                        j->p++;
                        return o;
                }
                if (*j->p++ != ',')
                        break;
                jp_ws(j);
        }
        json_decref(o);
        return NULL;
}

static json_t *jp_word(struct jp *j, const char *w, size_t n, json_t *v)
{
        if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
                return NULL;
        j->p += n;
        return v;
}

/* The value at j->p; depth counts the values around it and itself, as jansson does. */
static json_t *jp_value(struct jp *j, int depth)
{
        const char *s;
        size_t n;

        if (depth > JPARSE_MAX_DEPTH || j->p >= j->end)
                return NULL;
        switch (*j->p) {
        case '{':
                return jp_object(j, depth);
        case '[':
                return jp_array(j, depth);
        case '"':
                return jp_string(j, &s, &n) < 0 ? NULL : json_stringn_nocheck(s, n);
        case 't':
                return jp_word(j, "true", 4, json_true());
        case 'f':
                return jp_word(j, "false", 5, json_false());
        case 'n':
                return jp_word(j, "null", 4, json_null());
        default:
                return jp_number(j);
        }
}

json_t *jparse(const char *text, size_t len, int flags)
{
        struct jp j;
        json_t *v = NULL;

        if (text == NULL)
                return NULL;
        j.p = (const unsigned char *)text;
        j.end = j.p + len;
        j.flags = flags;
        j.tmp = NULL;
        j.cap = 0;
        jp_ws(&j);
        if ((flags & JPARSE_DECODE_ANY) || (j.p < j.end && (*j.p == '{' || *j.p == '[')))
                v = jp_value(&j, 1);
        if (v != NULL) {
                jp_ws(&j);
                if (j.p != j.end) {
                        json_decref(v);
                        v = NULL;
                }
        }
        free(j.tmp);
        return v;
}
