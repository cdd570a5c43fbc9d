/*
 * build.c - `dockgate build`: an image from a directory's Dockerfile, like
 * docker build with the classic builder.
 *
 *     dockgate build [-t NAME[:TAG]] [-f FILE] [--build-arg KEY[=VALUE]]...
 *                    [--target STAGE] [--label KEY=VALUE]... [--no-cache] DIR
 *
 * DIR is packed by /bin/tar through a pipe (cp.c's) and goes as the stdin
 * chunks of docker/image/build; the build's output (the engine's steps and
 * every RUN's output) comes back as stdout chunks and is printed as it
 * comes.  -f names the Dockerfile as docker's does (relative to here, or
 * absolute), and it must lie inside DIR: it is sent as its path in the
 * context.  --build-arg KEY alone takes our own KEY's value (left out when
 * unset), as docker does.  .dockerignore is not read: the whole of DIR is
 * sent.
 *
 * SECURITY: nothing here is trusted by the server: the context is checked
 * as it streams (worker/tar.c, worker/build.c) whatever this tool sends.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "raw.h"

#define BUILD_USAGE                                                                            \
        "build [-t NAME[:TAG]] [-f FILE] [--build-arg KEY[=VALUE]]... [--target STAGE]\n"      \
        "       [--label KEY=VALUE]... [--no-cache] DIR"

/* KEY=VALUE into o (KEY alone: our environment's value, left out when unset). */
static int build_pair(struct cli *cli, json_t *o, const char *arg, int env, const char *flag)
{
        const char *eq = strchr(arg, '=');
        char key[256];
        const char *v;
        size_t n = eq != NULL ? (size_t)(eq - arg) : strlen(arg);

        if (n == 0 || n >= sizeof(key) || (eq == NULL && !env)) {
                cli_seterr(cli, "%s %s: KEY=VALUE%s", flag, arg, env ? " or KEY" : "");
                return -1;
        }
        memcpy(key, arg, n);
        key[n] = '\0';
        v = eq != NULL ? eq + 1 : getenv(key);
        if (v == NULL)
                return 0;
        if (json_object_set_new(o, key, json_string(v)) == -1) {
                cli_seterr(cli, "%s %s: not UTF-8", flag, arg);
                return -1;
        }
        return 0;
}

/* -f FILE as its path inside DIR (ctx, resolved): "" when it is not inside. */
static int build_dockerfile(struct cli *cli, const char *ctx, const char *file, char *out,
                            size_t len)
{
        char real[PATH_MAX];
        size_t n = strlen(ctx);

        if (realpath(file, real) == NULL) {
                cli_seterr(cli, "-f %s: %s", file, strerror(errno));
                return -1;
        }
        if (strncmp(real, ctx, n) != 0 || (real[n] != '/' && n > 1) || real[n] == '\0' ||
            (size_t)snprintf(out, len, "%s", real + n + (n > 1)) >= len) {
                cli_seterr(cli,
                           "-f %s: the Dockerfile must be inside the build's directory %s "
                           "(the context is all the gateway receives)",
                           file, ctx);
                return -1;
        }
        return 0;
}

/* A refusal said with what to do next, where the server's words name our protocol. */
static void build_hint(struct cli *cli)
{
        const char *img = strstr(cli->err, "image "),
                   *tail = strstr(cli->err, "(docker/image/pull)");
        size_t n;

        if (strcmp(cli->errcode, "NOT_FOUND") != 0 || img == NULL || tail == NULL)
                return;
        img += strlen("image ");
        n = strcspn(img, " ");
        snprintf(cli->err + (tail - cli->err), sizeof(cli->err) - (size_t)(tail - cli->err),
                 "(dockgate pull %.*s, or build it)", (int)n, img);
}

