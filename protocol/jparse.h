/*
 * jparse.h - JSON text to jansson values, in one pass (jparse.c).
 *
 * What json_loadb() accepts, this accepts, with the same values: RFC 8259
 * JSON, strict UTF-8 in strings, no "\u0000" (jansson refuses it without
 * JSON_ALLOW_NUL), integers that fit json_int_t (a larger one is an error,
 * not a real), reals that do not overflow a double, at most JPARSE_MAX_DEPTH
 * values on the nesting path (jansson's JSON_PARSER_MAX_DEPTH), nothing but
 * whitespace after the value.  Duplicate keys: the last one wins, or, with
 * JPARSE_REJECT_DUPLICATES, the document is refused.  tests/fuzz/fuzz_jparse.c
 * checks all of that against json_loadb() itself.
 *
 * Why not json_loadb(): its lexer reads a byte at a time through a stream
 * with a UTF-8 decoder and a string buffer per token; on the engine's inspect
 * documents it cost ~190 instructions a byte, three quarters of a kept
 * inspect in the supervisor (docs/performance.md).  This copies runs of plain
 * bytes with memchr-like loops and builds the values with jansson's
 * *_nocheck constructors once the UTF-8 has been checked here.
 */
#ifndef DOCKGATE_JPARSE_H
#define DOCKGATE_JPARSE_H

#include <stddef.h>

#include <jansson.h>

#define JPARSE_MAX_DEPTH 2048

enum {
        JPARSE_DECODE_ANY = 1,        /* a scalar at the top, as JSON_DECODE_ANY */
        JPARSE_REJECT_DUPLICATES = 2, /* as JSON_REJECT_DUPLICATES */
};

/* A new reference, or NULL when the text is not what json_loadb would take. */
json_t *jparse(const char *text, size_t len, int flags);

#endif
