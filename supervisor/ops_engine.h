/*
 * ops_engine.h - a handler's engine requests: starting one kept in
 * c->pending, answering from its callback, dialling a data-plane stream,
 * and the owner-label filter that scopes a list to the peer.
 */
#ifndef DG_OPS_ENGINE_H
#define DG_OPS_ENGINE_H

#include <jansson.h>
#include <stddef.h>

#include "broker.h"

/*
 * Starts an engine request on the path made from fmt, kept in c->pending,
 * with c as the callback's argument.  Returns 0, or -1 after answering the
 * call (INTERNAL) when the request could not be started.
 */
int ops_send(struct call *c, const char *method, json_t *body, long timeout_ms, engine_cb cb,
             const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* An engine callback answering {} on 2xx and 304, else the engine's error. */
void ops_done_empty(int status, json_t *body, const char *raw, size_t rawlen, void *arg);
/* call_fail_engine(), but the engine's 400 (a bad value) is INVALID_INPUT. */
void ops_fail_engine(struct call *c, int status, json_t *body);
/*
 * Dials the engine for a data-plane request (engine_dial()) and hands the
 * connection to the worker as kind (call_stream(), opts stolen); answers
 * the call either way.
 */
void ops_stream(struct call *c, const char *method, const char *path, const char *headers,
                const char *kind, json_t *opts);
/* Writes "filters=<escaped {"label":["owner=peer"]}>"; -1 if too long. */
int ops_peer_filter(const struct call *c, char *buf, size_t len);
#endif
