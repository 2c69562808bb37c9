/* ctl_gnttab.c: grant mapping and copying for dom0 processes. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xen/grant_table.h>

#include "control.h"
#include "hv.h"

/* A process may hold this many grants at once (xengnttab's default limit). */
#define MAPTRACK_MAX    65536u

struct map {
    struct domain *d;       /* a reference while mapped */
    grant_ref_t ref;
    bool readonly;
};

struct maptrack {
    struct map *maps;       /* index = handle; d == NULL when free */
    uint32_t cap;
    uint32_t used;
};

static struct maptrack *maptrack(struct ctl_conn *c, bool create)
{
    void **slot = ctl_conn_priv(c, CTL_PRIV_GNTTAB);

    if (!*slot && create)
        *slot = calloc(1, sizeof(struct maptrack));
    return *slot;
}

static int handle_alloc(struct maptrack *mt)
{
    if (mt->used == mt->cap) {
        uint32_t cap = mt->cap ? mt->cap * 2 : 64;
        struct map *m;

        if (cap > MAPTRACK_MAX)
            cap = MAPTRACK_MAX;
        if (cap == mt->cap)
            return -ENOSPC;
        m = realloc(mt->maps, cap * sizeof(*m));
        if (!m)
            return -ENOMEM;
        memset(m + mt->cap, 0, (cap - mt->cap) * sizeof(*m));
        mt->maps = m;
        mt->cap = cap;
    }
    for (uint32_t h = 0; h < mt->cap; h++)
        if (!mt->maps[h].d)
            return (int)h;
    return -ENOSPC;
}

static void unmap_handle(struct maptrack *mt, uint32_t h)
{
    struct map *m = &mt->maps[h];

    gnttab_unpin(m->d, m->ref, m->readonly);
    domain_put(m->d);
    m->d = NULL;
    mt->used--;
}

static struct domain *granter(struct ctl_conn *c, const struct lamina_ctl_hdr *h, uint32_t domid)
{
    struct domain *d = domain_get(domid);

    if (!d || d->is_privileged) {
        ctl_reply_err(c, h, -ESRCH, "no guest domain with id %u", domid);
        domain_put(d);
        return NULL;
    }
    return d;
}

static void op_map(struct ctl_conn *c, const struct lamina_ctl_msg *m)
{
    struct lamina_ctl_gnttab_map req;
    struct lamina_ctl_gnttab_map_reply *rep;
    struct lamina_ctl_gnttab_mapped *out;
    struct maptrack *mt;
    struct domain *d;
    const uint8_t *refs;
    size_t rep_len;
    bool any = false;

    if (m->hdr.len < sizeof(req) || m->nfds) {
        ctl_reply_err(c, &m->hdr, -EINVAL, "malformed grant map request");
        return;
    }
    memcpy(&req, m->payload, sizeof(req));
    if (req.count == 0 || req.count > LAMINA_GNTTAB_MAX_BATCH ||
        m->hdr.len != sizeof(req) + req.count * sizeof(uint32_t) ||
        (req.flags & ~LAMINA_GNTTAB_F_READONLY)) {
        ctl_reply_err(c, &m->hdr, -EINVAL, "grant map: bad count or flags");
        return;
    }
    mt = maptrack(c, true);
    if (!mt) {
        ctl_reply_err(c, &m->hdr, -ENOMEM, "out of memory");
        return;
    }
    d = granter(c, &m->hdr, req.domid);
    if (!d)
        return;
    rep_len = sizeof(*rep) + req.count * sizeof(*out);
    rep = calloc(1, rep_len);
    if (!rep) {
        domain_put(d);
        ctl_reply_err(c, &m->hdr, -ENOMEM, "out of memory");
        return;
    }
    rep->count = req.count;
    out = (struct lamina_ctl_gnttab_mapped *)(rep + 1);
    refs = m->payload + sizeof(req);
    for (uint32_t i = 0; i < req.count; i++) {
        bool ro = req.flags & LAMINA_GNTTAB_F_READONLY;
        uint32_t ref;
        int h = handle_alloc(mt);

        memcpy(&ref, refs + i * sizeof(ref), sizeof(ref));
        if (h < 0) {
            out[i].status = GNTST_no_space;
            continue;
        }
        out[i].status = gnttab_pin(d, ref, 0, ro, &out[i].offset);
        if (out[i].status != GNTST_okay)
            continue;
        atomic_fetch_add(&d->refcnt, 1);
        mt->maps[h] = (struct map){ d, ref, ro };
        mt->used++;
        out[i].handle = (uint32_t)h;
        any = true;
    }
    ctl_reply_fds(c, &m->hdr, 0, rep, (uint32_t)rep_len, &d->memfd, any ? 1 : 0);
    free(rep);
    domain_put(d);
}

