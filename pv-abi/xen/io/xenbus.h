/* xen/io/xenbus.h: the states a split-driver frontend and backend step through in xenstore. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_IO_XENBUS_H__
#define __LAMINA_XEN_PUBLIC_IO_XENBUS_H__

/*
 * Each end writes its state to its own "state" node and watches the
 * other's. The usual path is Initialising -> InitWait (backend ready for
 * frontend details) -> Initialised (frontend published its rings) ->
 * Connected, and Closing -> Closed to tear down.
 */
enum xenbus_state {
    XenbusStateUnknown = 0,
    XenbusStateInitialising = 1,
    XenbusStateInitWait = 2,
    XenbusStateInitialised = 3,
    XenbusStateConnected = 4,
    XenbusStateClosing = 5,
    XenbusStateClosed = 6,
    XenbusStateReconfiguring = 7,
    XenbusStateReconfigured = 8
};
typedef enum xenbus_state XenbusState;

#endif /* __LAMINA_XEN_PUBLIC_IO_XENBUS_H__ */
