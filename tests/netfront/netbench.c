/* netbench.c: netfront benchmark guest: UDP bursts out, received bursts counted. */
/* SPDX-License-Identifier: MIT */
/*
 * Arguments (extra = "key=value ..."):
 *   ip=A.B.C.D/LEN        the address of the first interface
 *   to=A.B.C.D            send bursts there (UDP port `port`), one per size
 *   sizes=N,N,...         UDP payload sizes of the bursts (default 18,1472)
 *   secs=N                length of each burst (default 3)
 *   port=N                the UDP port (default 9000)
 *   raw=1                 after the bursts through gk_udp_sendto() (the stack's
 *                         cost too: headers and the UDP checksum per datagram),
 *                         the same sizes as ready-made frames through
 *                         gk_netfront_send() (the driver's cost alone)
 *
 * It always counts the UDP datagrams arriving at `port`, as the driver
 * hands them over (headers read, checksums not verified: the rate is
 * netfront's, not the stack's); other frames go to the stack. A burst ends
 * after 300 ms without one, and is reported as
 *   NETBENCH rx size=S pkts=N ms=M pps=P mbit=B
 * (first to last datagram; mbit counts UDP payload). Sending, each burst as
 *   NETBENCH tx size=S pkts=N ms=M pps=P mbit=B nobufs=K
 * then "NETBENCH sender done". At start it prints what a guest instruction
 * costs here (guests run under KVM's instruction emulator on the project's
 * machines, so every rate scales with it). Runs until shut down.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guest-kit/guest-kit.h>
#include <guest-kit/net.h>
#include <guest-kit/netfront.h>
#include <guest-kit/xenbus.h>

#include "gtest.h"

const char gk_program_name[] = "netbench";

#define MS              1000000ull
#define SEC             1000000000ull
#define BURST_GAP_NS    (300 * MS)
#define MAX_SIZES       8
#define SRC_PORT        9001

static struct gk_netif netif;
static uint16_t bench_port;
static uint32_t peer_ip;
static uint8_t peer_mac[6];
static bool have_peer_mac;
static int (*stack_transmit)(struct gk_netif *netif, const void *frame, size_t len);
static uint8_t payload[1472];
static volatile bool stop;

static struct {
    uint64_t pkts, bytes, first, last;
    size_t size;
} rx;

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* Rates with one decimal, from integers: the guest has no floating point. */
static void report(const char *dir, size_t size, uint64_t pkts, uint64_t bytes, uint64_t ns,
                   const char *tail)
{
    uint64_t us = ns / 1000 ? ns / 1000 : 1;
    uint64_t pps = pkts * 1000000 / us, dmbit = bytes * 8 * 10 / us;

    printf("NETBENCH %s size=%zu pkts=%llu ms=%llu pps=%llu mbit=%llu.%llu%s\n", dir, size,
           (unsigned long long)pkts, (unsigned long long)(ns / MS), (unsigned long long)pps,
           (unsigned long long)(dmbit / 10), (unsigned long long)(dmbit % 10), tail);
}

static void rx_end(void)
{
    if (!rx.pkts)
        return;
    report("rx", rx.size, rx.pkts, rx.bytes, rx.last - rx.first, "");
    memset(&rx, 0, sizeof(rx));
}

