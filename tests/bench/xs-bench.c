/* xs-bench.c: lamina-xenstored benchmark: throughput and watch latency over the socket. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

/*
 * With -x the benchmark starts its own daemon (in --fake-domains mode) in a
 * temporary directory; otherwise it uses the daemon at XENSTORED_PATH, which
 * must run with --fake-domains. N fake guests are introduced, each with its
 * home /local/domain/<id> (owned by it), one connection that speaks for it
 * (CONTROL attach-domain) and a relative watch on "device".
 */

static struct {
    const char *daemon;
    unsigned int domains;
    double seconds;
    unsigned int latency_samples;
    char dir[64];
    pid_t pid;
} cfg = { .domains = 100, .seconds = 1.0, .latency_samples = 2000, .pid = -1 };

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "xs-bench: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void stop_daemon(void)
{
    char path[128];
    FILE *f;
    int pid;

    if (!cfg.dir[0])
        return;
    snprintf(path, sizeof(path), "%s/pid", cfg.dir);
    f = fopen(path, "r");
    if (f && fscanf(f, "%d", &pid) == 1)
        kill(pid, SIGTERM);
    if (f)
        fclose(f);
    usleep(100000);
    unlink(path);
    snprintf(path, sizeof(path), "%s/log", cfg.dir);
    unlink(path);
    rmdir(cfg.dir);
}

static void start_daemon(void)
{
    char sock[128], pidf[128], logf[128];
    int status;
    pid_t pid;

    snprintf(cfg.dir, sizeof(cfg.dir), "/tmp/xs-bench-XXXXXX");
    if (!mkdtemp(cfg.dir))
        die("mkdtemp");
    snprintf(sock, sizeof(sock), "%s/socket", cfg.dir);
    snprintf(pidf, sizeof(pidf), "%s/pid", cfg.dir);
    snprintf(logf, sizeof(logf), "%s/log", cfg.dir);
    setenv("XENSTORED_PATH", sock, 1);
    pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        execl(cfg.daemon, cfg.daemon, "--fake-domains", "-p", pidf, "-l", logf, (char *)NULL);
        _exit(127);
    }
    /* The daemon's first process exits once the socket is ready. */
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "xs-bench: %s did not start\n", cfg.daemon);
        exit(1);
    }
    atexit(stop_daemon);
}

static void raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static struct xs_handle *open_or_die(void)
{
    struct xs_handle *h = xs_open(0);

    if (!h)
        die("xs_open (is the daemon running with --fake-domains?)");
    return h;
}

static void must(bool ok, const char *what)
{
    if (!ok)
        die(what);
}

static struct xs_handle **guests;

static void setup_domains(struct xs_handle *d0)
{
    char path[64], id[16];

    guests = calloc(cfg.domains + 1, sizeof(*guests));
    if (!guests)
        die("calloc");
    for (unsigned int i = 1; i <= cfg.domains; i++) {
        struct xs_permissions p = { .id = i, .perms = XS_PERM_NONE };
        char *r;

        must(xs_introduce_domain(d0, i, 0, 1), "INTRODUCE");
        snprintf(path, sizeof(path), "/local/domain/%u", i);
        must(xs_mkdir(d0, XBT_NULL, path), "MKDIR");
        must(xs_set_permissions(d0, XBT_NULL, path, &p, 1), "SET_PERMS");
        snprintf(path, sizeof(path), "/local/domain/%u/name", i);
        snprintf(id, sizeof(id), "guest-%u", i);
        must(xs_write(d0, XBT_NULL, path, id, (unsigned int)strlen(id)), "WRITE");
        guests[i] = open_or_die();
        snprintf(id, sizeof(id), "%u", i);
        r = xs_control_command(guests[i], "attach-domain", id, (unsigned int)strlen(id) + 1);
        if (!r)
            die("CONTROL attach-domain");
        free(r);
        must(xs_watch(guests[i], "device", "dev"), "WATCH");
        free(xs_read_watch(guests[i], NULL));
    }
}

typedef bool (*op_fn)(unsigned long k);
static struct xs_handle *dom0;

static bool dom0_read(unsigned long k)
{
    char path[64];
    char *v;

    snprintf(path, sizeof(path), "/local/domain/%lu/name", k % cfg.domains + 1);
    v = xs_read(dom0, XBT_NULL, path, NULL);
    free(v);
    return v != NULL;
}

static bool dom0_write(unsigned long k)
{
    char path[64];

    snprintf(path, sizeof(path), "/local/domain/%lu/bench", k % cfg.domains + 1);
    return xs_write(dom0, XBT_NULL, path, "value", 5);
}

