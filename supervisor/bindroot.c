/*
 * bindroot.c - host paths resolved beneath a policy root (bindroot.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bindroot.h"

static int bindroot_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bindroot_fail(char *err, size_t errlen, const char *fmt, ...)
{
        va_list ap;

        if (err != NULL && errlen > 0) {
                va_start(ap, fmt);
                vsnprintf(err, errlen, fmt, ap);
                va_end(ap);
        }
        return -1;
}

int bindroot_under(const char *root, const char *host)
{
        size_t n = strlen(root);

        return strncmp(host, root, n) == 0 && (host[n] == '\0' || host[n] == '/');
}

/* Every component a plain name: no "", ".", ".." (no "//", no trailing "/"). */
static int bindroot_clean(const char *p)
{
        const char *seg = p, *end;
        size_t n;

        if (*p == '\0')
                return 1;
        for (;;) {
                end = strchr(seg, '/');
                n = end != NULL ? (size_t)(end - seg) : strlen(seg);
                if (n == 0 || (n == 1 && seg[0] == '.') ||
                    (n == 2 && seg[0] == '.' && seg[1] == '.'))
                        return 0;
                if (end == NULL)
                        return 1;
                seg = end + 1;
        }
}

int bindroot_root_ok(const char *root, char *err, size_t errlen)
{
        char real[PATH_MAX];

        if (root[0] != '/' || strcmp(root, "/") == 0 || strlen(root) >= BINDROOT_PATH_MAX ||
            !bindroot_clean(root + 1))
                return bindroot_fail(err, errlen,
                                     "must be an absolute path other than /, without "
                                     "\".\", \"..\", \"//\" or a trailing /%s",
                                     "");
        /* A root whose own name passes through a symlink would be checked by one name and
         * mounted by another. */
        if (realpath(root, real) != NULL && strcmp(real, root) != 0)
                return bindroot_fail(err, errlen, "is not canonical: it resolves to %s", real);
        return 0;
}

/* The engine's paths may be neither mounted nor inside what is. */
static const char *bindroot_forbidden(const char *path, const char *const *forbidden)
{
        size_t i;

        for (i = 0; forbidden != NULL && forbidden[i] != NULL; i++)
                if (forbidden[i][0] == '/' &&
                    (bindroot_under(path, forbidden[i]) || bindroot_under(forbidden[i], path)))
                        return forbidden[i];
        return NULL;
}

int bindroot_open(const char *root, const char *host, const char *const *forbidden, char *err,
                  size_t errlen)
{
        struct open_how how;
        char link[64], seen[PATH_MAX];
        const char *rel;
        struct stat st;
        int rfd, fd;
        ssize_t n;
        size_t hl = strlen(host);

        if (bindroot_root_ok(root, err, errlen) < 0)
                return -1;
        if (host[0] != '/' || !bindroot_under(root, host))
                return bindroot_fail(err, errlen, "%s is not beneath a bind root of this peer",
                                     host);
        rel = host + strlen(root);
        rel += *rel == '/';
        if (!bindroot_clean(rel) || (hl > 1 && host[hl - 1] == '/') || hl >= PATH_MAX)
                return bindroot_fail(err, errlen,
                                     "%s: no \".\", \"..\", \"//\" or trailing / in host paths",
                                     host);
        if (bindroot_forbidden(host, forbidden) != NULL)
                return bindroot_fail(err, errlen, "%s is or holds the engine's own files",
                                     host);
        rfd = open(root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (rfd < 0)
                return bindroot_fail(err, errlen, "the bind root of %s is not there", host);
        memset(&how, 0, sizeof(how));
        how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
        fd = *rel == '\0' ? dup(rfd) : (int)syscall(SYS_openat2, rfd, rel, &how, sizeof(how));
        close(rfd);
        if (fd < 0) {
                if (errno == ELOOP || errno == EXDEV)
                        return bindroot_fail(err, errlen,
                                             "%s passes through a symlink or leaves its root",
                                             host);
                if (errno == ENOENT || errno == ENOTDIR)
                        return bindroot_fail(err, errlen, "%s does not exist", host);
                return bindroot_fail(err, errlen, "%s cannot be opened", host);
        }
        /* O_NOFOLLOW with O_PATH opens a last-component symlink itself: refused here. */
        if (fstat(fd, &st) != 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
                close(fd);
                return bindroot_fail(err, errlen,
                                     "%s is not a directory or regular file (devices, "
                                     "sockets, fifos and symlinks are refused)",
                                     host);
        }
        /* The name the kernel has for what we opened must be the one we will mount. */
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, seen, sizeof(seen) - 1);
        if (n < 0 || (size_t)n >= sizeof(seen)) {
                close(fd);
                return bindroot_fail(err, errlen, "%s cannot be checked", host);
        }
        seen[n] = '\0';
        if (strcmp(seen, host) != 0) {
                close(fd);
                return bindroot_fail(err, errlen, "%s changed while it was checked", host);
        }
        return fd;
}

int bindroot_resolve(const char *root, const char *host, const char *const *forbidden,
                     char *out, size_t outlen, char *err, size_t errlen)
{
        int fd;

        if (strlen(host) >= outlen)
                return bindroot_fail(err, errlen, "%s is too long", host);
        if ((fd = bindroot_open(root, host, forbidden, err, errlen)) < 0)
                return -1;
        close(fd);
        snprintf(out, outlen, "%s", host);
        return 0;
}
