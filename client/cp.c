/*
 * cp.c - `dockgate cp`: copying files and directories between a container
 * and the local file system, like docker cp.
 *
 *     dockgate cp CONTAINER:SRC DEST     DEST "-": the tar archive to stdout
 *     dockgate cp SRC CONTAINER:DEST     SRC "-": a tar archive from stdin
 *
 * The archive travels as raw-carriage chunks (archive/get, archive/put);
 * the local side is packed and unpacked by /bin/tar through a pipe.  As
 * with docker cp: copying into an existing directory puts SRC inside it,
 * and a DEST that does not exist (its parent does) receives SRC under
 * DEST's name.  A local path holding ':' is written with a "./" or "/"
 * in front.
 *
 * SECURITY: an archive from a container is hostile data.  GNU tar's
 * defaults refuse absolute names and ".." when extracting, and
 * --no-same-owner keeps every file ours.  Going in, the server checks each
 * tar header (worker/tar.c) whatever this tool sends.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "raw.h"

#define CP_USAGE "cp CONTAINER:SRC DEST|-  or  cp SRC|- CONTAINER:DEST"
#define CP_TAR "/bin/tar"

struct cp_ref {
        char *container; /* NULL: a local path */
        char *path;
};

/* "name:path" names a container unless it starts like a path ("/", "."). */
static int cp_split(const char *arg, struct cp_ref *r)
{
        const char *colon = strchr(arg, ':');

        memset(r, 0, sizeof(*r));
        if (colon == NULL || arg[0] == '/' || arg[0] == '.' || colon == arg) {
                r->path = strdup(arg);
                return r->path != NULL && r->path[0] != '\0' ? 0 : -1;
        }
        r->container = strndup(arg, (size_t)(colon - arg));
        r->path = strdup(colon + 1);
        return r->container != NULL && r->path != NULL && r->path[0] != '\0' ? 0 : -1;
}

static void cp_ref_free(struct cp_ref *r)
{
        free(r->container);
        free(r->path);
}

/* The last component of path (trailing slashes ignored), and its directory. */
static int cp_parts(const char *path, char **dir, char **base)
{
        char *a = strdup(path), *b = strdup(path);

        if (a == NULL || b == NULL) {
                free(a);
                free(b);
                return -1;
        }
        *dir = strdup(dirname(a));
        *base = strdup(basename(b));
        free(a);
        free(b);
        if (*dir == NULL || *base == NULL)
                return -1;
        return 0;
}

/* Starts tar with argv; its stdin (extract) or stdout (create) is the pipe end returned. */
int cp_tar(char *const argv[], int create, pid_t *pid)
{
        int p[2];

        if (pipe2(p, O_CLOEXEC) == -1)
                return -1;
        if ((*pid = fork()) == -1) {
                close(p[0]);
                close(p[1]);
                return -1;
        }
        if (*pid == 0) {
                signal(SIGPIPE, SIG_DFL);
                if (dup2(create ? p[1] : p[0], create ? STDOUT_FILENO : STDIN_FILENO) == -1)
                        _exit(127);
                execv(CP_TAR, argv);
                execvp("tar", argv);
                _exit(127);
        }
        close(create ? p[1] : p[0]);
        return create ? p[0] : p[1];
}

