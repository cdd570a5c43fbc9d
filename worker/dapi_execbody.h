/*
 * dapi_execbody.h - the Docker front's exec bodies, read strictly: POST
 * /containers/{id}/exec into docker/container/exec/create's input, and the
 * POST /exec/{id}/start body.  Pure (no connection): fuzzed by
 * tests/fuzz/fuzz_dapi_exec.c.  -1 with *status 400 or 403 and err saying
 * which field and why.
 */
#ifndef DG_WORKER_DAPI_EXECBODY_H
#define DG_WORKER_DAPI_EXECBODY_H

#include <jansson.h>
#include <stddef.h>

int dxb_create(const json_t *body, const char *cid, json_t *input, int *status, char *err,
               size_t errlen);
int dxb_start(const json_t *body, int *detach, int *status, char *err, size_t errlen);

#endif
