/* test_dockerfile.c - worker/dockerfile.c: which images a build would use, and what is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dockerfile.h"

static struct df_result res;

static enum df_status rd_opts(const char *text, const char *args_json, const char *target,
                              int allow_url)
{
        json_t *args = args_json ? json_loads(args_json, 0, NULL) : NULL;
        struct df_opts o = {args, target, allow_url};
        enum df_status st = dockerfile_read(text, strlen(text), &o, &res);

        json_decref(args);
        return st;
}

static enum df_status rd(const char *text)
{
        return rd_opts(text, NULL, NULL, 0);
}

static void images_are(size_t n, ...)
{
        va_list ap;
        size_t i;

        assert_int_equal(res.n_images, n);
        va_start(ap, n);
        for (i = 0; i < n; i++)
                assert_string_equal(res.images[i].ref, va_arg(ap, const char *));
        va_end(ap);
}

static void err_has(const char *part)
{
        if (strstr(res.err, part) == NULL)
                fail_msg("error \"%s\" lacks \"%s\"", res.err, part);
}

static void test_plain_from(void **state)
{
        assert_int_equal(rd("FROM dgtest:latest\nRUN echo hi\nCMD [\"sh\"]\n"), DF_OK);
        images_are(1, "dgtest:latest");
        assert_int_equal(res.n_stages, 1);
        assert_int_equal(res.images[0].line, 1);
}

static void test_stages_are_not_images(void **state)
{
        const char *df = "FROM dgtest AS build\n"
                         "RUN echo x > /x\n"
                         "FROM Build AS second\n"
                         "FROM scratch\n"
                         "COPY --from=BUILD /x /x\n"
                         "COPY --from=1 /x /y\n"
                         "COPY --from=other:1 --chown=1:1 /a /b\n"
                         "COPY --from=dgtest /a /b\n";

        assert_int_equal(rd(df), DF_OK);
        images_are(2, "dgtest", "other:1");
        assert_int_equal(res.n_stages, 3);
        assert_int_equal(res.images[1].line, 7);
}

static void test_copy_from_later_stage_is_an_image(void **state)
{
        /* The builder only knows the stages built so far. */
        assert_int_equal(rd("FROM dgtest\nCOPY --from=late /a /b\nFROM dgtest AS late\n"),
                         DF_OK);
        images_are(2, "dgtest", "late");
        assert_int_equal(rd("FROM dgtest\nCOPY --from=1 /a /b\n"), DF_INVALID);
        err_has("no earlier stage");
}

static void test_meta_args(void **state)
{
        const char *df = "ARG BASE=dgtest\nARG TAG\nFROM ${BASE}:${TAG:-latest}\n"
                         "ARG BASE=ignored-after-from\n";

        assert_int_equal(rd(df), DF_OK);
        images_are(1, "dgtest:latest");
        assert_int_equal(rd_opts(df, "{\"TAG\": \"v2\", \"BASE\": \"reg/app\"}", NULL, 0),
                         DF_OK);
        images_are(1, "reg/app:v2");
        assert_int_equal(rd_opts("ARG V\nFROM dgtest${V:+-slim}\n", "{\"V\": \"1\"}", NULL, 0),
                         DF_OK);
        images_are(1, "dgtest-slim");
        assert_int_equal(rd("ARG V\nFROM dgtest$V\n"), DF_INVALID);
        err_has("no value");
        /* Substituted values are checked like the rest (found by fuzz_dockerfile). */
        assert_int_equal(rd("ARG TAG=+\nFROM dgtest:${TAG}\n"), DF_INVALID);
        err_has("no image reference");
        assert_int_equal(rd_opts("ARG B\nFROM $B\n", "{\"B\": \"a b\"}", NULL, 0), DF_INVALID);
}

static void test_unresolvable_from(void **state)
{
        assert_int_equal(rd("FROM $NOPE\n"), DF_INVALID);
        err_has("no ARG before the first FROM declares");
        /* Build args that no ARG declares do not reach FROM (as in the builder). */
        assert_int_equal(rd_opts("FROM $NOPE\n", "{\"NOPE\": \"dgtest\"}", NULL, 0),
                         DF_INVALID);
        assert_int_equal(rd("ARG A=\"dgtest\"\nFROM $A\n"), DF_INVALID);
        err_has("cannot resolve");
        assert_int_equal(rd("FROM \"dgtest\"\n"), DF_INVALID);
        assert_int_equal(rd("ARG A=x\nFROM ${A:?err}\n"), DF_INVALID);
        assert_int_equal(rd("ARG A=x\nFROM ${A/x/y}\n"), DF_INVALID);
        assert_int_equal(rd("FROM\n"), DF_INVALID);
        assert_int_equal(rd("FROM a b\n"), DF_INVALID);
        assert_int_equal(rd("RUN true\n"), DF_INVALID);
        assert_int_equal(rd("# only a comment\n"), DF_INVALID);
        err_has("no FROM");
}

