/* xs.c: libxenstore-compatible client: requests, replies and watch events over the socket. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <xenstore.h>

/*
 * Threading model. One mutex (lock) guards the handle's state; requests are
 * serialised by a second one (request_lock), so at most one request is in
 * flight and its reply is simply the next non-event message. Whoever needs
 * a message (a thread waiting for its reply, a thread in xs_read_watch(),
 * or the reader thread) takes the "reader" role, reads one message with
 * lock released, files it (reply slot or event queue) and wakes the
 * others. So no thread is needed until someone polls xs_fileno(): then a
 * reader thread keeps the role for good and feeds a pipe that is readable
 * exactly while events are queued.
 */

struct xs_event {
    struct xs_event *next;
    char **vec;                 /* one block: vector, then the strings */
};

struct xs_handle {
    int fd;
    unsigned long flags;
    pthread_mutex_t request_lock;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool reading;               /* some thread is inside read_message() */
    int broken;                 /* errno once the connection is unusable */
    /* The reply to the request in flight. */
    bool reply_ready;
    struct xsd_sockmsg reply_hdr;
    char *reply_body;
    /* Queued watch events. */
    struct xs_event *events;
    struct xs_event **events_tail;
    int watch_pipe[2];
    bool has_thread;
    bool stopping;
    pthread_t thread;
    uint32_t next_req_id;
};

static int connect_socket(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int saved = errno;

        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

struct xs_handle *xs_open(unsigned long flags)
{
    struct xs_handle *h = calloc(1, sizeof(*h));
    int saved;

    if (!h)
        return NULL;
    h->fd = connect_socket(xs_daemon_socket());
    if (h->fd < 0) {
        saved = errno;
        free(h);
        errno = saved;
        return NULL;
    }
    h->flags = flags;
    h->watch_pipe[0] = h->watch_pipe[1] = -1;
    h->events_tail = &h->events;
    h->next_req_id = 1;
    pthread_mutex_init(&h->request_lock, NULL);
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    return h;
}

struct xs_handle *xs_daemon_open(void)
{
    return xs_open(0);
}

struct xs_handle *xs_daemon_open_readonly(void)
{
    return xs_open(XS_OPEN_READONLY);
}

struct xs_handle *xs_domain_open(void)
{
    return xs_open(0);
}

static void free_events(struct xs_handle *h)
{
    while (h->events) {
        struct xs_event *ev = h->events;

        h->events = ev->next;
        free(ev->vec);
        free(ev);
    }
    h->events_tail = &h->events;
}

void xs_close(struct xs_handle *h)
{
    if (!h)
        return;
    if (h->has_thread) {
        pthread_mutex_lock(&h->lock);
        h->stopping = true;
        pthread_mutex_unlock(&h->lock);
        shutdown(h->fd, SHUT_RDWR);
        pthread_join(h->thread, NULL);
    }
    close(h->fd);
    if (h->watch_pipe[0] >= 0) {
        close(h->watch_pipe[0]);
        close(h->watch_pipe[1]);
    }
    free(h->reply_body);
    free_events(h);
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->lock);
    pthread_mutex_destroy(&h->request_lock);
    free(h);
}

void xs_daemon_close(struct xs_handle *h)
{
    xs_close(h);
}

void xs_daemon_destroy_postfork(struct xs_handle *h)
{
    /* The reader thread, if any, exists only in the parent. */
    close(h->fd);
    if (h->watch_pipe[0] >= 0) {
        close(h->watch_pipe[0]);
        close(h->watch_pipe[1]);
    }
    free(h->reply_body);
    free_events(h);
    free(h);
}

bool xs_restrict(struct xs_handle *h, unsigned domid)
{
    errno = ENOSYS;
    return false;
}

