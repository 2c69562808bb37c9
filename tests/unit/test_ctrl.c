/* test_ctrl.c: the control library against a fake hypervisor, and `lamina list` formatting. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <lamina/ctl-wire.h>
#include <lamina_ctrl.h>
#include <xenctrl.h>

#include "cli.h"

/*
 * The fake hypervisor listens on hv.sock in a temporary LAMINA_RUNDIR and
 * runs one script per test in a thread: it answers the library's requests
 * with good or deliberately broken packets.  Scripts record their own
 * failed expectations (Check's asserts belong to the test's main thread),
 * and the test checks them after the script has finished.
 */

typedef void fake_script_fn(int conn);

static struct {
    char dir[64];
    char sock_path[100];
    int listen_fd;
    int started;
    pthread_t thread;
    fake_script_fn *script;
    char failure[512];
    int spare_fd;               /* kept open: sent as an unexpected descriptor */
} fake;

static void fake_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fake_fail(const char *fmt, ...)
{
    va_list ap;

    if (fake.failure[0])
        return;
    va_start(ap, fmt);
    vsnprintf(fake.failure, sizeof(fake.failure), fmt, ap);
    va_end(ap);
}

#define FAKE_CHECK(cond) \
    do { \
        if (!(cond)) \
            fake_fail("%s:%d: fake hypervisor: %s", __FILE__, __LINE__, #cond); \
    } while (0)

static void *fake_main(void *arg)
{
    int conn = accept4(fake.listen_fd, NULL, NULL, SOCK_CLOEXEC);

    (void)arg;
    if (conn < 0) {
        fake_fail("accept: %s", strerror(errno));
        return NULL;
    }
    fake.script(conn);
    close(conn);
    return NULL;
}

static void setup(void)
{
    char tmpl[] = "/tmp/lamina-test-ctrl-XXXXXX";

    memset(&fake, 0, sizeof(fake));
    fake.listen_fd = -1;
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    snprintf(fake.dir, sizeof(fake.dir), "%s", tmpl);
    snprintf(fake.sock_path, sizeof(fake.sock_path), "%s/%s", fake.dir, LAMINA_CTL_SOCKET_NAME);
    setenv("LAMINA_RUNDIR", fake.dir, 1);
    fake.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fake.spare_fd, 0);
}

static void teardown(void)
{
    if (fake.started)
        pthread_join(fake.thread, NULL);
    if (fake.listen_fd >= 0)
        close(fake.listen_fd);
    close(fake.spare_fd);
    unlink(fake.sock_path);
    rmdir(fake.dir);
}

static void fake_listen(void)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };

    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", fake.sock_path);
    fake.listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fake.listen_fd, 0);
    ck_assert_int_eq(bind(fake.listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_eq(listen(fake.listen_fd, 4), 0);
}

static void fake_start(fake_script_fn *script)
{
    fake_listen();
    fake.script = script;
    ck_assert_int_eq(pthread_create(&fake.thread, NULL, fake_main, NULL), 0);
    fake.started = 1;
}

/* Wait for the script to finish and check what it recorded. */
static void fake_finish(void)
{
    if (fake.started) {
        pthread_join(fake.thread, NULL);
        fake.started = 0;
    }
    ck_assert_msg(fake.failure[0] == '\0', "%s", fake.failure);
}

/* Receive the next request, which must be op: 1, or 0 (failure recorded). */
static int fake_expect(int conn, uint16_t op, struct lamina_ctl_msg *m)
{
    int rc = lamina_ctl_recv(conn, m, 0);

    if (rc != 1) {
        fake_fail("expected request %u, recv returned %d", op, rc);
        return 0;
    }
    if (m->hdr.type != op || m->hdr.flags != 0 || m->hdr.seq == 0) {
        fake_fail("expected request %u, got type %u flags %#x seq %u", op, m->hdr.type,
                  m->hdr.flags, m->hdr.seq);
        lamina_ctl_msg_release(m);
        return 0;
    }
    return 1;
}

static void fake_send(int conn, uint16_t type, uint32_t seq, uint16_t flags, int32_t status,
                      const void *payload, size_t len, const int *fds, unsigned int nfds)
{
    struct lamina_ctl_hdr h;

    lamina_ctl_hdr_init(&h, type, seq, (uint32_t)len, flags);
    h.status = status;
    FAKE_CHECK(lamina_ctl_send(conn, &h, payload, fds, nfds, 0) == 0);
}

static void fake_reply(int conn, const struct lamina_ctl_hdr *req, int32_t status,
                       const void *payload, size_t len)
{
    fake_send(conn, req->type, req->seq, LAMINA_CTL_F_REPLY, status, payload, len, NULL, 0);
}

static void fake_domain_event(int conn, uint32_t domid, uint32_t event, uint32_t reason,
                              uint32_t action)
{
    struct lamina_ctl_ev_domain ev = { domid, event, reason, action };

    fake_send(conn, LAMINA_CTL_EV_DOMAIN, 0, LAMINA_CTL_F_EVENT, 0, &ev, sizeof(ev), NULL, 0);
}

static void fake_console_event(int conn, uint32_t domid, const void *data, size_t len)
{
    uint8_t *buf = malloc(sizeof(struct lamina_ctl_ev_console) + len);
    struct lamina_ctl_ev_console ev = { domid, (uint32_t)len };

    memcpy(buf, &ev, sizeof(ev));
    memcpy(buf + sizeof(ev), data, len);
    fake_send(conn, LAMINA_CTL_EV_CONSOLE, 0, LAMINA_CTL_F_EVENT, 0, buf, sizeof(ev) + len,
              NULL, 0);
    free(buf);
}

static void fake_hello(int conn)
{
    struct lamina_ctl_hello_reply r = {
        .version = LAMINA_CTL_VERSION, .features = LAMINA_CTL_FEAT_KVM_XEN,
        .xen_major = 4, .xen_minor = 17, .hv_version = "0.1.0-test",
    };
    struct lamina_ctl_hello hello;
    struct lamina_ctl_msg m;

    if (!fake_expect(conn, LAMINA_CTL_OP_HELLO, &m))
        return;
    FAKE_CHECK(m.hdr.len == sizeof(hello));
    if (m.hdr.len == sizeof(hello)) {
        memcpy(&hello, m.payload, sizeof(hello));
        FAKE_CHECK(hello.version == LAMINA_CTL_VERSION);
        FAKE_CHECK(memchr(hello.client, '\0', sizeof(hello.client)) != NULL);
    }
    fake_reply(conn, &m.hdr, 0, &r, sizeof(r));
    lamina_ctl_msg_release(&m);
}

/* Receive one request of type op and answer it with status and payload. */
static void fake_answer(int conn, uint16_t op, int32_t status, const void *payload, size_t len)
{
    struct lamina_ctl_msg m;
    struct lamina_ctl_hdr h;

    if (!fake_expect(conn, op, &m))
        return;
    /*
     * The descriptors the request carried are closed before the reply: this
     * server is a thread of the test's own process, which counts its
     * descriptors as soon as the reply is in.
     */
    h = m.hdr;
    lamina_ctl_msg_release(&m);
    fake_reply(conn, &h, status, payload, len);
}

/* Block until the client closes the connection. */
static void fake_wait_close(int conn)
{
    struct lamina_ctl_msg m;
    int rc = lamina_ctl_recv(conn, &m, 0);

    if (rc == 1) {
        fake_fail("unexpected request %u after the test's last one", m.hdr.type);
        lamina_ctl_msg_release(&m);
    }
}

static xc_interface *open_xch(void)
{
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);

    ck_assert_msg(xch != NULL, "xc_interface_open: %s", strerror(errno));
    return xch;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* A getinfo record. */
static struct lamina_ctl_dominfo rec(uint32_t domid, const char *name, uint32_t flags)
{
    struct lamina_ctl_dominfo r;

    memset(&r, 0, sizeof(r));
    r.domid = domid;
    r.flags = flags;
    snprintf(r.name, sizeof(r.name), "%s", name);
    r.uuid[0] = (uint8_t)domid;
    r.tot_pages = 256 * (domid + 1);
    r.max_pages = 512 * (domid + 1);
    r.cpu_time_ns = 1500000000ull * domid;
    r.nr_online_vcpus = 1 + domid % 2;
    r.max_vcpu_id = domid % 2;
    r.on_reboot = LAMINA_ACTION_RESTART;
    return r;
}

/* Answer a GETINFO request from a table of domains, as lamina-hv would. */
static void fake_getinfo(int conn, const struct lamina_ctl_dominfo *table, size_t n)
{
    struct lamina_ctl_getinfo q;
    struct lamina_ctl_msg m;
    uint8_t buf[LAMINA_CTL_MAX_PAYLOAD];
    struct lamina_ctl_getinfo_reply head = { 0 };
    size_t len = sizeof(head);

    if (!fake_expect(conn, LAMINA_CTL_OP_DOMAIN_GETINFO, &m))
        return;
    FAKE_CHECK(m.hdr.len == sizeof(q));
    memcpy(&q, m.payload, sizeof(q));
    for (size_t i = 0; i < n && head.count < q.max; i++) {
        if (table[i].domid < q.first_domid)
            continue;
        memcpy(buf + len, &table[i], sizeof(table[i]));
        len += sizeof(table[i]);
        head.count++;
    }
    memcpy(buf, &head, sizeof(head));
    fake_reply(conn, &m.hdr, 0, buf, len);
    lamina_ctl_msg_release(&m);
}

static const struct lamina_ctl_dominfo *three_domains(void)
{
    static struct lamina_ctl_dominfo t[3];

    t[0] = rec(0, "Domain-0", LAMINA_DOMINF_RUNNING);
    t[1] = rec(1, "web", LAMINA_DOMINF_BLOCKED | LAMINA_DOMINF_HVM_GUEST | LAMINA_DOMINF_BUILT);
    t[2] = rec(7, "db", LAMINA_DOMINF_PAUSED);
    return t;
}

/* Connection and handshake */

static void script_hello_only(int conn)
{
    fake_hello(conn);
    fake_wait_close(conn);
}

START_TEST(test_open_hello)
{
    struct lamina_hv_info info;
    xc_interface *xch;

    fake_start(script_hello_only);
    xch = open_xch();
    ck_assert_int_eq(lamina_hv_info(xch, &info), 0);
    ck_assert_uint_eq(info.protocol_version, LAMINA_CTL_VERSION);
    ck_assert_uint_eq(info.features, LAMINA_CTL_FEAT_KVM_XEN);
    ck_assert_uint_eq(info.xen_major, 4);
    ck_assert_uint_eq(info.xen_minor, 17);
    ck_assert_str_eq(info.hv_version, "0.1.0-test");
    ck_assert_int_ge(lamina_fd(xch), 0);
    ck_assert_int_eq(xc_interface_close(xch), 0);
    fake_finish();
}
END_TEST

START_TEST(test_open_not_running)
{
    int s;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };

    /* No socket at all. */
    errno = 0;
    ck_assert_ptr_null(xc_interface_open(NULL, NULL, 0));
    ck_assert_int_eq(errno, ENOENT);

    /* A socket file nobody listens on (a daemon that died). */
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", fake.sock_path);
    s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&addr, sizeof(addr)), 0);
    close(s);
    errno = 0;
    ck_assert_ptr_null(xc_interface_open(NULL, NULL, 0));
    ck_assert_int_eq(errno, ECONNREFUSED);
}
END_TEST

