/* xengnttab.h: mapping and copying guests' grants (Xen's libxengnttab API). */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_XENGNTTAB_H
#define LAMINA_XENGNTTAB_H

/*
 * The same functions, types and semantics as Xen 4.17's xengnttab.h, served
 * by lamina-hv over its control socket: link with -llamina-xenctrl.
 *
 * A mapping points straight at the granted page (no copy).  While it
 * exists the grant is held: the guest sees GTF_reading (and GTF_writing for
 * writable maps) and cannot end its grant.  Grants are released by
 * xengnttab_unmap() or when the handle is closed or its process dies.
 * xengnttab_map_grant_ref_notify() supports UNMAP_NOTIFY_CLEAR_BYTE only.
 */

#include <stdint.h>

#include <xen/event_channel.h>
#include <xen/grant_table.h>

typedef struct xengntdev_handle xengnttab_handle;
struct xentoollog_logger;

xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger, unsigned open_flags);
int xengnttab_close(xengnttab_handle *xgt);
int xengnttab_fd(xengnttab_handle *xgt);

void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid, uint32_t ref, int prot);
void *xengnttab_map_grant_refs(xengnttab_handle *xgt, uint32_t count, uint32_t *domids,
                               uint32_t *refs, int prot);
void *xengnttab_map_domain_grant_refs(xengnttab_handle *xgt, uint32_t count, uint32_t domid,
                                      uint32_t *refs, int prot);
void *xengnttab_map_grant_ref_notify(xengnttab_handle *xgt, uint32_t domid, uint32_t ref,
                                     int prot, uint32_t notify_offset,
                                     evtchn_port_t notify_port);
int xengnttab_unmap(xengnttab_handle *xgt, void *start_address, uint32_t count);
int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr_grants);

struct xengnttab_grant_copy_segment {
    union xengnttab_copy_ptr {
        void *virt;
        struct {
            uint32_t ref;
            uint16_t offset;
            uint16_t domid;
        } foreign;
    } source, dest;
    uint16_t len;
    uint16_t flags;         /* GNTCOPY_source_gref / GNTCOPY_dest_gref */
    int16_t status;         /* GNTST_* */
};
typedef struct xengnttab_grant_copy_segment xengnttab_grant_copy_segment_t;

/*
 * Copy between local memory and grants; each segment has exactly one
 * foreign side and stays within one page.  Returns 0 when the call itself
 * worked; each segment's own result is in its status.
 */
int xengnttab_grant_copy(xengnttab_handle *xgt, uint32_t count,
                         xengnttab_grant_copy_segment_t *segs);

#endif /* LAMINA_XENGNTTAB_H */
