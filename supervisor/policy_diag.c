/*
 * policy_diag.c - the policy file's diagnostics kit (policy_diag.h): reading
 * JSON values with every problem reported at its place in the file, in an
 * operator's words.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_diag.h"

/* --- reporting --- */

static void pd_report_add(struct policy_report *r, const char *kind, const char *where,
                          const char *fmt, va_list ap)
{
        char line[1024];
        int n;

        n = snprintf(line, sizeof(line), "%s%s%s", kind, where, where[0] ? ": " : "");
        if (n < 0 || (size_t)n >= sizeof(line))
                n = 0;
        vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        if (r->len + strlen(line) + 2 < sizeof(r->text)) {
                memcpy(r->text + r->len, line, strlen(line));
                r->len += strlen(line);
                r->text[r->len++] = '\n';
                r->text[r->len] = '\0';
        }
}

int pd_err(struct policy_report *r, const char *where, const char *fmt, ...)
{
        va_list ap;

        r->errors++;
        va_start(ap, fmt);
        pd_report_add(r, "", where, fmt, ap);
        va_end(ap);
        return -1;
}

void pd_warn(struct policy_report *r, const char *where, const char *fmt, ...)
{
        va_list ap;

        r->warnings++;
        va_start(ap, fmt);
        pd_report_add(r, "warning: ", where, fmt, ap);
        va_end(ap);
}

/* What the file holds, briefly, for "(found ...)". */
const char *pd_shown(const json_t *v, char *buf, size_t len)
{
        if (v == NULL) {
                snprintf(buf, len, "nothing");
                return buf;
        }
        switch (json_typeof(v)) {
        case JSON_STRING:
                snprintf(buf, len, "the string \"%.40s%s\"", json_string_value(v),
                         json_string_length(v) > 40 ? "..." : "");
                break;
        case JSON_INTEGER:
                snprintf(buf, len, "%lld", (long long)json_integer_value(v));
                break;
        case JSON_REAL:
                snprintf(buf, len, "%g", json_real_value(v));
                break;
        case JSON_TRUE:
        case JSON_FALSE:
                snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
                break;
        case JSON_NULL:
                snprintf(buf, len, "null");
                break;
        case JSON_OBJECT:
                snprintf(buf, len, "an object");
                break;
        case JSON_ARRAY:
                snprintf(buf, len, "a list");
                break;
        }
        return buf;
}

/* "512 MiB" when v is a whole number of KiB, MiB, GiB or TiB, else bytes. */
const char *pd_human_bytes(long long v, char *buf, size_t len)
{
        static const char *const units[] = {"TiB", "GiB", "MiB", "KiB"};
        int i;

        for (i = 0; i < 4; i++) {
                long long u = 1LL << (10 * (4 - i));
                if (v >= u && v % u == 0) {
                        snprintf(buf, len, "%lld %s", v / u, units[i]);
                        return buf;
                }
        }
        snprintf(buf, len, "%lld bytes", v);
        return buf;
}

static size_t pd_edit_distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b), prev[64], cur[64], i, j;

        if (la >= 63 || lb >= 63)
                return 99;
        for (j = 0; j <= lb; j++)
                prev[j] = j;
        for (i = 1; i <= la; i++) {
                cur[0] = i;
                for (j = 1; j <= lb; j++) {
                        size_t sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) !=
                                                    tolower((unsigned char)b[j - 1]));
                        size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
                        cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
                }
                memcpy(prev, cur, sizeof(prev));
        }
        return prev[lb];
}

/* An unknown key: name the known ones, and the one probably meant. */
int pd_unknown_key(struct policy_report *r, const char *where, const char *key,
                   const char *const *known)
{
        char list[512] = "", hint[128] = "";
        size_t best = 3, d, i;

        for (i = 0; known[i] != NULL; i++) {
                if (strlen(list) + strlen(known[i]) + 3 < sizeof(list)) {
                        strcat(list, i ? ", " : "");
                        strcat(list, known[i]);
                }
                if ((d = pd_edit_distance(key, known[i])) < best) {
                        best = d;
                        snprintf(hint, sizeof(hint), " (did you mean \"%s\"?)", known[i]);
                }
        }
        return pd_err(r, where, "unknown setting \"%.64s\"%s; known settings: %s", key, hint,
                      list);
}

