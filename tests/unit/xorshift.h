/*
 * xorshift.h - the unit tests' random numbers: Marsaglia's 32-bit xorshift,
 * deterministic, so that a failing random split is reproducible from its seed.
 */
#ifndef DG_TEST_XORSHIFT_H
#define DG_TEST_XORSHIFT_H

#include <stdint.h>

static inline uint32_t xorshift32(uint32_t *state)
{
        *state ^= *state << 13;
        *state ^= *state >> 17;
        *state ^= *state << 5;
        return *state;
}

#endif
