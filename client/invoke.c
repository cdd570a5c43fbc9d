/*
 * invoke.c - runs one call on the tool's stream to its terminal frame, with
 * SIGINT turned into call.aborted; and the `dockgate call` verb.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "invoke.h"
#include "output.h"

/* Process-wide only because a signal handler must reach it: the SIGINT count. */
static volatile sig_atomic_t invoke_intr;
static sigset_t invoke_waitmask;
static int invoke_masked;

struct invoke_state {
        const struct invoke_hooks *h;
        int aborting; /* call.aborted was sent */
        int hookfail; /* the output hook failed: the call fails whatever comes */
};

static void invoke_sigint(int sig)
{
        (void)sig;
        if (invoke_intr < 2)
                invoke_intr++;
}

/*
 * Installed with the first connection, not earlier: reading JSON-INPUT from
 * stdin must stay interruptible the ordinary way.
 */
static void invoke_signals_init(void)
{
        static int done;
        struct sigaction sa, old;
        sigset_t block;

        if (done)
                return;
        done = 1;
        /* A shell that started us with SIGINT ignored (cmd &) wants it ignored. */
        if (sigaction(SIGINT, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
                return;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = invoke_sigint;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0; /* no SA_RESTART: the wait must return EINTR */
        if (sigaction(SIGINT, &sa, NULL) == -1)
                return;
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        if (sigprocmask(SIG_BLOCK, &block, &invoke_waitmask) == -1)
                return;
        sigdelset(&invoke_waitmask, SIGINT);
        invoke_masked = 1;
}

/* Drops a stream that can no longer carry calls; the next call reconnects. */
static void invoke_drop(struct cli *cli)
{
        dgc_close(cli->conn);
        cli->conn = NULL;
}

static int invoke_connect(struct cli *cli)
{
        char err[512];

        if (cli->conn != NULL)
                return CLI_OK;
        invoke_signals_init();
        if ((cli->conn = dgc_connect(cli->addr, err, sizeof(err))) == NULL) {
                cli_connect_failed(cli, err);
                return CLI_USAGE;
        }
        if (invoke_masked)
                dgc_set_waitmask(cli->conn, &invoke_waitmask);
        return CLI_OK;
}

/* The stream failed under a call: map the library status to an exit status. */
static int invoke_lost(struct cli *cli, enum dgc_status st)
{
        int rc = st == DGC_ERR_USAGE ? CLI_USAGE : CLI_CLOSED;

        if (st == DGC_EOF)
                cli_seterr(cli, "server closed the stream before the call ended");
        else
                cli_seterr(cli, "%s", dgc_errmsg(cli->conn));
        invoke_drop(cli);
        return rc;
}

/* Sends call.aborted, once per call: DGC_OK when sent now or before. */
static enum dgc_status invoke_abort(struct cli *cli, struct invoke_state *cs)
{
        if (cs->aborting)
                return DGC_OK;
        cs->aborting = 1;
        return dgc_abort(cli->conn, cli->id);
}

/* A SIGINT arrived while waiting.  Returns -1 to keep waiting, or an exit status. */
static int invoke_interrupted(struct cli *cli, struct invoke_state *cs)
{
        enum dgc_status st;

        if (invoke_intr == 0)
                return -1;
        if (invoke_intr >= 2) {
                cli_seterr(cli, "interrupted");
                cli->forced = 1;
                invoke_drop(cli);
                return CLI_ABORTED;
        }
        if ((st = invoke_abort(cli, cs)) != DGC_OK)
                return invoke_lost(cli, st);
        return -1;
}

/* Sends call.aborted because the tool cannot go on with the output. */
static int invoke_hook_failed(struct cli *cli, struct invoke_state *cs)
{
        cs->hookfail = 1;
        if (invoke_abort(cli, cs) != DGC_OK) {
                invoke_drop(cli);
                return CLI_FAILED; /* keep the hook's message */
        }
        return -1;
}

static int invoke_error_frame(struct cli *cli, struct invoke_state *cs, json_t *p)
{
        const char *code = json_string_value(json_object_get(p, "code"));
        const char *msg = json_string_value(json_object_get(p, "message"));

        if (cs->hookfail)
                return CLI_FAILED;
        snprintf(cli->errcode, sizeof(cli->errcode), "%s", code);
        cli_seterr(cli, "%s: %s", code, msg);
        return CLI_FAILED;
}

/* Handles one frame.  Returns -1 while the call goes on, else its exit status. */
static int invoke_frame(struct cli *cli, struct invoke_state *cs, struct dgc_frame *f)
{
        /* A PROTOCOL_ERROR whose id the server could not read comes with "". */
        if (strcmp(f->id, cli->id) != 0 && !(f->type == DGC_F_ERROR && *f->id == '\0')) {
                cli_seterr(cli, "frame for another call id from server");
                invoke_drop(cli);
                return CLI_CLOSED;
        }
        switch (f->type) {
        case DGC_F_RESPONDED:
                if (cs->hookfail || cs->h == NULL || cs->h->output == NULL)
                        return -1;
                if (cs->h->output(cli, json_object_get(f->payload, "output"), cs->h->arg) == -1)
                        return invoke_hook_failed(cli, cs);
                return -1;
        case DGC_F_COMPLETED:
                return cs->hookfail ? CLI_FAILED : CLI_OK;
        case DGC_F_ERROR:
                return invoke_error_frame(cli, cs, f->payload);
        case DGC_F_ABORTED:
                if (cs->hookfail)
                        return CLI_FAILED;
                cli_seterr(cli, "call aborted");
                return CLI_ABORTED;
        }
        return -1;
}

int invoke_run(struct cli *cli, const char *op, json_t *input, const struct invoke_hooks *h)
{
        struct invoke_state cs = {h, 0, 0};
        struct dgc_frame f;
        enum dgc_status st;
        int rc;

        cli->errcode[0] = '\0';
        cli->err[0] = '\0';
        if ((rc = invoke_connect(cli)) != CLI_OK)
                return rc;
        invoke_intr = 0;
        if ((st = dgc_call(cli->conn, cli->id, op, input, CARRIAGE_JSON)) != DGC_OK)
                return invoke_lost(cli, st);
        for (;;) {
                st = dgc_read_frame(cli->conn, &f);
                if (st == DGC_INTR) {
                        if ((rc = invoke_interrupted(cli, &cs)) != -1)
                                return rc;
                        continue;
                }
                if (st != DGC_OK)
                        return invoke_lost(cli, st);
                if (h != NULL && h->frame != NULL)
                        h->frame(&f, h->arg);
                rc = invoke_frame(cli, &cs, &f);
                dgc_frame_clear(&f);
                if (rc != -1)
                        return rc;
        }
}

static int invoke_keep_output(struct cli *cli, json_t *output, void *arg)
{
        json_t **out = arg;

        json_decref(*out);
        *out = json_incref(output);
        return 0;
}

int invoke_query(struct cli *cli, const char *op, json_t *input, json_t **output)
{
        struct invoke_hooks h = {NULL, invoke_keep_output, output};
        int rc;

        *output = NULL;
        rc = invoke_run(cli, op, input, &h);
        if (rc != CLI_OK) {
                json_decref(*output);
                *output = NULL;
        } else if (*output == NULL)
                *output = json_null();
        return rc;
}

int invoke_named(struct cli *cli, const char *op, const char *key, const char *name,
                 json_t **output)
{
        json_t *in = json_pack("{s:s}", key, name);
        int rc;

        *output = NULL;
        if (in == NULL) {
                cli_seterr(cli, "invalid %s (not UTF-8?)", key);
                return CLI_USAGE;
        }
        rc = invoke_query(cli, op, in, output);
        json_decref(in);
        return rc;
}

static void invoke_print_frame(const struct dgc_frame *f, void *arg)
{
        (void)arg;
        output_frame_line(f);
}

/* Parses JSON-INPUT ("-": standard input); it must be an object. */
static json_t *invoke_parse_input(struct cli *cli, const char *arg)
{
        json_error_t jerr;
        json_t *in;

        if (strcmp(arg, "-") == 0)
                in = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
        else
                in = json_loads(arg, JSON_REJECT_DUPLICATES, &jerr);
        if (in == NULL) {
                cli_seterr(cli, "invalid JSON input: %s (line %d, column %d)", jerr.text,
                           jerr.line, jerr.column);
                return NULL;
        }
        if (!json_is_object(in)) {
                cli_seterr(cli, "invalid JSON input: not an object");
                json_decref(in);
                return NULL;
        }
        return in;
}

int invoke_verb(struct cli *cli, int argc, char **argv)
{
        struct invoke_hooks h = {invoke_print_frame, NULL, NULL};
        json_t *in = NULL;
        int rc;

        optind = 0;
        if (getopt(argc, argv, "+") != -1 || argc - optind < 1 || argc - optind > 2)
                return cli_usage(cli, "call OPERATION [JSON-INPUT|-]");
        if (argc - optind == 2 && (in = invoke_parse_input(cli, argv[optind + 1])) == NULL)
                return CLI_USAGE;
        rc = invoke_run(cli, argv[optind], in, &h);
        json_decref(in);
        return rc;
}
