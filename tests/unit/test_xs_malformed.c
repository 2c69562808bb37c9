/* test_xs_malformed.c: Check tests of lamina-xenstored against malformed and flooding clients. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quota.h"
#include "test_xs_harness.h"

#define REQ(t, type, lit) xt_req((t), (type), 0, (lit), sizeof(lit))

START_TEST(test_oversize_drops_connection)
{
    struct tconn *bad = xt_dom0(), *good = xt_dom0();
    struct xsd_sockmsg hdr = { .type = XS_READ, .req_id = 1, .len = XENSTORE_PAYLOAD_MAX + 1 };
    struct xmsg m;

    xt_send_raw(bad, &hdr, sizeof(hdr));
    xt_run();
    ck_assert(bad->closed);
    ck_assert(!xt_reply(bad, &m));
    ck_assert_str_eq(xt_read(good, 0, "/tool/xenstored"), "");
}
END_TEST

START_TEST(test_max_payload_accepted)
{
    struct tconn *c = xt_dom0();
    static char buf[XENSTORE_PAYLOAD_MAX];

    memset(buf, 'a', sizeof(buf));
    buf[0] = '/';
    buf[sizeof(buf) - 1] = '\0';
    /* A 4095-character path is too long, but the message itself is fine. */
    ck_assert_str_eq(xt_req(c, XS_READ, 0, buf, sizeof(buf)), "EINVAL");
    ck_assert(!c->closed);
}
END_TEST

START_TEST(test_missing_nul)
{
    struct tconn *c = xt_dom0();

    ck_assert_str_eq(xt_req(c, XS_READ, 0, "/tool", 5), "EINVAL");
    ck_assert_str_eq(xt_req(c, XS_WRITE, 0, "/tool", 5), "EINVAL");
    ck_assert_str_eq(xt_req(c, XS_MKDIR, 0, "/x", 2), "EINVAL");
    ck_assert_str_eq(xt_req(c, XS_RM, 0, "/tool", 5), "EINVAL");
    ck_assert_str_eq(xt_req(c, XS_DIRECTORY, 0, "/", 1), "EINVAL");
    ck_assert_str_eq(xt_req(c, XS_GET_PERMS, 0, "/", 1), "EINVAL");
    ck_assert_str_eq(xt_req(c, XS_WATCH, 0, "/\0tok", 5), "EINVAL");
    ck_assert_str_eq(xt_req(c, XS_GET_DOMAIN_PATH, 0, "1", 1), "EINVAL");
    ck_assert_str_eq(xt_req(c, XS_READ, 0, NULL, 0), "EINVAL");
    /* Two strings where one is expected. */
    ck_assert_str_eq(REQ(c, XS_READ, "/tool\0/x"), "EINVAL");
    ck_assert_str_eq(REQ(c, XS_RELEASE, "1\0002"), "EINVAL");
    ck_assert_str_eq(xt_check(), "OK");
}
END_TEST

START_TEST(test_unknown_types)
{
    struct tconn *c = xt_dom0();
    static const uint32_t types[] = { 20, XS_TYPE_COUNT, 99, 0xffff, 0xffffffffu, XS_WATCH_EVENT,
                                      XS_ERROR };

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        struct xmsg m;

        xt_send(c, types[i], 0, "x", 2);
        xt_run();
        ck_assert(xt_reply(c, &m));
        ck_assert_uint_eq(m.hdr.type, XS_ERROR);
        ck_assert_str_eq(m.body, "ENOSYS");
    }
    ck_assert(!c->closed);
}
END_TEST

START_TEST(test_bad_tx_id)
{
    struct tconn *c = xt_dom0();

    ck_assert_str_eq(xt_read(c, 1, "/tool"), "ENOENT");
    ck_assert_str_eq(xt_write(c, 0xffffffffu, "/x", "y"), "ENOENT");
    ck_assert_str_eq(xt_read(c, 0, "/x"), "ENOENT");
}
END_TEST

