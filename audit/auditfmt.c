/*
 * auditfmt.c - sealing and checking audit lines (auditfmt.h).
 *
 * SHA-256 is OpenSSL's (EVP); nothing here is hand-written cryptography.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "auditfmt.h"

#define SUFFIX_LEN (sizeof(AUDITFMT_SUFFIX) - 1)

static void auditfmt_hex(const unsigned char *b, size_t n, char *out)
{
        static const char digits[] = "0123456789abcdef";
        size_t i;

        for (i = 0; i < n; i++) {
                out[2 * i] = digits[b[i] >> 4];
                out[2 * i + 1] = digits[b[i] & 15];
        }
        out[2 * n] = '\0';
}

int auditfmt_digest(const void *buf, size_t len, char hex[AUDITFMT_HEX + 1])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;

        if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
            mdlen != AUDITFMT_HEX / 2)
                return -1;
        auditfmt_hex(md, mdlen, hex);
        return 0;
}

int auditfmt_is_hex(const char *s)
{
        size_t i;

        if (s == NULL)
                return 0;
        for (i = 0; s[i] != '\0'; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return 0;
        return i == AUDITFMT_HEX;
}

int auditfmt_seed(char hex[AUDITFMT_HEX + 1])
{
        unsigned char b[AUDITFMT_HEX / 2];

        if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
                return -1;
        auditfmt_hex(b, sizeof(b), hex);
        return 0;
}

char *auditfmt_seal(const char *body, size_t len, size_t *linelen, char hash[AUDITFMT_HEX + 1])
{
        char *line;
        size_t n;

        /* At least "{}" minus the brace, and room for the seal. */
        if (len < 2 || body[0] != '{' || body[len - 1] != '}' ||
            memchr(body, '\n', len) != NULL ||
            len - 1 + SUFFIX_LEN + AUDITFMT_HEX + 2 > AUDITFMT_LINE_MAX)
                return NULL;
        if (auditfmt_digest(body, len - 1, hash) < 0)
                return NULL;
        n = len - 1 + SUFFIX_LEN + AUDITFMT_HEX + 3;
        if ((line = malloc(n)) == NULL)
                return NULL;
        memcpy(line, body, len - 1);
        memcpy(line + len - 1, AUDITFMT_SUFFIX, SUFFIX_LEN);
        memcpy(line + len - 1 + SUFFIX_LEN, hash, AUDITFMT_HEX);
        /* A line of linelen bytes, not a C string. */
        memcpy(line + n - 3, "\"}\n", 3); // NOLINT(bugprone-not-null-terminated-result)
        *linelen = n;
        return line;
}

int auditfmt_check(const char *line, size_t len, char hash[AUDITFMT_HEX + 1], const char **why)
{
        char want[AUDITFMT_HEX + 1];
        size_t head;

        if (len > AUDITFMT_LINE_MAX) {
                *why = "line too long";
                return -1;
        }
        if (len < 2 + SUFFIX_LEN + AUDITFMT_HEX + 2 || line[0] != '{' ||
            memcmp(line + len - 2, "\"}", 2) != 0) {
                *why = "not a sealed audit record";
                return -1;
        }
        head = len - 2 - AUDITFMT_HEX - SUFFIX_LEN;
        if (memcmp(line + head, AUDITFMT_SUFFIX, SUFFIX_LEN) != 0) {
                *why = "the record does not end with its hash";
                return -1;
        }
        memcpy(want, line + head + SUFFIX_LEN, AUDITFMT_HEX);
        want[AUDITFMT_HEX] = '\0';
        if (!auditfmt_is_hex(want)) {
                *why = "its hash is not 64 lowercase hex digits";
                return -1;
        }
        if (auditfmt_digest(line, head, hash) < 0) {
                *why = "SHA-256 failed";
                return -1;
        }
        if (strcmp(hash, want) != 0) {
                *why = "its hash does not match its content (the line was altered)";
                return -1;
        }
        return 0;
}
