/*
 * Keel's UEFI loader (EFI/BOOT/BOOTX64.EFI). In order:
 *   1. read \keel\keel.elf from its own partition and load it (elf.c);
 *   2. load every other file of \keel (configuration, guest kernels);
 *   3. find the ACPI RSDP and, through MP Services, the list of CPUs;
 *   4. reserve a page below 1 MiB for the application processors' start-up;
 *   5. build the first page tables (paging.c) and the boot-info record;
 *   6. take the final memory map, exit boot services, jump to the kernel.
 * Any failure before step 6 prints an error on the serial port and the
 * firmware console and returns to the firmware.
 */
#include "arch/cpu.h"
#include "boot/loader.h"

/* UEFI PI spec, Vol. 2, 13.4 "EFI_MP_SERVICES_PROTOCOL". */
#define MP_SERVICES_GUID \
	{ 0x3fdda605, 0xa76e, 0x4f46, { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } }
#define MP_PROCESSOR_AS_BSP	0x1
#define MP_PROCESSOR_ENABLED	0x2

typedef struct {
	UINT64 processor_id;	/* the APIC id */
	UINT32 status_flag;
	UINT32 package, core, thread;
	UINT8 extended[64];	/* room for newer firmware's extended topology */
} mp_processor_info;

typedef struct mp_services mp_services;
struct mp_services {
	EFI_STATUS (EFIAPI *get_count)(mp_services *self, UINTN *total, UINTN *enabled);
	EFI_STATUS (EFIAPI *get_info)(mp_services *self, UINTN n, mp_processor_info *info);
};

#define AP_TRAMPOLINE_MAX	0x9ffffULL	/* SIPI vectors address pages < 1 MiB */

EFI_STATUS alloc_keel_pages(UINTN pages, UINT64 max_addr, UINT64 *phys)
{
	EFI_ALLOCATE_TYPE type = max_addr == ~0ULL ? AllocateAnyPages : AllocateMaxAddress;

	*phys = max_addr;
	return BS->AllocatePages(type, (EFI_MEMORY_TYPE)EFI_MT_KEEL, pages, phys);
}

static UINT64 find_rsdp(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	UINT64 v1 = 0;

	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];

		if (!CompareGuid(&t->VendorGuid, &acpi20))
			return (UINT64)t->VendorTable;
		if (!CompareGuid(&t->VendorGuid, &acpi10))
			v1 = (UINT64)t->VendorTable;
	}
	return v1;
}

static void find_cpus(struct bootinfo *bi)
{
	EFI_GUID guid = MP_SERVICES_GUID;
	mp_services *mp;
	UINTN total, enabled;

	if (EFI_ERROR(BS->LocateProtocol(&guid, NULL, (void **)&mp)) ||
	    EFI_ERROR(mp->get_count(mp, &total, &enabled)))
		return;
	bi->cpu_source = BOOTINFO_CPUS_MPSERVICES;
	for (UINTN i = 0; i < total && bi->cpu_count < BOOTINFO_MAX_CPUS; i++) {
		mp_processor_info info;

		if (EFI_ERROR(mp->get_info(mp, i, &info)))
			continue;
		if (info.status_flag & MP_PROCESSOR_AS_BSP)
			bi->bsp_apic_id = (UINT32)info.processor_id;
		if (info.status_flag & MP_PROCESSOR_ENABLED)
			bi->cpu_apic_id[bi->cpu_count++] = (UINT32)info.processor_id;
	}
}

static void copy_vendor(struct bootinfo *bi)
{
	UINTN i;

	for (i = 0; ST->FirmwareVendor && ST->FirmwareVendor[i] &&
		    i + 1 < sizeof(bi->firmware_vendor); i++)
		bi->firmware_vendor[i] = ST->FirmwareVendor[i] < 0x7f ?
			(char)ST->FirmwareVendor[i] : '?';
	bi->firmware_revision = ST->FirmwareRevision;
}

/* Highest address in the memory map: the identity map must cover it. */
static EFI_STATUS memory_top(UINT64 *top)
{
	UINTN size = 0, key, dsize;
	UINT32 dver;
	EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&size, &key, &dsize, &dver);

	if (!map)
		return EFI_OUT_OF_RESOURCES;
	*top = 0;
	for (UINTN off = 0; off < size * dsize; off += dsize) {
		EFI_MEMORY_DESCRIPTOR *d = (EFI_MEMORY_DESCRIPTOR *)((UINT8 *)map + off);
		UINT64 end = d->PhysicalStart + d->NumberOfPages * EFI_PAGE_SIZE;

		if (d->Type != EfiMemoryMappedIO && end > *top)
			*top = end;
	}
	FreePool(map);
	return EFI_SUCCESS;
}

