/* acpi.c: the ACPI tables a PVH domain boots with: RSDP, XSDT, FADT, DSDT, MADT. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "acpi.h"

/* Layouts from the ACPI specification (6.x); all little-endian, packed. */
struct acpi_header {
    char signature[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    char creator_id[4];
    uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
    char signature[8];
    uint8_t checksum;               /* over the first 20 bytes */
    char oem_id[6];
    uint8_t revision;
    uint32_t rsdt_address;
    uint32_t length;
    uint64_t xsdt_address;
    uint8_t extended_checksum;      /* over all 36 bytes */
    uint8_t reserved[3];
} __attribute__((packed));

struct acpi_gas {
    uint8_t space_id;
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_width;
    uint64_t address;
} __attribute__((packed));

struct acpi_fadt {
    struct acpi_header h;
    uint32_t firmware_ctrl;
    uint32_t dsdt;
    uint8_t reserved0;
    uint8_t preferred_pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;
    uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
    uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
    uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
    uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
    uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
    uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
    uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
    uint16_t iapc_boot_arch;
    uint8_t reserved1;
    uint32_t flags;
    struct acpi_gas reset_reg;
    uint8_t reset_value;
    uint16_t arm_boot_arch;
    uint8_t minor_version;
    uint64_t x_firmware_ctrl;
    uint64_t x_dsdt;
    struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
    struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
    struct acpi_gas sleep_control_reg, sleep_status_reg;
    uint64_t hypervisor_vendor_id;
} __attribute__((packed));

struct acpi_madt {
    struct acpi_header h;
    uint32_t lapic_address;
    uint32_t flags;
} __attribute__((packed));

struct acpi_madt_lapic {
    uint8_t type;                   /* 0: processor local APIC */
    uint8_t length;                 /* 8 */
    uint8_t processor_uid;
    uint8_t apic_id;
    uint32_t flags;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_header) == 36, "ACPI table header");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT (revision 6)");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT");
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT local APIC entry");

#define FADT_HW_REDUCED_ACPI        (1u << 20)
#define FADT_RESET_REG_SUP          (1u << 10)
#define FADT_BOOT_NO_VGA            (1u << 2)
#define FADT_BOOT_NO_CMOS_RTC       (1u << 5)
#define MADT_LAPIC_ENABLED          (1u << 0)
#define MADT_LAPIC_ONLINE_CAPABLE   (1u << 1)
#define LAPIC_DEFAULT_BASE          0xfee00000u

/* AML: Name (_S5, Package () { S5, S5, 0, 0 }) */
static const uint8_t dsdt_s5[] = {
    0x08, '_', 'S', '5', '_',               /* NameOp "_S5_" */
    0x12, 0x08, 0x04,                       /* PackageOp, PkgLength 8, 4 elements */
    0x0a, ACPI_S5_SLEEP_TYPE,               /* BytePrefix: SLP_TYPa */
    0x0a, ACPI_S5_SLEEP_TYPE,               /* BytePrefix: SLP_TYPb */
    0x00, 0x00,                             /* ZeroOp, ZeroOp */
};

/* A one-byte register in I/O space. */
static struct acpi_gas io_register(uint16_t port)
{
    return (struct acpi_gas){ .space_id = 1, .bit_width = 8, .access_width = 1,
                              .address = port };
}

static uint8_t checksum(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum += b[i];
    return (uint8_t)-sum;
}

static void header(struct acpi_header *h, const char *sig, uint32_t length, uint8_t revision)
{
    memcpy(h->signature, sig, 4);
    h->length = length;
    h->revision = revision;
    memcpy(h->oem_id, "LAMINA", 6);
    memcpy(h->oem_table_id, "LAMINAHV", 8);
    h->oem_revision = 1;
    memcpy(h->creator_id, "LMNA", 4);
    h->creator_revision = 1;
}

static void seal(struct acpi_header *h)
{
    h->checksum = 0;
    h->checksum = checksum(h, h->length);
}

