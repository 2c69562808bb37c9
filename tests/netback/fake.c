/* fake.c: a fake netfront for netback tests: guest memory, grants, event channels, rings. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "fake.h"

struct fake_transport {
    struct nb_transport t;
    struct fake_guest *g;
    uint32_t tx_port, rx_port;
    int epfd;                   /* both kick eventfds: readable when either fired */
};

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct fake_transport *ft(struct nb_transport *t)
{
    return (struct fake_transport *)t;
}

static void *fake_map(struct nb_transport *t, uint32_t count, const grant_ref_t *refs,
                      bool writable)
{
    return fake_guest_map(ft(t)->g, count, refs, writable);
}

static int fake_unmap(struct nb_transport *t, void *addr, uint32_t count)
{
    return fake_guest_unmap(ft(t)->g, addr, count);
}

static int fake_copy(struct nb_transport *t, xengnttab_grant_copy_segment_t *segs, uint32_t count)
{
    return fake_guest_copy(ft(t)->g, segs, count);
}

static int fake_event_fd(struct nb_transport *t)
{
    return ft(t)->epfd;
}

static void fake_event_ack(struct nb_transport *t)
{
    struct fake_guest *g = ft(t)->g;
    uint64_t n;

    if (read(g->ports[ft(t)->tx_port].kick, &n, sizeof(n)) < 0) {
        /* Nothing pending on this one. */
    }
    if (read(g->ports[ft(t)->rx_port].kick, &n, sizeof(n)) < 0) {
        /* Nothing pending on this one. */
    }
}

static int fake_notify(struct nb_transport *t, bool rx)
{
    return fake_guest_notify(ft(t)->g, rx ? ft(t)->rx_port : ft(t)->tx_port);
}

static void fake_close(struct nb_transport *t)
{
    close(ft(t)->epfd);
    free(t);
}

static const struct nb_transport_ops fake_ops = {
    .map = fake_map,
    .unmap = fake_unmap,
    .copy = fake_copy,
    .event_fd = fake_event_fd,
    .event_ack = fake_event_ack,
    .notify = fake_notify,
    .close = fake_close,
};

struct nb_transport *fake_transport(struct fake_guest *g, uint32_t tx_port, uint32_t rx_port)
{
    struct fake_transport *t;
    struct epoll_event ev = { .events = EPOLLIN };

    if (tx_port >= FAKE_MAX_PORTS || rx_port >= FAKE_MAX_PORTS) {
        errno = EINVAL;
        return NULL;
    }
    t = calloc(1, sizeof(*t));
    if (!t)
        fake_die("calloc");
    t->t.ops = &fake_ops;
    t->t.domid = g->domid;
    t->g = g;
    t->tx_port = tx_port;
    t->rx_port = rx_port;
    t->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (t->epfd < 0 || epoll_ctl(t->epfd, EPOLL_CTL_ADD, g->ports[tx_port].kick, &ev) < 0 ||
        (rx_port != tx_port &&
         epoll_ctl(t->epfd, EPOLL_CTL_ADD, g->ports[rx_port].kick, &ev) < 0))
        fake_die("epoll");
    return &t->t;
}

static struct nb_transport *factory_open(void *arg, uint32_t domid, uint32_t tx_port,
                                         uint32_t rx_port)
{
    struct fake_guest *g = arg;

    if (domid != g->domid) {
        errno = ESRCH;
        return NULL;
    }
    return fake_transport(g, tx_port, rx_port);
}

struct nb_transport_factory fake_factory(struct fake_guest *g)
{
    return (struct nb_transport_factory){ .open = factory_open, .arg = g };
}

/* The fake netfront. */