/* The final map goes into Keel memory so that it survives the handover. */
static EFI_STATUS exit_boot_services(EFI_HANDLE image, struct bootinfo *bi)
{
	UINTN size = 0, key, dsize, cap;
	UINT32 dver;
	UINT64 buf;
	EFI_STATUS st;

	st = BS->GetMemoryMap(&size, NULL, &key, &dsize, &dver);
	if (st != EFI_BUFFER_TOO_SMALL)
		return st;
	cap = size + 16 * dsize;	/* the allocation below adds entries */
	st = alloc_keel_pages(EFI_SIZE_TO_PAGES(cap), ~0ULL, &buf);
	if (EFI_ERROR(st))
		return st;
	for (int tries = 0; tries < 4; tries++) {
		size = cap;
		st = BS->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)buf, &key, &dsize, &dver);
		if (EFI_ERROR(st))
			return st;
		bi->mmap = buf;
		bi->mmap_count = (UINT32)(size / dsize);
		bi->mmap_desc_size = (UINT32)dsize;
		/* No output from here on: it could change the map. */
		st = BS->ExitBootServices(image, key);
		if (!EFI_ERROR(st))
			return st;
	}
	return st;
}

static EFI_STATUS load_kernel(EFI_FILE_HANDLE dir, struct bootinfo *bi,
			      UINT64 *vbase, UINT64 *entry)
{
	void *file;
	UINTN size;
	EFI_STATUS st;

	st = files_read(dir, L"keel.elf", &file, &size);
	if (EFI_ERROR(st)) {
		con_error("cannot read \\keel\\keel.elf (status 0x%lx)\n", (UINT64)st);
		return st;
	}
	st = elf_load(file, size, &bi->kernel_phys, vbase, &bi->kernel_size, entry);
	FreePool(file);
	if (EFI_ERROR(st))
		con_error("\\keel\\keel.elf is not a valid Keel kernel (status 0x%lx)\n", (UINT64)st);
	return st;
}

static EFI_STATUS prepare(EFI_HANDLE image, struct bootinfo *bi, UINT64 *cr3, UINT64 *entry)
{
	EFI_FILE_HANDLE dir;
	UINT64 vbase, top;
	EFI_STATUS st;

	st = files_open_dir(image, &dir);
	if (EFI_ERROR(st)) {
		con_error("cannot open \\keel on the boot partition (status 0x%lx)\n", (UINT64)st);
		return st;
	}
	st = load_kernel(dir, bi, &vbase, entry);
	if (!EFI_ERROR(st))
		st = files_load_all(dir, bi);
	dir->Close(dir);
	if (EFI_ERROR(st))
		return st;
	bi->rsdp = find_rsdp();
	find_cpus(bi);
	copy_vendor(bi);
	if (EFI_ERROR(alloc_keel_pages(1, AP_TRAMPOLINE_MAX, &bi->trampoline)))
		bi->trampoline = 0;	/* the kernel then runs on one CPU, and says so */
	st = memory_top(&top);
	if (!EFI_ERROR(st))
		st = paging_build(top, bi->kernel_phys, vbase, bi->kernel_size, cr3);
	if (EFI_ERROR(st))
		con_error("cannot build page tables (status 0x%lx)\n", (UINT64)st);
	return st;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	struct bootinfo *bi;
	UINT64 tsc = rdtsc(), cr3, entry, bi_phys;
	EFI_STATUS st;

	InitializeLib(image, systab);
	con_init();
	con_printf("\nkeel-loader %s\n", LOADER_VERSION);
	st = alloc_keel_pages(EFI_SIZE_TO_PAGES(sizeof(*bi)), ~0ULL, &bi_phys);
	if (EFI_ERROR(st)) {
		con_error("out of memory\n");
		return st;
	}
	bi = (struct bootinfo *)bi_phys;
	SetMem(bi, sizeof(*bi), 0);
	bi->magic = BOOTINFO_MAGIC;
	bi->version = BOOTINFO_VERSION;
	bi->size = sizeof(*bi);
	bi->loader_tsc = tsc;
	CopyMem(bi->loader_name, "Keel loader " LOADER_VERSION, sizeof("Keel loader " LOADER_VERSION));
	st = prepare(image, bi, &cr3, &entry);
	if (EFI_ERROR(st))
		return st;
	con_printf("keel-loader: %d CPUs from MP services, ACPI RSDP at 0x%lx\n",
		   bi->cpu_count, bi->rsdp);
	con_printf("keel-loader: starting the kernel\n");
	st = exit_boot_services(image, bi);
	if (EFI_ERROR(st)) {
		con_error("ExitBootServices failed (status 0x%lx)\n", (UINT64)st);
		return st;
	}
	__asm__ volatile("cli\n\tmov %0, %%cr3\n\tjmp *%2"
			 : : "a"(cr3), "D"(bi), "c"(entry) : "memory");
	__builtin_unreachable();
}
