/*
 * op_health.c - docker/container/wait with condition "healthy": the
 * engine has no such wait, so the container's health is read every
 * HEALTH_POLL_MS until its health check says healthy (answered like any
 * wait, plus "health"), or until it cannot become healthy any more: it
 * stopped (CONFLICT), or it has no health check (INVALID_INPUT).  An
 * unhealthy container is waited on: health checks go on and may pass.
 */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "ops_impl.h"
#include "pool.h"
#include "supervisor.h"

#define HEALTH_POLL_MS 250

static void health_timer_free(void *p)
{
        if (p != NULL)
                event_free(p);
}

static void health_check(struct call *c);

static void health_tick(evutil_socket_t fd, short what, void *arg)
{
        health_check(arg);
}

static void health_inspected(int status, json_t *body, const char *raw, size_t rawlen,
                             void *arg)
{
        struct call *c = arg;
        struct ops_state *st = c->state;
        json_t *state = json_object_get(body, "State");
        const char *h =
            json_string_value(json_object_get(json_object_get(state, "Health"), "Status"));
        struct timeval tv = {0, HEALTH_POLL_MS * 1000};

        c->pending = NULL;
        if (status != 200) {
                call_fail_engine(c, status, body);
                return;
        }
        if (h == NULL) {
                call_fail(c, DG_INVALID_INPUT,
                          "input.condition: healthy: the container has no health check");
                return;
        }
        if (strcmp(h, "healthy") == 0) {
                call_reply(c, json_pack("{s:s,s:b}", "health", h, "running", 1));
                return;
        }
        if (!json_is_true(json_object_get(state, "Running"))) {
                call_fail(c, DG_CONFLICT,
                          "container stopped before it was healthy (health: %s)", h);
                return;
        }
        if (st->own == NULL) {
                st->own = evtimer_new(c->worker->sv->base, health_tick, c);
                st->own_free = health_timer_free;
        }
        if (st->own == NULL || evtimer_add(st->own, &tv) != 0)
                call_fail(c, DG_INTERNAL, "cannot wait for health");
}

static void health_check(struct call *c)
{
        struct ops_state *st = c->state;

        ops_send(c, "GET", NULL, 0, health_inspected, "/containers/%s/json", st->id);
}

void op_health_wait(struct call *c, const char *id)
{
        struct ops_state *st = c->state;

        snprintf(st->id, sizeof(st->id), "%s", id);
        health_check(c);
}
