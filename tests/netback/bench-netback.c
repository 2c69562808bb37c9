/* bench-netback.c: netback's frames/s and MB/s: switch, bridge, TAP, against veth. */
/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake.h"
#include "frame.h"
#include "switchd.h"
#include "tap.h"

/*
 * Usage: bench-netback [-t SECONDS]   (root: it makes its own network namespaces)
 *
 * Every path is measured the same way: one side sends as fast as it can
 * for the given time, the other side counts what arrives, and the rate is
 * what arrived. Fake frontends play the guests (each with its engine in a
 * thread of its own, as in the daemon); the built-in switch runs as a
 * thread here rather than as its own process (the same sockets and the
 * same wake-ups). The veth rows are the floor the same machine reaches
 * between two network namespaces with no backend at all: the ratio is the
 * backend's share.
 *
 * The fake transport copies grants with memcpy(). lamina-hv serves a grant
 * copy as a round trip on its control socket with the data inline (64 KiB
 * per message at most), so the rows marked [hv] put such a round trip,
 * to a thread playing the hypervisor, in front of every copy batch: the
 * data crosses a socket both ways and the engine waits for the answer, as
 * it does with lamina-hv. The hypervisor's own checks are not counted.
 */

#define GUEST_IP_A "10.215.0.2"
#define GUEST_IP_B "10.215.0.3"
#define HOST_IP "10.215.0.1"
#define VETH_A "10.216.0.1"
#define VETH_B "10.216.0.2"
#define UDP_PORT 9

static int seconds = 3;
static volatile int running;
static bool hv_roundtrip;           /* the [hv] rows */

#define HV_MSG_MAX (64u * 1024u)

/* A transport whose copies go through a socket round trip, as with lamina-hv. */
struct hv_transport {
    struct nb_transport t;
    struct nb_transport *inner;
    int sock[2];                    /* engine's end, "hypervisor's" end */
    pthread_t th;
    uint8_t msg[HV_MSG_MAX + 4096], reply[HV_MSG_MAX + 4096];
};

struct hv_request {
    xengnttab_grant_copy_segment_t *segs;
    uint32_t count;
};

static struct hv_transport *hvt(struct nb_transport *t)
{
    return (struct hv_transport *)t;
}

/* The "hypervisor": takes a request with its inline data, copies, answers with the data read. */
static void *hv_thread(void *arg)
{
    static __thread uint8_t in[HV_MSG_MAX + 4096], out[HV_MSG_MAX + 4096];
    struct hv_transport *h = arg;

    for (;;) {
        ssize_t n = recv(h->sock[1], in, sizeof(in), 0);
        struct hv_request req;
        size_t len;

        if (n < (ssize_t)sizeof(req))
            return NULL;
        memcpy(&req, in, sizeof(req));
        h->inner->ops->copy(h->inner, req.segs, req.count);
        len = (size_t)req.count * sizeof(int16_t);
        for (uint32_t i = 0; i < req.count; i++) {
            if (req.segs[i].flags != GNTCOPY_source_gref)
                continue;
            memcpy(out + len, req.segs[i].dest.virt, req.segs[i].len);
            len += req.segs[i].len;
        }
        if (send(h->sock[1], out, len, MSG_NOSIGNAL) < 0)
            return NULL;
    }
}

static int hv_copy(struct nb_transport *t, xengnttab_grant_copy_segment_t *segs, uint32_t count)
{
    struct hv_transport *h = hvt(t);
    uint32_t first = 0;

    while (first < count) {
        size_t in = 0, out = 0, len;
        uint32_t n = 0;
        struct hv_request req;

        while (first + n < count) {
            const xengnttab_grant_copy_segment_t *sg = &segs[first + n];
            size_t to = sg->flags == GNTCOPY_dest_gref ? sg->len : 0;

            if (n && (sizeof(req) + 16 * (n + 1) + in + to > HV_MSG_MAX ||
                      2 * (n + 1) + out + sg->len - to > HV_MSG_MAX))
                break;
            in += to;
            out += sg->len - to;
            n++;
        }
        req = (struct hv_request){ segs + first, n };
        memcpy(h->msg, &req, sizeof(req));
        len = sizeof(req) + 16 * n;
        for (uint32_t i = 0; i < n; i++) {
            if (segs[first + i].flags != GNTCOPY_dest_gref)
                continue;
            memcpy(h->msg + len, segs[first + i].source.virt, segs[first + i].len);
            len += segs[first + i].len;
        }
        if (send(h->sock[0], h->msg, len, MSG_NOSIGNAL) < 0 ||
            recv(h->sock[0], h->reply, sizeof(h->reply), 0) < 0)
            return -errno;
        first += n;
    }
    return 0;
}

