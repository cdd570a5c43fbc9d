/*
 * auditrec.h - the broker's audit record of its answer to each call (its
 * decision), in the audit log (audit.h).  Each call's end and what happens
 * to workers are the pool's records (pool.h, pool_audit.c).
 *
 * Identity in every record comes from the supervisor's own record of the
 * connection (struct worker), never from anything a worker sent.
 */
#ifndef DG_AUDITREC_H
#define DG_AUDITREC_H

#include <jansson.h>
#include <stdint.h>

struct call;

/*
 * The broker is about to answer c: result is "OK" or an error code name,
 * message the error's text (NULL for OK), stream the stream kind when the
 * answer is an engine connection, output the result (borrowed, may be
 * NULL; a created resource's ID is taken from it).  Returns the ticket the
 * answer waits for (0: nothing to wait for).
 */
uint64_t auditrec_decision(struct call *c, const char *result, const char *message,
                           const char *stream, const json_t *output);

#endif