static void test_directives(void **state)
{
        assert_int_equal(rd("# syntax=docker/dockerfile:1.4\nFROM dgtest\n"), DF_FORBIDDEN);
        err_has("BuildKit");
        assert_int_equal(rd("#  SYNTAX = x\nFROM dgtest\n"), DF_FORBIDDEN);
        /* After any other line, a directive is only a comment. */
        assert_int_equal(rd("FROM dgtest\n# syntax=x\n"), DF_OK);
        assert_int_equal(rd("# escape=`\nFROM `\n  dgtest\nRUN echo a\\\n"), DF_OK);
        images_are(1, "dgtest");
        assert_int_equal(rd("# escape=x\nFROM dgtest\n"), DF_INVALID);
        assert_int_equal(rd("# escape=`\n# escape=\\\nFROM dgtest\n"), DF_INVALID);
}

static void test_continuations_comments_crlf_bom(void **state)
{
        assert_int_equal(rd("\xef\xbb\xbf"
                            "FROM \\\r\n"
                            "# a comment inside the instruction\r\n"
                            "\r\n"
                            "   dgtest:1\r\n"),
                         DF_OK);
        images_are(1, "dgtest:1");
        assert_int_equal(res.images[0].line, 1);
        assert_int_equal(rd("from dgtest\nFrOm dgtest\n"), DF_OK);
        images_are(1, "dgtest");
        assert_int_equal(res.n_stages, 2);
}

static void test_add_url(void **state)
{
        assert_int_equal(rd("FROM dgtest\nADD http://127.0.0.1:9/x /x\n"), DF_FORBIDDEN);
        err_has("URL");
        assert_int_equal(rd("FROM dgtest\nADD --chown=1:1 a https://h/x /x\n"), DF_FORBIDDEN);
        assert_int_equal(rd("FROM dgtest\nADD [\"https://h/x\", \"/x\"]\n"), DF_FORBIDDEN);
        assert_int_equal(rd("FROM dgtest\nADD [\"\\u0068ttps://h/x\", \"/x\"]\n"),
                         DF_FORBIDDEN);
        /* Words the lexer would rewrite into a URL. */
        assert_int_equal(rd("FROM dgtest\nADD \"http://h/x\" /x\n"), DF_FORBIDDEN);
        err_has("quotes");
        assert_int_equal(rd("FROM dgtest\nADD h\\ttp://h/x /x\n"), DF_FORBIDDEN);
        assert_int_equal(rd("FROM dgtest\nENV U=http://h/x\nADD $U /x\n"), DF_FORBIDDEN);
        assert_int_equal(rd("FROM dgtest\nADD a b c d e f g h i j k http://h/x /x\n"),
                         DF_FORBIDDEN);
        assert_int_equal(rd_opts("FROM dgtest\nADD http://h/x /x\n", NULL, NULL, 1), DF_OK);
        assert_int_equal(rd("FROM dgtest\nADD ./local.tar /x\nCOPY . /src\n"), DF_OK);
}

static void test_buildkit_flags_and_onbuild(void **state)
{
        assert_int_equal(rd("FROM dgtest\nRUN --mount=type=cache,target=/c true\n"),
                         DF_FORBIDDEN);
        err_has("--mount");
        assert_int_equal(rd("FROM --platform=linux/arm64 dgtest\n"), DF_FORBIDDEN);
        assert_int_equal(rd("FROM dgtest\nCOPY --chmod=755 a /a\n"), DF_FORBIDDEN);
        assert_int_equal(rd("FROM dgtest\nCOPY --link a /a\n"), DF_FORBIDDEN);
        assert_int_equal(rd("FROM dgtest\nONBUILD ADD http://h/x /x\n"), DF_FORBIDDEN);
        err_has("ONBUILD");
        assert_int_equal(rd("FROM dgtest\nFETCH x\n"), DF_INVALID);
        err_has("unknown instruction: fetch");
}

static void test_target(void **state)
{
        const char *df = "FROM dgtest AS base\nFROM other AS test\nFROM third\n";

        assert_int_equal(rd_opts(df, NULL, "BASE", 0), DF_OK);
        images_are(1, "dgtest");
        assert_int_equal(rd_opts(df, NULL, "test", 0), DF_OK);
        images_are(2, "dgtest", "other");
        assert_int_equal(rd_opts(df, NULL, "nope", 0), DF_INVALID);
        err_has("--target nope");
}

static void test_bounds(void **state)
{
        static char big[DF_MAX + 2];
        char ref[400];

        memset(big, ' ', sizeof(big) - 1);
        memcpy(big, "FROM dgtest\n", 12);
        assert_int_equal(dockerfile_read(big, DF_MAX + 1, &(struct df_opts){0}, &res),
                         DF_INVALID);
        assert_int_equal(dockerfile_read("FROM a\0b", 8, &(struct df_opts){0}, &res),
                         DF_INVALID);
        memset(ref, 'a', sizeof(ref));
        memcpy(ref, "FROM ", 5);
        ref[sizeof(ref) - 1] = '\0';
        assert_int_equal(rd(ref), DF_INVALID);
        err_has("over");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_plain_from),
            cmocka_unit_test(test_stages_are_not_images),
            cmocka_unit_test(test_copy_from_later_stage_is_an_image),
            cmocka_unit_test(test_meta_args),
            cmocka_unit_test(test_unresolvable_from),
            cmocka_unit_test(test_directives),
            cmocka_unit_test(test_continuations_comments_crlf_bom),
            cmocka_unit_test(test_add_url),
            cmocka_unit_test(test_buildkit_flags_and_onbuild),
            cmocka_unit_test(test_target),
            cmocka_unit_test(test_bounds),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