/* where + ".key" or "[i]" into at; a location too long to show is cut, never overrun. */
void pd_locate(char *at, size_t len, const char *where, const char *key, long idx)
{
        /* key is NULL only with idx >= 0 (an array element): never printed then. */
        /* cppcheck-suppress nullPointer */
        int n = idx < 0 ? snprintf(at, len, "%s.%.64s", where, key)
                        : snprintf(at, len, "%s[%ld]", where, idx);

        if (n < 0 || (size_t)n >= len)
                at[len - 1] = '\0';
}

/* --- values --- */

int pd_bool(json_t *v, const char *where, int *out, struct policy_report *r)
{
        char b[80];

        if (!json_is_boolean(v))
                return pd_err(r, where, "must be true or false (found %s)",
                              pd_shown(v, b, sizeof(b)));
        *out = json_is_true(v);
        return 0;
}

int pd_int(json_t *v, const char *where, long long lo, long long hi, int64_t *out,
           struct policy_report *r)
{
        char b[80];

        if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
                return pd_err(r, where, "must be a whole number from %lld to %lld (found %s)",
                              lo, hi, pd_shown(v, b, sizeof(b)));
        *out = json_integer_value(v);
        return 0;
}

/* "512MiB", "1 g", "64k": binary units, as docker's --memory. */
int pd_size(const char *s, long long *out)
{
        static const struct {
                const char *sfx;
                int shift;
        } units[] = {{"", 0},     {"b", 0},   {"k", 10},   {"kb", 10},  {"kib", 10},
                     {"m", 20},   {"mb", 20}, {"mib", 20}, {"g", 30},   {"gb", 30},
                     {"gib", 30}, {"t", 40},  {"tb", 40},  {"tib", 40}, {NULL, 0}};
        char *end, sfx[8];
        unsigned long long n;
        size_t i;

        if (!isdigit((unsigned char)s[0]))
                return -1;
        n = strtoull(s, &end, 10);
        while (*end == ' ')
                end++;
        if (strlen(end) >= sizeof(sfx))
                return -1;
        for (i = 0; end[i] != '\0'; i++)
                sfx[i] = (char)tolower((unsigned char)end[i]);
        sfx[i] = '\0';
        for (i = 0; units[i].sfx != NULL; i++)
                if (strcmp(sfx, units[i].sfx) == 0) {
                        if (n > (1ULL << 50) >> units[i].shift)
                                return -1;
                        *out = (long long)(n << units[i].shift);
                        return 0;
                }
        return -1;
}

int pd_bytes(json_t *v, const char *where, long long lo, long long hi, int64_t *out,
             struct policy_report *r)
{
        char b[80], l1[32], l2[32];
        long long n;

        if (json_is_integer(v))
                n = json_integer_value(v);
        else if (!json_is_string(v) || pd_size(json_string_value(v), &n) < 0)
                n = -1;
        if (n < lo || n > hi)
                return pd_err(r, where,
                              "must be a size from %s to %s, as a number of bytes or a string "
                              "such as \"512MiB\" (found %s)",
                              pd_human_bytes(lo, l1, sizeof(l1)),
                              pd_human_bytes(hi, l2, sizeof(l2)), pd_shown(v, b, sizeof(b)));
        *out = n;
        return 0;
}

/*
 * A list of strings, each checked by ok() (which returns NULL or why not),
 * strdup'ed into out[].  Bad items are reported one by one.
 */
int pd_strings(json_t *v, const char *where, size_t max, const char *what,
               const char *(*ok)(const char *), char **out, size_t *n, struct policy_report *r)
{
        char b[80], at[300];
        const char *why;
        json_t *item;
        size_t i;
        int rc = 0;

        if (!json_is_array(v) || json_array_size(v) > max)
                return pd_err(r, where, "must be a list of at most %zu %s (found %s)", max,
                              what, pd_shown(v, b, sizeof(b)));
        json_array_foreach(v, i, item)
        {
                pd_locate(at, sizeof(at), where, NULL, (long)i);
                if (!json_is_string(item) ||
                    strlen(json_string_value(item)) != json_string_length(item)) {
                        rc = pd_err(r, at, "must be a string (found %s)",
                                    pd_shown(item, b, sizeof(b)));
                        continue;
                }
                if ((why = ok(json_string_value(item))) != NULL) {
                        rc =
                            pd_err(r, at, "%s (found \"%.80s\")", why, json_string_value(item));
                        continue;
                }
                if ((out[*n] = strdup(json_string_value(item))) == NULL)
                        return pd_err(r, at, "out of memory");
                (*n)++;
        }
        return rc;
}
