/* assert.h: guest-kit's C library: assert() panics with the failed expression and its place. */
/* SPDX-License-Identifier: MIT */

/* No include guard: the C standard lets NDEBUG change between inclusions. */
#undef assert

_Noreturn void gk_assert_failed(const char *expr, const char *file, unsigned int line,
                                const char *func);

#ifdef NDEBUG
#define assert(expr) ((void)0)
#else
#define assert(expr) \
    ((expr) ? (void)0 : gk_assert_failed(#expr, __FILE__, __LINE__, __func__))
#endif

#ifndef __cplusplus
#define static_assert _Static_assert
#endif
