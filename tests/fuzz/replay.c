/* replay.c: runs a fuzz target without libFuzzer: over files, or over its seeds and mutations. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/*
 * Usage:
 *   NAME                  the target's seeds, then mutations of each (make check)
 *   NAME -n COUNT         as above with COUNT mutations per seed
 *   NAME FILE...          each file as one input (reproduce a libFuzzer crash)
 *   NAME --seeds DIR      write the seeds to DIR (run-fuzz.sh's first corpus)
 *   NAME --max-len        print the largest input the target wants
 * Every input is passed in a heap buffer of exactly its size, so that a
 * sanitizer sees any read past its end.
 */

static void run_one(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);

    if (!copy)
        abort();
    memcpy(copy, data, size);
    LLVMFuzzerTestOneInput(copy, size);
    free(copy);
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

struct mutate_ctx {
    unsigned long count;
    unsigned long inputs;
};

/* Overwrite, splat small and boundary values, cut short or grow. */
static void mutate_and_run(const uint8_t *seed, size_t size, void *arg)
{
    static const uint64_t edge[] = {
        0, 1, 0x7f, 0x80, 0xff, 0xfff, 0x1000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
        0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull, UINT64_MAX,
    };
    struct mutate_ctx *ctx = arg;
    size_t cap = size + 64 < fuzz_max_len ? size + 64 : fuzz_max_len;
    uint8_t *buf = malloc(cap ? cap : 1);

    if (!buf)
        abort();
    run_one(seed, size);
    ctx->inputs++;
    for (unsigned long i = 0; i < ctx->count && size; i++) {
        size_t n = size;

        memcpy(buf, seed, size);
        for (int k = 1 + (int)(rng() % 4); k > 0; k--) {
            size_t at = rng() % n;
            size_t width = (size_t)1 << (rng() % 4);
            uint64_t v = edge[rng() % (sizeof(edge) / sizeof(edge[0]))];

            if (rng() % 3 == 0)
                buf[at] = (uint8_t)rng();
            else if (at + width <= n)
                memcpy(buf + at, &v, width);
        }
        switch (rng() % 8) {
        case 0:
            n = rng() % size;
            break;
        case 1:
            while (n < cap)
                buf[n++] = (uint8_t)rng();
            break;
        default:
            break;
        }
        run_one(buf, n);
        ctx->inputs++;
    }
    free(buf);
}

static void write_seed(const uint8_t *data, size_t size, void *arg)
{
    static unsigned int n;
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/seed-%u", (const char *)arg, n++);
    f = fopen(path, "wbe");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rbe");
    uint8_t *buf;
    long size;

    if (!f || fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
        fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
        return 1;
    }
    buf = malloc((size_t)size + 1);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    fclose(f);
    run_one(buf, (size_t)size);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    struct mutate_ctx ctx = { fuzz_replay_mutations, 0 };
    int rc = 0;

    if (argc == 2 && !strcmp(argv[1], "--max-len")) {
        printf("%zu\n", fuzz_max_len);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "--seeds")) {
        fuzz_seeds(write_seed, argv[2]);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "-n")) {
        ctx.count = strtoul(argv[2], NULL, 0);
        argc = 1;
    }
    if (argc == 1) {
        fuzz_seeds(mutate_and_run, &ctx);
        printf("%s: %lu inputs, no broken promise\n", argv[0], ctx.inputs);
        return 0;
    }
    for (int i = 1; i < argc; i++)
        rc |= run_file(argv[i]);
    return rc;
}
