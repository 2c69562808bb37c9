/* tap.c: a vif as a host TAP device, optionally a port of a Linux bridge. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
/* <net/if.h> (through tap.h) first: it keeps <linux/if.h> from defining the same things. */
#include "tap.h"

#include <linux/if_arp.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

struct tap {
    struct nb_link link;
    struct nb_tap_config cfg;
    unsigned int offload;       /* TUN_F_*, applied again to a re-created device */
};

/* An ioctl on an interface by name, through a throw-away socket of this network namespace. */
static int if_ioctl(unsigned long req, struct ifreq *ifr)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

    if (s < 0)
        return -errno;
    if (ioctl(s, req, ifr) < 0)
        rc = -errno;
    close(s);
    return rc;
}

static void set_name(struct ifreq *ifr, const char *name)
{
    memset(ifr, 0, sizeof(*ifr));
    snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
}

/* Create and configure the device; returns its descriptor or a negative errno. */
static int tap_create(const struct nb_tap_config *cfg, char *err, size_t errlen)
{
    int fd, rc, hdr = (int)NB_VNET_HDR_LEN;
    unsigned int mtu = cfg->mtu;
    struct ifreq ifr;

    /* A missing bridge is refused before anything is created. */
    if (cfg->bridge[0]) {
        if (if_nametoindex(cfg->bridge) == 0) {
            snprintf(err, errlen, "bridge %s does not exist: create it (ip link add %s type "
                     "bridge; ip link set %s up) or fix bridge= in the vif configuration",
                     cfg->bridge, cfg->bridge, cfg->bridge);
            return -ENODEV;
        }
        /* Like Xen's vif-bridge script: the port takes the bridge's MTU. */
        if (!mtu) {
            set_name(&ifr, cfg->bridge);
            if (if_ioctl(SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
                mtu = (unsigned int)ifr.ifr_mtu;
        }
    }
    fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot open /dev/net/tun: %s (is the tun module loaded?)",
                 strerror(-rc));
        return rc;
    }
    set_name(&ifr, cfg->ifname);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot create TAP device %s: %s%s", cfg->ifname, strerror(-rc),
                 rc == -EBUSY || rc == -EINVAL ? " (a device of that name exists)" : "");
        goto fail;
    }
    /* No offloads towards us until the frontend says what it accepts. */
    if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 || ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot configure TAP device %s: %s", cfg->ifname, strerror(-rc));
        goto fail;
    }
    set_name(&ifr, cfg->ifname);
    ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    memset(ifr.ifr_hwaddr.sa_data, 0xff, 6);
    ifr.ifr_hwaddr.sa_data[0] = (char)0xfe;
    rc = if_ioctl(SIOCSIFHWADDR, &ifr);
    if (rc < 0) {
        snprintf(err, errlen, "cannot set the address of %s: %s", cfg->ifname, strerror(-rc));
        goto fail;
    }
    if (mtu) {
        set_name(&ifr, cfg->ifname);
        ifr.ifr_mtu = (int)mtu;
        rc = if_ioctl(SIOCSIFMTU, &ifr);
        if (rc < 0) {
            snprintf(err, errlen, "cannot set the MTU of %s to %u: %s", cfg->ifname, mtu,
                     strerror(-rc));
            goto fail;
        }
    }
    if (cfg->bridge[0]) {
        set_name(&ifr, cfg->bridge);
        ifr.ifr_ifindex = (int)if_nametoindex(cfg->ifname);
        rc = ifr.ifr_ifindex ? if_ioctl(SIOCBRADDIF, &ifr) : -ENODEV;
        if (rc < 0) {
            snprintf(err, errlen, "cannot add %s to bridge %s: %s%s", cfg->ifname, cfg->bridge,
                     strerror(-rc), rc == -EOPNOTSUPP || rc == -EINVAL ? " (not a bridge?)" : "");
            goto fail;
        }
    }
    set_name(&ifr, cfg->ifname);
    rc = if_ioctl(SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags |= IFF_UP;
        rc = if_ioctl(SIOCSIFFLAGS, &ifr);
    }
    if (rc < 0) {
        snprintf(err, errlen, "cannot bring %s up: %s", cfg->ifname, strerror(-rc));
        goto fail;
    }
    return fd;
fail:
    close(fd);
    return rc;
}

static int tap_reopen(struct nb_link *l)
{
    struct tap *t = l->priv;
    char err[256];
    int fd;

    /* The old device goes with its descriptor; its name is free again. */
    close(l->fd);
    l->fd = -1;
    fd = tap_create(&t->cfg, err, sizeof(err));
    if (fd < 0)
        return fd;
    l->fd = fd;
    return ioctl(fd, TUNSETOFFLOAD, t->offload) < 0 ? -errno : 0;
}

static int tap_set_offload(struct nb_link *l, bool csum, bool tso4, bool tso6)
{
    struct tap *t = l->priv;
    unsigned int off = 0;

    if (csum) {
        off |= TUN_F_CSUM;
        /* Segmentation offloads need checksum offload. */
        if (tso4)
            off |= TUN_F_TSO4;
        if (tso6)
            off |= TUN_F_TSO6;
    }
    if (ioctl(l->fd, TUNSETOFFLOAD, off) < 0)
        return -errno;
    t->offload = off;
    return 0;
}

static void tap_close(struct nb_link *l)
{
    if (l->fd >= 0)
        close(l->fd);
    free(l->priv);
}

int nb_tap_link_open(struct nb_link **out, const struct nb_tap_config *cfg, char *err,
                     size_t errlen)
{
    struct tap *t = calloc(1, sizeof(*t));
    int fd;

    *out = NULL;
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    fd = tap_create(cfg, err, errlen);
    if (fd < 0) {
        free(t);
        return fd;
    }
    t->cfg = *cfg;
    t->link.fd = fd;
    t->link.priv = t;
    t->link.reopen = tap_reopen;
    t->link.set_offload = tap_set_offload;
    t->link.close = tap_close;
    if (cfg->bridge[0])
        snprintf(t->link.desc, sizeof(t->link.desc), "tap %s (bridge %s)", cfg->ifname,
                 cfg->bridge);
    else
        snprintf(t->link.desc, sizeof(t->link.desc), "tap %s", cfg->ifname);
    *out = &t->link;
    return 0;
}