static int build_run(struct cli *cli, const char *ctx, json_t *input)
{
        char *argv[] = {"tar", "-c",        "-f", "-", "--numeric-owner",
                        "-C",  (char *)ctx, ".",  NULL};
        struct raw_io io = {-1, STDOUT_FILENO, STDERR_FILENO, 0, NULL, NULL};
        int rc, code = 0;
        pid_t pid;

        if ((io.in_fd = cp_tar(argv, 1, &pid)) == -1) {
                cli_seterr(cli, "tar: %s", strerror(errno));
                return CLI_FAILED;
        }
        rc = raw_run(cli, "docker/image/build", input, &io, &code);
        close(io.in_fd);
        if (rc != CLI_OK)
                kill(pid, SIGTERM); /* the server stopped reading it */
        rc = cp_tar_wait(cli, pid, rc);
        if (rc == CLI_OK && code != 0) {
                cli_seterr(cli, "the build ended with %d", code);
                rc = CLI_FAILED;
        }
        build_hint(cli);
        return rc;
}

int build_verb(struct cli *cli, int argc, char **argv)
{
        static const struct option longopts[] = {
            {"tag", required_argument, NULL, 't'},
            {"file", required_argument, NULL, 'f'},
            {"build-arg", required_argument, NULL, 'a'},
            {"target", required_argument, NULL, 'T'},
            {"label", required_argument, NULL, 'l'},
            {"no-cache", no_argument, NULL, 'n'},
            {NULL, 0, NULL, 0},
        };
        json_t *input = json_object(), *args = json_object(), *labels = json_object();
        const char *file = NULL, *tag = NULL, *target = NULL;
        char ctx[PATH_MAX], df[PATH_MAX];
        struct stat sb;
        int ch, rc = CLI_USAGE, nocache = 0;

        if (input == NULL || args == NULL || labels == NULL) {
                cli_seterr(cli, "out of memory");
                goto out;
        }
        optind = 0;
        while ((ch = getopt_long(argc, argv, "+t:f:", longopts, NULL)) != -1) {
                switch (ch) {
                case 't':
                        tag = optarg;
                        break;
                case 'f':
                        file = optarg;
                        break;
                case 'T':
                        target = optarg;
                        break;
                case 'n':
                        nocache = 1;
                        break;
                case 'a':
                        if (build_pair(cli, args, optarg, 1, "--build-arg") == -1)
                                goto out;
                        break;
                case 'l':
                        if (build_pair(cli, labels, optarg, 0, "--label") == -1)
                                goto out;
                        break;
                default:
                        rc = cli_usage(cli, BUILD_USAGE);
                        goto out;
                }
        }
        if (argc - optind != 1) {
                rc = cli_usage(cli, BUILD_USAGE);
                goto out;
        }
        if (strcmp(argv[optind], "-") == 0 || strstr(argv[optind], "://") != NULL) {
                cli_seterr(cli,
                           "build %s: only a local directory can be built (the gateway takes "
                           "no remote or stdin contexts)",
                           argv[optind]);
                goto out;
        }
        if (realpath(argv[optind], ctx) == NULL || stat(ctx, &sb) == -1 ||
            !S_ISDIR(sb.st_mode)) {
                cli_seterr(cli, "build %s: not a directory", argv[optind]);
                goto out;
        }
        if (file != NULL && build_dockerfile(cli, ctx, file, df, sizeof(df)) == -1)
                goto out;
        if ((tag != NULL && json_object_set_new(input, "tag", json_string(tag)) == -1) ||
            (file != NULL && json_object_set_new(input, "dockerfile", json_string(df)) == -1) ||
            (target != NULL &&
             json_object_set_new(input, "target", json_string(target)) == -1)) {
                cli_seterr(cli, "invalid argument (not UTF-8?)");
                goto out;
        }
        if (json_object_size(args) > 0)
                json_object_set(input, "buildArgs", args);
        if (json_object_size(labels) > 0)
                json_object_set(input, "labels", labels);
        if (nocache)
                json_object_set_new(input, "noCache", json_true());
        rc = build_run(cli, ctx, input);
out:
        json_decref(input);
        json_decref(args);
        json_decref(labels);
        return rc;
}
