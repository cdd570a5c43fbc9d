/*
 * dapi_path.c - request targets made canonical (dapi_path.h).
 *
 * SECURITY: the route table matches exact segments; whatever could make
 * two readers see different paths (an encoded "/", a dot segment, a double
 * slash, a NUL) is refused here, before any route is looked up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dapi_path.h"

#define DPATH_QUERY_MAX 64 /* parameters */

static int dpath_fail(int *status, int code, char *err, size_t errlen, const char *msg)
{
        *status = code;
        snprintf(err, errlen, "%s", msg);
        return -1;
}

static int dpath_hex(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Percent- and '+'-decoding of a query part; -1 on a bad escape or a NUL. */
static int dpath_decode(const char *s, size_t n, char *out, size_t outlen)
{
        size_t i, o = 0;
        int hi, lo;

        for (i = 0; i < n; i++) {
                char c = s[i];

                if (o + 1 >= outlen)
                        return -1;
                if (c == '+') {
                        c = ' ';
                } else if (c == '%') {
                        if (i + 2 >= n || (hi = dpath_hex(s[i + 1])) < 0 ||
                            (lo = dpath_hex(s[i + 2])) < 0)
                                return -1;
                        c = (char)(hi * 16 + lo);
                        i += 2;
                }
                if (c == '\0')
                        return -1;
                out[o++] = c;
        }
        out[o] = '\0';
        return 0;
}

static int dpath_query(const char *q, struct dpath *p, int *status, char *err, size_t errlen)
{
        char key[256], val[4096];
        const char *amp, *eq;
        size_t n, klen;
        json_t *s;

        if ((p->query = json_object()) == NULL || (p->repeated = json_object()) == NULL)
                return dpath_fail(status, 500, err, errlen, "out of memory");
        while (q != NULL && *q != '\0') {
                amp = strchr(q, '&');
                n = amp != NULL ? (size_t)(amp - q) : strlen(q);
                if (n > 0) {
                        eq = memchr(q, '=', n);
                        klen = eq != NULL ? (size_t)(eq - q) : n;
                        if (dpath_decode(q, klen, key, sizeof(key)) == -1 || key[0] == '\0')
                                return dpath_fail(status, 400, err, errlen,
                                                  "malformed query parameter name");
                        if (dpath_decode(eq != NULL ? eq + 1 : q + n,
                                         eq != NULL ? n - klen - 1 : 0, val, sizeof(val)) == -1)
                                return dpath_fail(status, 400, err, errlen,
                                                  "malformed query parameter value");
                        if (json_object_get(p->query, key) != NULL) {
                                /* The first value stays; the route decides (dapi_conn.c). */
                                if (json_object_set_new(p->repeated, key, json_true()) == -1)
                                        return dpath_fail(status, 500, err, errlen,
                                                          "out of memory");
                                q = amp != NULL ? amp + 1 : NULL;
                                continue;
                        }
                        if (json_object_size(p->query) >= DPATH_QUERY_MAX)
                                return dpath_fail(status, 400, err, errlen,
                                                  "too many query parameters");
                        if ((s = json_string(val)) == NULL)
                                return dpath_fail(status, 400, err, errlen,
                                                  "query parameter values must be UTF-8");
                        json_object_set_new(p->query, key, s);
                }
                q = amp != NULL ? amp + 1 : NULL;
        }
        return 0;
}

/* The characters of Docker names, IDs, image references and our own routes. */
static int dpath_char_ok(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '/' || c == '_' || c == '.' || c == '-' || c == ':' || c == '@';
}

/*
 * The decimal digits at s: their count, and their value in *v, which stops
 * at 1000 (any longer number is out of range; no overflow, no sign, no
 * space, unlike sscanf's %u).
 */
static size_t dpath_number(const char *s, unsigned *v)
{
        size_t i;

        *v = 0;
        for (i = 0; s[i] >= '0' && s[i] <= '9'; i++)
                *v = *v > 999 ? 1000 : *v * 10 + (unsigned)(s[i] - '0');
        return i;
}

int dpath_parse(const char *url, struct dpath *p, int *status, char *err, size_t errlen)
{
        const char *qm = strchr(url, '?'), *rest = url, *seg;
        size_t n = qm != NULL ? (size_t)(qm - url) : strlen(url), i;

        memset(p, 0, sizeof(*p));
        p->api_minor = DPATH_API_MAX;
        if (n == 0 || url[0] != '/')
                return dpath_fail(status, 400, err, errlen,
                                  "the request target must be a path");
        for (i = 0; i < n; i++) {
                if (url[i] == '%')
                        return dpath_fail(status, 400, err, errlen,
                                          "percent-encoding in the path is not accepted");
                if (!dpath_char_ok(url[i]))
                        return dpath_fail(status, 400, err, errlen,
                                          "the path holds a character no route takes");
        }
        /* /v1.NN prefix */
        if (n >= 3 && url[1] == 'v' && url[2] >= '0' && url[2] <= '9') {
                unsigned major = 0, minor = 0;
                size_t a = dpath_number(url + 2, &major), b = 0, used = 0;

                if (url[2 + a] == '.')
                        b = dpath_number(url + 3 + a, &minor);
                if (b > 0)
                        used = 3 + a + b;
                if (used < 5 || (used != n && url[used] != '/') || major != 1 || minor > 999)
                        return dpath_fail(status, 400, err, errlen, "malformed API version");
                if (minor > DPATH_API_MAX) {
                        snprintf(err, errlen,
                                 "client version 1.%u is too new. Maximum supported API "
                                 "version is 1.%d",
                                 minor, DPATH_API_MAX);
                        *status = 400;
                        return -1;
                }
                if (minor < DPATH_API_MIN) {
                        snprintf(err, errlen,
                                 "client version 1.%u is too old. Minimum supported API "
                                 "version is 1.%d, please upgrade your client to a newer "
                                 "version",
                                 minor, DPATH_API_MIN);
                        *status = 400;
                        return -1;
                }
                p->api_minor = (int)minor;
                rest = url + used;
                n -= used;
        }
        if (n == 0 || n >= sizeof(p->path))
                return dpath_fail(status, 404, err, errlen, "page not found");
        memcpy(p->path, rest, n);
        p->path[n] = '\0';
        /* Every segment non-empty and not a dot segment (a final "/" is an empty one). */
        for (seg = p->path + 1;; seg = strchr(seg, '/') + 1) {
                const char *end = strchr(seg, '/');
                size_t len = end != NULL ? (size_t)(end - seg) : strlen(seg);

                if (len == 0 && strcmp(p->path, "/") != 0)
                        return dpath_fail(status, 400, err, errlen,
                                          "empty path segments are not accepted");
                if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
                        return dpath_fail(status, 400, err, errlen,
                                          "dot segments are not accepted in the path");
                if (end == NULL)
                        break;
        }
        return dpath_query(qm != NULL ? qm + 1 : NULL, p, status, err, errlen);
}

void dpath_clear(struct dpath *p)
{
        json_decref(p->query);
        json_decref(p->repeated);
        p->query = NULL;
        p->repeated = NULL;
}
