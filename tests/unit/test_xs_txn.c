/* test_xs_txn.c: Check tests of lamina-xenstored's transactions and watches. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quota.h"
#include "test_xs_harness.h"

/* ---- Transactions ---- */

START_TEST(test_txn_isolation)
{
    struct tconn *a = xt_dom0(), *b = xt_dom0();
    uint32_t t;

    ck_assert_str_eq(xt_write(a, 0, "/t/x", "old"), "OK");
    t = xt_txn_start(a);
    ck_assert_str_eq(xt_write(a, t, "/t/x", "new"), "OK");
    ck_assert_str_eq(xt_write(a, t, "/t/y/z", "created"), "OK");
    /* Inside: own changes; outside: nothing yet. */
    ck_assert_str_eq(xt_read(a, t, "/t/x"), "new");
    ck_assert_str_eq(xt_read(a, t, "/t/y/z"), "created");
    ck_assert_str_eq(xt_dir(a, t, "/t"), "x,y");
    ck_assert_str_eq(xt_read(b, 0, "/t/x"), "old");
    ck_assert_str_eq(xt_read(a, 0, "/t/x"), "old");
    ck_assert_str_eq(xt_read(b, 0, "/t/y"), "ENOENT");
    ck_assert_str_eq(xt_dir(b, 0, "/t"), "x");
    ck_assert_str_eq(xt_txn_end(a, t, true), "OK");
    ck_assert_str_eq(xt_read(b, 0, "/t/x"), "new");
    ck_assert_str_eq(xt_read(b, 0, "/t/y/z"), "created");
    ck_assert_str_eq(xt_check(), "OK");
}
END_TEST

START_TEST(test_txn_snapshot_is_stable)
{
    struct tconn *a = xt_dom0(), *b = xt_dom0();
    uint32_t t;

    ck_assert_str_eq(xt_write(a, 0, "/s", "1"), "OK");
    t = xt_txn_start(a);
    ck_assert_str_eq(xt_read(a, t, "/s"), "1");
    ck_assert_str_eq(xt_write(b, 0, "/s", "2"), "OK");
    /* What the transaction has seen does not change under it... */
    ck_assert_str_eq(xt_read(a, t, "/s"), "1");
    /* ...and it cannot commit on stale data. */
    ck_assert_str_eq(xt_txn_end(a, t, true), "EAGAIN");
    ck_assert_str_eq(xt_read(a, 0, "/s"), "2");
}
END_TEST

START_TEST(test_txn_conflicts)
{
    struct tconn *a = xt_dom0(), *b = xt_dom0();
    uint32_t t1, t2;

    ck_assert_str_eq(xt_write(a, 0, "/c/x", "0"), "OK");
    ck_assert_str_eq(xt_write(a, 0, "/c/y", "0"), "OK");
    /* Two transactions touching different nodes both commit. */
    t1 = xt_txn_start(a);
    t2 = xt_txn_start(b);
    ck_assert_str_eq(xt_write(a, t1, "/c/x", "1"), "OK");
    ck_assert_str_eq(xt_write(b, t2, "/c/y", "2"), "OK");
    ck_assert_str_eq(xt_txn_end(a, t1, true), "OK");
    ck_assert_str_eq(xt_txn_end(b, t2, true), "OK");
    ck_assert_str_eq(xt_read(a, 0, "/c/x"), "1");
    ck_assert_str_eq(xt_read(a, 0, "/c/y"), "2");
    /* Both write x: the second to commit must retry. */
    t1 = xt_txn_start(a);
    t2 = xt_txn_start(b);
    ck_assert_str_eq(xt_write(a, t1, "/c/x", "a"), "OK");
    ck_assert_str_eq(xt_write(b, t2, "/c/x", "b"), "OK");
    ck_assert_str_eq(xt_txn_end(b, t2, true), "OK");
    ck_assert_str_eq(xt_txn_end(a, t1, true), "EAGAIN");
    ck_assert_str_eq(xt_read(a, 0, "/c/x"), "b");
    /* A read node removed behind the transaction's back. */
    t1 = xt_txn_start(a);
    ck_assert_str_eq(xt_read(a, t1, "/c/y"), "2");
    ck_assert_str_eq(xt_write(a, t1, "/c/z", "z"), "OK");
    ck_assert_str_eq(xt_rm(b, 0, "/c/y"), "OK");
    ck_assert_str_eq(xt_txn_end(a, t1, true), "EAGAIN");
    ck_assert_str_eq(xt_read(a, 0, "/c/z"), "ENOENT");
    /* A node the transaction found absent, created meanwhile. */
    t1 = xt_txn_start(a);
    ck_assert_str_eq(xt_read(a, t1, "/c/new"), "ENOENT");
    ck_assert_str_eq(xt_write(b, 0, "/c/new", "b"), "OK");
    ck_assert_str_eq(xt_txn_end(a, t1, true), "EAGAIN");
    /* A new sibling changes the parent's children: adding under it conflicts. */
    t1 = xt_txn_start(a);
    ck_assert_str_eq(xt_write(a, t1, "/c/k1", ""), "OK");
    ck_assert_str_eq(xt_write(b, 0, "/c/k2", ""), "OK");
    ck_assert_str_eq(xt_txn_end(a, t1, true), "EAGAIN");
    ck_assert_str_eq(xt_dir(a, 0, "/c"), "x,new,k2");
    ck_assert_str_eq(xt_check(), "OK");
}
END_TEST

