/* xenbus.c: test guest for xenstore from a guest: its tree, permissions, transactions, watches. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guest-kit/guest-kit.h>
#include <guest-kit/xenbus.h>
#include <xen/io/xs_wire.h>

#include "gtest.h"

/*
 * name=<its name> [peer=<domid>] [count=N] [wait=1]
 *   Checks the domain's own tree (domid, name, the toolstack's nodes),
 *   reading and writing what it owns, large values, bad paths, what it
 *   must not touch (dom0's tree, another domain's, /tool), transactions
 *   with a conflict, watches and the state handshake helpers; then times
 *   N reads, N writes and N watch round trips. With wait=1 it then prints
 *   "xenbus: waiting for shutdown" and sleeps: `lamina shutdown` must end
 *   it through control/shutdown.
 */

const char gk_program_name[] = "xenbus";

#define S   1000000000ull
#define MS  1000000ull

static void test_own_tree(const char *name)
{
    char buf[128];
    long v;
    bool ok = true;

    ok &= GT_CHECK(gk_xenbus_connected(), "xenbus is not connected");
    ok &= GT_CHECK(gk_xs_read_long(GK_XBT_NIL, "domid", &v) == 0 && v == gk_domid(),
                   "domid reads %ld, expected %u", v, gk_domid());
    snprintf(buf, sizeof(buf), "/local/domain/%u/name", gk_domid());
    ok &= GT_CHECK(gk_xs_read(GK_XBT_NIL, buf, buf, sizeof(buf)) == (int)strlen(name) &&
                   !strcmp(buf, name), "name reads '%s', expected '%s'", buf, name);
    ok &= GT_CHECK(gk_xs_read(GK_XBT_NIL, "control/feature-poweroff", buf, sizeof(buf)) == 1 &&
                   !strcmp(buf, "1"), "control/feature-poweroff is '%s'", buf);
    ok &= GT_CHECK(gk_xs_read_long(GK_XBT_NIL, "store/port", &v) == 0 && v > 0,
                   "store/port unreadable");
    if (ok)
        printf("PASS own tree: domid, name, control features, store\n");
}

static void test_read_write(void)
{
    char buf[64], *names = NULL;
    unsigned int count = 0;
    bool ok = true;
    int rc;

    rc = gk_xs_write(GK_XBT_NIL, "data/greeting", "hello");
    ok &= GT_CHECK(rc == 0, "write: %d", rc);
    ok &= GT_CHECK(gk_xs_read(GK_XBT_NIL, "data/greeting", buf, sizeof(buf)) == 5 &&
                   !strcmp(buf, "hello"), "read back '%s'", buf);
    ok &= GT_CHECK(gk_xs_write(GK_XBT_NIL, "data/empty", "") == 0, "empty write");
    ok &= GT_CHECK(gk_xs_read(GK_XBT_NIL, "data/empty", buf, sizeof(buf)) == 0, "empty read");
    /* A short buffer is filled and terminated; the full length is returned. */
    ok &= GT_CHECK(gk_xs_read(GK_XBT_NIL, "data/greeting", buf, 3) == 5 && !strcmp(buf, "he"),
                   "short read gave '%s'", buf);
    ok &= GT_CHECK(gk_xs_mkdir(GK_XBT_NIL, "data/dir") == 0, "mkdir");
    ok &= GT_CHECK(gk_xs_printf(GK_XBT_NIL, "data/dir/a", "%d", 1) == 0 &&
                   gk_xs_printf(GK_XBT_NIL, "data/dir/b", "%d", 2) == 0, "writes below dir");
    rc = gk_xs_directory(GK_XBT_NIL, "data/dir", &names, &count);
    ok &= GT_CHECK(rc == 0 && count == 2, "directory: rc %d, %u entries", rc, count);
    if (rc == 0) {
        ok &= GT_CHECK((!strcmp(names, "a") && !strcmp(names + 2, "b")) ||
                       (!strcmp(names, "b") && !strcmp(names + 2, "a")), "directory names");
        free(names);
    }
    ok &= GT_CHECK(gk_xs_rm(GK_XBT_NIL, "data/dir") == 0, "rm");
    rc = gk_xs_read(GK_XBT_NIL, "data/dir/a", buf, sizeof(buf));
    ok &= GT_CHECK(rc == -ENOENT,
                   "read after rm: %d", rc);
    rc = gk_xs_read(GK_XBT_NIL, "data/never-written", buf, sizeof(buf));
    ok &= GT_CHECK(rc == -ENOENT,
                   "read of a missing node: %d", rc);
    if (ok)
        printf("PASS read, write, mkdir, directory, rm, missing nodes\n");
}

/*
 * Values larger than the 1 KiB rings: requests and replies wrap around
 * them. 2048 bytes is xenstored's default limit for one node (as Xen's).
 */
