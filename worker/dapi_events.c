/*
 * dapi_events.c - GET /events on the Docker-API front: the engine's event
 * stream, one JSON document per line, shown as the native front shows it;
 * and GET /containers/{id}/stats, whose sample lines name the container
 * ("name": "/alpha.web" -> "/web").
 *
 * SECURITY: which events arrive is the supervisor's filter, written into
 * the request it sent (op_watch.c: the owner label ANDed in); the worker
 * only presents them.  A non-admin peer's own names lose their namespace
 * ("alpha.web" -> "web", in Actor.ID, Actor.Attributes.name and the old
 * top-level id), and attributes under the reserved owner label are dropped,
 * as inspect and list show them.  A line longer than DEVENTS_LINE_MAX, or
 * one that is not a JSON object, ends the stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dapi.h"
#include "log.h"

#define DEVENTS_LINE_MAX (1u << 20)

struct devents {
        struct evbuffer *line;
        char prefix[96]; /* "alpha.", or "" (admins) */
        char label[128]; /* the owner label, or "" */
};

struct devents *devents_new(const json_t *opts)
{
        const char *prefix = json_string_value(json_object_get(opts, "namePrefix"));
        const char *label = json_string_value(json_object_get(opts, "ownerLabel"));
        struct devents *e;

        if ((prefix == NULL) != (label == NULL) ||
            (prefix != NULL &&
             (strlen(prefix) >= sizeof(e->prefix) || strlen(label) >= sizeof(e->label))))
                return NULL;
        if ((e = calloc(1, sizeof(*e))) == NULL || (e->line = evbuffer_new()) == NULL)
                fatal("calloc");
        if (prefix != NULL) {
                snprintf(e->prefix, sizeof(e->prefix), "%s", prefix);
                snprintf(e->label, sizeof(e->label), "%s", label);
        }
        return e;
}

void devents_free(struct devents *e)
{
        if (e == NULL)
                return;
        evbuffer_free(e->line);
        free(e);
}

static void devents_unprefix(const struct devents *e, json_t *obj, const char *key)
{
        const char *s = json_string_value(json_object_get(obj, key));
        size_t n = strlen(e->prefix);

        if (s != NULL && n > 0 && strncmp(s, e->prefix, n) == 0)
                json_object_set_new(obj, key, json_string(s + n));
}

/* A stats sample's "name": "/<prefix>NAME" (Podman: without the '/'), shown "/NAME". */
static void devents_unprefix_name(const struct devents *e, json_t *obj)
{
        const char *s = json_string_value(json_object_get(obj, "name"));
        size_t n = strlen(e->prefix);
        char *shown;

        if (s != NULL && s[0] == '/')
                s++;
        if (s == NULL || n == 0 || strncmp(s, e->prefix, n) != 0)
                return;
        if ((shown = malloc(strlen(s) + 2)) == NULL)
                fatal("malloc");
        shown[0] = '/';
        strcpy(shown + 1, s + n);
        json_object_set_new(obj, "name", json_string(shown));
        free(shown);
}

static int devents_reserved(const struct devents *e, const char *key)
{
        size_t n = strlen(e->label);

        return n > 0 && strncmp(key, e->label, n) == 0 && (key[n] == '\0' || key[n] == '.');
}

static int devents_line(struct devents *e, struct dapi *d, const char *p, size_t n)
{
        json_t *ev = json_loadb(p, n, 0, NULL), *actor, *attrs;
        const char *k;
        json_t *v;
        void *tmp;
        char *txt;

        if (!json_is_object(ev)) {
                json_decref(ev);
                return -1;
        }
        actor = json_object_get(ev, "Actor");
        attrs = json_object_get(actor, "Attributes");
        devents_unprefix(e, actor, "ID");
        devents_unprefix(e, attrs, "name");
        devents_unprefix(e, ev, "id");
        devents_unprefix_name(e, ev);
        json_object_foreach_safe(attrs, tmp, k, v)
        {
                if (devents_reserved(e, k))
                        json_object_del(attrs, k);
        }
        txt = json_dumps(ev, JSON_COMPACT);
        json_decref(ev);
        if (txt == NULL)
                return -1;
        n = strlen(txt);
        dapi_chunk(d, txt, n);
        dapi_chunk(d, "\n", 1);
        free(txt);
        return 0;
}

int devents_feed(struct devents *e, struct dapi *d, const char *buf, size_t len)
{
        struct evbuffer_ptr at;
        size_t n;
        char *line;

        if (evbuffer_add(e->line, buf, len) == -1)
                fatalx("out of memory");
        for (;;) {
                at = evbuffer_search(e->line, "\n", 1, NULL);
                if (at.pos < 0)
                        break;
                n = (size_t)at.pos;
                if ((line = malloc(n + 1)) == NULL)
                        fatal("malloc");
                evbuffer_remove(e->line, line, n + 1);
                if (n > 0 && devents_line(e, d, line, n) == -1) {
                        free(line);
                        return -1;
                }
                free(line);
        }
        return evbuffer_get_length(e->line) > DEVENTS_LINE_MAX ? -1 : 0;
}
