/*
 * b64.c - RFC 4648 base64 (with padding) and a strict UTF-8 validator.
 *
 * None of our libraries exports base64 through a C API, so it lives here.
 * Decoding is strict: length a multiple of 4, padding only at the end,
 * no whitespace, and unused bits of the last group must be zero, so that
 * every byte string has exactly one accepted encoding.
 */
#include <stdint.h>
#include <stdlib.h>

#include "b64.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *b64_encode(const void *in, size_t len)
{
        const unsigned char *p = in;
        size_t i, o = 0;
        uint32_t v;
        char *out;

        if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
                return NULL;
        if ((out = malloc((len + 2) / 3 * 4 + 1)) == NULL)
                return NULL;
        for (i = 0; i + 2 < len; i += 3) {
                v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
                out[o++] = b64_alphabet[v >> 18 & 63];
                out[o++] = b64_alphabet[v >> 12 & 63];
                out[o++] = b64_alphabet[v >> 6 & 63];
                out[o++] = b64_alphabet[v & 63];
        }
        if (len - i == 1) {
                v = (uint32_t)p[i] << 16;
                out[o++] = b64_alphabet[v >> 18 & 63];
                out[o++] = b64_alphabet[v >> 12 & 63];
                out[o++] = '=';
                out[o++] = '=';
        } else if (len - i == 2) {
                v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
                out[o++] = b64_alphabet[v >> 18 & 63];
                out[o++] = b64_alphabet[v >> 12 & 63];
                out[o++] = b64_alphabet[v >> 6 & 63];
                out[o++] = '=';
        }
        out[o] = '\0';
        return out;
}

static int b64_value(unsigned char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

unsigned char *b64_decode(const char *in, size_t len, size_t *outlen)
{
        const unsigned char *p = (const unsigned char *)in;
        unsigned char *out;
        size_t i, j, o = 0, pad = 0;
        uint32_t v;
        int d;

        *outlen = 0;
        if (len % 4 != 0)
                return NULL;
        if (len > 0 && p[len - 1] == '=')
                pad = (len > 1 && p[len - 2] == '=') ? 2 : 1;
        if ((out = malloc(len / 4 * 3 + 1)) == NULL)
                return NULL;
        for (i = 0; i < len; i += 4) {
                v = 0;
                for (j = 0; j < 4; j++) {
                        /* '=' only in the last group's trailing pad positions */
                        if (i + 4 == len && j >= 4 - pad) {
                                v <<= 6;
                                continue;
                        }
                        if ((d = b64_value(p[i + j])) < 0)
                                goto bad;
                        v = v << 6 | (uint32_t)d;
                }
                out[o++] = (unsigned char)(v >> 16);
                if (i + 4 < len || pad < 2)
                        out[o++] = (unsigned char)(v >> 8);
                if (i + 4 < len || pad < 1)
                        out[o++] = (unsigned char)v;
                /* non-canonical: bits hidden under the padding must be zero */
                if (i + 4 == len && ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff))))
                        goto bad;
        }
        *outlen = o;
        return out;
bad:
        free(out);
        return NULL;
}

int utf8_valid(const void *buf, size_t len)
{
        const unsigned char *p = buf;
        size_t i = 0, n, k;
        unsigned char lo, hi;

        while (i < len) {
                unsigned char c = p[i];

                if (c < 0x80) {
                        i++;
                        continue;
                }
                /* Unicode table 3-7: lead byte fixes the length and the 2nd byte's range. */
                lo = 0x80;
                hi = 0xbf;
                if (c >= 0xc2 && c <= 0xdf) {
                        n = 2;
                } else if (c >= 0xe0 && c <= 0xef) {
                        n = 3;
                        if (c == 0xe0)
                                lo = 0xa0; /* overlong */
                        else if (c == 0xed)
                                hi = 0x9f; /* surrogates */
                } else if (c >= 0xf0 && c <= 0xf4) {
                        n = 4;
                        if (c == 0xf0)
                                lo = 0x90; /* overlong */
                        else if (c == 0xf4)
                                hi = 0x8f; /* above U+10FFFF */
                } else {
                        return 0; /* continuation byte, 0xc0/0xc1 overlongs, 0xf5.. */
                }
                if (len - i < n)
                        return 0;
                if (p[i + 1] < lo || p[i + 1] > hi)
                        return 0;
                for (k = 2; k < n; k++)
                        if (p[i + k] < 0x80 || p[i + k] > 0xbf)
                                return 0;
                i += n;
        }
        return 1;
}
