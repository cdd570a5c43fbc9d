/*
 * cli.c - error and warning helpers of the dockgate tool.  A verb records
 * its failure in cli->err; main prints it once, so that a verb made of
 * several calls (run) decides which failure the user sees.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

void cli_seterr(struct cli *cli, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(cli->err, sizeof(cli->err), fmt, ap);
        va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
        va_list ap;

        fflush(stdout);
        fputs("dockgate: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

int cli_usage(struct cli *cli, const char *usage)
{
        cli_seterr(cli, "usage: dockgate %s", usage);
        return CLI_USAGE;
}
