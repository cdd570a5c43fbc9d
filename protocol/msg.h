/*
 * msg.h - the supervisor <-> worker contract (version MSG_VERSION).
 *
 * One SOCK_SEQPACKET datagram is one message: a msgpack array of exactly two
 * elements, [type (uint), body (map)].  Each type has exactly one schema
 * (msg.c: msg_table[]): the decoder checks the exact key set, every type,
 * range and string length, refuses unknown and duplicate keys and trailing
 * bytes, and checks that an fd is attached if and only if the type declares
 * one.  Numbers are never reused: retired types stay listed as retired.
 *
 *   1..19   supervisor -> worker
 *   20..39  worker -> supervisor
 *
 * A stream carries many calls at once: every call-related message names
 * its call by seq (the worker numbers a stream's calls from 1, in order).
 */
#ifndef DG_MSG_H
#define DG_MSG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "bounds.h"

#define MSG_VERSION 2                           /* 2: MSG_PEER.front, MSG_CALL.route */
#define MSG_MAX (FRAME_MAX_SERVER + (1u << 20)) /* a result may carry a whole frame */
#define MSG_PEER_NAME_MAX DG_NAME_MAX
#define MSG_OP_MAX DG_OP_ID_MAX
#define MSG_TEXT_MAX 4096 /* error messages */
#define MSG_KIND_MAX 32
#define MSG_TOKEN_MAX DG_TOKEN_MAX
#define MSG_TTY_MAX DG_TTY_MAX
#define MSG_CALLS_MAX 1024 /* calls in flight on one stream, at most */
#define MSG_ROUTE_MAX 96   /* a Docker-API route, "POST /containers/{id}/start" */

enum msg_type {
        /* supervisor -> worker */
        MSG_PEER = 1,   /* fd: the peer's connection. Identity of the peer. */
        MSG_RESULT = 2, /* a control-plane call's output */
        MSG_FAIL = 3,   /* a call failed (any plane) */
        MSG_STREAM = 4, /* fd: engine connection, request already written */
        /* worker -> supervisor */
        MSG_READY = 20,        /* sandboxed and waiting for a peer */
        MSG_CALL = 21,         /* a broker request */
        MSG_CANCEL = 22,       /* the peer aborted or left: stop call `seq` */
        MSG_CALL_END = 23,     /* the worker sent the call's terminal frame */
        MSG_STREAM_END = 24,   /* a kept stream's output ended: what is the exit code? */
        MSG_RESIZE = 25,       /* TTY size for the kept stream's exec or attach */
        MSG_BUILD_IMAGES = 26, /* the images a build's Dockerfile uses: may it go on? */
};

/* A decoded message.  Strings point into storage owned by the struct. */
struct msg {
        enum msg_type type;
        int fd; /* attached descriptor or -1; the receiver owns it */

        /* MSG_PEER */
        char peer[MSG_PEER_NAME_MAX + 1]; /* "" when authenticated is 0 */
        uint32_t uid, gid;
        int authenticated;     /* 0: answer every call with UNAUTHENTICATED */
        uint32_t max_frame;    /* largest frame accepted from the peer */
        uint32_t idle_timeout; /* seconds without a call before the worker closes */
        uint32_t max_calls;    /* calls in flight at once on the stream, 1..MSG_CALLS_MAX */
        uint32_t first_call;   /* the same before the first call (0: idle_timeout) */
        char transport[8];     /* "unix", or "tcp": then each call carries its token */
        char refusal[32];      /* "" or an error code: answer the first call so, and close */
        char front[8];         /* "native" (PROTOCOL.md frames) or "docker" (Engine HTTP API) */

        /* MSG_READY */
        uint32_t version; /* MSG_VERSION */

        /* MSG_CALL, MSG_RESULT, MSG_FAIL, MSG_STREAM, MSG_CANCEL, MSG_CALL_END,
         * MSG_STREAM_END, MSG_RESIZE */
        uint64_t seq; /* per-stream call number chosen by the worker, from 1 */

        /* MSG_CALL */
        char id[128 + 1]; /* the peer's call id (for logs and audit) */
        char op[MSG_OP_MAX + 1];
        int raw;                       /* carriage raw */
        json_t *input;                 /* an object (owned) */
        char token[MSG_TOKEN_MAX + 1]; /* auth.token on a TCP stream; "" (absent) otherwise */
        char route[MSG_ROUTE_MAX + 1]; /* Docker front: the route served; "" (absent) native */

        /* MSG_RESULT */
        json_t *output; /* any JSON value (owned) */

        /* MSG_FAIL */
        char code[32]; /* a PROTOCOL.md error code name */
        char text[MSG_TEXT_MAX + 1];
        json_t *details; /* object or NULL (owned) */

        /* MSG_STREAM */
        char kind[MSG_KIND_MAX + 1]; /* "logs", ... : how to read the engine response */
        json_t *opts; /* object: kind-specific options, e.g. {"tty": false} (owned) */

        /* MSG_CALL_END */
        char result[32]; /* "OK" or an error code name */
        uint64_t bytes_in, bytes_out;

        /* MSG_RESIZE */
        uint32_t rows, cols; /* 1..MSG_TTY_MAX */

        /*
         * MSG_BUILD_IMAGES: an array of {"ref", "line"} (owned), checked by its
         * receiver (supervisor/build_images.c).  The supervisor answers with
         * MSG_RESULT {"approved": true} or MSG_FAIL.
         */
        json_t *images;
};

void msg_init(struct msg *m, enum msg_type type); /* zeroes, fd = -1 */
void msg_clear(struct msg *m);                    /* frees json, closes fd if >= 0 */

/*
 * Encodes m (all fields of its type must be set) into a malloc'd buffer.
 * Returns 0, or -1 when a field is out of its schema's range.
 */
int msg_encode(const struct msg *m, char **buf, size_t *len);
/*
 * Decodes exactly one message from buf[0..len) with the attached fd (-1 if
 * none).  On success returns 0 and m owns fd.  On failure returns -1, closes
 * fd, and writes a reason into err.
 */
int msg_decode(const void *buf, size_t len, int fd, struct msg *m, char *err, size_t errlen);

const char *msg_type_name(enum msg_type t); /* "MSG_PEER", ...; "unknown" */

#endif
