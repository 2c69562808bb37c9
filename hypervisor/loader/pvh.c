/* pvh.c: building a PVH domain: kernel, ramdisk, start info, memory map. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <xen/hvm/start_info.h>

#include "../core/console.h"
#include "../core/guest_mem.h"
#include "../core/hv.h"
#include "acpi.h"
#include "bzimage.h"
#include "elf.h"

#define PAGE_ALIGN(x)   (((x) + HV_PAGE_SIZE - 1) & ~(HV_PAGE_SIZE - 1))

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

/* The size of a file the toolstack handed us, checked. */
static int file_size(int fd, const char *what, uint64_t max, size_t *size, char *err,
                     size_t errlen)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return fail(err, errlen, -errno, "cannot stat the %s: %s", what, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fail(err, errlen, -EINVAL, "the %s is not a regular file", what);
    if (st.st_size == 0)
        return fail(err, errlen, -EINVAL, "the %s is empty", what);
    if ((uint64_t)st.st_size > max)
        return fail(err, errlen, -EFBIG, "the %s is too large (%lld bytes, at most %llu)", what,
                    (long long)st.st_size, (unsigned long long)max);
    *size = (size_t)st.st_size;
    return 0;
}

/*
 * Read exactly size bytes.  Files are read, not mapped: a file the client
 * truncates meanwhile then gives a short read and an error, not a SIGBUS.
 */
