/*
 * auditfmt.h - the one definition of how an audit line is sealed, shared by
 * the supervisor, which writes the log, and the dockgate tool, which
 * verifies it offline.  (Not in protocol/: the worker links protocol/ and
 * must not link libcrypto; audit/ is linked into dockgated and dockgate.)
 *
 * A line is one compact JSON object whose last member is "hash":
 *
 *     {"seq":7,"time":"...","type":"decision",...,"prev":"<64 hex>","hash":"<64 hex>"}\n
 *
 * hash is the SHA-256 (lowercase hex) of the line's bytes before
 * `,"hash":"`, so a changed byte anywhere in a line changes its hash.  prev
 * is the hash of the line before it in the chain, across rotated files.
 * The first record of a chain is type "start"; its prev is its own "seed",
 * 32 random bytes in hex, so a chain's origin is recorded, not implied.
 */
#ifndef DG_AUDITFMT_H
#define DG_AUDITFMT_H

#include <stddef.h>

#define AUDITFMT_HEX 64         /* hex digits of a SHA-256 */
#define AUDITFMT_LINE_MAX 32768 /* longest line, '\n' excluded */
#define AUDITFMT_SUFFIX ",\"hash\":\""

/* SHA-256 of buf as 64 lowercase hex digits and a NUL.  -1 on failure. */
int auditfmt_digest(const void *buf, size_t len, char hex[AUDITFMT_HEX + 1]);
/* 1 when s is exactly 64 lowercase hex digits. */
int auditfmt_is_hex(const char *s);
/* 32 random bytes as hex (a chain's seed).  -1 on failure. */
int auditfmt_seed(char hex[AUDITFMT_HEX + 1]);

/*
 * Seals body, a compact JSON object ("{...}", no "hash" member, no
 * newline), into a line: body without its closing brace, then
 * ,"hash":"<hash>"} and '\n'.  Returns the malloc'd line (its length in
 * *linelen) and the hash in hash, or NULL when body is not sealable.
 */
char *auditfmt_seal(const char *body, size_t len, size_t *linelen, char hash[AUDITFMT_HEX + 1]);

/*
 * Checks the seal of one line (without its '\n'): the suffix is well
 * formed and the hash matches the bytes before it.  Returns 0 with the
 * line's hash in hash, or -1 with *why saying what is wrong.
 */
int auditfmt_check(const char *line, size_t len, char hash[AUDITFMT_HEX + 1], const char **why);

#endif
