/* events.h: telling dom0 clients what happens to domains (control.c). */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_HV_EVENTS_H
#define LAMINA_HV_EVENTS_H

#include <stdint.h>

/* Main thread only: send LAMINA_CTL_EV_DOMAIN to every interested client. */
void events_domain(uint32_t domid, uint32_t event, uint32_t reason, uint32_t action);

#endif /* LAMINA_HV_EVENTS_H */
