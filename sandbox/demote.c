/*
 * demote.c - the worker's one-way privilege drop, in a fixed order.
 *
 * SECURITY: what each step buys (the worker parses hostile peer bytes and
 * hostile container output; assume it gets compromised):
 *
 *  1. bounding set cleared (while still root: PR_CAPBSET_DROP needs
 *     CAP_SETPCAP, which setresuid() below takes away, so this one step runs
 *     first; it does not touch the effective set the id steps still need):
 *     no execve can ever bring a capability back.
 *  2. setgroups(gid): no supplementary group of the supervisor (docker!) is
 *     inherited; the Docker socket's group is the classic way to root.
 *  3. setresgid, then setresuid (gid first, while we may still change it):
 *     real, effective and saved ids all become the unprivileged ones, so
 *     there is no saved id to switch back to.  The kernel clears the
 *     permitted and effective capabilities on the transition from uid 0.
 *  4. prove it: setuid(0) and setgid(0) must now fail.  A misconfigured uid
 *     of 0 is caught here.
 *  5. ambient set cleared and capset() with empty sets: nothing left even if
 *     the process was started with capabilities as a non-root user.
 *  6. rlimits: NPROC 0 (no fork even if the filter had a hole; the zygote
 *     keeps its NPROC and each child it forks sets 0 itself), FSIZE 0 (no
 *     file grows), CORE 0 (no core file with peer data), NOFILE 16 (a
 *     handful of descriptors is all a one-stream worker needs), MEMLOCK 0.
 *  7. not dumpable: no ptrace attach or /proc/pid/mem by other processes of
 *     the same uid (e.g. another compromised worker running as nobody).
 *  8. no_new_privs: execve can never gain privileges (setuid binaries, file
 *     capabilities), and it lets an unprivileged process load seccomp.
 *
 * Every step is fatal on failure: a half-demoted worker must never serve.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/capability.h>

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

/* Highest capability number we try; the kernel answers EINVAL past its own last one. */
#define DEMOTE_CAP_TRY_MAX 63

static void demote_bounding(int privileged)
{
        int cap;

        for (cap = 0; cap <= DEMOTE_CAP_TRY_MAX; cap++) {
                if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == -1) {
                        if (errno == EINVAL)
                                break; /* past the kernel's last capability */
                        fatal("prctl(PR_CAPBSET_READ, %d)", cap);
                }
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
                        continue;
                if (errno == EINVAL)
                        break;
                /*
                 * SECURITY: started unprivileged (tests), we lack CAP_SETPCAP
                 * and hold no capability at all; no_new_privs and the filter
                 * keep execve from granting any, so the bounding set is moot.
                 */
                if (errno == EPERM && !privileged)
                        return;
                fatal("prctl(PR_CAPBSET_DROP, %d)", cap);
        }
}

static void demote_ids(uid_t uid, gid_t gid)
{
        if (setgroups(1, &gid) == -1)
                fatal("setgroups(%u)", (unsigned)gid);
        if (setresgid(gid, gid, gid) == -1)
                fatal("setresgid(%u)", (unsigned)gid);
        if (setresuid(uid, uid, uid) == -1)
                fatal("setresuid(%u)", (unsigned)uid);
}

static void demote_prove(void)
{
        if (setuid(0) != -1)
                fatalx("demote: setuid(0) succeeded after dropping privileges");
        if (setgid(0) != -1)
                fatalx("demote: setgid(0) succeeded after dropping privileges");
}

static void demote_caps(void)
{
        struct __user_cap_header_struct hdr;
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1)
                fatal("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
        memset(&hdr, 0, sizeof(hdr));
        memset(data, 0, sizeof(data));
        hdr.version = _LINUX_CAPABILITY_VERSION_3;
        hdr.pid = 0;
        if (syscall(SYS_capset, &hdr, data) == -1)
                fatal("capset");
}

static void demote_rlimit(int resource, const char *name, rlim_t value)
{
        struct rlimit rl;

        rl.rlim_cur = value;
        rl.rlim_max = value;
        if (setrlimit(resource, &rl) == -1)
                fatal("setrlimit(%s, %lu)", name, (unsigned long)value);
}

void sandbox_no_fork(void)
{
        demote_rlimit(RLIMIT_NPROC, "RLIMIT_NPROC", 0);
}

void sandbox_demote(uid_t uid, gid_t gid, unsigned calls, int may_fork)
{
        int privileged = geteuid() == 0;

        if (!privileged &&
            (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid))
                fatalx("demote: not root, and uid/gid %u/%u are not ours", (unsigned)uid,
                       (unsigned)gid);

        demote_bounding(privileged);
        if (privileged)
                demote_ids(uid, gid);
        demote_prove();
        demote_caps();

        if (!may_fork)
                sandbox_no_fork();
        demote_rlimit(RLIMIT_FSIZE, "RLIMIT_FSIZE", 0);
        demote_rlimit(RLIMIT_CORE, "RLIMIT_CORE", 0);
        /* Its own few, plus one engine connection per call it may have in flight. */
        demote_rlimit(RLIMIT_NOFILE, "RLIMIT_NOFILE", 16 + calls);
        demote_rlimit(RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK", 0);
        /*
         * SECURITY: with FSIZE 0 a write to a regular file raises SIGXFSZ,
         * which would kill the worker if the supervisor's stderr is a file;
         * ignored, the write fails with EFBIG instead and no file grows.
         */
        if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
                fatal("signal(SIGXFSZ)");

        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
                fatal("prctl(PR_SET_DUMPABLE)");
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
                fatal("prctl(PR_SET_NO_NEW_PRIVS)");
        log_debug("demoted to uid %u gid %u", (unsigned)uid, (unsigned)gid);
}
