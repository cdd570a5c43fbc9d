/*
 * jtext.h - what jparse.c and jdump.c both ask of JSON string bytes, eight
 * at a time.
 */
#ifndef DOCKGATE_JTEXT_H
#define DOCKGATE_JTEXT_H

#include <stdint.h>
#include <string.h>

#define JTEXT_ONES 0x0101010101010101ull
#define JTEXT_HIGHS 0x8080808080808080ull

/*
 * Whether one of the 8 bytes at p is below 0x20, a quote or a backslash
 * (the bytes a JSON string cannot hold as they are): "has a zero byte" and
 * "has a byte less than n" of Hacker's Delight, exact for the question asked.
 */
static inline int jtext_stop8(const unsigned char *p, uint64_t *w)
{
        uint64_t q, b;

        memcpy(w, p, 8);
        q = *w ^ (JTEXT_ONES * '"');
        b = *w ^ (JTEXT_ONES * '\\');
        /* != 0: the flags may all be in the upper half, which an int would lose. */
        return ((((*w - JTEXT_ONES * 0x20) & ~*w) | ((q - JTEXT_ONES) & ~q) |
                 ((b - JTEXT_ONES) & ~b)) &
                JTEXT_HIGHS) != 0;
}

#endif
