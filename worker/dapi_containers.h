/*
 * dapi_containers.h - the Docker-API front's translations (in) and
 * renderings (out) for the container routes beyond the core ones of
 * dapi_routes.c: prune and rename (their rows are in dapi_routes.c; rename
 * answers 204 as dob_out_no_content does).  Each in() returns -1 after
 * answering the request.
 */
#ifndef DG_WORKER_DAPI_CONTAINERS_H
#define DG_WORKER_DAPI_CONTAINERS_H

#include <jansson.h>

struct dapi;

void dctr_out_prune(struct dapi *d, const json_t *o);
int dctr_in_rename(struct dapi *d, json_t *input);

#endif
