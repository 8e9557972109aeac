/*
 * Multiboot (version 1) kernel loader; the interface and the multiboot
 * layouts are in vmm/multiboot.h (Multiboot 0.6.96, sections 3.1-3.3).
 *
 * Decode first, then execute: the image is decoded into a plan (segments,
 * entry point), the modules and the information block are laid out behind
 * the kernel, and only when all of it is known to fit the guest's usable
 * RAM below 4 GiB is anything written. Placement is deterministic, so the
 * write pass repeats the layout pass's choices.
 *
 * ELF layouts are from the System V ABI (ELF32) and the ELF-64 Object File
 * Format 1.5; like QEMU, segments are loaded at their physical addresses.
 */
#include "vmm/loader.h"
#include "vmm/multiboot.h"
#include "kernel/errno.h"

/* ELF identification and header fields shared by both classes. */
#define ELF_MAGIC	"\177ELF"
#define ELF_MAGIC_LEN	4
#define EI_CLASS	4
#define EI_DATA		5
#define EI_VERSION	6
#define EI_NIDENT	16
#define ELFCLASS32	1
#define ELFCLASS64	2
#define ELFDATA2LSB	1
#define EV_CURRENT	1
#define E_TYPE		16	/* u16 */
#define E_MACHINE	18	/* u16 */
#define E_VERSION	20	/* u32 */
#define E_ENTRY		24	/* word */
#define ET_EXEC		2
#define EM_386		3
#define EM_X86_64	62
#define PT_LOAD		1

/* Where the class-dependent fields are. */
struct elf_layout {
	unsigned bits;		/* 32 or 64 */
	unsigned word;		/* bytes in an address or offset */
	uint16_t machine;
	size_t ehdr_size, e_phoff, e_phentsize, e_phnum;
	size_t phdr_size, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz;
};

static const struct elf_layout elf32_layout = {
	.bits = 32, .word = 4, .machine = EM_386,
	.ehdr_size = 52, .e_phoff = 28, .e_phentsize = 42, .e_phnum = 44,
	.phdr_size = 32, .p_offset = 4, .p_vaddr = 8, .p_paddr = 12,
	.p_filesz = 16, .p_memsz = 20,
};

static const struct elf_layout elf64_layout = {
	.bits = 64, .word = 8, .machine = EM_X86_64,
	.ehdr_size = 64, .e_phoff = 32, .e_phentsize = 54, .e_phnum = 56,
	.phdr_size = 56, .p_offset = 8, .p_vaddr = 16, .p_paddr = 24,
	.p_filesz = 32, .p_memsz = 40,
};

/* The CPU starts in 32-bit protected mode without paging: the kernel, its
 * entry point and everything the MBI points at must be below 4 GiB. */
#define ADDR_LIMIT	(4ULL * GiB)
#define LOW_MEM_END	(640 * KiB)	/* mem_lower counts up to here */
#define HIGH_MEM_START	(1 * MiB)	/* mem_upper counts from here */
#define MAX_SEGMENTS	16		/* real kernels have a handful */
#define INFO_ALIGN	8		/* of the mmap behind the MBI */