START_TEST(test_txn_abort_and_rm)
{
    struct tconn *a = xt_dom0();
    uint32_t t;

    ck_assert_str_eq(xt_write(a, 0, "/ab/x/y", "1"), "OK");
    t = xt_txn_start(a);
    ck_assert_str_eq(xt_rm(a, t, "/ab/x"), "OK");
    ck_assert_str_eq(xt_read(a, t, "/ab/x/y"), "ENOENT");
    ck_assert_str_eq(xt_read(a, 0, "/ab/x/y"), "1");
    ck_assert_str_eq(xt_txn_end(a, t, false), "OK");
    ck_assert_str_eq(xt_read(a, 0, "/ab/x/y"), "1");
    t = xt_txn_start(a);
    ck_assert_str_eq(xt_rm(a, t, "/ab/x"), "OK");
    ck_assert_str_eq(xt_txn_end(a, t, true), "OK");
    ck_assert_str_eq(xt_read(a, 0, "/ab/x/y"), "ENOENT");
    ck_assert_str_eq(xt_dir(a, 0, "/ab"), "");
    ck_assert_str_eq(xt_check(), "OK");
}
END_TEST

START_TEST(test_txn_ids_and_errors)
{
    struct tconn *a = xt_dom0(), *b = xt_dom0();
    uint32_t t = xt_txn_start(a), t2 = xt_txn_start(a);

    ck_assert_uint_ne(t, t2);
    /* Transaction ids belong to their connection. */
    ck_assert_str_eq(xt_read(b, t, "/tool"), "ENOENT");
    ck_assert_str_eq(xt_read(a, 9999, "/tool"), "ENOENT");
    ck_assert_str_eq(xt_txn_end(a, 9999, true), "ENOENT");
    ck_assert_str_eq(xt_req(a, XS_TRANSACTION_END, 0, "T", 2), "ENOENT");
    ck_assert_str_eq(xt_req(a, XS_TRANSACTION_END, t, "X", 2), "EINVAL");
    ck_assert_str_eq(xt_req(a, XS_TRANSACTION_END, t, "T", 1), "EINVAL");
    /* No nesting. */
    ck_assert_str_eq(xt_req(a, XS_TRANSACTION_START, t, "", 1), "EBUSY");
    ck_assert_str_eq(xt_txn_end(a, t, true), "OK");
    ck_assert_str_eq(xt_txn_end(a, t, true), "ENOENT");
    ck_assert_str_eq(xt_txn_end(a, t2, false), "OK");
    /* WATCH ignores tx_id, whatever it is. */
    ck_assert_str_eq(xt_req(a, XS_WATCH, 4242, "/w\0tok", 7), "OK");
}
END_TEST

