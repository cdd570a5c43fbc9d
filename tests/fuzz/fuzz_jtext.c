/*
 * fuzz_jtext.c - jparse() and jdump() against jansson itself.
 *
 * Input: one flag byte (bit 0: decode any value; bit 1: reject duplicate
 * keys), then JSON text.  jparse must accept exactly what json_loadb
 * accepts with the same flags, and give an equal value (json_equal: same
 * types, same integers, same reals, same strings, same keys); jdump of that
 * value must be the very bytes json_dumps(COMPACT | ENCODE_ANY) gives, and
 * parse back to an equal value.
 *
 * But for a NUL byte: text holding one is not JSON, and jparse refuses it,
 * where jansson's lexer has quirks ("[1\0]" and "1\0" parse, "[1]\0x" does
 * not); for such text the harness checks only that jparse refuses it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jdump.h"
#include "jparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text;
        json_t *ours, *theirs, *again;
        size_t n, jflags = 0, dlen;
        char *a, *b;
        int flags;

        if (size < 1)
                return 0;
        flags = data[0] & 3;
        if (flags & JPARSE_DECODE_ANY)
                jflags |= JSON_DECODE_ANY;
        if (flags & JPARSE_REJECT_DUPLICATES)
                jflags |= JSON_REJECT_DUPLICATES;
        text = (const char *)data + 1;
        n = size - 1;
        ours = jparse(text, n, flags);
        if (memchr(text, '\0', n) != NULL) {
                if (ours != NULL)
                        abort();
                return 0;
        }
        theirs = json_loadb(text, n, jflags, NULL);
        if ((ours == NULL) != (theirs == NULL))
                abort(); /* one accepts what the other refuses */
        if (ours == NULL)
                return 0;
        if (!json_equal(ours, theirs))
                abort();
        a = jdump(ours, &dlen);
        b = json_dumps(theirs, JSON_COMPACT | JSON_ENCODE_ANY);
        if (a == NULL || b == NULL || strcmp(a, b) != 0 || dlen != strlen(b))
                abort();
        again = jparse(a, dlen, JPARSE_DECODE_ANY);
        if (again == NULL || !json_equal(again, ours))
                abort();
        json_decref(again);
        free(a);
        free(b);
        json_decref(ours);
        json_decref(theirs);
        return 0;
}
