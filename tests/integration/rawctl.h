/* rawctl.h: a bare control-socket client for tests that must bypass the libraries' checks. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_TESTS_RAWCTL_H
#define LAMINA_TESTS_RAWCTL_H

#include <stddef.h>
#include <stdint.h>

/* Connects to $LAMINA_RUNDIR/hv.sock and says HELLO: the socket, or a negative errno. */
int rawctl_open(void);

/* One request, no descriptors; returns the reply's status (0 or a negative errno). */
int rawctl_call(int sock, uint16_t op, const void *payload, uint32_t len);

#endif /* LAMINA_TESTS_RAWCTL_H */