int acpi_build(uint8_t *buf, size_t size, uint64_t gpa, uint32_t nr_vcpus, uint32_t online)
{
    size_t off_rsdp = 0, off_xsdt = 64, off_fadt = 128, off_dsdt, off_madt, end;
    uint32_t madt_len, xsdt_len = sizeof(struct acpi_header) + 2 * sizeof(uint64_t);
    struct acpi_rsdp *rsdp;
    struct acpi_header *xsdt, *dsdt;
    struct acpi_fadt *fadt;
    struct acpi_madt *madt;
    uint64_t entries[2];

    if (nr_vcpus == 0 || nr_vcpus > ACPI_TABLES_MAX_VCPUS || online > nr_vcpus)
        return -EINVAL;
    madt_len = (uint32_t)(sizeof(*madt) + nr_vcpus * sizeof(struct acpi_madt_lapic));
    off_dsdt = off_fadt + sizeof(*fadt);
    off_madt = (off_dsdt + sizeof(struct acpi_header) + sizeof(dsdt_s5) + 15) & ~(size_t)15;
    end = off_madt + madt_len;
    if (end > size)
        return -ENOSPC;
    memset(buf, 0, end);

    /* DSDT: only _S5, for poweroff; the CPUs are in the MADT. */
    dsdt = (struct acpi_header *)(buf + off_dsdt);
    header(dsdt, "DSDT", sizeof(*dsdt) + sizeof(dsdt_s5), 2);
    memcpy(dsdt + 1, dsdt_s5, sizeof(dsdt_s5));
    seal(dsdt);

    fadt = (struct acpi_fadt *)(buf + off_fadt);
    header(&fadt->h, "FACP", sizeof(*fadt), 6);
    fadt->flags = FADT_HW_REDUCED_ACPI | FADT_RESET_REG_SUP;
    fadt->reset_reg = io_register(ACPI_RESET_PORT);
    fadt->reset_value = ACPI_RESET_VALUE;
    fadt->sleep_control_reg = io_register(ACPI_SLEEP_CONTROL_PORT);
    fadt->sleep_status_reg = io_register(ACPI_SLEEP_STATUS_PORT);
    fadt->iapc_boot_arch = FADT_BOOT_NO_VGA | FADT_BOOT_NO_CMOS_RTC;
    fadt->minor_version = 0;
    fadt->dsdt = (uint32_t)(gpa + off_dsdt);
    fadt->x_dsdt = gpa + off_dsdt;
    seal(&fadt->h);

    madt = (struct acpi_madt *)(buf + off_madt);
    header(&madt->h, "APIC", madt_len, 4);
    madt->lapic_address = LAPIC_DEFAULT_BASE;
    madt->flags = 0;                /* no 8259 */
    for (uint32_t i = 0; i < nr_vcpus; i++) {
        struct acpi_madt_lapic *l = (struct acpi_madt_lapic *)(madt + 1) + i;

        l->type = 0;
        l->length = sizeof(*l);
        l->processor_uid = (uint8_t)i;
        l->apic_id = (uint8_t)i;
        l->flags = i < online ? MADT_LAPIC_ENABLED : MADT_LAPIC_ONLINE_CAPABLE;
    }
    seal(&madt->h);

    xsdt = (struct acpi_header *)(buf + off_xsdt);
    header(xsdt, "XSDT", xsdt_len, 1);
    entries[0] = gpa + off_fadt;
    entries[1] = gpa + off_madt;
    memcpy(xsdt + 1, entries, sizeof(entries));
    seal(xsdt);

    rsdp = (struct acpi_rsdp *)(buf + off_rsdp);
    memcpy(rsdp->signature, "RSD PTR ", 8);
    memcpy(rsdp->oem_id, "LAMINA", 6);
    rsdp->revision = 2;
    rsdp->length = sizeof(*rsdp);
    rsdp->xsdt_address = gpa + off_xsdt;
    rsdp->checksum = checksum(rsdp, 20);
    rsdp->extended_checksum = checksum(rsdp, sizeof(*rsdp));
    return (int)off_rsdp;
}