void fake_vif_init(struct fake_vif *v, struct fake_guest *g, uint32_t base, grant_ref_t ref_base,
                   uint32_t tx_port, uint32_t rx_port, RING_IDX idx)
{
    netif_tx_sring_t *txs = (netif_tx_sring_t *)fake_page(g, base);
    netif_rx_sring_t *rxs = (netif_rx_sring_t *)fake_page(g, base + 1);
    int sv[2];

    memset(v, 0, sizeof(*v));
    v->g = g;
    v->base = base;
    v->ref_base = ref_base;
    v->tx_port = tx_port;
    v->rx_port = rx_port;
    for (uint32_t i = 0; i < FAKE_VIF_PAGES; i++)
        fake_grant(g, ref_base + i, base + i, i >= 2 && i < 2 + NB_TX_RING_SIZE);
    memset(txs, 0, FAKE_PAGE);
    memset(rxs, 0, FAKE_PAGE);
    SHARED_RING_INIT(txs);
    SHARED_RING_INIT(rxs);
    txs->req_prod = txs->rsp_prod = idx;
    txs->req_event = txs->rsp_event = idx + 1;
    rxs->req_prod = rxs->rsp_prod = idx;
    rxs->req_event = rxs->rsp_event = idx + 1;
    FRONT_RING_ATTACH(&v->tx, txs, idx, FAKE_PAGE);
    FRONT_RING_ATTACH(&v->rx, rxs, idx, FAKE_PAGE);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        fake_die("socketpair");
    if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0 || fcntl(sv[1], F_SETFL, O_NONBLOCK) < 0)
        fake_die("fcntl");
    v->world = sv[1];
    v->link.fd = sv[0];
    snprintf(v->link.desc, sizeof(v->link.desc), "test link");
    v->p = (struct nb_queue_params){
        .name = "test",
        .tx_ring_ref = ref_base,
        .rx_ring_ref = ref_base + 1,
        .fe = { .sg = true, .gso_tcpv4 = true, .gso_tcpv6 = true, .csum = true,
                .ipv6_csum = true },
        .link = &v->link,
    };
}

void fake_vif_start(struct fake_vif *v, bool threaded)
{
    int rc = nb_queue_create(&v->q, fake_transport(v->g, v->tx_port, v->rx_port), &v->p);

    if (rc < 0) {
        fprintf(stderr, "nb_queue_create: %s\n", strerror(-rc));
        abort();
    }
    if (threaded) {
        if (nb_queue_start(v->q) < 0)
            abort();
    } else {
        v->pump = true;
    }
}

void fake_vif_fini(struct fake_vif *v)
{
    nb_queue_destroy(v->q);
    v->q = NULL;
    if (v->g->bad_unmaps) {
        fprintf(stderr, "backend made %ld bad unmap(s)\n", v->g->bad_unmaps);
        abort();
    }
    close(v->link.fd);
    close(v->world);
}

netif_tx_request_t *fake_tx_slot(struct fake_vif *v)
{
    netif_tx_request_t *req;

    if (RING_FULL(&v->tx))
        return NULL;
    req = RING_GET_REQUEST(&v->tx, v->tx.req_prod_pvt);
    v->tx.req_prod_pvt++;
    memset(req, 0, sizeof(*req));
    return req;
}

unsigned int fake_tx_packet(struct fake_vif *v, const uint8_t *frame, size_t len,
                            const struct fake_tx_opts *o)
{
    uint32_t chunk = o && o->chunk ? o->chunk : FAKE_PAGE;
    uint32_t offset = o ? o->offset : 0;
    unsigned int slots = 0, need;
    netif_tx_request_t *first = NULL, *prev = NULL;
    size_t done = 0;

    /* Slots: the first (after offset), the rest in chunks. */
    need = 1 + (o && o->gso_type ? 1 : 0);
    {
        size_t first_len = FAKE_PAGE - offset < chunk ? FAKE_PAGE - offset : chunk;

        if (len > first_len)
            need += (unsigned int)((len - first_len + chunk - 1) / chunk);
    }
    if (RING_FREE_REQUESTS(&v->tx) < need)
        return 0;
    do {
        unsigned int idx = v->tx.req_prod_pvt & (NB_TX_RING_SIZE - 1);
        uint32_t room = (slots == 0 ? FAKE_PAGE - offset : FAKE_PAGE);
        uint32_t n = (uint32_t)(len - done);
        netif_tx_request_t *req = fake_tx_slot(v);

        if (n > chunk)
            n = chunk;
        if (n > room)
            n = room;
        memcpy(fake_tx_page(v, idx) + (slots == 0 ? offset : 0), frame + done, n);
        req->gref = fake_tx_ref(v, idx);
        req->offset = (uint16_t)(slots == 0 ? offset : 0);
        req->id = (uint16_t)idx;
        req->size = (uint16_t)n;
        if (prev)
            prev->flags |= NETTXF_more_data;
        if (slots == 0) {
            first = req;
            req->flags = o ? o->flags : 0;
            req->size = (uint16_t)len;
            if (o && o->gso_type) {
                struct netif_extra_info *x = (struct netif_extra_info *)fake_tx_slot(v);

                first->flags |= NETTXF_extra_info;
                x->type = XEN_NETIF_EXTRA_TYPE_GSO;
                x->u.gso.type = o->gso_type;
                x->u.gso.size = o->gso_size;
            }
        }
        prev = req;
        done += n;
        slots++;
    } while (done < len);
    return slots;
}

