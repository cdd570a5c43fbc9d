/*
 * zygote.c - the fork server: one child per request, each a worker.
 *
 * SECURITY: the zygote reads nothing from peers or the engine; its one
 * input is the supervisor's control socket, fixed-size messages checked for
 * size and magic, each carrying one SOCK_SEQPACKET descriptor.  Anything else
 * ends it (the supervisor then spawns workers with posix_spawn and starts a
 * new zygote).  What a child shares with the zygote and its siblings (the
 * address-space layout, the stack canary, libc's and jansson's seeds) is
 * the trade-off docs/SECURITY.md ("Zygote") bounds.
 *
 * The child is cloned with CLONE_PARENT, so that it is the supervisor's
 * child: reaped and killed by it like any worker, and left alone when the
 * zygote is replaced.  A raw clone, not fork(): the zygote is single-
 * threaded, holds no lock when it clones, and registers no atfork handler.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "fdpass.h"
#include "log.h"
#include "zygote.h"
#include "zygote_msg.h"

static void zygote_reply(int ctl, uint32_t seq, pid_t pid, int err)
{
        struct zygote_rep rep = {
            .magic = ZYGOTE_MAGIC, .seq = seq, .pid = (int32_t)pid, .err = err};

        if (fdpass_send(ctl, &rep, sizeof(rep), -1) < 0)
                fatal("zygote: reply to the supervisor");
}

/* SECURITY: the descriptor must be a SOCK_SEQPACKET socket, as a worker's channel is. */
static int zygote_is_channel(int fd)
{
        socklen_t len = sizeof(int);
        int type;

        return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_SEQPACKET;
}

/* In the child: the channel takes the control socket's place. */
static void zygote_child(int chan, int at)
{
        if (dup2(chan, at) == -1)
                fatal("zygote child: dup2");
        close(chan);
        /* Not the zygote any more: the tests and ps tell them apart by name. */
        (void)prctl(PR_SET_NAME, "dockgate-worke", 0, 0, 0);
}

/*
 * A fresh stack canary for this child, where the compiler reads it: the TCB
 * at %fs:0x28 on x86_64 (glibc has no call for it).  As glibc does, the low
 * byte is zero, so that a string copy stops before the rest.  Elsewhere the
 * guard is read-only after start (arm64: __stack_chk_guard is RELRO) and the
 * child keeps the zygote's; rotation bounds that (docs/SECURITY.md).
 */
static void zygote_canary(uint64_t v)
{
#if defined(__x86_64__)
        v &= ~(uint64_t)0xff;
        __asm__ volatile("movq %0, %%fs:0x28" : : "r"(v) : "memory");
#else
        (void)v;
#endif
}

void zygote_serve(int at, void (*child)(void))
{
        uint32_t seq = 0;

        (void)prctl(PR_SET_NAME, "dockgate-zygote", 0, 0, 0);
        zygote_reply(at, 0, getpid(), 0);
        log_debug("zygote ready");
        for (;;) {
                struct zygote_req req;
                void *buf;
                size_t len;
                int fd, rc;

                rc = fdpass_recv(at, sizeof(req), &buf, &len, &fd);
                if (rc == 0)
                        _exit(0); /* the supervisor closed the control socket: retired */
                if (rc < 0 && errno == EINTR)
                        continue;
                if (rc < 0)
                        fatal("zygote: control socket");
                if (len != sizeof(req))
                        fatalx("zygote: control message of %zu bytes", len);
                memcpy(&req, buf, sizeof(req));
                free(buf);
                if (req.magic != ZYGOTE_MAGIC || req.seq != seq + 1)
                        fatalx("zygote: bad control message (seq %u)", (unsigned)req.seq);
                if (fd < 0 || !zygote_is_channel(fd))
                        fatalx("zygote: request %u without a channel", (unsigned)req.seq);
                seq = req.seq;

                long pid =
                    syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), 0, 0, 0, 0);
                if (pid == 0) {
                        zygote_child(fd, at);
                        zygote_canary(req.canary);
                        /* Never returns; no tail call (its epilogue checks the old canary). */
                        child();
                        _exit(1);
                }
                int err = pid < 0 ? errno : 0;
                close(fd);
                zygote_reply(at, seq, pid < 0 ? 0 : (pid_t)pid, err);
        }
}