static void test_large(void)
{
    static char big[2001], back[2100], over[2100];
    static char huge[XENSTORE_PAYLOAD_MAX + 10];
    bool ok = true;
    int rc;

    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof(big) - 1; i++)
            big[i] = (char)('a' + (i * 7 + (size_t)round) % 26);
        big[sizeof(big) - 1] = '\0';
        rc = gk_xs_write(GK_XBT_NIL, "data/big", big);
        ok &= GT_CHECK(rc == 0, "big write: %d", rc);
        rc = gk_xs_read(GK_XBT_NIL, "data/big", back, sizeof(back));
        ok &= GT_CHECK(rc == (int)sizeof(big) - 1 && !memcmp(big, back, sizeof(big)),
                       "big read back: %d", rc);
    }
    memset(over, 'o', sizeof(over) - 1);
    over[sizeof(over) - 1] = '\0';
    rc = gk_xs_write(GK_XBT_NIL, "data/over", over);
    ok &= GT_CHECK(rc == -ENOSPC, "write over the node size quota: %d", rc);
    memset(huge, 'x', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    rc = gk_xs_write(GK_XBT_NIL, "data/huge", huge);
    ok &= GT_CHECK(rc == -E2BIG,
                   "over-long write: %d", rc);
    /* Still in step with xenstored afterwards. */
    ok &= GT_CHECK(gk_xs_read(GK_XBT_NIL, "data/big", back, sizeof(back)) == (int)sizeof(big) - 1,
                   "read after the refused write");
    gk_xs_rm(GK_XBT_NIL, "data/big");
    if (ok)
        printf("PASS values larger than the ring, over quota and over-long refused\n");
}

static void test_denied(unsigned long peer)
{
    char path[96], buf[64];
    bool ok = true;
    int rc;

    rc = gk_xs_write(GK_XBT_NIL, "/local/domain/0/lamina-test", "x");
    ok &= GT_CHECK(rc == -EACCES,
                   "write into dom0's tree: %d", rc);
    rc = gk_xs_write(GK_XBT_NIL, "/tool/lamina-test", "x");
    ok &= GT_CHECK(rc == -EACCES,
                   "write to /tool: %d", rc);
    rc = gk_xs_write(GK_XBT_NIL, "name", "renamed");
    ok &= GT_CHECK(rc == -EACCES,
                   "write to its own name (dom0's node): %d", rc);
    rc = gk_xs_rm(GK_XBT_NIL, "/local/domain");
    ok &= GT_CHECK(rc == -EACCES, "rm /local/domain: %d",
                   rc);
    rc = gk_xs_read(GK_XBT_NIL, "bad path", buf, sizeof(buf));
    ok &= GT_CHECK(rc == -EINVAL,
                   "path with a blank: %d", rc);
    rc = gk_xs_read(GK_XBT_NIL, "/local//domain", buf, sizeof(buf));
    ok &= GT_CHECK(rc == -EINVAL,
                   "path with //: %d", rc);
    if (peer) {
        snprintf(path, sizeof(path), "/local/domain/%lu/name", peer);
        rc = gk_xs_read(GK_XBT_NIL, path, buf, sizeof(buf));
        ok &= GT_CHECK(rc == -EACCES,
                       "read of domain %lu's name: %d", peer, rc);
        snprintf(path, sizeof(path), "/local/domain/%lu/data/intruder", peer);
        rc = gk_xs_write(GK_XBT_NIL, path, "x");
        ok &= GT_CHECK(rc == -EACCES,
                       "write into domain %lu's data: %d", peer, rc);
    }
    if (ok)
        printf("PASS denied: dom0's tree, /tool, dom0-owned nodes, bad paths%s\n",
               peer ? ", another domain's tree" : "");
}