START_TEST(test_split_and_batched_messages)
{
    struct tconn *c = xt_dom0();
    uint8_t bytes[256];
    size_t n = 0;
    struct xsd_sockmsg h1 = { .type = XS_WRITE, .req_id = 11, .len = 7 };
    struct xsd_sockmsg h2 = { .type = XS_READ, .req_id = 12, .len = 4 };
    struct xmsg m;

    memcpy(bytes + n, &h1, sizeof(h1));
    n += sizeof(h1);
    memcpy(bytes + n, "/sp\0val", 7);
    n += 7;
    memcpy(bytes + n, &h2, sizeof(h2));
    n += sizeof(h2);
    memcpy(bytes + n, "/sp", 4);
    n += 4;
    /* One byte at a time: nothing until a message is whole. */
    for (size_t i = 0; i < n; i++) {
        xt_send_raw(c, bytes + i, 1);
        xt_run();
    }
    ck_assert(xt_reply(c, &m));
    ck_assert_uint_eq(m.hdr.req_id, 11);
    ck_assert(xt_reply(c, &m));
    ck_assert_uint_eq(m.hdr.req_id, 12);
    ck_assert_str_eq(m.body, "val");
    /* And both in one go. */
    xt_send_raw(c, bytes, n);
    xt_run();
    ck_assert(xt_reply(c, &m));
    ck_assert(xt_reply(c, &m));
    ck_assert_str_eq(m.body, "val");
}
END_TEST

START_TEST(test_many_nuls)
{
    struct tconn *c = xt_dom0();
    static char buf[XENSTORE_PAYLOAD_MAX];

    memset(buf, 0, sizeof(buf));
    memcpy(buf, "/tool", 5);
    ck_assert_str_eq(xt_req(c, XS_SET_PERMS, 0, buf, sizeof(buf)), "EINVAL");
    ck_assert_str_eq(xt_req(c, XS_WATCH, 0, buf, sizeof(buf)), "OK");
    ck_assert_str_eq(xt_req(c, XS_INTRODUCE, 0, buf, sizeof(buf)), "EINVAL");
    ck_assert_str_eq(xt_req(c, XS_CONTROL, 0, buf, sizeof(buf)), "EINVAL");
    ck_assert_str_eq(REQ(c, XS_DIRECTORY_PART, "/\00099999999999999999999"), "EINVAL");
}
END_TEST

/* A client that stops reading: its requests pile up, then stop being read. */
START_TEST(test_request_flood_is_throttled)
{
    struct tconn *flood = xt_domu(5), *good = xt_dom0();
    struct xmsg m;
    unsigned int got = 0;

    flood->write_room = 0;
    for (int i = 0; i < 300; i++)
        xt_send(flood, XS_GET_DOMAIN_PATH, 0, "5", 2);
    xt_run();
    ck_assert_uint_eq(flood->c->out_replies, quota[Q_OUTSTANDING]);
    ck_assert(flood->c->throttled);
    /* Others are served meanwhile. */
    ck_assert_str_eq(xt_read(good, 0, "/tool/xenstored"), "");
    /* Once it reads again, every request is answered in order. */
    flood->write_room = SIZE_MAX;
    conn_output(flood->c);
    xt_run();
    while (xt_reply(flood, &m)) {
        ck_assert_uint_eq(m.hdr.req_id, got + 1);
        ck_assert_str_eq(m.body, "/local/domain/5");
        got++;
    }
    ck_assert_uint_eq(got, 300);
    ck_assert(!flood->closed);
}
END_TEST

START_TEST(test_event_flood_drops_reader)
{
    struct tconn *slow = xt_domu(5), *writer = xt_dom0(), *ok = xt_dom0();
    char path[64];

    quota[Q_WATCH_EVENTS] = 50;
    ck_assert_str_eq(xt_setperms(writer, 0, "/", "r0"), "OK");
    ck_assert_str_eq(xt_watch(slow, "/", "w"), "OK");
    ck_assert_str_eq(xt_watch(ok, "/", "w"), "OK");
    slow->write_room = 0;
    for (int i = 0; i < 200; i++) {
        snprintf(path, sizeof(path), "/flood/%d", i);
        ck_assert_str_eq(xt_write(writer, 0, path, ""), "OK");
    }
    xt_run();
    ck_assert(slow->closed);
    /* A reader that keeps up gets everything. */
    ck_assert_uint_eq(xt_events_pending(ok), 201);
    ck_assert_str_eq(xt_check(), "OK");
}
END_TEST

