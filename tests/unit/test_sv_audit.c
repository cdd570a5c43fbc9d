/*
 * test_sv_audit.c - the audit log's recovery at open (supervisor/audit_files.c):
 * a torn last line (a crash mid-write, never acknowledged) is cut back to
 * the last whole record and the chain goes on from it and verifies; a last
 * record whose seal is broken stops the open; a changed record in the
 * middle breaks the chain where it was changed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "auditfmt.h"

static char dir[32], path[64];

static int setup(void **state)
{
        snprintf(dir, sizeof(dir), "/tmp/dgau.XXXXXX");
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/audit.log", dir);
        return 0;
}

static int teardown(void **state)
{
        unlink(path);
        rmdir(dir);
        return 0;
}

static char *slurp(size_t *len)
{
        FILE *f = fopen(path, "rb");
        char *buf;
        long n;

        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        rewind(f);
        buf = malloc((size_t)n + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
        buf[n] = '\0';
        fclose(f);
        *len = (size_t)n;
        return buf;
}

static void spill(const char *buf, size_t len)
{
        FILE *f = fopen(path, "wb");

        assert_non_null(f);
        assert_int_equal(fwrite(buf, 1, len, f), len);
        fclose(f);
}

/*
 * Walks the file as `dockgate audit verify` does: each line's seal, seq
 * one more than the line before, prev the hash of the line before (the
 * first line, "start", chains to its seed).  Returns the number of the
 * first bad line (1-based), 0 when the whole file verifies; *records is
 * the number of lines.
 */
static int chain_breaks_at(int *records)
{
        size_t len;
        char *buf = slurp(&len), *line = buf, *nl;
        char prev[AUDITFMT_HEX + 1] = "", hash[AUDITFMT_HEX + 1];
        long long seq = 0;
        const char *why;
        int n = 0, bad = 0;

        while (!bad && (nl = memchr(line, '\n', len - (size_t)(line - buf))) != NULL) {
                json_t *rec = json_loadb(line, (size_t)(nl - line), 0, NULL);
                const char *p = json_string_value(json_object_get(rec, "prev"));
                long long s = json_integer_value(json_object_get(rec, "seq"));

                n++;
                if (n == 1)
                        snprintf(prev, sizeof(prev), "%s",
                                 json_string_value(json_object_get(rec, "seed")) ?: "");
                if (auditfmt_check(line, (size_t)(nl - line), hash, &why) < 0 || p == NULL ||
                    strcmp(p, prev) != 0 || (n > 1 && s != seq + 1))
                        bad = n;
                seq = s;
                memcpy(prev, hash, sizeof(prev));
                json_decref(rec);
                line = nl + 1;
        }
        if (!bad && line != buf + len)
                bad = n + 1; /* a line without its newline */
        free(buf);
        *records = n;
        return bad;
}

static struct audit *open_log(struct event_base *base, char *err, size_t errlen)
{
        struct audit_conf conf = {.path = path, .sync = 1};

        return audit_open(base, &conf, err, errlen);
}

/* A log of start, open, three decisions and close: six records. */
static void write_log(struct event_base *base)
{
        char err[512] = "";
        struct audit *a = open_log(base, err, sizeof(err));

        assert_non_null(a);
        for (int i = 0; i < 3; i++)
                assert_true(audit_append(a, "decision", json_pack("{s:i}", "n", i)) > 0);
        assert_int_equal(audit_flush(a), 0);
        audit_close(a);
}

/* Line n (1-based) of the file as JSON (owned). */
static json_t *record_at(int n)
{
        size_t len;
        char *buf = slurp(&len), *line = buf, *nl;
        json_t *rec = NULL;

        while ((nl = memchr(line, '\n', len - (size_t)(line - buf))) != NULL) {
                if (--n == 0) {
                        rec = json_loadb(line, (size_t)(nl - line), 0, NULL);
                        break;
                }
                line = nl + 1;
        }
        free(buf);
        assert_non_null(rec);
        return rec;
}

