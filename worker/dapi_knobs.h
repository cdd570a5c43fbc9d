/*
 * dapi_knobs.h - the workload knobs of a Docker create body (published
 * ports, ulimits, the health check) in the native create input's shapes
 * (docs/operations.md, docker/container/create): dapi_create.c's rows call
 * these.
 *
 * Each reads the engine's field as Engine 20.10 defines it, refuses what
 * the native input cannot say, and writes the native field into in.  What
 * it writes is then checked against the policy by the broker like any
 * native peer's input (the host addresses and port ranges, the ulimit
 * ceilings, the health check's bounds).  Each returns 0, or the HTTP status
 * (400 malformed, 403 not allowed by the gateway) with err naming the field.
 */
#ifndef DG_WORKER_DAPI_KNOBS_H
#define DG_WORKER_DAPI_KNOBS_H

#include <jansson.h>
#include <stddef.h>

/*
 * HostConfig.PortBindings, Config.ExposedPorts and HostConfig.PublishAllPorts
 * (any may be NULL) into in.ports and in.publishAllPorts: one binding per
 * container port; an empty HostIp is the policy's first host address, an
 * empty or 0 HostPort one the gateway picks from the peer's ranges.  An
 * exposed port without a binding is published only with PublishAllPorts.
 */
int dknob_ports(const json_t *bindings, const json_t *exposed, const json_t *publish_all,
                json_t *in, char *err, size_t errlen);
/* HostConfig.Ulimits ([{"Name", "Soft", "Hard"}]) into in.ulimits ({"nofile": "soft:hard"}). */
int dknob_ulimits(const json_t *v, json_t *in, char *err, size_t errlen);
/* Config.Healthcheck (nanoseconds) into in.healthcheck (milliseconds). */
int dknob_health(const json_t *v, json_t *in, char *err, size_t errlen);

#endif
