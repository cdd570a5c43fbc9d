/*
 * audit.c - `dockgate audit verify FILE...`: checks an audit log offline.
 *
 * The files are one chain, oldest first (FILE.000001 FILE.000002 ...
 * FILE).  Every line must carry a seal that matches its bytes, a seq one
 * more than the line before it, and a prev equal to that line's hash; the
 * chain starts at a "start" record whose prev is its seed, and each later
 * file starts with a "rotate" record.  The first line that breaks any of
 * this is named with file:line and why, and the exit status is 1.
 *
 * What a hash chain cannot show: records cut from the very end of the last
 * file.  The summary prints the last seq and hash, so that they can be
 * kept elsewhere and compared later; dockgated also compares the log's end
 * with its state file when it starts.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditfmt.h"
#include "cli.h"

#define AUDIT_USAGE "audit verify FILE..."

/* Where the chain stands after the last good record. */
struct audit_pos {
        int any;      /* a record was read */
        uint64_t seq; /* its seq */
        char hash[AUDITFMT_HEX + 1];
        const char *file;
        unsigned long line;
        uint64_t records;
        uint64_t first_seq;
        int from_seed; /* the chain began at a start record */
};

/* One line of a file; NULL at EOF.  *torn set when the last line has no newline. */
static char *audit_getline(FILE *fp, size_t *len, int *torn, int *toolong)
{
        char *line = NULL;
        size_t cap = 0;
        ssize_t n = getline(&line, &cap, fp);

        *torn = *toolong = 0;
        if (n <= 0) {
                free(line);
                return NULL;
        }
        if (line[n - 1] == '\n')
                line[--n] = '\0';
        else
                *torn = 1;
        if ((size_t)n > AUDITFMT_LINE_MAX)
                *toolong = 1;
        *len = (size_t)n;
        return line;
}

/* The seq of a line, or -1 when it has none (for the look-ahead only). */
static long long audit_line_seq(const char *line, size_t len)
{
        json_t *rec = json_loadb(line, len, 0, NULL);
        json_t *s = json_object_get(rec, "seq");
        long long v = json_is_integer(s) ? (long long)json_integer_value(s) : -1;

        json_decref(rec);
        return v;
}

/* Where seq appears after (file fi, line ln), if anywhere: to tell moved from removed. */
static int audit_find_seq(char **files, int nfiles, int fi, unsigned long ln, uint64_t seq,
                          int *out_fi, unsigned long *out_ln)
{
        for (int i = fi; i < nfiles; i++) {
                FILE *fp = fopen(files[i], "r");
                unsigned long n = 0;
                size_t len;
                int torn, toolong;
                char *line;

                if (fp == NULL)
                        continue;
                while ((line = audit_getline(fp, &len, &torn, &toolong)) != NULL) {
                        n++;
                        if ((i > fi || n > ln) && audit_line_seq(line, len) == (long long)seq) {
                                free(line);
                                fclose(fp);
                                *out_fi = i;
                                *out_ln = n;
                                return 1;
                        }
                        free(line);
                }
                fclose(fp);
        }
        return 0;
}

/*
 * Checks one record against the chain so far.  Returns 0, or -1 with the
 * location at fault and why in err (which may name the line before).
 */