static int read_exact(int fd, const char *what, void *buf, size_t size, char *err, size_t errlen)
{
    uint8_t *p = buf;
    size_t done = 0;

    while (done < size) {
        ssize_t n = pread(fd, p + done, size - done, (off_t)done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(err, errlen, -errno, "cannot read the %s: %s", what, strerror(errno));
        if (n == 0)
            return fail(err, errlen, -EIO, "the %s changed while it was read", what);
        done += (size_t)n;
    }
    return 0;
}

static int read_file(int fd, const char *what, uint64_t max, uint8_t **data, size_t *size,
                     char *err, size_t errlen)
{
    uint8_t *buf;
    int rc = file_size(fd, what, max, size, err, errlen);

    if (rc < 0)
        return rc;
    buf = malloc(*size);
    if (!buf)
        return fail(err, errlen, -ENOMEM, "no memory to read the %s", what);
    rc = read_exact(fd, what, buf, *size, err, errlen);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    *data = buf;
    return 0;
}

static int zero_gpa(struct domain *d, uint64_t gpa, uint64_t len)
{
    static const uint8_t zeroes[4096];

    while (len) {
        size_t n = len > sizeof(zeroes) ? sizeof(zeroes) : (size_t)len;
        int rc = copy_to_gpa(d, gpa, zeroes, n);

        if (rc < 0)
            return rc;
        gpa += n;
        len -= n;
    }
    return 0;
}

static void e820_add(struct domain *d, uint64_t addr, uint64_t size, uint32_t type)
{
    if (d->e820_nr < sizeof(d->e820) / sizeof(d->e820[0]))
        d->e820[d->e820_nr++] = (struct hv_e820){ addr, size, type };
}

static void build_memory_map(struct domain *d)
{
    uint64_t ram = d->ram_pages << HV_PAGE_SHIFT;
    uint64_t special = (HV_SPECIAL_END_GFN - HV_SPECIAL_PAGE_COUNT) << HV_PAGE_SHIFT;

    d->e820_nr = 0;
    e820_add(d, 0, ram < HV_LOWMEM_END ? ram : HV_LOWMEM_END, XEN_HVM_MEMMAP_TYPE_RAM);
    /* The special pages are reserved, but for the ACPI tables' page. */
    e820_add(d, special, (uint64_t)SPECIAL_PAGE_ACPI << HV_PAGE_SHIFT,
             XEN_HVM_MEMMAP_TYPE_RESERVED);
    e820_add(d, special + ((uint64_t)SPECIAL_PAGE_ACPI << HV_PAGE_SHIFT), HV_PAGE_SIZE,
             XEN_HVM_MEMMAP_TYPE_ACPI);
    e820_add(d, special + ((uint64_t)(SPECIAL_PAGE_ACPI + 1) << HV_PAGE_SHIFT),
             (uint64_t)(HV_SPECIAL_PAGE_COUNT - SPECIAL_PAGE_ACPI - 1) << HV_PAGE_SHIFT,
             XEN_HVM_MEMMAP_TYPE_RESERVED);
    if (ram > HV_LOWMEM_END)
        e820_add(d, HV_HIGHMEM_START, ram - HV_LOWMEM_END, XEN_HVM_MEMMAP_TYPE_RAM);
}

int domain_build_pvh(struct domain *d, int kernel_fd, int ramdisk_fd, const char *cmdline,
                     struct lamina_ctl_domain_build_reply *out, char *err, size_t errlen)
{
    uint64_t low_end = d->ram_pages << HV_PAGE_SHIFT;
    uint8_t *file = NULL, *unpacked = NULL;
    const uint8_t *kernel = NULL;
    size_t file_len = 0, kernel_size = 0, ramdisk_size = 0;
    size_t cmdline_len = strlen(cmdline) + 1;
    struct elf_info elf;
    struct hvm_start_info si;
    struct hvm_modlist_entry mod;
    struct hvm_memmap_table_entry mm[sizeof(d->e820) / sizeof(d->e820[0])];
    uint64_t si_gpa, mm_gpa, mod_gpa, cmd_gpa, rd_gpa = 0, end;
    uint64_t special_gfn = HV_SPECIAL_END_GFN - HV_SPECIAL_PAGE_COUNT;
    uint64_t acpi_gpa, rsdp_gpa;
    uint8_t acpi[HV_PAGE_SIZE];
    uint32_t store_port = 0;
    bool entry_ok = false;
    int rc;

    if (low_end > HV_LOWMEM_END)
        low_end = HV_LOWMEM_END;
    if (d->built)
        return fail(err, errlen, -EEXIST, "the domain already has a kernel");
    if (cmdline_len > HV_CMDLINE_MAX)
        return fail(err, errlen, -E2BIG, "the command line is longer than %d bytes",
                    HV_CMDLINE_MAX - 1);

    rc = read_file(kernel_fd, "kernel", HV_KERNEL_MAX, &file, &file_len, err, errlen);
    if (rc < 0)
        return rc;
    kernel = file;
    kernel_size = file_len;
    if (bzimage_detect(file, file_len)) {
        rc = bzimage_extract(file, file_len, &unpacked, &kernel_size, err, errlen);
        if (rc < 0)
            goto out;
        kernel = unpacked;
    }
    rc = elf_parse(kernel, kernel_size, &elf, err, errlen);
    if (rc < 0)
        goto out;
    if (elf.paddr_hi > low_end) {
        rc = fail(err, errlen, -ENOMEM, "the kernel needs memory up to %#llx but the domain "
                  "has RAM up to %#llx: raise memory=", (unsigned long long)elf.paddr_hi,
                  (unsigned long long)low_end);
        goto out;
    }
    for (unsigned int i = 0; i < elf.nseg; i++) {
        const struct elf_segment *s = &elf.seg[i];

        if (elf.phys32_entry >= s->paddr && elf.phys32_entry - s->paddr < s->memsz)
            entry_ok = true;
        rc = copy_to_gpa(d, s->paddr, kernel + s->offset, s->filesz);
        if (!rc)
            rc = zero_gpa(d, s->paddr + s->filesz, s->memsz - s->filesz);
        if (rc < 0) {
            rc = fail(err, errlen, rc, "cannot load the segment at %#llx",
                      (unsigned long long)s->paddr);
            goto out;
        }
    }
    if (!entry_ok) {
        rc = fail(err, errlen, -ENOEXEC, "the PVH entry point %#x is outside the kernel image",
                  elf.phys32_entry);
        goto out;
    }

    /* Start info, memory map, module list and command line follow the kernel. */
    build_memory_map(d);
    si_gpa = PAGE_ALIGN(elf.paddr_hi);
    mm_gpa = si_gpa + sizeof(si);
    mod_gpa = mm_gpa + d->e820_nr * sizeof(mm[0]);
    cmd_gpa = mod_gpa + sizeof(mod);
    end = PAGE_ALIGN(cmd_gpa + cmdline_len);

    if (ramdisk_fd >= 0) {
        rc = file_size(ramdisk_fd, "ramdisk", low_end, &ramdisk_size, err, errlen);
        if (rc < 0)
            goto out;
        rd_gpa = end;
        end = PAGE_ALIGN(rd_gpa + ramdisk_size);
    }
    /* Leave the guest at least a quarter of its memory, and 1 MiB, to run in. */
    if (end > low_end || low_end - end < (low_end / 4 > (1u << 20) ? low_end / 4 : (1u << 20))) {
        rc = fail(err, errlen, -ENOMEM, "kernel%s and boot data need %llu KiB of the domain's "
                  "%llu KiB: raise memory=", ramdisk_size ? ", ramdisk" : "",
                  (unsigned long long)(end >> 10), (unsigned long long)(low_end >> 10));
        goto out;
    }
    if (ramdisk_size) {
        /* Low RAM is one slot: the ramdisk is read straight into the guest. */
        void *dst = gpa_ptr(d, rd_gpa, ramdisk_size);

        rc = dst ? read_exact(ramdisk_fd, "ramdisk", dst, ramdisk_size, err, errlen)
                 : fail(err, errlen, -EFAULT, "the ramdisk does not fit in low memory");
        if (rc < 0)
            goto out;
    }

    for (uint32_t i = 0; i < d->e820_nr; i++)
        mm[i] = (struct hvm_memmap_table_entry){ d->e820[i].addr, d->e820[i].size,
                                                 d->e820[i].type, 0 };
    memset(&mod, 0, sizeof(mod));
    mod.paddr = rd_gpa;
    mod.size = ramdisk_size;
    acpi_gpa = (special_gfn + SPECIAL_PAGE_ACPI) << HV_PAGE_SHIFT;
    rc = acpi_build(acpi, sizeof(acpi), acpi_gpa, d->max_vcpus, d->max_vcpus);
    if (rc < 0) {
        rc = fail(err, errlen, rc, "cannot build ACPI tables for %u vCPUs", d->max_vcpus);
        goto out;
    }
    rsdp_gpa = acpi_gpa + (uint64_t)rc;

    memset(&si, 0, sizeof(si));
    si.magic = XEN_HVM_START_MAGIC_VALUE;
    si.version = 1;
    si.nr_modules = ramdisk_size ? 1 : 0;
    si.modlist_paddr = ramdisk_size ? mod_gpa : 0;
    si.cmdline_paddr = cmd_gpa;
    si.memmap_paddr = mm_gpa;
    si.memmap_entries = d->e820_nr;
    si.rsdp_paddr = rsdp_gpa;
    rc = copy_to_gpa(d, si_gpa, &si, sizeof(si));
    if (!rc)
        rc = copy_to_gpa(d, mm_gpa, mm, d->e820_nr * sizeof(mm[0]));
    if (!rc)
        rc = copy_to_gpa(d, mod_gpa, &mod, sizeof(mod));
    if (!rc)
        rc = copy_to_gpa(d, cmd_gpa, cmdline, cmdline_len);
    if (!rc)
        rc = zero_gpa(d, special_gfn << HV_PAGE_SHIFT,
                      (uint64_t)HV_SPECIAL_PAGE_COUNT << HV_PAGE_SHIFT);
    if (!rc)
        rc = copy_to_gpa(d, acpi_gpa, acpi, sizeof(acpi));
    if (rc < 0) {
        rc = fail(err, errlen, rc, "cannot write the start info");
        goto out;
    }

    rc = arch_vcpu_set_pvh_entry(d->vcpus[0], elf.phys32_entry, (uint32_t)si_gpa);
    if (rc < 0) {
        rc = fail(err, errlen, rc, "cannot set the boot vCPU's registers");
        goto out;
    }
    /*
     * The console and xenstore rings, as a Xen toolstack sets them up: the
     * console served by the hypervisor, the xenstore channel left unbound
     * for dom0's xenstored, both pages granted to dom0 in the reserved
     * grant entries.
     */
    rc = console_connect(d);
    if (!rc)
        rc = evtchn_alloc_unbound(d, 0, NULL, &store_port);
    if (rc < 0) {
        rc = fail(err, errlen, rc, "cannot set up the console and xenstore channels");
        goto out;
    }
    gnttab_seed(d, GNTTAB_RESERVED_CONSOLE, special_gfn + SPECIAL_PAGE_CONSOLE);
    gnttab_seed(d, GNTTAB_RESERVED_XENSTORE, special_gfn + SPECIAL_PAGE_XENSTORE);
    pthread_mutex_lock(&d->lock);
    d->hvm_params[HVM_PARAM_CONSOLE_PFN] = special_gfn + SPECIAL_PAGE_CONSOLE;
    d->hvm_params[HVM_PARAM_CONSOLE_EVTCHN] = d->console_port;
    d->hvm_params[HVM_PARAM_STORE_PFN] = special_gfn + SPECIAL_PAGE_XENSTORE;
    d->hvm_params[HVM_PARAM_STORE_EVTCHN] = store_port;
    d->vcpus[0]->initialised = true;
    d->built = true;
    pthread_mutex_unlock(&d->lock);
    for (uint32_t i = 0; i < d->max_vcpus; i++)
        vcpu_update_time(d->vcpus[i]);

    memset(out, 0, sizeof(*out));
    out->entry = elf.phys32_entry;
    out->start_info = si_gpa;
    out->console_pfn = special_gfn + SPECIAL_PAGE_CONSOLE;
    out->store_pfn = special_gfn + SPECIAL_PAGE_XENSTORE;
    out->console_port = d->console_port;
    out->store_port = store_port;
    dlog(LOG_INFO, d, "built: PVH entry %#x, start info %#llx, kernel %#llx-%#llx%s%s",
         elf.phys32_entry, (unsigned long long)si_gpa, (unsigned long long)elf.paddr_lo,
         (unsigned long long)elf.paddr_hi, elf.guest_os[0] ? ", guest " : "", elf.guest_os);
    rc = 0;
out:
    free(unpacked);
    free(file);
    return rc;
}
