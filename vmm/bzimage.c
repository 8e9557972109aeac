/*
 * Linux bzImage loader; the interface, the setup header and zero page
 * offsets are in vmm/bzimage.h (boot.rst, zero-page.rst).
 *
 * Decode first, then execute: the setup header is validated against the
 * file, the kernel, initrd, zero page and command line are placed, and only
 * then is guest memory written. Nothing the image says is used before it
 * has been checked against the file size and the guest's RAM.
 */
#include "vmm/bzimage.h"
#include "vmm/loader.h"
#include "kernel/errno.h"

#define ADDR_LIMIT	(4ULL * GiB)	/* 32-bit pointers in the zero page */
#define HIGH_MEM_START	(1 * MiB)	/* the kernel and initrd go above */
#define MAX_ALIGNMENT	(1 * GiB)	/* a sane kernel_alignment bound */
#define INITRD_ALIGN	4		/* cpio archives are 4-byte aligned */

struct loader {
	const uint8_t *img;
	size_t size;
	const char *cmdline;
	const struct mb_module *initrds;
	unsigned nr_initrds;
	uint64_t rsdp;
	const struct mb_guest *g;
	char *why;
	size_t whylen;
	/* decoded from the setup header */
	uint16_t version;
	uint8_t loadflags, relocatable;
	uint16_t xloadflags;
	size_t setup_size, hdr_end;
	uint32_t initrd_addr_max, kernel_alignment, cmdline_size;
	uint64_t pref_address, init_size;
	/* the layout */
	uint64_t load, window, initrd, initrd_size;
	size_t cmdline_len;
};

/* ------------------------------------------------------------- helpers */

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

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* -------------------------------------------------- guest memory map */

static int check_regions(struct loader *l)
{
	const struct mb_guest *g = l->g;

	if (g && g->nr_regions > BZ_E820_MAX)
		return fail(l, -E_INVAL, "guest memory map has %u entries; the zero page holds %u",
			    g->nr_regions, BZ_E820_MAX);
	return ld_check_regions(g, l->why, l->whylen);
}

/* End of the usable RAM holding addr, capped at 4 GiB: everything the
 * 32-bit boot protocol is given lies below it. */
static uint64_t usable_end(const struct mb_guest *g, uint64_t addr)
{
	return MIN(ld_usable_end(g, addr), MAX(addr, ADDR_LIMIT));
}

static bool in_usable_ram(const struct mb_guest *g, uint64_t base, uint64_t len)
{
	return base < ADDR_LIMIT && len <= usable_end(g, base) - base;
}

int bz_probe(const void *image, size_t size)
{
	return image && size >= BZ_HEADER + 4 &&
	       ld_rd32((const uint8_t *)image + BZ_HEADER) == BZ_HEADER_MAGIC;
}

/* boot.rst "The Real-Mode Kernel Header": the header runs from 0x1f1 to
 * the target of the jump at 0x200; the setup code is setup_sects sectors
 * after the boot sector, and the protected-mode kernel follows it. */
static int decode_layout(struct loader *l)
{
	const uint8_t *h = l->img;
	unsigned sects;

	if (!bz_probe(l->img, l->size))
		return fail(l, -E_NOENT, "no Linux setup header (\"HdrS\" at 0x%x)", BZ_HEADER);
	if (l->size < BZ_HEADER_MIN_END)
		return fail(l, -E_INVAL, "Linux setup header is cut off (file is 0x%zx bytes)",
			    l->size);
	l->version = ld_rd16(h + BZ_VERSION);
	if (l->version < BZ_MIN_VERSION)
		return fail(l, -E_NOTSUP, "Linux boot protocol %u.%u is too old; Keel needs "
			    "2.12 or later (Linux 3.8+)", l->version >> 8, l->version & 0xff);
	l->hdr_end = BZ_JUMP + 2 + (size_t)h[BZ_JUMP_OFFSET];
	if (l->hdr_end < BZ_HEADER_MIN_END)
		return fail(l, -E_INVAL, "Linux setup header ends at 0x%zx, before init_size",
			    l->hdr_end);
	l->hdr_end = MIN(l->hdr_end, (size_t)BZ_HEADER_MAX_END);
	sects = h[BZ_SETUP_SECTS] ? h[BZ_SETUP_SECTS] : BZ_DEFAULT_SETUP_SECTS;
	l->setup_size = (size_t)(sects + 1) * BZ_SECTOR_SIZE;
	if (l->setup_size < l->hdr_end || l->setup_size >= l->size)
		return fail(l, -E_INVAL, "setup_sects %u puts the kernel at 0x%zx, outside the "
			    "file (0x%zx bytes)", sects, l->setup_size, l->size);
	return 0;
}