void fake_kick(struct fake_vif *v, bool rx)
{
    uint64_t one = 1;

    if (write(v->g->ports[rx ? v->rx_port : v->tx_port].kick, &one, sizeof(one)) != sizeof(one))
        fake_die("kick");
}

void fake_tx_push(struct fake_vif *v)
{
    bool notify;

    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&v->tx, notify);
    if (notify)
        fake_kick(v, false);
}

/* Wait for something from the backend: drive the queue, or sleep on the notification. */
static void wait_a_little(struct fake_vif *v, uint32_t port)
{
    if (v->pump) {
        nb_queue_run_once(v->q, 5);
    } else {
        struct pollfd pfd = { .fd = v->g->ports[port].notify, .events = POLLIN };
        uint64_t n;

        if (poll(&pfd, 1, 5) == 1 && read(pfd.fd, &n, sizeof(n)) < 0) {
            /* Raced with another reader: look at the ring again. */
        }
    }
}

unsigned int fake_tx_responses(struct fake_vif *v, netif_tx_response_t *out, unsigned int n,
                               int timeout_ms)
{
    long deadline = now_ms() + timeout_ms;
    unsigned int got = 0;

    while (got < n) {
        int more;

        RING_FINAL_CHECK_FOR_RESPONSES(&v->tx, more);
        if (more) {
            RING_IDX prod = v->tx.sring->rsp_prod;

            xen_rmb();
            while (v->tx.rsp_cons != prod && got < n) {
                RING_COPY_RESPONSE(&v->tx, v->tx.rsp_cons, &out[got]);
                got++;
                v->tx.rsp_cons++;
            }
            continue;
        }
        if (now_ms() >= deadline)
            break;
        wait_a_little(v, v->tx_port);
    }
    return got;
}

void fake_rx_post(struct fake_vif *v, unsigned int n)
{
    bool notify;

    for (unsigned int i = 0; i < n && !RING_FULL(&v->rx); i++) {
        unsigned int idx = v->rx.req_prod_pvt & (NB_RX_RING_SIZE - 1);
        netif_rx_request_t *req = RING_GET_REQUEST(&v->rx, v->rx.req_prod_pvt);

        req->id = (uint16_t)idx;
        req->gref = fake_rx_ref(v, idx);
        memset(fake_rx_page(v, idx), 0xee, FAKE_PAGE);
        v->rx.req_prod_pvt++;
    }
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&v->rx, notify);
    if (notify)
        fake_kick(v, true);
}

/* The next response, waiting up to the deadline; false on timeout. */
static bool rx_next(struct fake_vif *v, netif_rx_response_t *rsp, long deadline)
{
    for (;;) {
        int more;

        RING_FINAL_CHECK_FOR_RESPONSES(&v->rx, more);
        if (more) {
            xen_rmb();
            RING_COPY_RESPONSE(&v->rx, v->rx.rsp_cons, rsp);
            v->rx.rsp_cons++;
            return true;
        }
        if (now_ms() >= deadline)
            return false;
        wait_a_little(v, v->rx_port);
    }
}

