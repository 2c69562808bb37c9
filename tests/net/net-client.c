/* net-client.c: Linux's side of tap-echo.sh: ping, UDP and TCP echo clients, a TCP echo server. */
/* SPDX-License-Identifier: MIT */
/*
 *   net-client ping ADDRESS COUNT              ICMP echo through a raw socket (needs root)
 *   net-client udp ADDRESS PORT COUNT          datagrams of many sizes, each echo compared
 *   net-client tcp ADDRESS PORT BYTES CONNS [ROUNDS]
 *                                              CONNS connections at once, ROUNDS times in a
 *                                              row, each sending BYTES and comparing the echo
 *   net-client serve PORT                      echoes one TCP connection, then exits
 *
 * Every mode gives up after 60 seconds. Exit status 0 when everything matched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TCP_CONNS_MAX 16

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_addr(const char *s, unsigned int port, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, s, &sa->sin_addr) != 1) {
        fprintf(stderr, "net-client: \"%s\" is not an IPv4 address\n", s);
        return -1;
    }
    return 0;
}

static uint16_t icmp_csum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;

    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static int do_ping(const char *addr, int count)
{
    struct sockaddr_in sa;
    uint16_t id = (uint16_t)getpid();
    int fd, ok = 0;

    if (parse_addr(addr, 0, &sa) < 0)
        return 2;
    fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (fd < 0) {
        perror("net-client: ping: raw socket");
        return 1;
    }
    for (int seq = 1; seq <= count; seq++) {
        uint8_t req[64], buf[2048];
        uint16_t c;
        double start = now_s(), rtt = -1;

        memset(req, 0, sizeof(req));
        req[0] = ICMP_ECHO;
        req[4] = (uint8_t)(id >> 8);
        req[5] = (uint8_t)id;
        req[6] = (uint8_t)(seq >> 8);
        req[7] = (uint8_t)seq;
        for (size_t i = 8; i < sizeof(req); i++)
            req[i] = (uint8_t)(i + seq);
        c = icmp_csum(req, sizeof(req));
        req[2] = (uint8_t)(c >> 8);
        req[3] = (uint8_t)c;
        if (sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            perror("net-client: ping: sendto");
            return 1;
        }
        while (rtt < 0 && now_s() - start < 2.0) {
            struct pollfd pfd = { .fd = fd, .events = POLLIN };
            ssize_t n;
            size_t ihl;

            if (poll(&pfd, 1, 100) <= 0)
                continue;
            n = recv(fd, buf, sizeof(buf), 0);
            if (n < 20)
                continue;
            ihl = (size_t)(buf[0] & 0xf) * 4;
            if ((size_t)n != ihl + sizeof(req) || buf[ihl] != ICMP_ECHOREPLY ||
                memcmp(buf + ihl + 4, req + 4, 4))
                continue;
            if (memcmp(buf + ihl + 8, req + 8, sizeof(req) - 8) ||
                icmp_csum(buf + ihl, sizeof(req)) != 0) {
                fprintf(stderr, "net-client: ping: reply %d has a bad payload or checksum\n",
                        seq);
                return 1;
            }
            rtt = (now_s() - start) * 1000;
        }
        if (rtt >= 0) {
            ok++;
            printf("64 bytes from %s: icmp_seq=%d time=%.3f ms\n", addr, seq, rtt);
        } else {
            printf("no reply from %s for icmp_seq=%d\n", addr, seq);
        }
    }
    printf("ping: %d of %d answered\n", ok, count);
    return ok == count ? 0 : 1;
}

static int do_udp(const char *addr, unsigned int port, int count)
{
    struct sockaddr_in sa;
    int fd, ok = 0;
    uint8_t out[1472], in[2048];

    if (parse_addr(addr, port, &sa) < 0)
        return 2;
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        perror("net-client: udp");
        return 1;
    }
    for (int i = 0; i < count; i++) {
        size_t len = (size_t)(i * 397) % sizeof(out) + 1;
        int got = 0;

        if (i == count - 1)
            len = sizeof(out);              /* the largest that fits a 1500-byte MTU */
        for (size_t k = 0; k < len; k++)
            out[k] = (uint8_t)(k ^ i);
        for (int attempt = 0; attempt < 3 && !got; attempt++) {
            double start = now_s();

            if (send(fd, out, len, 0) < 0) {
                perror("net-client: udp: send");
                return 1;
            }
            while (!got && now_s() - start < 1.0) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                ssize_t n;

                if (poll(&pfd, 1, 100) <= 0)
                    continue;
                n = recv(fd, in, sizeof(in), 0);
                if (n == (ssize_t)len && !memcmp(in, out, len))
                    got = 1;
                else if (n >= 0)
                    fprintf(stderr, "net-client: udp: datagram %d: %zd bytes back, "
                                    "want %zu equal ones\n", i, n, len);
            }
        }
        ok += got;
    }
    printf("udp: %d of %d datagrams echoed intact\n", ok, count);
    return ok == count ? 0 : 1;
}

struct tcp_conn {
    int fd;
    size_t sent, received;
    int write_done, eof;
};

static uint8_t tcp_pattern(unsigned int conn, size_t i)
{
    return (uint8_t)(i * 13 + conn * 29 + (i >> 12));
}