static int decode_fields(struct loader *l)
{
	const uint8_t *h = l->img;

	l->loadflags = h[BZ_LOADFLAGS];
	l->xloadflags = ld_rd16(h + BZ_XLOADFLAGS);
	l->relocatable = h[BZ_RELOCATABLE_KERNEL];
	l->initrd_addr_max = ld_rd32(h + BZ_INITRD_ADDR_MAX);
	l->kernel_alignment = ld_rd32(h + BZ_KERNEL_ALIGNMENT);
	l->cmdline_size = ld_rd32(h + BZ_CMDLINE_SIZE);
	l->pref_address = ld_rd64(h + BZ_PREF_ADDRESS);
	l->init_size = ld_rd32(h + BZ_INIT_SIZE);
	if (!(l->loadflags & BZ_LOADED_HIGH))
		return fail(l, -E_NOTSUP, "kernel is not LOADED_HIGH (a zImage); Keel only "
			    "loads bzImages");
	if (l->relocatable && (l->kernel_alignment < PAGE_SIZE ||
	    l->kernel_alignment > MAX_ALIGNMENT ||
	    (l->kernel_alignment & (l->kernel_alignment - 1))))
		return fail(l, -E_INVAL, "kernel_alignment 0x%x is not a power of two between "
			    "4 KiB and 1 GiB", l->kernel_alignment);
	/* The kernel decompresses in place: it needs init_size bytes, and at
	 * least room for what the file holds. */
	l->window = MAX(l->init_size, (uint64_t)(l->size - l->setup_size));
	return 0;
}

/* ---------------------------------------------------------------- layout */

/* pref_address if usable; else, for a relocatable kernel, the lowest
 * aligned address at or above 1 MiB where the window fits (boot.rst
 * "Details of Header Fields": relocatable_kernel, kernel_alignment). */
static int place_kernel(struct loader *l)
{
	const struct mb_guest *g = l->g;
	uint64_t pref = l->pref_address;

	if (pref >= HIGH_MEM_START && in_usable_ram(g, pref, l->window) &&
	    (!l->relocatable || pref % l->kernel_alignment == 0)) {
		l->load = pref;
		return 0;
	}
	for (unsigned i = 0; l->relocatable && i < g->nr_regions; i++) {
		const struct guest_region *r = &g->regions[i];
		uint64_t at = MAX(r->base, (uint64_t)HIGH_MEM_START);

		if (r->type != MB_MEM_USABLE || at >= ADDR_LIMIT)
			continue;
		at = ALIGN_UP(at, (uint64_t)l->kernel_alignment);
		if (in_usable_ram(g, at, l->window)) {
			l->load = at;
			return 0;
		}
	}
	return fail(l, -E_RANGE, "no room for the kernel (0x%lx bytes%s) in guest RAM below "
		    "4 GiB", l->window, l->relocatable ? "" : " at its fixed address");
}

/* Sum of the initrd blobs, each started on a 4-byte boundary. */
static int size_initrd(struct loader *l)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < l->nr_initrds; i++) {
		const struct mb_module *m = &l->initrds[i];

		if (!m->data && m->size)
			return fail(l, -E_INVAL, "initrd %u has no data", i);
		if (m->size >= ADDR_LIMIT || total + m->size >= ADDR_LIMIT)
			return fail(l, -E_NOMEM, "initrd is larger than 4 GiB");
		total = ALIGN_UP(total, (uint64_t)INITRD_ALIGN) + m->size;
	}
	l->initrd_size = total;
	return 0;
}

/* Highest page-aligned spot for the initrd in the usable run [lo, hi),
 * ending at or below 'top' and clear of the kernel window; 0 if none. */
