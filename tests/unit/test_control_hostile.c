/* test_control_hostile.c: a real lamina-hv against hostile control-socket clients. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lamina/ctl-wire.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/sched.h>
#include <xen/xen.h>

#include "bzimage_writer.h"
#include "elf_writer.h"

/*
 * One lamina-hv of our own (LAMINA_RUNDIR and LAMINA_LOGDIR in a temporary
 * directory) serves the run; each test forks from main (Check's fork mode),
 * talks to it over fresh connections and leaves no domain behind.  Tests
 * that may cost the hypervisor its life (a deadlock, a crash) start a
 * private one.  Well-formed requests use ctl-wire's framing; malformed ones
 * are built by hand and sent with raw sendmsg().  No reply within
 * REPLY_TIMEOUT_MS fails a test; the denial-of-service tests give a request
 * the hypervisor can answer at once STALL_MS.  The last test checks that
 * the hypervisor is alive, answers, holds no more descriptors than after
 * the warm-up and left no sanitizer report.
 */

#ifndef LAMINA_HV_PROGRAM
#error "LAMINA_HV_PROGRAM must name the lamina-hv binary to test"
#endif

#define REPLY_TIMEOUT_MS    3000
#define STALL_MS            1000
#define HDR_SIZE            sizeof(struct lamina_ctl_hdr)

/* The hypervisor the current test talks to (tests that may kill it start their own). */
static struct {
    char dir[128];
    char rundir[160];
    char logdir[160];
    char sock[192];
    char log[400];
    pid_t pid;
} hv;

/* The run's temporary directory: the shared instance's, with the private ones below it. */
static char top_dir[64];

/* ---- the hypervisor process ---- */

static unsigned int hv_fd_count(void)
{
    char path[64];
    unsigned int n = 0;
    struct dirent *e;
    DIR *d;

    snprintf(path, sizeof(path), "/proc/%d/fd", (int)hv.pid);
    d = opendir(path);
    if (!d)
        return 0;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static bool hv_alive(void)
{
    char path[64], buf[256];
    FILE *f;
    char *p;
    bool alive = false;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)hv.pid);
    f = fopen(path, "re");
    if (!f)
        return false;
    if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ')
        alive = p[2] != 'Z' && p[2] != 'X';
    fclose(f);
    return alive;
}

static int read_pid(const char *rundir, pid_t *pid)
{
    char pidfile[PATH_MAX + 16];
    FILE *f;
    int n;

    snprintf(pidfile, sizeof(pidfile), "%s/lamina-hv.pid", rundir);
    f = fopen(pidfile, "re");
    if (!f)
        return -ENOENT;
    if (fscanf(f, "%d", &n) != 1)
        n = 0;
    fclose(f);
    *pid = n;
    return n > 0 ? 0 : -EINVAL;
}

/* Start a lamina-hv with its run and log directories under dir. */
static int hv_start(const char *dir)
{
    char asan[512];
    const char *old = getenv("ASAN_OPTIONS");
    int status;
    pid_t child;

    snprintf(hv.dir, sizeof(hv.dir), "%s", dir);
    snprintf(hv.rundir, sizeof(hv.rundir), "%s/run", hv.dir);
    snprintf(hv.logdir, sizeof(hv.logdir), "%s/log", hv.dir);
    snprintf(hv.sock, sizeof(hv.sock), "%s/hv.sock", hv.rundir);
    snprintf(hv.log, sizeof(hv.log), "%s/lamina-hv.log", hv.logdir);
    setenv("LAMINA_RUNDIR", hv.rundir, 1);
    setenv("LAMINA_LOGDIR", hv.logdir, 1);
    /* The daemon's stderr is /dev/null: sanitizer reports go to files we can look for. */
    snprintf(asan, sizeof(asan), "%s%slog_path=%s/asan", old ? old : "", old ? ":" : "",
             hv.dir);
    child = fork();
    if (child < 0)
        return -errno;
    if (child == 0) {
        setenv("ASAN_OPTIONS", asan, 1);
        setenv("UBSAN_OPTIONS", asan + (old ? strlen(old) + 1 : 0), 1);
        execl(LAMINA_HV_PROGRAM, "lamina-hv", (char *)NULL);
        _exit(127);
    }
    if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -ECHILD;
    return read_pid(hv.rundir, &hv.pid);
}

/* SIGTERM, then SIGKILL after grace_ms if it is still there (a stalled main loop). */
static void hv_stop(int grace_ms)
{
    if (hv.pid > 0 && hv_alive()) {
        kill(hv.pid, SIGTERM);
        for (int i = 0; i < grace_ms / 20 && hv_alive(); i++)
            usleep(20 * 1000);
        if (hv_alive()) {
            fprintf(stderr, "lamina-hv (pid %d) ignored SIGTERM; killing it\n", (int)hv.pid);
            kill(hv.pid, SIGKILL);
        }
    }
}

/*
 * For a test that may cost the hypervisor its life: a private instance in
 * top_dir/<name>, which replaces the shared one in this test's process.
 * Whatever a failed test leaves running, main() stops at the end.
 */
static void use_private_hv(const char *name)
{
    char dir[128];
    int rc;

    snprintf(dir, sizeof(dir), "%s/%s", top_dir, name);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    rc = hv_start(dir);
    ck_assert_msg(rc == 0, "cannot start a private lamina-hv: %s", strerror(-rc));
}

static void stop_private_instances(void)
{
    DIR *d = opendir(top_dir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d))) {
        char rundir[400];

        if (e->d_name[0] == '.' || !strcmp(e->d_name, "run") || !strcmp(e->d_name, "log"))
            continue;
        snprintf(rundir, sizeof(rundir), "%s/%s/run", top_dir, e->d_name);
        snprintf(hv.log, sizeof(hv.log), "%s/%s/log/lamina-hv.log", top_dir, e->d_name);
        if (read_pid(rundir, &hv.pid) == 0)
            hv_stop(500);
    }
    closedir(d);
}

/* The end of the hypervisor's log, for a failed run. */
static void dump_log(void)
{
    enum { KEEP = 40 };
    static char lines[KEEP][256];
    unsigned int n = 0;
    FILE *f = fopen(hv.log, "re");

    if (!f)
        return;
    while (fgets(lines[n % KEEP], sizeof(lines[0]), f))
        n++;
    fclose(f);
    fprintf(stderr, "--- last lines of %s\n", hv.log);
    for (unsigned int i = n > KEEP ? n - KEEP : 0; i < n; i++)
        fputs(lines[i % KEEP], stderr);
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    char sub[PATH_MAX];

    if (!d) {
        unlink(path);
        return;
    }
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        remove_tree(sub);
    }
    closedir(d);
    rmdir(path);
}

/* ---- talking to it ---- */

static int hv_connect(void)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(s, 0);
    ck_assert_uint_lt(strlen(hv.sock), sizeof(addr.sun_path));
    memcpy(addr.sun_path, hv.sock, strlen(hv.sock) + 1);
    ck_assert_msg(connect(s, (struct sockaddr *)&addr, sizeof(addr)) == 0, "connect %s: %s",
                  hv.sock, strerror(errno));
    return s;
}

static bool wait_readable(int s, int timeout_ms)
{
    struct pollfd p = { .fd = s, .events = POLLIN };

    return poll(&p, 1, timeout_ms) == 1;
}

/* Receive the next reply (events are skipped); false on timeout or a closed socket. */
static bool recv_reply(int s, struct lamina_ctl_msg *m, int timeout_ms)
{
    for (;;) {
        int rc;

        if (!wait_readable(s, timeout_ms))
            return false;
        rc = lamina_ctl_recv(s, m, 0);
        ck_assert_msg(rc >= 0, "receiving a reply: %s", strerror(-rc));
        if (rc == 0)
            return false;
        if (m->hdr.flags & LAMINA_CTL_F_EVENT) {
            lamina_ctl_msg_release(m);
            continue;
        }
        ck_assert_msg(m->hdr.flags == LAMINA_CTL_F_REPLY, "reply flags %#x", m->hdr.flags);
        return true;
    }
}

static uint32_t next_seq = 1;

/*
 * Send a well-formed request and wait for its reply (released by the
 * caller).  Returns the reply's status.
 */
static int request_at(int s, uint16_t type, const void *payload, uint32_t len, const int *fds,
                      unsigned int nfds, struct lamina_ctl_msg *reply, int line)
{
    struct lamina_ctl_hdr h;
    uint32_t seq = next_seq++;
    int rc;

    lamina_ctl_hdr_init(&h, type, seq, len, 0);
    rc = lamina_ctl_send(s, &h, payload, fds, nfds, 0);
    ck_assert_msg(rc == 0, "line %d: sending op %u: %s", line, type, strerror(-rc));
    ck_assert_msg(recv_reply(s, reply, REPLY_TIMEOUT_MS),
                  "line %d: no reply to op %u within %d ms (hypervisor stalled or gone)", line,
                  type, REPLY_TIMEOUT_MS);
    ck_assert_msg(reply->hdr.type == type && reply->hdr.seq == seq,
                  "line %d: reply type %u seq %u to op %u seq %u", line, reply->hdr.type,
                  reply->hdr.seq, type, seq);
    return reply->hdr.status;
}

#define request(s, type, payload, len, fds, nfds, reply) \
    request_at(s, type, payload, len, fds, nfds, reply, __LINE__)

/* A request expected to fail with `status` and a message containing `what`. */
static void expect_error_at(int s, uint16_t type, const void *payload, uint32_t len,
                            const int *fds, unsigned int nfds, int status, const char *what,
                            int line)
{
    struct lamina_ctl_msg m;
    int rc = request_at(s, type, payload, len, fds, nfds, &m, line);

    ck_assert_msg(rc == status, "line %d: op %u: status %d (%s), expected %d (%s): %.*s", line,
                  type, rc, strerror(-rc), status, strerror(-status), (int)m.hdr.len,
                  m.payload ? (char *)m.payload : "");
    ck_assert_msg(m.hdr.len > 1 && m.payload[m.hdr.len - 1] == '\0' &&
                  strlen((char *)m.payload) == m.hdr.len - 1,
                  "line %d: error reply without a terminated message", line);
    if (what)
        ck_assert_msg(strstr((char *)m.payload, what), "line %d: message '%s' lacks '%s'", line,
                      (char *)m.payload, what);
    lamina_ctl_msg_release(&m);
}

#define expect_error(s, type, payload, len, fds, nfds, status, what) \
    expect_error_at(s, type, payload, len, fds, nfds, status, what, __LINE__)

/* A request expected to succeed; its payload (at most outlen bytes) goes to out. */
static void expect_ok_at(int s, uint16_t type, const void *payload, uint32_t len, const int *fds,
                         unsigned int nfds, void *out, size_t outlen, int line)
{
    struct lamina_ctl_msg m;
    int rc = request_at(s, type, payload, len, fds, nfds, &m, line);

    ck_assert_msg(rc == 0, "line %d: op %u failed: %s: %.*s", line, type, strerror(-rc),
                  (int)m.hdr.len, m.payload ? (char *)m.payload : "");
    if (out) {
        ck_assert_msg(m.hdr.len >= outlen, "line %d: reply of %u bytes, expected %zu", line,
                      m.hdr.len, outlen);
        memcpy(out, m.payload, outlen);
    }
    lamina_ctl_msg_release(&m);
}

#define expect_ok(s, type, payload, len, fds, nfds, out, outlen) \
    expect_ok_at(s, type, payload, len, fds, nfds, out, outlen, __LINE__)

static void hello(int s)
{
    struct lamina_ctl_hello req = { .version = LAMINA_CTL_VERSION };
    struct lamina_ctl_hello_reply rep;

    snprintf(req.client, sizeof(req.client), "test_control_hostile");
    expect_ok(s, LAMINA_CTL_OP_HELLO, &req, sizeof(req), NULL, 0, &rep, sizeof(rep));
    ck_assert_uint_eq(rep.version, LAMINA_CTL_VERSION);
}

static int client(void)
{
    int s = hv_connect();

    hello(s);
    return s;
}

/* Send raw bytes as one packet, with descriptors. */
static void raw_send(int s, const void *buf, size_t len, const int *fds, unsigned int nfds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * 16)];
        struct cmsghdr align;
    } control;
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n;

    ck_assert_uint_le(nfds, 16);
    if (nfds) {
        struct cmsghdr *cm;

        memset(&control, 0, sizeof(control));
        mh.msg_control = control.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
    }
    n = sendmsg(s, &mh, MSG_NOSIGNAL);
    ck_assert_msg(n == (ssize_t)len, "raw send of %zu bytes: %zd (%s)", len, n, strerror(errno));
}