START_TEST(test_txn_node_quota)
{
    struct tconn *d0 = xt_dom0();
    struct tconn *u = xt_domu(4);
    char path[32];
    uint32_t t;

    ck_assert_str_eq(xt_mkdir(d0, 0, "/local/domain/4"), "OK");
    ck_assert_str_eq(xt_setperms(d0, 0, "/local/domain/4", "n4"), "OK");
    quota[Q_TXN_NODES] = 8;
    t = xt_txn_start(u);
    for (int i = 0;; i++) {
        const char *r;

        snprintf(path, sizeof(path), "k%d", i);
        r = xt_write(u, t, path, "");
        if (strcmp(r, "ENOSPC") == 0)
            break;
        ck_assert_str_eq(r, "OK");
        ck_assert_int_lt(i, 8);
    }
    ck_assert_str_eq(xt_txn_end(u, t, false), "OK");
    /*
     * The nodes quota is checked again at commit: here the domain grows
     * elsewhere (no conflict) while the transaction adds a node.
     */
    quota[Q_TXN_NODES] = 1024;
    ck_assert_str_eq(xt_write(u, 0, "sub/x", ""), "OK");
    quota[Q_NODES] = 5;
    t = xt_txn_start(u);
    ck_assert_str_eq(xt_write(u, t, "a", ""), "OK");
    ck_assert_str_eq(xt_write(u, 0, "sub/b", ""), "OK");
    ck_assert_str_eq(xt_write(u, 0, "sub/c", ""), "OK");
    ck_assert_str_eq(xt_txn_end(u, t, true), "ENOSPC");
    ck_assert_str_eq(xt_read(u, 0, "a"), "ENOENT");
    t = xt_txn_start(u);
    ck_assert_str_eq(xt_write(u, t, "x/y", ""), "ENOSPC");
    ck_assert_str_eq(xt_txn_end(u, t, true), "OK");
    ck_assert_str_eq(xt_check(), "OK");
}
END_TEST

START_TEST(test_txn_closed_connection)
{
    struct tconn *a = xt_dom0(), *b = xt_dom0();
    uint32_t t = xt_txn_start(a);

    ck_assert_str_eq(xt_write(a, t, "/gone", "x"), "OK");
    conn_close(a->c, "test");
    xt_run();
    ck_assert(a->closed);
    ck_assert_str_eq(xt_read(b, 0, "/gone"), "ENOENT");
}
END_TEST

/* ---- Watches ---- */

START_TEST(test_watch_initial_and_recursive)
{
    struct tconn *w = xt_dom0(), *x = xt_dom0();

    ck_assert_str_eq(xt_watch(w, "/wa", "tok"), "OK");
    ck_assert_str_eq(xt_event(w), "/wa|tok");
    ck_assert_ptr_null(xt_event(w));
    ck_assert_str_eq(xt_write(x, 0, "/wa", "1"), "OK");
    ck_assert_str_eq(xt_event(w), "/wa|tok");
    ck_assert_str_eq(xt_write(x, 0, "/wa/b/c", "1"), "OK");
    ck_assert_str_eq(xt_event(w), "/wa/b/c|tok");
    ck_assert_ptr_null(xt_event(w));
    /* Siblings with a common prefix do not match. */
    ck_assert_str_eq(xt_write(x, 0, "/wab", "1"), "OK");
    ck_assert_str_eq(xt_write(x, 0, "/w", "1"), "OK");
    ck_assert_ptr_null(xt_event(w));
    /* MKDIR of an existing node changes nothing: no event. */
    ck_assert_str_eq(xt_mkdir(x, 0, "/wa/b"), "OK");
    ck_assert_ptr_null(xt_event(w));
    ck_assert_str_eq(xt_mkdir(x, 0, "/wa/m"), "OK");
    ck_assert_str_eq(xt_event(w), "/wa/m|tok");
    ck_assert_str_eq(xt_setperms(x, 0, "/wa/m", "b0"), "OK");
    ck_assert_str_eq(xt_event(w), "/wa/m|tok");
}
END_TEST

