/* fuzz.h: what every fuzz target provides, for libFuzzer and for the replay driver. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_FUZZ_H
#define LAMINA_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/*
 * A target checks the code under test's promises on its own and calls
 * abort() when one is broken: a crash is a finding for libFuzzer and a
 * failure for the replay driver.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs to start from (valid ones, mostly): the replay driver and run-fuzz.sh use them. */
typedef void fuzz_emit_fn(const uint8_t *data, size_t size, void *arg);
void fuzz_seeds(fuzz_emit_fn *emit, void *arg);

/* The largest input the target makes sense of (libFuzzer's -max_len). */
extern const size_t fuzz_max_len;

/* Mutations per seed the replay driver tries under make check (keep it quick). */
extern const unsigned long fuzz_replay_mutations;

/* Stop with a message: something the code under test promised is not so. */
#define FUZZ_CHECK(cond) \
    do { \
        if (!(cond)) \
            fuzz_fail(__FILE__, __LINE__, #cond); \
    } while (0)

void fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

#endif /* LAMINA_FUZZ_H */