static void script_old_version(int conn)
{
    struct lamina_ctl_hello_reply r = { .version = LAMINA_CTL_VERSION + 1 };

    fake_answer(conn, LAMINA_CTL_OP_HELLO, 0, &r, sizeof(r));
    fake_wait_close(conn);
}

START_TEST(test_open_version_mismatch)
{
    fake_start(script_old_version);
    errno = 0;
    ck_assert_ptr_null(xc_interface_open(NULL, NULL, 0));
    ck_assert_int_eq(errno, EPROTONOSUPPORT);
    fake_finish();
}
END_TEST

static void script_short_hello(int conn)
{
    uint32_t version = LAMINA_CTL_VERSION;

    fake_answer(conn, LAMINA_CTL_OP_HELLO, 0, &version, sizeof(version));
    fake_wait_close(conn);
}

START_TEST(test_open_short_hello)
{
    fake_start(script_short_hello);
    errno = 0;
    ck_assert_ptr_null(xc_interface_open(NULL, NULL, 0));
    ck_assert_int_eq(errno, EPROTO);
    fake_finish();
}
END_TEST

START_TEST(test_dummy_handle)
{
    xc_interface *xch = xc_interface_open(NULL, NULL, XC_OPENFLAG_DUMMY);
    struct lamina_event ev;

    ck_assert_ptr_nonnull(xch);
    ck_assert_int_eq(xc_domain_pause(xch, 1), -1);
    ck_assert_int_eq(errno, ENOTCONN);
    ck_assert_int_eq(lamina_next_event(xch, &ev, 0), -1);
    ck_assert_int_eq(errno, ENOTCONN);
    xc_interface_close(xch);
}
END_TEST

/* Requests and their payloads */

static void script_version(int conn)
{
    struct lamina_ctl_xen_version_reply v = { .major = 4, .minor = 17, .extra = ".0-lamina" };

    fake_hello(conn);
    fake_answer(conn, LAMINA_CTL_OP_XEN_VERSION, 0, &v, sizeof(v));
    fake_answer(conn, LAMINA_CTL_OP_XEN_VERSION, 0, &v, sizeof(v));
    fake_wait_close(conn);
}

START_TEST(test_xc_version)
{
    xen_extraversion_t extra;
    xc_interface *xch;

    fake_start(script_version);
    xch = open_xch();
    ck_assert_int_eq(xc_version(xch, XENVER_version, NULL), (4 << 16) | 17);
    ck_assert_int_eq(xc_version(xch, XENVER_extraversion, extra), 0);
    ck_assert_str_eq(extra, ".0-lamina");
    ck_assert_int_eq(xc_version(xch, XENVER_capabilities, extra), -1);
    ck_assert_int_eq(errno, EOPNOTSUPP);
    xc_interface_close(xch);
    fake_finish();
}
END_TEST

static void script_create(int conn)
{
    struct lamina_ctl_domain_create c;
    struct lamina_ctl_domid reply = { .domid = 7 };
    struct lamina_ctl_msg m;
    const char *json = "{\"name\": \"web\"}";

    fake_hello(conn);
    if (!fake_expect(conn, LAMINA_CTL_OP_DOMAIN_CREATE, &m))
        return;
    FAKE_CHECK(m.hdr.len == sizeof(c) + strlen(json));
    memcpy(&c, m.payload, sizeof(c));
    FAKE_CHECK(strcmp(c.name, "web") == 0);
    FAKE_CHECK(c.uuid[0] == 0xab && c.uuid[15] == 0xcd);
    FAKE_CHECK(c.memory_kb == 65536 && c.maxmem_kb == 65536);
    FAKE_CHECK(c.max_vcpus == 2 && c.flags == 0);
    FAKE_CHECK(c.on_poweroff == LAMINA_ACTION_DESTROY && c.on_reboot == LAMINA_ACTION_RESTART);
    FAKE_CHECK(c.on_crash == LAMINA_ACTION_PRESERVE);
    FAKE_CHECK(c.config_len == strlen(json));
    FAKE_CHECK(memcmp(m.payload + sizeof(c), json, strlen(json)) == 0);
    fake_reply(conn, &m.hdr, 0, &reply, sizeof(reply));
    lamina_ctl_msg_release(&m);

    /* The Xen-compatible call: default memory, actions left to the toolstack. */
    if (!fake_expect(conn, LAMINA_CTL_OP_DOMAIN_CREATE, &m))
        return;
    FAKE_CHECK(m.hdr.len == sizeof(c));
    memcpy(&c, m.payload, sizeof(c));
    FAKE_CHECK(strcmp(c.name, "xc-0042000000000000000000000000007f") == 0);
    FAKE_CHECK(c.max_vcpus == 3 && c.uuid[1] == 0x42);
    FAKE_CHECK(c.memory_kb == LAMINA_XC_DEFAULT_MEMORY_KB);
    FAKE_CHECK(c.on_poweroff == LAMINA_ACTION_PRESERVE && c.on_crash == LAMINA_ACTION_PRESERVE);
    reply.domid = 8;
    fake_reply(conn, &m.hdr, 0, &reply, sizeof(reply));
    lamina_ctl_msg_release(&m);

    /* No UUID: a random name. */
    if (fake_expect(conn, LAMINA_CTL_OP_DOMAIN_CREATE, &m)) {
        memcpy(&c, m.payload, sizeof(c));
        FAKE_CHECK(strlen(c.name) == 35 && strncmp(c.name, "xc-", 3) == 0);
        FAKE_CHECK(strcmp(c.name, "xc-00000000000000000000000000000000") != 0);
        reply.domid = 9;
        fake_reply(conn, &m.hdr, 0, &reply, sizeof(reply));
        lamina_ctl_msg_release(&m);
    }

    /* A name the hypervisor refuses, with its explanation (control characters masked). */
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_CREATE, -EEXIST, "'web' exists\033[2J",
                sizeof("'web' exists\033[2J"));
    /* An explanation without its NUL is not used. */
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_CREATE, -EEXIST, "exists", 6);
    fake_wait_close(conn);
}

