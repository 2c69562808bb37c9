/* stdlib.h: guest-kit's C library: conversions, the heap, and leaving the program. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_STDLIB_H
#define GUEST_KIT_STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

/* On overflow these return the nearest limit and set errno to ERANGE. */
long strtol(const char *restrict s, char **restrict end, int base);
long long strtoll(const char *restrict s, char **restrict end, int base);
unsigned long strtoul(const char *restrict s, char **restrict end, int base);
unsigned long long strtoull(const char *restrict s, char **restrict end, int base);
int atoi(const char *s);
long atol(const char *s);
int abs(int v);
long labs(long v);

/*
 * The heap is the RAM the memory map gives the domain, minus the kernel
 * image and what the domain builder left there (start info, command line,
 * modules). Blocks are 16-byte aligned.
 */
void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void *realloc(void *ptr, size_t size);
void *aligned_alloc(size_t alignment, size_t size);
void free(void *ptr);

/* exit(0) powers the domain off; any other status crashes it (see guest-kit.h). */
_Noreturn void exit(int status);
_Noreturn void abort(void);

#endif /* GUEST_KIT_STDLIB_H */
