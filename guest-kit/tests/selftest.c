/* selftest.c: a guest that checks guest-kit's C library, heap, argv and time from the inside. */
/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/hvm/hvm_op.h>

#include <guest-kit/guest-kit.h>

#include "../internal.h"        /* gk_lapic_disable(), for the lost upcall */

const char gk_program_name[] = "selftest";

static int failures, checks;

#define CHECK(cond) check((cond), #cond, __LINE__)

static void check(bool ok, const char *what, int line)
{
    checks++;
    if (!ok) {
        failures++;
        printf("FAIL selftest.c:%d: %s\n", line, what);
    }
}

static bool formats(const char *want, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool formats(const char *want, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n == (int)strlen(want) && !strcmp(buf, want))
        return true;
    printf("  \"%s\" gave \"%s\" (%d), want \"%s\"\n", fmt, buf, n, want);
    return false;
}

static void test_string(void)
{
    char buf[32];

    CHECK(strlen("") == 0 && strlen("abc") == 3);
    CHECK(strnlen("abcdef", 4) == 4 && strnlen("ab", 4) == 2);
    CHECK(strcmp("abc", "abd") < 0 && strcmp("abd", "abc") > 0 && !strcmp("x", "x"));
    CHECK(strcmp("ab", "abc") < 0 && strcmp("\xff", "a") > 0);
    CHECK(!strncmp("abcX", "abcY", 3) && strncmp("abcX", "abcY", 4) < 0 && !strncmp("a", "b", 0));
    CHECK(memcmp("abc", "abd", 3) < 0 && !memcmp("abc", "abd", 2) && !memcmp("", "", 0));
    strcpy(buf, "hello");
    CHECK(strchr(buf, 'l') == buf + 2 && strrchr(buf, 'l') == buf + 3 && !strchr(buf, 'z'));
    CHECK(strchr(buf, '\0') == buf + 5 && strrchr(buf, '\0') == buf + 5);
    CHECK(strstr(buf, "llo") == buf + 2 && strstr(buf, "") == buf && !strstr(buf, "lol"));
    CHECK(strstr("aaab", "aab") != NULL && !strstr("ab", "abc"));
    CHECK(memchr(buf, 'o', 5) == buf + 4 && !memchr(buf, 'o', 4) && !memchr(buf, 'h', 0));

    memset(buf, 'x', sizeof(buf));
    strncpy(buf, "ab", 5);
    CHECK(!memcmp(buf, "ab\0\0\0x", 6));
    for (int i = 0; i < 20; i++)
        buf[i] = (char)('a' + i);
    memmove(buf + 3, buf, 13);             /* overlapping, forwards */
    CHECK(!memcmp(buf, "abcabcdefghijklmq", 17));
    memmove(buf, buf + 3, 13);             /* overlapping, backwards */
    CHECK(!memcmp(buf, "abcdefghijklmklmq", 17));
    memset(buf, 0, 11);
    CHECK(buf[0] == 0 && buf[10] == 0 && buf[11] == 'l');
}

static void test_format(void)
{
    const char *volatile nothing = NULL;    /* volatile: gcc would warn about a literal NULL */

    CHECK(formats("42 -7 +3  5", "%d %i %+d % d", 42, -7, 3, 5));
    CHECK(formats("[   42][42   ][00042][  -42][-0042]", "[%5d][%-5d][%05d][%5d][%05d]",
                  42, 42, 42, -42, -42));
    CHECK(formats("ff FF 0xff 0XFF 17 017 0", "%x %X %#x %#X %o %#o %#o", 255, 255, 255, 255,
                  15, 15, 0));
    CHECK(formats("[00042][  042][-042]", "[%.5d][%5.3d][%.3d]", 42, 42, -42));
    CHECK(formats("[][0]", "[%.0d][%d]", 0, 0));
    CHECK(formats("18446744073709551615 -9223372036854775808", "%llu %lld", ULLONG_MAX,
                  LLONG_MIN));
    CHECK(formats("255 65535 -1 -128", "%hhu %hu %hhd %hhd", 511, 131071, 255, 128));
    CHECK(formats("123 -5 7", "%zu %zd %jd", (size_t)123, (long)-5, (intmax_t)7));
    CHECK(formats("[abc][  abc][abc  ][ab][(null)]", "[%s][%5s][%-5s][%.2s][%s]", "abc",
                  "abc", "abc", "abcdef", nothing));
    CHECK(formats("[x][  x][%][(nil)][0x1234]", "[%c][%3c][%%][%p][%p]", 'x', 'x', NULL,
                  (void *)0x1234));
    CHECK(formats("[   7][7   ][ 3.14]", "[%*d][%-*d][%*.*s]", 4, 7, -4, 7, 5, 4, "3.1415"));
    CHECK(formats("2147483647 -2147483648 4294967295", "%d %d %u", INT_MAX, INT_MIN, UINT_MAX));

    char small[4];
    CHECK(snprintf(small, sizeof(small), "%s", "abcdef") == 6 && !strcmp(small, "abc"));
    CHECK(snprintf(NULL, 0, "%d", 12345) == 5);
}