static void op_unmap(struct ctl_conn *c, const struct lamina_ctl_msg *m)
{
    struct lamina_ctl_gnttab_unmap req;
    struct maptrack *mt = maptrack(c, false);
    const uint8_t *handles;

    if (m->hdr.len < sizeof(req) || m->nfds) {
        ctl_reply_err(c, &m->hdr, -EINVAL, "malformed grant unmap request");
        return;
    }
    memcpy(&req, m->payload, sizeof(req));
    if (req.count == 0 || req.count > LAMINA_GNTTAB_MAX_BATCH ||
        m->hdr.len != sizeof(req) + req.count * sizeof(uint32_t)) {
        ctl_reply_err(c, &m->hdr, -EINVAL, "grant unmap: bad count");
        return;
    }
    handles = m->payload + sizeof(req);
    /* All or nothing: every handle is checked before any is released. */
    for (uint32_t i = 0; i < req.count; i++) {
        uint32_t h;

        memcpy(&h, handles + i * sizeof(h), sizeof(h));
        if (!mt || h >= mt->cap || !mt->maps[h].d) {
            ctl_reply_err(c, &m->hdr, -EINVAL, "grant unmap: handle %u is not mapped", h);
            return;
        }
        for (uint32_t j = 0; j < i; j++) {
            uint32_t other;

            memcpy(&other, handles + j * sizeof(other), sizeof(other));
            if (other == h) {
                ctl_reply_err(c, &m->hdr, -EINVAL, "grant unmap: handle %u given twice", h);
                return;
            }
        }
    }
    for (uint32_t i = 0; i < req.count; i++) {
        uint32_t h;

        memcpy(&h, handles + i * sizeof(h), sizeof(h));
        unmap_handle(mt, h);
    }
    ctl_reply(c, &m->hdr, 0, NULL, 0);
}

static void op_copy(struct ctl_conn *c, const struct lamina_ctl_msg *m)
{
    struct lamina_ctl_gnttab_copy req;
    const struct lamina_ctl_gnttab_copy_seg *segs;
    size_t in_data = 0, out_data = 0, status_len, fixed;
    const uint8_t *src;
    uint8_t *rep, *dst;
    int16_t *status;

    if (m->hdr.len < sizeof(req) || m->nfds) {
        ctl_reply_err(c, &m->hdr, -EINVAL, "malformed grant copy request");
        return;
    }
    memcpy(&req, m->payload, sizeof(req));
    fixed = sizeof(req) + (size_t)req.count * sizeof(*segs);
    if (req.count == 0 || req.count > LAMINA_GNTTAB_MAX_BATCH || m->hdr.len < fixed) {
        ctl_reply_err(c, &m->hdr, -EINVAL, "grant copy: bad segment count");
        return;
    }
    segs = (const struct lamina_ctl_gnttab_copy_seg *)(m->payload + sizeof(req));
    for (uint32_t i = 0; i < req.count; i++) {
        if (segs[i].dir == LAMINA_GNTCOPY_TO_GUEST)
            in_data += segs[i].len;
        else if (segs[i].dir == LAMINA_GNTCOPY_FROM_GUEST)
            out_data += segs[i].len;
        else {
            ctl_reply_err(c, &m->hdr, -EINVAL, "grant copy: segment %u has no direction", i);
            return;
        }
    }
    status_len = ((size_t)req.count * sizeof(int16_t) + 7) & ~(size_t)7;
    if (m->hdr.len != fixed + in_data || status_len + out_data > LAMINA_CTL_MAX_PAYLOAD) {
        ctl_reply_err(c, &m->hdr, -EINVAL, "grant copy: data does not match the segments");
        return;
    }
    rep = calloc(1, status_len + out_data);
    if (!rep) {
        ctl_reply_err(c, &m->hdr, -ENOMEM, "out of memory");
        return;
    }
    status = (int16_t *)rep;
    src = m->payload + fixed;
    dst = rep + status_len;
    for (uint32_t i = 0; i < req.count; i++) {
        const struct lamina_ctl_gnttab_copy_seg *s = &segs[i];
        bool to_guest = s->dir == LAMINA_GNTCOPY_TO_GUEST;
        struct domain *d = domain_get(s->domid);
        uint64_t off;

        if (!d || d->is_privileged)
            status[i] = GNTST_bad_domain;
        else if ((uint32_t)s->offset + s->len > HV_PAGE_SIZE)
            status[i] = GNTST_bad_copy_arg;
        else
            status[i] = gnttab_pin(d, s->ref, 0, !to_guest, &off);
        if (status[i] == GNTST_okay) {
            if (to_guest)
                memcpy(d->mem + off + s->offset, src, s->len);
            else
                memcpy(dst, d->mem + off + s->offset, s->len);
            gnttab_unpin(d, s->ref, !to_guest);
            if (!to_guest)
                dst += s->len;
        }
        if (to_guest)
            src += s->len;
        domain_put(d);
    }
    ctl_reply(c, &m->hdr, 0, rep, (uint32_t)(dst - rep));
    free(rep);
}

static void on_close(struct ctl_conn *c)
{
    struct maptrack *mt = maptrack(c, false);

    if (!mt)
        return;
    for (uint32_t h = 0; h < mt->cap; h++)
        if (mt->maps[h].d)
            unmap_handle(mt, h);
    free(mt->maps);
    free(mt);
    *ctl_conn_priv(c, CTL_PRIV_GNTTAB) = NULL;
}

void ctl_gnttab_init(void)
{
    control_register(LAMINA_CTL_OP_GNTTAB_MAP, op_map);
    control_register(LAMINA_CTL_OP_GNTTAB_UNMAP, op_unmap);
    control_register(LAMINA_CTL_OP_GNTTAB_COPY, op_copy);
    control_on_close(on_close);
}