ssize_t fake_rx_packet(struct fake_vif *v, uint8_t *buf, size_t max, struct fake_rx_info *info,
                       int timeout_ms)
{
    long deadline = now_ms() + timeout_ms;
    netif_rx_response_t rsp;
    size_t len = 0;
    bool more;

    memset(info, 0, sizeof(*info));
    if (!rx_next(v, &rsp, deadline))
        return -1;
    info->flags = rsp.flags;
    for (;;) {
        /* Our buffers' ids are their ring index: the page to read. */
        unsigned int idx = rsp.id & (NB_RX_RING_SIZE - 1);

        info->slots++;
        if (rsp.status < 0) {
            if (!info->status)
                info->status = rsp.status;
        } else if (rsp.offset + (uint32_t)rsp.status > FAKE_PAGE || len + rsp.status > max) {
            fprintf(stderr, "rx response out of bounds: offset %u status %d\n", rsp.offset,
                    rsp.status);
            abort();
        } else {
            memcpy(buf + len, fake_rx_page(v, idx) + rsp.offset, (size_t)rsp.status);
            len += (size_t)rsp.status;
        }
        more = rsp.flags & NETRXF_more_data;
        if (info->slots == 1 && (rsp.flags & NETRXF_extra_info)) {
            if (!rx_next(v, &rsp, deadline))
                return -1;
            memcpy(&info->extra, &rsp, sizeof(info->extra));
            info->gso = info->extra.type == XEN_NETIF_EXTRA_TYPE_GSO;
        }
        if (!more)
            break;
        if (!rx_next(v, &rsp, deadline))
            return -1;
    }
    return info->status ? -2 : (ssize_t)len;
}

ssize_t fake_world_recv(struct fake_vif *v, struct virtio_net_hdr *h, uint8_t *buf, size_t max,
                        int timeout_ms)
{
    long deadline = now_ms() + timeout_ms;

    for (;;) {
        struct iovec iov[2] = {
            { .iov_base = h, .iov_len = sizeof(*h) },
            { .iov_base = buf, .iov_len = max },
        };
        ssize_t n = readv(v->world, iov, 2);

        if (n >= 0)
            return n < (ssize_t)sizeof(*h) ? -1 : n - (ssize_t)sizeof(*h);
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        if (now_ms() >= deadline)
            return -1;
        if (v->pump) {
            nb_queue_run_once(v->q, 5);
        } else {
            struct pollfd pfd = { .fd = v->world, .events = POLLIN };

            poll(&pfd, 1, 5);
        }
    }
}

void fake_world_send(struct fake_vif *v, const struct virtio_net_hdr *h, const uint8_t *frame,
                     size_t len)
{
    struct virtio_net_hdr none = { 0 };
    struct iovec iov[2] = {
        { .iov_base = (void *)(h ? h : &none), .iov_len = sizeof(*h) },
        { .iov_base = (void *)frame, .iov_len = len },
    };

    long deadline = now_ms() + 5000;

    /* The engine may be busy (or not pumped yet): wait for room, a while. */
    while (writev(v->world, iov, 2) != (ssize_t)(sizeof(*h) + len)) {
        if ((errno != EAGAIN && errno != EWOULDBLOCK) || now_ms() >= deadline)
            fake_die("world send");
        if (v->pump)
            nb_queue_run_once(v->q, 5);
        else
            usleep(1000);
    }
}

void fake_settle(struct fake_vif *v, int ms)
{
    long deadline = now_ms() + ms;

    while (now_ms() < deadline) {
        if (v->pump)
            nb_queue_run_once(v->q, 5);
        else
            usleep(5000);
    }
}

/* Frames. */

