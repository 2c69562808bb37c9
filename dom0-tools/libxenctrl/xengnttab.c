/* xengnttab.c: mapping and copying guests' grants (Xen's libxengnttab API). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xengnttab.h>

#include "xc_private.h"

#define NOTIFY_NONE     ((uint32_t)-1)

/* One mapping made by one map call: count pages at addr, one handle each. */
struct mapping {
    uint8_t *addr;
    uint32_t count;
    uint32_t notify_offset;     /* byte cleared at unmap, or NOTIFY_NONE */
    uint32_t *handles;
    struct mapping *next;
};

struct xengntdev_handle {
    xc_interface *xch;
    struct mapping *maps;
    uint32_t mapped;            /* pages currently mapped */
    uint32_t max_grants;        /* 0: no limit of our own */
};

xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger, unsigned open_flags)
{
    xengnttab_handle *xgt = calloc(1, sizeof(*xgt));

    if (!xgt)
        return NULL;
    xgt->xch = xc_interface_open(logger, NULL, 0);
    if (!xgt->xch) {
        int err = errno;

        free(xgt);
        errno = err;
        return NULL;
    }
    return xgt;
}

static int unmap_handles(xengnttab_handle *xgt, const uint32_t *handles, uint32_t count)
{
    uint8_t buf[sizeof(struct lamina_ctl_gnttab_unmap) +
                LAMINA_GNTTAB_MAX_BATCH * sizeof(uint32_t)];
    struct lamina_ctl_gnttab_unmap *u = (struct lamina_ctl_gnttab_unmap *)buf;

    for (uint32_t done = 0; done < count;) {
        uint32_t n = count - done > LAMINA_GNTTAB_MAX_BATCH ? LAMINA_GNTTAB_MAX_BATCH
                                                            : count - done;
        int rc;

        u->count = n;
        u->pad = 0;
        memcpy(u + 1, handles + done, n * sizeof(uint32_t));
        rc = xc__call_simple(xgt->xch, LAMINA_CTL_OP_GNTTAB_UNMAP, buf,
                             sizeof(*u) + n * sizeof(uint32_t));
        if (rc < 0)
            return rc;
        done += n;
    }
    return 0;
}

int xengnttab_close(xengnttab_handle *xgt)
{
    if (!xgt)
        return 0;
    /* Closing the connection releases every grant in the hypervisor. */
    while (xgt->maps) {
        struct mapping *m = xgt->maps;

        xgt->maps = m->next;
        munmap(m->addr, (size_t)m->count * XC_PAGE_SIZE);
        free(m->handles);
        free(m);
    }
    xc_interface_close(xgt->xch);
    free(xgt);
    return 0;
}

int xengnttab_fd(xengnttab_handle *xgt)
{
    return lamina_fd(xgt->xch);
}

int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr_grants)
{
    xgt->max_grants = nr_grants;
    return 0;
}

/*
 * Map count grants of one domain into pages at addr (already reserved),
 * recording their handles.  Returns 0, or a negative errno with nothing
 * left held.
 */
static int map_batch(xengnttab_handle *xgt, uint32_t domid, const uint32_t *refs, uint32_t count,
                     int prot, uint8_t *addr, uint32_t *handles)
{
    uint8_t buf[sizeof(struct lamina_ctl_gnttab_map) + LAMINA_GNTTAB_MAX_BATCH * sizeof(uint32_t)];
    struct lamina_ctl_gnttab_map *req = (struct lamina_ctl_gnttab_map *)buf;
    struct xc_request r = {
        .op = LAMINA_CTL_OP_GNTTAB_MAP, .fixed = buf,
        .fixed_len = sizeof(*req) + count * sizeof(uint32_t), .max_reply_fds = 1,
    };
    const struct lamina_ctl_gnttab_mapped *out;
    struct lamina_ctl_msg reply;
    uint32_t ok = 0;
    int rc, err = 0;

    req->domid = domid;
    req->count = count;
    req->flags = (prot & PROT_WRITE) ? 0 : LAMINA_GNTTAB_F_READONLY;
    req->pad = 0;
    memcpy(req + 1, refs, count * sizeof(uint32_t));
    rc = xc__call(xgt->xch, &r, &reply);
    if (rc < 0)
        return rc;
    if (reply.hdr.len != sizeof(struct lamina_ctl_gnttab_map_reply) +
                         count * sizeof(*out) ||
        ((const struct lamina_ctl_gnttab_map_reply *)reply.payload)->count != count) {
        lamina_ctl_msg_release(&reply);
        return -EPROTO;
    }
    out = (const struct lamina_ctl_gnttab_mapped *)(reply.payload +
                                                    sizeof(struct lamina_ctl_gnttab_map_reply));
    for (uint32_t i = 0; i < count; i++) {
        if (out[i].status != GNTST_okay) {
            err = out[i].status == GNTST_permission_denied ? -EPERM : -EINVAL;
            continue;
        }
        handles[ok++] = out[i].handle;
        if (err || reply.nfds != 1 ||
            mmap(addr + (size_t)i * XC_PAGE_SIZE, XC_PAGE_SIZE, prot, MAP_SHARED | MAP_FIXED,
                 reply.fds[0], (off_t)out[i].offset) == MAP_FAILED)
            err = err ? err : (reply.nfds != 1 ? -EPROTO : -errno);
    }
    lamina_ctl_msg_release(&reply);
    if (err) {
        /* Xen's map is all or nothing: give back what did get mapped. */
        unmap_handles(xgt, handles, ok);
        return err;
    }
    return 0;
}