static bool guest_read(unsigned long k)
{
    char *v = xs_read(guests[k % cfg.domains + 1], XBT_NULL, "name", NULL);

    free(v);
    return v != NULL;
}

static bool guest_write(unsigned long k)
{
    return xs_write(guests[k % cfg.domains + 1], XBT_NULL, "data", "value", 5);
}

static bool dom0_txn(unsigned long k)
{
    char path[64];
    xs_transaction_t t = xs_transaction_start(dom0);

    if (t == XBT_NULL)
        return false;
    snprintf(path, sizeof(path), "/local/domain/%lu/tx-a", k % cfg.domains + 1);
    xs_write(dom0, t, path, "1", 1);
    snprintf(path, sizeof(path), "/local/domain/%lu/tx-b", k % cfg.domains + 1);
    xs_write(dom0, t, path, "2", 1);
    return xs_transaction_end(dom0, t, false);
}

static void run(const char *name, op_fn fn)
{
    double start = now(), end = start + cfg.seconds, t;
    unsigned long n = 0;

    do {
        for (int i = 0; i < 64; i++, n++)
            if (!fn(n))
                die(name);
        t = now();
    } while (t < end);
    printf("  %-28s %10.0f ops/s\n", name, (double)n / (t - start));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* dom0 writes below a guest's watched "device"; time until the guest has the event. */
static void watch_latency(void)
{
    double *lat = calloc(cfg.latency_samples, sizeof(*lat)), sum = 0;
    char path[64];

    if (!lat)
        die("calloc");
    for (unsigned int i = 0; i < cfg.latency_samples; i++) {
        unsigned int d = (unsigned int)(i * 7919u % cfg.domains) + 1;
        unsigned int num;
        double t0;
        char **ev;

        snprintf(path, sizeof(path), "/local/domain/%u/device/vif", d);
        t0 = now();
        must(xs_write(dom0, XBT_NULL, path, "x", 1), "WRITE");
        ev = xs_read_watch(guests[d], &num);
        if (!ev)
            die("xs_read_watch");
        lat[i] = (now() - t0) * 1e6;
        sum += lat[i];
        free(ev);
    }
    qsort(lat, cfg.latency_samples, sizeof(*lat), cmp_double);
    printf("  %-28s mean %.1f us, p50 %.1f us, p99 %.1f us (write + event)\n",
           "watch event latency", sum / cfg.latency_samples, lat[cfg.latency_samples / 2],
           lat[cfg.latency_samples * 99 / 100]);
    free(lat);
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: xs-bench [-x DAEMON] [-d DOMAINS] [-t SECONDS] [-l SAMPLES]\n"
               "  -x DAEMON   start DAEMON (lamina-xenstored) privately; default: use the one\n"
               "              at $XENSTORED_PATH, which must run with --fake-domains\n"
               "  -d N        fake guests to introduce (default 100)\n"
               "  -t SECONDS  duration of each throughput run (default 1)\n"
               "  -l N        watch latency samples (default 2000)\n");
}

int main(int argc, char **argv)
{
    double t0;
    int c;

    while ((c = getopt(argc, argv, "x:d:t:l:h")) != -1) {
        switch (c) {
        case 'x':
            cfg.daemon = optarg;
            break;
        case 'd':
            cfg.domains = (unsigned int)strtoul(optarg, NULL, 10);
            break;
        case 't':
            cfg.seconds = strtod(optarg, NULL);
            break;
        case 'l':
            cfg.latency_samples = (unsigned int)strtoul(optarg, NULL, 10);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (cfg.domains == 0 || cfg.domains > 30000 || cfg.seconds <= 0 || cfg.latency_samples == 0) {
        usage(stderr);
        return 2;
    }
    raise_fd_limit();
    if (cfg.daemon)
        start_daemon();
    dom0 = open_or_die();
    t0 = now();
    setup_domains(dom0);
    printf("xs-bench: %u fake guests (set up in %.2f s: introduce, home, connection, watch)\n",
           cfg.domains, now() - t0);
    run("dom0 reads", dom0_read);
    run("dom0 writes", dom0_write);
    run("guest reads (own home)", guest_read);
    run("guest writes (own home)", guest_write);
    run("dom0 transactions (2 writes)", dom0_txn);
    watch_latency();
    for (unsigned int i = 1; i <= cfg.domains; i++)
        xs_close(guests[i]);
    free(guests);
    xs_close(dom0);
    return 0;
}
