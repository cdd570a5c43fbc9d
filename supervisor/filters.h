/*
 * filters.h - server-side filters on lists and events (input "filters":
 * ["key=value", ...], as `docker ps --filter key=value` writes them).
 *
 * Each value is validated and then either written into the engine's
 * filters, next to the owner label (so the engine ANDs it with ownership),
 * or, for names, applied here to the names the peer sees (the engine holds
 * names in the peer's namespace, names.h).  Values of one key are ORed and
 * keys are ANDed, as the engine does; label filters are all ANDed.
 *
 *   containers: label, name, status, id, ancestor, network, health, exited
 *   networks:   label, name, id
 *   volumes:    label, name, dangling
 *   events:     label, event, container, image
 *   images:     label, dangling, reference (shared: no owner label is ANDed)
 *   prunes:     label, label! (of containers, networks and volumes), until
 *               (containers and networks: created before it, enginetime.h)
 *
 * SECURITY: a label filter under the reserved owner label is FORBIDDEN (it
 * could only ever narrow, but it would say what the prefix means); names
 * of networks and containers are translated into the caller's namespace,
 * so a filter can never name another peer's resource.
 */
#ifndef DG_FILTERS_H
#define DG_FILTERS_H

#include <jansson.h>
#include <stddef.h>

struct call;

#define FILTERS_MAX 32

/*
 * "filters=<escaped JSON>" for c's list: the owner's label (none for
 * admins) ANDed with the input's filters; "" when there is nothing to
 * filter.  0, or -1 after answering the call.
 */
int filters_query(struct call *c, char *buf, size_t len);

/* 1 when an engine list element passes the filters the engine cannot apply (name, label!,
 * until). */
int filters_keep(const struct call *c, const json_t *item);

/*
 * 1 when an image's tag, in the familiar form, matches one of the input's
 * reference filters (or there is none): dockerd answers only the tags that
 * match, Podman every tag of an image one of whose names matches.
 */
int filters_tag_kept(const struct call *c, const char *tag);

/* Adds an events call's input filters to f (the engine's filters object); -1 after answering.
 */
int filters_events(struct call *c, json_t *f);

#endif