/* Waits for tar; a failure of its own becomes the verb's only if the copy went well. */
int cp_tar_wait(struct cli *cli, pid_t pid, int rc)
{
        int status;

        while (waitpid(pid, &status, 0) == -1) {
                if (errno != EINTR) {
                        status = -1;
                        break;
                }
        }
        if (rc != CLI_OK || (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0))
                return rc;
        cli_seterr(cli, "tar failed (status %d)",
                   status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return CLI_FAILED;
}

/* Starts tar once the archive is on its way (raw_io.opened): not for a refused call. */
struct cp_untar {
        struct cli *cli;
        char *target;
        pid_t pid;
};

/* What cp_untar_start is given: the caller's untar, and the session's own io. */
struct cp_opened {
        struct cp_untar *u;
        struct raw_io *io;
};

static int cp_untar_start(void *arg)
{
        struct cp_opened *o = arg;
        struct cp_untar *u = o->u;
        char *argv[] = {"tar", "-x", "--no-same-owner", "-f", "-", "-C", u->target, NULL};

        if ((o->io->out_fd = cp_tar(argv, 0, &u->pid)) == -1) {
                cli_seterr(u->cli, "tar: %s", strerror(errno));
                return CLI_FAILED;
        }
        return CLI_OK;
}

static int cp_session(struct cli *cli, const char *op, const char *container, const char *path,
                      int in_fd, int out_fd, struct cp_untar *untar)
{
        struct raw_io io = {in_fd, out_fd, STDERR_FILENO, 0, NULL, NULL};
        struct cp_opened opened = {untar, &io};
        json_t *in = json_pack("{s:s,s:s}", "containerId", container, "path", path);
        int rc, code = 0;

        if (in == NULL) {
                cli_seterr(cli, "invalid argument (not UTF-8?)");
                return CLI_USAGE;
        }
        if (untar != NULL) {
                io.opened = cp_untar_start;
                io.opened_arg = &opened;
        }
        rc = raw_run(cli, op, in, &io, &code);
        json_decref(in);
        if (untar != NULL && untar->pid > 0) {
                close(io.out_fd);
                rc = cp_tar_wait(cli, untar->pid, rc);
        }
        if (rc == CLI_OK && code != 0) {
                cli_seterr(cli, "%s ended with %d", op, code);
                rc = CLI_FAILED;
        }
        return rc;
}

/* --- out of the container --- */

/* The one entry tar made in tmp becomes dest. */
static int cp_move_into_place(struct cli *cli, const char *tmp, const char *dest)
{
        char *from = NULL;
        struct dirent *e;
        DIR *d;
        int n = 0, rc = CLI_OK;

        if ((d = opendir(tmp)) == NULL) {
                cli_seterr(cli, "%s: %s", tmp, strerror(errno));
                return CLI_FAILED;
        }
        while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                n++;
                free(from);
                if (asprintf(&from, "%s/%s", tmp, e->d_name) == -1)
                        from = NULL;
        }
        closedir(d);
        if (n != 1 || from == NULL) {
                cli_seterr(cli, "the container's archive held %d entries at its top", n);
                rc = CLI_FAILED;
        } else if (rename(from, dest) == -1) {
                cli_seterr(cli, "%s: %s", dest, strerror(errno));
                rc = CLI_FAILED;
        }
        free(from);
        return rc;
}

static int cp_out(struct cli *cli, const struct cp_ref *src, const char *dest)
{
        char *dir = NULL, *base = NULL, *tmp = NULL, *target;
        struct cp_untar untar;
        struct stat sb;
        int rc;

        if (strcmp(dest, "-") == 0)
                return cp_session(cli, "docker/container/archive/get", src->container,
                                  src->path, -1, STDOUT_FILENO, NULL);
        if (stat(dest, &sb) == 0 && S_ISDIR(sb.st_mode)) {
                target = (char *)dest;
        } else {
                /* Unpacked beside dest first, then renamed: dest gets SRC's content. */
                if (cp_parts(dest, &dir, &base) == -1 ||
                    asprintf(&tmp, "%s/.dockgate-cp.XXXXXX", dir) == -1 ||
                    mkdtemp(tmp) == NULL) {
                        cli_seterr(cli, "%s: %s", dest, strerror(errno));
                        free(dir);
                        free(base);
                        return CLI_FAILED;
                }
                target = tmp;
        }
        memset(&untar, 0, sizeof(untar));
        untar.cli = cli;
        untar.target = target;
        rc = cp_session(cli, "docker/container/archive/get", src->container, src->path, -1, -1,
                        &untar);
        if (tmp != NULL) {
                if (rc == CLI_OK)
                        rc = cp_move_into_place(cli, tmp, dest);
                rmdir(tmp);
        }
        free(tmp);
        free(dir);
        free(base);
        return rc;
}

/* --- into the container --- */

/* tar --transform text: a regex and a replacement separated by ','. */
static int cp_escape(const char *s, const char *special, char *out, size_t len)
{
        size_t o = 0;

        for (; *s != '\0'; s++) {
                if (*s == '\n' || o + 3 > len)
                        return -1;
                if (strchr(special, *s) != NULL)
                        out[o++] = '\\';
                out[o++] = *s;
        }
        out[o] = '\0';
        return 0;
}

