/* test_acpi.c: the ACPI tables PVH domains boot with: layout, checksums, bounds. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "loader/acpi.h"

#define GPA 0xfeffa000ull

static uint8_t buf[4096];

static uint8_t sum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;

    for (size_t i = 0; i < len; i++)
        s += p[i];
    return s;
}

static uint32_t le32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return v;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, 8);
    return v;
}

/* A table the tables point at: inside the buffer, with its signature, summing to zero. */
static const uint8_t *table(uint64_t gpa, const char *sig)
{
    const uint8_t *t;

    ck_assert_uint_ge(gpa, GPA);
    ck_assert_uint_lt(gpa - GPA + 36, sizeof(buf));
    t = buf + (gpa - GPA);
    ck_assert_int_eq(memcmp(t, sig, 4), 0);
    ck_assert_uint_le(gpa - GPA + le32(t + 4), sizeof(buf));
    ck_assert_uint_eq(sum(t, le32(t + 4)), 0);
    return t;
}

static void check_tables(uint32_t n, uint32_t online)
{
    int off = acpi_build(buf, sizeof(buf), GPA, n, online);
    const uint8_t *rsdp, *xsdt, *fadt, *madt, *dsdt;

    ck_assert_int_ge(off, 0);
    rsdp = buf + off;
    ck_assert_int_eq(memcmp(rsdp, "RSD PTR ", 8), 0);
    ck_assert_uint_eq(sum(rsdp, 20), 0);
    ck_assert_uint_eq(sum(rsdp, 36), 0);
    ck_assert_uint_eq(rsdp[15], 2);
    xsdt = table(le64(rsdp + 24), "XSDT");
    ck_assert_uint_eq(le32(xsdt + 4), 36 + 16);
    fadt = table(le64(xsdt + 36), "FACP");
    madt = table(le64(xsdt + 44), "APIC");
    /* Hardware-reduced, reset register supported, no VGA, no CMOS RTC. */
    ck_assert_uint_eq(le32(fadt + 112) & (1u << 20), 1u << 20);
    ck_assert_uint_eq(le32(fadt + 112) & (1u << 10), 1u << 10);
    ck_assert_uint_eq(fadt[109] & 0x24, 0x24);
    ck_assert_uint_eq(le64(fadt + 116 + 4), ACPI_RESET_PORT);
    ck_assert_uint_eq(le64(fadt + 244 + 4), ACPI_SLEEP_CONTROL_PORT);
    dsdt = table(le64(fadt + 140), "DSDT");
    ck_assert_uint_eq(le32(fadt + 40), le64(fadt + 140));
    ck_assert_ptr_nonnull(memmem(dsdt + 36, le32(dsdt + 4) - 36, "_S5_", 4));
    /* One local APIC per vCPU: UID and APIC id the vCPU id, the online ones enabled. */
    ck_assert_uint_eq(le32(madt + 4), 44 + 8 * n);
    ck_assert_uint_eq(le32(madt + 36), 0xfee00000u);
    ck_assert_uint_eq(le32(madt + 40), 0);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = madt + 44 + 8 * i;

        ck_assert_uint_eq(e[0], 0);
        ck_assert_uint_eq(e[1], 8);
        ck_assert_uint_eq(e[2], i);
        ck_assert_uint_eq(e[3], i);
        ck_assert_uint_eq(le32(e + 4), i < online ? 1u : 2u);
    }
}

START_TEST(test_layouts)
{
    check_tables(1, 1);
    check_tables(2, 2);
    check_tables(8, 3);
    check_tables(ACPI_TABLES_MAX_VCPUS, ACPI_TABLES_MAX_VCPUS);
}
END_TEST

START_TEST(test_bad_input)
{
    uint8_t small[256];

    ck_assert_int_eq(acpi_build(buf, sizeof(buf), GPA, 0, 0), -EINVAL);
    ck_assert_int_eq(acpi_build(buf, sizeof(buf), GPA, ACPI_TABLES_MAX_VCPUS + 1, 1), -EINVAL);
    ck_assert_int_eq(acpi_build(buf, sizeof(buf), GPA, 2, 3), -EINVAL);
    ck_assert_int_eq(acpi_build(small, sizeof(small), GPA, 64, 64), -ENOSPC);
    ck_assert_int_eq(acpi_build(buf, 100, GPA, 1, 1), -ENOSPC);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("acpi");
    TCase *tc = tcase_create("tables");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_layouts);
    tcase_add_test(tc, test_bad_input);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
