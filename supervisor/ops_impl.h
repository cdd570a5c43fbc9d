/*
 * ops_impl.h - what the operation families (op_*.c) share: their handlers,
 * listed in ops.c's op_table[], and small helpers for reading the checked
 * input and talking to the engine.
 *
 * Every handler answers its call exactly once.  Every engine request it
 * starts lives in c->pending, and each engine callback clears c->pending
 * first.  c->state belongs to this layer only: it is a struct ops_state,
 * made on first use by ops_state() and freed with the call.
 */
#ifndef DG_OPS_IMPL_H
#define DG_OPS_IMPL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "broker.h"
#include "resolve.h"

#define OPS_REF_MAX 256  /* a peer's reference to a container, network or volume */
#define OPS_NAME_MAX 128 /* a name the peer gives a new resource */

/* What a multi-step handler keeps between engine callbacks. */
struct ops_state {
        /* resolve.c's own */
        resolve_cb next;
        const void *kind;
        char ref[OPS_REF_MAX + 1];
        /* the handler's */
        char id[65]; /* a resolved ID kept for a later step */
        char name[OPS_NAME_MAX + 1];
        json_t *keep; /* a document kept for a later step (owned) */
        int64_t num;
};

/* c's state, made on first use; NULL (and the call answered INTERNAL) when out of memory. */
struct ops_state *ops_state(struct call *c);

/* Input accessors: the broker already checked types against the schema. */
const char *ops_str(const struct call *c, const char *key); /* NULL when absent */
int ops_bool(const struct call *c, const char *key, int def);
int64_t ops_int(const struct call *c, const char *key, int64_t def);
int ops_has(const struct call *c, const char *key);

/* 1 when s is a name for a new resource: [A-Za-z0-9][A-Za-z0-9_.-]{0,127}. */
int ops_name_ok(const char *s);

/*
 * Starts an engine request on the path made from fmt, kept in c->pending,
 * with c as the callback's argument.  Returns 0, or -1 after answering the
 * call (INTERNAL) when the request could not be started.
 */
int ops_send(struct call *c, const char *method, json_t *body, long timeout_ms, engine_cb cb,
             const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* An engine callback answering {} on 2xx and 304, else the engine's error. */
void ops_done_empty(int status, json_t *body, const char *raw, size_t rawlen, void *arg);
/* Writes "filters=<escaped {"label":["owner=peer"]}>", or "" for admins; -1 if too long. */
int ops_owner_filter(const struct call *c, char *buf, size_t len);
/* A new array of the string elements of a (may be NULL). */
json_t *ops_strings(const json_t *a);

/* docker/system */
void op_ping(struct call *c);
void op_version(struct call *c);
/* docker/container */
void op_container_create(struct call *c);
void op_container_start(struct call *c);
void op_container_stop(struct call *c);
void op_container_restart(struct call *c);
void op_container_kill(struct call *c);
void op_container_pause(struct call *c);
void op_container_unpause(struct call *c);
void op_container_remove(struct call *c);
void op_container_list(struct call *c);
void op_container_inspect(struct call *c);
void op_container_wait(struct call *c);
void op_container_logs(struct call *c);
void op_container_top(struct call *c);
void op_container_resize(struct call *c);
/* docker/image */
void op_image_list(struct call *c);
void op_image_inspect(struct call *c);
void op_image_remove(struct call *c);
/* docker/network */
void op_network_create(struct call *c);
void op_network_list(struct call *c);
void op_network_inspect(struct call *c);
void op_network_remove(struct call *c);
void op_network_connect(struct call *c);
void op_network_disconnect(struct call *c);
/* docker/volume */
void op_volume_create(struct call *c);
void op_volume_list(struct call *c);
void op_volume_inspect(struct call *c);
void op_volume_remove(struct call *c);

#endif
