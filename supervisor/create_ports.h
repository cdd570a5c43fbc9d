/*
 * create_ports.h - a create's steps that need the engine once the body is
 * built (create_ports.c): publishAllPorts (the image's exposed ports),
 * binds (resolved beneath their roots, bindroot.h) and host ports (claims,
 * picks, the published-port quota).
 */
#ifndef DG_CREATE_PORTS_H
#define DG_CREATE_PORTS_H

#include <jansson.h>

struct call;
struct create_plan;

/* Runs the steps the plan of c (its ops_state's own) needs, then next(c); or answers c. */
void create_ports_run(struct call *c, void (*next)(struct call *c));

/* {"7777/tcp": "127.0.0.1:20001", ...}: the ports as published (a new object). */
json_t *create_ports_json(const struct create_plan *plan);

#endif
