/* lamina_console.c: console streaming and event subscription requests. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "xc_private.h"

int lamina_console_attach(xc_interface *xch, uint32_t domid, uint32_t flags)
{
    struct lamina_ctl_console_attach req = { .domid = domid, .flags = flags };
    int rc = -EINVAL;

    xc__begin(xch);
    if (domid < XC_DOMID_LIMIT && !(flags & ~LAMINA_CONSOLE_F_REPLAY))
        rc = xc__call_simple(xch, LAMINA_CTL_OP_CONSOLE_ATTACH, &req, sizeof(req));
    return rc < 0 ? xc__fail(xch, rc, "attaching to the console of domain %u", domid) : 0;
}

int lamina_console_detach(xc_interface *xch, uint32_t domid)
{
    struct lamina_ctl_domid req = { .domid = domid };
    int rc = -EINVAL;

    xc__begin(xch);
    if (domid < XC_DOMID_LIMIT)
        rc = xc__call_simple(xch, LAMINA_CTL_OP_CONSOLE_DETACH, &req, sizeof(req));
    return rc < 0 ? xc__fail(xch, rc, "detaching from the console of domain %u", domid) : 0;
}

int lamina_console_input(xc_interface *xch, uint32_t domid, const void *buf, size_t len)
{
    const size_t max_chunk = LAMINA_CTL_MAX_PAYLOAD - sizeof(struct lamina_ctl_console_input);
    const uint8_t *p = buf;

    xc__begin(xch);
    if (domid >= XC_DOMID_LIMIT || (len && !buf))
        return xc__fail(xch, -EINVAL, "console input for domain %u", domid);
    while (len) {
        size_t n = len < max_chunk ? len : max_chunk;
        struct lamina_ctl_console_input in = { .domid = domid, .len = (uint32_t)n };
        struct xc_request req = {
            .op = LAMINA_CTL_OP_CONSOLE_INPUT, .fixed = &in, .fixed_len = sizeof(in),
            .tail = p, .tail_len = n,
        };
        struct lamina_ctl_msg reply;
        int rc = xc__call(xch, &req, &reply);

        if (rc == 0) {
            rc = reply.hdr.len ? -EPROTO : 0;
            lamina_ctl_msg_release(&reply);
        }
        if (rc < 0)
            return xc__fail(xch, rc, "console input for domain %u", domid);
        p += n;
        len -= n;
    }
    return 0;
}

int lamina_subscribe(xc_interface *xch, uint32_t domid, uint32_t mask)
{
    struct lamina_ctl_subscribe req = { .domid = domid, .mask = mask };
    int rc = -EINVAL;

    xc__begin(xch);
    if ((domid < XC_DOMID_LIMIT || domid == LAMINA_DOMID_ANY) && !(mask & ~LAMINA_EVMASK_DOMAIN))
        rc = xc__call_simple(xch, LAMINA_CTL_OP_SUBSCRIBE, &req, sizeof(req));
    return rc < 0 ? xc__fail(xch, rc, "subscribing to events of domain %u", domid) : 0;
}