static void *hv_map(struct nb_transport *t, uint32_t count, const grant_ref_t *refs, bool writable)
{
    return hvt(t)->inner->ops->map(hvt(t)->inner, count, refs, writable);
}

static int hv_unmap(struct nb_transport *t, void *addr, uint32_t count)
{
    return hvt(t)->inner->ops->unmap(hvt(t)->inner, addr, count);
}

static int hv_event_fd(struct nb_transport *t)
{
    return hvt(t)->inner->ops->event_fd(hvt(t)->inner);
}

static void hv_event_ack(struct nb_transport *t)
{
    hvt(t)->inner->ops->event_ack(hvt(t)->inner);
}

static int hv_notify(struct nb_transport *t, bool rx)
{
    return hvt(t)->inner->ops->notify(hvt(t)->inner, rx);
}

static void hv_close(struct nb_transport *t)
{
    struct hv_transport *h = hvt(t);

    shutdown(h->sock[0], SHUT_RDWR);
    pthread_join(h->th, NULL);
    close(h->sock[0]);
    close(h->sock[1]);
    h->inner->ops->close(h->inner);
    free(h);
}

static const struct nb_transport_ops hv_ops = {
    .map = hv_map, .unmap = hv_unmap, .copy = hv_copy, .event_fd = hv_event_fd,
    .event_ack = hv_event_ack, .notify = hv_notify, .close = hv_close,
};

static struct nb_transport *hv_wrap(struct nb_transport *inner)
{
    struct hv_transport *h = calloc(1, sizeof(*h));
    int size = 1 << 20;