/* The reply to a packet the hypervisor could not frame: type 0, seq 0, -EPROTO. */
static void expect_malformed_at(int s, int line)
{
    struct lamina_ctl_msg m;

    ck_assert_msg(recv_reply(s, &m, REPLY_TIMEOUT_MS), "line %d: no reply to a malformed packet",
                  line);
    ck_assert_msg(m.hdr.type == 0 && m.hdr.seq == 0 && m.hdr.status == -EPROTO,
                  "line %d: reply type %u seq %u status %d", line, m.hdr.type, m.hdr.seq,
                  m.hdr.status);
    lamina_ctl_msg_release(&m);
}

#define expect_malformed(s) expect_malformed_at(s, __LINE__)

/* The connection still works: a plain request gets its answer. */
static void still_serving(int s)
{
    struct lamina_ctl_xen_version_reply v;

    expect_ok(s, LAMINA_CTL_OP_XEN_VERSION, NULL, 0, NULL, 0, &v, sizeof(v));
    ck_assert_uint_eq(v.major, 4);
}

static uint8_t *hdr_packet(uint16_t type, uint32_t seq, uint32_t len, uint16_t flags,
                           size_t payload_len)
{
    uint8_t *p = calloc(1, HDR_SIZE + payload_len);
    struct lamina_ctl_hdr h;

    ck_assert_ptr_nonnull(p);
    lamina_ctl_hdr_init(&h, type, seq, len, flags);
    memcpy(p, &h, sizeof(h));
    return p;
}

/*
 * The descriptor count once what earlier tests closed has been released
 * (connections are reaped and domains freed asynchronously): the same
 * count for 100 ms.
 */
static unsigned int quiet_fd_count(void)
{
    unsigned int n = hv_fd_count(), same = 0;

    for (int i = 0; i < 80 && same < 4; i++) {
        unsigned int prev = n;

        usleep(25 * 1000);
        n = hv_fd_count();
        same = n == prev ? same + 1 : 0;
    }
    return n;
}

/* Wait (a little) for the hypervisor's descriptor count to come back to `want`. */
static unsigned int settle_fds(unsigned int want)
{
    unsigned int n = hv_fd_count();

    for (int i = 0; i < 30 && n != want; i++) {
        usleep(100 * 1000);
        n = hv_fd_count();
    }
    return n;
}

/* ---- domains ---- */

static uint32_t create_domain_cfg(int s, const char *name, uint64_t mem_mb, const void *cfg,
                                  uint32_t cfg_len)
{
    size_t len = sizeof(struct lamina_ctl_domain_create) + cfg_len;
    struct lamina_ctl_domain_create *req = calloc(1, len);
    struct lamina_ctl_domid rep;

    ck_assert_ptr_nonnull(req);
    snprintf(req->name, sizeof(req->name), "%s", name);
    req->memory_kb = req->maxmem_kb = mem_mb * 1024;
    req->max_vcpus = 1;
    req->config_len = cfg_len;
    if (cfg_len)
        memcpy(req + 1, cfg, cfg_len);
    expect_ok(s, LAMINA_CTL_OP_DOMAIN_CREATE, req, (uint32_t)len, NULL, 0, &rep, sizeof(rep));
    free(req);
    return rep.domid;
}

static uint32_t create_domain(int s, const char *name, uint64_t mem_mb)
{
    return create_domain_cfg(s, name, mem_mb, NULL, 0);
}

static void destroy_domain(int s, uint32_t domid)
{
    struct lamina_ctl_domid req = { domid, 0 };

    expect_ok(s, LAMINA_CTL_OP_DOMAIN_DESTROY, &req, sizeof(req), NULL, 0, NULL, 0);
}

static int memfd_with(const void *data, size_t len)
{
    int fd = memfd_create("hostile-kernel", MFD_CLOEXEC);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    return fd;
}

static int good_kernel_fd(void)
{
    size_t size;
    uint8_t *img = elfw_pvh_kernel(ELFCLASS64, ELFW_KERNEL_PADDR, true, &size);
    int fd = memfd_with(img, size);

    free(img);
    return fd;
}

/* A build request's payload: header then cmdline_len bytes of command line. */
static uint8_t *build_payload(uint32_t domid, const char *cmdline, uint32_t cmdline_len,
                              uint32_t *len)
{
    struct lamina_ctl_domain_build_pvh req = { domid, cmdline_len };
    uint8_t *p = calloc(1, sizeof(req) + cmdline_len + 1);

    ck_assert_ptr_nonnull(p);
    memcpy(p, &req, sizeof(req));
    memcpy(p + sizeof(req), cmdline, cmdline_len);
    *len = (uint32_t)(sizeof(req) + cmdline_len);
    return p;
}

static void build_domain(int s, uint32_t domid, struct lamina_ctl_domain_build_reply *rep)
{
    uint32_t len;
    uint8_t *p = build_payload(domid, "", 1, &len);
    int fd = good_kernel_fd();

    expect_ok(s, LAMINA_CTL_OP_DOMAIN_BUILD_PVH, p, len, &fd, 1, rep, sizeof(*rep));
    close(fd);
    free(p);
}

static uint32_t count_domains(int s)
{
    struct lamina_ctl_getinfo req = { 0, 1000 };
    struct lamina_ctl_getinfo_reply rep;

    expect_ok(s, LAMINA_CTL_OP_DOMAIN_GETINFO, &req, sizeof(req), NULL, 0, &rep, sizeof(rep));
    return rep.count;
}

static uint32_t domain_flags(int s, uint32_t domid)
{
    struct lamina_ctl_getinfo req = { domid, 1 };
    struct lamina_ctl_msg m;
    struct lamina_ctl_dominfo info;

    ck_assert_int_eq(request(s, LAMINA_CTL_OP_DOMAIN_GETINFO, &req, sizeof(req), NULL, 0, &m), 0);
    ck_assert_uint_eq(m.hdr.len, sizeof(struct lamina_ctl_getinfo_reply) + sizeof(info));
    memcpy(&info, m.payload + sizeof(struct lamina_ctl_getinfo_reply), sizeof(info));
    lamina_ctl_msg_release(&m);
    ck_assert_uint_eq(info.domid, domid);
    return info.flags;
}

/*
 * The first test warms the hypervisor up (a domain built and destroyed) and
 * records its steady descriptor count for the last one, in a file: each
 * test runs in a process of its own.
 */
static void base_fds_path(char *buf, size_t size)
{
    snprintf(buf, size, "%s/base-fds", hv.dir);
}

START_TEST(warm_up)
{
    int s = client();
    struct lamina_ctl_domain_build_reply rep;
    uint32_t domid = create_domain(s, "hostile-warmup", 16);
    char path[PATH_MAX];
    FILE *f;

    build_domain(s, domid, &rep);
    destroy_domain(s, domid);
    close(s);
    usleep(200 * 1000);
    base_fds_path(path, sizeof(path));
    f = fopen(path, "we");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%u\n", quiet_fd_count());
    ck_assert_int_eq(fclose(f), 0);
}
END_TEST

/* ---- framing ---- */

START_TEST(bad_framing)
{
    int s = client();
    int pfd[2];
    uint8_t *p;
    struct lamina_ctl_hdr h;

    /* Wrong magic, wrong version. */
    p = hdr_packet(LAMINA_CTL_OP_XEN_VERSION, 77, 0, 0, 0);
    memcpy(&h, p, sizeof(h));
    h.magic = 0x12345678;
    raw_send(s, &h, sizeof(h), NULL, 0);
    expect_malformed(s);
    h.magic = LAMINA_CTL_MAGIC;
    h.version = LAMINA_CTL_VERSION + 1;
    raw_send(s, &h, sizeof(h), NULL, 0);
    expect_malformed(s);
    h.version = 0;
    raw_send(s, &h, sizeof(h), NULL, 0);
    expect_malformed(s);
    free(p);

    /* Headers cut short. */
    p = hdr_packet(LAMINA_CTL_OP_XEN_VERSION, 78, 0, 0, 0);
    for (size_t n = 1; n < HDR_SIZE; n += 5) {
        raw_send(s, p, n, NULL, 0);
        expect_malformed(s);
    }
    free(p);

    /* len disagreeing with the payload, both ways. */
    p = hdr_packet(LAMINA_CTL_OP_DOMAIN_GETINFO, 79, 100, 0, 50);
    raw_send(s, p, HDR_SIZE + 50, NULL, 0);
    expect_malformed(s);
    free(p);
    p = hdr_packet(LAMINA_CTL_OP_DOMAIN_GETINFO, 80, 4, 0, 8);
    raw_send(s, p, HDR_SIZE + 8, NULL, 0);
    expect_malformed(s);
    free(p);
    p = hdr_packet(LAMINA_CTL_OP_DOMAIN_GETINFO, 81, UINT32_MAX, 0, 8);
    raw_send(s, p, HDR_SIZE + 8, NULL, 0);
    expect_malformed(s);
    free(p);

    /* nfds disagreeing with the descriptors sent, both ways. */
    ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
    p = hdr_packet(LAMINA_CTL_OP_XEN_VERSION, 82, 0, 0, 0);
    memcpy(&h, p, sizeof(h));
    h.nfds = 1;
    raw_send(s, &h, sizeof(h), NULL, 0);
    expect_malformed(s);
    h.nfds = 0;
    raw_send(s, &h, sizeof(h), pfd, 1);
    expect_malformed(s);
    h.nfds = 3;
    raw_send(s, &h, sizeof(h), pfd, 2);
    expect_malformed(s);
    free(p);
    close(pfd[0]);
    close(pfd[1]);

    still_serving(s);
    close(s);
}
END_TEST

START_TEST(empty_packet)
{
    int s = client(), other = client();

    /* A zero-length packet reads like end-of-file: the server may hang up on this client. */
    raw_send(s, "", 0, NULL, 0);
    wait_readable(s, REPLY_TIMEOUT_MS);
    still_serving(other);
    close(s);
    close(other);
}
END_TEST

/*
 * The same with descriptors attached: whatever the server makes of an
 * empty packet, the descriptors that came with it must not stay open in
 * lamina-hv (a client could repeat this until the hypervisor runs out).
 * Private hypervisor, so that what it keeps is counted here only.
 */
START_TEST(empty_packets_with_fds)
{
    unsigned int before, after;
    int fds[4];

    use_private_hv("empty-fds");
    before = quiet_fd_count();

    for (int i = 0; i < 4; i++)
        fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    for (int i = 0; i < 25; i++) {
        int s = client();

        raw_send(s, "", 0, fds, 4);
        wait_readable(s, REPLY_TIMEOUT_MS);
        close(s);
    }
    for (int i = 0; i < 4; i++)
        close(fds[i]);
    after = settle_fds(before);
    hv_stop(500);
    ck_assert_msg(after == before, "lamina-hv kept %d descriptors that came with 25 empty "
                  "packets (%u before, %u after)", (int)(after - before), before, after);
}
END_TEST

START_TEST(oversize_packets)
{
    int s = client();
    int big = 1 << 20;
    size_t sizes[] = { HDR_SIZE + LAMINA_CTL_MAX_PAYLOAD + 1, HDR_SIZE + 128 * 1024 };
    uint8_t *p;

    ck_assert_int_eq(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big)), 0);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t payload = sizes[i] - HDR_SIZE;

        p = hdr_packet(LAMINA_CTL_OP_DOMAIN_GET_CONFIG, 90, (uint32_t)payload, 0, payload);
        raw_send(s, p, sizes[i], NULL, 0);
        expect_malformed(s);
        free(p);
    }
    /* Exactly the maximum is a packet like any other (with the wrong size for its op). */
    p = hdr_packet(LAMINA_CTL_OP_DOMAIN_GET_CONFIG, 91, LAMINA_CTL_MAX_PAYLOAD, 0,
                   LAMINA_CTL_MAX_PAYLOAD);
    raw_send(s, p, HDR_SIZE + LAMINA_CTL_MAX_PAYLOAD, NULL, 0);
    {
        struct lamina_ctl_msg m;

        ck_assert(recv_reply(s, &m, REPLY_TIMEOUT_MS));
        ck_assert_uint_eq(m.hdr.seq, 91);
        ck_assert_int_eq(m.hdr.status, -EINVAL);
        lamina_ctl_msg_release(&m);
    }
    free(p);
    still_serving(s);
    close(s);
}
END_TEST