static void test_a_torn_tail_is_cut_and_the_chain_goes_on(void **unused)
{
        struct event_base *base = event_base_new();
        char err[512] = "", *buf, *torn;
        const char *tail = "{\"seq\":7,\"time\":\"2026-12-02T16:00:00Z\",\"type\":\"deci";
        size_t len, tlen = strlen(tail), after;
        int records;
        json_t *rec;

        write_log(base);
        assert_int_equal(chain_breaks_at(&records), 0);
        assert_int_equal(records, 6);
        /* A crash in the middle of the seventh record's write. */
        buf = slurp(&len);
        torn = malloc(len + tlen);
        assert_non_null(torn);
        memcpy(torn, buf, len);
        memcpy(torn + len, tail, tlen);
        spill(torn, len + tlen);
        free(torn);
        assert_int_equal(chain_breaks_at(&records), 7);

        struct audit *a = open_log(base, err, sizeof(err));
        assert_non_null(a);
        audit_close(a);
        torn = slurp(&after);
        /* The six whole records are kept as they were, the torn bytes are gone... */
        assert_true(after > len);
        assert_memory_equal(torn, buf, len);
        assert_null(memmem(torn, after, tail, tlen));
        /* ...and open (saying what it cut) and close chain on from the sixth. */
        assert_int_equal(chain_breaks_at(&records), 0);
        assert_int_equal(records, 8);
        rec = record_at(7);
        assert_string_equal(json_string_value(json_object_get(rec, "type")), "open");
        assert_int_equal(json_integer_value(json_object_get(rec, "seq")), 7);
        assert_int_equal(json_integer_value(json_object_get(rec, "truncatedBytes")), tlen);
        json_decref(rec);
        free(buf);
        free(torn);
        event_base_free(base);
}

/* A whole log of one open, with nothing cut: no truncatedBytes. */
static void test_a_whole_tail_is_kept_as_it_is(void **unused)
{
        struct event_base *base = event_base_new();
        char err[512] = "";
        size_t len, after;
        char *buf;
        int records;
        json_t *rec;

        write_log(base);
        buf = slurp(&len);
        struct audit *a = open_log(base, err, sizeof(err));
        assert_non_null(a);
        audit_close(a);
        assert_int_equal(chain_breaks_at(&records), 0);
        assert_int_equal(records, 8);
        rec = record_at(7);
        assert_string_equal(json_string_value(json_object_get(rec, "type")), "open");
        assert_null(json_object_get(rec, "truncatedBytes"));
        json_decref(rec);
        char *now = slurp(&after);
        assert_memory_equal(now, buf, len);
        free(now);
        free(buf);
        event_base_free(base);
}

/* Changes the first occurrence of from (in the file) to to, of the same length. */
static void tamper(const char *from, const char *to)
{
        size_t len;
        char *buf = slurp(&len), *at = memmem(buf, len, from, strlen(from));

        assert_non_null(at);
        assert_int_equal(strlen(from), strlen(to));
        memcpy(at, to, strlen(to));
        spill(buf, len);
        free(buf);
}

static void test_a_broken_last_seal_stops_the_open(void **unused)
{
        struct event_base *base = event_base_new();
        char err[512] = "";

        write_log(base);
        tamper("\"type\":\"close\"", "\"type\":\"cloze\"");
        assert_null(open_log(base, err, sizeof(err)));
        assert_non_null(strstr(err, "last record"));
        assert_non_null(strstr(err, "verify the log"));
        event_base_free(base);
}

static void test_a_changed_middle_record_breaks_the_chain_there(void **unused)
{
        struct event_base *base = event_base_new();
        int records;

        write_log(base);
        /* the second decision (line 4): its seal no longer matches */
        tamper("\"n\":1", "\"n\":7");
        assert_int_equal(chain_breaks_at(&records), 4);
        event_base_free(base);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_a_torn_tail_is_cut_and_the_chain_goes_on,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_a_whole_tail_is_kept_as_it_is, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_a_broken_last_seal_stops_the_open, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_a_changed_middle_record_breaks_the_chain_there,
                                            setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
