/*
 * flags.c - what the tool says about a flag it did not take.
 *
 * Every verb parses its own flags with getopt or getopt_long.  The link
 * wraps both (-Wl,--wrap, see the Makefile): the wrappers call the real
 * ones quietly (opterr 0) and, on a bad flag, remember the flag and the
 * verb's own table, so that main can say which flag, the nearest one the
 * verb knows, or why dockgate refuses a docker flag on purpose.  The verbs
 * themselves only see getopt's usual '?' and print their usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int __real_getopt(int argc, char *const argv[], const char *optstring);
int __real_getopt_long(int argc, char *const argv[], const char *optstring,
                       const struct option *longopts, int *longindex);
int __wrap_getopt(int argc, char *const argv[], const char *optstring);
int __wrap_getopt_long(int argc, char *const argv[], const char *optstring,
                       const struct option *longopts, int *longindex);

/* Process-wide: one command line per process, parsed by one verb. */
static struct {
        int set;
        int missing; /* the flag is known but its value is missing */
        int novalue; /* the flag is known and takes no value, but got one */
        char flag[64];
        const struct option *longopts;
        const char *optstring;
} flags_bad;

/* docker run/create flags that dockgate refuses whatever the policy, and why. */
static const struct {
        const char *flag, *why;
} flags_refused[] = {
    {"--privileged",
     "a privileged container is root on the host; the gateway never creates one"},
    {"--device", "host devices are never passed to containers"},
    {"--device-cgroup-rule", "host devices are never passed to containers"},
    {"--pid", "containers always get their own PID namespace, never the host's"},
    {"--ipc", "containers always get their own IPC namespace, never the host's"},
    {"--uts", "containers always get their own UTS namespace, never the host's"},
    {"--userns", "the user namespace mode is the engine's, never the host's"},
    {"--cgroupns", "containers always get their own cgroup namespace"},
    {"--cgroup-parent", "containers stay where the engine puts them"},
    {"--security-opt", "seccomp, AppArmor and no-new-privileges are set by the gateway"},
    {"--sysctl", "kernel parameters cannot be set per container"},
    {"--oom-kill-disable", "the memory limit is always enforced"},
    {"--log-driver", "the gateway picks the log driver that keeps output bytes as they were"},
    {"--log-opt", "the gateway picks the log driver that keeps output bytes as they were"},
};

static void flags_record(int argc, char *const argv[], const char *optstring,
                         const struct option *longopts)
{
        const char *arg = optind >= 1 && optind <= argc ? argv[optind - 1] : "";
        const char *p;
        size_t n;

        memset(&flags_bad, 0, sizeof(flags_bad));
        flags_bad.set = 1;
        flags_bad.longopts = longopts;
        flags_bad.optstring = optstring;
        if (optopt == 0 || strncmp(arg, "--", 2) == 0) {
                /* A long flag: unknown, or known without its value. */
                n = strcspn(arg, "=");
                snprintf(flags_bad.flag, sizeof(flags_bad.flag), "%.*s", (int)n, arg);
                flags_bad.missing = optopt != 0 && arg[n] == '\0';
                flags_bad.novalue = optopt != 0 && arg[n] == '=';
                return;
        }
        snprintf(flags_bad.flag, sizeof(flags_bad.flag), "-%c", optopt);
        p = optopt != ':' ? strchr(optstring, optopt) : NULL;
        flags_bad.missing = p != NULL && p[1] == ':';
}

int __wrap_getopt(int argc, char *const argv[], const char *optstring)
{
        int saved = opterr, ch;

        opterr = 0;
        ch = __real_getopt(argc, argv, optstring);
        opterr = saved;
        if (ch == '?')
                flags_record(argc, argv, optstring, NULL);
        return ch;
}

int __wrap_getopt_long(int argc, char *const argv[], const char *optstring,
                       const struct option *longopts, int *longindex)
{
        int saved = opterr, ch;

        opterr = 0;
        ch = __real_getopt_long(argc, argv, optstring, longopts, longindex);
        opterr = saved;
        if (ch == '?')
                flags_record(argc, argv, optstring, longopts);
        return ch;
}

/* Edit distance (insert, delete, substitute), for names of at most 63 bytes. */
static size_t flags_distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b), prev[64], cur[64], i, j;

        if (la > 63 || lb > 63)
                return 64;
        for (j = 0; j <= lb; j++)
                prev[j] = j;
        for (i = 1; i <= la; i++) {
                cur[0] = i;
                for (j = 1; j <= lb; j++) {
                        size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
                        size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
                        cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
                }
                memcpy(prev, cur, sizeof(prev));
        }
        return prev[lb];
}

/* The verb's long flag nearest to name ("--rn" -> "rm"), or NULL if none is near. */
static const char *flags_nearest(const char *name)
{
        const struct option *o;
        const char *best = NULL;
        size_t d, bestd = strlen(name) / 3 + 1;

        for (o = flags_bad.longopts; o != NULL && o->name != NULL; o++) {
                if ((d = flags_distance(name, o->name)) <= bestd) {
                        best = o->name;
                        bestd = d;
                }
        }
        return best;
}

int flags_explain(char *buf, size_t len)
{
        const char *near;
        size_t i;

        if (!flags_bad.set)
                return 0;
        if (flags_bad.missing || flags_bad.novalue) {
                snprintf(buf, len, "flag %s %s", flags_bad.flag,
                         flags_bad.missing ? "needs a value" : "takes no value");
                return 1;
        }
        for (i = 0; i < sizeof(flags_refused) / sizeof(flags_refused[0]); i++) {
                if (strcmp(flags_bad.flag, flags_refused[i].flag) == 0) {
                        snprintf(buf, len, "%s is refused on purpose: %s", flags_bad.flag,
                                 flags_refused[i].why);
                        return 1;
                }
        }
        if (strncmp(flags_bad.flag, "--", 2) == 0 &&
            (near = flags_nearest(flags_bad.flag + 2)) != NULL)
                snprintf(buf, len, "unknown flag %s; did you mean --%s?", flags_bad.flag, near);
        else
                snprintf(buf, len, "unknown flag %s", flags_bad.flag);
        return 1;
}