static uint64_t fit_initrd(struct loader *l, uint64_t lo, uint64_t top)
{
	uint64_t len = l->initrd_size, at;

	for (int tries = 0; tries < 2; tries++) {
		if (top < lo || top - lo < len)
			return 0;
		at = ALIGN_DOWN(top - len, (uint64_t)PAGE_SIZE);
		if (at < lo)
			return 0;
		if (!overlaps(at, len, l->load, l->window))
			return at;
		top = l->load;		/* try again just below the kernel */
	}
	return 0;
}

/* boot.rst "Details of Header Fields" (initrd_addr_max): the initrd's last
 * byte must be at or below initrd_addr_max; load it as high as allowed. */
static int place_initrd(struct loader *l)
{
	const struct mb_guest *g = l->g;
	uint64_t limit = MIN((uint64_t)l->initrd_addr_max + 1, ADDR_LIMIT);

	if (l->initrd_size == 0)
		return 0;
	for (unsigned i = g->nr_regions; i-- > 0;) {
		const struct guest_region *r = &g->regions[i];
		uint64_t lo = MAX(r->base, (uint64_t)HIGH_MEM_START), at;

		if (r->type != MB_MEM_USABLE || lo >= limit)
			continue;
		at = fit_initrd(l, lo, MIN(usable_end(g, lo), limit));
		if (at) {
			l->initrd = at;
			return 0;
		}
	}
	return fail(l, -E_NOMEM, "no room for the initrd (0x%lx bytes) in guest RAM between "
		    "1 MiB and initrd_addr_max 0x%x outside the kernel", l->initrd_size,
		    l->initrd_addr_max);
}

static int place_low(struct loader *l)
{
	if (!in_usable_ram(l->g, BZ_ZERO_PAGE_ADDR, BZ_ZP_SIZE))
		return fail(l, -E_RANGE, "guest RAM at 0x%x for the zero page is not usable",
			    BZ_ZERO_PAGE_ADDR);
	l->cmdline_len = strlen(l->cmdline);
	if (l->cmdline_len > l->cmdline_size)
		return fail(l, -E_RANGE, "command line is %zu bytes; this kernel accepts at most %u",
			    l->cmdline_len, l->cmdline_size);
	if (l->cmdline_len >= HIGH_MEM_START - BZ_CMDLINE_ADDR ||
	    !in_usable_ram(l->g, BZ_CMDLINE_ADDR, l->cmdline_len + 1))
		return fail(l, -E_RANGE, "command line (%zu bytes) does not fit in low guest RAM "
			    "at 0x%x", l->cmdline_len, BZ_CMDLINE_ADDR);
	return 0;
}

