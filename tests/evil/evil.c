/*
 * evil.c - what a compromised worker would try, as test hooks (worker/hooks.h).
 *
 * SECURITY: none of this exists in dockgate-worker.  Only the test-only
 * build/bin/dockgate-worker-evil links it, beside the very worker objects
 * that are shipped; it sets worker_hooks before main() runs.  The attacks
 * then run inside the real sandbox, after demotion.
 */
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <unistd.h>

#include "call.h"
#include "hooks.h"
#include "log.h"
#include "peer.h"

#define EVIL_PREFIX "test/violate/"

/*
 * Each one is the raw syscall, so that libc cannot quietly use another
 * (open -> openat, fork -> clone).  Returns what the kernel returned.
 */
static long evil_socket(void)
{
        return syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
}

static long evil_connect(void)
{
        struct sockaddr_un sun;

        memset(&sun, 0, sizeof(sun));
        sun.sun_family = AF_UNIX;
        snprintf(sun.sun_path, sizeof(sun.sun_path), "/var/run/docker.sock");
        /* fd 3 is a connected socket: the kernel would answer EISCONN, if asked. */
        return syscall(SYS_connect, 3, &sun, sizeof(sun));
}

static long evil_open(void)
{
#ifdef SYS_open
        return syscall(SYS_open, "/etc/passwd", O_RDONLY);
#else
        return syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
#endif
}

static long evil_execve(void)
{
        char *const argv[] = {"/bin/true", NULL};
        char *const envp[] = {NULL};

        return syscall(SYS_execve, "/bin/true", argv, envp);
}

static long evil_fork(void)
{
        long pid;

#ifdef SYS_fork
        pid = syscall(SYS_fork);
#else
        pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
#endif
        if (pid == 0)
                _exit(0); /* the child, if the kernel let it exist */
        return pid;
}

/*
 * What the zygote's own filter allows (sandbox/seccomp.c) and each child's
 * stacked filter refuses again: its exact clone, and dup2 over the channel.
 */
static long evil_zygote_clone(void)
{
        long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);

        if (pid == 0)
                _exit(0);
        return pid;
}

static long evil_dup_over_channel(void)
{
#ifdef SYS_dup2
        return syscall(SYS_dup2, 0, 3);
#else
        return syscall(SYS_dup3, 0, 3, 0);
#endif
}

static long evil_ptrace(void)
{
        return syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0);
}

static long evil_mmap_exec(void)
{
        void *p;

        p = (void *)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? -1 : 0;
}

/* sendmsg on via, passing fd with SCM_RIGHTS. */
static long evil_send_fd(int via, int fd)
{
        char data = 'x', ctl[CMSG_SPACE(sizeof(int))];
        struct iovec iov = {&data, 1};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = ctl,
                            .msg_controllen = sizeof(ctl)};
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

        memset(ctl, 0, sizeof(ctl));
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
        return syscall(SYS_sendmsg, via, &mh, 0);
}

/* Hands the channel (fd 3) to another descriptor with SCM_RIGHTS: fd 0 here. */
static long evil_fd_pass(void)
{
        return evil_send_fd(0, 3);
}

/*
 * Puts another descriptor (fd 0) where the channel was, then passes fd 0
 * through it: close(3) must be refused, else F_DUPFD fills the number.
 */
static long evil_swap_channel(void)
{
        if (syscall(SYS_close, 3) == -1 || syscall(SYS_fcntl, 0, F_DUPFD, 3) != 3)
                return -1;
        return evil_send_fd(3, 0);
}

#ifdef __x86_64__
/* The x32 ABI: same audit arch as x86_64, syscall number with bit 30 set. */
static long evil_x32(void)
{
        return syscall(0x40000000L | SYS_getpid);
}
#endif

static const struct {
        const char *name;
        long (*fn)(void);
} evil_table[] = {
    {"socket", evil_socket},
    {"connect", evil_connect},
    {"open", evil_open},
    {"execve", evil_execve},
    {"fork", evil_fork},
    {"zygote_clone", evil_zygote_clone},
    {"dup_over_channel", evil_dup_over_channel},
    {"ptrace", evil_ptrace},
    {"mmap_exec", evil_mmap_exec},
    {"fd_pass", evil_fd_pass},
    {"swap_channel", evil_swap_channel},
#ifdef __x86_64__
    {"x32", evil_x32},
#endif
};

/* The stack canary this worker checks its frames with (x86_64: the TCB's). */
static unsigned long long evil_canary(void)
{
        unsigned long long v = 0;

#if defined(__x86_64__)
        __asm__ volatile("movq %%fs:0x28, %0" : "=r"(v));
#endif
        return v;
}

static int evil_call(struct session *s, const struct envelope *env)
{
        const char *name;
        char msg[128];
        char *json;
        size_t i, len;
        long rc;

        if (strncmp(env->operation, EVIL_PREFIX, strlen(EVIL_PREFIX)) != 0)
                return 0;
        name = env->operation + strlen(EVIL_PREFIX);
        /* Not an attack: what a leak of the canary would give, for test_zygote. */
        if (strcmp(name, "canary") == 0) {
                snprintf(msg, sizeof(msg), "canary %016llx", evil_canary());
                json = envelope_error(env->id, DG_INTERNAL, msg, NULL, &len);
                if (json == NULL || peer_send_frame(s, json, len) == -1)
                        fatalx("evil: cannot build a frame");
                return 1;
        }
        for (i = 0; i < sizeof(evil_table) / sizeof(evil_table[0]); i++) {
                if (strcmp(evil_table[i].name, name) != 0)
                        continue;
                log_warnx("evil: trying %s", name);
                rc = evil_table[i].fn();
                log_warnx("evil: %s survived (returned %ld, %s)", name, rc,
                          rc == -1 ? strerror(errno) : "ok");
                snprintf(msg, sizeof(msg), "sandbox allowed %s", name);
                json = envelope_error(env->id, DG_INTERNAL, msg, NULL, &len);
                if (json == NULL || peer_send_frame(s, json, len) == -1)
                        fatalx("evil: cannot build a frame");
                return 1;
        }
        return 0;
}

static void evil_stream(int fd)
{
        static const char body[] = "{\"Image\":\"dgtest:latest\"}";
        char req[512];
        int n;
        ssize_t w;

        n = snprintf(req, sizeof(req),
                     "POST /v1.41/containers/create?name=dg-evil-pipelined HTTP/1.1\r\n"
                     "Host: docker\r\n"
                     "Content-Type: application/json\r\n"
                     "Content-Length: %zu\r\n"
                     "\r\n"
                     "%s",
                     sizeof(body) - 1, body);
        if (n < 0 || (size_t)n >= sizeof(req))
                fatalx("evil: request too long");
        w = write(fd, req, (size_t)n);
        log_warnx("evil: pipelined a create request on the engine connection (%zd of %d bytes)",
                  w, n);
}

static const struct worker_hooks evil_hooks = {
    .call = evil_call,
    .stream = evil_stream,
};

__attribute__((constructor)) static void evil_install(void)
{
        worker_hooks = &evil_hooks;
}
