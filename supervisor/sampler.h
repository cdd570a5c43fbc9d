/*
 * sampler.h - background sampling of the engine for accounting: which
 * containers each peer owns (by the owner label) and, for the running
 * ones, CPU time and memory from one stats sample each (account.h).
 */
#ifndef DG_SAMPLER_H
#define DG_SAMPLER_H

#include <stdint.h>

#include "supervisor.h"

struct sampler;

/* Starts sampling now and then interval_s seconds after each round. */
struct sampler *sampler_start(struct sv *sv, unsigned interval_s);
void sampler_free(struct sampler *s);
/* 1 when the engine answered the last listing. */
int sampler_engine_up(const struct sampler *s);
/* Rounds completed. */
uint64_t sampler_rounds(const struct sampler *s);

#endif