static int read_exact(int fd, void *buf, size_t len)
{
    char *p = buf;

    while (len > 0) {
        ssize_t n = read(fd, p, len);

        if (n == 0)
            return -ECONNRESET;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Read one whole message; body is malloc'ed with a NUL appended. */
static int read_message(int fd, struct xsd_sockmsg *hdr, char **body)
{
    int rc = read_exact(fd, hdr, sizeof(*hdr));

    if (rc < 0)
        return rc;
    if (hdr->len > XENSTORE_PAYLOAD_MAX)
        return -EPROTO;
    *body = malloc(hdr->len + 1);
    if (!*body)
        return -ENOMEM;
    rc = read_exact(fd, *body, hdr->len);
    if (rc < 0) {
        free(*body);
        *body = NULL;
        return rc;
    }
    (*body)[hdr->len] = '\0';
    return 0;
}

/* Turn "path\0token\0" into the vector xs_read_watch() hands out. */
static char **event_vector(const char *body, unsigned int len)
{
    size_t plen, tlen;
    char **vec;
    char *strings;

    if (xs_count_strings(body, len) < 2)
        return NULL;
    plen = strlen(body) + 1;
    tlen = strlen(body + plen) + 1;
    vec = malloc(2 * sizeof(char *) + plen + tlen);
    if (!vec)
        return NULL;
    strings = (char *)(vec + 2);
    memcpy(strings, body, plen + tlen);
    vec[XS_WATCH_PATH] = strings;
    vec[XS_WATCH_TOKEN] = strings + plen;
    return vec;
}

static void pipe_signal(struct xs_handle *h)
{
    char c = 0;

    if (h->watch_pipe[1] >= 0 && write(h->watch_pipe[1], &c, 1) < 0) {
        /* The pipe is non-blocking and holds at most one byte: nothing to do. */
    }
}

static void pipe_drain(struct xs_handle *h)
{
    char c;

    if (h->watch_pipe[0] >= 0)
        while (read(h->watch_pipe[0], &c, 1) == 1) {
        }
}

/* File one message read from the socket; called with lock held. */
static void file_message(struct xs_handle *h, struct xsd_sockmsg *hdr, char *body)
{
    if (hdr->type == XS_WATCH_EVENT) {
        struct xs_event *ev = malloc(sizeof(*ev));

        if (ev && (ev->vec = event_vector(body, hdr->len)) != NULL) {
            bool was_empty = h->events == NULL;

            ev->next = NULL;
            *h->events_tail = ev;
            h->events_tail = &ev->next;
            if (was_empty)
                pipe_signal(h);
        } else {
            free(ev);
        }
        free(body);
        return;
    }
    if (h->reply_ready) {
        /* A second reply with one request in flight: the stream is out of step. */
        free(body);
        h->broken = EPROTO;
        return;
    }
    h->reply_hdr = *hdr;
    h->reply_body = body;
    h->reply_ready = true;
}

/*
 * Read and file one message as the reader; called with lock held, returns
 * with it held. Marks the handle broken when the connection fails.
 */
static void read_one(struct xs_handle *h)
{
    struct xsd_sockmsg hdr;
    char *body = NULL;
    int rc;

    h->reading = true;
    pthread_mutex_unlock(&h->lock);
    rc = read_message(h->fd, &hdr, &body);
    pthread_mutex_lock(&h->lock);
    h->reading = false;
    if (rc < 0) {
        if (!h->broken)
            h->broken = -rc;
    } else {
        file_message(h, &hdr, body);
    }
    pthread_cond_broadcast(&h->cond);
}

static void *reader_thread(void *arg)
{
    struct xs_handle *h = arg;

    pthread_mutex_lock(&h->lock);
    while (!h->broken && !h->stopping) {
        if (h->reading)
            pthread_cond_wait(&h->cond, &h->lock);
        else
            read_one(h);
    }
    /* Wake a poller so that it notices the broken connection. */
    pipe_signal(h);
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

static int start_reader(struct xs_handle *h)
{
    int rc;

    if (h->has_thread)
        return 0;
    if (h->watch_pipe[0] < 0 && pipe2(h->watch_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        return -errno;
    if (h->events)
        pipe_signal(h);
    rc = pthread_create(&h->thread, NULL, reader_thread, h);
    if (rc != 0)
        return -rc;
    h->has_thread = true;
    return 0;
}

int xs_fileno(struct xs_handle *h)
{
    int rc;

    pthread_mutex_lock(&h->lock);
    rc = start_reader(h);
    pthread_mutex_unlock(&h->lock);
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    return h->watch_pipe[0];
}

static int error_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
        if (strcmp(name, xsd_errors[i].errstring) == 0)
            return xsd_errors[i].errnum;
    return EINVAL;
}

/* 0 or an errno; never raises SIGPIPE. */
static int send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * Send one request made of iovec-like pieces and wait for its reply.
 * Returns the reply body (NUL-terminated, to free) and its length, or NULL
 * with errno set.
 */
struct piece {
    const void *data;
    size_t len;
};

static char *talk(struct xs_handle *h, xs_transaction_t t, enum xsd_sockmsg_type type,
                  const struct piece *pieces, unsigned int npieces, unsigned int *len)
{
    char buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
    struct xsd_sockmsg msg = { .type = type, .tx_id = t };
    size_t total = 0;
    char *body = NULL;
    int err = 0;

    for (unsigned int i = 0; i < npieces; i++) {
        if (pieces[i].len > XENSTORE_PAYLOAD_MAX - total) {
            errno = E2BIG;
            return NULL;
        }
        if (pieces[i].len)
            memcpy(buf + sizeof(msg) + total, pieces[i].data, pieces[i].len);
        total += pieces[i].len;
    }
    msg.len = (uint32_t)total;

    pthread_mutex_lock(&h->request_lock);
    pthread_mutex_lock(&h->lock);
    if (h->broken) {
        err = h->broken;
        goto out;
    }
    msg.req_id = h->next_req_id++;
    memcpy(buf, &msg, sizeof(msg));
    pthread_mutex_unlock(&h->lock);
    err = send_all(h->fd, buf, sizeof(msg) + total);
    pthread_mutex_lock(&h->lock);
    if (err) {
        if (!h->broken)
            h->broken = err;
        goto out;
    }
    while (!h->reply_ready && !h->broken) {
        if (h->reading)
            pthread_cond_wait(&h->cond, &h->lock);
        else
            read_one(h);
    }
    if (!h->reply_ready) {
        err = h->broken;
        goto out;
    }
    h->reply_ready = false;
    body = h->reply_body;
    h->reply_body = NULL;
    if (h->reply_hdr.type == XS_ERROR) {
        err = error_from_name(body);
        free(body);
        body = NULL;
    } else if (h->reply_hdr.type != (uint32_t)type || h->reply_hdr.req_id != msg.req_id) {
        err = EPROTO;
        h->broken = EPROTO;
        free(body);
        body = NULL;
    } else if (len) {
        *len = h->reply_hdr.len;
    }
out:
    pthread_mutex_unlock(&h->lock);
    pthread_mutex_unlock(&h->request_lock);
    if (!body)
        errno = err;
    return body;
}

/* A request whose payload is one string (with its NUL). */
static char *talk1(struct xs_handle *h, xs_transaction_t t, enum xsd_sockmsg_type type,
                   const char *arg, unsigned int *len)
{
    struct piece p = { arg, strlen(arg) + 1 };

    return talk(h, t, type, &p, 1, len);
}

static bool talk_ok(struct xs_handle *h, xs_transaction_t t, enum xsd_sockmsg_type type,
                    const struct piece *pieces, unsigned int npieces)
{
    char *reply = talk(h, t, type, pieces, npieces, NULL);

    free(reply);
    return reply != NULL;
}

/* Split a NUL-separated list into one malloc'ed block: vector, then strings. */
static char **split_strings(const char *strings, unsigned int len, unsigned int *num)
{
    unsigned int n = xs_count_strings(strings, len);
    char **vec = malloc(n * sizeof(char *) + len + 1);
    char *copy;

    if (!vec)
        return NULL;
    copy = (char *)(vec + n);
    memcpy(copy, strings, len);
    copy[len] = '\0';
    for (unsigned int i = 0; i < n; i++) {
        vec[i] = copy;
        copy += strlen(copy) + 1;
    }
    *num = n;
    return vec;
}

/*
 * Children lists longer than one payload: fetch them piece by piece with
 * DIRECTORY_PART. Each reply is "<generation>\0" and the next names, the
 * last piece ending with an empty name; a changed generation means the
 * list changed in between, so start over.
 */
static char **directory_part(struct xs_handle *h, xs_transaction_t t, const char *path,
                             unsigned int *num)
{
    for (unsigned int tries = 0; tries < 64; tries++) {
        char gen[32] = "";
        char *all = NULL;
        size_t all_len = 0;
        bool restart = false;

        while (!restart) {
            char off[24];
            struct piece p[2] = { { path, strlen(path) + 1 }, { off, 0 } };
            unsigned int rlen;
            size_t glen, clen;
            const char *chunk;
            char *reply, *grown;
            bool last;

            p[1].len = (size_t)snprintf(off, sizeof(off), "%zu", all_len) + 1;
            reply = talk(h, t, XS_DIRECTORY_PART, p, 2, &rlen);
            if (!reply) {
                free(all);
                return NULL;
            }
            glen = strnlen(reply, rlen);
            chunk = reply + glen + 1;
            clen = glen < rlen ? rlen - glen - 1 : 0;
            if (glen >= sizeof(gen) || clen == 0 || chunk[clen - 1] != '\0') {
                free(reply);
                free(all);
                errno = EPROTO;
                return NULL;
            }
            if (all_len == 0 && !all) {
                memcpy(gen, reply, glen + 1);
            } else if (strcmp(gen, reply) != 0) {
                free(reply);
                restart = true;
                break;
            }
            last = clen == 1 || chunk[clen - 2] == '\0';
            if (last)
                clen--;
            grown = realloc(all, all_len + clen + 1);
            if (!grown) {
                free(reply);
                free(all);
                errno = ENOMEM;
                return NULL;
            }
            all = grown;
            memcpy(all + all_len, chunk, clen);
            all_len += clen;
            free(reply);
            if (last) {
                char **vec = split_strings(all, (unsigned int)all_len, num);

                free(all);
                return vec;
            }
        }
        free(all);
    }
    errno = EAGAIN;
    return NULL;
}

char **xs_directory(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned int *num)
{
    unsigned int len;
    char *reply = talk1(h, t, XS_DIRECTORY, path, &len);
    char **vec;

    if (!reply) {
        if (errno == E2BIG)
            return directory_part(h, t, path, num);
        return NULL;
    }
    vec = split_strings(reply, len, num);
    free(reply);
    return vec;
}

void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned int *len)
{
    unsigned int rlen;
    char *reply = talk1(h, t, XS_READ, path, &rlen);

    if (reply && len)
        *len = rlen;
    return reply;
}

bool xs_write(struct xs_handle *h, xs_transaction_t t, const char *path, const void *data,
              unsigned int len)
{
    struct piece p[2] = { { path, strlen(path) + 1 }, { data, len } };

    return talk_ok(h, t, XS_WRITE, p, 2);
}

bool xs_mkdir(struct xs_handle *h, xs_transaction_t t, const char *path)
{
    struct piece p = { path, strlen(path) + 1 };

    return talk_ok(h, t, XS_MKDIR, &p, 1);
}

bool xs_rm(struct xs_handle *h, xs_transaction_t t, const char *path)
{
    struct piece p = { path, strlen(path) + 1 };

    return talk_ok(h, t, XS_RM, &p, 1);
}

struct xs_permissions *xs_get_permissions(struct xs_handle *h, xs_transaction_t t,
                                          const char *path, unsigned int *num)
{
    unsigned int len, n;
    char *reply = talk1(h, t, XS_GET_PERMS, path, &len);
    struct xs_permissions *perms;

    if (!reply)
        return NULL;
    n = xs_count_strings(reply, len);
    if (n == 0) {
        free(reply);
        errno = EINVAL;
        return NULL;
    }
    perms = malloc(n * sizeof(*perms));
    if (!perms || !xs_strings_to_perms(perms, n, reply)) {
        int saved = perms ? errno : ENOMEM;

        free(perms);
        free(reply);
        errno = saved;
        return NULL;
    }
    free(reply);
    *num = n;
    return perms;
}

bool xs_set_permissions(struct xs_handle *h, xs_transaction_t t, const char *path,
                        struct xs_permissions *perms, unsigned int num_perms)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    size_t used = 0, plen = strlen(path) + 1;
    struct piece p;

    if (plen > sizeof(buf)) {
        errno = E2BIG;
        return false;
    }
    memcpy(buf, path, plen);
    used = plen;
    for (unsigned int i = 0; i < num_perms; i++) {
        char one[MAX_STRLEN(unsigned int) + 1];
        size_t olen;

        if (!xs_perm_to_string(&perms[i], one, sizeof(one)))
            return false;
        olen = strlen(one) + 1;
        if (olen > sizeof(buf) - used) {
            errno = E2BIG;
            return false;
        }
        memcpy(buf + used, one, olen);
        used += olen;
    }
    p.data = buf;
    p.len = used;
    return talk_ok(h, t, XS_SET_PERMS, &p, 1);
}

bool xs_watch(struct xs_handle *h, const char *path, const char *token)
{
    struct piece p[2] = { { path, strlen(path) + 1 }, { token, strlen(token) + 1 } };

    return talk_ok(h, XBT_NULL, XS_WATCH, p, 2);
}

/* Drop queued events of the watch (path, token); called with lock held. */
static void filter_events(struct xs_handle *h, const char *path, const char *token)
{
    struct xs_event **pp = &h->events;

    while (*pp) {
        struct xs_event *ev = *pp;

        if (strcmp(ev->vec[XS_WATCH_TOKEN], token) == 0 &&
            xs_path_is_subpath(path, ev->vec[XS_WATCH_PATH])) {
            *pp = ev->next;
            free(ev->vec);
            free(ev);
            continue;
        }
        pp = &ev->next;
    }
    h->events_tail = pp;
    if (!h->events)
        pipe_drain(h);
}

bool xs_unwatch(struct xs_handle *h, const char *path, const char *token)
{
    struct piece p[2] = { { path, strlen(path) + 1 }, { token, strlen(token) + 1 } };
    bool ok = talk_ok(h, XBT_NULL, XS_UNWATCH, p, 2);

    if (ok && (h->flags & XS_UNWATCH_FILTER)) {
        pthread_mutex_lock(&h->lock);
        filter_events(h, path, token);
        pthread_mutex_unlock(&h->lock);
    }
    return ok;
}

/* Take the first queued event; called with lock held. */
static char **pop_event(struct xs_handle *h)
{
    struct xs_event *ev = h->events;
    char **vec;

    if (!ev)
        return NULL;
    h->events = ev->next;
    if (!h->events) {
        h->events_tail = &h->events;
        pipe_drain(h);
    }
    vec = ev->vec;
    free(ev);
    return vec;
}

char **xs_check_watch(struct xs_handle *h)
{
    char **vec;
    int err = EAGAIN;

    pthread_mutex_lock(&h->lock);
    vec = pop_event(h);
    if (!vec && h->broken)
        err = h->broken;
    pthread_mutex_unlock(&h->lock);
    if (!vec)
        errno = err;
    return vec;
}

char **xs_read_watch(struct xs_handle *h, unsigned int *num)
{
    char **vec;
    int err = 0;

    pthread_mutex_lock(&h->lock);
    while (!(vec = pop_event(h)) && !h->broken) {
        if (h->reading)
            pthread_cond_wait(&h->cond, &h->lock);
        else
            read_one(h);
    }
    if (!vec)
        err = h->broken;
    pthread_mutex_unlock(&h->lock);
    if (!vec) {
        errno = err;
        return NULL;
    }
    if (num)
        *num = 2;
    return vec;
}

xs_transaction_t xs_transaction_start(struct xs_handle *h)
{
    char *reply = talk1(h, XBT_NULL, XS_TRANSACTION_START, "", NULL);
    unsigned long id;
    char *end;

    if (!reply)
        return XBT_NULL;
    errno = 0;
    id = strtoul(reply, &end, 10);
    if (errno || end == reply || *end || id == 0 || id > UINT32_MAX) {
        free(reply);
        errno = EPROTO;
        return XBT_NULL;
    }
    free(reply);
    return (xs_transaction_t)id;
}

bool xs_transaction_end(struct xs_handle *h, xs_transaction_t t, bool abort)
{
    struct piece p = { abort ? "F" : "T", 2 };

    return talk_ok(h, t, XS_TRANSACTION_END, &p, 1);
}

bool xs_introduce_domain(struct xs_handle *h, unsigned int domid, unsigned long mfn,
                         unsigned int eventchn)
{
    char d[MAX_STRLEN(domid)], m[MAX_STRLEN(mfn)], e[MAX_STRLEN(eventchn)];
    struct piece p[3];

    p[0] = (struct piece){ d, (size_t)snprintf(d, sizeof(d), "%u", domid) + 1 };
    p[1] = (struct piece){ m, (size_t)snprintf(m, sizeof(m), "%lu", mfn) + 1 };
    p[2] = (struct piece){ e, (size_t)snprintf(e, sizeof(e), "%u", eventchn) + 1 };
    return talk_ok(h, XBT_NULL, XS_INTRODUCE, p, 3);
}

static bool domid_request(struct xs_handle *h, enum xsd_sockmsg_type type, unsigned int domid)
{
    char d[MAX_STRLEN(domid)];
    struct piece p = { d, (size_t)snprintf(d, sizeof(d), "%u", domid) + 1 };

    return talk_ok(h, XBT_NULL, type, &p, 1);
}

bool xs_set_target(struct xs_handle *h, unsigned int domid, unsigned int target)
{
    char d[MAX_STRLEN(domid)], t[MAX_STRLEN(target)];
    struct piece p[2];

    p[0] = (struct piece){ d, (size_t)snprintf(d, sizeof(d), "%u", domid) + 1 };
    p[1] = (struct piece){ t, (size_t)snprintf(t, sizeof(t), "%u", target) + 1 };
    return talk_ok(h, XBT_NULL, XS_SET_TARGET, p, 2);
}

bool xs_resume_domain(struct xs_handle *h, unsigned int domid)
{
    return domid_request(h, XS_RESUME, domid);
}

bool xs_release_domain(struct xs_handle *h, unsigned int domid)
{
    return domid_request(h, XS_RELEASE, domid);
}

bool xs_is_domain_introduced(struct xs_handle *h, unsigned int domid)
{
    char d[MAX_STRLEN(domid)];
    char *reply;
    bool yes;

    snprintf(d, sizeof(d), "%u", domid);
    reply = talk1(h, XBT_NULL, XS_IS_DOMAIN_INTRODUCED, d, NULL);
    if (!reply)
        return false;
    yes = strcmp(reply, "F") != 0;
    free(reply);
    return yes;
}

char *xs_get_domain_path(struct xs_handle *h, unsigned int domid)
{
    char d[MAX_STRLEN(domid)];

    snprintf(d, sizeof(d), "%u", domid);
    return talk1(h, XBT_NULL, XS_GET_DOMAIN_PATH, d, NULL);
}

int xs_suspend_evtchn_port(int domid)
{
    char path[64], *v, *end;
    struct xs_handle *h;
    long port = -1;

    if (domid < 0)
        return -1;
    h = xs_open(0);
    if (!h)
        return -1;
    snprintf(path, sizeof(path), "/local/domain/%d/device/suspend/event-channel", domid);
    v = xs_read(h, XBT_NULL, path, NULL);
    if (v) {
        port = strtol(v, &end, 10);
        if (end == v || *end || port < 0 || port > INT_MAX)
            port = -1;
        free(v);
    }
    xs_close(h);
    return (int)port;
}

bool xs_path_is_subpath(const char *parent, const char *child)
{
    size_t len = strlen(parent);

    if (len > 0 && parent[len - 1] == '/')
        len--;
    if (strncmp(child, parent, len) != 0)
        return false;
    return child[len] == '/' || child[len] == '\0';
}

char *xs_control_command(struct xs_handle *h, const char *cmd, void *data, unsigned int len)
{
    struct piece p[2] = { { cmd, strlen(cmd) + 1 }, { data, data ? len : 0 } };

    return talk(h, XBT_NULL, XS_CONTROL, p, 2, NULL);
}

char *xs_debug_command(struct xs_handle *h, const char *cmd, void *data, unsigned int len)
{
    return xs_control_command(h, cmd, data, len);
}