START_TEST(too_many_fds)
{
    int s = client();
    int fds[8];
    unsigned int before;
    struct lamina_ctl_hdr h;

    for (int i = 0; i < 8; i++) {
        fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        ck_assert_int_ge(fds[i], 0);
    }
    before = quiet_fd_count();
    lamina_ctl_hdr_init(&h, LAMINA_CTL_OP_XEN_VERSION, 5, 0, 0);
    for (int round = 0; round < 20; round++) {
        h.nfds = 5;
        raw_send(s, &h, sizeof(h), fds, 5);
        expect_malformed(s);
        h.nfds = 8;
        raw_send(s, &h, sizeof(h), fds, 8);
        expect_malformed(s);
    }
    ck_assert_uint_eq(settle_fds(before), before);
    for (int i = 0; i < 8; i++)
        close(fds[i]);
    still_serving(s);
    close(s);
}
END_TEST

START_TEST(fds_on_requests_without_fds)
{
    int s = client();
    int pfd[2];
    unsigned int before;
    struct lamina_ctl_getinfo gi = { 0, 1 };
    struct lamina_ctl_domid dom = { 0, 0 };

    ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
    before = quiet_fd_count();
    for (int i = 0; i < 1000; i++) {
        switch (i % 4) {
        case 0:
            expect_error(s, LAMINA_CTL_OP_XEN_VERSION, NULL, 0, pfd, 1, -EINVAL, NULL);
            break;
        case 1:
            expect_error(s, LAMINA_CTL_OP_DOMAIN_GETINFO, &gi, sizeof(gi), pfd, 2, -EINVAL,
                         NULL);
            break;
        case 2:
            expect_error(s, LAMINA_CTL_OP_EVTCHN_UNBIND, &dom, sizeof(dom), pfd, 1, -EINVAL,
                         NULL);
            break;
        default:
            expect_error(s, LAMINA_CTL_OP_DOMAIN_PAUSE, &dom, sizeof(dom), pfd, 2, -EINVAL,
                         NULL);
            break;
        }
    }
    ck_assert_uint_eq(settle_fds(before), before);
    close(pfd[0]);
    close(pfd[1]);
    close(s);
}
END_TEST

START_TEST(requests_before_hello)
{
    int s = hv_connect();
    struct lamina_ctl_getinfo gi = { 0, 1 };
    struct lamina_ctl_hello h = { .version = LAMINA_CTL_VERSION + 7 };

    expect_error(s, LAMINA_CTL_OP_XEN_VERSION, NULL, 0, NULL, 0, -EPROTO, "HELLO");
    expect_error(s, LAMINA_CTL_OP_DOMAIN_GETINFO, &gi, sizeof(gi), NULL, 0, -EPROTO, "HELLO");
    expect_error(s, LAMINA_CTL_OP_EVTCHN_OPEN, NULL, 0, NULL, 0, -EPROTO, "HELLO");
    /* A refused HELLO does not count. */
    expect_error(s, LAMINA_CTL_OP_HELLO, &h, sizeof(h), NULL, 0, -EPROTONOSUPPORT, "version");
    expect_error(s, LAMINA_CTL_OP_HELLO, &h, sizeof(h) - 1, NULL, 0, -EINVAL, NULL);
    expect_error(s, LAMINA_CTL_OP_XEN_VERSION, NULL, 0, NULL, 0, -EPROTO, "HELLO");
    /* A client name without its NUL is fine. */
    h.version = LAMINA_CTL_VERSION;
    memset(h.client, 'c', sizeof(h.client));
    expect_ok(s, LAMINA_CTL_OP_HELLO, &h, sizeof(h), NULL, 0, NULL, 0);
    still_serving(s);
    close(s);
}
END_TEST

START_TEST(unknown_operations)
{
    static const uint16_t ops[] = {
        0, LAMINA_CTL_OP_MAX, LAMINA_CTL_OP_MAX + 1, 100, LAMINA_CTL_EV_DOMAIN,
        LAMINA_CTL_EV_CONSOLE, 0x7fff, 0xffff,
    };
    int s = client();

    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        expect_error(s, ops[i], "xyz", 3, NULL, 0, -EOPNOTSUPP, "unknown operation");
    still_serving(s);
    close(s);
}
END_TEST

START_TEST(reply_flags_on_requests)
{
    int s = client();
    uint16_t flags[] = { LAMINA_CTL_F_REPLY, LAMINA_CTL_F_EVENT, 0x8000, 0xffff };

    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        struct lamina_ctl_hdr h;
        struct lamina_ctl_msg m;

        lamina_ctl_hdr_init(&h, LAMINA_CTL_OP_XEN_VERSION, 500 + (uint32_t)i, 0, flags[i]);
        ck_assert_int_eq(lamina_ctl_send(s, &h, NULL, NULL, 0, 0), 0);
        ck_assert(recv_reply(s, &m, REPLY_TIMEOUT_MS));
        ck_assert_uint_eq(m.hdr.seq, 500 + i);
        ck_assert_int_eq(m.hdr.status, -EINVAL);
        lamina_ctl_msg_release(&m);
    }
    {
        struct lamina_ctl_hdr h;
        struct lamina_ctl_msg m;

        lamina_ctl_hdr_init(&h, LAMINA_CTL_OP_XEN_VERSION, 600, 0, 0);
        h.status = -1;
        ck_assert_int_eq(lamina_ctl_send(s, &h, NULL, NULL, 0, 0), 0);
        ck_assert(recv_reply(s, &m, REPLY_TIMEOUT_MS));
        ck_assert_int_eq(m.hdr.status, -EINVAL);
        lamina_ctl_msg_release(&m);
    }
    still_serving(s);
    close(s);
}
END_TEST

/* ---- domain life cycle ---- */

static void create_expect(int s, const struct lamina_ctl_domain_create *req, size_t len,
                          int status, int line)
{
    expect_error_at(s, LAMINA_CTL_OP_DOMAIN_CREATE, req, (uint32_t)len, NULL, 0, status, NULL,
                    line);
}

START_TEST(create_hostile)
{
    int s = client();
    uint32_t before = count_domains(s), domid;
    struct lamina_ctl_domain_create base = { .max_vcpus = 1 }, r;
    uint8_t buf[sizeof(base) + 64];
    static const char *bad_names[] = { "", "123", "a/b", "../etc", "a b", "x\n", "caf\xc3\xa9" };
    static const uint64_t bad_mem_kb[] = {
        0, 1, 2047, 64ull * 1024 * 1024 + 4, UINT64_MAX, UINT64_MAX - 1023,
    };
    static const uint32_t bad_vcpus[] = { 0, 129, 100000, UINT32_MAX };
    int pfd[2];

    snprintf(base.name, sizeof(base.name), "hostile-create");
    base.memory_kb = base.maxmem_kb = 16 * 1024;

    /* Name without a terminating NUL. */
    r = base;
    memset(r.name, 'a', sizeof(r.name));
    create_expect(s, &r, sizeof(r), -EINVAL, __LINE__);
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        r = base;
        snprintf(r.name, sizeof(r.name), "%s", bad_names[i]);
        create_expect(s, &r, sizeof(r), -EINVAL, __LINE__);
    }
    /* config_len against the payload. */
    r = base;
    r.config_len = 10;
    create_expect(s, &r, sizeof(r), -EINVAL, __LINE__);
    memcpy(buf, &r, sizeof(r));
    r.config_len = 5;
    memcpy(buf, &r, sizeof(r));
    create_expect(s, (void *)buf, sizeof(r) + 10, -EINVAL, __LINE__);
    r.config_len = UINT32_MAX;
    memcpy(buf, &r, sizeof(r));
    create_expect(s, (void *)buf, sizeof(r) + 10, -EINVAL, __LINE__);
    create_expect(s, &base, sizeof(base) - 1, -EINVAL, __LINE__);
    create_expect(s, &base, 3, -EINVAL, __LINE__);
    /* Memory, vCPUs, actions, flags. */
    for (size_t i = 0; i < sizeof(bad_mem_kb) / sizeof(bad_mem_kb[0]); i++) {
        r = base;
        r.memory_kb = r.maxmem_kb = bad_mem_kb[i];
        create_expect(s, &r, sizeof(r), -EINVAL, __LINE__);
    }
    r = base;
    r.maxmem_kb = r.memory_kb - 4;
    create_expect(s, &r, sizeof(r), -EINVAL, __LINE__);
    for (size_t i = 0; i < sizeof(bad_vcpus) / sizeof(bad_vcpus[0]); i++) {
        r = base;
        r.max_vcpus = bad_vcpus[i];
        create_expect(s, &r, sizeof(r), -EINVAL, __LINE__);
    }
    r = base;
    r.on_crash = LAMINA_ACTION_MAX;
    create_expect(s, &r, sizeof(r), -EINVAL, __LINE__);
    r = base;
    r.on_poweroff = 0xff;
    create_expect(s, &r, sizeof(r), -EINVAL, __LINE__);
    r = base;
    r.flags = 1;
    create_expect(s, &r, sizeof(r), -EINVAL, __LINE__);
    /* Descriptors are not expected. */
    ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
    expect_error(s, LAMINA_CTL_OP_DOMAIN_CREATE, &base, sizeof(base), pfd, 1, -EINVAL, NULL);
    close(pfd[0]);
    close(pfd[1]);
    ck_assert_uint_eq(count_domains(s), before);

    /* Duplicates: name (dom0's too) and UUID. */
    domid = create_domain(s, "hostile-create", 16);
    r = base;
    create_expect(s, &r, sizeof(r), -EEXIST, __LINE__);
    snprintf(r.name, sizeof(r.name), "Domain-0");
    create_expect(s, &r, sizeof(r), -EEXIST, __LINE__);
    destroy_domain(s, domid);
    memset(base.uuid, 0x42, sizeof(base.uuid));
    r = base;
    {
        struct lamina_ctl_domid rep;

        expect_ok(s, LAMINA_CTL_OP_DOMAIN_CREATE, &r, sizeof(r), NULL, 0, &rep, sizeof(rep));
        domid = rep.domid;
    }
    snprintf(r.name, sizeof(r.name), "hostile-create2");
    create_expect(s, &r, sizeof(r), -EEXIST, __LINE__);
    destroy_domain(s, domid);
    /* Operations on domain 0 and on domains that do not exist. */
    {
        struct lamina_ctl_domid d0 = { 0, 0 }, none = { 31999, 0 }, huge = { UINT32_MAX, 0 };
        struct lamina_ctl_domain_shutdown sd = { domid, SHUTDOWN_MAX + 1 };

        expect_error(s, LAMINA_CTL_OP_DOMAIN_DESTROY, &d0, sizeof(d0), NULL, 0, -EPERM, NULL);
        expect_error(s, LAMINA_CTL_OP_DOMAIN_PAUSE, &d0, sizeof(d0), NULL, 0, -EPERM, NULL);
        expect_error(s, LAMINA_CTL_OP_DOMAIN_DESTROY, &none, sizeof(none), NULL, 0, -ESRCH, NULL);
        expect_error(s, LAMINA_CTL_OP_DOMAIN_UNPAUSE, &huge, sizeof(huge), NULL, 0, -ESRCH, NULL);
        expect_error(s, LAMINA_CTL_OP_DOMAIN_GET_CONFIG, &huge, sizeof(huge), NULL, 0, -ESRCH,
                     NULL);
        expect_error(s, LAMINA_CTL_OP_DOMAIN_SHUTDOWN, &sd, sizeof(sd), NULL, 0, -EINVAL, NULL);
        sd.reason = 0;
        expect_error(s, LAMINA_CTL_OP_DOMAIN_SHUTDOWN, &sd, sizeof(sd), NULL, 0, -ESRCH, NULL);
        sd.domid = 0;
        expect_error(s, LAMINA_CTL_OP_DOMAIN_SHUTDOWN, &sd, sizeof(sd), NULL, 0, -EPERM, NULL);
    }
    ck_assert_uint_eq(count_domains(s), before);
    close(s);
}
END_TEST

START_TEST(create_largest_domain)
{
    int s = client();
    uint32_t domid;

    /* The largest memory accepted costs nothing until the guest touches it. */
    domid = create_domain(s, "hostile-64g", 64 * 1024);
    destroy_domain(s, domid);
    close(s);
}
END_TEST

static void build_expect_at(int s, uint32_t domid, const char *cmdline, uint32_t cmdline_len,
                            const int *fds, unsigned int nfds, int status, const char *what,
                            int line)
{
    uint32_t len;
    uint8_t *p = build_payload(domid, cmdline, cmdline_len, &len);

    expect_error_at(s, LAMINA_CTL_OP_DOMAIN_BUILD_PVH, p, len, fds, nfds, status, what, line);
    free(p);
}

