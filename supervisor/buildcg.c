/*
 * buildcg.c - the per-peer cgroup parent of builds (buildcg.h).
 *
 * Plain file work on the cgroup filesystem: mkdir, a few writes, rmdir.
 * Each is quick (no engine request, no waiting), so it is done inline on
 * the event loop.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buildcg.h"

#define CG_MOUNTS_MAX 32
#define CG_PATH_MAX 256 /* a mount point */
#define CG_DIR_MAX 512  /* a mount point and root/peer */

struct cg_mount {
        char path[CG_PATH_MAX];
        int v2;         /* cgroup2, else a v1 hierarchy */
        char opts[256]; /* its super options ("rw,pids") */
};

int buildcg_name_ok(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > 64 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return 0;
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
               n;
}

/* The cgroup filesystems mounted at their own root, from /proc/self/mountinfo. */
static int cg_mounts(struct cg_mount *m, int max)
{
        FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096];
        int n = 0;

        if (f == NULL)
                return -1;
        while (n < max && fgets(line, sizeof(line), f) != NULL) {
                char *field[12], *save = NULL, *sep = strstr(line, " - ");
                int k = 0;

                if (sep == NULL)
                        continue;
                *sep = '\0';
                for (char *t = strtok_r(line, " ", &save); t != NULL && k < 12;
                     t = strtok_r(NULL, " ", &save))
                        field[k++] = t;
                /* id parent dev root mountpoint ... - fstype source superopts */
                char *fstype = strtok_r(sep + 3, " ", &save);
                char *source = strtok_r(NULL, " ", &save);
                char *super = strtok_r(NULL, " \n", &save);

                if (k < 5 || fstype == NULL || source == NULL || super == NULL ||
                    strcmp(field[3], "/") != 0 || strchr(field[4], '\\') != NULL)
                        continue;
                if (strcmp(fstype, "cgroup") != 0 && strcmp(fstype, "cgroup2") != 0)
                        continue;
                if (snprintf(m[n].path, sizeof(m[n].path), "%s", field[4]) >=
                    (int)sizeof(m[n].path))
                        continue;
                m[n].v2 = strcmp(fstype, "cgroup2") == 0;
                snprintf(m[n].opts, sizeof(m[n].opts), "%s", super);
                n++;
        }
        fclose(f);
        return n;
}

/* 1 when the comma-separated opts hold word. */
static int has_opt(const char *opts, const char *word)
{
        size_t n = strlen(word);

        for (const char *p = opts; p != NULL; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
                if (strncmp(p, word, n) == 0 && (p[n] == ',' || p[n] == '\0'))
                        return 1;
        }
        return 0;
}

/* out = a "/" b; -1 when it does not fit. */
static int cg_join(char *out, size_t len, const char *a, const char *b)
{
        int w = snprintf(out, len, "%s/%s", a, b);

        return w < 0 || (size_t)w >= len ? -1 : 0;
}

static int cg_write(const char *dir, const char *file, const char *val)
{
        char path[CG_DIR_MAX + 64];
        size_t n = strlen(val);
        ssize_t w;
        int fd, saved;

        if (cg_join(path, sizeof(path), dir, file) == -1) {
                errno = ENAMETOOLONG;
                return -1;
        }
        if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
                return -1;
        w = write(fd, val, n);
        saved = errno;
        close(fd);
        errno = saved;
        return w == (ssize_t)n ? 0 : -1;
}

static int cg_exists(const char *dir, const char *file)
{
        char path[CG_DIR_MAX + 64];

        if (cg_join(path, sizeof(path), dir, file) == -1)
                return 0;
        return access(path, F_OK) == 0;
}

