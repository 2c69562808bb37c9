/* test_vifspec.c: xl network interface specifications: keys, canonical form, bad input. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vifspec.h"

#define MAX_WARNINGS 8
static char warnings[MAX_WARNINGS][256];
static unsigned int nwarnings;

static void collect(void *arg, const char *msg)
{
    ck_assert_ptr_eq(arg, warnings);
    ck_assert_uint_lt(nwarnings, MAX_WARNINGS);
    snprintf(warnings[nwarnings++], sizeof(warnings[0]), "%s", msg);
}

static struct vifspec parse_ok(const char *spec)
{
    struct vifspec v;
    char err[256];
    int rc;

    nwarnings = 0;
    rc = vifspec_parse(spec, &v, collect, warnings, err, sizeof(err));
    ck_assert_msg(rc == 0, "'%s' refused: %s", spec, err);
    return v;
}

static void parse_fails(const char *spec, const char *want)
{
    struct vifspec v;
    char err[256];

    ck_assert_msg(vifspec_parse(spec, &v, NULL, NULL, err, sizeof(err)) == -EINVAL,
                  "'%s' accepted", spec);
    ck_assert_msg(!strcmp(err, want), "'%s':\n got: %s\nwant: %s", spec, err, want);
}

static const char *canon(const struct vifspec *v)
{
    static char buf[256];

    ck_assert_int_gt(vifspec_format(v, buf, sizeof(buf)), 0);
    return buf;
}

START_TEST(test_empty_and_defaults)
{
    struct vifspec v = parse_ok("");
    char buf[64];

    ck_assert(!v.has_mac);
    ck_assert_str_eq(v.bridge, "");
    ck_assert_str_eq(v.sw, "");
    ck_assert_str_eq(v.vifname, "");
    ck_assert_uint_eq(v.mtu, 0);
    ck_assert_uint_eq(nwarnings, 0);
    /* No canonical form without an address. */
    ck_assert_int_eq(vifspec_format(&v, buf, sizeof(buf)), -EINVAL);
    v = parse_ok("  ");
    ck_assert(!v.has_mac);
}
END_TEST

START_TEST(test_keys)
{
    struct vifspec v = parse_ok("mac=00:16:3E:74:3d:76,bridge=xenbr0");

    ck_assert(v.has_mac);
    ck_assert_uint_eq(v.mac[0], 0x00);
    ck_assert_uint_eq(v.mac[3], 0x74);
    ck_assert_uint_eq(v.mac[5], 0x76);
    ck_assert_str_eq(v.bridge, "xenbr0");
    ck_assert_str_eq(canon(&v), "mac=00:16:3e:74:3d:76, bridge=xenbr0");

    v = parse_ok(" mac = 02:00:00:00:00:01 , vifname=guest.0 , mtu=9000,bridge=br-lan ");
    ck_assert_str_eq(canon(&v), "mac=02:00:00:00:00:01, bridge=br-lan, vifname=guest.0, "
                     "mtu=9000");
    v = parse_ok("switch=lan,mac=02:00:00:00:00:02,type=vif,backend=0,trusted");
    ck_assert_str_eq(canon(&v), "mac=02:00:00:00:00:02, switch=lan");
    v = parse_ok("bridge=lamina:my_switch.1,backend=Domain-0,untrusted,type=vif-only");
    ck_assert_str_eq(v.sw, "my_switch.1");
    ck_assert_str_eq(v.bridge, "");
    ck_assert_uint_eq(nwarnings, 0);
    v = parse_ok("mtu=68");
    ck_assert_uint_eq(v.mtu, 68);
    v = parse_ok("mtu=65535");
    ck_assert_uint_eq(v.mtu, 65535);
    v = parse_ok("vifname=abcdefghijklmno");
    ck_assert_str_eq(v.vifname, "abcdefghijklmno");
}
END_TEST