static void test_transactions(void)
{
    gk_xs_transaction_t t = GK_XBT_NIL;
    char buf[32];
    bool ok = true;
    int rc;

    gk_xs_write(GK_XBT_NIL, "data/tx", "0");
    rc = gk_xs_transaction_start(&t);
    ok &= GT_CHECK(rc == 0 && t != GK_XBT_NIL, "start: %d", rc);
    ok &= GT_CHECK(gk_xs_write(t, "data/tx", "1") == 0, "write inside");
    ok &= GT_CHECK(gk_xs_read(GK_XBT_NIL, "data/tx", buf, sizeof(buf)) == 1 && buf[0] == '0',
                   "uncommitted write visible outside: '%s'", buf);
    rc = gk_xs_transaction_end(t, false);
    ok &= GT_CHECK(rc == 0, "commit: %d", rc);
    ok &= GT_CHECK(gk_xs_read(GK_XBT_NIL, "data/tx", buf, sizeof(buf)) == 1 && buf[0] == '1',
                   "committed write not visible: '%s'", buf);

    /* A write from outside to what the transaction read: the commit must fail with EAGAIN. */
    ok &= GT_CHECK(gk_xs_transaction_start(&t) == 0, "second start");
    ok &= GT_CHECK(gk_xs_read(t, "data/tx", buf, sizeof(buf)) == 1, "read inside");
    ok &= GT_CHECK(gk_xs_write(GK_XBT_NIL, "data/tx", "outside") == 0, "conflicting write");
    ok &= GT_CHECK(gk_xs_write(t, "data/tx", "inside") == 0, "write inside");
    rc = gk_xs_transaction_end(t, false);
    ok &= GT_CHECK(rc == -EAGAIN, "conflict commit: %d", rc);
    ok &= GT_CHECK(gk_xs_read(GK_XBT_NIL, "data/tx", buf, sizeof(buf)) > 0 &&
                   !strcmp(buf, "outside"), "after the conflict: '%s'", buf);

    ok &= GT_CHECK(gk_xs_transaction_start(&t) == 0, "third start");
    ok &= GT_CHECK(gk_xs_write(t, "data/tx", "aborted") == 0, "write inside");
    ok &= GT_CHECK(gk_xs_transaction_end(t, true) == 0, "abort");
    ok &= GT_CHECK(gk_xs_read(GK_XBT_NIL, "data/tx", buf, sizeof(buf)) > 0 &&
                   !strcmp(buf, "outside"), "after the abort: '%s'", buf);
    rc = gk_xs_write(12345, "data/tx", "x");
    ok &= GT_CHECK(rc == -ENOENT,
                   "write in an unknown transaction: %d", rc);
    if (ok)
        printf("PASS transactions: commit, conflict (EAGAIN), abort, unknown id\n");
}

struct watch_log {
    unsigned int fired;
    char last[128];
};

static void watch_fired(const char *path, const char *token, void *arg)
{
    struct watch_log *log = arg;

    (void)token;
    log->fired++;
    snprintf(log->last, sizeof(log->last), "%s", path);
}

static void timeout_fired(struct gk_timer *t, void *arg)
{
    (void)t;
    *(bool *)arg = true;
}

/* Wait (delivering watch events, as any wait does) until the log shows `fired` events. */
static bool wait_fired(struct watch_log *log, unsigned int fired, uint64_t timeout)
{
    bool expired = false;
    struct gk_timer timer;

    gk_timer_init(&timer, timeout_fired, &expired);
    gk_timer_start(&timer, gk_monotonic_ns() + timeout, 0);
    gk_wait_event(log->fired >= fired || expired);
    gk_timer_stop(&timer);
    return log->fired >= fired;
}

static void test_watches(void)
{
    struct watch_log log = { 0 }, abslog = { 0 };
    char abspath[96], want[96];
    bool ok = true;
    int rc;

    rc = gk_xs_watch("data/w", "tok", watch_fired, &log);
    ok &= GT_CHECK(rc == 0, "watch: %d", rc);
    ok &= GT_CHECK(wait_fired(&log, 1, 5 * S), "no initial event");
    gk_xs_write(GK_XBT_NIL, "data/w/child", "1");
    ok &= GT_CHECK(wait_fired(&log, 2, 5 * S), "no event for a write below the watch");
    /* A watch set on a relative path reports relative paths, as on Xen. */
    ok &= GT_CHECK(!strcmp(log.last, "data/w/child"), "event path '%s'", log.last);

    snprintf(abspath, sizeof(abspath), "/local/domain/%u/data/w", gk_domid());
    snprintf(want, sizeof(want), "%s/child", abspath);
    ok &= GT_CHECK(gk_xs_watch(abspath, "abs", watch_fired, &abslog) == 0, "absolute watch");
    ok &= GT_CHECK(wait_fired(&abslog, 1, 5 * S), "no initial event for the absolute watch");
    gk_xs_write(GK_XBT_NIL, "data/w/child", "abs");
    ok &= GT_CHECK(wait_fired(&abslog, 2, 5 * S) && wait_fired(&log, 3, 5 * S),
                   "one write, not both watches fired");
    ok &= GT_CHECK(!strcmp(abslog.last, want), "event path '%s', expected '%s'", abslog.last, want);
    ok &= GT_CHECK(gk_xs_unwatch(abspath, "abs") == 0, "absolute unwatch");

    rc = gk_xs_unwatch("data/w", "tok");
    ok &= GT_CHECK(rc == 0, "unwatch: %d", rc);
    gk_xs_write(GK_XBT_NIL, "data/w/child", "2");
    gk_sleep_ns(50 * MS);
    ok &= GT_CHECK(log.fired == 3 && abslog.fired == 2, "%u/%u events after unwatch",
                   log.fired - 3, abslog.fired - 2);
    rc = gk_xs_unwatch("data/w", "tok");
    ok &= GT_CHECK(rc == -ENOENT, "second unwatch: %d", rc);
    gk_xs_rm(GK_XBT_NIL, "data/w");
    if (ok)
        printf("PASS watches: initial event, relative and absolute paths, unwatch\n");
}