#define build_expect(s, domid, cmdline, clen, fds, nfds, status, what) \
    build_expect_at(s, domid, cmdline, clen, fds, nfds, status, what, __LINE__)

START_TEST(build_hostile)
{
    unsigned int fds_before = quiet_fd_count();
    int s = client();
    uint32_t domid = create_domain(s, "hostile-build", 32);
    int kernel = good_kernel_fd(), pfd[2], fd, two[3];
    char *longline;
    size_t size;
    uint8_t *img;
    struct lamina_ctl_domain_build_reply rep;
    char path[PATH_MAX];

    /* Request shape. */
    expect_error(s, LAMINA_CTL_OP_DOMAIN_BUILD_PVH, &domid, 4, &kernel, 1, -EINVAL, NULL);
    build_expect(s, domid, "", 1, NULL, 0, -EINVAL, NULL);
    two[0] = two[1] = two[2] = kernel;
    build_expect(s, domid, "", 1, two, 3, -EINVAL, NULL);
    /* Command lines: no NUL, an embedded NUL, empty, too long. */
    build_expect(s, domid, "console=hvc0", 12, &kernel, 1, -EINVAL, "command line");
    build_expect(s, domid, "a\0b", 4, &kernel, 1, -EINVAL, "command line");
    build_expect(s, domid, "", 0, &kernel, 1, -EINVAL, "command line");
    {
        struct lamina_ctl_domain_build_pvh req = { domid, 100 };
        uint8_t buf[sizeof(req) + 10] = { 0 };

        memcpy(buf, &req, sizeof(req));
        expect_error(s, LAMINA_CTL_OP_DOMAIN_BUILD_PVH, buf, sizeof(buf), &kernel, 1, -EINVAL,
                     "command line");
    }
    longline = malloc(5000);
    ck_assert_ptr_nonnull(longline);
    memset(longline, 'x', 5000);
    longline[4999] = '\0';
    build_expect(s, domid, longline, 5000, &kernel, 1, -E2BIG, "command line");
    longline[4096] = '\0';
    build_expect(s, domid, longline, 4097, &kernel, 1, -E2BIG, "command line");
    free(longline);

    /* Kernels that are not regular files. */
    ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
    build_expect(s, domid, "", 1, &pfd[0], 1, -EINVAL, "regular file");
    build_expect(s, domid, "", 1, &pfd[1], 1, -EINVAL, "regular file");
    fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    build_expect(s, domid, "", 1, &fd, 1, -EINVAL, "regular file");
    close(fd);
    fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    build_expect(s, domid, "", 1, &fd, 1, -EINVAL, "regular file");
    close(fd);
    fd = eventfd(0, EFD_CLOEXEC);
    build_expect(s, domid, "", 1, &fd, 1, -EINVAL, "regular file");
    close(fd);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    build_expect(s, domid, "", 1, &fd, 1, -EINVAL, "regular file");
    close(fd);
    /* Regular files that are not kernels. */
    fd = memfd_with("", 0);
    build_expect(s, domid, "", 1, &fd, 1, -EINVAL, "empty");
    close(fd);
    fd = memfd_with("#!/bin/sh\necho not a kernel\n", 28);
    build_expect(s, domid, "", 1, &fd, 1, -ENOEXEC, "not an ELF");
    close(fd);
    img = elfw_pvh_kernel(ELFCLASS64, ELFW_KERNEL_PADDR, true, &size);
    fd = memfd_with(img, 40);
    build_expect(s, domid, "", 1, &fd, 1, -ENOEXEC, "truncated");
    close(fd);
    fd = memfd_with(img, size - 8);
    build_expect(s, domid, "", 1, &fd, 1, -ENOEXEC, NULL);
    close(fd);
    free(img);
    img = elfw_pvh_kernel(ELFCLASS64, 0, false, &size);
    fd = memfd_with(img, size);
    build_expect(s, domid, "", 1, &fd, 1, -ENOEXEC, "PVH");
    close(fd);
    free(img);
    img = elfw_pvh_kernel(ELFCLASS64, 0x800000, true, &size);
    fd = memfd_with(img, size);
    build_expect(s, domid, "", 1, &fd, 1, -ENOEXEC, "outside");
    close(fd);
    free(img);
    /* bzImages whose payload is damaged, or not a kernel. */
    img = elfw_pvh_kernel(ELFCLASS64, ELFW_KERNEL_PADDR, true, &size);
    {
        size_t bsize;
        uint8_t *bz = bzw_wrap(BZW_XZ, img, size, &bsize);

        fd = memfd_with(bz, bsize - 9);
        build_expect(s, domid, "", 1, &fd, 1, -ENOEXEC, "outside");
        close(fd);
        elfw_set32(bz, BZW_PAYLOAD_LENGTH, (uint32_t)(bsize - 1024 - 9));
        fd = memfd_with(bz, bsize - 9);
        build_expect(s, domid, "", 1, &fd, 1, -ENOEXEC, "corrupt");
        close(fd);
        free(bz);
        bz = bzw_wrap(BZW_GZIP, "#!/bin/sh\n", 10, &bsize);
        fd = memfd_with(bz, bsize);
        build_expect(s, domid, "", 1, &fd, 1, -ENOEXEC, "not an ELF");
        close(fd);
        free(bz);
    }
    free(img);
    /* A kernel placed beyond the domain's RAM. */
    {
        static const uint8_t code[16] = { 0xf4 };
        uint32_t entry = 0x4000000;
        uint8_t notes[64];
        size_t nlen = 0;
        struct elfw w;

        elfw_init(&w, ELFCLASS64);
        elfw_load(&w, entry, elfw_blob(&w, code, sizeof(code)), 0x1000);
        elfw_note(notes, &nlen, "Xen", 18, &entry, sizeof(entry));
        elfw_phdr(&w, PT_NOTE, elfw_blob(&w, notes, nlen));
        img = elfw_build(&w, &size);
        elfw_free(&w);
        fd = memfd_with(img, size);
        build_expect(s, domid, "", 1, &fd, 1, -ENOMEM, "memory");
        close(fd);
        free(img);
    }
    /* A kernel we may not read. */
    snprintf(path, sizeof(path), "%s/wronly", hv.dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    img = elfw_pvh_kernel(ELFCLASS64, ELFW_KERNEL_PADDR, true, &size);
    ck_assert_int_eq(write(fd, img, size), (ssize_t)size);
    free(img);
    build_expect(s, domid, "", 1, &fd, 1, -EBADF, "read");
    close(fd);
    unlink(path);
    /* Ramdisks that are not files, or larger than the domain. */
    two[0] = kernel;
    two[1] = pfd[0];
    build_expect(s, domid, "", 1, two, 2, -EINVAL, "ramdisk");
    fd = memfd_create("big-ramdisk", MFD_CLOEXEC);
    ck_assert_int_eq(ftruncate(fd, 64 << 20), 0);
    two[1] = fd;
    build_expect(s, domid, "", 1, two, 2, -EFBIG, "ramdisk");
    close(fd);
    close(pfd[0]);
    close(pfd[1]);
    /* Domain 0, no domain. */
    build_expect(s, 0, "", 1, &kernel, 1, -EPERM, NULL);
    build_expect(s, 31999, "", 1, &kernel, 1, -ESRCH, NULL);
    build_expect(s, UINT32_MAX, "", 1, &kernel, 1, -ESRCH, NULL);

    /* None of that built anything; now a real build (from a zstd bzImage), then a second one. */
    ck_assert_uint_eq(domain_flags(s, domid) & LAMINA_DOMINF_BUILT, 0);
    {
        uint32_t len;
        uint8_t *p = build_payload(domid, "console=hvc0", 13, &len), *bz;
        size_t bsize;

        img = elfw_pvh_kernel(ELFCLASS64, ELFW_KERNEL_PADDR, true, &size);
        bz = bzw_wrap(BZW_ZSTD, img, size, &bsize);
        fd = memfd_with(bz, bsize);
        expect_ok(s, LAMINA_CTL_OP_DOMAIN_BUILD_PVH, p, len, &fd, 1, &rep, sizeof(rep));
        close(fd);
        free(bz);
        free(img);
        free(p);
    }
    ck_assert_uint_eq(rep.entry, ELFW_KERNEL_PADDR);
    ck_assert_uint_ne(domain_flags(s, domid) & LAMINA_DOMINF_BUILT, 0);
    build_expect(s, domid, "", 1, &kernel, 1, -EEXIST, NULL);
    close(kernel);
    destroy_domain(s, domid);
    close(s);
    ck_assert_uint_eq(settle_fds(fds_before), fds_before);
}
END_TEST

START_TEST(getinfo_hostile)
{
    int s = client();
    uint32_t domid = create_domain(s, "hostile-info", 16);
    struct {
        uint32_t first, max, want;
    } cases[] = {
        { 0, 0, 0 }, { 0, 1, 1 }, { 0, UINT32_MAX, 2 }, { 1, UINT32_MAX, 1 },
        { domid + 1, 100, 0 }, { DOMID_FIRST_RESERVED, 100, 0 }, { UINT32_MAX, UINT32_MAX, 0 },
    };

    expect_error(s, LAMINA_CTL_OP_DOMAIN_GETINFO, cases, 4, NULL, 0, -EINVAL, NULL);
    expect_error(s, LAMINA_CTL_OP_DOMAIN_GETINFO, cases, 12, NULL, 0, -EINVAL, NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lamina_ctl_getinfo req = { cases[i].first, cases[i].max };
        struct lamina_ctl_getinfo_reply rep;
        struct lamina_ctl_msg m;

        ck_assert_int_eq(request(s, LAMINA_CTL_OP_DOMAIN_GETINFO, &req, sizeof(req), NULL, 0, &m),
                         0);
        ck_assert_uint_ge(m.hdr.len, sizeof(rep));
        memcpy(&rep, m.payload, sizeof(rep));
        ck_assert_msg(rep.count == cases[i].want, "case %zu: %u records, expected %u", i,
                      rep.count, cases[i].want);
        ck_assert_uint_eq(m.hdr.len, sizeof(rep) + rep.count * sizeof(struct lamina_ctl_dominfo));
        lamina_ctl_msg_release(&m);
    }
    destroy_domain(s, domid);
    close(s);
}
END_TEST

START_TEST(console_hostile)
{
    int s = client();
    uint32_t dom[8];
    struct lamina_ctl_console_attach a = { 0, 0 };
    struct lamina_ctl_domid d;
    uint8_t in[sizeof(struct lamina_ctl_console_input) + 4];
    struct lamina_ctl_console_input ci = { 0, 4 };

    a.domid = 31999;
    expect_error(s, LAMINA_CTL_OP_CONSOLE_ATTACH, &a, sizeof(a), NULL, 0, -ESRCH, NULL);
    a.domid = 0;
    expect_error(s, LAMINA_CTL_OP_CONSOLE_ATTACH, &a, sizeof(a), NULL, 0, -EPERM, NULL);
    a.domid = UINT32_MAX;
    expect_error(s, LAMINA_CTL_OP_CONSOLE_ATTACH, &a, sizeof(a), NULL, 0, -ESRCH, NULL);
    a.flags = 2;
    expect_error(s, LAMINA_CTL_OP_CONSOLE_ATTACH, &a, sizeof(a), NULL, 0, -EINVAL, NULL);
    a.flags = 0;
    expect_error(s, LAMINA_CTL_OP_CONSOLE_ATTACH, &a, 4, NULL, 0, -EINVAL, NULL);

    for (unsigned int i = 0; i < 8; i++) {
        char name[32];

        snprintf(name, sizeof(name), "hostile-con%u", i);
        dom[i] = create_domain(s, name, 2);
        a.domid = dom[i];
        a.flags = i % 2 ? LAMINA_CONSOLE_F_REPLAY : 0;
        expect_ok(s, LAMINA_CTL_OP_CONSOLE_ATTACH, &a, sizeof(a), NULL, 0, NULL, 0);
    }
    a.domid = dom[3];
    expect_error(s, LAMINA_CTL_OP_CONSOLE_ATTACH, &a, sizeof(a), NULL, 0, -EBUSY, NULL);
    a.domid = 31999;
    expect_error(s, LAMINA_CTL_OP_CONSOLE_ATTACH, &a, sizeof(a), NULL, 0, -ENOSPC, NULL);
    d = (struct lamina_ctl_domid){ 31999, 0 };
    expect_error(s, LAMINA_CTL_OP_CONSOLE_DETACH, &d, sizeof(d), NULL, 0, -ENOENT, NULL);
    /* Input: to dom0, with a lying length, to a domain with no ring yet. */
    memcpy(in, &ci, sizeof(ci));
    memcpy(in + sizeof(ci), "abcd", 4);
    expect_error(s, LAMINA_CTL_OP_CONSOLE_INPUT, in, sizeof(in), NULL, 0, -EPERM, NULL);
    ci.domid = dom[0];
    ci.len = 5;
    memcpy(in, &ci, sizeof(ci));
    expect_error(s, LAMINA_CTL_OP_CONSOLE_INPUT, in, sizeof(in), NULL, 0, -EINVAL, NULL);
    ci.len = UINT32_MAX;
    memcpy(in, &ci, sizeof(ci));
    expect_error(s, LAMINA_CTL_OP_CONSOLE_INPUT, in, sizeof(in), NULL, 0, -EINVAL, NULL);
    expect_error(s, LAMINA_CTL_OP_CONSOLE_INPUT, in, 3, NULL, 0, -EINVAL, NULL);
    ci.len = 4;
    memcpy(in, &ci, sizeof(ci));
    expect_error(s, LAMINA_CTL_OP_CONSOLE_INPUT, in, sizeof(in), NULL, 0, -ENOTCONN, NULL);

    /* Destroying attached domains detaches them; the connection keeps working. */
    for (unsigned int i = 0; i < 8; i++)
        destroy_domain(s, dom[i]);
    d = (struct lamina_ctl_domid){ dom[0], 0 };
    expect_error(s, LAMINA_CTL_OP_CONSOLE_DETACH, &d, sizeof(d), NULL, 0, -ENOENT, NULL);
    still_serving(s);
    close(s);
}
END_TEST

/* ---- event channels ---- */

static int bind_status(int s, uint32_t kind, uint32_t remote, uint32_t port, uint32_t virq,
                       const int *fds, unsigned int nfds, uint32_t *out_port)
{
    struct lamina_ctl_evtchn_bind req = { kind, remote, port, virq };
    struct lamina_ctl_msg m;
    int rc = request(s, LAMINA_CTL_OP_EVTCHN_BIND, &req, sizeof(req), fds, nfds, &m);

    if (rc == 0) {
        struct lamina_ctl_evtchn_port rep;

        ck_assert_uint_eq(m.hdr.len, sizeof(rep));
        memcpy(&rep, m.payload, sizeof(rep));
        if (out_port)
            *out_port = rep.port;
    }
    lamina_ctl_msg_release(&m);
    return rc;
}

/*
 * What a bind passes: the write end of a notify pipe and the read end of a
 * kick pipe.  pass[] goes to the hypervisor; the process keeps the other
 * ends (and, as a hostile one would, the passed ends too).
 */
struct chan {
    int pass[2];                /* notify write end, kick read end */
    int notify_r, kick_w;
};

static void chan_open(struct chan *c, int flags)
{
    int n[2], k[2];

    ck_assert_int_eq(pipe2(n, O_CLOEXEC | flags), 0);
    ck_assert_int_eq(pipe2(k, O_CLOEXEC | flags), 0);
    c->notify_r = n[0];
    c->pass[0] = n[1];
    c->pass[1] = k[0];
    c->kick_w = k[1];
}

static void chan_close(struct chan *c)
{
    close(c->notify_r);
    close(c->pass[0]);
    close(c->pass[1]);
    close(c->kick_w);
}

static void eventfd_pair(int fds[2])
{
    fds[0] = eventfd(0, EFD_CLOEXEC);
    fds[1] = eventfd(0, EFD_CLOEXEC);
    ck_assert_int_ge(fds[0], 0);
    ck_assert_int_ge(fds[1], 0);
}

START_TEST(evtchn_hostile)
{
    unsigned int fds_before = quiet_fd_count(), mid;
    int a = client(), b = client();
    uint32_t domid = create_domain(a, "hostile-evtchn", 16), port;
    int ev[2], file[2], mixed[2], three[3], *efd;
    char path[PATH_MAX];
    struct lamina_ctl_evtchn_port pr;
    struct lamina_ctl_evtchn_bind req = { LAMINA_EVTCHN_BIND_UNBOUND, domid, 0, 0 };
    struct chan ch;

    chan_open(&ch, O_NONBLOCK);
    efd = ch.pass;
    eventfd_pair(ev);
    snprintf(path, sizeof(path), "%s/not-a-pipe", hv.dir);
    file[0] = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    file[1] = open(path, O_RDWR | O_CLOEXEC);
    ck_assert_int_ge(file[0], 0);
    ck_assert_int_ge(file[1], 0);
    unlink(path);
    mid = quiet_fd_count();

    /* Descriptors that are not two pipes: eventfds, files, mixtures. */
    ck_assert_int_eq(bind_status(a, LAMINA_EVTCHN_BIND_UNBOUND, domid, 0, 0, ev, 2, NULL),
                     -EINVAL);
    ck_assert_int_eq(bind_status(a, LAMINA_EVTCHN_BIND_UNBOUND, domid, 0, 0, file, 2, NULL),
                     -EINVAL);
    mixed[0] = efd[0];
    mixed[1] = ev[1];
    ck_assert_int_eq(bind_status(a, LAMINA_EVTCHN_BIND_UNBOUND, domid, 0, 0, mixed, 2, NULL),
                     -EINVAL);
    mixed[0] = file[0];
    mixed[1] = efd[1];
    ck_assert_int_eq(bind_status(a, LAMINA_EVTCHN_BIND_UNBOUND, domid, 0, 0, mixed, 2, NULL),
                     -EINVAL);
    expect_error(a, LAMINA_CTL_OP_EVTCHN_BIND, &req, sizeof(req), efd, 1, -EINVAL, NULL);
    expect_error(a, LAMINA_CTL_OP_EVTCHN_BIND, &req, sizeof(req), NULL, 0, -EINVAL, NULL);
    three[0] = efd[0];
    three[1] = efd[1];
    three[2] = efd[0];
    expect_error(a, LAMINA_CTL_OP_EVTCHN_BIND, &req, sizeof(req), three, 3, -EINVAL, NULL);
    expect_error(a, LAMINA_CTL_OP_EVTCHN_BIND, &req, sizeof(req) - 4, efd, 2, -EINVAL, NULL);
    /* Bad kinds, domains, ports, VIRQs. */
    ck_assert_int_eq(bind_status(a, 0, domid, 0, 0, efd, 2, NULL), -EINVAL);
    ck_assert_int_eq(bind_status(a, 99, domid, 0, 0, efd, 2, NULL), -EINVAL);
    ck_assert_int_eq(bind_status(a, LAMINA_EVTCHN_BIND_UNBOUND, DOMID_FIRST_RESERVED, 0, 0, efd,
                                 2, NULL), -EINVAL);
    ck_assert_int_eq(bind_status(a, LAMINA_EVTCHN_BIND_UNBOUND, UINT32_MAX, 0, 0, efd, 2, NULL),
                     -EINVAL);
    ck_assert_int_eq(bind_status(a, LAMINA_EVTCHN_BIND_INTERDOMAIN, 0, 1, 0, efd, 2, NULL),
                     -EINVAL);
    ck_assert_int_lt(bind_status(a, LAMINA_EVTCHN_BIND_INTERDOMAIN, 31999, 1, 0, efd, 2, NULL),
                     0);
    ck_assert_int_lt(bind_status(a, LAMINA_EVTCHN_BIND_INTERDOMAIN, domid, 5000, 0, efd, 2,
                                 NULL), 0);
    ck_assert_int_lt(bind_status(a, LAMINA_EVTCHN_BIND_INTERDOMAIN, domid, UINT32_MAX, 0, efd,
                                 2, NULL), 0);
    ck_assert_int_lt(bind_status(a, LAMINA_EVTCHN_BIND_INTERDOMAIN, domid, 0, 0, efd, 2, NULL),
                     0);
    ck_assert_int_lt(bind_status(a, LAMINA_EVTCHN_BIND_VIRQ, 0, 0, 1000, efd, 2, NULL), 0);
    ck_assert_int_lt(bind_status(a, LAMINA_EVTCHN_BIND_VIRQ, 0, 0, UINT32_MAX, efd, 2, NULL), 0);
    ck_assert_int_lt(bind_status(a, LAMINA_EVTCHN_BIND_VIRQ, 0, 0, VIRQ_TIMER, efd, 2, NULL), 0);
    /* None of the refused binds kept a descriptor. */
    ck_assert_uint_eq(settle_fds(mid), mid);

    /* A port belongs to the connection that bound it. */
    ck_assert_int_eq(bind_status(a, LAMINA_EVTCHN_BIND_UNBOUND, domid, 0, 0, efd, 2, &port), 0);
    pr = (struct lamina_ctl_evtchn_port){ port, 0 };
    expect_error(b, LAMINA_CTL_OP_EVTCHN_UNBIND, &pr, sizeof(pr), NULL, 0, -EPERM, NULL);
    expect_error(b, LAMINA_CTL_OP_EVTCHN_NOTIFY, &pr, sizeof(pr), NULL, 0, -EPERM, NULL);
    expect_ok(a, LAMINA_CTL_OP_EVTCHN_NOTIFY, &pr, sizeof(pr), NULL, 0, NULL, 0);
    expect_error(a, LAMINA_CTL_OP_EVTCHN_UNBIND, &pr, 4, NULL, 0, -EINVAL, NULL);
    expect_ok(a, LAMINA_CTL_OP_EVTCHN_UNBIND, &pr, sizeof(pr), NULL, 0, NULL, 0);
    expect_error(a, LAMINA_CTL_OP_EVTCHN_UNBIND, &pr, sizeof(pr), NULL, 0, -EINVAL, NULL);
    {
        static const uint32_t odd[] = { 0, 4095, 4096, 1u << 20, UINT32_MAX };

        for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
            struct lamina_ctl_msg m;

            pr.port = odd[i];
            ck_assert_int_lt(request(a, LAMINA_CTL_OP_EVTCHN_NOTIFY, &pr, sizeof(pr), NULL, 0,
                                     &m), 0);
            lamina_ctl_msg_release(&m);
            ck_assert_int_lt(request(a, LAMINA_CTL_OP_EVTCHN_UNBIND, &pr, sizeof(pr), NULL, 0,
                                     &m), 0);
            lamina_ctl_msg_release(&m);
        }
    }
    /* EVTCHN_OPEN takes nothing and gives the one shared page. */
    expect_error(a, LAMINA_CTL_OP_EVTCHN_OPEN, "x", 1, NULL, 0, -EINVAL, NULL);
    expect_error(a, LAMINA_CTL_OP_EVTCHN_OPEN, NULL, 0, efd, 1, -EINVAL, NULL);
    {
        struct lamina_ctl_msg m;

        ck_assert_int_eq(request(a, LAMINA_CTL_OP_EVTCHN_OPEN, NULL, 0, NULL, 0, &m), 0);
        ck_assert_uint_eq(m.nfds, 1);
        lamina_ctl_msg_release(&m);
    }

    /* Ports bound by connections that go away are released with their descriptors. */
    for (int i = 0; i < 100; i++) {
        int c = client();

        ck_assert_int_eq(bind_status(c, LAMINA_EVTCHN_BIND_UNBOUND, domid, 0, 0, efd, 2, NULL),
                         0);
        ck_assert_int_eq(bind_status(c, LAMINA_EVTCHN_BIND_UNBOUND, domid, 0, 0, efd, 2, NULL),
                         0);
        close(c);
    }
    destroy_domain(a, domid);
    close(a);
    close(b);
    ck_assert_uint_eq(settle_fds(fds_before), fds_before);
    chan_close(&ch);
    close(ev[0]);
    close(ev[1]);
    close(file[0]);
    close(file[1]);
}
END_TEST

