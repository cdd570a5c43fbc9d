/*
 * redact.h - what inspect answers must not show a peer (invariant 3).
 *
 * The engine's documents carry host paths (log, hosts, resolv.conf and
 * hostname files, the graph driver's directories, volume mountpoints,
 * mount sources, the network namespace's path, bridge interface names) and
 * other peers' names (containers on a network, endpoint aliases).  These
 * functions edit a document in place before it is answered: host paths
 * are dropped for every caller, admins included (they are the host's, not
 * a tenant's business); engine-side names are shown as the caller sees
 * them (names.h), and what belongs to another peer is left out.
 */
#ifndef DG_REDACT_H
#define DG_REDACT_H

#include <jansson.h>

struct call;

void redact_container(const struct call *c, json_t *doc);
void redact_network(const struct call *c, json_t *doc);
void redact_volume(const struct call *c, json_t *doc);
void redact_image(json_t *doc);

#endif