START_TEST(test_watch_rm_events)
{
    struct tconn *w = xt_dom0(), *deep = xt_dom0(), *x = xt_dom0();

    ck_assert_str_eq(xt_write(x, 0, "/r/a/b", "1"), "OK");
    ck_assert_str_eq(xt_watch(w, "/r", "top"), "OK");
    ck_assert_str_eq(xt_watch(deep, "/r/a/b", "deep"), "OK");
    xt_drop_events(w);
    xt_drop_events(deep);
    ck_assert_str_eq(xt_rm(x, 0, "/r/a"), "OK");
    /* The watcher above sees the top of the removed subtree... */
    ck_assert_str_eq(xt_event(w), "/r/a|top");
    ck_assert_ptr_null(xt_event(w));
    /* ...a watcher inside sees its own node go. */
    ck_assert_str_eq(xt_event(deep), "/r/a/b|deep");
    ck_assert_ptr_null(xt_event(deep));
}
END_TEST

START_TEST(test_watch_tokens_and_unwatch)
{
    struct tconn *w = xt_dom0(), *x = xt_dom0();

    ck_assert_str_eq(xt_watch(w, "/u", "one"), "OK");
    ck_assert_str_eq(xt_watch(w, "/u", "two"), "OK");
    ck_assert_str_eq(xt_watch(w, "/u", "one"), "EEXIST");
    ck_assert_str_eq(xt_watch(w, "/u", ""), "OK");
    xt_drop_events(w);
    ck_assert_str_eq(xt_write(x, 0, "/u", "v"), "OK");
    ck_assert_uint_eq(xt_events_pending(w), 3);
    xt_drop_events(w);
    ck_assert_str_eq(xt_unwatch(w, "/u", "one"), "OK");
    ck_assert_str_eq(xt_unwatch(w, "/u", "one"), "ENOENT");
    ck_assert_str_eq(xt_unwatch(w, "/v", "two"), "ENOENT");
    ck_assert_str_eq(xt_write(x, 0, "/u", "w"), "OK");
    ck_assert_uint_eq(xt_events_pending(w), 2);
    xt_drop_events(w);
    ck_assert_str_eq(xt_req(w, XS_RESET_WATCHES, 0, "", 1), "OK");
    ck_assert_str_eq(xt_write(x, 0, "/u", "x"), "OK");
    ck_assert_ptr_null(xt_event(w));
    ck_assert_str_eq(xt_req(w, XS_WATCH, 0, "/u", 3), "EINVAL");
    ck_assert_str_eq(xt_watch(w, "/bad//path", "t"), "EINVAL");
}
END_TEST

START_TEST(test_watch_relative)
{
    struct tconn *d0 = xt_dom0();
    struct tconn *u = xt_domu(3);

    ck_assert_str_eq(xt_mkdir(d0, 0, "/local/domain/3"), "OK");
    ck_assert_str_eq(xt_setperms(d0, 0, "/local/domain/3", "n3"), "OK");
    ck_assert_str_eq(xt_watch(u, "device", "rel"), "OK");
    ck_assert_str_eq(xt_watch(u, "/local/domain/3/device", "abs"), "OK");
    ck_assert_str_eq(xt_event(u), "device|rel");
    ck_assert_str_eq(xt_event(u), "/local/domain/3/device|abs");
    ck_assert_str_eq(xt_write(d0, 0, "/local/domain/3/device/vbd/0", "x"), "OK");
    ck_assert_str_eq(xt_event(u), "device/vbd/0|rel");
    ck_assert_str_eq(xt_event(u), "/local/domain/3/device/vbd/0|abs");
    ck_assert_str_eq(xt_unwatch(u, "device", "rel"), "OK");
}
END_TEST

