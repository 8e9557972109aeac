/*
 * The unit tests' pseudo-random numbers: xorshift64, repeatable from a
 * seed so that a failing random case can be replayed. Each test file gets
 * its own state; define TEST_RNG_SEED before including to start elsewhere,
 * or assign rng_state in a test.
 */
#ifndef KEEL_TEST_RNG_H
#define KEEL_TEST_RNG_H

#include <stdint.h>

#ifndef TEST_RNG_SEED
#define TEST_RNG_SEED 0x9e3779b97f4a7c15ULL
#endif

static uint64_t rng_state = TEST_RNG_SEED;

static inline uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Uniform enough in [0, n) for tests; n must not be 0. */
static inline uint64_t rng_below(uint64_t n)
{
	return rng() % n;
}

#endif
