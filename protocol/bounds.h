/*
 * bounds.h - the sizes shared by more than one module, defined once.
 *
 * The schema (protocol/schema.c), the envelopes (protocol/envelope.c), the
 * messages (protocol/msg.c), the policy (supervisor/policy_parse.c) and the
 * handlers all bound the same things; each bound lives here so that they
 * cannot drift apart.  A module's own sizes stay in the module.
 */
#ifndef DG_BOUNDS_H
#define DG_BOUNDS_H

#include <stdint.h>
#include <string.h>

/* Frames (frame.h): what a peer may send by default (config maxFrameBytes), what we send. */
#define FRAME_MAX_PEER_DEFAULT (1u << 20) /* 1 MiB: frames from peers */
#define FRAME_MAX_SERVER (16u << 20)      /* 16 MiB: frames the server sends */

/* Names and identifiers. */
#define DG_NAME_MAX 64      /* a name in the policy: a peer, a network, a runtime */
#define DG_OP_ID_MAX 96     /* an operationId (envelope, MSG_CALL) */
#define DG_CALL_ID_MAX 128  /* a call's id, chosen by the peer (envelope, MSG_CALL) */
#define DG_TOKEN_MAX 512    /* a peer's bearer token (envelope, MSG_CALL) */
#define DG_ENGINE_ID_MAX 64 /* a full engine ID: 64 lowercase hex digits */
#define OPS_REF_MAX 256     /* a peer's reference to a container, network or volume */
#define OPS_NAME_MAX 128    /* a name the peer gives a new resource */
#define DG_TTY_MAX 10000    /* TTY rows or columns (schema, raw control, messages) */
#define DG_VOLUMES_MAX 16   /* a create's input.volumes */
#define DG_ALIASES_MAX 16   /* network aliases, at create and at connect */

/*
 * A container's limits: what create and update accept (schema.c f_limits)
 * and what the policy's defaults and ceilings may be (policy_parse.c).
 */
#define DG_MEMORY_MIN ((int64_t)4 << 20) /* 4 MiB, the engine's own floor */
#define DG_MEMORY_MAX ((int64_t)1 << 40)
#define DG_NANOCPUS_MIN ((int64_t)1000000) /* 0.001 CPU */
#define DG_NANOCPUS_MAX ((int64_t)1000000000000)
#define DG_PIDS_MIN 1
#define DG_PIDS_MAX 1000000

/* 1 when s is a full engine ID (DG_ENGINE_ID_MAX lowercase hex digits), not a prefix. */
static inline int dg_engine_id_ok(const char *s)
{
        return s != NULL && strlen(s) == DG_ENGINE_ID_MAX &&
               strspn(s, "0123456789abcdef") == DG_ENGINE_ID_MAX;
}

#endif