START_TEST(test_domain_create)
{
    struct lamina_domain_create_args a = {
        .name = "web", .memory_kb = 65536, .max_vcpus = 2,
        .on_poweroff = LAMINA_ACTION_DESTROY, .on_reboot = LAMINA_ACTION_RESTART,
        .on_crash = LAMINA_ACTION_PRESERVE, .config_json = "{\"name\": \"web\"}",
    };
    struct xen_domctl_createdomain xc;
    uint32_t domid = 0;
    xc_interface *xch;

    a.uuid[0] = 0xab;
    a.uuid[15] = 0xcd;
    fake_start(script_create);
    xch = open_xch();
    ck_assert_int_eq(lamina_domain_create(xch, &a, &domid), 0);
    ck_assert_uint_eq(domid, 7);

    memset(&xc, 0, sizeof(xc));
    xc.max_vcpus = 3;
    xc.handle[1] = 0x42;
    xc.handle[15] = 0x7f;
    domid = 0;
    ck_assert_int_eq(xc_domain_create(xch, &domid, &xc), 0);
    ck_assert_uint_eq(domid, 8);
    memset(xc.handle, 0, sizeof(xc.handle));
    domid = 0;
    ck_assert_int_eq(xc_domain_create(xch, &domid, &xc), 0);
    ck_assert_uint_eq(domid, 9);

    ck_assert_int_eq(lamina_domain_create(xch, &a, &domid), -1);
    ck_assert_int_eq(errno, EEXIST);
    ck_assert_str_eq(xc_get_last_error(xch)->message, "creating domain 'web': 'web' exists?[2J");
    ck_assert_int_eq(lamina_domain_create(xch, &a, &domid), -1);
    ck_assert_int_eq(errno, EEXIST);
    ck_assert_str_eq(xc_get_last_error(xch)->message, "creating domain 'web': File exists");
    domid = 0;

    /* Refused before anything is sent. */
    domid = 5;
    ck_assert_int_eq(xc_domain_create(xch, &domid, &xc), -1);
    ck_assert_int_eq(errno, EOPNOTSUPP);
    domid = 0;
    xc.max_vcpus = 0;
    ck_assert_int_eq(xc_domain_create(xch, &domid, &xc), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(xc_get_last_error(xch)->code, XC_INVALID_PARAM);
    a.name = "123";
    ck_assert_int_eq(lamina_domain_create(xch, &a, &domid), -1);
    ck_assert_int_eq(errno, EINVAL);
    a.name = "web";
    a.memory_kb = 0;
    ck_assert_int_eq(lamina_domain_create(xch, &a, &domid), -1);
    ck_assert_int_eq(errno, EINVAL);
    a.memory_kb = 1024;
    a.maxmem_kb = 512;
    ck_assert_int_eq(lamina_domain_create(xch, &a, &domid), -1);
    ck_assert_int_eq(errno, EINVAL);
    a.maxmem_kb = 0;
    a.on_crash = LAMINA_ACTION_MAX;
    ck_assert_int_eq(lamina_domain_create(xch, &a, &domid), -1);
    ck_assert_int_eq(errno, EINVAL);
    xc_interface_close(xch);
    fake_finish();
}
END_TEST

START_TEST(test_name_valid)
{
    char longest[LAMINA_NAME_MAX], too_long[LAMINA_NAME_MAX + 1];

    ck_assert(lamina_domain_name_valid("web"));
    ck_assert(lamina_domain_name_valid("web-1.example_2"));
    ck_assert(lamina_domain_name_valid("1a"));
    ck_assert(!lamina_domain_name_valid(NULL));
    ck_assert(!lamina_domain_name_valid(""));
    ck_assert(!lamina_domain_name_valid("42"));
    ck_assert(!lamina_domain_name_valid("a b"));
    ck_assert(!lamina_domain_name_valid("a/b"));
    ck_assert(!lamina_domain_name_valid("tab\there"));
    ck_assert(!lamina_domain_name_valid("web:1"));
    ck_assert(!lamina_domain_name_valid("a+b"));
    ck_assert(!lamina_domain_name_valid("caf\xc3\xa9"));
    memset(longest, 'x', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = '\0';
    ck_assert(lamina_domain_name_valid(longest));
    memset(too_long, 'x', sizeof(too_long) - 1);
    too_long[sizeof(too_long) - 1] = '\0';
    ck_assert(!lamina_domain_name_valid(too_long));
}
END_TEST

static char kernel_path[PATH_MAX];

static void script_build(int conn)
{
    struct lamina_ctl_domain_build_reply r = {
        .entry = 0x100000, .start_info = 0x6000, .console_pfn = 0xfeffc, .store_pfn = 0xfeffd,
        .console_port = 1, .store_port = 2,
    };
    struct lamina_ctl_domain_build_pvh b;
    struct lamina_ctl_hdr h;
    struct lamina_ctl_msg m;
    char buf[16] = "";

    fake_hello(conn);
    if (!fake_expect(conn, LAMINA_CTL_OP_DOMAIN_BUILD_PVH, &m))
        return;
    FAKE_CHECK(m.nfds == 2 && m.hdr.len == sizeof(b) + sizeof("console=hvc0"));
    memcpy(&b, m.payload, sizeof(b));
    FAKE_CHECK(b.domid == 3 && b.cmdline_len == sizeof("console=hvc0"));
    FAKE_CHECK(strcmp((char *)m.payload + sizeof(b), "console=hvc0") == 0);
    FAKE_CHECK(pread(m.fds[0], buf, 6, 0) == 6 && memcmp(buf, "KERNEL", 6) == 0);
    /* Our copies of the descriptors go before the reply, so the client's count is stable. */
    h = m.hdr;
    lamina_ctl_msg_release(&m);
    fake_reply(conn, &h, 0, &r, sizeof(r));

    /* No ramdisk, no command line. */
    if (!fake_expect(conn, LAMINA_CTL_OP_DOMAIN_BUILD_PVH, &m))
        return;
    FAKE_CHECK(m.nfds == 1 && m.hdr.len == sizeof(b) + 1);
    h = m.hdr;
    lamina_ctl_msg_release(&m);
    fake_reply(conn, &h, 0, &r, sizeof(r));

    /* Not a PVH kernel. */
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_BUILD_PVH, -ENOEXEC, NULL, 0);
    /* A reply shorter than struct lamina_ctl_domain_build_reply. */
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_BUILD_PVH, 0, &r, sizeof(r) - 4);
    fake_wait_close(conn);
}

START_TEST(test_build_pvh)
{
    struct lamina_build_info bi;
    xc_interface *xch;
    int kfd, rfd, before;

    snprintf(kernel_path, sizeof(kernel_path), "%s/kernel", fake.dir);
    kfd = open(kernel_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ck_assert_int_eq(write(kfd, "KERNEL", 6), 6);
    rfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    fake_start(script_build);
    xch = open_xch();
    before = count_fds();
    ck_assert_int_eq(lamina_domain_build_pvh(xch, 3, kfd, rfd, "console=hvc0", &bi), 0);
    ck_assert_uint_eq(bi.entry, 0x100000);
    ck_assert_uint_eq(bi.store_pfn, 0xfeffd);
    ck_assert_uint_eq(bi.store_port, 2);
    ck_assert_int_eq(lamina_domain_build_pvh(xch, 3, kfd, -1, NULL, NULL), 0);
    ck_assert_int_eq(lamina_domain_build_pvh(xch, 3, kfd, -1, NULL, &bi), -1);
    ck_assert_int_eq(errno, ENOEXEC);
    ck_assert_int_eq(xc_get_last_error(xch)->code, XC_INVALID_KERNEL);
    ck_assert_int_eq(lamina_domain_build_pvh(xch, 3, kfd, -1, NULL, &bi), -1);
    ck_assert_int_eq(errno, EPROTO);
    /* The caller's descriptors stay the caller's. */
    ck_assert_int_eq(count_fds(), before);
    ck_assert_int_eq(fcntl(kfd, F_GETFD), FD_CLOEXEC);
    ck_assert_int_eq(lamina_domain_build_pvh(xch, 3, -1, -1, NULL, &bi), -1);
    ck_assert_int_eq(errno, EINVAL);
    xc_interface_close(xch);
    close(kfd);
    close(rfd);
    unlink(kernel_path);
    fake_finish();
}
END_TEST

static void script_simple_ops(int conn)
{
    struct lamina_ctl_msg m;
    struct lamina_ctl_domain_shutdown sd;

    fake_hello(conn);
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_PAUSE, 0, NULL, 0);
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_UNPAUSE, 0, NULL, 0);
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_DESTROY, -ESRCH, NULL, 0);
    if (fake_expect(conn, LAMINA_CTL_OP_DOMAIN_SHUTDOWN, &m)) {
        FAKE_CHECK(m.hdr.len == sizeof(sd));
        memcpy(&sd, m.payload, sizeof(sd));
        FAKE_CHECK(sd.domid == 4 && sd.reason == SHUTDOWN_poweroff);
        fake_reply(conn, &m.hdr, 0, NULL, 0);
        lamina_ctl_msg_release(&m);
    }
    /* A status that is no errno, then a payload where none belongs. */
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_PAUSE, 5, NULL, 0);
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_PAUSE, -100000, NULL, 0);
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_PAUSE, 0, "x", 1);
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_PAUSE, 0, NULL, 0);
    fake_wait_close(conn);
}

