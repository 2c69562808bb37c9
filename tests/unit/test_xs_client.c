/* test_xs_client.c: Check tests of libxenstore against lamina-xenstored over its socket. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xenstore.h>

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "loop.h"
#include "quota.h"
#include "socket.h"
#include "xsd.h"

static pid_t daemon_pid = -1;
static char sock_dir[64];
static char sock_path[128];

/* The daemon runs in a child process: the engine, the socket and the loop. */
static void start_daemon(void)
{
    int p[2];
    char ok = 0;

    snprintf(sock_dir, sizeof(sock_dir), "/tmp/xs-client-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(sock_dir));
    snprintf(sock_path, sizeof(sock_path), "%s/socket", sock_dir);
    setenv("XENSTORED_PATH", sock_path, 1);
    ck_assert_int_eq(pipe(p), 0);
    daemon_pid = fork();
    ck_assert_int_ge(daemon_pid, 0);
    if (daemon_pid == 0) {
        /* Check skips the teardown after a failed test: never outlive it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGPIPE, SIG_IGN);
        log_set_level(LOG_ERR);
        quota_defaults();
        if (loop_init() < 0 || xsd_init(&fake_backend, true) < 0 || socket_listen(sock_path) < 0)
            _exit(1);
        ok = 1;
        if (write(p[1], &ok, 1) != 1)
            _exit(1);
        for (;;) {
            loop_once(conns_busy() ? 0 : -1);
            conns_run();
        }
    }
    close(p[1]);
    ck_assert_int_eq(read(p[0], &ok, 1), 1);
    close(p[0]);
}

static void stop_daemon(void)
{
    if (daemon_pid > 0) {
        kill(daemon_pid, SIGKILL);
        waitpid(daemon_pid, NULL, 0);
    }
    daemon_pid = -1;
    unlink(sock_path);
    rmdir(sock_dir);
}

static struct xs_handle *open_ok(void)
{
    struct xs_handle *h = xs_open(0);

    ck_assert_ptr_nonnull(h);
    return h;
}

static bool write_str(struct xs_handle *h, xs_transaction_t t, const char *path, const char *v)
{
    return xs_write(h, t, path, v, (unsigned int)strlen(v));
}

/* ---- Helpers that need no daemon ---- */

START_TEST(test_perm_strings)
{
    struct xs_permissions p[4];
    char buf[MAX_STRLEN(unsigned int) + 1];

    ck_assert(xs_strings_to_perms(p, 4, "n0\0r5\0w65535\0b12"));
    ck_assert_uint_eq(p[0].id, 0);
    ck_assert_uint_eq(p[0].perms, XS_PERM_NONE);
    ck_assert_uint_eq(p[1].perms, XS_PERM_READ);
    ck_assert_uint_eq(p[2].id, 65535);
    ck_assert_uint_eq(p[2].perms, XS_PERM_WRITE);
    ck_assert_uint_eq(p[3].perms, XS_PERM_READ | XS_PERM_WRITE);
    ck_assert(!xs_strings_to_perms(p, 1, "q1"));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert(!xs_strings_to_perms(p, 1, "r"));
    ck_assert(!xs_strings_to_perms(p, 1, "r65536"));
    ck_assert(!xs_strings_to_perms(p, 1, "r1x"));
    ck_assert(xs_perm_to_string(&p[3], buf, sizeof(buf)));
    ck_assert_str_eq(buf, "b12");
    p[0].perms = 0x40;
    ck_assert(!xs_perm_to_string(&p[0], buf, sizeof(buf)));
    ck_assert(!xs_perm_to_string(&p[3], buf, 3));
    ck_assert_uint_eq(xs_count_strings("a\0b\0c", 5), 2);
    ck_assert_uint_eq(xs_count_strings("", 0), 0);
}
END_TEST

START_TEST(test_paths_and_socket_name)
{
    ck_assert(xs_path_is_subpath("/a", "/a"));
    ck_assert(xs_path_is_subpath("/a", "/a/b"));
    ck_assert(!xs_path_is_subpath("/a", "/ab"));
    ck_assert(xs_path_is_subpath("/", "/x"));
    setenv("XENSTORED_PATH", "/somewhere/sock", 1);
    ck_assert_str_eq(xs_daemon_socket(), "/somewhere/sock");
    unsetenv("XENSTORED_PATH");
    setenv("XENSTORED_RUNDIR", "/run/x", 1);
    ck_assert_str_eq(xs_daemon_socket(), "/run/x/socket");
    unsetenv("XENSTORED_RUNDIR");
    ck_assert_str_eq(xs_daemon_socket(), "/var/run/xenstored/socket");
    ck_assert_str_eq(xs_daemon_socket_ro(), "/var/run/xenstored/socket");
}
END_TEST

START_TEST(test_open_without_daemon)
{
    setenv("XENSTORED_PATH", "/nonexistent/xenstored-socket", 1);
    ck_assert_ptr_null(xs_open(0));
    ck_assert_int_eq(errno, ENOENT);
    xs_close(NULL);
}
END_TEST

/* ---- Against the daemon ---- */

START_TEST(test_read_write)
{
    struct xs_handle *h = open_ok();
    unsigned int len, num;
    char *v, **dir;

    ck_assert(write_str(h, XBT_NULL, "/lib/a", "alpha"));
    v = xs_read(h, XBT_NULL, "/lib/a", &len);
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(len, 5);
    ck_assert_str_eq(v, "alpha");
    free(v);
    ck_assert(xs_write(h, XBT_NULL, "/lib/bin", "x\0y", 3));
    v = xs_read(h, XBT_NULL, "/lib/bin", &len);
    ck_assert_uint_eq(len, 3);
    ck_assert_mem_eq(v, "x\0y", 4);
    free(v);
    ck_assert(xs_mkdir(h, XBT_NULL, "/lib/dir"));
    dir = xs_directory(h, XBT_NULL, "/lib", &num);
    ck_assert_ptr_nonnull(dir);
    ck_assert_uint_eq(num, 3);
    ck_assert_str_eq(dir[0], "a");
    ck_assert_str_eq(dir[2], "dir");
    free(dir);
    ck_assert(xs_rm(h, XBT_NULL, "/lib/a"));
    ck_assert_ptr_null(xs_read(h, XBT_NULL, "/lib/a", NULL));
    ck_assert_int_eq(errno, ENOENT);
    ck_assert(!xs_write(h, XBT_NULL, "bad//path", "x", 1));
    ck_assert_int_eq(errno, EINVAL);
    xs_close(h);
}
END_TEST

START_TEST(test_permissions)
{
    struct xs_handle *h = open_ok();
    struct xs_permissions set[2] = { { 5, XS_PERM_NONE }, { 7, XS_PERM_READ } }, *got;
    unsigned int num;

    ck_assert(xs_mkdir(h, XBT_NULL, "/perm"));
    ck_assert(xs_set_permissions(h, XBT_NULL, "/perm", set, 2));
    got = xs_get_permissions(h, XBT_NULL, "/perm", &num);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(num, 2);
    ck_assert_uint_eq(got[0].id, 5);
    ck_assert_uint_eq(got[1].id, 7);
    ck_assert_uint_eq(got[1].perms, XS_PERM_READ);
    free(got);
    ck_assert_ptr_null(xs_get_permissions(h, XBT_NULL, "/nope", &num));
    ck_assert_int_eq(errno, ENOENT);
    xs_close(h);
}
END_TEST

START_TEST(test_big_directory)
{
    struct xs_handle *h = open_ok();
    char path[64];
    unsigned int num;
    char **dir;

    for (int i = 0; i < 500; i++) {
        snprintf(path, sizeof(path), "/big/entry-with-a-long-name-%04d", i);
        ck_assert(write_str(h, XBT_NULL, path, ""));
    }
    dir = xs_directory(h, XBT_NULL, "/big", &num);
    ck_assert_ptr_nonnull(dir);
    ck_assert_uint_eq(num, 500);
    ck_assert_str_eq(dir[0], "entry-with-a-long-name-0000");
    ck_assert_str_eq(dir[499], "entry-with-a-long-name-0499");
    free(dir);
    xs_close(h);
}
END_TEST

START_TEST(test_transactions)
{
    struct xs_handle *a = open_ok(), *b = open_ok();
    xs_transaction_t t;
    char *v;

    ck_assert(write_str(a, XBT_NULL, "/tx/x", "0"));
    t = xs_transaction_start(a);
    ck_assert_uint_ne(t, XBT_NULL);
    v = xs_read(a, t, "/tx/x", NULL);
    ck_assert_str_eq(v, "0");
    free(v);
    ck_assert(write_str(a, t, "/tx/x", "1"));
    ck_assert(write_str(b, XBT_NULL, "/tx/x", "2"));
    ck_assert(!xs_transaction_end(a, t, false));
    ck_assert_int_eq(errno, EAGAIN);
    t = xs_transaction_start(a);
    ck_assert(write_str(a, t, "/tx/x", "3"));
    ck_assert(xs_transaction_end(a, t, false));
    v = xs_read(b, XBT_NULL, "/tx/x", NULL);
    ck_assert_str_eq(v, "3");
    free(v);
    t = xs_transaction_start(a);
    ck_assert(write_str(a, t, "/tx/x", "4"));
    ck_assert(xs_transaction_end(a, t, true));
    v = xs_read(b, XBT_NULL, "/tx/x", NULL);
    ck_assert_str_eq(v, "3");
    free(v);
    xs_close(a);
    xs_close(b);
}
END_TEST

START_TEST(test_watches)
{
    struct xs_handle *w = open_ok(), *x = open_ok();
    unsigned int num;
    char **ev;

    ck_assert(xs_watch(w, "/wt", "token"));
    ev = xs_read_watch(w, &num);
    ck_assert_uint_eq(num, 2);
    ck_assert_str_eq(ev[XS_WATCH_PATH], "/wt");
    ck_assert_str_eq(ev[XS_WATCH_TOKEN], "token");
    free(ev);
    ck_assert_ptr_null(xs_check_watch(w));
    ck_assert_int_eq(errno, EAGAIN);
    ck_assert(write_str(x, XBT_NULL, "/wt/a", "1"));
    ev = xs_read_watch(w, &num);
    ck_assert_str_eq(ev[XS_WATCH_PATH], "/wt/a");
    free(ev);
    /* An event arriving while a request waits for its reply is kept. */
    ck_assert(write_str(x, XBT_NULL, "/wt/b", "1"));
    ck_assert(write_str(w, XBT_NULL, "/other", "1"));
    ev = xs_check_watch(w);
    ck_assert_ptr_nonnull(ev);
    ck_assert_str_eq(ev[XS_WATCH_PATH], "/wt/b");
    free(ev);
    ck_assert(xs_unwatch(w, "/wt", "token"));
    ck_assert(!xs_unwatch(w, "/wt", "token"));
    ck_assert_int_eq(errno, ENOENT);
    xs_close(w);
    xs_close(x);
}
END_TEST

START_TEST(test_fileno_poll)
{
    struct xs_handle *w = open_ok(), *x = open_ok();
    struct pollfd pfd;
    char **ev;

    pfd.fd = xs_fileno(w);
    pfd.events = POLLIN;
    ck_assert_int_ge(pfd.fd, 0);
    ck_assert(xs_watch(w, "/fd", "t"));
    ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
    ev = xs_check_watch(w);
    ck_assert_str_eq(ev[XS_WATCH_PATH], "/fd");
    free(ev);
    ck_assert_int_eq(poll(&pfd, 1, 0), 0);
    ck_assert(write_str(x, XBT_NULL, "/fd/x", "1"));
    ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
    ev = xs_check_watch(w);
    ck_assert_str_eq(ev[XS_WATCH_PATH], "/fd/x");
    free(ev);
    ck_assert_int_eq(poll(&pfd, 1, 0), 0);
    /* Requests still work with the reader thread running. */
    ck_assert(write_str(w, XBT_NULL, "/fd-other", "1"));
    xs_close(w);
    xs_close(x);
}
END_TEST

static void *blocked_reader(void *arg)
{
    struct xs_handle *h = arg;
    unsigned int num;

    return xs_read_watch(h, &num);
}

START_TEST(test_threads_share_a_handle)
{
    struct xs_handle *h = open_ok();
    pthread_t th;
    char **ev;
    char *v;

    ck_assert(xs_watch(h, "/thr", "t"));
    free(xs_read_watch(h, NULL));
    ck_assert_int_eq(pthread_create(&th, NULL, blocked_reader, h), 0);
    usleep(50000);
    /* The blocked thread holds the socket; this thread's reply still arrives. */
    v = xs_read(h, XBT_NULL, "/tool/xenstored", NULL);
    ck_assert_ptr_nonnull(v);
    free(v);
    ck_assert(write_str(h, XBT_NULL, "/thr/x", "1"));
    ck_assert_int_eq(pthread_join(th, (void **)&ev), 0);
    ck_assert_ptr_nonnull(ev);
    ck_assert_str_eq(ev[XS_WATCH_PATH], "/thr/x");
    free(ev);
    xs_close(h);
}
END_TEST

START_TEST(test_domains_and_control)
{
    struct xs_handle *h = open_ok();
    char *s;

    ck_assert(!xs_is_domain_introduced(h, 5));
    ck_assert(xs_introduce_domain(h, 5, 0x1234, 3));
    ck_assert(xs_is_domain_introduced(h, 5));
    s = xs_get_domain_path(h, 5);
    ck_assert_str_eq(s, "/local/domain/5");
    free(s);
    ck_assert(xs_set_target(h, 5, 6));
    ck_assert(xs_resume_domain(h, 5));
    ck_assert(xs_release_domain(h, 5));
    ck_assert(!xs_release_domain(h, 5));
    ck_assert_int_eq(errno, ENOENT);
    s = xs_control_command(h, "check", NULL, 0);
    ck_assert_str_eq(s, "OK");
    free(s);
    s = xs_control_command(h, "print", "hi", 3);
    ck_assert_str_eq(s, "OK");
    free(s);
    ck_assert_ptr_null(xs_control_command(h, "nonsense", NULL, 0));
    ck_assert_int_eq(errno, EINVAL);
    xs_close(h);
}
END_TEST

static int raw_connect(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    strcpy(sa.sun_path, sock_path);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

START_TEST(test_hostile_socket_clients)
{
    struct xs_handle *good = open_ok();
    struct xsd_sockmsg big = { .type = XS_READ, .len = 100000 };
    struct xsd_sockmsg req = { .type = XS_READ, .len = 7 };
    int oversize = raw_connect(), partial = raw_connect(), flood = raw_connect();
    struct timeval tv = { 5, 0 };
    char buf[64], *v;

    /* Oversize: dropped. */
    ck_assert_int_eq(write(oversize, &big, sizeof(big)), (ssize_t)sizeof(big));
    setsockopt(oversize, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ck_assert_int_eq(read(oversize, buf, sizeof(buf)), 0);
    /* Half a header, then silence. */
    ck_assert_int_eq(write(partial, &req, 7), 7);
    /* Many requests, never reading a reply. */
    for (int i = 0; i < 5000; i++) {
        ssize_t n = send(flood, &req, sizeof(req), MSG_DONTWAIT);

        if (n < 0)
            break;
        if (send(flood, "/tool\0", 7, MSG_DONTWAIT) < 0)
            break;
    }
    /* Meanwhile the well-behaved client is answered. */
    for (int i = 0; i < 100; i++) {
        v = xs_read(good, XBT_NULL, "/tool/xenstored", NULL);
        ck_assert_ptr_nonnull(v);
        free(v);
    }
    close(oversize);
    close(partial);
    close(flood);
    ck_assert(write_str(good, XBT_NULL, "/still", "alive"));
    v = xs_control_command(good, "check", NULL, 0);
    ck_assert_str_eq(v, "OK");
    free(v);
    xs_close(good);
}
END_TEST

START_TEST(test_disconnect_mid_transaction)
{
    struct xs_handle *a = open_ok(), *b;
    xs_transaction_t t = xs_transaction_start(a);
    char *v;

    ck_assert(write_str(a, t, "/mid", "x"));
    xs_close(a);
    b = open_ok();
    ck_assert_ptr_null(xs_read(b, XBT_NULL, "/mid", NULL));
    v = xs_control_command(b, "stats", NULL, 0);
    ck_assert_ptr_nonnull(strstr(v, "connections 1"));
    free(v);
    xs_close(b);
}
END_TEST

static Suite *client_suite(void)
{
    Suite *s = suite_create("libxenstore");
    TCase *lib = tcase_create("helpers"), *live = tcase_create("daemon");

    tcase_add_test(lib, test_perm_strings);
    tcase_add_test(lib, test_paths_and_socket_name);
    tcase_add_test(lib, test_open_without_daemon);
    tcase_add_checked_fixture(live, start_daemon, stop_daemon);
    tcase_set_timeout(live, 30);
    tcase_add_test(live, test_read_write);
    tcase_add_test(live, test_permissions);
    tcase_add_test(live, test_big_directory);
    tcase_add_test(live, test_transactions);
    tcase_add_test(live, test_watches);
    tcase_add_test(live, test_fileno_poll);
    tcase_add_test(live, test_threads_share_a_handle);
    tcase_add_test(live, test_domains_and_control);
    tcase_add_test(live, test_hostile_socket_clients);
    tcase_add_test(live, test_disconnect_mid_transaction);
    suite_add_tcase(s, lib);
    suite_add_tcase(s, live);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(client_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
