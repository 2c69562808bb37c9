/* string.h: guest-kit's C library: memory and string functions. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_STRING_H
#define GUEST_KIT_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t maxlen);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strcpy(char *restrict dst, const char *restrict src);
char *strncpy(char *restrict dst, const char *restrict src, size_t n);
char *strstr(const char *haystack, const char *needle);
/* Copies in malloc'd memory; NULL when there is none. */
char *strdup(const char *s);
char *strndup(const char *s, size_t n);

#endif /* GUEST_KIT_STRING_H */
