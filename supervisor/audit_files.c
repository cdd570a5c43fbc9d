/*
 * audit_files.c - the audit log's files (audit_impl.h): the live file,
 * size-based rotation to FILE.NNNNNN, and recovery of the chain at open
 * (a torn last line cut off, a broken last seal refused).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit_impl.h"
#include "log.h"

int audit_sync_dir(const struct audit *a)
{
        int fd = open(a->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int rc;

        if (fd < 0)
                return -1;
        rc = fsync(fd);
        close(fd);
        return rc;
}

void audit_rot_name(const struct audit *a, unsigned n, char *buf, size_t len)
{
        snprintf(buf, len, "%s.%0*u", a->name, AUDIT_ROT_DIGITS, n);
}

/* The highest N of an existing NAME.NNNNNN in the log's directory, or 0. */
static unsigned audit_last_rotated(const struct audit *a)
{
        DIR *d = opendir(a->dir);
        struct dirent *de;
        size_t nl = strlen(a->name);
        unsigned best = 0;

        if (d == NULL)
                return 0;
        while ((de = readdir(d)) != NULL) {
                const char *s = de->d_name;
                char *end;
                unsigned long n;

                if (strncmp(s, a->name, nl) != 0 || s[nl] != '.' ||
                    strspn(s + nl + 1, "0123456789") != strlen(s + nl + 1) ||
                    strlen(s + nl + 1) < AUDIT_ROT_DIGITS)
                        continue;
                n = strtoul(s + nl + 1, &end, 10);
                if (*end == '\0' && n > best && n < UINT_MAX)
                        best = (unsigned)n;
        }
        closedir(d);
        return best;
}

/*
 * The last whole line of fd: its seq and hash.  A torn last line (no
 * newline) is cut off when cut is set, its size in *cut_bytes.  Returns 1
 * when a record was found, 0 when the file holds none, -1 with err.
 */
static int audit_tail(int fd, const char *what, int cut, uint64_t *seq,
                      char hash[AUDITFMT_HEX + 1], uint64_t *cut_bytes, char *err,
                      size_t errlen)
{
        struct stat sb;
        char *buf = NULL, *end, *start;
        off_t off;
        size_t n;
        ssize_t got;
        const char *why;
        int rc = -1;

        *cut_bytes = 0;
        if (fstat(fd, &sb) < 0) {
                snprintf(err, errlen, "%s: %s", what, strerror(errno));
                return -1;
        }
        if (sb.st_size == 0)
                return 0;
        n = sb.st_size > AUDIT_TAIL_MAX ? AUDIT_TAIL_MAX : (size_t)sb.st_size;
        off = sb.st_size - (off_t)n;
        if ((buf = malloc(n + 1)) == NULL || (got = pread(fd, buf, n, off)) != (ssize_t)n) {
                snprintf(err, errlen, "%s: cannot read its end", what);
                goto out;
        }
        buf[n] = '\0';
        end = memrchr(buf, '\n', n);
        if (end == NULL || end != buf + n - 1) {
                /* A torn write: it was never acknowledged, so it may go. */
                size_t keep = end != NULL ? (size_t)(end - buf) + 1 : 0;
                if (end == NULL && off > 0) {
                        snprintf(err, errlen, "%s: its last line is longer than %d bytes", what,
                                 AUDIT_TAIL_MAX);
                        goto out;
                }
                if (!cut) {
                        snprintf(err, errlen, "%s: its last line is incomplete", what);
                        goto out;
                }
                if (ftruncate(fd, off + (off_t)keep) < 0 || fdatasync(fd) < 0) {
                        snprintf(err, errlen, "%s: cannot cut its torn last line: %s", what,
                                 strerror(errno));
                        goto out;
                }
                *cut_bytes = n - keep;
                if (end == NULL) {
                        rc = 0;
                        goto out;
                }
        }
        /* end != NULL here: a NULL end went to out above (cppcheck misses that goto). */
        /* cppcheck-suppress nullPointerRedundantCheck */
        *end = '\0';
        /* cppcheck-suppress nullPointerArithmeticRedundantCheck */
        start = memrchr(buf, '\n', (size_t)(end - buf));
        start = start != NULL ? start + 1 : buf;
        if (start == buf && off > 0) {
                snprintf(err, errlen, "%s: its last line is longer than %d bytes", what,
                         AUDIT_TAIL_MAX);
                goto out;
        }
        if (auditfmt_check(start, (size_t)(end - start), hash, &why) < 0) {
                snprintf(err, errlen, "%s: last record: %s; verify the log and move it aside",
                         what, why);
                goto out;
        }
        json_t *rec = json_loadb(start, (size_t)(end - start), JSON_REJECT_DUPLICATES, NULL);
        json_t *s = json_object_get(rec, "seq");
        if (!json_is_integer(s) || json_integer_value(s) < 1) {
                snprintf(err, errlen, "%s: last record has no valid seq", what);
                json_decref(rec);
                goto out;
        }
        *seq = (uint64_t)json_integer_value(s);
        json_decref(rec);
        rc = 1;
out:
        free(buf);
        return rc;
}

