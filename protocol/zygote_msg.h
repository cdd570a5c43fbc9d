/*
 * zygote_msg.h - the fork server's control messages (supervisor <-> zygote).
 *
 * The control socket is a SOCK_SEQPACKET pair, the zygote's fd 3.  Each
 * message is one fixed-size struct, in host byte order (both ends run on the
 * same machine, from the same build); anything of another size or magic is
 * a protocol error and ends the zygote (or makes the supervisor kill it).
 *
 *   supervisor -> zygote: struct zygote_req, with exactly one descriptor
 *     attached (SCM_RIGHTS): the new worker's end of its channel, and 8
 *     random bytes for the child's stack canary (worker/zygote.c).
 *   zygote -> supervisor: struct zygote_rep, no descriptor.  First one
 *     hello (seq 0, pid = the zygote's own pid) once it is demoted and its
 *     filter compiled; then one per request, in order, with the child's pid
 *     or err (an errno value) when no child was made.
 *
 * The child is made with CLONE_PARENT: it is the supervisor's child, so the
 * supervisor reaps and kills it as it does a posix_spawn'd worker.
 */
#ifndef DG_ZYGOTE_MSG_H
#define DG_ZYGOTE_MSG_H

#include <stdint.h>

#define ZYGOTE_MAGIC 0x6467797au /* "dgyz" */

struct zygote_req {
        uint32_t magic;
        uint32_t seq;    /* 1, 2, ...: echoed in the reply */
        uint64_t canary; /* the child's stack canary (getrandom in the supervisor) */
};

struct zygote_rep {
        uint32_t magic;
        uint32_t seq; /* 0: hello */
        int32_t pid;  /* the child's (the zygote's own in the hello); 0 on failure */
        int32_t err;  /* errno of the failed clone; 0 on success */
};

#endif
