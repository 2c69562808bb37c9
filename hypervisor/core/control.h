/* control.h: the control socket server. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_HV_CONTROL_H
#define LAMINA_HV_CONTROL_H

int control_init(void);
void control_fini(void);

#endif /* LAMINA_HV_CONTROL_H */