/*
 * The hypervisor reads a dom0 process's kick pipe on its event thread.  The
 * process holds the pipe's read end too: if it leaves it blocking and reads
 * it itself, a read() on the same file description would block the event
 * thread, and everything that needs it (domain creation, binds, unbinds,
 * vCPU timers) would wait with it.  The hypervisor reads its own,
 * non-blocking description of the pipe instead.
 */
struct kick_reader {
    int fd;
    atomic_bool stop;
};

static void *kick_reader_main(void *arg)
{
    struct kick_reader *r = arg;
    char c;

    while (read(r->fd, &c, 1) == 1 && !atomic_load(&r->stop))
        ;
    return NULL;
}

/* The id of lamina-hv's event thread (named "events"), or 0. */
static pid_t events_tid(void)
{
    char path[PATH_MAX], comm[32];
    struct dirent *e;
    pid_t tid = 0;
    DIR *d;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)hv.pid);
    d = opendir(path);
    if (!d)
        return 0;
    while (!tid && (e = readdir(d))) {
        FILE *f;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)hv.pid, e->d_name);
        f = fopen(path, "re");
        if (f && fgets(comm, sizeof(comm), f) && !strcmp(comm, "events\n"))
            tid = atoi(e->d_name);
        if (f)
            fclose(f);
    }
    closedir(d);
    return tid;
}

