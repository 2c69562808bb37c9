/* tap-driver.c: runs guest-kit's network stack and net-echo's services on a Linux TAP device. */
/* SPDX-License-Identifier: MIT */
/*
 * The host stands in for the guest: frames read from the TAP device go to
 * gk_net_input(), the stack's frames are written back, and the same echo
 * services as guest-kit/examples/net-echo answer. Optionally it also opens a
 * TCP connection itself (gk_tcp_connect) to an echo server on the Linux side
 * and checks what comes back. Used by tap-echo.sh; see there.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "guest-kit/net.h"
#include "../../guest-kit/examples/net-echo/echo-services.h"

static volatile sig_atomic_t stop;
static int tap_fd = -1;
static unsigned int tx_loss_pct, rx_loss_pct;
static uint64_t rng = 0x853c49e6748fea9bull;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* True with probability `pct` percent: this frame is lost. */
static int lost(unsigned int pct)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return pct && rng % 100 < pct;
}

static int tap_transmit(struct gk_netif *netif, const void *frame, size_t len)
{
    (void)netif;
    if (lost(tx_loss_pct))
        return 0;
    if (write(tap_fd, frame, len) < 0)
        return -errno;
    return 0;
}

static int tap_open(const char *name)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0) {
        fprintf(stderr, "tap-driver: cannot open /dev/net/tun: %s\n", strerror(errno));
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        fprintf(stderr, "tap-driver: cannot attach to TAP device %s: %s\n", name,
                strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int parse_ipv4(const char *s, uint32_t *addr, const char **rest)
{
    *rest = gk_ipv4_parse(s, addr);
    return *rest ? 0 : -1;
}

/* ---- The active-open check: send a pattern through the peer's echo server ---- */

struct client {
    struct gk_tcp_conn *conn;
    size_t len, sent, received;
    int done;                       /* 1: all back and closed, -1: failed */
    const char *why;
};

static uint8_t pattern(size_t i)
{
    return (uint8_t)(i * 7 + (i >> 10));
}

static void client_push(struct client *cl)
{
    uint8_t buf[4096];

    while (cl->sent < cl->len) {
        size_t n = cl->len - cl->sent < sizeof(buf) ? cl->len - cl->sent : sizeof(buf);
        int took;

        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(cl->sent + i);
        took = gk_tcp_send(cl->conn, buf, n);
        if (took <= 0)
            return;
        cl->sent += (size_t)took;
    }
    gk_tcp_shutdown(cl->conn);
}

static size_t client_recv(struct gk_tcp_conn *conn, const void *data, size_t len, void *arg)
{
    struct client *cl = arg;
    const uint8_t *d = data;

    for (size_t i = 0; i < len; i++) {
        if (cl->received + i >= cl->len || d[i] != pattern(cl->received + i)) {
            cl->done = -1;
            cl->why = "the echo differs from what was sent";
            gk_tcp_abort(conn);
            return len;
        }
    }
    cl->received += len;
    return len;
}

static void client_sent(struct gk_tcp_conn *conn, size_t acked, void *arg)
{
    client_push(arg);
}

static void client_event(struct gk_tcp_conn *conn, enum gk_tcp_event ev, void *arg)
{
    struct client *cl = arg;

    switch (ev) {
    case GK_TCP_CONNECTED:
        client_push(cl);
        break;
    case GK_TCP_EOF:
        gk_tcp_close(conn);
        cl->done = cl->received == cl->len ? 1 : -1;
        cl->why = "the server closed before echoing everything";
        break;
    case GK_TCP_RESET:
        cl->done = -1;
        cl->why = "reset by the server";
        break;
    case GK_TCP_TIMEOUT:
        cl->done = -1;
        cl->why = "the server stopped answering";
        break;
    }
}

static const struct gk_tcp_callbacks client_callbacks = {
    .recv = client_recv, .sent = client_sent, .event = client_event,
};

static void usage(void)
{
    fprintf(stderr, "usage: tap-driver TAPNAME ADDRESS/PREFIX [--tx-loss PERCENT] "
                    "[--rx-loss PERCENT]\n"
                    "                  [--ready FILE] [--connect ADDRESS:PORT --bytes N] "
                    "[--seconds N]\n");
}

int main(int argc, char **argv)
{
    static struct gk_netif netif;
    static struct echo_counters counters;
    static struct client client;
    static uint8_t frame[65536];
    struct gk_net_config config = { 0 };
    const char *ready = NULL, *rest;
    uint32_t connect_ip = 0;
    unsigned int prefix, seconds = 120, connect_port = 0;
    uint64_t t0, deadline, next, client_start = 0, client_end = 0;
    const struct gk_net_stats *st;
    int rc;

    if (argc < 3 || parse_ipv4(argv[2], &netif.addr, &rest) < 0 ||
        sscanf(rest, "/%u", &prefix) != 1 || prefix < 1 || prefix > 30) {
        usage();
        return 2;
    }
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--tx-loss") && i + 1 < argc) {
            tx_loss_pct = (unsigned int)atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--rx-loss") && i + 1 < argc) {
            rx_loss_pct = (unsigned int)atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--ready") && i + 1 < argc) {
            ready = argv[++i];
        } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            seconds = (unsigned int)atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--bytes") && i + 1 < argc) {
            client.len = strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--connect") && i + 1 < argc) {
            if (parse_ipv4(argv[++i], &connect_ip, &rest) < 0 ||
                sscanf(rest, ":%u", &connect_port) != 1 || !connect_port ||
                connect_port > 65535) {
                usage();
                return 2;
            }
        } else {
            usage();
            return 2;
        }
    }
    tap_fd = tap_open(argv[1]);
    if (tap_fd < 0)
        return 1;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);

    /* A locally administered address, unlikely to meet anything real. */
    memcpy(netif.mac, (const uint8_t[]){ 0x02, 0x6c, 0x61, 0x6d, 0x00, 0x02 }, 6);
    netif.netmask = ~(0xffffffffu >> prefix);
    netif.transmit = tap_transmit;
    config.tcp_max_conns = 32;
    config.tcp_sndbuf = 65536;
    config.tcp_rcvbuf = 65535;
    config.seed = (uint64_t)getpid() << 32 ^ now_ms();
    rc = gk_netif_init(&netif, &config);
    if (rc == 0)
        rc = echo_services_start(&netif, &counters);
    if (rc < 0) {
        fprintf(stderr, "tap-driver: cannot start the stack: error %d\n", rc);
        return 1;
    }
    t0 = now_ms();
    deadline = t0 + (uint64_t)seconds * 1000;
    next = gk_net_poll(&netif, t0);
    if (connect_port) {
        client_start = t0;
        rc = gk_tcp_connect(&netif, connect_ip, (uint16_t)connect_port, &client_callbacks,
                            &client, &client.conn);
        if (rc < 0) {
            fprintf(stderr, "tap-driver: connect: error %d\n", rc);
            return 1;
        }
    }
    if (ready) {
        FILE *f = fopen(ready, "w");

        if (f)
            fclose(f);
    }
    while (!stop && now_ms() < deadline) {
        struct pollfd pfd = { .fd = tap_fd, .events = POLLIN };
        uint64_t now = now_ms();
        int timeout = next <= now ? 0 : next - now > 100 ? 100 : (int)(next - now);

        if (poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
            perror("tap-driver: poll");
            return 1;
        }
        for (int batch = 0; batch < 64; batch++) {
            ssize_t n = read(tap_fd, frame, sizeof(frame));

            if (n < 0)
                break;
            if (!lost(rx_loss_pct))
                gk_net_input(&netif, frame, (size_t)n);
        }
        next = gk_net_poll(&netif, now_ms());
        if (connect_port && client.done && !client_end)
            client_end = now_ms();
    }
    st = gk_net_stats(&netif);
    printf("stack: rx %llu tx %llu frames, tx errors %llu, "
           "bad frame/arp/ip/l4 %llu/%llu/%llu/%llu, bad checksums %llu, fragments %llu\n",
           (unsigned long long)st->rx_frames, (unsigned long long)st->tx_frames,
           (unsigned long long)st->tx_errors, (unsigned long long)st->rx_bad_frame,
           (unsigned long long)st->rx_bad_arp, (unsigned long long)st->rx_bad_ip,
           (unsigned long long)st->rx_bad_l4, (unsigned long long)st->rx_bad_checksum,
           (unsigned long long)st->rx_fragments);
    printf("stack: echo replies %llu, tcp resets %llu, retransmits %llu, out-of-order drops %llu, "
           "arp queue drops %llu\n",
           (unsigned long long)st->icmp_echo_replies, (unsigned long long)st->tcp_resets_sent,
           (unsigned long long)st->tcp_retransmits, (unsigned long long)st->tcp_ooo_drops,
           (unsigned long long)st->arp_queue_drops);
    printf("echo: %llu UDP datagrams, %llu TCP connections, %llu TCP bytes\n",
           (unsigned long long)counters.udp_datagrams,
           (unsigned long long)counters.tcp_connections,
           (unsigned long long)counters.tcp_bytes);
    rc = 0;
    if (connect_port) {
        if (client.done == 1) {
            printf("connect: %zu bytes sent and echoed back in %llu ms\n", client.len,
                   (unsigned long long)(client_end - client_start));
        } else {
            printf("connect: FAILED after %zu bytes sent, %zu back: %s\n", client.sent,
                   client.received, client.why ? client.why : "did not finish in time");
            rc = 1;
        }
    }
    gk_netif_destroy(&netif);
    close(tap_fd);
    return rc;
}