static int audit_check_record(struct audit_pos *pos, char **files, int nfiles, int fi,
                              unsigned long ln, const char *line, size_t len, char *err,
                              size_t errlen)
{
        const char *file = files[fi], *why, *type, *prev;
        char hash[AUDITFMT_HEX + 1];
        json_error_t jerr;
        json_t *rec, *s;
        uint64_t seq;
        int rc = -1;

        if (auditfmt_check(line, len, hash, &why) < 0) {
                snprintf(err, errlen, "%s:%lu: %s", file, ln, why);
                return -1;
        }
        rec = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
        s = json_object_get(rec, "seq");
        type = json_string_value(json_object_get(rec, "type"));
        prev = json_string_value(json_object_get(rec, "prev"));
        if (!json_is_object(rec) || !json_is_integer(s) || json_integer_value(s) < 1 ||
            type == NULL || !auditfmt_is_hex(prev) ||
            !json_is_string(json_object_get(rec, "time"))) {
                snprintf(err, errlen,
                         "%s:%lu: not an audit record (seq, time, type or prev "
                         "missing or malformed)",
                         file, ln);
                goto out;
        }
        seq = (uint64_t)json_integer_value(s);
        if (!pos->any) {
                if (strcmp(type, "start") == 0) {
                        const char *seed = json_string_value(json_object_get(rec, "seed"));
                        if (seq != 1 || seed == NULL || strcmp(seed, prev) != 0) {
                                snprintf(err, errlen,
                                         "%s:%lu: a start record must have seq 1 and prev "
                                         "equal to its seed",
                                         file, ln);
                                goto out;
                        }
                        pos->from_seed = 1;
                } else if (ln != 1 || strcmp(type, "rotate") != 0) {
                        snprintf(err, errlen,
                                 "%s:%lu: the chain does not begin here: a log file starts "
                                 "with a start or rotate record (lines were removed from its "
                                 "beginning)",
                                 file, ln);
                        goto out;
                }
                pos->first_seq = seq;
        } else if (seq != pos->seq + 1) {
                int mfi;
                unsigned long mln;
                if (seq > pos->seq + 1 &&
                    audit_find_seq(files, nfiles, fi, ln, pos->seq + 1, &mfi, &mln))
                        snprintf(err, errlen,
                                 "%s:%lu: seq %llu where %llu was expected: records were "
                                 "reordered (seq %llu is at %s:%lu)",
                                 file, ln, (unsigned long long)seq,
                                 (unsigned long long)pos->seq + 1,
                                 (unsigned long long)pos->seq + 1, files[mfi], mln);
                else if (seq > pos->seq + 1)
                        snprintf(err, errlen,
                                 "%s:%lu: seq %llu follows seq %llu: %llu record(s) were "
                                 "removed before this line",
                                 file, ln, (unsigned long long)seq,
                                 (unsigned long long)pos->seq,
                                 (unsigned long long)(seq - pos->seq - 1));
                else
                        snprintf(err, errlen,
                                 "%s:%lu: seq %llu follows seq %llu: records were reordered or "
                                 "duplicated",
                                 file, ln, (unsigned long long)seq,
                                 (unsigned long long)pos->seq);
                goto out;
        } else if (strcmp(prev, pos->hash) != 0) {
                /* This line is intact; the one before it was changed and resealed. */
                snprintf(err, errlen,
                         "%s:%lu: altered and resealed: its hash is not the prev of the next "
                         "record (or %s:%lu's prev was altered)",
                         pos->file, pos->line, file, ln);
                goto out;
        } else if (ln == 1 && strcmp(type, "rotate") != 0) {
                snprintf(err, errlen,
                         "%s:1: expected a rotate record first: the files are out of order, "
                         "or lines were removed from this one's beginning",
                         file);
                goto out;
        }
        const char *warning = json_string_value(json_object_get(rec, "warning"));
        if (warning != NULL)
                cli_warn("note: %s:%lu: %s", file, ln, warning);
        pos->any = 1;
        pos->seq = seq;
        memcpy(pos->hash, hash, sizeof(pos->hash));
        pos->file = file;
        pos->line = ln;
        pos->records++;
        rc = 0;
out:
        json_decref(rec);
        return rc;
}

static int audit_verify_file(struct audit_pos *pos, char **files, int nfiles, int fi,
                             struct cli *cli)
{
        FILE *fp = fopen(files[fi], "r");
        unsigned long ln = 0;
        char err[1024];
        size_t len;
        int torn, toolong, rc = CLI_OK;
        char *line;

        if (fp == NULL) {
                cli_seterr(cli, "%s: %s", files[fi], strerror(errno));
                return CLI_USAGE;
        }
        while (rc == CLI_OK && (line = audit_getline(fp, &len, &torn, &toolong)) != NULL) {
                ln++;
                if (toolong) {
                        cli_seterr(cli, "%s:%lu: line longer than %d bytes", files[fi], ln,
                                   AUDITFMT_LINE_MAX);
                        rc = CLI_FAILED;
                } else if (torn) {
                        cli_seterr(cli,
                                   "%s:%lu: incomplete last line (a torn write, or the "
                                   "file was cut)",
                                   files[fi], ln);
                        rc = CLI_FAILED;
                } else if (audit_check_record(pos, files, nfiles, fi, ln, line, len, err,
                                              sizeof(err)) < 0) {
                        cli_seterr(cli, "%s", err);
                        rc = CLI_FAILED;
                }
                free(line);
        }
        if (rc == CLI_OK && ferror(fp)) {
                cli_seterr(cli, "%s: read error", files[fi]);
                rc = CLI_USAGE;
        }
        if (rc == CLI_OK && ln == 0) {
                cli_seterr(cli, "%s: empty: every log file holds at least one record",
                           files[fi]);
                rc = CLI_FAILED;
        }
        fclose(fp);
        return rc;
}

static int audit_verify(struct cli *cli, int nfiles, char **files)
{
        struct audit_pos pos;
        int rc;

        memset(&pos, 0, sizeof(pos));
        for (int i = 0; i < nfiles; i++)
                if ((rc = audit_verify_file(&pos, files, nfiles, i, cli)) != CLI_OK)
                        return rc;
        printf("ok: %llu record(s) in %d file(s), seq %llu to %llu\n",
               (unsigned long long)pos.records, nfiles, (unsigned long long)pos.first_seq,
               (unsigned long long)pos.seq);
        printf("chain: %s\n", pos.from_seed ? "from its start record (seed)"
                                            : "continues an earlier file not given here");
        printf("last: seq %llu hash %s\n", (unsigned long long)pos.seq, pos.hash);
        return CLI_OK;
}

int audit_verb(struct cli *cli, int argc, char **argv)
{
        optind = 0;
        if (getopt(argc, argv, "+") != -1 || argc < 3 || strcmp(argv[1], "verify") != 0)
                return cli_usage(cli, AUDIT_USAGE);
        return audit_verify(cli, argc - 2, argv + 2);
}
