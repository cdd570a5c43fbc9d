/*
 * seccomp.c - the worker's syscall allowlist (libseccomp).
 *
 * SECURITY: everything not listed kills the whole process (SIGSYS), which
 * the supervisor reports and audits.  The list is what one single-threaded
 * libevent worker relaying already-open sockets needs, found with strace -f
 * on real streams; no syscall that creates a descriptor from a name or an
 * address (socket, connect, open*, accept), starts a program or a process
 * (execve*, fork, vfork, clone*), or touches another process (ptrace, kill,
 * process_vm_*) is in it.  Only the native architecture is accepted; on
 * x86_64 the x32 ABI (same audit arch, syscall numbers with bit 30 set) is
 * refused by libseccomp's generated check, since x32 is never added.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

struct seccomp_rule {
        int nr;
        const char *name;
};

#define SC(n)                                                                                  \
        {                                                                                      \
                SCMP_SYS(n), #n                                                                \
        }

/*
 * Observed with strace -f on real streams: read, write, writev, recvfrom
 * (fdpass_recv peeks the size), recvmsg, sendmsg (channel only, below), close, fcntl,
 * getsockopt, epoll_ctl, epoll_wait, poll, brk, mmap, munmap, getpid,
 * exit_group.  The others are the same operations on other architectures,
 * or paths a given run may not take (noted below).  Deliberately absent,
 * though often allowed elsewhere: fstat/newfstatat (a path-taking stat would
 * let a worker probe the file system; glibc does not stat an unbuffered
 * stderr), ioctl, madvise (Dirty COW's other half), futex and rt_sig* (one
 * thread, no signal handlers), getrandom (jansson is seeded before).
 */
static const struct seccomp_rule seccomp_allow[] = {
    /* Relaying bytes on descriptors the worker was given (peer, engine, channel). */
    SC(read),
    SC(write),    /* log lines on stderr; the evil test's pipelined request */
    SC(writev),   /* evbuffer_write towards the peer */
    SC(recvfrom), /* fdpass_recv: MSG_PEEK for the size */
    SC(recvmsg),  /* fdpass_recv: messages and SCM_RIGHTS from the supervisor */
    SC(sendto),   /* syslog() (--syslog) sends on the socket opened before the filter */
    SC(shutdown), /* half-close: raw-carriage relays end stdin this way */
    /* close: all but the channel (seccomp_allow_sendmsg) */
    SC(fcntl),      /* O_NONBLOCK on received descriptors */
    SC(getsockopt), /* SO_TYPE check of the peer descriptor */

    /* The libevent loop (epoll backend) and the blocking waits on the channel. */
    SC(epoll_ctl),
    SC(epoll_wait),
    SC(epoll_pwait), /* what glibc's epoll_wait() is on arm64 */
    SC(poll),
    SC(ppoll), /* what glibc's poll() is on arm64 */

    /* Time for timers: normally the vDSO, the syscall where the clocksource has none. */
    SC(clock_gettime),
    SC(gettimeofday),

    /* Memory (mmap and mprotect: non-executable only, below). */
    SC(brk),
    SC(munmap),
    SC(mremap), /* realloc of a large (mmap'd) block */

    /* Log prefixes, and leaving. */
    SC(getpid),
    SC(exit_group),
};

static void seccomp_allow_rule(scmp_filter_ctx ctx, const struct seccomp_rule *r)
{
        int rc;

        if (r->nr < 0)
                return; /* no such syscall on this architecture: nothing to allow */
        if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 0)) != 0)
                fatalx("seccomp: allow %s: %s", r->name, strerror(-rc));
}

/*
 * SECURITY: mmap and mprotect only without PROT_EXEC: a compromised worker
 * cannot map or make executable memory for shellcode.  pkey_mprotect and
 * remap_file_pages are not listed at all.
 */
static void seccomp_allow_noexec(scmp_filter_ctx ctx, int nr, const char *name)
{
        int rc;

        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                              SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
        if (rc != 0)
                fatalx("seccomp: allow %s without PROT_EXEC: %s", name, strerror(-rc));
}

/*
 * SECURITY: the filter holds the native architecture only.  seccomp_init()
 * adds just that one, but check it rather than trust it: a second ABI (i386
 * on x86_64, x32) would be a second, unfiltered syscall table.
 */