START_TEST(test_duplicate_events_coalesce)
{
    struct tconn *slow = xt_dom0(), *writer = xt_dom0();

    ck_assert_str_eq(xt_watch(slow, "/same", "w"), "OK");
    xt_drop_events(slow);
    slow->write_room = 0;
    for (int i = 0; i < 1000; i++)
        ck_assert_str_eq(xt_write(writer, 0, "/same", "v"), "OK");
    ck_assert_uint_eq(slow->c->out_events, 1);
    slow->write_room = SIZE_MAX;
    conn_output(slow->c);
    ck_assert_uint_eq(xt_events_pending(slow), 1);
}
END_TEST

START_TEST(test_watch_flood_quota)
{
    struct tconn *u = xt_domu(7);
    char tok[16];
    unsigned int ok = 0;

    for (int i = 0; i < 1000; i++) {
        snprintf(tok, sizeof(tok), "%d", i);
        if (strcmp(xt_watch(u, "/x", tok), "OK") == 0)
            ok++;
        xt_drop_events(u);
    }
    ck_assert_uint_eq(ok, quota[Q_WATCHES]);
}
END_TEST

/* Deterministic garbage: random headers and payloads must never hurt. */
static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

START_TEST(test_random_messages)
{
    static const char *const words[] = { "/", "/a", "/a/b", "x", "@releaseDomain", "T", "F",
                                         "1", "b0", "r5", "0", "//", "tok", "" };
    struct tconn *c[3] = { xt_dom0(), xt_domu(3), xt_domu(4) };
    char payload[512];

    for (int i = 0; i < 3000; i++) {
        struct tconn *t = c[rng() % 3];
        uint32_t type = rng() % (XS_TYPE_COUNT + 2);
        uint32_t tx = rng() % 4 == 0 ? rng() % 4 : 0;
        size_t len = 0;
        int nwords = (int)(rng() % 4);

        if (t->closed)
            continue;
        if (type == XS_INTRODUCE || type == XS_RELEASE)
            type = XS_READ;
        for (int w = 0; w < nwords; w++) {
            const char *word = words[rng() % (sizeof(words) / sizeof(words[0]))];
            size_t wl = strlen(word);

            memcpy(payload + len, word, wl);
            len += wl;
            if (rng() % 5)
                payload[len++] = '\0';
        }
        if (rng() % 7 == 0)
            for (int b = 0; b < 16; b++)
                payload[len++] = (char)rng();
        if (type == XS_TRANSACTION_START && tx == 0 && t->c && t->c->ntxns > 3)
            type = XS_TRANSACTION_END;
        xt_send(t, type, tx, payload, len);
        xt_run();
        xt_drop_events(t);
        {
            struct xmsg m;

            while (xt_reply(t, &m)) {
            }
        }
    }
    ck_assert_str_eq(xt_check(), "OK");
}
END_TEST

static Suite *malformed_suite(void)
{
    Suite *s = suite_create("xenstored-malformed");
    TCase *tc = tcase_create("hostile");

    tcase_add_checked_fixture(tc, xt_setup, xt_teardown);
    tcase_add_test(tc, test_oversize_drops_connection);
    tcase_add_test(tc, test_max_payload_accepted);
    tcase_add_test(tc, test_missing_nul);
    tcase_add_test(tc, test_unknown_types);
    tcase_add_test(tc, test_bad_tx_id);
    tcase_add_test(tc, test_split_and_batched_messages);
    tcase_add_test(tc, test_many_nuls);
    tcase_add_test(tc, test_request_flood_is_throttled);
    tcase_add_test(tc, test_event_flood_drops_reader);
    tcase_add_test(tc, test_duplicate_events_coalesce);
    tcase_add_test(tc, test_watch_flood_quota);
    tcase_add_test(tc, test_random_messages);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(malformed_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