static void count_datagram(size_t len)
{
    uint64_t now = gk_monotonic_ns();

    if (rx.pkts && (now - rx.last > BURST_GAP_NS || len != rx.size))
        rx_end();
    if (!rx.pkts) {
        rx.first = now;
        rx.size = len;
    }
    rx.pkts++;
    rx.bytes += len;
    rx.last = now;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* UDP over IPv4 (no options) to our port is counted here; the rest goes to the stack. */
static void on_frame(struct gk_netfront *nf, const void *frame, size_t len, void *arg)
{
    const uint8_t *f = frame;

    (void)nf;
    (void)arg;
    if (len >= 42 && get16(f + 12) == 0x0800 && f[14] == 0x45 && f[23] == 17 &&
        get16(f + 36) == bench_port && get16(f + 38) >= 8 && 34u + get16(f + 38) <= len) {
        count_datagram(get16(f + 38) - 8u);
        return;
    }
    gk_net_input(&netif, frame, len);
}

/* What reaches the stack anyway (IP options, say) counts the same. */
static void on_datagram(struct gk_netif *n, uint32_t src, uint16_t src_port, uint16_t dst_port,
                        const void *data, size_t len, void *arg)
{
    (void)n;
    (void)src;
    (void)src_port;
    (void)dst_port;
    (void)data;
    (void)arg;
    count_datagram(len);
}

/* Frames in, the stack's timers, a burst that went quiet reported; waits until `until`. */
static void run(uint64_t until)
{
    struct gk_netfront *nf = gk_netfront_netif_device(&netif);

    do {
        uint64_t now = gk_monotonic_ns(), next;

        if (rx.pkts && now - rx.last > BURST_GAP_NS)
            rx_end();
        next = gk_net_poll(&netif, now / MS) * MS;
        if (rx.pkts && rx.last + BURST_GAP_NS + MS < next)
            next = rx.last + BURST_GAP_NS + MS;
        if (until < next)
            next = until;
        if (gk_netfront_receive(nf, on_frame, NULL, 0) <= 0) {
            gk_netfront_wait(next);
            gk_netfront_receive(nf, on_frame, NULL, 0);
        }
    } while (gk_monotonic_ns() < until && !stop);
}

/* The stack's frames to the peer tell its MAC address (the stack resolved it). */
static int transmit(struct gk_netif *n, const void *frame, size_t len)
{
    const uint8_t *f = frame;

    if (len >= 34 && get16(f + 12) == 0x0800 &&
        (uint32_t)(f[30] << 24 | f[31] << 16 | f[32] << 8 | f[33]) == peer_ip) {
        memcpy(peer_mac, f, 6);
        have_peer_mac = true;
    }
    return stack_transmit(n, frame, len);
}

/* The frame gk_udp_sendto() would make, built once: for raw=1. */
static size_t make_frame(uint8_t *f, uint32_t to, uint16_t port, size_t size)
{
    uint32_t sum = 0;
    size_t len = 42 + size;

    if (!have_peer_mac)
        return 0;
    memcpy(f, peer_mac, 6);
    memcpy(f + 6, netif.mac, 6);
    put16(f + 12, 0x0800);
    f[14] = 0x45;
    f[15] = 0;
    put16(f + 16, (uint16_t)(28 + size));
    put16(f + 18, 0);
    put16(f + 20, 0x4000);
    f[22] = 64;
    f[23] = 17;
    put16(f + 24, 0);
    put32(f + 26, netif.addr);
    put32(f + 30, to);
    for (int i = 14; i < 34; i += 2)
        sum += get16(f + i);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    put16(f + 24, (uint16_t)~sum);
    put16(f + 34, SRC_PORT);
    put16(f + 36, port);
    put16(f + 38, (uint16_t)(8 + size));
    put16(f + 40, 0);           /* no UDP checksum: allowed over IPv4 */
    memcpy(f + 42, payload, size);
    return len < 60 ? 60 : len;
}

/* Emulated instructions dominate every rate here: what one costs, in this run. */
static void measure_instruction(void)
{
    volatile uint64_t x = 0;
    uint64_t t0 = gk_monotonic_ns();

    /* Each round is 5 instructions (load, add, store, decrement, branch). */
    for (unsigned int i = 0; i < 20000; i++)
        x = x + 1;
    printf("NETBENCH floor: %llu ns per guest instruction (100000 instructions)\n",
           (unsigned long long)((gk_monotonic_ns() - t0) / 100000));
}

static void burst(uint32_t to, uint16_t port, size_t size, uint64_t ns, bool raw)
{
    static uint8_t frame[1514];
    struct gk_netfront *nf = gk_netfront_netif_device(&netif);
    uint64_t pkts = 0, nobufs = 0, start = gk_monotonic_ns(), end = start + ns, now = start;
    size_t flen = raw ? make_frame(frame, to, port, size) : 0;
    char tail[48];

    if (raw && !flen) {
        printf("netbench: no ARP entry for the destination: cannot build raw frames\n");
        return;
    }
    while (now < end) {
        int rc = raw ? gk_netfront_send(nf, frame, flen)
                     : gk_udp_sendto(&netif, SRC_PORT, to, port, payload, size);

        if (rc == 0) {
            pkts++;
        } else if (rc == -ENOBUFS) {
            /* The ring or transmit area is full: let the backend catch up. */
            nobufs++;
            gk_netfront_wait(end);
        } else {
            printf("netbench: sending failed (%d)\n", rc);
            break;
        }
        /* What came in meanwhile (ARP, the peer's traffic), without waiting. */
        if ((pkts & 63) == 0)
            gk_netfront_netif_input(&netif);
        now = gk_monotonic_ns();
    }
    gk_netfront_flush(nf);
    snprintf(tail, sizeof(tail), " nobufs=%llu%s", (unsigned long long)nobufs,
             raw ? " raw" : "");
    report("tx", size, pkts, pkts * size, now - start, tail);
}

static void on_shutdown(const char *request, void *arg)
{
    (void)request;
    (void)arg;
    stop = true;
}

int main(int argc, char **argv)
{
    const char *ip = gt_arg(argc, argv, "ip"), *to_s = gt_arg(argc, argv, "to");
    const char *sizes_s = gt_arg(argc, argv, "sizes"), *rest;
    uint64_t secs = gt_arg_num(argc, argv, "secs", 3);
    uint16_t port = (uint16_t)gt_arg_num(argc, argv, "port", 9000);
    bool raw = gt_arg_num(argc, argv, "raw", 0) != 0;
    size_t sizes[MAX_SIZES] = { 18, 1472 };
    unsigned int nsizes = 2;
    struct gk_net_config cfg = { .seed = gk_rdtsc() };
    uint32_t devid, to = 0;
    unsigned long len;
    int rc;

    if (!ip || !(rest = gk_ipv4_parse(ip, &netif.addr)) || *rest != '/')
        gk_panic("give ip=A.B.C.D/LEN");
    len = strtoul(rest + 1, NULL, 10);
    if (len < 1 || len > 32)
        gk_panic("bad prefix in '%s'", ip);
    netif.netmask = len == 32 ? 0xffffffffu : ~(0xffffffffu >> len);
    if (to_s && !gk_ipv4_parse(to_s, &to))
        gk_panic("to=%s is not an address", to_s);
    if (sizes_s) {
        char *end;

        for (nsizes = 0; *sizes_s && nsizes < MAX_SIZES; sizes_s = *end ? end + 1 : end) {
            sizes[nsizes] = strtoul(sizes_s, &end, 10);
            if (end == sizes_s || sizes[nsizes] < 1 || sizes[nsizes] > sizeof(payload))
                gk_panic("sizes: 1 to %zu bytes, comma-separated", sizeof(payload));
            nsizes++;
        }
    }
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 7);
    gk_xenbus_on_shutdown(on_shutdown, NULL);

    rc = gk_netfront_list(&devid, 1);
    if (rc < 1)
        gk_panic("no network interface (%d)", rc);
    rc = gk_netfront_netif_attach(&netif, devid, NULL);
    stack_transmit = netif.transmit;
    netif.transmit = transmit;
    peer_ip = to;
    if (rc == 0)
        rc = gk_netif_init(&netif, &cfg);
    if (rc == 0)
        rc = gk_udp_bind(&netif, port, on_datagram, NULL);
    bench_port = port;
    if (rc < 0)
        gk_panic("cannot bring the interface up (%d)", rc);
    measure_instruction();
    printf("NETBENCH up vif %u\n", devid);

    if (to) {
        /* A few datagrams first, so that ARP is done before the clock runs. */
        for (int i = 0; i < 5; i++) {
            gk_udp_sendto(&netif, SRC_PORT, to, port, payload, 1);
            run(gk_monotonic_ns() + 100 * MS);
        }
        run(gk_monotonic_ns() + 500 * MS);
        for (unsigned int r = 0; r < (raw ? 2u : 1u); r++) {
            for (unsigned int i = 0; i < nsizes && !stop; i++) {
                burst(to, port, sizes[i], secs * SEC, r == 1);
                run(gk_monotonic_ns() + SEC);
            }
        }
        printf("NETBENCH sender done\n");
    }
    while (!stop)
        run(gk_monotonic_ns() + SEC);
    rx_end();
    gk_netif_destroy(&netif);
    gk_netfront_netif_detach(&netif);
    return 0;
}
