/*
 * Checking and reading the loader's boot-info record (boot/bootinfo.h).
 * Pure code: unit-tested on records built in memory.
 */
#ifndef KEEL_KERNEL_BOOTINFO_H
#define KEEL_KERNEL_BOOTINFO_H

#include "boot/bootinfo.h"
#include "kernel/klib.h"

#define BOOTINFO_MMAP_MAX	4096	/* descriptors we are willing to walk */
#define BOOTINFO_DESC_SIZE_MAX	4096	/* UEFI's stride is 40-48 in practice */
#define LOW_MEMORY_END		0x100000ULL	/* below 1 MiB: legacy, not for the allocator */

/* 0 if the record is one this kernel understands, else -E_INVAL etc.;
 * *why gets a short reason. */
int bootinfo_check(const struct bootinfo *bi, const char **why);

/* Call fn for each range of free RAM (page aligned, merged, above 1 MiB).
 * Returns the number of ranges. */
typedef void (*bootinfo_range_fn)(void *ctx, uint64_t base, uint64_t len);
size_t bootinfo_free_ranges(const struct bootinfo *bi, bootinfo_range_fn fn, void *ctx);

/* Bytes of RAM in the map (all types backed by memory). */
uint64_t bootinfo_ram_bytes(const struct bootinfo *bi);

/* End of the highest range in the map, of any type (MMIO included): what
 * the kernel's identity map must reach. Corrupt descriptors are skipped. */
uint64_t bootinfo_memory_top(const struct bootinfo *bi);

const struct boot_file *bootinfo_file(const struct bootinfo *bi, const char *name);

const char *efi_memory_type_name(uint32_t type);

#endif
