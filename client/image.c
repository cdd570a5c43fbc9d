/*
 * image.c - the image verbs of the dockgate tool: pull, with docker's
 * progress display, and images.
 *
 * On a terminal, pull keeps one line per layer id and rewrites it in place
 * (cursor up, clear, write, cursor down); elsewhere it prints one plain
 * line per record, leaving out the progress-bar ticks as docker does, so
 * that a log gets the steps and not thousands of bars.  Everything shown
 * comes from the engine (a registry, really) and is cleaned first.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "invoke.h"
#include "output.h"
#include "table.h"
#include "units.h"

#define IMAGE_IDS_MAX 128 /* layer lines kept on screen; more starts over below */
#define IMAGE_ID_LEN 12

struct image_pull {
        int tty;
        char *ids[IMAGE_IDS_MAX]; /* the layer ids shown, top line first (cleaned) */
        size_t nids;
};

/* Something that is not a layer line was printed: the lines above are history. */
static void image_pull_forget(struct image_pull *p)
{
        while (p->nids > 0)
                free(p->ids[--p->nids]);
}

/* The line of id, a new one at the bottom when it has none (-1: out of memory). */
static int image_pull_line(struct image_pull *p, const char *id)
{
        size_t i;

        for (i = 0; i < p->nids; i++)
                if (strcmp(p->ids[i], id) == 0)
                        return (int)i;
        if (p->nids == IMAGE_IDS_MAX)
                image_pull_forget(p);
        if ((p->ids[p->nids] = strdup(id)) == NULL)
                return -1;
        fputc('\n', stdout); /* the cursor stays on the empty line below the layers */
        return (int)p->nids++;
}

/* On a terminal: rewrite the record's layer line, or add a line when it has no id. */
static int image_pull_tty(struct image_pull *p, const char *id, const char *status,
                          const char *progress)
{
        int line;
        size_t up;

        if (*id == '\0') {
                image_pull_forget(p);
                printf("\033[2K\r%s\n", status);
                return 0;
        }
        if ((line = image_pull_line(p, id)) == -1)
                return -1;
        up = p->nids - (size_t)line;
        printf("\033[%zuA\033[2K\r%s: %s%s%s\r\033[%zuB", up, id, status,
               *progress != '\0' ? " " : "", progress, up);
        return 0;
}

/* One progress record {"status", "id", "progress", "current", "total"}. */
static int image_pull_record(struct cli *cli, json_t *rec, void *arg)
{
        struct image_pull *p = arg;
        char *status, *id, *progress;
        int rc = 0;

        if (!json_is_string(json_object_get(rec, "status"))) {
                cli_seterr(cli, "docker/image/pull: progress record without a status");
                return -1;
        }
        status = output_clean_json(json_object_get(rec, "status"));
        id = output_clean_json(json_object_get(rec, "id"));
        progress = output_clean_json(json_object_get(rec, "progress"));
        if (status == NULL || id == NULL || progress == NULL)
                rc = -1;
        else if (p->tty)
                rc = image_pull_tty(p, id, status, progress);
        else if (*progress == '\0') /* a bar's tick says nothing in a log */
                printf("%s%s%s\n", id, *id != '\0' ? ": " : "", status);
        if (rc == -1)
                cli_seterr(cli, "out of memory");
        fflush(stdout);
        free(status);
        free(id);
        free(progress);
        return rc;
}

int image_pull(struct cli *cli, int argc, char **argv)
{
        struct image_pull p;
        struct invoke_hooks h = {NULL, image_pull_record, &p};
        json_t *in;
        int rc;

        optind = 0;
        if (getopt(argc, argv, "+") != -1 || argc - optind != 1)
                return cli_usage(cli, "pull IMAGE[:TAG|@DIGEST]");
        if ((in = json_pack("{s:s}", "image", argv[optind])) == NULL) {
                cli_seterr(cli, "invalid image reference (not UTF-8?)");
                return CLI_USAGE;
        }
        memset(&p, 0, sizeof(p));
        p.tty = isatty(STDOUT_FILENO);
        rc = invoke_run(cli, "docker/image/pull", in, &h);
        image_pull_forget(&p);
        json_decref(in);
        return rc;
}

/* "repo:tag" split at the last ':' after the last '/' (a registry's port is not a tag). */
static void image_split(const char *ref, char *repo, size_t len, const char **tag)
{
        const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':');

        if (colon == NULL || (slash != NULL && colon < slash)) {
                snprintf(repo, len, "%s", ref);
                *tag = "<none>";
                return;
        }
        snprintf(repo, len, "%.*s", (int)(colon - ref), ref);
        *tag = colon + 1;
}

/* One row per tag of the image, or one "<none>" row when it has no tag. */
static void image_rows(struct table *t, json_t *img, time_t now)
{
        const char *id = json_string_value(json_object_get(img, "imageId")), *tag;
        json_t *tags = json_object_get(img, "repoTags"), *v;
        char shortid[IMAGE_ID_LEN + 1], repo[512], created[48], size[32];
        const char *row[5] = {repo, NULL, shortid, created, size};
        size_t i;

        if (id != NULL && strncmp(id, "sha256:", 7) == 0)
                id += 7;
        snprintf(shortid, sizeof(shortid), "%s", id != NULL ? id : "");
        units_ago(created, sizeof(created),
                  (time_t)json_integer_value(json_object_get(img, "created")), now);
        units_size(size, sizeof(size), json_number_value(json_object_get(img, "size")), 3);
        json_array_foreach(tags, i, v)
        {
                if (!json_is_string(v))
                        continue;
                image_split(json_string_value(v), repo, sizeof(repo), &tag);
                row[1] = tag;
                table_add(t, row);
        }
        if (json_array_size(tags) == 0) {
                snprintf(repo, sizeof(repo), "<none>");
                row[1] = "<none>";
                table_add(t, row);
        }
}

int image_list(struct cli *cli, int argc, char **argv)
{
        static const char *const hdr[] = {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"};
        struct table t;
        json_t *out, *img;
        time_t now = time(NULL);
        size_t i;
        int rc;

        optind = 0;
        if (getopt(argc, argv, "+") != -1 || optind != argc)
                return cli_usage(cli, "images");
        if ((rc = invoke_query(cli, "docker/image/list", NULL, &out)) != CLI_OK)
                return rc;
        if (!json_is_array(out) || table_init(&t, 5, hdr) == -1) {
                cli_seterr(cli, "docker/image/list: output is not a list of images");
                json_decref(out);
                return CLI_FAILED;
        }
        json_array_foreach(out, i, img)
        {
                image_rows(&t, img, now);
        }
        if (table_print(&t) == -1) {
                cli_seterr(cli, "images: out of memory or write error");
                rc = CLI_FAILED;
        }
        table_free(&t);
        json_decref(out);
        return rc;
}

/* image inspect [-f TEMPLATE] IMAGE...; image ls; image pull: docker's spellings. */
int image_inspect(struct cli *cli, int argc, char **argv)
{
        if (argc >= 2 && strcmp(argv[1], "inspect") == 0)
                return container_inspect_doc(cli, argc - 1, argv + 1, "docker/image/inspect",
                                             "image", "image inspect [-f TEMPLATE] IMAGE...");
        if (argc >= 2 && (strcmp(argv[1], "ls") == 0 || strcmp(argv[1], "list") == 0))
                return image_list(cli, argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "pull") == 0)
                return image_pull(cli, argc - 1, argv + 1);
        return cli_usage(cli,
                         "image inspect [-f TEMPLATE] IMAGE... | image ls | image pull IMAGE");
}