static void test_stdlib(void)
{
    char *end;

    CHECK(strtol("  -123xyz", &end, 10) == -123 && *end == 'x');
    CHECK(strtol("0x1F", NULL, 0) == 31 && strtol("017", NULL, 0) == 15);
    CHECK(strtol("0", NULL, 0) == 0 && strtol("-0x10", NULL, 16) == -16);
    CHECK(strtoul("ff", NULL, 16) == 255 && strtoul("0xff", NULL, 16) == 255);
    CHECK(strtol("zz", NULL, 36) == 35 * 36 + 35);
    CHECK(strtol("0x", &end, 0) == 0 && *end == 'x');
    CHECK(strtol("+", &end, 10) == 0 && *end == '+');
    errno = 0;
    CHECK(strtol("9223372036854775808", NULL, 10) == LONG_MAX && errno == ERANGE);
    errno = 0;
    CHECK(strtol("-9223372036854775808", NULL, 10) == LONG_MIN && errno == 0);
    CHECK(strtoull("18446744073709551616", NULL, 10) == ULLONG_MAX && errno == ERANGE);
    CHECK(strtoull("-1", NULL, 10) == ULLONG_MAX);
    CHECK(atoi("  42") == 42 && atol("-9") == -9 && abs(-3) == 3 && labs(-4L) == 4);
    CHECK(isdigit('7') && !isdigit('a') && isxdigit('F') && isspace('\t') && !isspace('x'));
    CHECK(toupper('a') == 'A' && tolower('Q') == 'q' && toupper('1') == '1' && ispunct('!'));
}

/* The largest block malloc() can give now, to within 4 KiB. */
static size_t largest_block(void)
{
    size_t lo = 0, hi = (size_t)1 << 32;

    while (hi - lo > 4096) {
        size_t mid = lo + (hi - lo) / 2;
        void *p = malloc(mid);

        if (p)
            lo = mid;
        else
            hi = mid;
        free(p);
    }
    return lo;
}

static void test_heap(void)
{
    enum { N = 64 };
    size_t before = largest_block();
    void *p[N];
    char *q;

    printf("  largest heap block: %zu KiB\n", before >> 10);
    CHECK(before >= 16u << 20);
    for (int i = 0; i < N; i++) {
        p[i] = malloc((size_t)(i * 37 % 500) + 1);
        CHECK(p[i] && ((uintptr_t)p[i] & 15) == 0);
        memset(p[i], i, (size_t)(i * 37 % 500) + 1);
    }
    for (int i = 0; i < N; i++)
        CHECK(((unsigned char *)p[i])[0] == i);
    /* Freed out of order, the blocks must merge back into what was there. */
    for (int i = 0; i < N; i += 2)
        free(p[i]);
    for (int i = 1; i < N; i += 2)
        free(p[i]);
    CHECK(largest_block() == before);

    q = aligned_alloc(4096, 100);
    CHECK(q && ((uintptr_t)q & 4095) == 0);
    free(q);
    q = calloc(100, 10);
    CHECK(q && q[0] == 0 && q[999] == 0);
    q = realloc(q, 5000);
    CHECK(q && q[999] == 0);
    free(q);
    CHECK(largest_block() == before);
    errno = 0;
    CHECK(!malloc(SIZE_MAX) && errno == ENOMEM);
    CHECK(!calloc(SIZE_MAX / 2, 4));
    CHECK(!aligned_alloc(24, 10) && errno == EINVAL);
    free(NULL);
}