static uint32_t slow_sum(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

static uint16_t slow_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint32_t pseudo(const uint8_t *ip, bool ipv6, uint8_t proto, uint32_t len)
{
    uint32_t sum = ipv6 ? slow_sum(0, ip + 8, 32) : slow_sum(0, ip + 12, 8);

    return sum + proto + (len >> 16) + (len & 0xffff);
}

size_t fake_frame(uint8_t *f, const struct fake_l4 *s)
{
    uint8_t *ip = f + 14, *l4;
    uint32_t l4_len = (s->tcp ? 20 : 8) + s->payload, iplen = s->ipv6 ? 40 : 20;
    uint8_t proto = s->tcp ? 6 : 17;

    memcpy(f, s->dst, 6);
    memcpy(f + 6, s->src, 6);
    put16(f + 12, s->ipv6 ? 0x86dd : 0x0800);
    memset(ip, 0, iplen);
    if (s->ipv6) {
        ip[0] = 0x60;
        put16(ip + 4, (uint16_t)l4_len);
        ip[6] = proto;
        ip[7] = 64;
        ip[8] = 0xfe;
        ip[9] = 0x80;
        ip[23] = s->src[5];
        ip[24] = 0xfe;
        ip[25] = 0x80;
        ip[39] = s->dst[5];
    } else {
        ip[0] = 0x45;
        put16(ip + 2, (uint16_t)(20 + l4_len));
        put16(ip + 4, 0x1234);
        ip[8] = 64;
        ip[9] = proto;
        ip[12] = 10;
        ip[15] = s->src[5];
        ip[16] = 10;
        ip[19] = s->dst[5];
        put16(ip + 10, slow_fold(slow_sum(0, ip, 20)));
    }
    l4 = ip + iplen;
    memset(l4, 0, s->tcp ? 20 : 8);
    put16(l4, 40000);
    put16(l4 + 2, 7);
    if (s->tcp) {
        l4[4] = (uint8_t)(s->seq >> 24);
        l4[5] = (uint8_t)(s->seq >> 16);
        l4[6] = (uint8_t)(s->seq >> 8);
        l4[7] = (uint8_t)s->seq;
        l4[12] = 5 << 4;
        l4[13] = 0x18;                  /* ACK | PSH */
        put16(l4 + 14, 65535);
    } else {
        put16(l4 + 4, (uint16_t)l4_len);
    }
    for (uint32_t i = 0; i < s->payload; i++)
        l4[(s->tcp ? 20 : 8) + i] = (uint8_t)(s->seed + i * 7);
    put16(l4 + (s->tcp ? 16 : 6), slow_fold(slow_sum(pseudo(ip, s->ipv6, proto, l4_len), l4,
                                                     l4_len)));
    return 14 + iplen + l4_len;
}

size_t fake_raw_frame(uint8_t *f, const uint8_t *dst, const uint8_t *src, size_t len, uint8_t seed)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    put16(f + 12, 0x88b5);              /* local experimental EtherType */
    for (size_t i = 14; i < len; i++)
        f[i] = (uint8_t)(seed + i * 3);
    return len;
}

int fake_check_l4(const uint8_t *f, size_t len)
{
    const uint8_t *ip = f + 14, *l4;
    uint32_t l4_len;
    bool ipv6;
    uint8_t proto;

    if (len < 14 + 20)
        return -2;
    if (f[12] == 0x08 && f[13] == 0x00) {
        ipv6 = false;
        l4_len = (uint32_t)(ip[2] << 8 | ip[3]) - (uint32_t)(ip[0] & 15) * 4;
        proto = ip[9];
        l4 = ip + (ip[0] & 15) * 4;
        if (slow_fold(slow_sum(0, ip, (size_t)(ip[0] & 15) * 4)) != 0)
            return -1;
    } else if (f[12] == 0x86 && f[13] == 0xdd && len >= 14 + 40) {
        ipv6 = true;
        l4_len = (uint32_t)(ip[4] << 8 | ip[5]);
        proto = ip[6];
        l4 = ip + 40;
    } else {
        return -2;
    }
    if ((size_t)(l4 - f) + l4_len > len)
        return -2;
    return slow_fold(slow_sum(pseudo(ip, ipv6, proto, l4_len), l4, l4_len)) == 0 ? 0 : -1;
}