START_TEST(test_simple_ops)
{
    xc_interface *xch;

    fake_start(script_simple_ops);
    xch = open_xch();
    ck_assert_int_eq(xc_domain_pause(xch, 4), 0);
    ck_assert_int_eq(xc_domain_unpause(xch, 4), 0);
    ck_assert_int_eq(xc_domain_destroy(xch, 9), -1);
    ck_assert_int_eq(errno, ESRCH);
    ck_assert_str_eq(xc_get_last_error(xch)->message, "destroying domain 9: No such process");
    ck_assert_int_eq(xc_domain_shutdown(xch, 4, SHUTDOWN_poweroff), 0);
    ck_assert_int_eq(xc_get_last_error(xch)->code, XC_ERROR_NONE);
    ck_assert_int_eq(xc_domain_pause(xch, 4), -1);
    ck_assert_int_eq(errno, EPROTO);
    ck_assert_int_eq(xc_domain_pause(xch, 4), -1);
    ck_assert_int_eq(errno, EPROTO);
    ck_assert_int_eq(xc_domain_pause(xch, 4), -1);
    ck_assert_int_eq(errno, EPROTO);
    /* Those replies matched their requests: the connection is still good. */
    ck_assert_int_eq(xc_domain_pause(xch, 4), 0);
    /* Checked before sending. */
    ck_assert_int_eq(xc_domain_shutdown(xch, 4, SHUTDOWN_MAX + 1), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(xc_domain_pause(xch, 0x7ff0), -1);
    ck_assert_int_eq(errno, EINVAL);
    xc_clear_last_error(xch);
    ck_assert_str_eq(xc_get_last_error(xch)->message, "");
    xc_interface_close(xch);
    fake_finish();
}
END_TEST

/* Getinfo */

static void script_getinfo(int conn)
{
    const struct lamina_ctl_dominfo *t = three_domains();

    fake_hello(conn);
    fake_getinfo(conn, t, 3);       /* xc_domain_getinfolist */
    fake_getinfo(conn, t, 3);       /* lamina_domain_getinfo, max 2 */
    fake_getinfo(conn, t, 3);       /* getinfo_single(7) */
    fake_getinfo(conn, t, 3);       /* getinfo_single(3): the hypervisor answers with 7 */
    fake_getinfo(conn, t, 3);       /* setmaxmem, same value */
    fake_getinfo(conn, t, 3);       /* setmaxmem, other value */
    fake_getinfo(conn, t, 3);       /* max_vcpus, same */
    fake_getinfo(conn, t, 3);       /* max_vcpus, other */
    fake_wait_close(conn);
}

START_TEST(test_getinfo)
{
    xc_domaininfo_t xi[8];
    struct lamina_dominfo li[2];
    xc_interface *xch;

    fake_start(script_getinfo);
    xch = open_xch();
    ck_assert_int_eq(xc_domain_getinfolist(xch, 0, 8, xi), 3);
    ck_assert_uint_eq(xi[0].domain, 0);
    ck_assert_uint_eq(xi[0].flags, XEN_DOMINF_running);
    ck_assert_uint_eq(xi[1].domain, 1);
    /* Lamina's own state bits are not Xen's. */
    ck_assert_uint_eq(xi[1].flags, XEN_DOMINF_blocked | XEN_DOMINF_hvm_guest);
    ck_assert_uint_eq(xi[1].tot_pages, 512);
    ck_assert_uint_eq(xi[1].max_pages, 1024);
    ck_assert_uint_eq(xi[1].cpu_time, 1500000000ull);
    ck_assert_uint_eq(xi[1].nr_online_vcpus, 2);
    ck_assert_uint_eq(xi[1].max_vcpu_id, 1);
    ck_assert_uint_eq(xi[1].handle[0], 1);
    ck_assert_uint_eq(xi[2].domain, 7);
    ck_assert_uint_eq(xi[2].flags, XEN_DOMINF_paused);

    ck_assert_int_eq(lamina_domain_getinfo(xch, 1, 2, li), 2);
    ck_assert_str_eq(li[0].name, "web");
    ck_assert_uint_eq(li[0].flags & LAMINA_DOMINF_BUILT, LAMINA_DOMINF_BUILT);
    ck_assert_uint_eq(li[0].on_reboot, LAMINA_ACTION_RESTART);
    ck_assert_str_eq(li[1].name, "db");

    ck_assert_int_eq(xc_domain_getinfo_single(xch, 7, xi), 0);
    ck_assert_uint_eq(xi[0].domain, 7);
    ck_assert_int_eq(lamina_domain_getinfo_single(xch, 3, li), -1);
    ck_assert_int_eq(errno, ESRCH);

    /* Fixed at creation: only the current value is accepted. */
    ck_assert_int_eq(xc_domain_setmaxmem(xch, 7, 8 * 512 * 4), 0);
    ck_assert_int_eq(xc_domain_setmaxmem(xch, 7, 1024), -1);
    ck_assert_int_eq(errno, EOPNOTSUPP);
    ck_assert_int_eq(xc_domain_max_vcpus(xch, 7, 2), 0);
    ck_assert_int_eq(xc_domain_max_vcpus(xch, 7, 4), -1);
    ck_assert_int_eq(errno, EOPNOTSUPP);
    xc_interface_close(xch);
    fake_finish();
}
END_TEST

/* Replies that must be refused, each on a connection that stays usable. */
static void script_bad_getinfo(int conn)
{
    struct lamina_ctl_dominfo t[3];
    struct {
        struct lamina_ctl_getinfo_reply head;
        struct lamina_ctl_dominfo rec[3];
    } r;
    struct lamina_ctl_getinfo q;
    struct lamina_ctl_msg m;

    memset(&r, 0, sizeof(r));
    t[0] = rec(0, "Domain-0", 0);
    t[1] = rec(2, "b", 0);
    t[2] = rec(1, "a", 0);
    fake_hello(conn);

    /* A count above what was asked for (the client asks for 2). */
    r.head.count = 3;
    memcpy(r.rec, t, sizeof(t));
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_GETINFO, 0, &r, sizeof(r));
    /* A count the payload does not hold. */
    r.head.count = 2;
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_GETINFO, 0, &r, sizeof(r.head) + sizeof(t[0]));
    /* A huge count with a short payload: no overflow, no overread. */
    r.head.count = 0xffffffffu;
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_GETINFO, 0, &r, sizeof(r.head) + sizeof(t[0]));
    /* Domains out of order. */
    r.head.count = 2;
    r.rec[0] = t[1];
    r.rec[1] = t[2];
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_GETINFO, 0, &r, sizeof(r.head) + 2 * sizeof(t[0]));
    /* A name without its NUL. */
    r.head.count = 1;
    r.rec[0] = t[0];
    memset(r.rec[0].name, 'x', sizeof(r.rec[0].name));
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_GETINFO, 0, &r, sizeof(r.head) + sizeof(t[0]));
    /* A domain id no domain can have. */
    r.rec[0] = rec(0x7ff0, "big", 0);
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_GETINFO, 0, &r, sizeof(r.head) + sizeof(t[0]));
    /* Shorter than its header. */
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_GETINFO, 0, &r, 4);
    /* A domain below the first one asked for. */
    if (fake_expect(conn, LAMINA_CTL_OP_DOMAIN_GETINFO, &m)) {
        memcpy(&q, m.payload, sizeof(q));
        FAKE_CHECK(q.first_domid == 5);
        r.rec[0] = rec(3, "low", 0);
        fake_reply(conn, &m.hdr, 0, &r, sizeof(r.head) + sizeof(t[0]));
        lamina_ctl_msg_release(&m);
    }
    /* And then a good one. */
    fake_getinfo(conn, t, 2);
    fake_wait_close(conn);
}