int audit_open_live(struct audit *a, char *err, size_t errlen)
{
        struct stat sb;

        a->fd = open(a->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (a->fd < 0) {
                snprintf(err, errlen, "%s: %s", a->path, strerror(errno));
                return -1;
        }
        if (fstat(a->fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
                snprintf(err, errlen, "%s: not a regular file", a->path);
                return -1;
        }
        a->file_bytes = (uint64_t)sb.st_size;
        return 0;
}

/*
 * Renames the live file aside and starts a new one that chains to it.
 * Everything queued is written and synced first, so a rotated file is
 * complete on disk before it gets its final name.
 */
void audit_rotate(struct audit *a)
{
        char rot[AUDIT_ROT_NAME], from[PATH_MAX + AUDIT_ROT_NAME + 2], err[512];
        int oldfd = a->fd;

        if (audit_flush(a) < 0)
                return; /* keep writing here; rotation is retried with the next record */
        audit_rot_name(a, a->next_rot, rot, sizeof(rot));
        snprintf(from, sizeof(from), "%s/%s", a->dir, rot);
        if (rename(a->path, from) < 0) {
                log_warn("audit: cannot rotate %s", a->path);
                return;
        }
        if (audit_open_live(a, err, sizeof(err)) < 0) {
                /* Keep appending to the renamed file: its chain still holds. */
                log_warnx("audit: after rotation: %s; still writing %s", err, from);
                if (a->fd >= 0)
                        close(a->fd);
                a->fd = oldfd;
                return;
        }
        close(oldfd);
        audit_sync_dir(a);
        a->next_rot++;
        a->st.rotations++;
        log_info("audit: rotated to %s at seq %llu", rot, (unsigned long long)a->seq);
        audit_append_now(a, "rotate", json_pack("{s:s}", "previousFile", rot));
}

/* Finds where the chain ends: the live file, else the newest rotated one. */
int audit_recover(struct audit *a, uint64_t *cut, int *cont_rotated, char *err, size_t errlen)
{
        char rot[AUDIT_ROT_NAME], rpath[PATH_MAX + AUDIT_ROT_NAME + 2];
        unsigned last = audit_last_rotated(a);
        int rc, fd;

        a->next_rot = last + 1;
        *cont_rotated = 0;
        rc = audit_tail(a->fd, a->path, 1, &a->seq, a->head, cut, err, errlen);
        if (rc != 0 || last == 0)
                return rc;
        /* An empty live file after a rotation: chain to the rotated file. */
        audit_rot_name(a, last, rot, sizeof(rot));
        snprintf(rpath, sizeof(rpath), "%s/%s", a->dir, rot);
        if ((fd = open(rpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
                snprintf(err, errlen, "%s: %s", rpath, strerror(errno));
                return -1;
        }
        uint64_t none;
        rc = audit_tail(fd, rpath, 0, &a->seq, a->head, &none, err, errlen);
        close(fd);
        if (rc == 0) {
                snprintf(err, errlen, "%s: empty rotated file", rpath);
                return -1;
        }
        if (rc == 1)
                *cont_rotated = (int)last;
        return rc;
}

int audit_split_path(struct audit *a, const char *path, char *err, size_t errlen)
{
        char tmp[PATH_MAX], *d;

        if (strlen(path) == 0 || strlen(path) >= sizeof(a->path) ||
            path[strlen(path) - 1] == '/') {
                snprintf(err, errlen, "%s: not a file path", path);
                return -1;
        }
        snprintf(a->path, sizeof(a->path), "%s", path);
        snprintf(tmp, sizeof(tmp), "%s", path);
        snprintf(a->name, sizeof(a->name), "%s", basename(tmp));
        snprintf(tmp, sizeof(tmp), "%s", path);
        d = dirname(tmp);
        snprintf(a->dir, sizeof(a->dir), "%s", d);
        if (strlen(a->name) + 1 + AUDIT_ROT_DIGITS + 3 > NAME_MAX) {
                snprintf(err, errlen, "%s: file name too long to rotate", path);
                return -1;
        }
        return 0;
}