START_TEST(test_ignored_with_warnings)
{
    struct vifspec v = parse_ok("model=rtl8139,script=vif-route,ip=10.0.0.2,rate=10Mb/s@20ms,"
                                "gatewaydev=eth0,accel=x,bridge=br0");

    ck_assert_str_eq(v.bridge, "br0");
    ck_assert_uint_eq(nwarnings, 6);
    ck_assert_str_eq(warnings[0], "model=rtl8139 is ignored: it chooses an emulated NIC, and "
                     "PVH guests use the paravirtual one");
    ck_assert_str_eq(warnings[1], "script=vif-route is ignored: lamina-netback sets the vif up "
                     "itself (no hotplug scripts run)");
    ck_assert_str_eq(warnings[2], "ip=10.0.0.2 is ignored: Lamina neither routes nor filters by "
                     "address; configure the address inside the guest");
    ck_assert_str_eq(warnings[3], "rate=10Mb/s@20ms is ignored: lamina-netback does not limit "
                     "rates");
    /* Keys of a newer xl, and devid (vifs are numbered in list order). */
    v = parse_ok("colour=blue, devid=5, bridge=br1");
    ck_assert_str_eq(v.bridge, "br1");
    ck_assert_uint_eq(nwarnings, 2);
    ck_assert_str_eq(warnings[0], "unknown vif parameter 'colour' is ignored (known: mac, "
                     "bridge, switch, vifname, mtu, type, model, script, ip, rate, backend)");
    ck_assert_str_eq(warnings[1], "devid=5 is ignored: Lamina numbers a domain's vifs in list "
                     "order from 0 (network-attach: the next free number)");
    /* vifname and mtu mean nothing on a switch port. */
    v = parse_ok("switch=s,vifname=x,mtu=1400");
    ck_assert_uint_eq(nwarnings, 2);
    ck_assert_str_eq(warnings[0], "vifname=x is ignored: a switch port has no host interface");
    ck_assert_str_eq(warnings[1], "mtu=1400 is ignored: a switch port has no host interface");
    ck_assert_str_eq(canon(&(struct vifspec){ .has_mac = true, .mac = { 2 }, .sw = "s" }),
                     "mac=02:00:00:00:00:00, switch=s");
    ck_assert_str_eq(v.vifname, "");
    ck_assert_uint_eq(v.mtu, 0);
}
END_TEST

START_TEST(test_bad_specs)
{
    parse_fails("mac=00:16:3e:00:00", "mac '00:16:3e:00:00' is not six pairs of hex digits like "
                "00:16:3e:12:34:56");
    parse_fails("mac=00:16:3e:00:00:0g", "mac '00:16:3e:00:00:0g' is not six pairs of hex "
                "digits like 00:16:3e:12:34:56");
    parse_fails("mac=00-16-3e-00-00-01", "mac '00-16-3e-00-00-01' is not six pairs of hex "
                "digits like 00:16:3e:12:34:56");
    parse_fails("mac=00:16:3e:00:00:01:02", "mac '00:16:3e:00:00:01:02' is not six pairs of "
                "hex digits like 00:16:3e:12:34:56");
    parse_fails("mac=ff:ff:ff:ff:ff:ff", "mac 'ff:ff:ff:ff:ff:ff' is a multicast address (the "
                "first octet is odd): a NIC needs a unicast address, e.g. 00:16:3e:xx:xx:xx");
    parse_fails("mac=00:00:00:00:00:00", "mac '00:00:00:00:00:00' is all zero: give a unicast "
                "address or leave mac= out to have one generated");
    parse_fails("mac=", "mac '' is not six pairs of hex digits like 00:16:3e:12:34:56");
    parse_fails("mac=02:00:00:00:00:01,mac=02:00:00:00:00:02", "'mac' is given twice");
    parse_fails("bridge=br0,switch=s", "give either a bridge or a switch, not both");
    parse_fails("switch=s,bridge=br0", "give either a bridge or a switch, not both");
    parse_fails("bridge=lamina:a,switch=b", "give either a bridge or a switch, not both");
    parse_fails("bridge=", "bridge '' is not a valid interface name (at most 15 characters, "
                "no '/', ':' or blanks)");
    parse_fails("bridge=a/b", "bridge 'a/b' is not a valid interface name (at most 15 "
                "characters, no '/', ':' or blanks)");
    parse_fails("bridge=abcdefghijklmnop", "bridge 'abcdefghijklmnop' is not a valid "
                "interface name (at most 15 characters, no '/', ':' or blanks)");
    parse_fails("bridge=..", "bridge '..' is not a valid interface name (at most 15 "
                "characters, no '/', ':' or blanks)");
    parse_fails("bridge=lamina:", "bridge=lamina: '' is not a valid switch name (letters, "
                "digits, '-', '_' and '.', at most 32, not starting with '.')");
    parse_fails("switch=.hidden", "switch '.hidden' is not a valid switch name (letters, "
                "digits, '-', '_' and '.', at most 32, not starting with '.')");
    parse_fails("switch=a b", "switch 'a b' is not a valid switch name (letters, digits, '-', "
                "'_' and '.', at most 32, not starting with '.')");
    parse_fails("switch=abcdefghijklmnopqrstuvwxyz0123456", "switch "
                "'abcdefghijklmnopqrstuvwxyz0123456' is not a valid switch name (letters, "
                "digits, '-', '_' and '.', at most 32, not starting with '.')");
    parse_fails("vifname=a:b", "vifname 'a:b' is not a valid interface name (at most 15 "
                "characters, no '/', ':' or blanks)");
    parse_fails("mtu=67", "mtu 67 is out of range (68 to 65535)");
    parse_fails("mtu=65536", "mtu 65536 is out of range (68 to 65535)");
    parse_fails("mtu=999999", "mtu '999999' is not a number from 68 to 65535");
    parse_fails("mtu=-1", "mtu '-1' is not a number from 68 to 65535");
    parse_fails("mtu=1500x", "mtu '1500x' is not a number from 68 to 65535");
    parse_fails("type=ioemu", "type=ioemu asks for an emulated NIC, but Lamina runs PVH "
                "guests, which have none: drop type= (or use type=vif)");
    parse_fails("type=foo", "unknown type 'foo' (vif)");
    parse_fails("backend=driverdom", "backend 'driverdom': Lamina's network backend runs in "
                "domain 0 only");
    parse_fails("=x", "'=x' has no key");
    parse_fails("bridge", "'bridge' is not a key=value setting");
    parse_fails("bridge=br0,,mtu=1500", "empty item between commas");
    parse_fails("bridge=br0,", "the spec ends with a comma");
    parse_fails("bridge=br\x01", "byte 0x01 in 'bridge=br\x01': only printable ASCII is "
                "allowed");
    parse_fails("bridge=br\xc3\xa9", "byte 0xc3 in 'bridge=br\xc3\xa9': only printable ASCII "
                "is allowed");
}
END_TEST

