/*
 * ops_each.c - one engine DELETE per item of a list, in order (ops_each.h).
 */
#include <stdlib.h>

#include "engine.h"
#include "imageref.h"
#include "ops_each.h"
#include "ops_engine.h"
#include "ops_state.h"

struct each {
        json_t *todo, *out;
        size_t next;
        const char *prefix, *suffix; /* static strings of the caller's */
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
        const char *ref;
        char esc[IMAGE_REF_MAX * 3 + 1]; /* the longest ref: an image reference */

        if (e->next >= json_array_size(e->todo)) {
                call_reply(c, json_incref(e->out));
                return;
        }
        ref = json_string_value(json_object_get(json_array_get(e->todo, e->next), "ref"));
        if (ref == NULL || engine_escape(esc, sizeof(esc), ref) == -1) {
                call_fail(c, DG_INTERNAL, "engine path too long");
                return;
        }
        ops_send(c, "DELETE", NULL, 0, each_answered, "%s%s%s", e->prefix, esc, e->suffix);
}

void ops_reclaimed(json_t *out, const json_t *size)
{
        json_int_t sum = json_integer_value(json_object_get(out, "spaceReclaimed"));

        if (json_is_integer(size) && json_integer_value(size) > 0)
                json_object_set_new(out, "spaceReclaimed",
                                    json_integer(sum + json_integer_value(size)));
}

void ops_remove_each(struct call *c, json_t *todo, json_t *out, const char *prefix,
                     const char *suffix, ops_each_removed_fn removed)
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
        e->prefix = prefix;
        e->suffix = suffix;
        e->removed = removed;
        st->own = e;
        st->own_free = each_free;
        each_send(c);
}