static int decode(struct loader *l)
{
	int err = check_regions(l);

	if (!err)
		err = decode_layout(l);
	if (!err)
		err = decode_fields(l);
	if (!err)
		err = place_low(l);
	if (!err)
		err = place_kernel(l);
	if (!err)
		err = size_initrd(l);
	return err ? err : place_initrd(l);
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

static int gwrite32(struct loader *l, uint64_t gpa, uint32_t v)
{
	uint8_t b[4];

	ld_wr32(b, v);
	return gwrite(l, gpa, b, sizeof(b));
}

/* The blobs back to back, zeros in the alignment gaps. */
static int write_initrd(struct loader *l)
{
	uint64_t at = l->initrd, off = 0;
	int err = 0;

	for (unsigned i = 0; i < l->nr_initrds && !err; i++) {
		uint64_t start = ALIGN_UP(off, (uint64_t)INITRD_ALIGN);

		err = gzero(l, at + off, start - off);
		if (!err)
			err = gwrite(l, at + start, l->initrds[i].data, l->initrds[i].size);
		off = start + l->initrds[i].size;
	}
	return err;
}

/* The setup header, copied from the image and filled in as boot.rst
 * "Details of Header Fields" asks of a boot loader. */
static int write_header(struct loader *l, uint64_t zp)
{
	uint8_t hdr[BZ_HEADER_MAX_END - BZ_SETUP_SECTS];
	uint8_t *base = hdr - BZ_SETUP_SECTS;	/* index by image offset */
	size_t len = l->hdr_end - BZ_SETUP_SECTS;

	memcpy(hdr, l->img + BZ_SETUP_SECTS, len);
	base[BZ_TYPE_OF_LOADER] = BZ_LOADER_UNDEFINED;
	ld_wr32(base + BZ_CODE32_START, (uint32_t)l->load);
	ld_wr32(base + BZ_RAMDISK_IMAGE, (uint32_t)l->initrd);
	ld_wr32(base + BZ_RAMDISK_SIZE, (uint32_t)l->initrd_size);
	ld_wr32(base + BZ_CMD_LINE_PTR, BZ_CMDLINE_ADDR);
	return gwrite(l, zp + BZ_SETUP_SECTS, hdr, len);
}

static int write_e820(struct loader *l, uint64_t zp)
{
	const struct mb_guest *g = l->g;
	uint8_t n = (uint8_t)g->nr_regions;
	int err = gwrite(l, zp + BZ_ZP_E820_ENTRIES, &n, 1);

	for (unsigned i = 0; i < g->nr_regions && !err; i++) {
		uint8_t e[BZ_E820_ENTRY_SIZE];

		ld_wr64(e + BZ_E820_ADDR, g->regions[i].base);
		ld_wr64(e + BZ_E820_SIZE, g->regions[i].size);
		ld_wr32(e + BZ_E820_TYPE, g->regions[i].type);
		err = gwrite(l, zp + BZ_ZP_E820_TABLE + i * BZ_E820_ENTRY_SIZE, e, sizeof(e));
	}
	return err;
}

/* Zero page (zero-page.rst): cleared, then the header, the 64-bit halves
 * of the pointers (all zero: everything is below 4 GiB), RSDP and e820. */
static int write_zero_page(struct loader *l)
{
	uint64_t zp = BZ_ZERO_PAGE_ADDR;
	uint8_t rsdp[8];
	int err = gzero(l, zp, BZ_ZP_SIZE);

	ld_wr64(rsdp, l->rsdp);
	if (!err)
		err = write_header(l, zp);
	if (!err)
		err = gwrite32(l, zp + BZ_ZP_EXT_RAMDISK_IMAGE, (uint32_t)(l->initrd >> 32));
	if (!err)
		err = gwrite32(l, zp + BZ_ZP_EXT_RAMDISK_SIZE, (uint32_t)(l->initrd_size >> 32));
	if (!err)
		err = gwrite32(l, zp + BZ_ZP_EXT_CMD_LINE_PTR, 0);
	if (!err)
		err = gwrite(l, zp + BZ_ZP_ACPI_RSDP_ADDR, rsdp, sizeof(rsdp));
	return err ? err : write_e820(l, zp);
}

static int execute(struct loader *l)
{
	int err = gwrite(l, l->load, l->img + l->setup_size, l->size - l->setup_size);

	if (!err)
		err = write_initrd(l);
	if (!err)
		err = gwrite(l, BZ_CMDLINE_ADDR, l->cmdline, l->cmdline_len + 1);
	return err ? err : write_zero_page(l);
}

static void fill_result(const struct loader *l, struct bz_result *out)
{
	out->entry64 = (l->xloadflags & BZ_XLF_KERNEL_64) ? l->load + BZ_ENTRY64_OFFSET : 0;
	out->entry32 = (uint32_t)l->load;
	out->zero_page = BZ_ZERO_PAGE_ADDR;
	out->load_addr = l->load;
	out->load_end = l->load + l->window;
	out->initrd_addr = l->initrd;
	out->initrd_size = l->initrd_size;
	out->cmdline_addr = BZ_CMDLINE_ADDR;
	out->version = l->version;
}

int bz_load(const void *image, size_t size, const char *cmdline,
	    const struct mb_module *initrds, unsigned nr_initrds, uint64_t rsdp,
	    const struct mb_guest *g, struct bz_result *out,
	    char *why, size_t whylen)
{
	struct loader l = {
		.img = image, .size = size, .cmdline = cmdline ? cmdline : "",
		.initrds = initrds, .nr_initrds = nr_initrds, .rsdp = rsdp,
		.g = g, .why = why, .whylen = whylen,
	};
	int err;

	if (why && whylen)
		why[0] = '\0';
	if (!image || !out || (nr_initrds && !initrds))
		return fail(&l, -E_INVAL, "no kernel image, initrd list or result");
	err = decode(&l);
	if (!err)
		err = execute(&l);
	if (err)
		return err;
	fill_result(&l, out);
	return 0;
}