static void *map_refs(xengnttab_handle *xgt, uint32_t count, const uint32_t *domids,
                      uint32_t domid, const uint32_t *refs, int prot, uint32_t notify_offset)
{
    struct mapping *m;
    uint32_t done = 0;
    int rc = 0;

    if (count == 0 || (prot & ~(PROT_READ | PROT_WRITE)) || !(prot & PROT_READ) ||
        (notify_offset != NOTIFY_NONE && notify_offset >= count * XC_PAGE_SIZE)) {
        errno = EINVAL;
        return NULL;
    }
    if (xgt->max_grants && xgt->mapped + count > xgt->max_grants) {
        errno = ENOSPC;
        return NULL;
    }
    m = calloc(1, sizeof(*m));
    if (!m || !(m->handles = calloc(count, sizeof(uint32_t)))) {
        free(m);
        errno = ENOMEM;
        return NULL;
    }
    m->addr = mmap(NULL, (size_t)count * XC_PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (m->addr == MAP_FAILED) {
        rc = -errno;
        goto fail;
    }
    /* Runs of the same domain go in batches of LAMINA_GNTTAB_MAX_BATCH. */
    while (done < count) {
        uint32_t dom = domids ? domids[done] : domid;
        uint32_t n = 1;

        while (done + n < count && n < LAMINA_GNTTAB_MAX_BATCH &&
               (!domids || domids[done + n] == dom))
            n++;
        rc = map_batch(xgt, dom, refs + done, n, prot, m->addr + (size_t)done * XC_PAGE_SIZE,
                       m->handles + done);
        if (rc < 0)
            break;
        done += n;
    }
    if (rc < 0) {
        unmap_handles(xgt, m->handles, done);
        munmap(m->addr, (size_t)count * XC_PAGE_SIZE);
        goto fail;
    }
    m->count = count;
    m->notify_offset = notify_offset;
    m->next = xgt->maps;
    xgt->maps = m;
    xgt->mapped += count;
    return m->addr;
fail:
    free(m->handles);
    free(m);
    errno = -rc;
    return NULL;
}

void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid, uint32_t ref, int prot)
{
    return map_refs(xgt, 1, NULL, domid, &ref, prot, NOTIFY_NONE);
}

void *xengnttab_map_grant_refs(xengnttab_handle *xgt, uint32_t count, uint32_t *domids,
                               uint32_t *refs, int prot)
{
    return map_refs(xgt, count, domids, 0, refs, prot, NOTIFY_NONE);
}

void *xengnttab_map_domain_grant_refs(xengnttab_handle *xgt, uint32_t count, uint32_t domid,
                                      uint32_t *refs, int prot)
{
    return map_refs(xgt, count, NULL, domid, refs, prot, NOTIFY_NONE);
}

void *xengnttab_map_grant_ref_notify(xengnttab_handle *xgt, uint32_t domid, uint32_t ref,
                                     int prot, uint32_t notify_offset,
                                     evtchn_port_t notify_port)
{
    if (notify_port != (evtchn_port_t)-1) {
        errno = ENOSYS;     /* see the header: byte clearing only */
        return NULL;
    }
    return map_refs(xgt, 1, NULL, domid, &ref, prot, notify_offset);
}

int xengnttab_unmap(xengnttab_handle *xgt, void *start_address, uint32_t count)
{
    struct mapping **pp;

    for (pp = &xgt->maps; *pp; pp = &(*pp)->next) {
        struct mapping *m = *pp;
        int rc;

        if (m->addr != start_address)
            continue;
        if (m->count != count) {
            errno = EINVAL;
            return -1;
        }
        if (m->notify_offset != NOTIFY_NONE && (m->addr != MAP_FAILED))
            __atomic_store_n(m->addr + m->notify_offset, 0, __ATOMIC_RELEASE);
        munmap(m->addr, (size_t)count * XC_PAGE_SIZE);
        rc = unmap_handles(xgt, m->handles, count);
        *pp = m->next;
        xgt->mapped -= count;
        free(m->handles);
        free(m);
        if (rc < 0) {
            errno = -rc;
            return -1;
        }
        return 0;
    }
    errno = EINVAL;
    return -1;
}

