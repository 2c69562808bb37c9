/* ring-none.c: stand-in for ring.c while the xenevtchn/xengnttab libraries are not built. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "domain.h"
#include "log.h"
#include "ring.h"

static int none_introduce(struct domain *d)
{
    log_err("cannot connect to domain %u: this lamina-xenstored was built without the "
              "ring transport", d->domid);
    return -ENOSYS;
}

static int none_reintroduce(struct domain *d)
{
    return -ENOSYS;
}

static void none_release(struct domain *d)
{
}

static const struct domain_backend none_backend = {
    .name = "none",
    .introduce = none_introduce,
    .reintroduce = none_reintroduce,
    .release = none_release,
};

const struct domain_backend *ring_backend(void)
{
    return &none_backend;
}

void ring_fini(void)
{
}