    if (!h || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, h->sock) < 0)
        exit(1);
    setsockopt(h->sock[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    setsockopt(h->sock[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    h->t = (struct nb_transport){ .ops = &hv_ops, .domid = inner->domid };
    h->inner = inner;
    pthread_create(&h->th, NULL, hv_thread, h);
    return &h->t;
}

static const uint8_t mac_a[6] = { 0x00, 0x16, 0x3e, 0x00, 0x01, 0x02 };
static const uint8_t mac_b[6] = { 0x00, 0x16, 0x3e, 0x00, 0x01, 0x03 };

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sh(const char *cmd)
{
    if (system(cmd) != 0) {
        fprintf(stderr, "bench-netback: '%s' failed\n", cmd);
        exit(1);
    }
}

static void row(const char *path, size_t frame, double frames, double secs)
{
    char label[64];

    snprintf(label, sizeof(label), "%s%s", path, hv_roundtrip ? " [hv]" : "");
    printf("%-42s %6zu %12.0f %10.1f\n", label, frame, frames / secs, frames * frame / secs / 1e6);
    fflush(stdout);
}

/* A guest: a fake netfront with its engine in a thread. */
struct bguest {
    struct fake_guest *g;
    struct fake_vif v;
    struct nb_link *link;
    uint64_t rx_frames, rx_bytes;
    pthread_t th;
};

static void guest_start(struct bguest *b, uint32_t domid, struct nb_link *link, bool gso)
{
    memset(b, 0, sizeof(*b));
    b->g = fake_guest_create(FAKE_VIF_PAGES, domid, FAKE_VIF_PAGES + 8);
    fake_vif_init(&b->v, b->g, 0, 0, 1, 2, 0);
    close(b->v.link.fd);
    close(b->v.world);
    b->v.world = -1;
    b->link = link;
    b->v.p.link = link;
    b->v.p.fe.gso_tcpv4 = b->v.p.fe.gso_tcpv6 = gso;
    if (hv_roundtrip) {
        struct nb_transport *t = hv_wrap(fake_transport(b->g, b->v.tx_port, b->v.rx_port));

        if (nb_queue_create(&b->v.q, t, &b->v.p) < 0 || nb_queue_start(b->v.q) < 0)
            exit(1);
    } else {
        fake_vif_start(&b->v, true);
    }
}

static void guest_stop(struct bguest *b)
{
    nb_queue_destroy(b->v.q);
    nb_link_close(b->link);
    fake_guest_destroy(b->g);
}

/* Consume the tx responses published so far; ask to be told about the next. */
static unsigned int tx_reap(struct fake_vif *v)
{
    unsigned int n = 0;
    int more;

    for (;;) {
        RING_FINAL_CHECK_FOR_RESPONSES(&v->tx, more);
        if (!more)
            return n;
        xen_rmb();
        n += v->tx.sring->rsp_prod - v->tx.rsp_cons;
        v->tx.rsp_cons = v->tx.sring->rsp_prod;
    }
}

/*
 * Send frame (len bytes, with a GSO extra when gso_size) until running
 * drops: every tx slot's page holds the frame once, so the loop only
 * writes requests, as a guest recycling its buffers would.
 */
static void guest_send(struct bguest *b, const uint8_t *frame, size_t len, uint16_t gso_size)
{
    struct fake_vif *v = &b->v;
    unsigned int per = (unsigned int)((len + FAKE_PAGE - 1) / FAKE_PAGE) + (gso_size ? 1 : 0);
    int chunk_at[NB_TX_RING_SIZE];

    /* Which part of the frame each tx page holds: written only when it changes. */
    for (unsigned int i = 0; i < NB_TX_RING_SIZE; i++)
        chunk_at[i] = -1;
    while (running) {
        unsigned int n = 0;

        while (RING_FREE_REQUESTS(&v->tx) >= per && n < NB_TX_RING_SIZE) {
            size_t done = 0;
            netif_tx_request_t *first = NULL, *prev = NULL;

            do {
                unsigned int idx = v->tx.req_prod_pvt & (NB_TX_RING_SIZE - 1);
                netif_tx_request_t *r = fake_tx_slot(v);
                size_t chunk = len - done < FAKE_PAGE ? len - done : FAKE_PAGE;

                if (chunk_at[idx] != (int)(done / FAKE_PAGE)) {
                    memcpy(fake_tx_page(v, idx), frame + done, chunk);
                    chunk_at[idx] = (int)(done / FAKE_PAGE);
                }
                r->gref = fake_tx_ref(v, idx);
                r->id = (uint16_t)idx;
                r->size = (uint16_t)chunk;
                if (prev)
                    prev->flags |= NETTXF_more_data;
                if (!first) {
                    first = r;
                    r->size = (uint16_t)len;
                    r->flags = gso_size ? NETTXF_csum_blank | NETTXF_data_validated : 0;
                    if (gso_size) {
                        struct netif_extra_info *x = (struct netif_extra_info *)fake_tx_slot(v);

                        first->flags |= NETTXF_extra_info;
                        x->type = XEN_NETIF_EXTRA_TYPE_GSO;
                        x->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
                        x->u.gso.size = gso_size;
                    }
                }
                prev = r;
                done += chunk;
            } while (done < len);
            n++;
        }
        fake_tx_push(v);
        /* Take the answers there are; sleep on the tx channel only when the ring is full. */
        if (!tx_reap(v) && RING_FREE_REQUESTS(&v->tx) < per) {
            struct pollfd pfd = { .fd = v->g->ports[v->tx_port].notify, .events = POLLIN };
            uint64_t ticks;

            if (poll(&pfd, 1, 10) == 1 && read(pfd.fd, &ticks, sizeof(ticks)) < 0) {
                /* Raced with nobody: look at the ring again. */
            }
            tx_reap(v);
        }
    }
}

static void *guest_receiver(void *arg)
{
    static __thread uint8_t buf[70000];
    struct bguest *b = arg;

    fake_rx_post(&b->v, NB_RX_RING_SIZE);
    while (running) {
        struct fake_rx_info info;
        ssize_t n = fake_rx_packet(&b->v, buf, sizeof(buf), &info, 50);

        if (n == -1)
            continue;
        fake_rx_post(&b->v, info.slots + (info.gso ? 1 : 0));
        if (n > 0) {
            __atomic_fetch_add(&b->rx_frames, 1, __ATOMIC_RELAXED);
            __atomic_fetch_add(&b->rx_bytes, (uint64_t)n, __ATOMIC_RELAXED);
        }
    }
    return NULL;
}

/* Run guest a sending to guest b for the set time; returns the rate b received at. */
static void guest_to_guest(const char *path, struct bguest *a, struct bguest *b,
                           const uint8_t *frame, size_t len, uint16_t gso)
{
    double t0, t1;

    b->rx_frames = b->rx_bytes = 0;
    running = 1;
    pthread_create(&b->th, NULL, guest_receiver, b);
    usleep(100000);
    t0 = now_s();
    alarm((unsigned int)seconds);
    guest_send(a, frame, len, gso);
    t1 = now_s();
    pthread_join(b->th, NULL);
    row(path, len, (double)b->rx_frames, t1 - t0);
}

static void on_alarm(int sig)
{
    running = 0;
}

static size_t udp_frame(uint8_t *f, const uint8_t *dst, const uint8_t *src, const char *sip,
                        const char *dip, size_t payload)
{
    size_t len = fake_frame(f, &(struct fake_l4){ dst, src, false, false, (uint32_t)payload, 1,
                                                   0 });
    uint8_t *ip = f + 14;
    struct nb_l4 l4;

    inet_pton(AF_INET, sip, ip + 12);
    inet_pton(AF_INET, dip, ip + 16);
    nb_put16(ip + 10, 0);
    nb_put16(ip + 10, nb_csum_fold(nb_csum_add(0, ip, 20)));
    nb_frame_parse(f, len, &l4);
    nb_put16(f + l4.l4_off + 2, UDP_PORT);
    nb_put16(f + l4.l4_off + 6, 0);     /* IPv4 UDP without a checksum */
    return len;
}

/* The switch in a thread. */
static void *switch_thread(void *arg)
{
    void **a = arg;

    nb_switchd_run(a[0], *(int *)a[1]);
    return NULL;
}

static void bench_switch(void)
{
    static uint8_t frame[70000];
    struct nb_switchd_config cfg = { .aging_ms = 300000 };
    struct nb_switchd *sd;
    struct bguest a, b;
    struct nb_link *la, *lb;
    pthread_t th;
    char err[200], dir[64] = "/tmp/bench-netback-XXXXXX", cmd[100];
    int stop = eventfd(0, EFD_CLOEXEC);
    void *args[2] = { NULL, &stop };
    uint64_t one = 1;
    struct fake_l4 tcp = { mac_b, mac_a, false, true, 65535 - 54, 1, 1 };
    struct nb_l4 l4;
    size_t len;

    if (!mkdtemp(dir))
        return;
    setenv("LAMINA_RUNDIR", dir, 1);
    if (nb_switchd_open(&sd, "bench", &cfg) < 0)
        return;
    args[0] = sd;
    pthread_create(&th, NULL, switch_thread, args);
    if (nb_switch_link_open(&la, "bench", "a", NULL, NULL, err, sizeof(err)) < 0 ||
        nb_switch_link_open(&lb, "bench", "b", NULL, NULL, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench-netback: %s\n", err);
        exit(1);
    }
    guest_start(&a, 20, la, true);
    guest_start(&b, 21, lb, true);
    /* b makes itself known, so that a's frames are not flooded. */
    len = fake_raw_frame(frame, (const uint8_t[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, mac_b,
                         60, 0);
    fake_tx_packet(&b.v, frame, len, NULL);
    fake_tx_push(&b.v);
    usleep(100000);
    for (size_t k = 0; k < 2; k++) {
        size_t size = k ? 1514 : 64;

        len = fake_raw_frame(frame, mac_b, mac_a, size, 3);
        guest_to_guest("guest -> guest, built-in switch", &a, &b, frame, len, 0);
    }
    len = fake_frame(frame, &tcp);
    nb_frame_parse(frame, len, &l4);
    nb_csum_set_partial(frame, &l4);
    guest_to_guest("guest -> guest, switch, 64K TSO", &a, &b, frame, len, 1448);
    guest_stop(&a);
    guest_stop(&b);
    if (write(stop, &one, sizeof(one)) < 0)
        perror("stop");
    pthread_join(th, NULL);
    nb_switchd_close(sd);
    close(stop);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    sh(cmd);
}

static struct nb_link *tap(const char *name)
{
    struct nb_tap_config cfg = { .mtu = 0 };
    struct nb_link *l;
    char err[300];

    snprintf(cfg.ifname, sizeof(cfg.ifname), "%s", name);
    snprintf(cfg.bridge, sizeof(cfg.bridge), "br0");
    if (nb_tap_link_open(&l, &cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench-netback: %s\n", err);
        exit(1);
    }
    l->set_offload(l, true, true, true);
    return l;
}

/* Count UDP datagrams arriving on port UDP_PORT until running drops. */
struct udp_counter {
    int fd;
    uint64_t frames;
    pthread_t th;
};

static void *udp_count(void *arg)
{
    struct udp_counter *c = arg;
    static __thread char bufs[64][2048];
    struct mmsghdr msgs[64];
    struct iovec iov[64];

    for (int i = 0; i < 64; i++) {
        iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
        msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
    }
    while (running) {
        struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
        int n;

        if (poll(&pfd, 1, 50) != 1)
            continue;
        n = recvmmsg(c->fd, msgs, 64, MSG_DONTWAIT, NULL);
        if (n > 0)
            c->frames += (uint64_t)n;
    }
    return NULL;
}

static int udp_socket(const char *ip, bool bind_it)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(UDP_PORT) };
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), size = 4 << 20;

    inet_pton(AF_INET, ip, &sa.sin_addr);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    if (bind_it ? bind(fd, (struct sockaddr *)&sa, sizeof(sa))
                : connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
        perror("bench-netback: udp socket");
        exit(1);
    }
    return fd;
}

/* Send payload-byte datagrams on fd until running drops. */
static void udp_blast(int fd, size_t payload)
{
    static char buf[2048];
    struct mmsghdr msgs[32];
    struct iovec iov = { buf, payload };

    for (int i = 0; i < 32; i++)
        msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
    while (running)
        if (sendmmsg(fd, msgs, 32, 0) < 0 && errno != ENOBUFS && errno != EAGAIN &&
            errno != ECONNREFUSED)
            break;
}

static void bench_tap(void)
{
    static uint8_t frame[2048];
    struct bguest a, b;
    struct udp_counter c;
    uint8_t br_mac[6];
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), fd;
    double t0, t1;
    size_t len;

    sh("ip link set lo up && ip link add br0 type bridge && ip addr add " HOST_IP
       "/24 dev br0 && ip link set br0 up");
    guest_start(&a, 30, tap("vifa"), true);
    guest_start(&b, 31, tap("vifb"), true);
    sh("ip neigh replace " GUEST_IP_A " lladdr 00:16:3e:00:01:02 dev br0 && "
       "ip neigh replace " GUEST_IP_B " lladdr 00:16:3e:00:01:03 dev br0");
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "br0");
    if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0) {
        perror("SIOCGIFHWADDR");
        exit(1);
    }
    memcpy(br_mac, ifr.ifr_hwaddr.sa_data, 6);
    close(s);
    /* Both guests make themselves known to the bridge. */
    len = fake_raw_frame(frame, (const uint8_t[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, mac_b,
                         60, 0);
    fake_tx_packet(&b.v, frame, len, NULL);
    fake_tx_push(&b.v);
    len = fake_raw_frame(frame, (const uint8_t[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, mac_a,
                         60, 0);
    fake_tx_packet(&a.v, frame, len, NULL);
    fake_tx_push(&a.v);
    usleep(200000);
    len = fake_raw_frame(frame, mac_b, mac_a, 1514, 3);
    guest_to_guest("guest -> guest, 2 TAPs on a bridge", &a, &b, frame, len, 0);
    for (size_t k = 0; k < 2; k++) {
        size_t payload = k ? 1472 : 18;

        /* guest -> host: UDP from the fake guest to a socket on the bridge's address. */
        c = (struct udp_counter){ .fd = udp_socket(HOST_IP, true) };
        len = udp_frame(frame, br_mac, mac_a, GUEST_IP_A, HOST_IP, payload);
        running = 1;
        pthread_create(&c.th, NULL, udp_count, &c);
        t0 = now_s();
        alarm((unsigned int)seconds);
        guest_send(&a, frame, len, 0);
        t1 = now_s();
        pthread_join(c.th, NULL);
        row("guest -> host, TAP + bridge, UDP", len, (double)c.frames, t1 - t0);
        close(c.fd);
        /* host -> guest: a UDP socket sending to the guest's address. */
        fd = udp_socket(GUEST_IP_A, false);
        a.rx_frames = 0;
        running = 1;
        pthread_create(&a.th, NULL, guest_receiver, &a);
        t0 = now_s();
        alarm((unsigned int)seconds);
        udp_blast(fd, payload);
        t1 = now_s();
        pthread_join(a.th, NULL);
        row("host -> guest, bridge + TAP, UDP", len, (double)a.rx_frames, t1 - t0);
        close(fd);
    }
    guest_stop(&a);
    guest_stop(&b);
    sh("ip link del br0");
}

/* The floor: UDP between two network namespaces over a veth pair. */
static void bench_veth(void)
{
    int ready[2], result[2];
    pid_t child;
    char cmd[200];

    if (pipe(ready) < 0 || pipe(result) < 0)
        return;
    child = fork();
    if (child == 0) {
        struct udp_counter c;
        char go;

        if (unshare(CLONE_NEWNET) < 0)
            _exit(1);
        if (write(ready[1], "r", 1) != 1 || read(result[0], &go, 1) != 1)
            _exit(1);
        sh("ip link set lo up && ip addr add " VETH_B "/24 dev vb && ip link set vb up");
        c = (struct udp_counter){ .fd = udp_socket(VETH_B, true) };
        signal(SIGALRM, on_alarm);
        for (int k = 0; k < 2; k++) {
            c.frames = 0;
            running = 1;
            if (write(ready[1], "r", 1) != 1)
                _exit(1);
            alarm((unsigned int)seconds + 1);
            udp_count(&c);
            if (write(ready[1], &c.frames, sizeof(c.frames)) != sizeof(c.frames))
                _exit(1);
        }
        _exit(0);
    }
    {
        char r;
        uint64_t frames;

        if (read(ready[0], &r, 1) != 1)
            return;
        snprintf(cmd, sizeof(cmd), "ip link add va type veth peer name vb && ip link set vb "
                 "netns %d && ip addr add " VETH_A "/24 dev va && ip link set va up", (int)child);
        sh(cmd);
        if (write(result[1], "g", 1) != 1)
            return;
        for (int k = 0; k < 2; k++) {
            size_t payload = k ? 1472 : 18;
            int fd;
            double t0, t1;

            if (read(ready[0], &r, 1) != 1)
                return;
            usleep(300000);
            fd = udp_socket(VETH_B, false);
            running = 1;
            t0 = now_s();
            alarm((unsigned int)seconds);
            udp_blast(fd, payload);
            t1 = now_s();
            if (read(ready[0], &frames, sizeof(frames)) != sizeof(frames))
                return;
            row("ns -> ns, veth pair (no backend), UDP", payload + 42, (double)frames, t1 - t0);
            close(fd);
        }
        waitpid(child, NULL, 0);
        sh("ip link del va 2>/dev/null || true");
    }
}

int main(int argc, char **argv)
{
    int opt;

    while ((opt = getopt(argc, argv, "t:")) != -1) {
        if (opt == 't')
            seconds = atoi(optarg);
    }
    if (seconds < 1)
        seconds = 1;
    signal(SIGALRM, on_alarm);
    /* A network namespace of our own: nothing here touches the host's network. */
    if (unshare(CLONE_NEWNET) < 0) {
        perror("bench-netback: unshare(CLONE_NEWNET) (run as root)");
        return 77;
    }
    printf("%-42s %6s %12s %10s\n", "path", "frame", "frames/s", "MB/s");
    bench_switch();
    bench_tap();
    hv_roundtrip = true;
    bench_switch();
    bench_tap();
    hv_roundtrip = false;
    bench_veth();
    return 0;
}
