/* xsd.c: starting and stopping lamina-xenstored's engine (everything but the transports). */
/* SPDX-License-Identifier: MIT */
#include "conn.h"
#include "domain.h"
#include "proto.h"
#include "store.h"
#include "watch.h"
#include "xsd.h"

bool xsd_fake_domains;

int xsd_init(const struct domain_backend *backend, bool fake_domains)
{
    int rc;

    xsd_fake_domains = fake_domains;
    if ((rc = store_init()) < 0 || (rc = watch_init()) < 0 || (rc = domains_init(backend)) < 0 ||
        (rc = proto_setup_tree()) < 0) {
        xsd_fini();
        return rc;
    }
    return 0;
}

void xsd_fini(void)
{
    conns_fini();
    domains_fini();
    watch_fini();
    store_fini();
}
