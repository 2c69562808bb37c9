/* grant_table.h: Xen grant tables (v1): sharing pages with other domains. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_HV_GRANT_TABLE_H
#define LAMINA_HV_GRANT_TABLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <xen/grant_table.h>

struct domain;
struct vcpu;

#define GNTTAB_MAX_FRAMES       64      /* xl's default max_grant_frames */
#define GNTTAB_ENTRIES_PER_FRAME (4096 / sizeof(struct grant_entry_v1))

/* How often each grant of a domain is in use by a mapper (dom0 maps, copies). */
struct gnttab_pin {
    uint16_t readers;
    uint16_t writers;
};

struct grant_table {
    pthread_mutex_t lock;
    uint32_t nr_frames;             /* frames the guest has asked for */
    uint64_t offset;                /* memfd offset of frame 0 */
    struct grant_entry_v1 *entries; /* GNTTAB_MAX_FRAMES frames, shared with the guest */
    struct gnttab_pin *pins;        /* per entry, allocated on first use */
};

int gnttab_domain_init(struct domain *d);
void gnttab_domain_destroy(struct domain *d);
uint32_t gnttab_nr_entries(struct domain *d);

long do_grant_table_op(struct vcpu *v, const uint64_t a[6]);

/* XENMAPSPACE_grant_table: map frame idx of d's table at gfn. */
int gnttab_map_frame(struct domain *d, uint64_t idx, uint64_t gfn);

/* Write a grant for dom0 into a reserved entry (the builder's console/xenstore pages). */
void gnttab_seed(struct domain *d, grant_ref_t ref, uint64_t gfn);

/*
 * Take or release a hold on grant `ref` of domain d for mapper `mapper`:
 * checks the entry permits mapper (and writing, unless readonly), marks it
 * GTF_reading/GTF_writing while held, and gives the memfd offset of the
 * granted frame.  Returns GNTST_* (0 on success).
 */
int16_t gnttab_pin(struct domain *d, grant_ref_t ref, domid_t mapper, bool readonly,
                   uint64_t *offset);
void gnttab_unpin(struct domain *d, grant_ref_t ref, bool readonly);

#endif /* LAMINA_HV_GRANT_TABLE_H */