static int cg_mkdir(const char *path)
{
        return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

#define CG_FAIL(...)                                                                           \
        do {                                                                                   \
                snprintf(err, errlen, __VA_ARGS__);                                            \
                return -1;                                                                     \
        } while (0)

/* v1: the pids hierarchy, or the memory one, gets <root>/<peer> with its limit. */
static int cg_make_v1(const struct cg_mount *ms, int n, const struct buildcg_want *w, char *err,
                      size_t errlen)
{
        const struct cg_mount *pids = NULL, *mem = NULL;
        char top[CG_DIR_MAX], dir[CG_DIR_MAX], num[32];

        for (int i = 0; i < n; i++) {
                if (!ms[i].v2 && has_opt(ms[i].opts, "pids"))
                        pids = &ms[i];
                if (!ms[i].v2 && has_opt(ms[i].opts, "memory"))
                        mem = &ms[i];
        }
        if (pids == NULL || mem == NULL)
                CG_FAIL("cgroup v1 without a %s hierarchy mounted",
                        pids == NULL ? "pids" : "memory");
        if (cg_join(top, sizeof(top), pids->path, w->root) == -1 ||
            cg_join(dir, sizeof(dir), top, w->peer) == -1)
                CG_FAIL("path too long");
        snprintf(num, sizeof(num), "%lld", (long long)w->pids_max);
        if (cg_mkdir(top) == -1 || cg_mkdir(dir) == -1 || cg_write(dir, "pids.max", num) == -1)
                CG_FAIL("pids.max: %s", strerror(errno));
        if (cg_join(top, sizeof(top), mem->path, w->root) == -1 ||
            cg_join(dir, sizeof(dir), top, w->peer) == -1)
                CG_FAIL("path too long");
        if (cg_mkdir(top) == -1)
                CG_FAIL("memory: %s", strerror(errno));
        /* Only a hierarchical memory controller bounds the containers inside (the default now).
         */
        if (cg_exists(top, "memory.use_hierarchy"))
                (void)cg_write(top, "memory.use_hierarchy", "1");
        if (cg_mkdir(dir) == -1)
                CG_FAIL("memory: %s", strerror(errno));
        snprintf(num, sizeof(num), "%lld", (long long)w->memory_max);
        /* With swap accounting, swap is bounded too: memsw first unbounded, then both. */
        if (cg_exists(dir, "memory.memsw.limit_in_bytes"))
                (void)cg_write(dir, "memory.memsw.limit_in_bytes", "-1");
        if (cg_write(dir, "memory.limit_in_bytes", num) == -1)
                CG_FAIL("memory.limit_in_bytes: %s", strerror(errno));
        if (cg_exists(dir, "memory.memsw.limit_in_bytes") &&
            cg_write(dir, "memory.memsw.limit_in_bytes", num) == -1)
                CG_FAIL("memory.memsw.limit_in_bytes: %s", strerror(errno));
        return 0;
}

/* v2: <root>/<peer> in the unified hierarchy, pids and memory enabled down to it. */
static int cg_make_v2(const struct cg_mount *ms, int n, const struct buildcg_want *w, char *err,
                      size_t errlen)
{
        const struct cg_mount *u = NULL;
        char top[CG_DIR_MAX], dir[CG_DIR_MAX], num[32];

        for (int i = 0; i < n; i++) {
                if (ms[i].v2)
                        u = &ms[i];
        }
        if (u == NULL)
                CG_FAIL("cgroup v2 is not mounted");
        if (cg_join(top, sizeof(top), u->path, w->root) == -1 ||
            cg_join(dir, sizeof(dir), top, w->peer) == -1)
                CG_FAIL("path too long");
        if (cg_write(u->path, "cgroup.subtree_control", "+pids +memory") == -1 &&
            errno != EBUSY)
                CG_FAIL("enabling pids and memory: %s", strerror(errno));
        if (cg_mkdir(top) == -1 ||
            cg_write(top, "cgroup.subtree_control", "+pids +memory") == -1)
                CG_FAIL("enabling pids and memory: %s", strerror(errno));
        if (cg_mkdir(dir) == -1)
                CG_FAIL("%s", strerror(errno));
        snprintf(num, sizeof(num), "%lld", (long long)w->pids_max);
        if (cg_write(dir, "pids.max", num) == -1)
                CG_FAIL("pids.max: %s", strerror(errno));
        snprintf(num, sizeof(num), "%lld", (long long)w->memory_max);
        if (cg_write(dir, "memory.max", num) == -1)
                CG_FAIL("memory.max: %s", strerror(errno));
        if (cg_exists(dir, "memory.swap.max") && cg_write(dir, "memory.swap.max", "0") == -1)
                CG_FAIL("memory.swap.max: %s", strerror(errno));
        (void)cg_write(dir, "cgroup.subtree_control", "+pids +memory");
        return 0;
}

int buildcg_make(const struct buildcg_want *w, char *parent, size_t plen, char *err,
                 size_t errlen)
{
        struct cg_mount *ms;
        char why[256];
        int n, rc;

        if (w->driver == NULL || strcmp(w->driver, "cgroupfs") != 0) {
                snprintf(err, errlen,
                         "the engine's cgroup driver is %s: only cgroupfs can be given the "
                         "per-peer build cgroup (docs/policy.md, Image builds)",
                         w->driver != NULL ? w->driver : "not reported");
                return -1;
        }
        if (w->version == NULL ||
            (strcmp(w->version, "1") != 0 && strcmp(w->version, "2") != 0)) {
                snprintf(err, errlen, "the engine reports cgroup version %s, not 1 or 2",
                         w->version != NULL ? w->version : "none");
                return -1;
        }
        if (!buildcg_name_ok(w->root) || !buildcg_name_ok(w->peer) || w->pids_max < 1 ||
            w->memory_max < 1) {
                snprintf(err, errlen, "the build cgroup's name or limits are not usable");
                return -1;
        }
        if ((ms = calloc(CG_MOUNTS_MAX, sizeof(*ms))) == NULL) {
                snprintf(err, errlen, "out of memory");
                return -1;
        }
        if ((n = cg_mounts(ms, CG_MOUNTS_MAX)) < 0) {
                free(ms);
                snprintf(err, errlen, "cannot read /proc/self/mountinfo: %s", strerror(errno));
                return -1;
        }
        rc = strcmp(w->version, "1") == 0 ? cg_make_v1(ms, n, w, why, sizeof(why))
                                          : cg_make_v2(ms, n, w, why, sizeof(why));
        free(ms);
        if (rc == -1) {
                snprintf(err, errlen, "the build cgroup /%s/%s cannot be made: %s", w->root,
                         w->peer, why);
                return -1;
        }
        snprintf(parent, plen, "/%s/%s", w->root, w->peer);
        return 0;
}

static int cg_rmdir_all(const char *rel)
{
        struct cg_mount *ms = calloc(CG_MOUNTS_MAX, sizeof(*ms));
        char dir[CG_DIR_MAX];
        int n, rc = 0, busy = 0;

        if (ms == NULL)
                return -1;
        n = cg_mounts(ms, CG_MOUNTS_MAX);
        for (int i = 0; i < n; i++) {
                if (cg_join(dir, sizeof(dir), ms[i].path, rel) == -1)
                        continue;
                if (rmdir(dir) == -1 && errno != ENOENT) {
                        rc = -1;
                        busy = errno;
                }
        }
        free(ms);
        if (n < 0)
                return -1;
        errno = busy;
        return rc;
}

int buildcg_remove(const char *root, const char *peer)
{
        char rel[160];

        if (!buildcg_name_ok(root) || !buildcg_name_ok(peer))
                return 0;
        if (cg_join(rel, sizeof(rel), root, peer) == -1)
                return 0;
        return cg_rmdir_all(rel);
}

void buildcg_remove_root(const char *root)
{
        if (buildcg_name_ok(root))
                (void)cg_rmdir_all(root);
}