/* Is that thread sleeping in read(2) (x86-64 system call 0)? */
static bool in_read(pid_t tid)
{
    char path[96], line[128] = "";
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)hv.pid, (int)tid);
    f = fopen(path, "re");
    if (!f)
        return false;
    if (!fgets(line, sizeof(line), f))
        line[0] = '\0';
    fclose(f);
    return !strncmp(line, "0 ", 2);
}

START_TEST(kick_pipe_cannot_stall_the_hypervisor)
{
    int a = client();
    uint32_t domid = create_domain(a, "hostile-kick", 16), port;
    struct lamina_ctl_domain_create cr = { .max_vcpus = 1 };
    struct kick_reader r = { .stop = false };
    struct lamina_ctl_domid rep;
    struct lamina_ctl_hdr h;
    struct lamina_ctl_msg m;
    pid_t tid = events_tid();
    bool stuck = false, answered;
    struct chan ch;
    pthread_t t;

    ck_assert_int_gt(tid, 0);
    chan_open(&ch, 0);          /* blocking, as a careless or hostile process leaves them */
    ck_assert_int_eq(bind_status(a, LAMINA_EVTCHN_BIND_UNBOUND, domid, 0, 0, ch.pass, 2, &port),
                     0);
    r.fd = ch.pass[1];
    ck_assert_int_eq(pthread_create(&t, NULL, kick_reader_main, &r), 0);
    usleep(50 * 1000);
    /* Kick while the process's own reader races the hypervisor for the bytes. */
    for (int i = 0; i < 50 && !stuck; i++) {
        ck_assert_int_eq(write(ch.kick_w, "k", 1), 1);
        usleep(20 * 1000);
        stuck = in_read(tid);
    }

    /* Creating a domain adds its vCPU timers to the event loop. */
    snprintf(cr.name, sizeof(cr.name), "hostile-kick2");
    cr.memory_kb = cr.maxmem_kb = 2048;
    lamina_ctl_hdr_init(&h, LAMINA_CTL_OP_DOMAIN_CREATE, 4242, sizeof(cr), 0);
    ck_assert_int_eq(lamina_ctl_send(a, &h, &cr, NULL, 0, 0), 0);
    answered = wait_readable(a, STALL_MS);

    /* Let the reader go, then collect the reply. */
    atomic_store(&r.stop, true);
    for (int i = 0; i < 100; i++) {
        ck_assert_int_eq(write(ch.kick_w, "k", 1), 1);
        usleep(10 * 1000);
        if (pthread_tryjoin_np(t, NULL) == 0)
            break;
    }
    ck_assert_msg(recv_reply(a, &m, REPLY_TIMEOUT_MS), "no reply to the domain creation");
    ck_assert_int_eq(m.hdr.status, 0);
    memcpy(&rep, m.payload, sizeof(rep));
    lamina_ctl_msg_release(&m);

    destroy_domain(a, rep.domid);
    destroy_domain(a, domid);
    close(a);
    chan_close(&ch);
    ck_assert_msg(answered, "lamina-hv stalled (no reply in %d ms): its event thread %s blocked "
                  "reading the kick pipe of dom0 port %u, which the process drained itself",
                  STALL_MS, stuck ? "was" : "(not seen in read)", port);
}
END_TEST

/*
 * Well-behaved clients only: one kicks its port as fast as it can, the
 * other binds and unbinds ports.  A kick handler runs on the event thread
 * and takes dom0's event-channel lock; a bind takes dom0's event-channel
 * lock and then adds a watch to the event loop.  Neither may wait for the
 * other.  Private hypervisor: a deadlock costs it.
 */
struct kicker {
    int fd;
    atomic_bool stop;
};

static void *kicker_main(void *arg)
{
    struct kicker *k = arg;

    while (!atomic_load(&k->stop))
        if (write(k->fd, "k", 1) < 0 && errno != EAGAIN)
            break;
    return NULL;
}