START_TEST(test_canonical_round_trip)
{
    static const char *const specs[] = {
        "mac=00:16:3e:00:00:01",
        "mac=00:16:3e:00:00:02,bridge=xenbr0,vifname=v0,mtu=1500",
        "mac=00:16:3e:00:00:03,switch=lan",
        "mac=00:16:3e:00:00:04,bridge=lamina:lan",
        "mac=AA:bb:CC:dd:EE:fe,vifname=x",
    };

    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        struct vifspec a = parse_ok(specs[i]), b;
        char first[256];

        snprintf(first, sizeof(first), "%s", canon(&a));
        b = parse_ok(first);
        ck_assert_int_eq(memcmp(&a, &b, sizeof(a)), 0);
        ck_assert_str_eq(canon(&b), first);
    }
    {
        struct vifspec a = parse_ok("mac=00:16:3e:00:00:02,bridge=xenbr0,vifname=v0,mtu=1500");
        char tiny[20], mid[50];

        ck_assert_int_eq(vifspec_format(&a, tiny, sizeof(tiny)), -ENAMETOOLONG);
        /* Room for all but ", mtu=1500". */
        ck_assert_int_eq(vifspec_format(&a, mid, sizeof(mid)), -ENAMETOOLONG);
    }
}
END_TEST

START_TEST(test_generated_macs)
{
    uint8_t u1[16] = { 1, 2, 3 }, u2[16] = { 1, 2, 4 }, a[6], b[6], c[6];

    vifspec_generate_mac(u1, 0, a);
    vifspec_generate_mac(u1, 0, b);
    ck_assert_int_eq(memcmp(a, b, 6), 0);
    ck_assert_uint_eq(a[0], 0x00);
    ck_assert_uint_eq(a[1], 0x16);
    ck_assert_uint_eq(a[2], 0x3e);
    ck_assert_uint_eq(a[3] & 0x80, 0);
    vifspec_generate_mac(u1, 1, c);
    ck_assert_int_ne(memcmp(a, c, 6), 0);
    vifspec_generate_mac(u2, 0, c);
    ck_assert_int_ne(memcmp(a, c, 6), 0);
    ck_assert(vifspec_parse_mac("00:16:3e:7f:ff:00", a));
    ck_assert(!vifspec_parse_mac("00:16:3e:7f:ff", a));
}
END_TEST

START_TEST(test_hostile_lengths)
{
    char *spec = malloc(4096);
    struct vifspec v;
    char err[256];

    memset(spec, 'a', 4095);
    spec[4095] = '\0';
    ck_assert_int_eq(vifspec_parse(spec, &v, NULL, NULL, err, sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, "the spec is too long (4095 bytes, at most 1024)");
    /* Messages are cut to the buffer, never overrun it. */
    memcpy(spec, "bridge=", 7);
    spec[1000] = '\0';
    ck_assert_int_eq(vifspec_parse(spec, &v, NULL, NULL, err, 8), -EINVAL);
    ck_assert_uint_eq(strlen(err), 7);
    free(spec);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vifspec");
    TCase *tc = tcase_create("vifspec");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_empty_and_defaults);
    tcase_add_test(tc, test_keys);
    tcase_add_test(tc, test_ignored_with_warnings);
    tcase_add_test(tc, test_bad_specs);
    tcase_add_test(tc, test_canonical_round_trip);
    tcase_add_test(tc, test_generated_macs);
    tcase_add_test(tc, test_hostile_lengths);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
