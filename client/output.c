/*
 * output.c - printing server output for the dockgate tool.
 *
 * Container bytes (log records) go out unchanged: that is what the user
 * asked for.  Everything else printed for humans (tables, key: value) has
 * control characters replaced, so that a container or image name cannot
 * drive the terminal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "output.h"
#include "table.h"

#define OUTPUT_PS_COLS 4

void output_frame_line(const struct dgc_frame *f)
{
        char *text;

        /* Valid JSON holds newlines only as whitespace; re-encode such a frame compactly. */
        if (memchr(f->raw, '\n', f->rawlen) == NULL &&
            memchr(f->raw, '\r', f->rawlen) == NULL) {
                fwrite(f->raw, 1, f->rawlen, stdout);
        } else if ((text = json_dumps(f->json, JSON_COMPACT | JSON_PRESERVE_ORDER)) != NULL) {
                fputs(text, stdout);
                free(text);
        }
        fputc('\n', stdout);
        fflush(stdout);
}

int output_record(json_t *rec, char *err, size_t errlen)
{
        json_t *text = json_object_get(rec, "text"), *b64 = json_object_get(rec, "base64");
        const char *stream = json_string_value(json_object_get(rec, "stream"));
        unsigned char *buf = NULL;
        const void *p;
        size_t len;
        FILE *fp;
        int ok;

        if (stream != NULL && strcmp(stream, "stdout") == 0)
                fp = stdout;
        else if (stream != NULL && strcmp(stream, "stderr") == 0)
                fp = stderr;
        else {
                snprintf(err, errlen, "output record without a valid stream");
                return -1;
        }
        if (json_is_string(text) && b64 == NULL) {
                p = json_string_value(text);
                len = json_string_length(text);
        } else if (json_is_string(b64) && text == NULL) {
                buf = b64_decode(json_string_value(b64), json_string_length(b64), &len);
                if ((p = buf) == NULL) {
                        snprintf(err, errlen, "output record with invalid base64");
                        return -1;
                }
        } else {
                snprintf(err, errlen, "output record without one of text or base64");
                return -1;
        }
        /* Flushed per record so that stdout and stderr interleave as they came. */
        ok = (len == 0 || fwrite(p, 1, len, fp) == len) && fflush(fp) == 0;
        free(buf);
        if (!ok) {
                snprintf(err, errlen, "write %s: %s", stream, strerror(errno));
                return -1;
        }
        return 0;
}

/* A malloc'd copy of s[0..len) with control characters replaced by '?'. */
char *output_clean(const char *s, size_t len)
{
        char *t;
        size_t i, j;

        if ((t = malloc(len + 1)) == NULL)
                return NULL;
        for (i = 0, j = 0; i < len; i++) {
                unsigned char ch = (unsigned char)s[i];

                /* C1 controls too (U+0080..U+009F, UTF-8 C2 80..C2 9F): U+009B is a CSI. */
                if (ch == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
                    (unsigned char)s[i + 1] <= 0x9f) {
                        t[j++] = '?';
                        i++;
                        continue;
                }
                t[j++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
        }
        t[j] = '\0';
        return t;
}

char *output_clean_json(json_t *v)
{
        if (!json_is_string(v))
                return output_clean("", 0);
        return output_clean(json_string_value(v), json_string_length(v));
}

/* Columns a string takes on a terminal, counted as code points. */
size_t output_width(const char *s)
{
        size_t w = 0;

        for (; *s != '\0'; s++)
                if (((unsigned char)*s & 0xc0) != 0x80)
                        w++;
        return w;
}

/* Names come as "/name" (the engine's form); joined as docker prints them. */
static char *output_names(json_t *names)
{
        char *out, *grown;
        size_t i, len = 0;
        json_t *n;

        if ((out = calloc(1, 1)) == NULL)
                return NULL;
        json_array_foreach(names, i, n)
        {
                const char *s = json_string_value(n);

                if (s == NULL)
                        continue;
                if (*s == '/')
                        s++;
                if ((grown = realloc(out, len + strlen(s) + 2)) == NULL) {
                        free(out);
                        return NULL;
                }
                out = grown;
                len += (size_t)sprintf(out + len, "%s%s", len > 0 ? "," : "", s);
        }
        return out;
}

/* One container: short ID, image, status (its state when empty), names. */
static void output_ps_row(struct table *t, json_t *c)
{
        json_t *status = json_object_get(c, "status");
        const char *id = json_string_value(json_object_get(c, "containerId"));
        char shortid[13], *names = output_names(json_object_get(c, "names"));
        const char *row[OUTPUT_PS_COLS] = {
            shortid, json_string_value(json_object_get(c, "image")), NULL, names};

        if (!json_is_string(status) || json_string_length(status) == 0)
                status = json_object_get(c, "state");
        row[2] = json_string_value(status);
        snprintf(shortid, sizeof(shortid), "%s", id != NULL ? id : "");
        if (names == NULL)
                t->failed = 1; /* out of memory: print nothing rather than lose the names */
        else
                table_add(t, row);
        free(names);
}

int output_ps(json_t *list)
{
        static const char *const hdr[OUTPUT_PS_COLS] = {"CONTAINER ID", "IMAGE", "STATUS",
                                                        "NAMES"};
        struct table t;
        json_t *c;
        size_t i;
        int rc;

        if (!json_is_array(list) || table_init(&t, OUTPUT_PS_COLS, hdr) == -1)
                return -1;
        json_array_foreach(list, i, c)
        {
                output_ps_row(&t, c);
        }
        rc = table_print(&t);
        table_free(&t);
        return rc;
}

void output_json(json_t *v)
{
        json_dumpf(v, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        fputc('\n', stdout);
        fflush(stdout);
}

void output_kv(json_t *obj, int depth)
{
        const char *key;
        char *text;
        json_t *v;

        json_object_foreach(obj, key, v)
        {
                char *k = output_clean(key, strlen(key));

                if (k == NULL)
                        return;
                printf("%*s%s:", depth * 2, "", k);
                free(k);
                if (json_is_object(v)) {
                        fputc('\n', stdout);
                        output_kv(v, depth + 1);
                        continue;
                }
                if (json_is_string(v))
                        text = output_clean_json(v);
                else
                        text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                printf(" %s\n", text != NULL ? text : "?");
                free(text);
        }
        fflush(stdout);
}