/* Send one request of segments [first, first + n) and scatter the results. */
static int copy_batch(xengnttab_handle *xgt, xengnttab_grant_copy_segment_t *segs,
                      uint32_t first, uint32_t n, size_t in_bytes)
{
    size_t len = sizeof(struct lamina_ctl_gnttab_copy) +
                 n * sizeof(struct lamina_ctl_gnttab_copy_seg) + in_bytes;
    uint8_t *buf = malloc(len), *data;
    struct lamina_ctl_gnttab_copy *req = (struct lamina_ctl_gnttab_copy *)buf;
    struct lamina_ctl_gnttab_copy_seg *ws;
    struct xc_request r = { .op = LAMINA_CTL_OP_GNTTAB_COPY, .fixed = buf, .fixed_len = len };
    struct lamina_ctl_msg reply;
    size_t status_len = ((size_t)n * sizeof(int16_t) + 7) & ~(size_t)7, at;
    int rc;

    if (!buf)
        return -ENOMEM;
    req->count = n;
    req->pad = 0;
    ws = (struct lamina_ctl_gnttab_copy_seg *)(req + 1);
    data = (uint8_t *)(ws + n);
    for (uint32_t i = 0; i < n; i++) {
        xengnttab_grant_copy_segment_t *s = &segs[first + i];
        bool to_guest = s->flags & GNTCOPY_dest_gref;
        const union xengnttab_copy_ptr *f = to_guest ? &s->dest : &s->source;

        memset(&ws[i], 0, sizeof(ws[i]));
        ws[i].domid = f->foreign.domid;
        ws[i].ref = f->foreign.ref;
        ws[i].offset = f->foreign.offset;
        ws[i].len = s->len;
        ws[i].dir = to_guest ? LAMINA_GNTCOPY_TO_GUEST : LAMINA_GNTCOPY_FROM_GUEST;
        if (to_guest) {
            memcpy(data, s->source.virt, s->len);
            data += s->len;
        }
    }
    rc = xc__call(xgt->xch, &r, &reply);
    free(buf);
    if (rc < 0)
        return rc;
    if (reply.hdr.len < status_len) {
        lamina_ctl_msg_release(&reply);
        return -EPROTO;
    }
    at = status_len;
    for (uint32_t i = 0; i < n; i++) {
        xengnttab_grant_copy_segment_t *s = &segs[first + i];
        int16_t st;

        memcpy(&st, reply.payload + i * sizeof(st), sizeof(st));
        s->status = st;
        if (st != GNTST_okay || (s->flags & GNTCOPY_dest_gref))
            continue;
        if (reply.hdr.len - at < s->len) {
            lamina_ctl_msg_release(&reply);
            return -EPROTO;
        }
        memcpy(s->dest.virt, reply.payload + at, s->len);
        at += s->len;
    }
    rc = at == reply.hdr.len ? 0 : -EPROTO;
    lamina_ctl_msg_release(&reply);
    return rc;
}

int xengnttab_grant_copy(xengnttab_handle *xgt, uint32_t count,
                         xengnttab_grant_copy_segment_t *segs)
{
    const size_t room = LAMINA_CTL_MAX_PAYLOAD - sizeof(struct lamina_ctl_gnttab_copy);
    uint32_t first = 0, n = 0;
    size_t in = 0, out = 0;

    for (uint32_t i = 0; i <= count; i++) {
        size_t seg_in = 0, seg_out = 0;
        int rc;

        if (i < count) {
            xengnttab_grant_copy_segment_t *s = &segs[i];
            uint16_t gref = s->flags & (GNTCOPY_source_gref | GNTCOPY_dest_gref);

            /* Exactly one side is a grant; local pages are ours to copy. */
            if (s->flags & ~(GNTCOPY_source_gref | GNTCOPY_dest_gref) ||
                (gref != GNTCOPY_source_gref && gref != GNTCOPY_dest_gref) ||
                s->len > XC_PAGE_SIZE) {
                errno = EINVAL;
                return -1;
            }
            if (gref == GNTCOPY_dest_gref)
                seg_in = s->len;
            else
                seg_out = s->len;
        }
        /* Flush when the next segment would not fit, or at the end. */
        if (n && (i == count || n == LAMINA_GNTTAB_MAX_BATCH ||
                  (n + 1) * sizeof(struct lamina_ctl_gnttab_copy_seg) + in + seg_in > room ||
                  ((n + 1) * sizeof(int16_t) + 7) + out + seg_out > LAMINA_CTL_MAX_PAYLOAD)) {
            rc = copy_batch(xgt, segs, first, n, in);
            if (rc < 0) {
                errno = -rc;
                return -1;
            }
            first = i;
            n = 0;
            in = out = 0;
        }
        n++;
        in += seg_in;
        out += seg_out;
    }
    return 0;
}
