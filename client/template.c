/*
 * template.c - the common cases of docker's Go templates (--format, -f):
 * literal text, {{.A.B}} paths into a JSON document, {{json .}} and
 * {{json .A}}, and the escapes \t and \n as docker's table formats take
 * them.  Anything else inside {{ }} is refused with what is supported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

/* A value as Go's template prints it: strings bare, numbers, true/false, <no value>. */
static void tpl_value(FILE *out, json_t *v)
{
        char *txt;

        if (v == NULL || json_is_null(v)) {
                fputs("<no value>", out);
        } else if (json_is_string(v)) {
                fwrite(json_string_value(v), 1, json_string_length(v), out);
        } else if (json_is_integer(v)) {
                fprintf(out, "%lld", (long long)json_integer_value(v));
        } else if (json_is_real(v)) {
                fprintf(out, "%g", json_real_value(v));
        } else if (json_is_boolean(v)) {
                fputs(json_is_true(v) ? "true" : "false", out);
        } else if ((txt = json_dumps(v, JSON_COMPACT)) != NULL) {
                fputs(txt, out); /* maps and lists: JSON (Go would print map[...]) */
                free(txt);
        }
}

/* ".", ".A", ".A.B" into doc; 0 with *v (may be NULL: no such key), -1 when not a path. */
static int tpl_path(json_t *doc, const char *p, size_t n, json_t **v)
{
        char key[128];
        size_t i, j;

        if (n == 0 || p[0] != '.')
                return -1;
        *v = doc;
        if (n == 1)
                return 0;
        for (i = 1; i < n; i = j + 1) {
                for (j = i; j < n && p[j] != '.'; j++)
                        ;
                if (j == i || j - i >= sizeof(key))
                        return -1;
                snprintf(key, sizeof(key), "%.*s", (int)(j - i), p + i);
                for (size_t k = 0; key[k] != '\0'; k++)
                        if (!(key[k] == '_' || (key[k] >= '0' && key[k] <= '9') ||
                              (key[k] >= 'a' && key[k] <= 'z') ||
                              (key[k] >= 'A' && key[k] <= 'Z')))
                                return -1;
                *v = json_object_get(*v, key);
        }
        return 0;
}

int template_check(const char *tpl, char *err, size_t len)
{
        return template_render(stdout, tpl, NULL, err, len, 1);
}

int template_render(FILE *out, const char *tpl, json_t *doc, char *err, size_t len, int dry)
{
        const char *p = tpl, *open, *close, *a;
        json_t *v;
        size_t n;

        while (*p != '\0') {
                if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
                        if (!dry)
                                fputc(p[1] == 't' ? '\t' : '\n', out);
                        p += 2;
                        continue;
                }
                if (strncmp(p, "{{", 2) != 0) {
                        if (!dry)
                                fputc(*p, out);
                        p++;
                        continue;
                }
                open = p + 2;
                if ((close = strstr(open, "}}")) == NULL) {
                        snprintf(err, len, "template: unclosed {{");
                        return -1;
                }
                for (a = open; *a == ' '; a++)
                        ;
                n = (size_t)(close - a);
                while (n > 0 && a[n - 1] == ' ')
                        n--;
                if (n > 5 && strncmp(a, "json ", 5) == 0) {
                        const char *q = a + 5;
                        while (*q == ' ')
                                q++;
                        if (tpl_path(doc, q, n - (size_t)(q - a), &v) < 0)
                                goto unsupported;
                        if (!dry) {
                                char *txt = v != NULL
                                                ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)
                                                : NULL;
                                fputs(txt != NULL ? txt : "null", out);
                                free(txt);
                        }
                } else if (tpl_path(doc, a, n, &v) == 0) {
                        if (!dry)
                                tpl_value(out, v);
                } else
                        goto unsupported;
                p = close + 2;
        }
        return 0;
unsupported:
        snprintf(err, len,
                 "template: {{%.*s}} is not supported (supported: {{.Field.Sub}}, {{json .}}, "
                 "{{json .Field}})",
                 (int)(close - open), open);
        return -1;
}