START_TEST(kicks_and_binds_do_not_deadlock)
{
    struct kicker k = { .stop = false };
    struct timespec t0, now;
    struct chan kc, bc;
    int a, b;
    uint32_t domid, port;
    unsigned int rounds = 0;
    pthread_t t;
    bool ok = true;

    use_private_hv("deadlock");
    a = client();
    b = client();
    domid = create_domain(a, "hostile-abba", 2);
    chan_open(&kc, O_NONBLOCK);
    chan_open(&bc, O_NONBLOCK);
    ck_assert_int_eq(bind_status(a, LAMINA_EVTCHN_BIND_UNBOUND, domid, 0, 0, kc.pass, 2, &port),
                     0);
    k.fd = kc.kick_w;
    ck_assert_int_eq(pthread_create(&t, NULL, kicker_main, &k), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        struct lamina_ctl_evtchn_bind req = { LAMINA_EVTCHN_BIND_UNBOUND, domid, 0, 0 };
        struct lamina_ctl_evtchn_port pr = { 0, 0 };
        struct lamina_ctl_hdr h;
        struct lamina_ctl_msg m;

        lamina_ctl_hdr_init(&h, LAMINA_CTL_OP_EVTCHN_BIND, next_seq++, sizeof(req), 0);
        ck_assert_int_eq(lamina_ctl_send(b, &h, &req, bc.pass, 2, 0), 0);
        if (!recv_reply(b, &m, STALL_MS)) {
            ok = false;
            break;
        }
        ck_assert_int_eq(m.hdr.status, 0);
        memcpy(&pr, m.payload, sizeof(pr));
        lamina_ctl_msg_release(&m);
        expect_ok(b, LAMINA_CTL_OP_EVTCHN_UNBIND, &pr, sizeof(pr), NULL, 0, NULL, 0);
        rounds++;
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (now.tv_sec - t0.tv_sec < 2);
    atomic_store(&k.stop, true);
    pthread_join(t, NULL);
    ck_assert_msg(ok, "lamina-hv deadlocked after %u binds while dom0 port %u was being "
                  "kicked: bind (dom0 event-channel lock, then the event loop) against the "
                  "kick handler (event loop, then the dom0 event-channel lock)", rounds, port);
    destroy_domain(a, domid);
    close(a);
    close(b);
    chan_close(&kc);
    chan_close(&bc);
    hv_stop(500);
}
END_TEST

/*
 * The same for the notify pipe: the hypervisor writes it while holding
 * event-channel locks; on a full pipe left blocking by the process, a write
 * on the process's own file description would block until someone reads.
 */
START_TEST(notify_pipe_cannot_stall_the_hypervisor)
{
    int a = client();
    uint32_t domid = create_domain(a, "hostile-notify", 16);
    struct lamina_ctl_domain_build_reply rep;
    struct lamina_ctl_evtchn_bind req;
    struct lamina_ctl_hdr h;
    struct lamina_ctl_msg m;
    struct chan ch;
    bool answered;
    char junk[4096];
    int flags;

    build_domain(a, domid, &rep);
    chan_open(&ch, O_NONBLOCK);
    memset(junk, 'j', sizeof(junk));
    while (write(ch.pass[0], junk, sizeof(junk)) > 0)
        ;
    while (write(ch.pass[0], junk, 1) > 0)
        ;
    flags = fcntl(ch.pass[0], F_GETFL);
    ck_assert_int_eq(fcntl(ch.pass[0], F_SETFL, flags & ~O_NONBLOCK), 0);
    /* Binding to the guest's xenstore port marks the new dom0 port pending at once. */
    req = (struct lamina_ctl_evtchn_bind){ LAMINA_EVTCHN_BIND_INTERDOMAIN, domid,
                                           rep.store_port, 0 };
    lamina_ctl_hdr_init(&h, LAMINA_CTL_OP_EVTCHN_BIND, 4343, sizeof(req), 0);
    ck_assert_int_eq(lamina_ctl_send(a, &h, &req, ch.pass, 2, 0), 0);
    answered = wait_readable(a, STALL_MS);
    while (read(ch.notify_r, junk, sizeof(junk)) > 0)
        ;
    ck_assert_msg(recv_reply(a, &m, REPLY_TIMEOUT_MS), "no reply even after the notify pipe was "
                  "drained");
    lamina_ctl_msg_release(&m);
    destroy_domain(a, domid);
    close(a);
    chan_close(&ch);
    ck_assert_msg(answered, "lamina-hv stalled (no reply in %d ms): it blocked writing a dom0 "
                  "process's full notify pipe with event-channel locks held", STALL_MS);
}
END_TEST

/* ---- grant tables ---- */

static uint8_t *map_payload(uint32_t domid, uint32_t flags, const uint32_t *refs, uint32_t count,
                            uint32_t *len)
{
    struct lamina_ctl_gnttab_map req = { domid, count, flags, 0 };
    uint8_t *p = calloc(1, sizeof(req) + count * 4 + 4);

    ck_assert_ptr_nonnull(p);
    memcpy(p, &req, sizeof(req));
    if (count && refs)
        memcpy(p + sizeof(req), refs, count * 4);
    *len = (uint32_t)(sizeof(req) + count * 4);
    return p;
}

static void unmap_expect_at(int s, const uint32_t *handles, uint32_t count, int status, int line)
{
    struct lamina_ctl_gnttab_unmap req = { count, 0 };
    uint8_t *p = calloc(1, sizeof(req) + count * 4 + 1);

    ck_assert_ptr_nonnull(p);
    memcpy(p, &req, sizeof(req));
    if (count)
        memcpy(p + sizeof(req), handles, count * 4);
    if (status)
        expect_error_at(s, LAMINA_CTL_OP_GNTTAB_UNMAP, p, (uint32_t)(sizeof(req) + count * 4),
                        NULL, 0, status, NULL, line);
    else
        expect_ok_at(s, LAMINA_CTL_OP_GNTTAB_UNMAP, p, (uint32_t)(sizeof(req) + count * 4), NULL,
                     0, NULL, 0, line);
    free(p);
}

#define unmap_expect(s, handles, count, status) unmap_expect_at(s, handles, count, status, __LINE__)

static uint8_t *copy_payload(const struct lamina_ctl_gnttab_copy_seg *segs, uint32_t count,
                             const void *data, size_t data_len, uint32_t *len)
{
    struct lamina_ctl_gnttab_copy req = { count, 0 };
    size_t n = sizeof(req) + count * sizeof(*segs) + data_len;
    uint8_t *p = calloc(1, n);

    ck_assert_ptr_nonnull(p);
    memcpy(p, &req, sizeof(req));
    memcpy(p + sizeof(req), segs, count * sizeof(*segs));
    if (data_len)
        memcpy(p + sizeof(req) + count * sizeof(*segs), data, data_len);
    *len = (uint32_t)n;
    return p;
}

START_TEST(gnttab_hostile)
{
    unsigned int fds_before = quiet_fd_count();
    int s = client(), fresh = client();
    uint32_t domid = create_domain(s, "hostile-gnt", 16), len;
    struct lamina_ctl_domain_build_reply rep;
    struct lamina_ctl_gnttab_mapped out[5];
    struct lamina_ctl_gnttab_map_reply mr;
    struct lamina_ctl_msg m;
    uint32_t refs[LAMINA_GNTTAB_MAX_BATCH + 1] = { 0 };
    uint32_t h0, h1, hs[2];
    uint8_t *p;
    int pfd[2];

    build_domain(s, domid, &rep);

    /* Granter domains that cannot grant. */
    p = map_payload(0, 0, refs, 1, &len);
    expect_error(s, LAMINA_CTL_OP_GNTTAB_MAP, p, len, NULL, 0, -ESRCH, NULL);
    free(p);
    p = map_payload(31999, 0, refs, 1, &len);
    expect_error(s, LAMINA_CTL_OP_GNTTAB_MAP, p, len, NULL, 0, -ESRCH, NULL);
    free(p);
    p = map_payload(UINT32_MAX, 0, refs, 1, &len);
    expect_error(s, LAMINA_CTL_OP_GNTTAB_MAP, p, len, NULL, 0, -ESRCH, NULL);
    free(p);
    /* Counts, lengths, flags, descriptors. */
    p = map_payload(domid, 0, refs, 0, &len);
    expect_error(s, LAMINA_CTL_OP_GNTTAB_MAP, p, len, NULL, 0, -EINVAL, NULL);
    free(p);
    p = map_payload(domid, 0, refs, LAMINA_GNTTAB_MAX_BATCH + 1, &len);
    expect_error(s, LAMINA_CTL_OP_GNTTAB_MAP, p, len, NULL, 0, -EINVAL, NULL);
    free(p);
    p = map_payload(domid, 0, refs, 2, &len);
    expect_error(s, LAMINA_CTL_OP_GNTTAB_MAP, p, len - 4, NULL, 0, -EINVAL, NULL);
    expect_error(s, LAMINA_CTL_OP_GNTTAB_MAP, p, len + 4, NULL, 0, -EINVAL, NULL);
    expect_error(s, LAMINA_CTL_OP_GNTTAB_MAP, p, 8, NULL, 0, -EINVAL, NULL);
    ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
    expect_error(s, LAMINA_CTL_OP_GNTTAB_MAP, p, len, pfd, 1, -EINVAL, NULL);
    free(p);
    p = map_payload(domid, 2, refs, 1, &len);
    expect_error(s, LAMINA_CTL_OP_GNTTAB_MAP, p, len, NULL, 0, -EINVAL, NULL);
    free(p);
    {
        struct lamina_ctl_gnttab_map huge = { domid, UINT32_MAX, 0, 0 };

        expect_error(s, LAMINA_CTL_OP_GNTTAB_MAP, &huge, sizeof(huge), NULL, 0, -EINVAL, NULL);
        huge.count = 0x40000001;    /* count * 4 wraps in 32 bits */
        expect_error(s, LAMINA_CTL_OP_GNTTAB_MAP, &huge, sizeof(huge), NULL, 0, -EINVAL, NULL);
    }

    /* Good and bad refs in one batch: per-grant status. */
    refs[0] = GNTTAB_RESERVED_CONSOLE;
    refs[1] = GNTTAB_RESERVED_XENSTORE;
    refs[2] = 5;
    refs[3] = 100000;
    refs[4] = UINT32_MAX;
    p = map_payload(domid, 0, refs, 5, &len);
    ck_assert_int_eq(request(s, LAMINA_CTL_OP_GNTTAB_MAP, p, len, NULL, 0, &m), 0);
    free(p);
    ck_assert_uint_eq(m.hdr.len, sizeof(mr) + sizeof(out));
    ck_assert_uint_eq(m.nfds, 1);
    memcpy(&mr, m.payload, sizeof(mr));
    memcpy(out, m.payload + sizeof(mr), sizeof(out));
    lamina_ctl_msg_release(&m);
    ck_assert_uint_eq(mr.count, 5);
    ck_assert_int_eq(out[0].status, GNTST_okay);
    ck_assert_int_eq(out[1].status, GNTST_okay);
    ck_assert_int_eq(out[2].status, GNTST_permission_denied);
    ck_assert_int_eq(out[3].status, GNTST_bad_gntref);
    ck_assert_int_eq(out[4].status, GNTST_bad_gntref);
    h0 = out[0].handle;
    h1 = out[1].handle;
    ck_assert_uint_ne(h0, h1);

    /* Unmaps: shape, bogus handles, the same handle twice, all or nothing. */
    unmap_expect(fresh, &h0, 1, -EINVAL);
    unmap_expect(s, &h0, 0, -EINVAL);
    {
        uint32_t many[LAMINA_GNTTAB_MAX_BATCH + 1] = { 0 };

        unmap_expect(s, many, LAMINA_GNTTAB_MAX_BATCH + 1, -EINVAL);
    }
    {
        struct lamina_ctl_gnttab_unmap u = { 2, 0 };
        uint8_t buf[sizeof(u) + 4];

        memcpy(buf, &u, sizeof(u));
        memcpy(buf + sizeof(u), &h0, 4);
        expect_error(s, LAMINA_CTL_OP_GNTTAB_UNMAP, buf, sizeof(buf), NULL, 0, -EINVAL, NULL);
        expect_error(s, LAMINA_CTL_OP_GNTTAB_UNMAP, buf, sizeof(buf), pfd, 1, -EINVAL, NULL);
    }
    hs[0] = 9999;
    unmap_expect(s, hs, 1, -EINVAL);
    hs[0] = UINT32_MAX;
    unmap_expect(s, hs, 1, -EINVAL);
    hs[0] = h0;
    hs[1] = h0;
    unmap_expect(s, hs, 2, -EINVAL);
    hs[1] = 9999;
    unmap_expect(s, hs, 2, -EINVAL);
    hs[1] = h1;
    unmap_expect(s, hs, 2, 0);
    unmap_expect(s, &h0, 1, -EINVAL);

    /* Grant copies. */
    {
        struct lamina_ctl_gnttab_copy_seg seg = { domid, GNTTAB_RESERVED_CONSOLE, 0, 16,
                                                  LAMINA_GNTCOPY_TO_GUEST, { 0 } };
        struct lamina_ctl_gnttab_copy_seg segs[17];
        static uint8_t data[65536];
        int16_t st[8];

        for (size_t i = 0; i < sizeof(data); i++)
            data[i] = (uint8_t)(i * 13);
        /* Count, shape, direction. */
        p = copy_payload(&seg, 1, data, 16, &len);
        {
            struct lamina_ctl_gnttab_copy c = { 0, 0 };

            memcpy(p, &c, sizeof(c));
            expect_error(s, LAMINA_CTL_OP_GNTTAB_COPY, p, len, NULL, 0, -EINVAL, NULL);
            c.count = LAMINA_GNTTAB_MAX_BATCH + 1;
            memcpy(p, &c, sizeof(c));
            expect_error(s, LAMINA_CTL_OP_GNTTAB_COPY, p, len, NULL, 0, -EINVAL, NULL);
            c.count = 2;
            memcpy(p, &c, sizeof(c));
            expect_error(s, LAMINA_CTL_OP_GNTTAB_COPY, p, len, NULL, 0, -EINVAL, NULL);
            c.count = UINT32_MAX;
            memcpy(p, &c, sizeof(c));
            expect_error(s, LAMINA_CTL_OP_GNTTAB_COPY, p, len, NULL, 0, -EINVAL, NULL);
            c.count = 1;
            memcpy(p, &c, sizeof(c));
        }
        expect_error(s, LAMINA_CTL_OP_GNTTAB_COPY, p, 4, NULL, 0, -EINVAL, NULL);
        expect_error(s, LAMINA_CTL_OP_GNTTAB_COPY, p, len, pfd, 1, -EINVAL, NULL);
        /* Data not matching the segments. */
        expect_error(s, LAMINA_CTL_OP_GNTTAB_COPY, p, len - 8, NULL, 0, -EINVAL, "data");
        free(p);
        p = copy_payload(&seg, 1, data, 24, &len);
        expect_error(s, LAMINA_CTL_OP_GNTTAB_COPY, p, len, NULL, 0, -EINVAL, "data");
        free(p);
        seg.dir = LAMINA_GNTCOPY_FROM_GUEST;
        p = copy_payload(&seg, 1, data, 16, &len);
        expect_error(s, LAMINA_CTL_OP_GNTTAB_COPY, p, len, NULL, 0, -EINVAL, "data");
        free(p);
        for (int dir = 0; dir < 256; dir += 3) {
            if (dir == LAMINA_GNTCOPY_TO_GUEST || dir == LAMINA_GNTCOPY_FROM_GUEST)
                continue;
            seg.dir = (uint8_t)dir;
            p = copy_payload(&seg, 1, data, 16, &len);
            expect_error(s, LAMINA_CTL_OP_GNTTAB_COPY, p, len, NULL, 0, -EINVAL, "direction");
            free(p);
        }
        /* More than a reply can carry. */
        for (int i = 0; i < 17; i++)
            segs[i] = (struct lamina_ctl_gnttab_copy_seg){ domid, GNTTAB_RESERVED_CONSOLE, 0,
                                                           4096, LAMINA_GNTCOPY_FROM_GUEST,
                                                           { 0 } };
        p = copy_payload(segs, 17, NULL, 0, &len);
        expect_error(s, LAMINA_CTL_OP_GNTTAB_COPY, p, len, NULL, 0, -EINVAL, NULL);
        free(p);
        /* Per-segment failures: past the page, bad domain, bad ref; then a good round trip. */
        segs[0] = (struct lamina_ctl_gnttab_copy_seg){ domid, GNTTAB_RESERVED_CONSOLE, 4090, 16,
                                                       LAMINA_GNTCOPY_TO_GUEST, { 0 } };
        segs[1] = (struct lamina_ctl_gnttab_copy_seg){ domid, GNTTAB_RESERVED_CONSOLE, 0xffff,
                                                       1, LAMINA_GNTCOPY_FROM_GUEST, { 0 } };
        segs[2] = (struct lamina_ctl_gnttab_copy_seg){ 0, 0, 0, 16, LAMINA_GNTCOPY_TO_GUEST,
                                                       { 0 } };
        segs[3] = (struct lamina_ctl_gnttab_copy_seg){ 31999, 0, 0, 16, LAMINA_GNTCOPY_FROM_GUEST,
                                                       { 0 } };
        segs[4] = (struct lamina_ctl_gnttab_copy_seg){ domid, 100000, 0, 16,
                                                       LAMINA_GNTCOPY_FROM_GUEST, { 0 } };
        segs[5] = (struct lamina_ctl_gnttab_copy_seg){ domid, 5, 0, 16,
                                                       LAMINA_GNTCOPY_TO_GUEST, { 0 } };
        segs[6] = (struct lamina_ctl_gnttab_copy_seg){ domid, GNTTAB_RESERVED_CONSOLE, 100, 32,
                                                       LAMINA_GNTCOPY_TO_GUEST, { 0 } };
        segs[7] = (struct lamina_ctl_gnttab_copy_seg){ domid, GNTTAB_RESERVED_CONSOLE, 100, 32,
                                                       LAMINA_GNTCOPY_FROM_GUEST, { 0 } };
        /* TO_GUEST data in order: 16 (seg 0), 16 (seg 2), 16 (seg 5), 32 (seg 6). */
        p = copy_payload(segs, 8, data, 80, &len);
        ck_assert_int_eq(request(s, LAMINA_CTL_OP_GNTTAB_COPY, p, len, NULL, 0, &m), 0);
        free(p);
        ck_assert_uint_eq(m.hdr.len, sizeof(st) + 32);
        memcpy(st, m.payload, sizeof(st));
        ck_assert_int_eq(st[0], GNTST_bad_copy_arg);
        ck_assert_int_eq(st[1], GNTST_bad_copy_arg);
        ck_assert_int_eq(st[2], GNTST_bad_domain);
        ck_assert_int_eq(st[3], GNTST_bad_domain);
        ck_assert_int_eq(st[4], GNTST_bad_gntref);
        ck_assert_int_eq(st[5], GNTST_permission_denied);
        ck_assert_int_eq(st[6], GNTST_okay);
        ck_assert_int_eq(st[7], GNTST_okay);
        ck_assert_int_eq(memcmp(m.payload + sizeof(st), data + 48, 32), 0);
        lamina_ctl_msg_release(&m);
    }

    /* Maps outlive their domain and go with their connection. */
    refs[0] = GNTTAB_RESERVED_CONSOLE;
    p = map_payload(domid, LAMINA_GNTTAB_F_READONLY, refs, 1, &len);
    expect_ok(s, LAMINA_CTL_OP_GNTTAB_MAP, p, len, NULL, 0, &mr, sizeof(mr));
    ck_assert_int_eq(request(s, LAMINA_CTL_OP_GNTTAB_MAP, p, len, NULL, 0, &m), 0);
    memcpy(out, m.payload + sizeof(mr), sizeof(out[0]));
    lamina_ctl_msg_release(&m);
    ck_assert_int_eq(out[0].status, GNTST_okay);
    expect_ok(fresh, LAMINA_CTL_OP_GNTTAB_MAP, p, len, NULL, 0, NULL, 0);
    free(p);
    destroy_domain(s, domid);
    unmap_expect(s, &out[0].handle, 1, 0);
    unmap_expect(s, &out[0].handle, 1, -EINVAL);
    close(fresh);
    close(s);
    close(pfd[0]);
    close(pfd[1]);
    ck_assert_uint_eq(settle_fds(fds_before), fds_before);
}
END_TEST

/* ---- clients that do not read ---- */

/* Send as many copies of one request as the socket takes without blocking. */
static unsigned int flood(int s, uint16_t type, const void *payload, uint32_t len,
                          unsigned int max)
{
    unsigned int sent = 0;

    while (sent < max) {
        struct lamina_ctl_hdr h;
        int rc;

        lamina_ctl_hdr_init(&h, type, 100000 + sent, len, 0);
        rc = lamina_ctl_send(s, &h, payload, NULL, 0, MSG_DONTWAIT);
        if (rc == -EAGAIN) {
            struct pollfd pf = { .fd = s, .events = POLLOUT };

            if (poll(&pf, 1, 200) != 1)
                break;
            continue;
        }
        if (rc < 0)
            break;
        sent++;
    }
    return sent;
}

/* Time a well-behaved request, in milliseconds. */
static long timed_getinfo(int s)
{
    struct timespec t0, t1;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_uint_ge(count_domains(s), 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
}

static bool log_contains(const char *what)
{
    char line[1024];
    bool found = false;
    FILE *f = fopen(hv.log, "re");

    if (!f)
        return false;
    while (!found && fgets(line, sizeof(line), f))
        found = strstr(line, what) != NULL;
    fclose(f);
    return found;
}

START_TEST(flooding_client_is_dropped)
{
    int good = client(), bad = client();
    static char cfg[60000];
    struct lamina_ctl_domid req;
    uint32_t domid;
    unsigned int sent = 0, got = 0;
    long worst = 0;

    memset(cfg, '{', sizeof(cfg));
    domid = create_domain_cfg(good, "hostile-flood", 16, cfg, sizeof(cfg));
    req = (struct lamina_ctl_domid){ domid, 0 };
    /* 60 KB replies the client never reads, while another client keeps asking. */
    for (int round = 0; round < 20; round++) {
        long ms;

        sent += flood(bad, LAMINA_CTL_OP_DOMAIN_GET_CONFIG, &req, sizeof(req), 20);
        ms = timed_getinfo(good);
        if (ms > worst)
            worst = ms;
    }
    ck_assert_msg(worst < 1000, "a well-behaved client waited %ld ms", worst);
    /* The flooder was dropped: what it can still read ends with end-of-file. */
    for (;;) {
        struct lamina_ctl_msg m;
        int rc;

        ck_assert_msg(wait_readable(bad, REPLY_TIMEOUT_MS),
                      "the flooding client (%u requests sent, %u replies read) was not dropped",
                      sent, got);
        rc = lamina_ctl_recv(bad, &m, 0);
        if (rc <= 0)
            break;
        got++;
        lamina_ctl_msg_release(&m);
    }
    ck_assert_uint_lt(got, sent);
    ck_assert(log_contains("stopped reading"));
    destroy_domain(good, domid);
    close(bad);
    close(good);
}
END_TEST

/*
 * Replies that carry descriptors hold a duplicate in the hypervisor until
 * sent.  A client that asks for many and reads none must not be able to
 * take a good part of the hypervisor's descriptor table (every domain
 * needs descriptors): here, a quarter of its limit, and never 8192.
 */
START_TEST(flooding_client_cannot_pin_descriptors)
{
    unsigned int before = quiet_fd_count(), peak = before, sent = 0;
    int good = client(), bad = client();
    struct {
        unsigned long cur, max;
    } lim = { 0, 0 };
    char path[64], line[256];
    FILE *f;
    uint32_t domid;

    snprintf(path, sizeof(path), "/proc/%d/limits", (int)hv.pid);
    f = fopen(path, "re");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "Max open files %lu %lu", &lim.cur, &lim.max) == 2)
            break;
    fclose(f);
    for (int round = 0; round < 100 && hv_alive(); round++) {
        unsigned int n;

        sent += flood(bad, LAMINA_CTL_OP_EVTCHN_OPEN, NULL, 0, 500);
        usleep(2000);
        n = hv_fd_count();
        if (n > peak)
            peak = n;
    }
    /* Whatever the flooder did, a good client can still create a domain. */
    domid = create_domain(good, "hostile-fdflood", 2);
    destroy_domain(good, domid);
    close(bad);
    close(good);
    ck_assert_uint_eq(settle_fds(before), before);
    ck_assert_msg(peak < before + (lim.cur && lim.cur / 4 < 8192 ? lim.cur / 4 : 8192),
                  "one client that never reads made lamina-hv hold %u descriptors (%u before, "
                  "limit %lu) with %u requests", peak, before, lim.cur, sent);
}
END_TEST

