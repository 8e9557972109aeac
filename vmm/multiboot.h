/*
 * Multiboot (version 1) guest kernel loader: loads a kernel the way QEMU's
 * -kernel does (ELF32/ELF64 program headers, or the a.out kludge when
 * header flag 16 is set), places the boot modules and the multiboot
 * information structure behind it, and computes the entry point and the
 * address of the information structure. The caller starts the vCPU in
 * 32-bit protected mode with EAX = MB_BOOTLOADER_MAGIC, EBX = mbi,
 * flat segments and EIP = entry (Multiboot 0.6.96 section 3.2).
 *
 * Pure code: guest memory is reached only through the caller's write/zero
 * callbacks. The kernel image and module bytes are untrusted: every field
 * is decoded and validated (and the whole layout computed) before the first
 * byte is written, so a rejected image leaves guest memory untouched.
 *
 * Specification cited: The Multiboot Specification version 0.6.96
 * (sections 3.1 OS image format, 3.2 machine state, 3.3 boot information).
 * All fields are little-endian; no C bitfields, only named offsets.
 */
#ifndef KEEL_MULTIBOOT_H
#define KEEL_MULTIBOOT_H

#include "kernel/klib.h"

/* ------------------------------------------------ header (section 3.1.1)
 * The header lies 4-byte aligned, completely within the first 8192 bytes
 * of the image; magic + flags + checksum sum to 0 (mod 2^32). */
#define MB_HEADER_MAGIC		0x1BADB002u
#define MB_SEARCH_LEN		8192u
#define MB_HEADER_ALIGN		4u

#define MB_HDR_MAGIC		0	/* u32 */
#define MB_HDR_FLAGS		4	/* u32 */
#define MB_HDR_CHECKSUM		8	/* u32 */
#define MB_HDR_HEADER_ADDR	12	/* u32, valid if MB_FLAG_AOUT_KLUDGE */
#define MB_HDR_LOAD_ADDR	16	/* u32, ditto */
#define MB_HDR_LOAD_END_ADDR	20	/* u32, ditto; 0 = to end of file */
#define MB_HDR_BSS_END_ADDR	24	/* u32, ditto; 0 = no bss */
#define MB_HDR_ENTRY_ADDR	28	/* u32, ditto */
#define MB_HDR_MODE_TYPE	32	/* u32, valid if MB_FLAG_VIDEO_MODE */
#define MB_HDR_WIDTH		36
#define MB_HDR_HEIGHT		40
#define MB_HDR_DEPTH		44
#define MB_HDR_MIN_LEN		12	/* magic, flags, checksum */
#define MB_HDR_AOUT_LEN		32	/* ... plus the address fields */

/* Header flags (section 3.1.2). Bits 0-15 are requirements: a loader that
 * does not understand one must refuse the image. Bits 16-31 are optional. */
#define MB_FLAG_PAGE_ALIGN	(1u << 0)	/* modules page aligned */
#define MB_FLAG_MEMORY_INFO	(1u << 1)	/* mem_* and mmap_* wanted */
#define MB_FLAG_VIDEO_MODE	(1u << 2)	/* video mode request */
#define MB_FLAG_AOUT_KLUDGE	(1u << 16)	/* address fields valid */
#define MB_FLAGS_REQUIRED	0x0000ffffu
#define MB_FLAGS_KNOWN		(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | \
				 MB_FLAG_VIDEO_MODE)

/* ---------------------------------------- machine state (section 3.2) */
#define MB_BOOTLOADER_MAGIC	0x2BADB002u

/* ------------------------------ boot information (section 3.3, figure)
 * Offsets into the multiboot information structure; u32 unless noted. */
#define MBI_FLAGS		0
#define MBI_MEM_LOWER		4	/* KiB from 0, at most 640 */
#define MBI_MEM_UPPER		8	/* KiB from 1 MiB to the first hole */
#define MBI_BOOT_DEVICE		12
#define MBI_CMDLINE		16	/* physical address of a C string */
#define MBI_MODS_COUNT		20
#define MBI_MODS_ADDR		24
#define MBI_SYMS		28	/* 16 bytes: a.out or ELF symbols */
#define MBI_MMAP_LENGTH		44	/* bytes */
#define MBI_MMAP_ADDR		48
#define MBI_DRIVES_LENGTH	52
#define MBI_DRIVES_ADDR		56
#define MBI_CONFIG_TABLE	60
#define MBI_BOOT_LOADER_NAME	64
#define MBI_APM_TABLE		68
#define MBI_VBE_CONTROL_INFO	72
#define MBI_VBE_MODE_INFO	76
#define MBI_VBE_MODE		80	/* u16, then the VBE interface u16s */
#define MBI_FRAMEBUFFER_ADDR	88	/* u64, then the framebuffer fields */
#define MBI_SIZE		116

