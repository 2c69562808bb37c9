/* test_diskspec.c: xl disk specifications: forms, defaults, device numbers, bad input. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskspec.h"

static struct diskspec parse_ok(const char *spec)
{
    struct diskspec d;
    char err[256] = "";
    int rc = diskspec_parse(spec, &d, err, sizeof(err));

    ck_assert_msg(rc == 0, "'%s': %d (%s)", spec, rc, err);
    return d;
}

static void parse_fails(const char *spec, const char *want)
{
    struct diskspec d;
    char err[256] = "";
    int rc = diskspec_parse(spec, &d, err, sizeof(err));

    ck_assert_msg(rc == -EINVAL, "'%s' parsed (rc %d)", spec, rc);
    ck_assert_msg(strstr(err, want), "'%s': message '%s' lacks '%s'", spec, err, want);
}

/* The equivalent forms xl-disk-configuration(5) lists. */
START_TEST(test_equivalent_forms)
{
    static const char *const forms[] = {
        "/dev/vg/guest-volume,,hda",
        "/dev/vg/guest-volume,raw,hda,rw",
        "format=raw, vdev=hda, access=rw, target=/dev/vg/guest-volume",
        "raw:/dev/vg/guest-volume,hda,w",
        "phy:/dev/vg/guest-volume,hda,w",
        "  /dev/vg/guest-volume , raw , hda , rw ",
    };

    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        struct diskspec d = parse_ok(forms[i]);

        ck_assert_str_eq(d.target, "/dev/vg/guest-volume");
        ck_assert_str_eq(d.vdev, "hda");
        ck_assert_uint_eq(d.devid, 3u << 8);
        ck_assert(!d.readonly);
        ck_assert(!d.cdrom);
    }
}
END_TEST

START_TEST(test_cdrom_forms)
{
    static const char *const forms[] = {
        "/root/image.iso,,hdc,cdrom",
        "/root/image.iso,,hdc,,cdrom",
        "/root/image.iso,raw,hdc,devtype=cdrom",
        "format=raw, vdev=hdc, access=ro, devtype=cdrom, target=/root/image.iso",
        "raw:/root/image.iso,hdc:cdrom,ro",
    };

    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        struct diskspec d = parse_ok(forms[i]);

        ck_assert_str_eq(d.target, "/root/image.iso");
        ck_assert_str_eq(d.vdev, "hdc");
        ck_assert_uint_eq(d.devid, 22u << 8);
        ck_assert(d.readonly);
        ck_assert(d.cdrom);
    }
}
END_TEST

START_TEST(test_target_takes_the_rest)
{
    struct diskspec d = parse_ok("vdev=xvdb, access=ro, target=/images/a,b,c.img");

    ck_assert_str_eq(d.target, "/images/a,b,c.img");
    ck_assert(d.readonly);
    d = parse_ok("disk.img,,xvda,,discard");
    ck_assert_str_eq(d.target, "disk.img");
    ck_assert_int_eq(d.discard, 1);
    d = parse_ok("tap:aio:/x.img,xvdc,r");
    ck_assert_str_eq(d.target, "/x.img");
    ck_assert(d.readonly);
    d = parse_ok("/x.img,,xvdd,no-discard,direct-io-safe,backendtype=phy,backend=0");
    ck_assert_int_eq(d.discard, 0);
}
END_TEST

START_TEST(test_devids)
{
    static const struct {
        const char *vdev;
        uint32_t devid;
    } cases[] = {
        { "xvda", 51712 }, { "xvdb", 51728 }, { "xvda1", 51713 }, { "xvdp15", 51967 },
        { "xvdq", (1u << 28) | (16u << 8) }, { "xvdaa", (1u << 28) | (26u << 8) },
        { "xvda16", (1u << 28) | 16 }, { "sda", 8u << 8 }, { "sdb3", (8u << 8) | 19 },
        { "hda", 3u << 8 }, { "hdb", (3u << 8) | 64 }, { "hdc", 22u << 8 },
        { "hdd2", (22u << 8) | 66 }, { "d0", 51712 }, { "d1p2", 51730 },
        { "d100p3", (1u << 28) | (100u << 8) | 3 },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t devid = 0;

        ck_assert_msg(diskspec_vdev_to_devid(cases[i].vdev, &devid) == 0, "%s", cases[i].vdev);
        ck_assert_msg(devid == cases[i].devid, "%s: %#x, wanted %#x", cases[i].vdev, devid,
                      cases[i].devid);
    }
}
END_TEST

