/*
 * auditrec.h - what the supervisor audits, as records of the audit log
 * (audit.h): the broker's answer to each call (its decision), each call's
 * end, and what happens to workers.
 *
 * Identity in every record comes from the supervisor's own record of the
 * connection (struct worker), never from anything a worker sent.
 */
#ifndef DG_AUDITREC_H
#define DG_AUDITREC_H

#include <jansson.h>
#include <stdint.h>

struct call;
struct opencall;
struct worker;

/*
 * The broker is about to answer c: result is "OK" or an error code name,
 * message the error's text (NULL for OK), stream the stream kind when the
 * answer is an engine connection, output the result (borrowed, may be
 * NULL; a created resource's ID is taken from it).  Returns the ticket the
 * answer waits for (0: nothing to wait for).
 */
uint64_t auditrec_decision(struct call *c, const char *result, const char *message,
                           const char *stream, const json_t *output);

/*
 * An open call ended: reported by the worker (MSG_CALL_END, with its byte
 * counts), or lost with the worker (reported 0).
 */
void auditrec_end(struct opencall *oc, const char *result, uint64_t bytes_in,
                  uint64_t bytes_out, int reported);

/* A worker event: "killed" (by us, detail says why), "sandbox-violation", "crash". */
void auditrec_worker(struct worker *w, const char *event, const char *detail);

#endif