struct segment {
	unsigned index;			/* program header number */
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

/* Offsets of the parts of the information block from its base. */
struct info_layout {
	uint64_t base, mmap, mods, name, cmdline, strings, size;
};

struct loader {
	const uint8_t *img;
	size_t size;
	const char *cmdline;
	const struct mb_module *mods;
	unsigned nr_mods;
	const struct mb_guest *g;
	char *why;
	size_t whylen;
	uint32_t hdr_off, flags;
	const char *kind;		/* "ELF segment" or "a.out image" */
	struct segment seg[MAX_SEGMENTS];
	unsigned nr_seg;
	uint64_t entry, start, end;
	struct info_layout info;
};

/* ------------------------------------------------------------- helpers */

static uint64_t rd_word(const uint8_t *p, const struct elf_layout *lay)
{
	return lay->word == 8 ? ld_rd64(p) : ld_rd32(p);
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

__attribute__((format(printf, 3, 4)))
static int fail(struct loader *l, int err, const char *fmt, ...)
{
	va_list ap;

	if (l->why && l->whylen) {
		va_start(ap, fmt);
		kvsnprintf(l->why, l->whylen, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* -------------------------------------------------- guest memory map */

static int check_regions(struct loader *l)
{
	return ld_check_regions(l->g, l->why, l->whylen);
}

static bool place(const struct mb_guest *g, uint64_t *cursor, uint64_t len, uint64_t *at)
{
	for (unsigned i = 0; i < g->nr_regions; i++) {
		const struct guest_region *r = &g->regions[i];
		uint64_t start = MAX(*cursor, r->base), end;

		if (r->type != MB_MEM_USABLE || start >= ADDR_LIMIT)
			continue;
		start = ALIGN_UP(start, PAGE_SIZE);
		end = MIN(ld_usable_end(g, start), ADDR_LIMIT);
		if (start < end && len <= end - start) {
			*at = start;
			*cursor = start + len;
			return true;
		}
	}
	return false;
}

/* ----------------------------------------------------- multiboot header */

/* First 4-byte aligned offset in the first 8192 bytes holding the magic
 * and a good checksum. Like QEMU and GRUB, a magic with a bad checksum
 * does not stop the search; it only changes the error. */
static int find_header(const uint8_t *img, size_t size, uint32_t *off)
{
	size_t limit = MIN(size, (size_t)MB_SEARCH_LEN);
	int err = -E_NOENT;

	for (size_t o = 0; o + MB_HDR_MIN_LEN <= limit; o += MB_HEADER_ALIGN) {
		const uint8_t *h = img + o;
		uint32_t sum;

		if (ld_rd32(h + MB_HDR_MAGIC) != MB_HEADER_MAGIC)
			continue;
		sum = ld_rd32(h + MB_HDR_MAGIC) + ld_rd32(h + MB_HDR_FLAGS) + ld_rd32(h + MB_HDR_CHECKSUM);
		if (sum == 0) {
			*off = (uint32_t)o;
			return 0;
		}
		if (err == -E_NOENT) {
			*off = (uint32_t)o;
			err = -E_CHECKSUM;
		}
	}
	return err;
}

int mb_probe(const void *image, size_t size)
{
	uint32_t off;

	return image && find_header(image, size, &off) == 0;
}

static int decode_header(struct loader *l)
{
	int err = find_header(l->img, l->size, &l->hdr_off);
	uint32_t unknown;

	if (err == -E_NOENT)
		return fail(l, err, "no multiboot header in the first %u bytes", MB_SEARCH_LEN);
	if (err)
		return fail(l, err, "multiboot header at offset 0x%x has a bad checksum", l->hdr_off);
	l->flags = ld_rd32(l->img + l->hdr_off + MB_HDR_FLAGS);
	/* Section 3.1.2: an unknown bit in 0-15 is a requirement we cannot
	 * meet. The video request (bit 2) is known and ignored: no framebuffer. */
	unknown = l->flags & MB_FLAGS_REQUIRED & ~MB_FLAGS_KNOWN;
	if (unknown)
		return fail(l, -E_NOTSUP, "multiboot header requires features Keel does not have "
			    "(flags 0x%x)", unknown);
	if ((l->flags & MB_FLAG_AOUT_KLUDGE) &&
	    l->hdr_off + MB_HDR_AOUT_LEN > MIN(l->size, (size_t)MB_SEARCH_LEN))
		return fail(l, -E_INVAL, "multiboot header at offset 0x%x is cut off before "
			    "its address fields", l->hdr_off);
	return 0;
}

/* ------------------------------------------------------------ the plan */

static int check_overlap(struct loader *l, const struct segment *s)
{
	for (unsigned i = 0; i < l->nr_seg; i++) {
		const struct segment *o = &l->seg[i];

		if (s->paddr < o->paddr + o->memsz && o->paddr < s->paddr + s->memsz)
			return fail(l, -E_INVAL, "%ss %u and %u overlap", l->kind,
				    o->index, s->index);
	}
	return 0;
}

/* Validate one loadable piece of the image and add it to the plan. */
static int add_segment(struct loader *l, const struct segment *s)
{
	int err;

	if (s->filesz > s->memsz)
		return fail(l, -E_INVAL, "%s %u: file size 0x%lx is larger than memory size 0x%lx",
			    l->kind, s->index, s->filesz, s->memsz);
	if (s->offset > l->size || s->filesz > l->size - s->offset)
		return fail(l, -E_INVAL, "%s %u (file offset 0x%lx, size 0x%lx) runs past the end "
			    "of the file (0x%zx bytes)", l->kind, s->index, s->offset, s->filesz, l->size);
	if (s->memsz == 0)
		return 0;
	if (s->paddr >= ADDR_LIMIT || s->memsz > ADDR_LIMIT - s->paddr)
		return fail(l, -E_RANGE, "%s %u at 0x%lx (size 0x%lx) is not below 4 GiB",
			    l->kind, s->index, s->paddr, s->memsz);
	if (!ld_in_usable_ram(l->g, s->paddr, s->memsz))
		return fail(l, -E_RANGE, "%s %u at 0x%lx (size 0x%lx) is outside guest RAM",
			    l->kind, s->index, s->paddr, s->memsz);
	err = check_overlap(l, s);
	if (err)
		return err;
	if (l->nr_seg == MAX_SEGMENTS)
		return fail(l, -E_INVAL, "more than %u loadable segments", MAX_SEGMENTS);
	l->seg[l->nr_seg++] = *s;
	l->start = MIN(l->start, s->paddr);
	l->end = MAX(l->end, s->paddr + s->memsz);
	return 0;
}

/* Like QEMU: an entry point inside a segment's virtual range, where that
 * segment is not identity-placed, is translated to its physical address.
 * The result must be inside a loaded segment and below 4 GiB. */
static int set_entry(struct loader *l, uint64_t entry)
{
	for (unsigned i = 0; i < l->nr_seg; i++) {
		const struct segment *s = &l->seg[i];

		if (s->vaddr != s->paddr && entry - s->vaddr < s->memsz) {
			entry = entry - s->vaddr + s->paddr;
			break;
		}
	}
	if (entry >= ADDR_LIMIT)
		return fail(l, -E_RANGE, "entry point 0x%lx is above 4 GiB, but the kernel starts "
			    "in 32-bit protected mode", entry);
	for (unsigned i = 0; i < l->nr_seg; i++) {
		if (entry - l->seg[i].paddr < l->seg[i].memsz) {
			l->entry = entry;
			return 0;
		}
	}
	return fail(l, -E_INVAL, "entry point 0x%lx is not inside the loaded kernel", entry);
}

/* Section 3.1.3: the address fields describe a flat image whose header sits
 * at header_addr; loading starts (header_addr - load_addr) bytes before the
 * header's own file offset. */
static int plan_aout(struct loader *l)
{
	const uint8_t *h = l->img + l->hdr_off;
	uint32_t header_addr = ld_rd32(h + MB_HDR_HEADER_ADDR), load = ld_rd32(h + MB_HDR_LOAD_ADDR);
	uint32_t load_end = ld_rd32(h + MB_HDR_LOAD_END_ADDR), bss_end = ld_rd32(h + MB_HDR_BSS_END_ADDR);
	struct segment s = { .index = 0, .paddr = load, .vaddr = load };
	int err;

	l->kind = "a.out image";
	if (load > header_addr || header_addr - load > l->hdr_off)
		return fail(l, -E_INVAL, "a.out kludge: load_addr 0x%x and header_addr 0x%x do not "
			    "match the header's file offset 0x%x", load, header_addr, l->hdr_off);
	if (load_end && load_end <= load)
		return fail(l, -E_INVAL, "a.out kludge: load_end_addr 0x%x is not above load_addr 0x%x",
			    load_end, load);
	s.offset = l->hdr_off - (header_addr - load);
	s.filesz = load_end ? (uint64_t)load_end - load : l->size - s.offset;
	if (s.filesz > l->size - s.offset)
		return fail(l, -E_INVAL, "a.out kludge: kernel file is too short (0x%zx bytes) for "
			    "load_end_addr 0x%x", l->size, load_end);
	s.memsz = s.filesz;
	if (bss_end && bss_end < load + s.filesz)
		return fail(l, -E_INVAL, "a.out kludge: bss_end_addr 0x%x is below the end of the "
			    "loaded data 0x%lx", bss_end, load + s.filesz);
	if (bss_end)
		s.memsz = bss_end - load;
	err = add_segment(l, &s);
	return err ? err : set_entry(l, ld_rd32(h + MB_HDR_ENTRY_ADDR));
}

static int elf_check_header(struct loader *l, const struct elf_layout **out)
{
	const uint8_t *e = l->img;
	const struct elf_layout *lay;

	if (l->size < EI_NIDENT || memcmp(e, ELF_MAGIC, ELF_MAGIC_LEN))
		return fail(l, -E_INVAL, "kernel is not ELF and its multiboot header does not "
			    "have the address fields (flag 16)");
	lay = e[EI_CLASS] == ELFCLASS32 ? &elf32_layout :
	      e[EI_CLASS] == ELFCLASS64 ? &elf64_layout : NULL;
	if (!lay)
		return fail(l, -E_INVAL, "ELF class %u is neither 32- nor 64-bit", e[EI_CLASS]);
	if (l->size < lay->ehdr_size)
		return fail(l, -E_INVAL, "ELF header is cut off (file is 0x%zx bytes)", l->size);
	if (e[EI_DATA] != ELFDATA2LSB || e[EI_VERSION] != EV_CURRENT ||
	    ld_rd32(e + E_VERSION) != EV_CURRENT)
		return fail(l, -E_INVAL, "ELF file is not little-endian version 1");
	if (ld_rd16(e + E_TYPE) != ET_EXEC)
		return fail(l, -E_INVAL, "ELF file is not an executable (type %u)", ld_rd16(e + E_TYPE));
	if (ld_rd16(e + E_MACHINE) != lay->machine)
		return fail(l, -E_INVAL, "ELF%u file is for machine %u, not %s", lay->bits,
			    ld_rd16(e + E_MACHINE), lay->bits == 32 ? "i386" : "x86-64");
	*out = lay;
	return 0;
}

static void elf_read_phdr(const uint8_t *ph, const struct elf_layout *lay, struct segment *s)
{
	s->offset = rd_word(ph + lay->p_offset, lay);
	s->vaddr = rd_word(ph + lay->p_vaddr, lay);
	s->paddr = rd_word(ph + lay->p_paddr, lay);
	s->filesz = rd_word(ph + lay->p_filesz, lay);
	s->memsz = rd_word(ph + lay->p_memsz, lay);
}

static int plan_elf(struct loader *l)
{
	const struct elf_layout *lay = NULL;
	uint64_t phoff, entsize, num;
	int err = elf_check_header(l, &lay);

	if (err)
		return err;
	l->kind = "ELF segment";
	phoff = rd_word(l->img + lay->e_phoff, lay);
	entsize = ld_rd16(l->img + lay->e_phentsize);
	num = ld_rd16(l->img + lay->e_phnum);
	if (num == 0 || entsize < lay->phdr_size)
		return fail(l, -E_INVAL, "ELF program headers are missing or too small");
	if (phoff > l->size || num * entsize > l->size - phoff)
		return fail(l, -E_INVAL, "ELF program header table (offset 0x%lx, %lu entries) runs "
			    "past the end of the file", phoff, num);
	for (unsigned i = 0; i < num; i++) {
		const uint8_t *ph = l->img + phoff + i * entsize;
		struct segment s = { .index = i };

		if (ld_rd32(ph) != PT_LOAD)
			continue;
		elf_read_phdr(ph, lay, &s);
		err = add_segment(l, &s);
		if (err)
			return err;
	}
	if (l->nr_seg == 0)
		return fail(l, -E_INVAL, "ELF file has no loadable segment");
	return set_entry(l, rd_word(l->img + E_ENTRY, lay));
}

/* --------------------------------------------------------------- layout */

static int check_modules(struct loader *l)
{
	for (unsigned i = 0; i < l->nr_mods; i++) {
		if (!l->mods[i].data && l->mods[i].size)
			return fail(l, -E_INVAL, "module %u has no data", i);
	}
	return 0;
}

/* Sizes of everything in the information block: the MBI, the memory map,
 * the module list, then the strings. Stops counting once past 4 GiB, which
 * cannot be placed anyway, so nothing overflows. */
static void size_info(struct loader *l)
{
	struct info_layout *in = &l->info;
	uint64_t off = ALIGN_UP((uint64_t)MBI_SIZE, INFO_ALIGN);

	in->mmap = off;
	off += (uint64_t)l->g->nr_regions * MB_MMAP_ENTRY_SIZE;
	in->mods = off;
	off += (uint64_t)l->nr_mods * MB_MOD_SIZE;
	in->name = off;
	off += sizeof(MB_BOOT_LOADER_NAME);
	in->cmdline = off;
	off += strlen(or_empty(l->cmdline)) + 1;
	in->strings = off;
	for (unsigned i = 0; i < l->nr_mods && off <= ADDR_LIMIT; i++)
		off += strlen(or_empty(l->mods[i].string)) + 1;
	in->size = off;
}

static int write_module(struct loader *l, unsigned i, uint64_t at, uint64_t str);

/* Place each module on its own page boundary (always, which satisfies
 * MB_FLAG_PAGE_ALIGN); with 'write', also copy it and its list entry. */
static int place_modules(struct loader *l, uint64_t *cursor, bool write)
{
	uint64_t str = l->info.base + l->info.strings, at;
	int err;

	for (unsigned i = 0; i < l->nr_mods; i++) {
		const struct mb_module *m = &l->mods[i];

		/* An empty module still gets its own address. */
		if (!place(l->g, cursor, MAX(m->size, (size_t)1), &at))
			return fail(l, -E_NOMEM, "no room in guest RAM below 4 GiB for module %u "
				    "(0x%zx bytes)", i, m->size);
		if (!write)
			continue;
		err = write_module(l, i, at, str);
		if (err)
			return err;
		str += strlen(or_empty(m->string)) + 1;
	}
	return 0;
}

/* Decode the image and lay everything out; nothing is written. */
static int decode(struct loader *l)
{
	uint64_t cursor;
	int err;

	err = check_regions(l);
	if (!err)
		err = decode_header(l);
	if (!err)
		err = (l->flags & MB_FLAG_AOUT_KLUDGE) ? plan_aout(l) : plan_elf(l);
	if (!err)
		err = check_modules(l);
	if (err)
		return err;
	cursor = ALIGN_UP(l->end, PAGE_SIZE);
	err = place_modules(l, &cursor, false);
	if (err)
		return err;
	size_info(l);
	if (!place(l->g, &cursor, l->info.size, &l->info.base))
		return fail(l, -E_NOMEM, "no room in guest RAM below 4 GiB for the multiboot "
			    "information (0x%lx bytes)", l->info.size);
	return 0;
}

/* --------------------------------------------------------------- writes */

static int gwrite(struct loader *l, uint64_t gpa, const void *src, size_t len)
{
	int err = len ? l->g->write(l->g->ctx, gpa, src, len) : 0;

	if (err < 0)
		return fail(l, err, "writing 0x%zx bytes of guest memory at 0x%lx failed", len, gpa);
	return 0;
}

static int gzero(struct loader *l, uint64_t gpa, size_t len)
{
	int err = len ? l->g->zero(l->g->ctx, gpa, len) : 0;

	if (err < 0)
		return fail(l, err, "clearing 0x%zx bytes of guest memory at 0x%lx failed", len, gpa);
	return 0;
}

static int gwrite_str(struct loader *l, uint64_t gpa, const char *s)
{
	s = or_empty(s);
	return gwrite(l, gpa, s, strlen(s) + 1);
}

/* Segments: file bytes, then zeros up to the memory size (the bss). */
static int write_kernel(struct loader *l)
{
	for (unsigned i = 0; i < l->nr_seg; i++) {
		const struct segment *s = &l->seg[i];
		int err = gwrite(l, s->paddr, l->img + s->offset, s->filesz);

		if (!err)
			err = gzero(l, s->paddr + s->filesz, s->memsz - s->filesz);
		if (err)
			return err;
	}
	return 0;
}

static int write_module(struct loader *l, unsigned i, uint64_t at, uint64_t str)
{
	const struct mb_module *m = &l->mods[i];
	uint8_t entry[MB_MOD_SIZE] = { 0 };
	int err;

	/* Everything placed is below 4 GiB, so the u32 fields hold it. */
	ld_wr32(entry + MB_MOD_START, (uint32_t)at);
	ld_wr32(entry + MB_MOD_END, (uint32_t)(at + m->size));
	ld_wr32(entry + MB_MOD_STRING, (uint32_t)str);
	err = gwrite(l, at, m->data, m->size);
	if (!err)
		err = gwrite(l, l->info.base + l->info.mods + i * MB_MOD_SIZE, entry, sizeof(entry));
	if (!err)
		err = gwrite_str(l, str, m->string);
	return err;
}

static int write_mmap(struct loader *l)
{
	const struct mb_guest *g = l->g;

	for (unsigned i = 0; i < g->nr_regions; i++) {
		uint8_t e[MB_MMAP_ENTRY_SIZE];
		int err;

		ld_wr32(e + MB_MMAP_SIZE, MB_MMAP_SIZE_FIELD);
		ld_wr64(e + MB_MMAP_BASE, g->regions[i].base);
		ld_wr64(e + MB_MMAP_LENGTH, g->regions[i].size);
		ld_wr32(e + MB_MMAP_TYPE, g->regions[i].type);
		err = gwrite(l, l->info.base + l->info.mmap + i * MB_MMAP_ENTRY_SIZE, e, sizeof(e));
		if (err)
			return err;
	}
	return 0;
}

/* The MBI itself (section 3.3). mem_lower/mem_upper follow the BIOS
 * meaning: contiguous usable RAM from 0 (up to 640 KiB) and from 1 MiB. */
static int write_mbi(struct loader *l)
{
	const struct info_layout *in = &l->info;
	uint64_t low = MIN(ld_usable_end(l->g, 0), LOW_MEM_END);
	uint64_t high = MIN(ld_usable_end(l->g, HIGH_MEM_START), ADDR_LIMIT) - HIGH_MEM_START;
	uint8_t mbi[MBI_SIZE] = { 0 };

	ld_wr32(mbi + MBI_FLAGS, MBI_FLAG_MEMORY | MBI_FLAG_CMDLINE | MBI_FLAG_MODS |
	     MBI_FLAG_MEM_MAP | MBI_FLAG_BOOT_LOADER_NAME);
	ld_wr32(mbi + MBI_MEM_LOWER, (uint32_t)(low / KiB));
	ld_wr32(mbi + MBI_MEM_UPPER, (uint32_t)(high / KiB));
	ld_wr32(mbi + MBI_CMDLINE, (uint32_t)(in->base + in->cmdline));
	ld_wr32(mbi + MBI_MODS_COUNT, l->nr_mods);
	ld_wr32(mbi + MBI_MODS_ADDR, (uint32_t)(in->base + in->mods));
	ld_wr32(mbi + MBI_MMAP_LENGTH, l->g->nr_regions * MB_MMAP_ENTRY_SIZE);
	ld_wr32(mbi + MBI_MMAP_ADDR, (uint32_t)(in->base + in->mmap));
	ld_wr32(mbi + MBI_BOOT_LOADER_NAME, (uint32_t)(in->base + in->name));
	return gwrite(l, in->base, mbi, sizeof(mbi));
}

static int execute(struct loader *l)
{
	uint64_t cursor = ALIGN_UP(l->end, PAGE_SIZE);
	int err;

	err = write_kernel(l);
	if (!err)
		err = place_modules(l, &cursor, true);
	if (!err)
		err = write_mmap(l);
	if (!err)
		err = gwrite(l, l->info.base + l->info.name, MB_BOOT_LOADER_NAME,
			     sizeof(MB_BOOT_LOADER_NAME));
	if (!err)
		err = gwrite_str(l, l->info.base + l->info.cmdline, l->cmdline);
	return err ? err : write_mbi(l);
}

int mb_load(const void *image, size_t size, const char *cmdline,
	    const struct mb_module *mods, unsigned nr_mods,
	    const struct mb_guest *g, struct mb_result *out,
	    char *why, size_t whylen)
{
	struct loader l = {
		.img = image, .size = size, .cmdline = cmdline, .mods = mods,
		.nr_mods = nr_mods, .g = g, .why = why, .whylen = whylen,
		.start = UINT64_MAX, .end = 0,
	};
	int err;

	if (why && whylen)
		why[0] = '\0';
	if (!image || !out || (nr_mods && !mods))
		return fail(&l, -E_INVAL, "no kernel image, module list or result");
	err = decode(&l);
	if (!err)
		err = execute(&l);
	if (err)
		return err;
	out->entry = (uint32_t)l.entry;
	out->mbi = (uint32_t)l.info.base;
	out->kernel_start = l.start;
	out->kernel_end = l.end;
	out->top = l.info.base + l.info.size;
	return 0;
}