START_TEST(test_watch_at_commit)
{
    struct tconn *w = xt_dom0(), *a = xt_dom0();
    uint32_t t;

    ck_assert_str_eq(xt_watch(w, "/c", "t"), "OK");
    xt_drop_events(w);
    t = xt_txn_start(a);
    ck_assert_str_eq(xt_write(a, t, "/c/1", "x"), "OK");
    ck_assert_str_eq(xt_write(a, t, "/c/2", "x"), "OK");
    ck_assert_ptr_null(xt_event(w));
    ck_assert_str_eq(xt_txn_end(a, t, true), "OK");
    ck_assert_str_eq(xt_event(w), "/c/1|t");
    ck_assert_str_eq(xt_event(w), "/c/2|t");
    ck_assert_ptr_null(xt_event(w));
    /* Aborted or failed transactions fire nothing. */
    t = xt_txn_start(a);
    ck_assert_str_eq(xt_write(a, t, "/c/3", "x"), "OK");
    ck_assert_str_eq(xt_txn_end(a, t, false), "OK");
    t = xt_txn_start(a);
    ck_assert_str_eq(xt_write(a, t, "/c/1", "y"), "OK");
    ck_assert_str_eq(xt_write(w, 0, "/c/1", "z"), "OK");
    xt_drop_events(w);
    ck_assert_str_eq(xt_txn_end(a, t, true), "EAGAIN");
    ck_assert_ptr_null(xt_event(w));
}
END_TEST

START_TEST(test_watch_permissions)
{
    struct tconn *d0 = xt_dom0();
    struct tconn *u = xt_domu(2);

    ck_assert_str_eq(xt_mkdir(d0, 0, "/local/domain/2"), "OK");
    ck_assert_str_eq(xt_setperms(d0, 0, "/local/domain/2", "n2"), "OK");
    ck_assert_str_eq(xt_watch(u, "/", "root"), "OK");
    xt_drop_events(u);
    /* Changes the guest may not read stay hidden. */
    ck_assert_str_eq(xt_write(d0, 0, "/secret/x", "1"), "OK");
    ck_assert_ptr_null(xt_event(u));
    ck_assert_str_eq(xt_write(d0, 0, "/local/domain/2/x", "1"), "OK");
    ck_assert_str_eq(xt_event(u), "/local/domain/2/x|root");
    /* Losing access is still announced (the old permissions count). */
    ck_assert_str_eq(xt_setperms(d0, 0, "/local/domain/2/x", "n0"), "OK");
    ck_assert_str_eq(xt_event(u), "/local/domain/2/x|root");
    ck_assert_str_eq(xt_write(d0, 0, "/local/domain/2/x", "2"), "OK");
    /* The parent is readable, so the change is seen, not the value. */
    ck_assert_str_eq(xt_event(u), "/local/domain/2/x|root");
    ck_assert_str_eq(xt_read(u, 0, "/local/domain/2/x"), "EACCES");
}
END_TEST

START_TEST(test_watch_own_writes_order)
{
    struct tconn *a = xt_dom0();
    struct xmsg m;

    ck_assert_str_eq(xt_watch(a, "/o", "t"), "OK");
    xt_drop_events(a);
    /* As in Xen, the events of a request are queued before its reply. */
    xt_send(a, XS_WRITE, 0, "/o\0v", 4);
    xt_run();
    ck_assert(xt_reply(a, &m));
    ck_assert_str_eq(m.body, "OK");
    ck_assert_uint_eq(a->nevents - a->ev_pos, 1);
}
END_TEST

static Suite *txn_suite(void)
{
    Suite *s = suite_create("xenstored-txn-watch");
    TCase *txn = tcase_create("transactions"), *watch = tcase_create("watches");

    tcase_add_checked_fixture(txn, xt_setup, xt_teardown);
    tcase_add_checked_fixture(watch, xt_setup, xt_teardown);
    tcase_add_test(txn, test_txn_isolation);
    tcase_add_test(txn, test_txn_snapshot_is_stable);
    tcase_add_test(txn, test_txn_conflicts);
    tcase_add_test(txn, test_txn_abort_and_rm);
    tcase_add_test(txn, test_txn_ids_and_errors);
    tcase_add_test(txn, test_txn_node_quota);
    tcase_add_test(txn, test_txn_closed_connection);
    tcase_add_test(watch, test_watch_initial_and_recursive);
    tcase_add_test(watch, test_watch_rm_events);
    tcase_add_test(watch, test_watch_tokens_and_unwatch);
    tcase_add_test(watch, test_watch_relative);
    tcase_add_test(watch, test_watch_at_commit);
    tcase_add_test(watch, test_watch_permissions);
    tcase_add_test(watch, test_watch_own_writes_order);
    suite_add_tcase(s, txn);
    suite_add_tcase(s, watch);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(txn_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
