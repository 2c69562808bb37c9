/* netbench-host.c: the host's side of the netfront benchmark: UDP bursts out, bursts counted. */
/* SPDX-License-Identifier: MIT */
/*
 *   netbench-host recv PORT BURSTS TIMEOUT
 *       counts the datagrams arriving at UDP port PORT; a burst ends after
 *       300 ms without one (or when the size changes) and is printed as
 *       tests/netfront/netbench prints it; exits after BURSTS bursts of
 *       more than 1000 datagrams, or TIMEOUT seconds
 *   netbench-host send ADDRESS PORT SIZES SECS
 *       sends a burst of SECS seconds per size (comma-separated UDP payload
 *       sizes) to ADDRESS:PORT as fast as the socket takes them, a second
 *       apart
 *
 * Used by tests/netfront/run-bench.sh against guests and, as the floor,
 * between two network namespaces over a veth pair.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BURST_GAP_NS    300000000ull
#define BATCH           64
#define MAX_PAYLOAD     1472
#define MIN_BURST       1000

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void report(const char *dir, size_t size, uint64_t pkts, uint64_t ns, const char *tail)
{
    double s = ns ? (double)ns / 1e9 : 1e-9;

    printf("NETBENCH %s size=%zu pkts=%llu ms=%llu pps=%.0f mbit=%.1f%s\n", dir, size,
           (unsigned long long)pkts, (unsigned long long)(ns / 1000000), (double)pkts / s,
           (double)pkts * (double)size * 8 / s / 1e6, tail);
    fflush(stdout);
}

static int udp_socket(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), big = 8 << 20;

    if (fd < 0) {
        perror("netbench-host: socket");
        exit(1);
    }
    /* Room for a burst while the other side is descheduled; the limits may cap it. */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
    return fd;
}

static unsigned long number(const char *s, const char *what, unsigned long max)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max) {
        fprintf(stderr, "netbench-host: %s '%s' is not a number up to %lu\n", what, s, max);
        exit(2);
    }
    return v;
}

static int do_recv(unsigned long port, unsigned long bursts, unsigned long timeout)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    static char bufs[BATCH][MAX_PAYLOAD + 1];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    uint64_t pkts = 0, first = 0, last = 0, end = now_ns() + timeout * 1000000000ull;
    size_t size = 0;
    unsigned long done = 0;
    int fd = udp_socket();

    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        perror("netbench-host: bind");
        return 1;
    }
    for (int i = 0; i < BATCH; i++) {
        iov[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = sizeof(bufs[i]) };
        msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
    }
    printf("NETBENCH listening on %lu\n", port);
    fflush(stdout);
    while (done < bursts && now_ns() < end) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int n;

        if (poll(&p, 1, 50) < 0 && errno != EINTR) {
            perror("netbench-host: poll");
            return 1;
        }
        n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
        for (int i = 0; i < n; i++) {
            uint64_t t = now_ns();
            size_t len = msgs[i].msg_len;

            if (pkts && len != size) {
                report("rx", size, pkts, last - first, "");
                done += pkts > MIN_BURST;
                pkts = 0;
            }
            if (!pkts) {
                first = t;
                size = len;
            }
            pkts++;
            last = t;
        }
        if (pkts && now_ns() - last > BURST_GAP_NS) {
            report("rx", size, pkts, last - first, "");
            done += pkts > MIN_BURST;
            pkts = 0;
        }
    }
    return 0;
}

static int do_send(const char *addr, unsigned long port, const char *sizes, unsigned long secs)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    static char payload[MAX_PAYLOAD];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    int fd = udp_socket();
    char *list = strdup(sizes), *save = NULL;

    if (!list || inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "netbench-host: '%s' is not an IPv4 address\n", addr);
        return 2;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        perror("netbench-host: connect");
        return 1;
    }
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        size_t size = number(tok, "size", MAX_PAYLOAD);
        uint64_t start = now_ns(), end = start + secs * 1000000000ull, pkts = 0, t = start;
        uint64_t full = 0;
        char tail[48];

        for (int i = 0; i < BATCH; i++) {
            iov[i] = (struct iovec){ .iov_base = payload, .iov_len = size };
            msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
        }
        while (t < end) {
            int n = sendmmsg(fd, msgs, BATCH, 0);

            if (n > 0) {
                pkts += (uint64_t)n;
            } else if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED) {
                /* A full queue, or an ICMP error for an earlier datagram: go on. */
                full++;
            } else {
                perror("netbench-host: sendmmsg");
                return 1;
            }
            t = now_ns();
        }
        snprintf(tail, sizeof(tail), " nobufs=%llu", (unsigned long long)full);
        report("tx", size, pkts, t - start, tail);
        usleep(1000000);
    }
    free(list);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "recv"))
        return do_recv(number(argv[2], "port", 65535), number(argv[3], "bursts", 1000),
                       number(argv[4], "timeout", 3600));
    if (argc == 6 && !strcmp(argv[1], "send"))
        return do_send(argv[2], number(argv[3], "port", 65535), argv[4],
                       number(argv[5], "seconds", 3600));
    fprintf(stderr, "usage: netbench-host recv PORT BURSTS TIMEOUT\n"
                    "       netbench-host send ADDRESS PORT SIZES SECS\n");
    return 2;
}