/* Which MBI fields are valid (section 3.3). */
#define MBI_FLAG_MEMORY		(1u << 0)
#define MBI_FLAG_BOOT_DEVICE	(1u << 1)
#define MBI_FLAG_CMDLINE	(1u << 2)
#define MBI_FLAG_MODS		(1u << 3)
#define MBI_FLAG_AOUT_SYMS	(1u << 4)
#define MBI_FLAG_ELF_SHDR	(1u << 5)
#define MBI_FLAG_MEM_MAP	(1u << 6)
#define MBI_FLAG_DRIVE_INFO	(1u << 7)
#define MBI_FLAG_CONFIG_TABLE	(1u << 8)
#define MBI_FLAG_BOOT_LOADER_NAME (1u << 9)
#define MBI_FLAG_APM_TABLE	(1u << 10)
#define MBI_FLAG_VBE_INFO	(1u << 11)
#define MBI_FLAG_FRAMEBUFFER	(1u << 12)

/* One module list entry: [mod_start, mod_end) and its string. */
#define MB_MOD_START		0
#define MB_MOD_END		4	/* one past the last byte */
#define MB_MOD_STRING		8
#define MB_MOD_RESERVED		12
#define MB_MOD_SIZE		16

/* One memory map entry. 'size' counts the bytes after itself, so the next
 * entry starts at entry + size + 4. */
#define MB_MMAP_SIZE		0	/* u32 */
#define MB_MMAP_BASE		4	/* u64 */
#define MB_MMAP_LENGTH		12	/* u64 */
#define MB_MMAP_TYPE		20	/* u32 */
#define MB_MMAP_ENTRY_SIZE	24
#define MB_MMAP_SIZE_FIELD	(MB_MMAP_ENTRY_SIZE - 4)

/* Memory types, shared by the map entries and e820. */
#define MB_MEM_USABLE		1
#define MB_MEM_RESERVED		2

#define MB_BOOT_LOADER_NAME	"Keel"

/* ------------------------------------------------------------ interface */

/* One range of the guest's physical address space. */
struct guest_region {
	uint64_t base, size;
	uint32_t type;		/* MB_MEM_* (e820 numbering) */
};

/* The guest as the loader sees it. 'regions' is sorted by base, without
 * overlaps or empty entries. The loader calls write/zero only for ranges
 * inside MB_MEM_USABLE regions; they return 0 or a negative E_* code. */
struct mb_guest {
	const struct guest_region *regions;
	unsigned nr_regions;
	int (*write)(void *ctx, uint64_t gpa, const void *src, size_t len);
	int (*zero)(void *ctx, uint64_t gpa, size_t len);
	void *ctx;
};

/* A boot module: its bytes and its string (the file name and arguments;
 * NULL means ""). */
struct mb_module {
	const void *data;
	size_t size;
	const char *string;
};

/* Where things went. [kernel_start, kernel_end) spans every loaded segment
 * including bss; top is one past the highest byte the loader wrote. */
struct mb_result {
	uint32_t entry;		/* EIP */
	uint32_t mbi;		/* EBX */
	uint64_t kernel_start, kernel_end;
	uint64_t top;
};

/* Load 'image' (untrusted) with the kernel command line 'cmdline' (NULL
 * means "") and 'nr_mods' modules into the guest. Everything is placed
 * below 4 GiB in usable RAM: the kernel where its headers say, then, from
 * the next page after it, each module on its own page boundary, then the
 * information block (MBI, memory map, module list, strings).
 * Returns 0, or a negative E_* code with a sentence in why[whylen]:
 *   -E_NOENT no header, -E_CHECKSUM header checksum wrong, -E_NOTSUP an
 *   unknown required flag, -E_INVAL malformed image, -E_RANGE the kernel
 *   does not fit in guest RAM below 4 GiB, -E_NOMEM no room for the
 *   modules or the information, or whatever a callback returned. */
int mb_load(const void *image, size_t size, const char *cmdline,
	    const struct mb_module *mods, unsigned nr_mods,
	    const struct mb_guest *g, struct mb_result *out,
	    char *why, size_t whylen);

/* 1 if 'image' has a multiboot v1 header (magic and checksum) in its first
 * 8192 bytes, else 0. Flags are checked by mb_load, so that a kernel that
 * asks for something Keel cannot do gets a clear refusal. */
int mb_probe(const void *image, size_t size);

#endif