static void seccomp_check_arch(scmp_filter_ctx ctx)
{
        static const uint32_t foreign[] = {
            SCMP_ARCH_X86,     SCMP_ARCH_X86_64,   SCMP_ARCH_X32,         SCMP_ARCH_ARM,
            SCMP_ARCH_AARCH64, SCMP_ARCH_MIPS,     SCMP_ARCH_MIPS64,      SCMP_ARCH_MIPS64N32,
            SCMP_ARCH_MIPSEL,  SCMP_ARCH_MIPSEL64, SCMP_ARCH_MIPSEL64N32, SCMP_ARCH_PPC,
            SCMP_ARCH_PPC64,   SCMP_ARCH_PPC64LE,  SCMP_ARCH_S390,        SCMP_ARCH_S390X,
            SCMP_ARCH_RISCV64,
        };
        uint32_t native = seccomp_arch_native();
        size_t i;
        int rc;

        if ((rc = seccomp_arch_exist(ctx, SCMP_ARCH_NATIVE)) != 0)
                fatalx("seccomp: native architecture missing from the filter: %s",
                       strerror(-rc));
        for (i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
                if (foreign[i] == native)
                        continue;
                rc = seccomp_arch_exist(ctx, foreign[i]);
                if (rc == -EEXIST)
                        continue;
                if (rc != 0)
                        fatalx("seccomp: arch check: %s", strerror(-rc));
                if ((rc = seccomp_arch_remove(ctx, foreign[i])) != 0)
                        fatalx("seccomp: cannot remove a foreign arch: %s", strerror(-rc));
        }
        /* Anything else (another arch's audit value) kills the process. */
        rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        if (rc != 0)
                fatalx("seccomp: bad-arch action: %s", strerror(-rc));
}

/*
 * SECURITY: sendmsg only on the channel.  On the peer's unix socket it could
 * pass descriptors (SCM_RIGHTS): the channel itself, or an engine connection.
 * Bytes to the peer and the engine go out with write/writev.
 */
static void seccomp_allow_sendmsg(scmp_filter_ctx ctx, int chan)
{
        int rc;

        /*
         * SECURITY: and never close the channel.  Were it closed, F_DUPFD or a
         * descriptor the peer sends (recvmsg) would land on its number, and
         * sendmsg would pass descriptors to whatever that is: the peer.
         */
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(close), 1,
                              SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)chan));
        if (rc != 0)
                fatalx("seccomp: allow close but of fd %d: %s", chan, strerror(-rc));

        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)chan));
        if (rc != 0)
                fatalx("seccomp: allow sendmsg on fd %d: %s", chan, strerror(-rc));
}

/*
 * What the zygote needs beyond a worker's list, each as narrow as its one use
 * (worker/zygote.c): clone with exactly CLONE_PARENT | SIGCHLD, and in each
 * child before its own filter: dup2/dup3 (the channel to fd 3), prlimit64 on
 * itself for RLIMIT_NPROC (setrlimit), prctl PR_SET_NAME and PR_SET_SECCOMP,
 * and epoll_create1, pipe2 and the get*id calls (its event base: libevent's
 * signal pipe, and its set-uid check before it reads an environment variable).  The child's
 * filter (seccomp_child) refuses all of these again.
 */
static void seccomp_allow_zygote(scmp_filter_ctx ctx)
{
        static const struct seccomp_rule plain[] = {SC(dup2),   SC(dup3),   SC(epoll_create1),
                                                    SC(pipe2),  SC(getuid), SC(geteuid),
                                                    SC(getgid), SC(getegid)};
        size_t i;
        int rc;

        for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
                seccomp_allow_rule(ctx, &plain[i]);
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)(CLONE_PARENT | SIGCHLD)));
        if (rc == 0)
                rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2,
                                      SCMP_A0(SCMP_CMP_EQ, 0),
                                      SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)RLIMIT_NPROC));
        if (rc == 0)
                rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                                      SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
        if (rc == 0)
                rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                                      SCMP_A0(SCMP_CMP_EQ, PR_SET_SECCOMP));
        if (rc != 0)
                fatalx("seccomp: the zygote's rules: %s", strerror(-rc));
}

