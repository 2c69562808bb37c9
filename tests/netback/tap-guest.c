/* tap-guest.c: a fake guest on netback's engine and a TAP device: ARP, ping, UDP echo. */
/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fake.h"
#include "frame.h"
#include "tap.h"

/*
 * Usage: tap-guest IFNAME BRIDGE GUEST_IP [--ready FILE] [--seconds N]
 *
 * Run inside a network namespace (tests/netback/tap.sh makes one): the
 * engine serves a fake netfront whose link is a TAP device IFNAME added to
 * BRIDGE; the fake guest, at GUEST_IP, answers ARP, ICMP echo and UDP echo
 * (port 7) by itself. Before saying it is ready, the program checks UDP
 * echo from this namespace's side; then it serves (ping from the script)
 * until SIGTERM or N seconds, prints counters, and exits 0 if nothing was
 * wrong. Exit 2: the TAP device could not be set up (message on stderr).
 */

#define GUEST_DOMID 9
#define ECHO_PORT 7

static const uint8_t guest_mac[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x09 };

struct guest {
    struct fake_vif v;
    uint32_t ip;                /* network order */
    long arp, icmp, udp, csum_blank, bad, tx_partial;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    stop = 1;
}

static void send_frame(struct guest *gu, const uint8_t *f, size_t len, uint16_t flags)
{
    netif_tx_response_t rsp[32];
    struct fake_tx_opts o = { .flags = flags };

    while (fake_tx_responses(&gu->v, rsp, 32, 0)) {
    }
    if (fake_tx_packet(&gu->v, f, len, &o) == 0) {
        gu->bad++;
        return;
    }
    fake_tx_push(&gu->v);
}

static void answer_arp(struct guest *gu, const uint8_t *f, size_t len)
{
    uint8_t r[60] = { 0 };

    /* Ethernet/IPv4 request for our address. */
    if (len < 42 || nb_get16(f + 14) != 1 || nb_get16(f + 16) != 0x0800 ||
        nb_get16(f + 20) != 1 || memcmp(f + 38, &gu->ip, 4))
        return;
    memcpy(r, f + 6, 6);
    memcpy(r + 6, guest_mac, 6);
    nb_put16(r + 12, 0x0806);
    memcpy(r + 14, f + 14, 6);
    nb_put16(r + 20, 2);
    memcpy(r + 22, guest_mac, 6);
    memcpy(r + 28, &gu->ip, 4);
    memcpy(r + 32, f + 22, 10);
    send_frame(gu, r, sizeof(r), 0);
    gu->arp++;
}

/* Turn an IPv4 packet around: addresses swapped, header checksum redone. */
static void swap_ip(uint8_t *r, const uint8_t *f, size_t ihl)
{
    uint8_t *ip = r + 14;

    memcpy(r, f + 6, 6);
    memcpy(r + 6, guest_mac, 6);
    memcpy(ip + 12, f + 14 + 16, 4);
    memcpy(ip + 16, f + 14 + 12, 4);
    ip[8] = 64;
    nb_put16(ip + 10, 0);
    nb_put16(ip + 10, nb_csum_fold(nb_csum_add(0, ip, ihl)));
}

static void answer_ipv4(struct guest *gu, uint8_t *f, size_t len, uint16_t rx_flags)
{
    static uint8_t r[70000];
    const uint8_t *ip = f + 14;
    size_t ihl, total;
    struct nb_l4 l4;

    if (len < 34 || (ip[0] >> 4) != 4 || memcmp(ip + 16, &gu->ip, 4))
        return;
    ihl = (size_t)(ip[0] & 15) * 4;
    total = nb_get16(ip + 2);
    if (ihl < 20 || total < ihl || 14 + total > len || (nb_get16(ip + 6) & 0x3fff))
        return;
    len = 14 + total;
    if (ip[9] == 1 && total >= ihl + 8 && ip[ihl] == 8) {
        /* Echo request: the same data back as an echo reply. */
        if (nb_csum_fold(nb_csum_add(0, ip + ihl, total - ihl)) != 0) {
            gu->bad++;
            return;
        }
        memcpy(r, f, len);
        swap_ip(r, f, ihl);
        r[14 + ihl] = 0;
        nb_put16(r + 14 + ihl + 2, 0);
        nb_put16(r + 14 + ihl + 2, nb_csum_fold(nb_csum_add(0, r + 14 + ihl, total - ihl)));
        send_frame(gu, r, len, NETTXF_data_validated);
        gu->icmp++;
        return;
    }
    if (ip[9] != 17 || nb_frame_parse(f, len, &l4) < 0 || nb_get16(f + l4.l4_off + 2) != ECHO_PORT)
        return;
    /* A blank checksum is the sender's to finish: we do, then check it like any other. */
    if (rx_flags & NETRXF_csum_blank) {
        gu->csum_blank++;
        nb_csum_complete(f, l4.end, l4.l4_off, l4.csum_off);
    }
    if (!nb_csum_verify(f, &l4)) {
        gu->bad++;
        return;
    }
    memcpy(r, f, len);
    swap_ip(r, f, ihl);
    nb_put16(r + l4.l4_off, nb_get16(f + l4.l4_off + 2));
    nb_put16(r + l4.l4_off + 2, nb_get16(f + l4.l4_off));
    /* Every other answer leaves its checksum to the host, as an offloading guest does. */
    if (gu->udp % 2) {
        nb_csum_set_partial(r, &l4);
        send_frame(gu, r, len, NETTXF_csum_blank | NETTXF_data_validated);
        gu->tx_partial++;
    } else {
        uint16_t c;

        nb_put16(r + l4.l4_off + 6, 0);
        c = nb_csum_fold(nb_csum_add(nb_csum_pseudo(r, &l4, l4.l4_len), r + l4.l4_off,
                                     l4.l4_len));
        nb_put16(r + l4.l4_off + 6, c ? c : 0xffff);
        send_frame(gu, r, len, 0);
    }
    gu->udp++;
}

