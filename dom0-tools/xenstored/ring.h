/* ring.h: how lamina-xenstored reaches guests: shared ring pages and event channels. */
/* SPDX-License-Identifier: MIT */
#ifndef XSD_RING_H
#define XSD_RING_H

struct domain_backend;

/*
 * The backend INTRODUCE uses for real guests. ring.c maps the guest's
 * xenstore page (grant reference GNTTAB_RESERVED_XENSTORE) and binds its
 * event channel through lamina's xengnttab/xenevtchn libraries, and
 * watches VIRQ_DOM_EXC for domains that shut down or die. ring-none.c
 * stands in while those libraries are not built: INTRODUCE then fails
 * with ENOSYS.
 */
const struct domain_backend *ring_backend(void);
void ring_fini(void);

#endif /* XSD_RING_H */
