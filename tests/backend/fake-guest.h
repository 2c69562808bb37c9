/* fake-guest.h: a fake guest for backend tests: memory, grant table and event channels. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_TEST_FAKE_GUEST_H
#define LAMINA_TEST_FAKE_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/grant_table.h>
#include <xengnttab.h>

#define FAKE_PAGE 4096u
#define FAKE_MAX_PORTS 64

/*
 * The "guest" is a memfd, mapped whole for the test (the frontend's view).
 * Grant refs name pages of it. Maps are mmap()s of the same memfd, as
 * lamina's xengnttab maps grants, so a backend works on the very pages the
 * test reads and writes; copies make the checks lamina-hv makes (domain,
 * ref, access, page bounds), each segment getting its own GNTST_* status.
 * Each port is a pair of eventfds: kick (frontend -> backend) and notify
 * (backend -> frontend).
 */
struct fake_guest {
    int memfd;
    size_t npages;
    uint8_t *mem;
    uint32_t domid;
    unsigned int ngrants;
    struct fake_grant {
        bool valid;
        bool readonly;
        uint32_t page;
    } *grants;
    struct fake_port {
        int kick;
        int notify;
        long notifies;
    } ports[FAKE_MAX_PORTS];
    /* Guarded by lock; the counters are what tests look at. */
    void *lock;
    struct fake_mapping *maps;
    long mapped_pages;          /* held by the backend now */
    long max_mapped_pages;      /* high-water mark */
    long map_calls, unmap_calls;
    long bad_unmaps;            /* unmap of something never mapped: a backend bug */
    long failed_maps;
    long copy_calls, copy_segs, failed_segs;
};

struct fake_guest *fake_guest_create(size_t npages, uint32_t domid, unsigned int ngrants);
void fake_guest_destroy(struct fake_guest *g);
/* Make ref grant page (readonly: the backend may only read it). */
void fake_grant(struct fake_guest *g, grant_ref_t ref, uint32_t page, bool readonly);
void fake_revoke(struct fake_guest *g, grant_ref_t ref);
/* The domain dies: its memory is gone for new maps and copies; existing maps stay valid. */
void fake_guest_kill(struct fake_guest *g);
uint8_t *fake_page(struct fake_guest *g, uint32_t page);
long fake_mapped(struct fake_guest *g);
long fake_notifies(struct fake_guest *g, uint32_t port);

/* What a transport does, on this guest: map/unmap as xengnttab, copy as its grant copy. */
void *fake_guest_map(struct fake_guest *g, uint32_t count, const grant_ref_t *refs,
                     bool writable);
int fake_guest_unmap(struct fake_guest *g, void *addr, uint32_t count);
int fake_guest_copy(struct fake_guest *g, xengnttab_grant_copy_segment_t *segs, uint32_t count);
/* The backend notifies the frontend on port (counted, the notify eventfd written). */
int fake_guest_notify(struct fake_guest *g, uint32_t port);

/* perror() and abort(): the test set-up itself failed. */
void fake_die(const char *what) __attribute__((noreturn));

#endif /* LAMINA_TEST_FAKE_GUEST_H */