static void *guest_thread(void *arg)
{
    static uint8_t f[70000];
    struct guest *gu = arg;

    fake_rx_post(&gu->v, NB_RX_RING_SIZE);
    while (!stop) {
        struct fake_rx_info info;
        ssize_t n = fake_rx_packet(&gu->v, f, sizeof(f), &info, 100);

        if (n == -1)
            continue;
        fake_rx_post(&gu->v, info.slots + (info.gso ? 1 : 0));
        if (n < 14)
            continue;
        if (nb_get16(f + 12) == 0x0806)
            answer_arp(gu, f, (size_t)n);
        else if (nb_get16(f + 12) == 0x0800)
            answer_ipv4(gu, f, (size_t)n, info.flags);
    }
    return NULL;
}

/* UDP echo through the bridge, the TAP device, the engine and the guest, and back. */
static int udp_check(const char *guest_ip)
{
    static const size_t sizes[] = { 1, 18, 100, 1000, 1472 };
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(ECHO_PORT) };
    char out[1500], in[1600];
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (s < 0 || inet_pton(AF_INET, guest_ip, &sa.sin_addr) != 1 ||
        connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        perror("tap-guest: udp socket");
        return -1;
    }
    for (unsigned int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            struct pollfd pfd = { .fd = s, .events = POLLIN };
            ssize_t n;

            for (size_t k = 0; k < sizes[i]; k++)
                out[k] = (char)(k * 11 + i + round);
            if (send(s, out, sizes[i], 0) != (ssize_t)sizes[i] || poll(&pfd, 1, 3000) != 1) {
                fprintf(stderr, "tap-guest: no UDP echo of %zu bytes\n", sizes[i]);
                close(s);
                return -1;
            }
            n = recv(s, in, sizeof(in), 0);
            if (n != (ssize_t)sizes[i] || memcmp(in, out, sizes[i]) != 0) {
                fprintf(stderr, "tap-guest: bad UDP echo of %zu bytes (got %zd)\n", sizes[i], n);
                close(s);
                return -1;
            }
        }
    }
    close(s);
    return 0;
}

int main(int argc, char **argv)
{
    struct nb_tap_config cfg = { .mtu = 0 };
    struct guest gu = { 0 };
    const char *ready = NULL;
    struct nb_link *link;
    struct fake_guest *g;
    struct nb_queue_stats st;
    pthread_t th;
    char err[300];
    int seconds = 60, rc;

    if (argc < 4) {
        fprintf(stderr, "usage: tap-guest IFNAME BRIDGE GUEST_IP [--ready FILE] [--seconds N]\n");
        return 1;
    }
    for (int i = 4; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--ready"))
            ready = argv[i + 1];
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atoi(argv[i + 1]);
    }
    snprintf(cfg.ifname, sizeof(cfg.ifname), "%s", argv[1]);
    snprintf(cfg.bridge, sizeof(cfg.bridge), "%s", argv[2]);
    if (inet_pton(AF_INET, argv[3], &gu.ip) != 1) {
        fprintf(stderr, "tap-guest: bad address %s\n", argv[3]);
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGALRM, on_signal);
    rc = nb_tap_link_open(&link, &cfg, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "tap-guest: %s\n", err);
        return 2;
    }
    /* Everything the frontend takes, the kernel may send: partial checksums, TSO. */
    link->set_offload(link, true, true, true);
    g = fake_guest_create(FAKE_VIF_PAGES, GUEST_DOMID, FAKE_VIF_PAGES + 8);
    fake_vif_init(&gu.v, g, 0, 0, 1, 2, 0);
    close(gu.v.link.fd);
    close(gu.v.world);
    gu.v.world = -1;
    gu.v.p.link = link;
    gu.v.p.name = cfg.ifname;
    fake_vif_start(&gu.v, true);
    if (pthread_create(&th, NULL, guest_thread, &gu) != 0)
        return 1;
    rc = udp_check(argv[3]);
    if (rc == 0 && ready) {
        int fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

        if (fd >= 0)
            close(fd);
    }
    if (rc == 0) {
        alarm((unsigned int)seconds);
        while (!stop)
            pause();
    }
    stop = 1;
    pthread_join(th, NULL);
    nb_queue_stats(gu.v.q, &st);
    printf("tap-guest: arp %ld icmp %ld udp %ld (blank checksums in %ld, left to the host in "
           "%ld) bad %ld; engine tx %llu rx %llu dropped %llu/%llu errors %llu/%llu\n",
           gu.arp, gu.icmp, gu.udp, gu.csum_blank, gu.tx_partial, gu.bad,
           (unsigned long long)st.tx_packets, (unsigned long long)st.rx_packets,
           (unsigned long long)st.tx_dropped, (unsigned long long)st.rx_dropped,
           (unsigned long long)st.tx_errors, (unsigned long long)st.rx_errors);
    nb_queue_destroy(gu.v.q);
    nb_link_close(link);
    fake_guest_destroy(g);
    return rc == 0 && gu.bad == 0 && st.tx_errors == 0 && st.rx_errors == 0 ? 0 : 1;
}
