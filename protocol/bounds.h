/*
 * bounds.h - the sizes shared by more than one module, defined once.
 *
 * The schema (protocol/schema.c), the messages (protocol/msg.c), policy and
 * the handlers all bound the same things; each bound lives here so that they
 * cannot drift apart.
 */
#ifndef DG_BOUNDS_H
#define DG_BOUNDS_H

#define DG_ENGINE_ID_MAX 64 /* a full engine ID: 64 hex digits */
#define OPS_REF_MAX 256     /* a peer's reference to a container, network or volume */
#define OPS_NAME_MAX 128    /* a name the peer gives a new resource */

#endif
