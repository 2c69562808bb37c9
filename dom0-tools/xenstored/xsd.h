/* xsd.h: starting and stopping lamina-xenstored's engine (everything but the transports). */
/* SPDX-License-Identifier: MIT */
#ifndef XSD_XSD_H
#define XSD_XSD_H

#include <stdbool.h>

struct domain_backend;

/*
 * Set up the database with its initial nodes, the watch index and the
 * domain table; backend says how introduced domains are reached.
 * fake_domains enables CONTROL attach-domain (see lamina-xenstored(8)).
 */
int xsd_init(const struct domain_backend *backend, bool fake_domains);
void xsd_fini(void);

extern bool xsd_fake_domains;

#endif /* XSD_XSD_H */