/* The whole filter, not loaded; the caller releases it.  zygote: with its extra rules. */
static scmp_filter_ctx seccomp_build(int chan, int zygote)
{
        scmp_filter_ctx ctx;
        size_t i;
        int rc;

        if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
                fatalx("seccomp_init failed");
        seccomp_check_arch(ctx);
        /* no_new_privs is set by sandbox_demote(); do not let libseccomp set it silently. */
        if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) != 0)
                fatalx("seccomp: NNP attribute: %s", strerror(-rc));

        for (i = 0; i < sizeof(seccomp_allow) / sizeof(seccomp_allow[0]); i++)
                seccomp_allow_rule(ctx, &seccomp_allow[i]);
        seccomp_allow_noexec(ctx, SCMP_SYS(mmap), "mmap");
        seccomp_allow_noexec(ctx, SCMP_SYS(mprotect), "mprotect");
        seccomp_allow_sendmsg(ctx, chan);
        if (zygote)
                seccomp_allow_zygote(ctx);
        return ctx;
}

/*
 * The child's filter, stacked on the zygote's: everything the zygote's
 * filter allows but a worker's does not is refused here, so that the two
 * together allow exactly a worker's list.  A handful of instructions: what
 * the kernel checks and compiles for each child is this, not the whole list.
 */
static scmp_filter_ctx seccomp_build_child(void)
{
        static const struct seccomp_rule deny[] = {
            SC(dup2),      SC(dup3),    SC(epoll_create1), SC(clone), SC(prctl),
            SC(prlimit64), SC(seccomp), SC(clone3),        SC(pipe2), SC(getuid),
            SC(geteuid),   SC(getgid),  SC(getegid)};
        scmp_filter_ctx ctx;
        size_t i;
        int rc;

        if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
                fatalx("seccomp_init failed");
        seccomp_check_arch(ctx);
        if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) != 0)
                fatalx("seccomp: NNP attribute: %s", strerror(-rc));
        for (i = 0; i < sizeof(deny) / sizeof(deny[0]); i++) {
                if (deny[i].nr < 0)
                        continue;
                rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, deny[i].nr, 0);
                if (rc != 0)
                        fatalx("seccomp: refuse %s: %s", deny[i].name, strerror(-rc));
        }
        return ctx;
}

void sandbox_seccomp(int chan)
{
        scmp_filter_ctx ctx = seccomp_build(chan, 0);
        int rc;

        /* SECURITY: never fail open: no filter, no worker. */
        if ((rc = seccomp_load(ctx)) != 0)
                fatalx("seccomp_load: %s", strerror(-rc));
        seccomp_release(ctx);
        log_debug("seccomp filter loaded");
}

/*
 * A filter as BPF (libseccomp's generator runs here, once).  libseccomp 2.5
 * exports only to a descriptor: a pipe, read back whole (a filter of this
 * size is a few hundred instructions, far below the pipe's capacity).
 * Releases ctx.
 */
static void seccomp_export(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
        size_t cap = 65536, len = 0;
        char *buf;
        int p[2], rc;

        if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1)
                fatal("seccomp: pipe");
        if ((rc = seccomp_export_bpf(ctx, p[1])) != 0)
                fatalx("seccomp_export_bpf: %s", strerror(-rc));
        close(p[1]);
        seccomp_release(ctx);
        if ((buf = malloc(cap)) == NULL)
                fatal("seccomp: malloc");
        for (;;) {
                ssize_t n = read(p[0], buf + len, cap - len);
                if (n == 0)
                        break;
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        fatal("seccomp: reading the exported filter");
                len += (size_t)n;
                if (len == cap)
                        fatalx("seccomp: exported filter too large");
        }
        close(p[0]);
        if (len == 0 || len % sizeof(struct sock_filter) != 0 ||
            len / sizeof(struct sock_filter) > BPF_MAXINSNS)
                fatalx("seccomp: exported filter of %zu bytes", len);
        prog->len = (unsigned short)(len / sizeof(struct sock_filter));
        prog->filter = (struct sock_filter *)buf;
}

void sandbox_seccomp_zygote(int chan, struct sock_fprog *child)
{
        struct sock_fprog own;

        seccomp_export(seccomp_build(chan, 1), &own);
        seccomp_export(seccomp_build_child(), child);
        sandbox_seccomp_install(&own);
        free(own.filter);
        log_debug("zygote filter loaded (%u instructions); each child's: %u", (unsigned)own.len,
                  (unsigned)child->len);
}

void sandbox_seccomp_install(const struct sock_fprog *prog)
{
        /* SECURITY: never fail open: no filter, no worker.  no_new_privs is already set. */
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0, 0) == -1)
                fatal("prctl(PR_SET_SECCOMP)");
}