/* Is dest an existing directory in the container?  Put an empty archive there. */
static int cp_is_dir(struct cli *cli, const struct cp_ref *dst, int *is_dir)
{
        static const unsigned char empty[1024];
        int p[2], rc;

        if (pipe2(p, O_CLOEXEC) == -1) {
                cli_seterr(cli, "pipe: %s", strerror(errno));
                return CLI_FAILED;
        }
        if (write(p[1], empty, sizeof(empty)) != sizeof(empty)) {
                cli_seterr(cli, "pipe: %s", strerror(errno));
                close(p[0]);
                close(p[1]);
                return CLI_FAILED;
        }
        close(p[1]);
        rc = cp_session(cli, "docker/container/archive/put", dst->container, dst->path, p[0],
                        STDOUT_FILENO, NULL);
        close(p[0]);
        *is_dir = rc == CLI_OK;
        /* Not there, or not a directory: dest is a new name.  Anything else is an error. */
        if (rc == CLI_FAILED && (strcmp(cli->errcode, "NOT_FOUND") == 0 ||
                                 strcmp(cli->errcode, "DOCKER_ERROR") == 0))
                rc = CLI_OK;
        return rc;
}

static int cp_in(struct cli *cli, const char *src, const struct cp_ref *dst)
{
        char *sdir = NULL, *sbase = NULL, *ddir = NULL, *dbase = NULL, *xform = NULL;
        char re[2 * 4096 + 1], rep[2 * 4096 + 1];
        const char *where = dst->path;
        struct stat sb;
        int fd, rc, is_dir;
        pid_t pid;

        if (strcmp(src, "-") == 0)
                return cp_session(cli, "docker/container/archive/put", dst->container,
                                  dst->path, STDIN_FILENO, STDOUT_FILENO, NULL);
        if (lstat(src, &sb) == -1) {
                cli_seterr(cli, "%s: %s", src, strerror(errno));
                return CLI_USAGE;
        }
        if ((rc = cp_is_dir(cli, dst, &is_dir)) != CLI_OK)
                return rc;
        if (cp_parts(src, &sdir, &sbase) == -1 || cp_parts(dst->path, &ddir, &dbase) == -1) {
                rc = CLI_FAILED;
                goto out;
        }
        if (!is_dir) {
                /* A new name: put into its parent, the top entry renamed. */
                if (strcmp(sbase, ".") == 0 || strcmp(sbase, "/") == 0 ||
                    cp_escape(sbase, "\\.[]*^$,", re, sizeof(re)) == -1 ||
                    cp_escape(dbase, "\\&,", rep, sizeof(rep)) == -1 ||
                    asprintf(&xform, "--transform=s,^%s,%s,S", re, rep) == -1) {
                        cli_seterr(cli, "%s: cannot copy under the name %s", src, dst->path);
                        rc = CLI_USAGE;
                        goto out;
                }
                where = ddir;
        }
        char *argv[] = {"tar", "-c", "-f", "-", "-C", sdir, "--", sbase, NULL, NULL};
        if (xform != NULL) { /* the transform goes before "--" */
                argv[6] = xform;
                argv[7] = "--";
                argv[8] = sbase;
        }
        cli->errcode[0] = '\0';
        if ((fd = cp_tar(argv, 1, &pid)) == -1) {
                cli_seterr(cli, "tar: %s", strerror(errno));
                rc = CLI_FAILED;
                goto out;
        }
        rc = cp_session(cli, "docker/container/archive/put", dst->container, where, fd,
                        STDOUT_FILENO, NULL);
        close(fd);
        if (rc != CLI_OK)
                kill(pid, SIGTERM); /* the server stopped reading it */
        rc = cp_tar_wait(cli, pid, rc);
out:
        free(sdir);
        free(sbase);
        free(ddir);
        free(dbase);
        free(xform);
        return rc;
}

int cp_verb(struct cli *cli, int argc, char **argv)
{
        struct cp_ref src = {NULL, NULL}, dst = {NULL, NULL};
        int rc;

        optind = 0;
        if (getopt(argc, argv, "+") != -1 || argc - optind != 2)
                return cli_usage(cli, CP_USAGE);
        /* Both are split (and freed) whatever happens to the other. */
        rc = cp_split(argv[optind], &src);
        if (cp_split(argv[optind + 1], &dst) == -1 || rc == -1 ||
            (src.container == NULL) == (dst.container == NULL)) {
                cp_ref_free(&src);
                cp_ref_free(&dst);
                cli_seterr(cli, "cp: exactly one of SRC and DEST is CONTAINER:PATH");
                return CLI_USAGE;
        }
        if (src.container != NULL)
                rc = cp_out(cli, &src, dst.path);
        else
                rc = cp_in(cli, src.path, &dst);
        cp_ref_free(&src);
        cp_ref_free(&dst);
        return rc;
}