START_TEST(test_getinfo_malformed)
{
    struct lamina_dominfo li[2];
    xc_interface *xch;

    fake_start(script_bad_getinfo);
    xch = open_xch();
    for (int i = 0; i < 7; i++) {
        errno = 0;
        ck_assert_int_eq(lamina_domain_getinfo(xch, 0, 2, li), -1);
        ck_assert_int_eq(errno, EPROTO);
    }
    ck_assert_int_eq(lamina_domain_getinfo(xch, 5, 2, li), -1);
    ck_assert_int_eq(errno, EPROTO);
    ck_assert_int_eq(lamina_domain_getinfo(xch, 0, 2, li), 2);
    ck_assert_str_eq(li[1].name, "b");
    xc_interface_close(xch);
    fake_finish();
}
END_TEST

/* Many domains arrive in several GETINFO round trips. */
static void script_getinfo_chunks(int conn)
{
    size_t n = 600;
    struct lamina_ctl_dominfo *t = calloc(n, sizeof(*t));

    for (size_t i = 0; i < n; i++) {
        char name[16];

        snprintf(name, sizeof(name), "d%zu", i);
        t[i] = rec((uint32_t)i, name, 0);
    }
    fake_hello(conn);
    fake_getinfo(conn, t, n);
    fake_getinfo(conn, t, n);
    free(t);
    fake_wait_close(conn);
}

START_TEST(test_getinfo_chunks)
{
    xc_domaininfo_t *xi = calloc(1000, sizeof(*xi));
    xc_interface *xch;

    fake_start(script_getinfo_chunks);
    xch = open_xch();
    ck_assert_int_eq(xc_domain_getinfolist(xch, 0, 1000, xi), 600);
    ck_assert_uint_eq(xi[599].domain, 599);
    xc_interface_close(xch);
    free(xi);
    fake_finish();
}
END_TEST

/* Lookup */

static void script_lookup(int conn)
{
    const struct lamina_ctl_dominfo *t = three_domains();

    fake_hello(conn);
    fake_getinfo(conn, t, 3);   /* "7" */
    fake_getinfo(conn, t, 3);   /* "007" */
    fake_getinfo(conn, t, 3);   /* "0" */
    fake_getinfo(conn, t, 3);   /* "5" */
    fake_getinfo(conn, t, 3);   /* "web" */
    fake_getinfo(conn, t, 3);   /* "nope" */
    fake_getinfo(conn, t, 3);   /* "1x" */
    fake_wait_close(conn);
}

START_TEST(test_lookup)
{
    xc_interface *xch;
    uint32_t domid;

    fake_start(script_lookup);
    xch = open_xch();
    ck_assert_int_eq(lamina_domain_lookup(xch, "7", &domid), 0);
    ck_assert_uint_eq(domid, 7);
    ck_assert_int_eq(lamina_domain_lookup(xch, "007", &domid), 0);
    ck_assert_uint_eq(domid, 7);
    ck_assert_int_eq(lamina_domain_lookup(xch, "0", &domid), 0);
    ck_assert_uint_eq(domid, 0);
    ck_assert_int_eq(lamina_domain_lookup(xch, "5", &domid), -1);
    ck_assert_int_eq(errno, ESRCH);
    ck_assert_str_eq(xc_get_last_error(xch)->message, "no domain with id 5: No such process");
    ck_assert_int_eq(lamina_domain_lookup(xch, "web", &domid), 0);
    ck_assert_uint_eq(domid, 1);
    ck_assert_int_eq(lamina_domain_lookup(xch, "nope", &domid), -1);
    ck_assert_int_eq(errno, ESRCH);
    ck_assert_str_eq(xc_get_last_error(xch)->message,
                     "no domain named 'nope': No such process");
    /* Not all digits: a name. */
    ck_assert_int_eq(lamina_domain_lookup(xch, "1x", &domid), -1);
    ck_assert_int_eq(errno, ESRCH);
    /* Decided without asking the hypervisor. */
    ck_assert_int_eq(lamina_domain_lookup(xch, "99999999999999999999999", &domid), -1);
    ck_assert_int_eq(errno, ESRCH);
    ck_assert_int_eq(lamina_domain_lookup(xch, "32752", &domid), -1);
    ck_assert_int_eq(errno, ESRCH);
    ck_assert_int_eq(lamina_domain_lookup(xch, "", &domid), -1);
    ck_assert_int_eq(errno, EINVAL);
    xc_interface_close(xch);
    fake_finish();
}
END_TEST

/* Config */

static void script_config(int conn)
{
    static const char json[] = "{\"name\":\"web\"}";

    fake_hello(conn);
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_GET_CONFIG, 0, json, strlen(json));
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_GET_CONFIG, 0, json, sizeof(json));
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_GET_CONFIG, 0, NULL, 0);
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_GET_CONFIG, 0, "{\"a\0\":1}", 8);
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_GET_CONFIG, -ESRCH, NULL, 0);
    fake_wait_close(conn);
}

START_TEST(test_get_config)
{
    xc_interface *xch;
    char *json;

    fake_start(script_config);
    xch = open_xch();
    ck_assert_int_eq(lamina_domain_get_config(xch, 1, &json), 0);
    ck_assert_str_eq(json, "{\"name\":\"web\"}");
    free(json);
    ck_assert_int_eq(lamina_domain_get_config(xch, 1, &json), 0);
    ck_assert_str_eq(json, "{\"name\":\"web\"}");
    free(json);
    ck_assert_int_eq(lamina_domain_get_config(xch, 0, &json), 0);
    ck_assert_str_eq(json, "");
    free(json);
    ck_assert_int_eq(lamina_domain_get_config(xch, 1, &json), -1);
    ck_assert_int_eq(errno, EPROTO);
    ck_assert_int_eq(lamina_domain_get_config(xch, 9, &json), -1);
    ck_assert_int_eq(errno, ESRCH);
    xc_interface_close(xch);
    fake_finish();
}
END_TEST

/* Console and subscriptions */

static void script_console(int conn)
{
    struct lamina_ctl_console_attach a;
    struct lamina_ctl_console_input in;
    struct lamina_ctl_subscribe s;
    struct lamina_ctl_msg m;
    size_t total = 0;

    fake_hello(conn);
    if (fake_expect(conn, LAMINA_CTL_OP_SUBSCRIBE, &m)) {
        memcpy(&s, m.payload, sizeof(s));
        FAKE_CHECK(s.domid == LAMINA_DOMID_ANY && s.mask == LAMINA_EVMASK_DOMAIN);
        fake_reply(conn, &m.hdr, 0, NULL, 0);
        lamina_ctl_msg_release(&m);
    }
    if (fake_expect(conn, LAMINA_CTL_OP_CONSOLE_ATTACH, &m)) {
        memcpy(&a, m.payload, sizeof(a));
        FAKE_CHECK(a.domid == 2 && a.flags == LAMINA_CONSOLE_F_REPLAY);
        fake_reply(conn, &m.hdr, 0, NULL, 0);
        lamina_ctl_msg_release(&m);
    }
    /* 70000 bytes of input come in two packets. */
    for (int i = 0; i < 2; i++) {
        if (!fake_expect(conn, LAMINA_CTL_OP_CONSOLE_INPUT, &m))
            break;
        memcpy(&in, m.payload, sizeof(in));
        FAKE_CHECK(in.domid == 2 && in.len == m.hdr.len - sizeof(in));
        FAKE_CHECK(((uint8_t *)m.payload)[sizeof(in)] == (uint8_t)total);
        total += in.len;
        fake_reply(conn, &m.hdr, 0, NULL, 0);
        lamina_ctl_msg_release(&m);
    }
    FAKE_CHECK(total == 70000);
    fake_answer(conn, LAMINA_CTL_OP_CONSOLE_DETACH, 0, NULL, 0);
    fake_wait_close(conn);
}

