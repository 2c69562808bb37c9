/* pagetables.S: boot page tables identity-mapping the first 4 GiB with 2 MiB pages. */
/* SPDX-License-Identifier: MIT */
#include "arch.h"

/*
 * Built by the assembler rather than at boot: filling 2048 entries in a
 * loop would cost milliseconds under KVM's instruction emulator, while
 * loading 24 KiB more of the image costs nothing measurable.
 */
    .section .data.page_aligned, "aw"
    .balign 4096
    .globl gk_boot_pml4
gk_boot_pml4:
    .quad gk_boot_pdpt + GK_PTE_PRESENT + GK_PTE_WRITE
    .fill 511, 8, 0

    .globl gk_boot_pdpt
gk_boot_pdpt:
    .set gib, 0
    .rept GK_BOOT_MAP_GIB
    .quad gk_boot_pd + gib * 4096 + GK_PTE_PRESENT + GK_PTE_WRITE
    .set gib, gib + 1
    .endr
    .fill 512 - GK_BOOT_MAP_GIB, 8, 0
    .size gk_boot_pdpt, 4096

gk_boot_pd:
    .set frame, 0
    .rept GK_BOOT_MAP_GIB * 512
    .quad (frame << 21) + GK_PTE_PRESENT + GK_PTE_WRITE + GK_PTE_LARGE
    .set frame, frame + 1
    .endr

    .section .note.GNU-stack, "", @progbits
