/*
 * Validation of the boot-info record and the UEFI memory map it carries.
 * The loader is ours, but the map comes from firmware: every count and
 * stride is checked before it is used.
 */
#include "kernel/bootinfo.h"
#include "kernel/errno.h"

static const struct efi_mem_desc *desc_at(const struct bootinfo *bi, uint32_t i)
{
	return (const struct efi_mem_desc *)(uintptr_t)(bi->mmap + (uint64_t)i * bi->mmap_desc_size);
}

/* Every listed file has a terminated name and a range that does not wrap. */
static bool files_valid(const struct bootinfo *bi)
{
	for (uint32_t i = 0; i < bi->file_count; i++) {
		const struct boot_file *f = &bi->files[i];

		if (strnlen(f->name, BOOTINFO_NAME_MAX) == BOOTINFO_NAME_MAX ||
		    !f->addr || f->size > UINT64_MAX - f->addr)
			return false;
	}
	return true;
}

int bootinfo_check(const struct bootinfo *bi, const char **why)
{
	const char *w = NULL;

	if (!bi)
		w = "no record";
	else if (bi->magic != BOOTINFO_MAGIC)
		w = "bad magic (not a Keel loader?)";
	else if (bi->version != BOOTINFO_VERSION)
		w = "version mismatch between loader and kernel";
	else if (bi->size < sizeof(*bi))
		w = "record shorter than this kernel expects";
	else if (!bi->mmap || bi->mmap_count == 0 || bi->mmap_count > BOOTINFO_MMAP_MAX)
		w = "no usable memory map";
	else if (bi->mmap_desc_size < sizeof(struct efi_mem_desc) ||
		 bi->mmap_desc_size > BOOTINFO_DESC_SIZE_MAX || (bi->mmap_desc_size & 7))
		w = "memory map descriptor size is invalid";
	else if (bi->cpu_count > BOOTINFO_MAX_CPUS)
		w = "CPU count out of range";
	else if (bi->file_count > BOOTINFO_MAX_FILES || !files_valid(bi))
		w = "file list is invalid";
	if (why)
		*why = w ? w : "ok";
	return w ? -E_INVAL : 0;
}

static bool type_is_free(uint32_t type)
{
	switch (type) {
	case EFI_MT_CONVENTIONAL:
	case EFI_MT_LOADER_CODE:
	case EFI_MT_LOADER_DATA:
	case EFI_MT_BOOT_SERVICES_CODE:
	case EFI_MT_BOOT_SERVICES_DATA:
		return true;
	default:
		return false;
	}
}

static bool type_is_ram(uint32_t type)
{
	return type_is_free(type) || type == EFI_MT_RUNTIME_SERVICES_CODE ||
	       type == EFI_MT_RUNTIME_SERVICES_DATA || type == EFI_MT_ACPI_RECLAIM ||
	       type == EFI_MT_ACPI_NVS || type == EFI_MT_PERSISTENT || type == EFI_MT_KEEL;
}

/* A descriptor's byte range [*start, *end); false if it is empty or runs
 * past the end of the 64-bit address space (a corrupt map). */
static bool desc_range(const struct efi_mem_desc *d, uint64_t *start, uint64_t *end)
{
	if (d->num_pages == 0 || d->num_pages > (UINT64_MAX - d->phys_start) / PAGE_SIZE)
		return false;
	*start = d->phys_start;
	*end = d->phys_start + d->num_pages * PAGE_SIZE;
	return true;
}

/* Clip a descriptor to whole pages above 1 MiB; false if nothing is left
 * or the descriptor is corrupt. */
static bool clip(const struct efi_mem_desc *d, uint64_t *base, uint64_t *end)
{
	if (!desc_range(d, base, end))
		return false;
	*base = ALIGN_UP(*base, PAGE_SIZE);
	*end = ALIGN_DOWN(*end, PAGE_SIZE);
	if (*base < LOW_MEMORY_END)
		*base = LOW_MEMORY_END;
	return *base < *end;
}

size_t bootinfo_free_ranges(const struct bootinfo *bi, bootinfo_range_fn fn, void *ctx)
{
	uint64_t run_base = 0, run_end = 0, base, end;
	size_t n = 0;

	/* UEFI maps are sorted in practice but not by specification; merge
	 * only neighbours that touch, and report the rest as they come. */
	for (uint32_t i = 0; i < bi->mmap_count; i++) {
		const struct efi_mem_desc *d = desc_at(bi, i);

		if (!type_is_free(d->type) || !clip(d, &base, &end))
			continue;
		if (run_end == base && run_end) {
			run_end = end;
			continue;
		}
		if (run_end) {
			fn(ctx, run_base, run_end - run_base);
			n++;
		}
		run_base = base;
		run_end = end;
	}
	if (run_end) {
		fn(ctx, run_base, run_end - run_base);
		n++;
	}
	return n;
}

uint64_t bootinfo_ram_bytes(const struct bootinfo *bi)
{
	uint64_t total = 0, start, end;

	for (uint32_t i = 0; i < bi->mmap_count; i++) {
		const struct efi_mem_desc *d = desc_at(bi, i);

		if (type_is_ram(d->type) && desc_range(d, &start, &end))
			total += end - start;
	}
	return total;
}

uint64_t bootinfo_memory_top(const struct bootinfo *bi)
{
	uint64_t top = 0, start, end;

	for (uint32_t i = 0; i < bi->mmap_count; i++)
		if (desc_range(desc_at(bi, i), &start, &end) && end > top)
			top = end;
	return top;
}

const struct boot_file *bootinfo_file(const struct bootinfo *bi, const char *name)
{
	for (uint32_t i = 0; i < bi->file_count; i++)
		if (!strcmp(bi->files[i].name, name))
			return &bi->files[i];
	return NULL;
}

const char *efi_memory_type_name(uint32_t type)
{
	static const char *const names[] = {
		"reserved", "loader code", "loader data", "boot code", "boot data",
		"runtime code", "runtime data", "free", "unusable", "ACPI reclaim",
		"ACPI NVS", "MMIO", "MMIO port", "PAL code", "persistent",
	};

	if (type == EFI_MT_KEEL)
		return "keel";
	return type < ARRAY_SIZE(names) ? names[type] : "unknown";
}
