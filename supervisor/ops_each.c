/*
 * ops_each.c - one engine DELETE per item of a list, in order (ops_each.h).
 */
#include <stdlib.h>

#include "ops_each.h"
#include "ops_engine.h"
#include "ops_state.h"

struct each {
        json_t *todo, *out;
        size_t next;
        ops_each_path_fn path;
        ops_each_removed_fn removed;
};

static void each_free(void *p)
{
        struct each *e = p;

        json_decref(e->todo);
        json_decref(e->out);
        free(e);
}

static void each_send(struct call *c);

static void each_answered(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct each *e = ((struct ops_state *)c->state)->own;

        c->pending = NULL;
        if (status == 200 || status == 204)
                e->removed(c, json_array_get(e->todo, e->next), body, e->out);
        else if (status != 403 && status != 404 && status != 409) {
                call_fail_engine(c, status, body);
                return;
        }
        e->next++;
        each_send(c);
}

static void each_send(struct call *c)
{
        struct each *e = ((struct ops_state *)c->state)->own;
        char path[OPS_EACH_PATH_MAX];

        if (e->next >= json_array_size(e->todo)) {
                call_reply(c, json_incref(e->out));
                return;
        }
        if (e->path(json_array_get(e->todo, e->next), path, sizeof(path)) == -1) {
                call_fail(c, DG_INTERNAL, "engine path too long");
                return;
        }
        ops_send(c, "DELETE", NULL, 0, each_answered, "%s", path);
}

void ops_remove_each(struct call *c, json_t *todo, json_t *out, ops_each_path_fn path,
                     ops_each_removed_fn removed)
{
        struct ops_state *st;
        struct each *e;

        if ((st = ops_state(c)) == NULL)
                return;
        if (st->own != NULL || (e = calloc(1, sizeof(*e))) == NULL) {
                call_fail(c, DG_INTERNAL,
                          st->own != NULL ? "call state in use" : "out of memory");
                return;
        }
        e->todo = json_incref(todo);
        e->out = json_incref(out);
        e->path = path;
        e->removed = removed;
        st->own = e;
        st->own_free = each_free;
        each_send(c);
}