START_TEST(test_bad_vdevs)
{
    static const char *const bad[] = {
        "", "xvd", "xvdA", "xvda-1", "xvda01", "xvda256", "vda", "sd", "hdu", "hda64",
        "d", "dx", "d0p", "d0p256", "d01", "xvdzzzzzzzz", "xvda1x", "d1048576",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint32_t devid;

        ck_assert_msg(diskspec_vdev_to_devid(bad[i], &devid) == -EINVAL, "'%s' accepted",
                      bad[i]);
    }
}
END_TEST

START_TEST(test_bad_specs)
{
    parse_fails("", "no vdev");
    parse_fails("/x.img", "no vdev");
    parse_fails(",,xvda", "no target");
    parse_fails("/x.img,qcow2,xvda", "format 'qcow2' is not supported");
    parse_fails("qcow2:/x.img,xvda,w", "format 'qcow2' is not supported");
    parse_fails("/x.img,,xvda,maybe", "unknown access 'maybe'");
    parse_fails("/x.img,,xvda,rw,extra", "too many positional parameters");
    parse_fails("/x.img,,vda", "bad vdev 'vda'");
    parse_fails("/x.img,,hdc:floppy", "only the ':cdrom' suffix");
    parse_fails("/x.img,,xvda,devtype=tape", "unknown devtype 'tape'");
    parse_fails("/x.img,,xvda,color=blue", "unknown disk parameter 'color'");
    parse_fails("/x.img,,xvda,script=block-iscsi", "block scripts");
    parse_fails("/x.img,,xvda,backend=web", "domain 0 only");
    parse_fails("/x.img,,xvda,backendtype=nvme", "unknown backendtype");
    parse_fails("vdev=xvda,vdev=xvdb,target=/x", "'vdev' is given twice");
    parse_fails("/x.img,,xvda,cdrom,access=rw", "read-only");
    parse_fails("target=/a,target=/b", "no vdev");
}
END_TEST

START_TEST(test_canonical_round_trip)
{
    static const char *const specs[] = {
        "/dev/vg/v,,xvda", "raw:/r.iso,hdc:cdrom,ro", "vdev=xvdb,access=ro,target=/a,b",
        "/x.img,,sdc3,w,discard", "/y.img,,d3p2,,no-discard",
    };

    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        struct diskspec a = parse_ok(specs[i]), b;
        char canon[8192];

        ck_assert_int_gt(diskspec_format(&a, canon, sizeof(canon)), 0);
        b = parse_ok(canon);
        ck_assert_mem_eq(&a, &b, sizeof(a));
    }
    {
        struct diskspec a = parse_ok("/dev/vg/v,,xvda");
        char tiny[16];

        ck_assert_int_eq(diskspec_format(&a, tiny, sizeof(tiny)), -ENAMETOOLONG);
    }
}
END_TEST

START_TEST(test_hostile_lengths)
{
    char *spec = malloc(10000);
    struct diskspec d;
    char err[128];

    ck_assert_ptr_nonnull(spec);
    memset(spec, 'a', 9999);
    spec[9999] = '\0';
    ck_assert_int_eq(diskspec_parse(spec, &d, err, sizeof(err)), -EINVAL);
    memcpy(spec, "target=/", 8);
    ck_assert_int_eq(diskspec_parse(spec, &d, err, sizeof(err)), -EINVAL);
    memset(spec, ',', 9999);
    ck_assert_int_eq(diskspec_parse(spec, &d, err, sizeof(err)), -EINVAL);
    free(spec);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("diskspec");
    TCase *tc = tcase_create("diskspec");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_equivalent_forms);
    tcase_add_test(tc, test_cdrom_forms);
    tcase_add_test(tc, test_target_takes_the_rest);
    tcase_add_test(tc, test_devids);
    tcase_add_test(tc, test_bad_vdevs);
    tcase_add_test(tc, test_bad_specs);
    tcase_add_test(tc, test_canonical_round_trip);
    tcase_add_test(tc, test_hostile_lengths);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
