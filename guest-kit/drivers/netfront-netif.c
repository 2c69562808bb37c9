/* netfront-netif.c: guest-kit's IP stack (guest-kit/net.h) on a netfront interface. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include <guest-kit/net.h>
#include <guest-kit/netfront.h>

/*
 * Kept apart from netfront.c so that a program using the driver alone
 * does not link the stack.
 */

static int transmit(struct gk_netif *netif, const void *frame, size_t len)
{
    return gk_netfront_send(netif->driver, frame, len);
}

static void deliver(struct gk_netfront *nf, const void *frame, size_t len, void *arg)
{
    (void)nf;
    gk_net_input(arg, frame, len);
}

int gk_netfront_netif_attach(struct gk_netif *netif, uint32_t devid,
                             const struct gk_netfront_options *opts)
{
    struct gk_netfront *nf;
    const struct gk_netfront_info *info;
    int rc;

    if (!netif)
        return -EINVAL;
    rc = gk_netfront_open(devid, opts, &nf);
    if (rc < 0)
        return rc;
    info = gk_netfront_info(nf);
    for (int i = 0; i < 6; i++)
        netif->mac[i] = info->mac[i];
    netif->mtu = (uint16_t)(info->mtu < GK_NET_MTU_MIN ? GK_NET_MTU_MIN :
                            info->mtu > GK_NET_MTU_DEFAULT ? GK_NET_MTU_DEFAULT : info->mtu);
    netif->transmit = transmit;
    netif->driver = nf;
    return 0;
}

struct gk_netfront *gk_netfront_netif_device(struct gk_netif *netif)
{
    return netif->driver;
}

int gk_netfront_netif_input(struct gk_netif *netif)
{
    return gk_netfront_receive(netif->driver, deliver, netif, 0);
}

void gk_netfront_netif_wait(struct gk_netif *netif, uint64_t deadline_ms)
{
    uint64_t deadline_ns;

    /* Frames there already; an interface that is down still waits, not spins. */
    if (gk_netfront_netif_input(netif) > 0)
        return;
    deadline_ns = deadline_ms >= GK_NETFRONT_WAIT_FOREVER / 1000000 ? GK_NETFRONT_WAIT_FOREVER
                                                                     : deadline_ms * 1000000;
    gk_netfront_wait(deadline_ns);
    gk_netfront_netif_input(netif);
}

void gk_netfront_netif_detach(struct gk_netif *netif)
{
    if (!netif || !netif->driver)
        return;
    gk_netfront_close(netif->driver);
    netif->driver = NULL;
}
