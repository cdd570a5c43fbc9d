/* b64.h - standard base64 (RFC 4648, with padding) for container bytes that are not UTF-8. */
#ifndef DG_B64_H
#define DG_B64_H

#include <stddef.h>

/* Returns a malloc'd NUL-terminated encoding, or NULL on allocation failure. */
char *b64_encode(const void *in, size_t len);
/* Decodes into a malloc'd buffer (*outlen set); NULL on invalid input. */
unsigned char *b64_decode(const char *in, size_t len, size_t *outlen);
/* 1 when buf[0..len) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int utf8_valid(const void *buf, size_t len);

#endif
