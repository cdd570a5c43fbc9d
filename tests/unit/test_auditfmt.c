/* test_auditfmt.c - the audit line seal shared by dockgated and `dockgate audit verify`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auditfmt.h"

static void test_digest_vector(void **state)
{
        char hex[AUDITFMT_HEX + 1];

        (void)state;
        /* FIPS 180-2, "abc" */
        assert_int_equal(auditfmt_digest("abc", 3, hex), 0);
        assert_string_equal(hex,
                            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_true(auditfmt_is_hex(hex));
        assert_false(auditfmt_is_hex("ABC"));
        assert_false(auditfmt_is_hex(NULL));
}

static void test_seal_and_check(void **state)
{
        const char *body = "{\"seq\":1,\"type\":\"start\",\"prev\":\"x\"}";
        char hash[AUDITFMT_HEX + 1], again[AUDITFMT_HEX + 1], want[AUDITFMT_HEX + 1];
        const char *why;
        size_t len;
        char *line;

        (void)state;
        line = auditfmt_seal(body, strlen(body), &len, hash);
        assert_non_null(line);
        assert_int_equal(line[len - 1], '\n');
        /* The hash covers the record up to its last member before the seal. */
        assert_int_equal(auditfmt_digest(body, strlen(body) - 1, want), 0);
        assert_string_equal(hash, want);
        assert_int_equal(auditfmt_check(line, len - 1, again, &why), 0);
        assert_string_equal(again, hash);
        /* One changed byte anywhere breaks the seal. */
        for (size_t i = 0; i < len - 1; i++) {
                char saved = line[i];
                line[i] = saved == '1' ? '2' : '1';
                assert_int_equal(auditfmt_check(line, len - 1, again, &why), -1);
                line[i] = saved;
        }
        free(line);
}

static void test_seal_refuses(void **state)
{
        char hash[AUDITFMT_HEX + 1];
        size_t len;

        (void)state;
        assert_null(auditfmt_seal("[]", 2, &len, hash));
        assert_null(auditfmt_seal("{\"a\":\"\n\"}", 9, &len, hash));
        assert_null(auditfmt_seal("{", 1, &len, hash));
}

static void test_seeds_differ(void **state)
{
        char a[AUDITFMT_HEX + 1], b[AUDITFMT_HEX + 1];

        (void)state;
        assert_int_equal(auditfmt_seed(a), 0);
        assert_int_equal(auditfmt_seed(b), 0);
        assert_true(auditfmt_is_hex(a));
        assert_string_not_equal(a, b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_digest_vector),
            cmocka_unit_test(test_seal_and_check),
            cmocka_unit_test(test_seal_refuses),
            cmocka_unit_test(test_seeds_differ),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
