/*
 * dapi_exec.h - the Docker-API front's exec routes: translations (in) and
 * renderings (out) for POST /containers/{id}/exec, POST /exec/{id}/start,
 * GET /exec/{id}/json and POST /exec/{id}/resize; the rows that use them
 * are in dapi_routes.c.  Each in() returns -1 after answering the request.
 */
#ifndef DG_WORKER_DAPI_EXEC_H
#define DG_WORKER_DAPI_EXEC_H

#include <jansson.h>

struct dapi;

int dex_in_create(struct dapi *d, json_t *input);
void dex_out_create(struct dapi *d, const json_t *o);
int dex_in_start(struct dapi *d, json_t *input);
int dex_in_inspect(struct dapi *d, json_t *input);
int dex_in_resize(struct dapi *d, json_t *input);

#endif