static void test_argv(int argc, char **argv)
{
    /* The test script passes: one "two words" 'it''s' a\ b */
    CHECK(argc == 5);
    CHECK(argc > 0 && !strcmp(argv[0], "selftest"));
    CHECK(argc > 1 && !strcmp(argv[1], "one"));
    CHECK(argc > 2 && !strcmp(argv[2], "two words"));
    CHECK(argc > 3 && !strcmp(argv[3], "its"));
    CHECK(argc > 4 && !strcmp(argv[4], "a b"));
    CHECK(argv[argc] == NULL);
}

static void test_time_and_domain(void)
{
    uint64_t t0 = gk_monotonic_ns(), t1, wall = gk_wallclock();
    struct xen_hvm_get_time now = { 0 };
    struct gk_xen_version v;

    for (volatile int i = 0; i < 100; i++)
        ;
    t1 = gk_monotonic_ns();
    CHECK(t1 > t0 && t1 - t0 < GK_NSEC_PER_SEC);
    /* The TSC-based time agrees with the hypervisor's own clock. */
    CHECK(HYPERVISOR_hvm_op(HVMOP_get_time, &now) == 0);
    t1 = gk_monotonic_ns();
    CHECK((t1 > now.now ? t1 - now.now : now.now - t1) < GK_NSEC_PER_SEC / 20);
    /* After 2024-01-01 and before 2100. */
    CHECK(wall / GK_NSEC_PER_SEC > 1704067200ull && wall / GK_NSEC_PER_SEC < 4102444800ull);
    CHECK(gk_domid() != 0 && gk_domid() < DOMID_FIRST_RESERVED);
    CHECK(gk_vcpu_id() == 0);
    CHECK(gk_xen_version(&v) == 0 && v.major >= 4);
    CHECK(gk_start_info()->magic == XEN_HVM_START_MAGIC_VALUE);
    CHECK(gk_shared_info() != NULL);
}

static void count_event(evtchn_port_t port, void *arg)
{
    (void)port;
    (*(volatile int *)arg)++;
}

/*
 * An upcall lost on its way (sent while the local APIC was software-
 * disabled, which makes KVM drop it) is raised again by the hypervisor:
 * the event arrives while the vCPU only halts, no timer armed.
 */
static void test_lost_upcall(void)
{
    static volatile int got;
    int port = gk_evtchn_bind_ipi(0, count_event, (void *)&got);
    uint64_t t0, waited;
    unsigned long flags;

    CHECK(port > 0);
    if (port <= 0)
        return;
    flags = gk_irq_save();
    gk_lapic_disable();
    CHECK(gk_evtchn_send((evtchn_port_t)port) == 0);
    gk_lapic_enable();
    t0 = gk_monotonic_ns();
    while (!got && gk_monotonic_ns() - t0 < 3 * GK_NSEC_PER_SEC)
        __asm__ volatile("sti\n\thlt\n\tcli" : : : "memory");
    waited = gk_monotonic_ns() - t0;
    gk_irq_restore(flags);
    CHECK(got == 1);
    printf("selftest: an event sent to a disabled local APIC arrived after %llu ms\n",
           (unsigned long long)(waited / 1000000));
    CHECK(gk_evtchn_close((evtchn_port_t)port) == 0);
}

int main(int argc, char **argv)
{
    test_string();
    test_format();
    test_stdlib();
    test_heap();
    test_argv(argc, argv);
    test_time_and_domain();
    test_lost_upcall();
    assert(checks > 0);
    if (failures) {
        printf("selftest: %d of %d checks FAILED\n", failures, checks);
        return 1;
    }
    printf("selftest: all %d checks passed\n", checks);
    return 0;
}
