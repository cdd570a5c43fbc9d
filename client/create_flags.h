/*
 * create_flags.h - docker's run/create flags into docker/container/create's
 * input (create_flags.c).
 */
#ifndef DG_CREATE_FLAGS_H
#define DG_CREATE_FLAGS_H

#include <jansson.h>
#include <stddef.h>

#include "cli.h"

struct cflags {
        json_t *input; /* the create input (owned) */
        int detach, interactive, tty, rm, no_healthcheck;
        const char *image;
        char **cmd;
        int ncmd;
};

/*
 * Parses argv (run: with -d and --rm).  0 on success; -2 for a usage error
 * (a flag getopt refused, no image: main names the flag); -1 for a bad
 * value, with err saying which and why.
 */
int cflags_parse(int argc, char **argv, int run, struct cflags *o, char *err, size_t len);

/*
 * Appends the variables of an env file to env as docker reads it: one
 * NAME=VALUE per line taken as it is (no quotes removed, the value may hold
 * '=' and spaces), NAME alone from our environment (skipped when unset),
 * blank lines and lines starting with '#' skipped, leading white space and
 * a UTF-8 byte order mark dropped; a name with white space or an empty name
 * is an error naming the line.  0, or -1 with err.
 */
int cflags_env_file(json_t *env, const char *path, char *err, size_t len);

#endif
