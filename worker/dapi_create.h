/*
 * dapi_create.h - Docker create bodies read strictly and translated into
 * the native docker/container/create input.
 *
 * The engine is Go: it matches JSON keys case-insensitively and takes the
 * last of duplicates, so "privileged" or a second "Privileged" could mean
 * what a check did not see.  Every object at every depth is refused when
 * a key repeats, exactly or in another case.  Then each field of the body
 * is, by one row of a table: translated to a typed input, accepted only at
 * its zero/default value (the docker CLI sends every field), or refused;
 * unknown fields are refused.  Nothing is forwarded.
 */
#ifndef DG_WORKER_DAPI_CREATE_H
#define DG_WORKER_DAPI_CREATE_H

#include <jansson.h>
#include <stddef.h>

/* A JSON object, parsed strictly; NULL with err set. */
json_t *dcreate_parse(const char *buf, size_t len, char *err, size_t errlen);
/*
 * Fills input (docker/container/create) from body and the name; 0, or -1
 * with *status (400 malformed, 403 refused by the gateway) and err naming
 * the field and the rule.
 */
int dcreate_translate(const json_t *body, const char *name, json_t *input, int *status,
                      char *err, size_t errlen);

/*
 * The same for a docker update body (Engine 20.10's UpdateConfig: the
 * Resources of HostConfig and RestartPolicy) into docker/container/update's
 * limits and restartPolicy: memory, CPUs, pids and the restart policy
 * translated, every other field at its zero value only (403 naming it).
 */
int dupdate_translate(const json_t *body, json_t *input, int *status, char *err, size_t errlen);

/* 1 when v is its type's zero value (null, false, 0, "", and lists and objects of those). */
int dcreate_zero(const json_t *v);

#endif
