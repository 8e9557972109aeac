/*
 * The boot-info record: the one thing the UEFI loader (boot/) hands to the
 * kernel. Both sides include this header; the kernel validates the record
 * (kernel/bootinfo.c) before it trusts any field.
 *
 * Who fills what: the loader fills every field, after the final
 * GetMemoryMap() and before ExitBootServices(). Every address is physical;
 * the loader identity-maps all memory, and so does the kernel.
 *
 * Versioning: 'version' changes when a field changes meaning or moves;
 * fields are only ever appended, and 'size' is the size the loader knew,
 * so a kernel can accept an older, shorter record it understands.
 */
#ifndef KEEL_BOOTINFO_H
#define KEEL_BOOTINFO_H

#include <stdint.h>

#define BOOTINFO_MAGIC		0x544f4f424c45454bULL	/* "KEELBOOT" */
#define BOOTINFO_VERSION	1

#define BOOTINFO_MAX_CPUS	256
#define BOOTINFO_MAX_FILES	64
#define BOOTINFO_NAME_MAX	64
#define BOOTINFO_CMDLINE_MAX	256

/*
 * UEFI memory types (UEFI 2.10, 7.2 "EFI_MEMORY_TYPE") the kernel needs,
 * plus Keel's own OS-defined type for memory that must survive the handover
 * (kernel image, this record, loaded files, boot page tables, the AP
 * trampoline page).
 */
#define EFI_MT_RESERVED			0
#define EFI_MT_LOADER_CODE		1
#define EFI_MT_LOADER_DATA		2
#define EFI_MT_BOOT_SERVICES_CODE	3
#define EFI_MT_BOOT_SERVICES_DATA	4
#define EFI_MT_RUNTIME_SERVICES_CODE	5
#define EFI_MT_RUNTIME_SERVICES_DATA	6
#define EFI_MT_CONVENTIONAL		7
#define EFI_MT_UNUSABLE			8
#define EFI_MT_ACPI_RECLAIM		9
#define EFI_MT_ACPI_NVS			10
#define EFI_MT_MMIO			11
#define EFI_MT_MMIO_PORT		12
#define EFI_MT_PAL_CODE			13
#define EFI_MT_PERSISTENT		14
#define EFI_MT_KEEL			0x80000000u

/* Layout of one UEFI memory descriptor (the loader passes the firmware's
 * array as it is; its stride is mmap_desc_size, not sizeof). */
struct efi_mem_desc {
	uint32_t type;
	uint32_t pad;
	uint64_t phys_start;
	uint64_t virt_start;
	uint64_t num_pages;
	uint64_t attribute;
};

/* A file the loader read from the boot partition's \keel directory. */
struct boot_file {
	char name[BOOTINFO_NAME_MAX];	/* NUL-terminated, no directory */
	uint64_t addr;			/* page aligned, EFI_MT_KEEL memory */
	uint64_t size;			/* bytes */
};

/* Where the list of CPUs came from. */
#define BOOTINFO_CPUS_NONE	0	/* the loader found no MP services */
#define BOOTINFO_CPUS_MPSERVICES 1	/* UEFI EFI_MP_SERVICES_PROTOCOL */

struct bootinfo {
	uint64_t magic;			/* BOOTINFO_MAGIC */
	uint32_t version;		/* BOOTINFO_VERSION */
	uint32_t size;			/* sizeof(struct bootinfo) as built */

	uint64_t rsdp;			/* ACPI RSDP, 0 when the firmware has none */

	uint64_t mmap;			/* UEFI memory map (final one) */
	uint32_t mmap_count;		/* descriptors */
	uint32_t mmap_desc_size;	/* stride in bytes */

	uint64_t kernel_phys;		/* where the kernel image was loaded */
	uint64_t kernel_size;		/* bytes reserved for it (incl. bss) */

	uint64_t trampoline;		/* one page below 1 MiB for AP start-up */

	uint32_t cpu_source;		/* BOOTINFO_CPUS_* */
	uint32_t cpu_count;		/* entries in cpu_apic_id[] */
	uint32_t bsp_apic_id;		/* the CPU that ran the loader */
	uint32_t reserved0;
	uint32_t cpu_apic_id[BOOTINFO_MAX_CPUS];

	uint32_t file_count;
	uint32_t reserved1;
	struct boot_file files[BOOTINFO_MAX_FILES];

	char loader_name[32];		/* "Keel loader x.y.z" */
	char firmware_vendor[64];	/* from the EFI system table, ASCII */
	uint32_t firmware_revision;
	uint32_t reserved2;
	uint64_t loader_tsc;		/* TSC when the loader started */
};

#endif