static void test_states(void)
{
    enum xenbus_state now = XenbusStateUnknown;
    bool ok = true;
    int rc;

    ok &= GT_CHECK(gk_xenbus_read_state("data/dev") == XenbusStateUnknown, "state before");
    /* A device directory that is gone stays gone. */
    rc = gk_xenbus_switch_state("data/dev", XenbusStateInitialised);
    ok &= GT_CHECK(rc == -ENOENT, "switch without the directory: %d", rc);
    ok &= GT_CHECK(gk_xenbus_read_state("data/dev") == XenbusStateUnknown, "nothing created");
    ok &= GT_CHECK(gk_xs_mkdir(GK_XBT_NIL, "data/dev") == 0, "mkdir");
    ok &= GT_CHECK(gk_xenbus_switch_state("data/dev", XenbusStateInitialised) == 0, "switch");
    ok &= GT_CHECK(gk_xenbus_read_state("data/dev") == XenbusStateInitialised, "state after");
    rc = gk_xenbus_wait_state("data/dev", 1u << XenbusStateInitialised, 5 * S, &now);
    ok &= GT_CHECK(rc == 0 && now == XenbusStateInitialised, "wait for the current state: %d", rc);
    rc = gk_xenbus_wait_state("data/dev", 1u << XenbusStateConnected, 100 * MS, &now);
    ok &= GT_CHECK(rc == -ETIMEDOUT && now == XenbusStateInitialised,
                   "wait for a state never reached: %d", rc);
    gk_xs_write(GK_XBT_NIL, "data/dev/state", "banana");
    ok &= GT_CHECK(gk_xenbus_read_state("data/dev") == XenbusStateUnknown, "garbage state");
    gk_xs_rm(GK_XBT_NIL, "data/dev");
    if (ok)
        printf("PASS state handshake helpers\n");
}

static void bench(unsigned long count)
{
    struct gt_stats rd = { 0 }, wr = { 0 }, wt = { 0 };
    struct watch_log log = { 0 };
    char buf[32];

    gk_xs_write(GK_XBT_NIL, "data/bench", "0");
    for (unsigned long i = 0; i < count; i++) {
        uint64_t t0 = gk_monotonic_ns();

        gk_xs_read(GK_XBT_NIL, "data/bench", buf, sizeof(buf));
        gt_stats_add(&rd, gk_monotonic_ns() - t0);
    }
    for (unsigned long i = 0; i < count; i++) {
        uint64_t t0 = gk_monotonic_ns();

        gk_xs_printf(GK_XBT_NIL, "data/bench", "%lu", i);
        gt_stats_add(&wr, gk_monotonic_ns() - t0);
    }
    /* Write, then wait for the event: a watch round trip as a frontend sees its backend's. */
    if (gk_xs_watch("data/bench", "bench", watch_fired, &log) == 0 && wait_fired(&log, 1, 5 * S)) {
        for (unsigned long i = 0; i < count; i++) {
            uint64_t t0 = gk_monotonic_ns();
            unsigned int want = log.fired + 1;

            gk_xs_printf(GK_XBT_NIL, "data/bench", "w%lu", i);
            if (!GT_CHECK(wait_fired(&log, want, 5 * S), "bench watch event %lu lost", i))
                break;
            gt_stats_add(&wt, gk_monotonic_ns() - t0);
        }
        gk_xs_unwatch("data/bench", "bench");
    }
    gk_xs_rm(GK_XBT_NIL, "data/bench");
    gt_stats_print("xenbus", "read", &rd);
    gt_stats_print("xenbus", "write", &wr);
    gt_stats_print("xenbus", "write-to-watch-event", &wt);
    gt_measure_floor("xenbus");
}

int main(int argc, char **argv)
{
    const char *name = gt_arg(argc, argv, "name");

    if (!gk_xenbus_connected()) {
        printf("FAIL xenbus did not connect at start-up\n");
        return gt_finish("xenbus");
    }
    test_own_tree(name ? name : "xenbus");
    test_read_write();
    test_large();
    test_denied(gt_arg_num(argc, argv, "peer", 0));
    test_transactions();
    test_watches();
    test_states();
    bench(gt_arg_num(argc, argv, "count", 200));
    if (gt_arg_num(argc, argv, "wait", 0)) {
        printf("xenbus: done, %d failures\n", gt_failures);
        printf("xenbus: waiting for shutdown\n");
        for (;;)
            gk_sleep_ns(10 * S);
    }
    return gt_finish("xenbus");
}