static int tcp_round(const struct sockaddr_in *sa, size_t bytes, unsigned int conns)
{
    struct tcp_conn c[TCP_CONNS_MAX];
    unsigned int open_conns = conns;

    for (unsigned int i = 0; i < conns; i++) {
        memset(&c[i], 0, sizeof(c[i]));
        c[i].fd = socket(AF_INET, SOCK_STREAM, 0);
        if (c[i].fd < 0 || connect(c[i].fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
            perror("net-client: tcp: connect");
            return -1;
        }
        fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
    }
    while (open_conns) {
        struct pollfd pfd[TCP_CONNS_MAX];

        for (unsigned int i = 0; i < conns; i++) {
            pfd[i].fd = c[i].eof ? -1 : c[i].fd;
            pfd[i].events = (short)(POLLIN | (c[i].write_done ? 0 : POLLOUT));
        }
        /* Linux's retransmission timer backs off to seconds on a lossy link. */
        if (poll(pfd, conns, 20000) <= 0) {
            fprintf(stderr, "net-client: tcp: no progress for 20 s\n");
            return -1;
        }
        for (unsigned int i = 0; i < conns; i++) {
            uint8_t buf[65536];

            if (!c[i].write_done && (pfd[i].revents & POLLOUT)) {
                size_t n = bytes - c[i].sent < sizeof(buf) ? bytes - c[i].sent : sizeof(buf);
                ssize_t w;

                for (size_t k = 0; k < n; k++)
                    buf[k] = tcp_pattern(i, c[i].sent + k);
                w = write(c[i].fd, buf, n);
                if (w < 0 && errno != EAGAIN) {
                    perror("net-client: tcp: write");
                    return -1;
                }
                if (w > 0)
                    c[i].sent += (size_t)w;
                if (c[i].sent == bytes) {
                    shutdown(c[i].fd, SHUT_WR);
                    c[i].write_done = 1;
                }
            }
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t r = read(c[i].fd, buf, sizeof(buf));

                if (r < 0 && errno != EAGAIN) {
                    perror("net-client: tcp: read");
                    return -1;
                }
                for (ssize_t k = 0; k < r; k++) {
                    if (c[i].received + (size_t)k >= bytes ||
                        buf[k] != tcp_pattern(i, c[i].received + (size_t)k)) {
                        fprintf(stderr, "net-client: tcp: connection %u: byte %zu differs\n",
                                i, c[i].received + (size_t)k);
                        return -1;
                    }
                }
                if (r > 0)
                    c[i].received += (size_t)r;
                if (r == 0) {
                    if (c[i].received != bytes) {
                        fprintf(stderr, "net-client: tcp: connection %u closed after %zu of "
                                        "%zu bytes\n", i, c[i].received, bytes);
                        return -1;
                    }
                    c[i].eof = 1;
                    close(c[i].fd);
                    open_conns--;
                }
            }
        }
    }
    return 0;
}

static int do_tcp(const char *addr, unsigned int port, size_t bytes, unsigned int conns,
                  unsigned int rounds)
{
    struct sockaddr_in sa;
    double start, secs;

    if (parse_addr(addr, port, &sa) < 0)
        return 2;
    if (conns < 1 || conns > TCP_CONNS_MAX || rounds < 1) {
        fprintf(stderr, "net-client: tcp: 1 to %d connections, at least one round\n",
                TCP_CONNS_MAX);
        return 2;
    }
    start = now_s();
    for (unsigned int r = 0; r < rounds; r++)
        if (tcp_round(&sa, bytes, conns) < 0)
            return 1;
    secs = now_s() - start;
    printf("tcp: %u round(s) of %u connection(s) x %zu bytes echoed intact in %.3f s: "
           "%.2f MB/s each way\n", rounds, conns, bytes, secs,
           (double)bytes * conns * rounds / secs / 1e6);
    return 0;
}

static int do_serve(unsigned int port)
{
    struct sockaddr_in sa;
    int one = 1, lfd, fd;
    uint8_t buf[65536];
    size_t total = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0) {
        perror("net-client: serve");
        return 1;
    }
    fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
        perror("net-client: serve: accept");
        return 1;
    }
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));

        if (n < 0) {
            perror("net-client: serve: read");
            return 1;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(fd, buf + off, (size_t)(n - off));

            if (w < 0) {
                perror("net-client: serve: write");
                return 1;
            }
            off += w;
        }
        total += (size_t)n;
    }
    close(fd);
    close(lfd);
    printf("serve: echoed %zu bytes\n", total);
    return 0;
}

int main(int argc, char **argv)
{
    alarm(60);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 4 && !strcmp(argv[1], "ping"))
        return do_ping(argv[2], atoi(argv[3]));
    if (argc == 5 && !strcmp(argv[1], "udp"))
        return do_udp(argv[2], (unsigned int)atoi(argv[3]), atoi(argv[4]));
    if ((argc == 6 || argc == 7) && !strcmp(argv[1], "tcp"))
        return do_tcp(argv[2], (unsigned int)atoi(argv[3]), strtoul(argv[4], NULL, 10),
                      (unsigned int)atoi(argv[5]),
                      argc == 7 ? (unsigned int)atoi(argv[6]) : 1);
    if (argc == 3 && !strcmp(argv[1], "serve"))
        return do_serve((unsigned int)atoi(argv[2]));
    fprintf(stderr, "usage: net-client ping ADDRESS COUNT | udp ADDRESS PORT COUNT |\n"
                    "       tcp ADDRESS PORT BYTES CONNS [ROUNDS] | serve PORT\n");
    return 2;
}