START_TEST(client_names_cannot_forge_log_lines)
{
    int s = hv_connect();
    struct lamina_ctl_hello h = { .version = LAMINA_CTL_VERSION };
    struct lamina_ctl_hdr bad;
    char line[1024];
    bool forged = false;
    FILE *f;

    snprintf(h.client, sizeof(h.client), "x\nFORGED error: boom");
    expect_ok(s, LAMINA_CTL_OP_HELLO, &h, sizeof(h), NULL, 0, NULL, 0);
    /* A malformed packet makes the hypervisor log the client's name. */
    lamina_ctl_hdr_init(&bad, 1, 1, 0, 0);
    bad.magic = 0;
    raw_send(s, &bad, sizeof(bad), NULL, 0);
    expect_malformed(s);
    close(s);
    f = fopen(hv.log, "re");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "FORGED", 6))
            forged = true;
    fclose(f);
    ck_assert_msg(!forged, "a client name put a line of its own into the hypervisor's log");
}
END_TEST

/* ---- the end ---- */

START_TEST(hypervisor_survived)
{
    int s;
    uint32_t n;
    DIR *d;
    struct dirent *e;
    char name[PATH_MAX];
    unsigned int base = 0;
    FILE *f;

    base_fds_path(name, sizeof(name));
    f = fopen(name, "re");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%u", &base), 1);
    fclose(f);
    ck_assert_msg(hv_alive(), "lamina-hv (pid %d) is gone", (int)hv.pid);
    s = client();
    n = count_domains(s);
    ck_assert_msg(n == 1, "%u domains left behind", n);
    close(s);
    ck_assert_uint_eq(settle_fds(base), base);
    ck_assert(!log_contains("AddressSanitizer"));
    ck_assert(!log_contains("runtime error"));
    /* Sanitizer reports would be files named asan.<pid> in the test directory. */
    d = opendir(hv.dir);
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d))) {
        snprintf(name, sizeof(name), "%s", e->d_name);
        ck_assert_msg(strncmp(name, "asan", 4) != 0, "sanitizer report %s/%s", hv.dir, name);
    }
    closedir(d);
}
END_TEST

/*
 * The kernel image is mapped from the descriptor the client passed.  If
 * the client shrinks that file while the hypervisor copies from it, the
 * hypervisor must not take SIGBUS.  Private hypervisor: it may cost it.
 */
START_TEST(kernel_shrinking_during_build)
{
    int s;
    uint32_t domid, len;
    struct lamina_ctl_hdr h;
    struct lamina_ctl_msg m;
    uint8_t *img, *payload;
    size_t size;
    int fd;
    struct elfw w;
    uint8_t notes[64];
    size_t nlen = 0;
    uint32_t entry = ELFW_KERNEL_PADDR;
    bool replied;

    use_private_hv("shrink");
    s = client();
    domid = create_domain(s, "hostile-shrink", 512);
    payload = build_payload(domid, "", 1, &len);
    /* One big segment: the file is 256 MiB, mostly a hole. */
    elfw_init(&w, ELFCLASS64);
    elfw_note(notes, &nlen, "Xen", 18, &entry, sizeof(entry));
    elfw_phdr(&w, PT_NOTE, elfw_blob(&w, notes, nlen));
    elfw_load(&w, ELFW_KERNEL_PADDR, elfw_blob(&w, NULL, 16), 256u << 20);
    img = elfw_build(&w, &size);
    elfw_set64(img, elfw_phdr_offset(&w, 1) + offsetof(Elf64_Phdr, p_filesz), 256u << 20);
    fd = memfd_create("shrinking-kernel", MFD_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, (off_t)(w.blob[1].offset + (256u << 20))), 0);
    ck_assert_int_eq(pwrite(fd, img, size, 0), (ssize_t)size);
    elfw_free(&w);
    free(img);

    lamina_ctl_hdr_init(&h, LAMINA_CTL_OP_DOMAIN_BUILD_PVH, 777, len, 0);
    ck_assert_int_eq(lamina_ctl_send(s, &h, payload, &fd, 1, 0), 0);
    usleep(3000);
    ck_assert_int_eq(ftruncate(fd, 4096), 0);
    replied = recv_reply(s, &m, 10000);
    if (replied)
        lamina_ctl_msg_release(&m);
    usleep(100 * 1000);
    ck_assert_msg(hv_alive() && replied, "lamina-hv died (SIGBUS) when the kernel file it was "
                  "loading shrank under it");
    destroy_domain(s, domid);
    close(fd);
    free(payload);
    close(s);
    hv_stop(500);
}
END_TEST

static Suite *hostile_suite(void)
{
    Suite *s = suite_create("control_hostile");
    TCase *wire = tcase_create("wire");
    TCase *ops = tcase_create("operations");
    TCase *dos = tcase_create("denial_of_service");
    TCase *end = tcase_create("end");

    tcase_set_timeout(wire, 60);
    tcase_add_test(wire, warm_up);
    tcase_add_test(wire, bad_framing);
    tcase_add_test(wire, empty_packet);
    tcase_add_test(wire, empty_packets_with_fds);
    tcase_add_test(wire, oversize_packets);
    tcase_add_test(wire, too_many_fds);
    tcase_add_test(wire, fds_on_requests_without_fds);
    tcase_add_test(wire, requests_before_hello);
    tcase_add_test(wire, unknown_operations);
    tcase_add_test(wire, reply_flags_on_requests);
    suite_add_tcase(s, wire);

    tcase_set_timeout(ops, 60);
    tcase_add_test(ops, create_hostile);
    tcase_add_test(ops, create_largest_domain);
    tcase_add_test(ops, build_hostile);
    tcase_add_test(ops, getinfo_hostile);
    tcase_add_test(ops, console_hostile);
    tcase_add_test(ops, evtchn_hostile);
    tcase_add_test(ops, gnttab_hostile);
    suite_add_tcase(s, ops);

    tcase_set_timeout(dos, 60);
    tcase_add_test(dos, flooding_client_is_dropped);
    tcase_add_test(dos, flooding_client_cannot_pin_descriptors);
    tcase_add_test(dos, kick_pipe_cannot_stall_the_hypervisor);
    tcase_add_test(dos, notify_pipe_cannot_stall_the_hypervisor);
    tcase_add_test(dos, client_names_cannot_forge_log_lines);
    tcase_add_test(dos, kicks_and_binds_do_not_deadlock);
    tcase_add_test(dos, kernel_shrinking_during_build);
    suite_add_tcase(s, dos);

    tcase_set_timeout(end, 60);
    tcase_add_test(end, hypervisor_survived);
    suite_add_tcase(s, end);
    return s;
}


/* Interrupted (make check stopped, a timeout): do not leave the daemon behind. */
static volatile pid_t shared_pid;

static void on_fatal_signal(int sig)
{
    if (shared_pid > 0)
        kill(shared_pid, SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig);
}

int main(void)
{
    SRunner *sr;
    int failed, fd, rc;

    fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        printf("SKIP: /dev/kvm is not usable: %s\n", strerror(errno));
        return 77;
    }
    close(fd);
    signal(SIGPIPE, SIG_IGN);
    snprintf(top_dir, sizeof(top_dir), "/tmp/lamina-hostile-XXXXXX");
    if (!mkdtemp(top_dir)) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }
    signal(SIGINT, on_fatal_signal);
    signal(SIGTERM, on_fatal_signal);
    signal(SIGHUP, on_fatal_signal);
    rc = hv_start(top_dir);
    shared_pid = hv.pid;
    if (rc < 0) {
        fprintf(stderr, "cannot start %s: %s\n", LAMINA_HV_PROGRAM, strerror(-rc));
        dump_log();
        hv_stop(5000);
        remove_tree(top_dir);
        return EXIT_FAILURE;
    }
    sr = srunner_create(hostile_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);

    if (failed)
        dump_log();
    hv_stop(5000);
    stop_private_instances();
    remove_tree(top_dir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