START_TEST(test_console_requests)
{
    uint8_t *buf = malloc(70000);
    xc_interface *xch;

    for (size_t i = 0; i < 70000; i++)
        buf[i] = (uint8_t)i;
    fake_start(script_console);
    xch = open_xch();
    ck_assert_int_eq(lamina_subscribe(xch, LAMINA_DOMID_ANY, LAMINA_EVMASK_DOMAIN), 0);
    ck_assert_int_eq(lamina_console_attach(xch, 2, LAMINA_CONSOLE_F_REPLAY), 0);
    ck_assert_int_eq(lamina_console_input(xch, 2, buf, 70000), 0);
    ck_assert_int_eq(lamina_console_detach(xch, 2), 0);
    /* Checked before sending. */
    ck_assert_int_eq(lamina_console_attach(xch, 2, 0x80), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(lamina_subscribe(xch, 2, 0x80), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(lamina_console_input(xch, 2, NULL, 0), 0);
    xc_interface_close(xch);
    free(buf);
    fake_finish();
}
END_TEST

/* Events */

static void script_interleaved(int conn)
{
    struct lamina_ctl_msg m;

    fake_hello(conn);
    if (!fake_expect(conn, LAMINA_CTL_OP_DOMAIN_PAUSE, &m))
        return;
    fake_domain_event(conn, 3, LAMINA_DOMEV_PAUSED, 0, 0);
    fake_console_event(conn, 3, "hello\n", 6);
    fake_domain_event(conn, 3, LAMINA_DOMEV_SHUTDOWN, SHUTDOWN_reboot, LAMINA_ACTION_RESTART);
    fake_reply(conn, &m.hdr, 0, NULL, 0);
    lamina_ctl_msg_release(&m);
    fake_console_event(conn, 3, "after", 5);
    fake_wait_close(conn);
}

START_TEST(test_events_interleaved)
{
    struct lamina_event ev;
    xc_interface *xch;

    fake_start(script_interleaved);
    xch = open_xch();
    ck_assert_int_eq(xc_domain_pause(xch, 3), 0);

    ck_assert_int_eq(lamina_next_event(xch, &ev, 0), 1);
    ck_assert_int_eq(ev.type, LAMINA_EVENT_DOMAIN);
    ck_assert_uint_eq(ev.domid, 3);
    ck_assert_uint_eq(ev.u.domain.event, LAMINA_DOMEV_PAUSED);
    ck_assert_int_eq(lamina_next_event(xch, &ev, 0), 1);
    ck_assert_int_eq(ev.type, LAMINA_EVENT_CONSOLE);
    ck_assert_uint_eq(ev.u.console.len, 6);
    ck_assert_int_eq(memcmp(ev.u.console.data, "hello\n", 6), 0);
    ck_assert_int_eq(lamina_next_event(xch, &ev, 0), 1);
    ck_assert_int_eq(ev.type, LAMINA_EVENT_DOMAIN);
    ck_assert_uint_eq(ev.u.domain.event, LAMINA_DOMEV_SHUTDOWN);
    ck_assert_uint_eq(ev.u.domain.reason, SHUTDOWN_reboot);
    ck_assert_uint_eq(ev.u.domain.action, LAMINA_ACTION_RESTART);
    /* Then straight from the socket. */
    ck_assert_int_eq(lamina_next_event(xch, &ev, 5000), 1);
    ck_assert_int_eq(ev.type, LAMINA_EVENT_CONSOLE);
    ck_assert_int_eq(memcmp(ev.u.console.data, "after", 5), 0);
    ck_assert_int_eq(lamina_next_event(xch, &ev, 0), 0);
    ck_assert_int_eq(lamina_next_event(xch, &ev, 20), 0);
    xc_interface_close(xch);
    fake_finish();
}
END_TEST

#define OVERFLOW_EXTRA 10
#define BIG_CONSOLE 60000
#define BIG_EVENTS 20

static void script_overflow(int conn)
{
    struct lamina_ctl_msg m;
    char *big = calloc(1, BIG_CONSOLE);

    fake_hello(conn);
    if (fake_expect(conn, LAMINA_CTL_OP_DOMAIN_PAUSE, &m)) {
        for (unsigned int i = 0; i < LAMINA_EVENT_QUEUE_MAX + OVERFLOW_EXTRA; i++)
            fake_domain_event(conn, i % 100, LAMINA_DOMEV_PAUSED, 0, 0);
        fake_reply(conn, &m.hdr, 0, NULL, 0);
        lamina_ctl_msg_release(&m);
    }
    if (fake_expect(conn, LAMINA_CTL_OP_DOMAIN_PAUSE, &m)) {
        for (unsigned int i = 0; i < BIG_EVENTS; i++)
            fake_console_event(conn, 1, big, BIG_CONSOLE);
        fake_reply(conn, &m.hdr, 0, NULL, 0);
        lamina_ctl_msg_release(&m);
    }
    free(big);
    fake_wait_close(conn);
}

START_TEST(test_event_queue_overflow)
{
    const unsigned int per = sizeof(struct lamina_ctl_ev_console) + BIG_CONSOLE;
    const unsigned int fit = LAMINA_EVENT_QUEUE_BYTES / per;
    struct lamina_event ev;
    xc_interface *xch;

    fake_start(script_overflow);
    xch = open_xch();
    ck_assert_int_eq(xc_domain_pause(xch, 1), 0);
    for (unsigned int i = 0; i < LAMINA_EVENT_QUEUE_MAX; i++) {
        ck_assert_int_eq(lamina_next_event(xch, &ev, 0), 1);
        ck_assert_int_eq(ev.type, LAMINA_EVENT_DOMAIN);
        ck_assert_uint_eq(ev.domid, i % 100);
    }
    ck_assert_int_eq(lamina_next_event(xch, &ev, 0), 1);
    ck_assert_int_eq(ev.type, LAMINA_EVENT_LOST);
    ck_assert_uint_eq(ev.u.lost.domain_events, OVERFLOW_EXTRA);
    ck_assert_uint_eq(ev.u.lost.console_events, 0);
    ck_assert_int_eq(lamina_next_event(xch, &ev, 0), 0);

    /* The byte limit: big console events. */
    ck_assert_int_eq(xc_domain_pause(xch, 1), 0);
    for (unsigned int i = 0; i < fit; i++) {
        ck_assert_int_eq(lamina_next_event(xch, &ev, 0), 1);
        ck_assert_int_eq(ev.type, LAMINA_EVENT_CONSOLE);
        ck_assert_uint_eq(ev.u.console.len, BIG_CONSOLE);
    }
    ck_assert_int_eq(lamina_next_event(xch, &ev, 0), 1);
    ck_assert_int_eq(ev.type, LAMINA_EVENT_LOST);
    ck_assert_uint_eq(ev.u.lost.console_events, BIG_EVENTS - fit);
    ck_assert_uint_eq(ev.u.lost.console_bytes, (uint64_t)(BIG_EVENTS - fit) * BIG_CONSOLE);
    ck_assert_uint_eq(ev.u.lost.domain_events, 0);
    ck_assert_int_eq(lamina_next_event(xch, &ev, 0), 0);
    xc_interface_close(xch);
    fake_finish();
}
END_TEST

static void script_bad_events(int conn)
{
    struct lamina_ctl_ev_console c = { .domid = 1, .len = 100 };
    struct lamina_ctl_ev_domain d = { .domid = 1, .event = 99 };
    struct lamina_ctl_ev_domain good = { .domid = 1, .event = LAMINA_DOMEV_PAUSED };
    struct lamina_ctl_msg m;

    fake_hello(conn);
    /* Straight from the socket: wrong sizes, unknown kinds, a descriptor. */
    fake_send(conn, LAMINA_CTL_EV_DOMAIN, 0, LAMINA_CTL_F_EVENT, 0, &d, sizeof(d) - 1, NULL, 0);
    fake_send(conn, LAMINA_CTL_EV_DOMAIN, 0, LAMINA_CTL_F_EVENT, 0, &d, sizeof(d), NULL, 0);
    fake_send(conn, LAMINA_CTL_EV_CONSOLE, 0, LAMINA_CTL_F_EVENT, 0, &c, sizeof(c), NULL, 0);
    fake_send(conn, 0x1ff, 0, LAMINA_CTL_F_EVENT, 0, &c, sizeof(c), NULL, 0);
    fake_send(conn, LAMINA_CTL_EV_DOMAIN, 0, LAMINA_CTL_F_EVENT, 0, &good, sizeof(good),
              &fake.spare_fd, 1);
    fake_domain_event(conn, 1, LAMINA_DOMEV_DESTROYED, 0, 0);
    /* The same, queued while a reply is awaited. */
    if (fake_expect(conn, LAMINA_CTL_OP_DOMAIN_PAUSE, &m)) {
        fake_send(conn, LAMINA_CTL_EV_DOMAIN, 0, LAMINA_CTL_F_EVENT, 0, &good, sizeof(good),
                  &fake.spare_fd, 1);
        fake_domain_event(conn, 2, LAMINA_DOMEV_CREATED, 0, 0);
        fake_reply(conn, &m.hdr, 0, NULL, 0);
        lamina_ctl_msg_release(&m);
    }
    fake_wait_close(conn);
}

START_TEST(test_events_malformed)
{
    struct lamina_event ev;
    xc_interface *xch;
    int before;

    fake_start(script_bad_events);
    xch = open_xch();
    before = count_fds();
    for (int i = 0; i < 5; i++) {
        errno = 0;
        ck_assert_int_eq(lamina_next_event(xch, &ev, 5000), -1);
        ck_assert_int_eq(errno, EPROTO);
    }
    ck_assert_int_eq(lamina_next_event(xch, &ev, 5000), 1);
    ck_assert_uint_eq(ev.u.domain.event, LAMINA_DOMEV_DESTROYED);
    ck_assert_int_eq(count_fds(), before);

    ck_assert_int_eq(xc_domain_pause(xch, 1), 0);
    ck_assert_int_eq(count_fds(), before);
    ck_assert_int_eq(lamina_next_event(xch, &ev, 0), -1);
    ck_assert_int_eq(errno, EPROTO);
    ck_assert_int_eq(lamina_next_event(xch, &ev, 0), 1);
    ck_assert_uint_eq(ev.domid, 2);
    ck_assert_uint_eq(ev.u.domain.event, LAMINA_DOMEV_CREATED);
    xc_interface_close(xch);
    fake_finish();
}
END_TEST

/* Broken streams */

static void script_unexpected_fd(int conn)
{
    struct lamina_ctl_msg m;

    fake_hello(conn);
    if (fake_expect(conn, LAMINA_CTL_OP_DOMAIN_PAUSE, &m)) {
        fake_send(conn, m.hdr.type, m.hdr.seq, LAMINA_CTL_F_REPLY, 0, NULL, 0,
                  &fake.spare_fd, 1);
        lamina_ctl_msg_release(&m);
    }
    if (fake_expect(conn, LAMINA_CTL_OP_DOMAIN_PAUSE, &m)) {
        int fds[LAMINA_CTL_MAX_FDS] = { fake.spare_fd, fake.spare_fd, fake.spare_fd,
                                        fake.spare_fd };

        fake_send(conn, m.hdr.type, m.hdr.seq, LAMINA_CTL_F_REPLY, -EPERM, NULL, 0, fds,
                  LAMINA_CTL_MAX_FDS);
        lamina_ctl_msg_release(&m);
    }
    fake_answer(conn, LAMINA_CTL_OP_DOMAIN_PAUSE, 0, NULL, 0);
    fake_wait_close(conn);
}

START_TEST(test_unexpected_fds)
{
    xc_interface *xch;
    int before;

    fake_start(script_unexpected_fd);
    xch = open_xch();
    before = count_fds();
    ck_assert_int_eq(xc_domain_pause(xch, 1), -1);
    ck_assert_int_eq(errno, EPROTO);
    ck_assert_int_eq(count_fds(), before);
    ck_assert_int_eq(xc_domain_pause(xch, 1), -1);
    ck_assert_int_eq(errno, EPROTO);
    ck_assert_int_eq(count_fds(), before);
    ck_assert_int_eq(xc_domain_pause(xch, 1), 0);
    xc_interface_close(xch);
    fake_finish();
}
END_TEST

static void script_bad_magic(int conn)
{
    struct lamina_ctl_msg m;

    fake_hello(conn);
    if (fake_expect(conn, LAMINA_CTL_OP_DOMAIN_PAUSE, &m)) {
        struct lamina_ctl_hdr h;

        lamina_ctl_hdr_init(&h, m.hdr.type, m.hdr.seq, 0, LAMINA_CTL_F_REPLY);
        h.magic = 0xdeadbeef;
        FAKE_CHECK(send(conn, &h, sizeof(h), 0) == (ssize_t)sizeof(h));
        lamina_ctl_msg_release(&m);
    }
    fake_wait_close(conn);
}

START_TEST(test_reply_bad_magic)
{
    struct lamina_event ev;
    xc_interface *xch;

    fake_start(script_bad_magic);
    xch = open_xch();
    ck_assert_int_eq(xc_domain_pause(xch, 1), -1);
    ck_assert_int_eq(errno, EPROTO);
    /* The stream can no longer be trusted: nothing more is sent on it. */
    ck_assert_int_eq(xc_domain_unpause(xch, 1), -1);
    ck_assert_int_eq(errno, EPROTO);
    ck_assert_int_eq(lamina_next_event(xch, &ev, 0), -1);
    ck_assert_int_eq(errno, EPROTO);
    xc_interface_close(xch);
    fake_finish();
}
END_TEST

static void script_bad_seq(int conn)
{
    struct lamina_ctl_msg m;

    fake_hello(conn);
    if (fake_expect(conn, LAMINA_CTL_OP_DOMAIN_PAUSE, &m)) {
        fake_send(conn, m.hdr.type, m.hdr.seq + 1, LAMINA_CTL_F_REPLY, 0, NULL, 0, NULL, 0);
        lamina_ctl_msg_release(&m);
    }
    fake_wait_close(conn);
}

START_TEST(test_reply_wrong_seq)
{
    xc_interface *xch;

    fake_start(script_bad_seq);
    xch = open_xch();
    ck_assert_int_eq(xc_domain_pause(xch, 1), -1);
    ck_assert_int_eq(errno, EPROTO);
    ck_assert_int_eq(xc_domain_pause(xch, 1), -1);
    ck_assert_int_eq(errno, EPROTO);
    xc_interface_close(xch);
    fake_finish();
}
END_TEST

static void script_bad_type(int conn)
{
    struct lamina_ctl_msg m;

    fake_hello(conn);
    if (fake_expect(conn, LAMINA_CTL_OP_DOMAIN_PAUSE, &m)) {
        fake_send(conn, LAMINA_CTL_OP_DOMAIN_UNPAUSE, m.hdr.seq, LAMINA_CTL_F_REPLY, 0, NULL, 0,
                  NULL, 0);
        lamina_ctl_msg_release(&m);
    }
    fake_wait_close(conn);
}

START_TEST(test_reply_wrong_type)
{
    xc_interface *xch;

    fake_start(script_bad_type);
    xch = open_xch();
    ck_assert_int_eq(xc_domain_pause(xch, 1), -1);
    ck_assert_int_eq(errno, EPROTO);
    xc_interface_close(xch);
    fake_finish();
}
END_TEST

static void script_reply_and_event(int conn)
{
    struct lamina_ctl_msg m;

    fake_hello(conn);
    if (fake_expect(conn, LAMINA_CTL_OP_DOMAIN_PAUSE, &m)) {
        /* Both flags: neither a proper reply nor a proper event. */
        fake_send(conn, m.hdr.type, m.hdr.seq, LAMINA_CTL_F_REPLY | LAMINA_CTL_F_EVENT, 0,
                  NULL, 0, NULL, 0);
        lamina_ctl_msg_release(&m);
    }
    fake_wait_close(conn);
}

START_TEST(test_reply_both_flags)
{
    xc_interface *xch;

    fake_start(script_reply_and_event);
    xch = open_xch();
    ck_assert_int_eq(xc_domain_pause(xch, 1), -1);
    ck_assert_int_eq(errno, EPROTO);
    xc_interface_close(xch);
    fake_finish();
}
END_TEST

static void script_stray_reply(int conn)
{
    fake_hello(conn);
    fake_send(conn, LAMINA_CTL_OP_DOMAIN_PAUSE, 77, LAMINA_CTL_F_REPLY, 0, NULL, 0, NULL, 0);
    fake_wait_close(conn);
}

START_TEST(test_stray_reply)
{
    struct lamina_event ev;
    xc_interface *xch;

    fake_start(script_stray_reply);
    xch = open_xch();
    ck_assert_int_eq(lamina_next_event(xch, &ev, 5000), -1);
    ck_assert_int_eq(errno, EPROTO);
    ck_assert_int_eq(xc_domain_pause(xch, 1), -1);
    ck_assert_int_eq(errno, EPROTO);
    xc_interface_close(xch);
    fake_finish();
}
END_TEST

static void script_close_mid_request(int conn)
{
    struct lamina_ctl_msg m;

    fake_hello(conn);
    if (fake_expect(conn, LAMINA_CTL_OP_DOMAIN_PAUSE, &m)) {
        fake_domain_event(conn, 1, LAMINA_DOMEV_PAUSED, 0, 0);
        lamina_ctl_msg_release(&m);
    }
    /* The connection closes when the script returns. */
}

START_TEST(test_server_closes_mid_request)
{
    struct lamina_event ev;
    xc_interface *xch;

    fake_start(script_close_mid_request);
    xch = open_xch();
    ck_assert_int_eq(xc_domain_pause(xch, 1), -1);
    ck_assert(errno == ECONNRESET || errno == EPIPE);
    ck_assert_int_eq(xc_domain_pause(xch, 1), -1);
    ck_assert(errno == ECONNRESET || errno == EPIPE);
    /* The event that came before the end is still delivered, then the end. */
    ck_assert_int_eq(lamina_next_event(xch, &ev, 0), 1);
    ck_assert_uint_eq(ev.u.domain.event, LAMINA_DOMEV_PAUSED);
    ck_assert_int_eq(lamina_next_event(xch, &ev, 0), -1);
    ck_assert_int_eq(errno, ECONNRESET);
    xc_interface_close(xch);
    fake_finish();
}
END_TEST

static void script_close_after_hello(int conn)
{
    fake_hello(conn);
}

START_TEST(test_server_gone_before_request)
{
    struct lamina_event ev;
    xc_interface *xch;

    fake_start(script_close_after_hello);
    xch = open_xch();
    fake_finish();
    ck_assert_int_eq(xc_domain_pause(xch, 1), -1);
    ck_assert(errno == ECONNRESET || errno == EPIPE);
    ck_assert_int_eq(lamina_next_event(xch, &ev, 1000), -1);
    ck_assert(errno == ECONNRESET || errno == EPIPE);
    xc_interface_close(xch);
}
END_TEST

static void script_silent(int conn)
{
    struct lamina_ctl_msg m;

    fake_hello(conn);
    if (fake_expect(conn, LAMINA_CTL_OP_DOMAIN_PAUSE, &m))
        lamina_ctl_msg_release(&m);
    fake_wait_close(conn);
}

START_TEST(test_reply_timeout)
{
    xc_interface *xch;

    fake_start(script_silent);
    xch = open_xch();
    lamina_set_reply_timeout(xch, 100);
    ck_assert_int_eq(xc_domain_pause(xch, 1), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    /* A late reply would pair with the wrong request: the handle is done. */
    ck_assert_int_eq(xc_domain_pause(xch, 1), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    xc_interface_close(xch);
    fake_finish();
}
END_TEST

/* Starting the hypervisor */

static void write_script(const char *path, const char *body)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    ck_assert_int_eq(chmod(path, 0755), 0);
}

START_TEST(test_hv_start)
{
    char path[PATH_MAX], marker[PATH_MAX], body[PATH_MAX + 64], buf[PATH_MAX];

    snprintf(path, sizeof(path), "%s/fake-hv", fake.dir);
    snprintf(marker, sizeof(marker), "%s/started", fake.dir);
    snprintf(body, sizeof(body), "test $# -eq 0 && touch %s", marker);
    write_script(path, body);

    setenv("LAMINA_HV", path, 1);
    ck_assert_int_eq(lamina_hv_binary(buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, path);
    ck_assert_int_eq(lamina_hv_start(NULL, 5000), 0);
    ck_assert_int_eq(access(marker, F_OK), 0);
    unlink(marker);
    ck_assert_int_eq(lamina_hv_binary(buf, 4), -1);
    ck_assert_int_eq(errno, ENAMETOOLONG);
    unsetenv("LAMINA_HV");

    write_script(path, "echo 'fake-hv: failing on purpose (expected in this test)' >&2; exit 3");
    ck_assert_int_eq(lamina_hv_start(path, 5000), -1);
    ck_assert_int_eq(errno, EIO);

    write_script(path, "exec sleep 10");
    ck_assert_int_eq(lamina_hv_start(path, 100), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);

    snprintf(path, sizeof(path), "%s/missing-hv", fake.dir);
    ck_assert_int_eq(lamina_hv_start(path, 5000), -1);
    ck_assert_int_eq(errno, ENOENT);

    /* Without LAMINA_HV, a test binary has no hypervisor next to it. */
    ck_assert_int_eq(lamina_hv_binary(buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf + strlen(buf) - strlen("/lamina-hv"), "/lamina-hv");
    snprintf(path, sizeof(path), "%s/fake-hv", fake.dir);
    unlink(path);
}
END_TEST

/* `lamina list` formatting */

static struct lamina_dominfo dominfo(uint32_t domid, const char *name, uint32_t flags,
                                     uint64_t tot_pages, uint32_t vcpus, uint64_t cpu_ns)
{
    struct lamina_dominfo d;

    memset(&d, 0, sizeof(d));
    d.domid = domid;
    snprintf(d.name, sizeof(d.name), "%s", name);
    d.flags = flags;
    d.tot_pages = tot_pages;
    d.nr_online_vcpus = vcpus;
    d.cpu_time_ns = cpu_ns;
    return d;
}

START_TEST(test_list_format)
{
    char line[256];
    struct lamina_dominfo d;

    ck_assert_str_eq(CLI_LIST_HEADER,
                     "Name                                        ID   Mem VCPUs\tState\tTime(s)");

    d = dominfo(0, "Domain-0", LAMINA_DOMINF_RUNNING, 262144, 2, 12345678901ull);
    cli_list_format(line, sizeof(line), &d);
    ck_assert_str_eq(line, "Domain-0                                     0  1024     2     r-----"
                           "      12.3");

    d = dominfo(12, "web", LAMINA_DOMINF_BLOCKED | LAMINA_DOMINF_PAUSED, 32768, 1, 0);
    cli_list_format(line, sizeof(line), &d);
    ck_assert_str_eq(line, "web                                         12   128     1     -bp---"
                           "       0.0");

    d = dominfo(3, "crashy", LAMINA_DOMINF_SHUTDOWN | LAMINA_DOMINF_CRASHED |
                (SHUTDOWN_crash << LAMINA_DOMINF_SHUTDOWN_SHIFT), 256, 1, 1500000000ull);
    cli_list_format(line, sizeof(line), &d);
    ck_assert_str_eq(line, "crashy                                       3     1     1     ---sc-"
                           "       1.5");

    d = dominfo(4, "rebooting", LAMINA_DOMINF_SHUTDOWN | LAMINA_DOMINF_DYING |
                (SHUTDOWN_reboot << LAMINA_DOMINF_SHUTDOWN_SHIFT), 0, 0, 0);
    cli_list_format(line, sizeof(line), &d);
    ck_assert_str_eq(line, "rebooting                                    4     0     0     ---srd"
                           "       0.0");

    d = dominfo(5, "off", LAMINA_DOMINF_SHUTDOWN, 0, 0, 0);
    cli_list_format(line, sizeof(line), &d);
    ck_assert_str_eq(line + 46, "     0     0     ---s--       0.0");

    d = dominfo(6, "odd", LAMINA_DOMINF_SHUTDOWN | (200u << LAMINA_DOMINF_SHUTDOWN_SHIFT), 0, 0,
                0);
    cli_list_format(line, sizeof(line), &d);
    ck_assert_str_eq(line + 46, "     0     0     ---s?-       0.0");

    /* Long names push the columns right, as in xl. */
    d = dominfo(31000, "a-name-that-is-longer-than-forty-columns-wide", 0, 0, 0,
                123456789000000ull);
    cli_list_format(line, sizeof(line), &d);
    ck_assert_str_eq(line, "a-name-that-is-longer-than-forty-columns-wide 31000     0     0     "
                           "------  123456.8");
}
END_TEST

static Suite *ctrl_suite(void)
{
    Suite *s = suite_create("ctrl");
    TCase *tc;

    tc = tcase_create("connection");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_open_hello);
    tcase_add_test(tc, test_open_not_running);
    tcase_add_test(tc, test_open_version_mismatch);
    tcase_add_test(tc, test_open_short_hello);
    tcase_add_test(tc, test_dummy_handle);
    tcase_add_test(tc, test_hv_start);
    suite_add_tcase(s, tc);

    tc = tcase_create("requests");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_xc_version);
    tcase_add_test(tc, test_domain_create);
    tcase_add_test(tc, test_name_valid);
    tcase_add_test(tc, test_build_pvh);
    tcase_add_test(tc, test_simple_ops);
    tcase_add_test(tc, test_getinfo);
    tcase_add_test(tc, test_getinfo_malformed);
    tcase_add_test(tc, test_getinfo_chunks);
    tcase_add_test(tc, test_lookup);
    tcase_add_test(tc, test_get_config);
    tcase_add_test(tc, test_console_requests);
    suite_add_tcase(s, tc);

    tc = tcase_create("events");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_events_interleaved);
    tcase_add_test(tc, test_event_queue_overflow);
    tcase_add_test(tc, test_events_malformed);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);

    tc = tcase_create("broken-streams");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_unexpected_fds);
    tcase_add_test(tc, test_reply_bad_magic);
    tcase_add_test(tc, test_reply_wrong_seq);
    tcase_add_test(tc, test_reply_wrong_type);
    tcase_add_test(tc, test_reply_both_flags);
    tcase_add_test(tc, test_stray_reply);
    tcase_add_test(tc, test_server_closes_mid_request);
    tcase_add_test(tc, test_server_gone_before_request);
    tcase_add_test(tc, test_reply_timeout);
    suite_add_tcase(s, tc);

    tc = tcase_create("list-format");
    tcase_add_test(tc, test_list_format);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ctrl_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
