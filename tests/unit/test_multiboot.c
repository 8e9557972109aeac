/*
 * Unit tests for the multiboot v1 loader (vmm/multiboot.c): synthetic
 * ELF32, ELF64 and a.out-kludge kernels loaded into a fake 16 MiB guest,
 * the information structure parsed back, hostile images, and a mutation
 * fuzz loop. The fake guest checks that every write lands in usable RAM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "vmm/multiboot.h"
#include "tests/unit/test_rng.h"

#define GUEST_SIZE	(16 * MiB)
#define POISON		0xaa
#define IMG_MAX		0x10000

/* ------------------------------------------------------------ fake guest */

static const struct guest_region std_map[] = {
	{ 0, 0x9fc00, MB_MEM_USABLE },
	{ 0x9fc00, 0x400, MB_MEM_RESERVED },
	{ 0xf0000, 0x10000, MB_MEM_RESERVED },
	{ 0x100000, GUEST_SIZE - 0x100000, MB_MEM_USABLE },
};

struct fake {
	uint8_t *mem;
	const struct guest_region *map;
	unsigned nr;
	unsigned calls, fail_at;	/* fail callback number fail_at (1-based) */
	struct mb_guest g;
};

static uint8_t *guest_mem;	/* shared: allocated once per run */

/* Is [gpa, gpa + len) in usable RAM (adjacent usable regions merge)? */
static bool fake_usable(const struct fake *f, uint64_t gpa, size_t len)
{
	uint64_t at = gpa;

	for (unsigned i = 0; i < f->nr; i++) {
		const struct guest_region *r = &f->map[i];

		if (r->type == MB_MEM_USABLE && r->base <= at && at < r->base + r->size)
			at = r->base + r->size;
	}
	return len <= at - gpa && gpa + len <= GUEST_SIZE;
}

static int fake_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	struct fake *f = ctx;

	assert_true(fake_usable(f, gpa, len));
	if (++f->calls == f->fail_at)
		return -E_IO;
	memcpy(f->mem + gpa, src, len);
	return 0;
}

static int fake_zero(void *ctx, uint64_t gpa, size_t len)
{
	struct fake *f = ctx;

	assert_true(fake_usable(f, gpa, len));
	if (++f->calls == f->fail_at)
		return -E_IO;
	memset(f->mem + gpa, 0, len);
	return 0;
}

static void fake_init_map(struct fake *f, const struct guest_region *map, unsigned nr)
{
	memset(f, 0, sizeof(*f));
	f->mem = guest_mem;
	f->map = map;
	f->nr = nr;
	f->g = (struct mb_guest){ .regions = map, .nr_regions = nr, .write = fake_write,
				  .zero = fake_zero, .ctx = f };
	memset(f->mem, POISON, GUEST_SIZE);
}

static void fake_init(struct fake *f)
{
	fake_init_map(f, std_map, ARRAY_SIZE(std_map));
}

static uint32_t g32(const struct fake *f, uint64_t a)
{
	uint32_t v;

	assert_true(a + 4 <= GUEST_SIZE);
	memcpy(&v, f->mem + a, 4);
	return v;
}

static uint64_t g64(const struct fake *f, uint64_t a)
{
	return g32(f, a) | (uint64_t)g32(f, a + 4) << 32;
}

static const char *gstr(const struct fake *f, uint64_t a)
{
	assert_true(a < GUEST_SIZE);
	assert_non_null(memchr(f->mem + a, 0, GUEST_SIZE - a));
	return (const char *)f->mem + a;
}

static bool all_bytes(const struct fake *f, uint64_t a, uint64_t len, uint8_t v)
{
	for (uint64_t i = 0; i < len; i++)
		if (f->mem[a + i] != v)
			return false;
	return true;
}

/* --------------------------------------------------------- image builders */

static void w16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void w32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void w64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void put_word(uint8_t *p, uint64_t v, int bits)
{
	if (bits == 64)
		w64(p, v);
	else
		w32(p, (uint32_t)v);
}

static void put_mb_header(uint8_t *img, size_t off, uint32_t flags)
{
	w32(img + off, MB_HEADER_MAGIC);
	w32(img + off + 4, flags);
	w32(img + off + 8, -(MB_HEADER_MAGIC + flags));
}

static void fill_pattern(uint8_t *img, size_t size)
{
	for (size_t i = 0; i < size; i++)
		img[i] = (uint8_t)(i * 131 + 7);
}

/* ELF field offsets, written out independently of the loader's table. */
#define EH32_SIZE	52
#define EH64_SIZE	64
#define PH32_SIZE	32
#define PH64_SIZE	56
#define PH32(i, f)	(EH32_SIZE + (i) * PH32_SIZE + (f))
#define PH64(i, f)	(EH64_SIZE + (i) * PH64_SIZE + (f))
#define P32_OFFSET	4
#define P32_PADDR	12
#define P32_FILESZ	16
#define P32_MEMSZ	20
#define P64_OFFSET	8
#define P64_PADDR	24
#define P64_FILESZ	32
#define P64_MEMSZ	40
#define PT_LOAD		1
#define PT_NOTE		4

struct seg_spec {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

static void put_phdr(uint8_t *ph, const struct seg_spec *s, int bits)
{
	w32(ph, s->type);
	if (bits == 32) {
		w32(ph + 4, (uint32_t)s->offset);
		w32(ph + 8, (uint32_t)s->vaddr);
		w32(ph + 12, (uint32_t)s->paddr);
		w32(ph + 16, (uint32_t)s->filesz);
		w32(ph + 20, (uint32_t)s->memsz);
	} else {
		w64(ph + 8, s->offset);
		w64(ph + 16, s->vaddr);
		w64(ph + 24, s->paddr);
		w64(ph + 32, s->filesz);
		w64(ph + 40, s->memsz);
	}
}

static size_t build_elf(uint8_t *img, int bits, uint64_t entry,
			const struct seg_spec *segs, unsigned n, size_t size)
{
	size_t eh = bits == 32 ? EH32_SIZE : EH64_SIZE, ph = bits == 32 ? PH32_SIZE : PH64_SIZE;

	fill_pattern(img, size);
	memset(img, 0, eh + n * ph);
	memcpy(img, "\177ELF", 4);
	img[4] = bits == 32 ? 1 : 2;
	img[5] = 1;
	img[6] = 1;
	w16(img + 16, 2);
	w16(img + 18, bits == 32 ? 3 : 62);
	w32(img + 20, 1);
	put_word(img + 24, entry, bits);
	put_word(img + (bits == 32 ? 28 : 32), eh, bits);
	w16(img + (bits == 32 ? 42 : 54), (uint16_t)ph);
	w16(img + (bits == 32 ? 44 : 56), (uint16_t)n);
	for (unsigned i = 0; i < n; i++)
		put_phdr(img + eh + i * ph, &segs[i], bits);
	return size;
}

#define HDR_OFF		0x200
#define ELF_SIZE	0x2800
#define HIGH		0xffffffff80000000ULL

/* Text + bss at 1 MiB (offset 0 includes the headers, as real kernels
 * do), a note pointing nowhere (ignored), data at 2 MiB. */
static size_t base_elf(uint8_t *img, int bits)
{
	uint64_t v = bits == 64 ? HIGH : 0;
	const struct seg_spec segs[] = {
		{ PT_LOAD, 0, v + 0x100000, 0x100000, 0x2000, 0x5000 },
		{ PT_NOTE, 0x7ffffff0, 0, 0, 0x100, 0x100 },
		{ PT_LOAD, 0x2000, v + 0x200000, 0x200000, 0x800, 0x800 },
	};
	size_t size = build_elf(img, bits, v + 0x100010, segs, ARRAY_SIZE(segs), ELF_SIZE);

	put_mb_header(img, HDR_OFF, MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO);
	return size;
}

#define AOUT_SIZE	0x3000
#define AOUT_HDR	0x40
#define AOUT_LOAD	0x100000

static void put_aout_fields(uint8_t *img, size_t off, uint32_t header_addr, uint32_t load,
			    uint32_t load_end, uint32_t bss_end, uint32_t entry)
{
	w32(img + off + MB_HDR_HEADER_ADDR, header_addr);
	w32(img + off + MB_HDR_LOAD_ADDR, load);
	w32(img + off + MB_HDR_LOAD_END_ADDR, load_end);
	w32(img + off + MB_HDR_BSS_END_ADDR, bss_end);
	w32(img + off + MB_HDR_ENTRY_ADDR, entry);
}

/* A flat binary: the whole file at 1 MiB, bss up to 1 MiB + 32 KiB. */
static size_t base_aout(uint8_t *img)
{
	fill_pattern(img, AOUT_SIZE);
	put_mb_header(img, AOUT_HDR, MB_FLAG_AOUT_KLUDGE | MB_FLAG_PAGE_ALIGN);
	put_aout_fields(img, AOUT_HDR, AOUT_LOAD + AOUT_HDR, AOUT_LOAD, AOUT_LOAD + AOUT_SIZE,
			AOUT_LOAD + 0x8000, AOUT_LOAD + 0x80);
	return AOUT_SIZE;
}

static int load(struct fake *f, const uint8_t *img, size_t size, const char *cmdline,
		const struct mb_module *mods, unsigned n, struct mb_result *r, char *why)
{
	return mb_load(img, size, cmdline, mods, n, &f->g, r, why, 256);
}

/* ------------------------------------------------------ parsing the MBI */

static void check_mmap(const struct fake *f, uint32_t mbi)
{
	uint32_t len = g32(f, mbi + MBI_MMAP_LENGTH), addr = g32(f, mbi + MBI_MMAP_ADDR);
	unsigned i = 0;

	assert_int_equal(len, f->nr * MB_MMAP_ENTRY_SIZE);
	for (uint32_t p = addr; p < addr + len; p += g32(f, p) + 4, i++) {
		assert_int_equal(g32(f, p + MB_MMAP_SIZE), 20);
		assert_int_equal(g64(f, p + MB_MMAP_BASE), f->map[i].base);
		assert_int_equal(g64(f, p + MB_MMAP_LENGTH), f->map[i].size);
		assert_int_equal(g32(f, p + MB_MMAP_TYPE), f->map[i].type);
	}
	assert_int_equal(i, f->nr);
}

/* Modules: page aligned, above the kernel, below the MBI, no overlaps,
 * right contents and strings. */
static void check_mods(const struct fake *f, const struct mb_result *r,
		       const struct mb_module *mods, unsigned n)
{
	uint32_t list = g32(f, r->mbi + MBI_MODS_ADDR);
	uint64_t prev_end = r->kernel_end;

	assert_int_equal(g32(f, r->mbi + MBI_MODS_COUNT), n);
	for (unsigned i = 0; i < n; i++) {
		uint32_t start = g32(f, list + i * MB_MOD_SIZE + MB_MOD_START);
		uint32_t end = g32(f, list + i * MB_MOD_SIZE + MB_MOD_END);

		assert_int_equal(start % PAGE_SIZE, 0);
		assert_true(start >= prev_end);
		assert_int_equal(end - start, mods[i].size);
		if (mods[i].size)
			assert_memory_equal(f->mem + start, mods[i].data, mods[i].size);
		assert_string_equal(gstr(f, g32(f, list + i * MB_MOD_SIZE + MB_MOD_STRING)),
				    mods[i].string ? mods[i].string : "");
		assert_int_equal(g32(f, list + i * MB_MOD_SIZE + MB_MOD_RESERVED), 0);
		prev_end = end;
	}
	assert_true(r->mbi >= prev_end);
}

static void check_mbi(const struct fake *f, const struct mb_result *r, const char *cmdline,
		      const struct mb_module *mods, unsigned n, uint32_t lower, uint32_t upper)
{
	uint32_t mbi = r->mbi;

	assert_true(mbi >= r->kernel_end && mbi + MBI_SIZE <= r->top && r->top <= GUEST_SIZE);
	assert_int_equal(g32(f, mbi + MBI_FLAGS), MBI_FLAG_MEMORY | MBI_FLAG_CMDLINE |
			 MBI_FLAG_MODS | MBI_FLAG_MEM_MAP | MBI_FLAG_BOOT_LOADER_NAME);
	assert_int_equal(g32(f, mbi + MBI_MEM_LOWER), lower);
	assert_int_equal(g32(f, mbi + MBI_MEM_UPPER), upper);
	assert_string_equal(gstr(f, g32(f, mbi + MBI_CMDLINE)), cmdline ? cmdline : "");
	assert_string_equal(gstr(f, g32(f, mbi + MBI_BOOT_LOADER_NAME)), "Keel");
	for (unsigned o = MBI_SYMS; o < MBI_MMAP_LENGTH; o += 4)
		assert_int_equal(g32(f, mbi + o), 0);
	assert_int_equal(g32(f, mbi + MBI_VBE_CONTROL_INFO), 0);
	check_mmap(f, mbi);
	check_mods(f, r, mods, n);
}

/* ------------------------------------------------------------ good loads */

static uint8_t img[IMG_MAX];
static uint8_t mod_a[5000];
static const uint8_t mod_b[] = "abc";

static void init_mods(struct mb_module mods[2])
{
	for (size_t i = 0; i < sizeof(mod_a); i++)
		mod_a[i] = (uint8_t)(i ^ 0x5a);
	mods[0] = (struct mb_module){ mod_a, sizeof(mod_a), "/boot/initrd.img" };
	mods[1] = (struct mb_module){ mod_b, 3, "mod2 arg=1" };
}

static void check_base_elf_placed(const struct fake *f, const struct mb_result *r)
{
	assert_int_equal(r->entry, 0x100010);
	assert_int_equal(r->kernel_start, 0x100000);
	assert_int_equal(r->kernel_end, 0x200800);
	assert_memory_equal(f->mem + 0x100000, img, 0x2000);
	assert_true(all_bytes(f, 0x102000, 0x3000, 0));		/* bss */
	assert_true(all_bytes(f, 0x105000, 0xfb000, POISON));	/* gap untouched */
	assert_memory_equal(f->mem + 0x200000, img + 0x2000, 0x800);
	assert_true(all_bytes(f, 0, 0x100000, POISON));
}

static void test_elf32_with_modules(void **state)
{
	struct mb_module mods[2];
	struct mb_result r;
	struct fake f;
	char why[256];
	size_t size = base_elf(img, 32);

	(void)state;
	fake_init(&f);
	init_mods(mods);
	assert_int_equal(mb_probe(img, size), 1);
	assert_int_equal(load(&f, img, size, "kernel console=ttyS0", mods, 2, &r, why), 0);
	assert_string_equal(why, "");
	check_base_elf_placed(&f, &r);
	check_mbi(&f, &r, "kernel console=ttyS0", mods, 2, 639, 15 * 1024);
	/* The first module starts on the page after the kernel. */
	assert_int_equal(g32(&f, g32(&f, r.mbi + MBI_MODS_ADDR)), 0x201000);
}

static void test_elf64_entry_translated(void **state)
{
	struct mb_result r;
	struct fake f;
	char why[256];
	size_t size = base_elf(img, 64);

	(void)state;
	fake_init(&f);
	assert_int_equal(load(&f, img, size, NULL, NULL, 0, &r, why), 0);
	check_base_elf_placed(&f, &r);
	check_mbi(&f, &r, NULL, NULL, 0, 639, 15 * 1024);
	/* The information block is right behind the kernel without modules. */
	assert_int_equal(r.mbi, 0x201000);

	/* A physical entry point outside every virtual range stays as it is. */
	w64(img + 24, 0x200100);
	fake_init(&f);
	assert_int_equal(load(&f, img, size, NULL, NULL, 0, &r, why), 0);
	assert_int_equal(r.entry, 0x200100);
}

static void test_aout_whole_file_and_bss(void **state)
{
	struct mb_module mods[2];
	struct mb_result r;
	struct fake f;
	char why[256];
	size_t size = base_aout(img);

	(void)state;
	fake_init(&f);
	init_mods(mods);
	w32(img + AOUT_HDR + MB_HDR_LOAD_END_ADDR, 0);	/* 0 = the whole file */
	put_mb_header(img, AOUT_HDR, MB_FLAG_AOUT_KLUDGE | MB_FLAG_PAGE_ALIGN);
	assert_int_equal(load(&f, img, size, "x", mods, 2, &r, why), 0);
	assert_int_equal(r.entry, AOUT_LOAD + 0x80);
	assert_int_equal(r.kernel_start, AOUT_LOAD);
	assert_int_equal(r.kernel_end, AOUT_LOAD + 0x8000);
	assert_memory_equal(f.mem + AOUT_LOAD, img, AOUT_SIZE);
	assert_true(all_bytes(&f, AOUT_LOAD + AOUT_SIZE, 0x8000 - AOUT_SIZE, 0));
	check_mbi(&f, &r, "x", mods, 2, 639, 15 * 1024);
}

static void test_aout_partial_load_offset(void **state)
{
	struct mb_result r;
	struct fake f;
	char why[256];
	size_t size = base_aout(img);

	(void)state;
	fake_init(&f);
	/* The header sits 0x20 bytes into the image: file bytes from 0x20 on
	 * are loaded; only 0x1000 of them, and no bss. */
	put_aout_fields(img, AOUT_HDR, AOUT_LOAD + 0x20, AOUT_LOAD, AOUT_LOAD + 0x1000, 0,
			AOUT_LOAD + 0x10);
	assert_int_equal(load(&f, img, size, "", NULL, 0, &r, why), 0);
	assert_memory_equal(f.mem + AOUT_LOAD, img + 0x20, 0x1000);
	assert_int_equal(r.kernel_end, AOUT_LOAD + 0x1000);
	assert_int_equal(r.mbi, AOUT_LOAD + 0x1000);
	check_mbi(&f, &r, "", NULL, 0, 639, 15 * 1024);
}

/* A kernel in low memory: a module too big for the rest of the 640 KiB
 * goes to 1 MiB, skipping the reserved hole. */
static void test_low_kernel_module_skips_hole(void **state)
{
	static uint8_t big[0x95000];
	struct mb_module mod = { big, sizeof(big), "big" };
	struct mb_result r;
	struct fake f;
	char why[256];
	size_t size = base_aout(img);

	(void)state;
	fake_init(&f);
	memset(big, 0x33, sizeof(big));
	put_aout_fields(img, AOUT_HDR, 0x10000 + AOUT_HDR, 0x10000, 0, 0, 0x10000);
	assert_int_equal(load(&f, img, size, "", &mod, 1, &r, why), 0);
	assert_int_equal(r.kernel_start, 0x10000);
	assert_int_equal(g32(&f, g32(&f, r.mbi + MBI_MODS_ADDR)), 0x100000);
	assert_int_equal(r.mbi, 0x100000 + sizeof(big));
	check_mbi(&f, &r, "", &mod, 1, 639, 15 * 1024);
}

static void test_header_flags(void **state)
{
	static const struct { uint32_t flags; int err; } cases[] = {
		{ MB_FLAG_VIDEO_MODE, 0 },			/* ignored, no framebuffer */
		{ 1u << 17 | 1u << 31, 0 },			/* optional bits */
		{ 0, 0 },
		{ 1u << 3, -E_NOTSUP },
		{ 1u << 15 | MB_FLAG_MEMORY_INFO, -E_NOTSUP },
	};
	struct mb_result r;
	struct fake f;
	char why[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t size = base_elf(img, 32);

		fake_init(&f);
		put_mb_header(img, HDR_OFF, cases[i].flags);
		assert_int_equal(load(&f, img, size, "", NULL, 0, &r, why), cases[i].err);
		if (cases[i].err)
			assert_non_null(strstr(why, "requires features"));
	}
}

static void test_header_search(void **state)
{
	struct mb_result r;
	struct fake f;
	char why[256];
	size_t size;

	(void)state;
	fake_init(&f);
	/* Missing entirely. */
	size = base_elf(img, 32);
	memset(img + HDR_OFF, 0, 12);
	assert_int_equal(mb_probe(img, size), 0);
	assert_int_equal(load(&f, img, size, "", NULL, 0, &r, why), -E_NOENT);
	assert_string_equal(why, "no multiboot header in the first 8192 bytes");

	/* Last offset that still fits, then just beyond, then misaligned. */
	size = build_elf(img, 32, 0x100010, &(struct seg_spec){ PT_LOAD, 0, 0x100000,
			 0x100000, 0x2400, 0x2400 }, 1, 0x2400);
	put_mb_header(img, MB_SEARCH_LEN - 12, 0);
	assert_int_equal(mb_probe(img, size), 1);
	assert_int_equal(load(&f, img, size, "", NULL, 0, &r, why), 0);
	memset(img + MB_SEARCH_LEN - 12, 0, 12);
	put_mb_header(img, MB_SEARCH_LEN, 0);
	assert_int_equal(mb_probe(img, size), 0);
	assert_int_equal(load(&f, img, size, "", NULL, 0, &r, why), -E_NOENT);
	put_mb_header(img, 0x1002, 0);
	assert_int_equal(mb_probe(img, size), 0);

	/* The address fields must be inside the 8192 bytes too. */
	put_mb_header(img, MB_SEARCH_LEN - 16, MB_FLAG_AOUT_KLUDGE);
	assert_int_equal(load(&f, img, size, "", NULL, 0, &r, why), -E_INVAL);
	assert_non_null(strstr(why, "cut off"));

	/* A file shorter than a header. */
	assert_int_equal(mb_probe(img + MB_SEARCH_LEN - 16, 11), 0);
	assert_int_equal(mb_probe(NULL, 100), 0);
}

static void test_bad_checksum(void **state)
{
	struct mb_result r;
	struct fake f;
	char why[256];
	size_t size = base_elf(img, 32);

	(void)state;
	fake_init(&f);
	w32(img + HDR_OFF + 8, 0x12345678);
	assert_int_equal(mb_probe(img, size), 0);
	assert_int_equal(load(&f, img, size, "", NULL, 0, &r, why), -E_CHECKSUM);
	assert_string_equal(why, "multiboot header at offset 0x200 has a bad checksum");
	assert_int_equal(f.calls, 0);

	/* A stray magic before a good header does not hide it. */
	put_mb_header(img, HDR_OFF + 0x40, MB_FLAG_MEMORY_INFO);
	assert_int_equal(mb_probe(img, size), 1);
	assert_int_equal(load(&f, img, size, "", NULL, 0, &r, why), 0);
}

/* ------------------------------------------------------- hostile images */

struct patch {
	size_t off;
	unsigned width;		/* 1, 2, 4 or 8; 0 ends the list */
	uint64_t value;
};

struct hostile {
	const char *name;
	struct patch p[5];	/* ends at the first width 0 */
	size_t size;		/* truncate to this if non-zero */
	int err;
	const char *why;	/* substring of the message */
};

static void apply(uint8_t *buf, const struct patch *p)
{
	for (; p->width; p++) {
		if (p->width == 1)
			buf[p->off] = (uint8_t)p->value;
		else if (p->width == 2)
			w16(buf + p->off, (uint16_t)p->value);
		else if (p->width == 4)
			w32(buf + p->off, (uint32_t)p->value);
		else
			w64(buf + p->off, p->value);
	}
}

/* Every hostile image fails with the right code and message, and nothing
 * is written to the guest. */
static void run_hostile(const struct hostile *cases, size_t n, size_t (*build)(uint8_t *))
{
	struct mb_result r;
	struct fake f;
	char why[256];

	for (size_t i = 0; i < n; i++) {
		size_t size = build(img);

		apply(img, cases[i].p);
		if (cases[i].size)
			size = cases[i].size;
		fake_init(&f);
		print_message("hostile: %s\n", cases[i].name);
		assert_int_equal(load(&f, img, size, "", NULL, 0, &r, why), cases[i].err);
		assert_non_null(strstr(why, cases[i].why));
		assert_int_equal(f.calls, 0);
	}
}

static size_t build_elf32(uint8_t *buf) { return base_elf(buf, 32); }
static size_t build_elf64(uint8_t *buf) { return base_elf(buf, 64); }

static void test_hostile_elf32(void **state)
{
	static const struct hostile cases[] = {
		{ "bad class", { { 4, 1, 3 } }, 0, -E_INVAL, "class 3" },
		{ "big endian", { { 5, 1, 2 } }, 0, -E_INVAL, "little-endian" },
		{ "shared object", { { 16, 2, 3 } }, 0, -E_INVAL, "not an executable" },
		{ "x86-64 machine", { { 18, 2, 62 } }, 0, -E_INVAL, "machine 62" },
		{ "not ELF", { { 0, 1, 0 } }, 0, -E_INVAL, "not ELF" },
		{ "phdrs past end", { { 28, 4, ELF_SIZE - 16 } }, 0, -E_INVAL, "program header table" },
		{ "phoff huge", { { 28, 4, 0xffffffff } }, 0, -E_INVAL, "program header table" },
		{ "no phdrs", { { 44, 2, 0 } }, 0, -E_INVAL, "missing" },
		{ "phentsize small", { { 42, 2, 16 } }, 0, -E_INVAL, "too small" },
		{ "many phdrs", { { 44, 2, 0xffff } }, 0, -E_INVAL, "program header table" },
		{ "filesz > memsz", { { PH32(0, P32_FILESZ), 4, 0x6000 } }, 0, -E_INVAL,
		  "larger than memory size" },
		{ "segment data past end", { { PH32(2, P32_OFFSET), 4, 0xfffffff0 } }, 0, -E_INVAL,
		  "ELF segment 2 (file offset 0xfffffff0, size 0x800) runs past the end" },
		{ "truncated file", { { 0, 0, 0 } }, 0x2400, -E_INVAL, "runs past the end" },
		{ "over the EBDA", { { PH32(0, P32_PADDR), 4, 0x9f000 } }, 0, -E_RANGE,
		  "ELF segment 0 at 0x9f000 (size 0x5000) is outside guest RAM" },
		{ "in the BIOS area", { { PH32(0, P32_PADDR), 4, 0xf0000 } }, 0, -E_RANGE,
		  "outside guest RAM" },
		{ "beyond RAM", { { PH32(2, P32_PADDR), 4, GUEST_SIZE - 0x400 } }, 0, -E_RANGE,
		  "outside guest RAM" },
		{ "wraps 4 GiB", { { PH32(0, P32_MEMSZ), 4, 0xffffffff } }, 0, -E_RANGE,
		  "not below 4 GiB" },
		{ "kernel too large", { { PH32(0, P32_MEMSZ), 4, 0x2000000 } }, 0, -E_RANGE,
		  "outside guest RAM" },
		{ "segments overlap", { { PH32(2, P32_PADDR), 4, 0x104000 } }, 0, -E_INVAL,
		  "ELF segments 0 and 2 overlap" },
		{ "entry outside", { { 24, 4, 0x300000 } }, 0, -E_INVAL, "not inside the loaded kernel" },
		{ "entry in a gap", { { 24, 4, 0x105000 } }, 0, -E_INVAL, "not inside" },
		{ "nothing loadable", { { PH32(0, 0), 4, PT_NOTE }, { PH32(2, 0), 4, PT_NOTE } },
		  0, -E_INVAL, "no loadable segment" },
		{ "only empty segments", { { PH32(0, P32_MEMSZ), 4, 0 }, { PH32(0, P32_FILESZ), 4, 0 },
		  { PH32(2, P32_MEMSZ), 4, 0 }, { PH32(2, P32_FILESZ), 4, 0 } }, 0, -E_INVAL,
		  "no loadable segment" },
		{ "one segment empty", { { PH32(2, P32_MEMSZ), 4, 0 } }, 0, -E_INVAL,
		  "larger than memory size" },
	};

	(void)state;
	run_hostile(cases, ARRAY_SIZE(cases), build_elf32);
}

static void test_hostile_elf64(void **state)
{
	static const struct hostile cases[] = {
		{ "i386 machine", { { 18, 2, 3 } }, 0, -E_INVAL, "ELF64 file is for machine 3" },
		{ "phoff huge", { { 32, 8, 0xffffffffffff0000ULL } }, 0, -E_INVAL,
		  "program header table" },
		{ "offset wraps", { { PH64(0, P64_OFFSET), 8, 0xffffffffffffff00ULL } }, 0, -E_INVAL,
		  "runs past the end" },
		{ "paddr wraps 2^64", { { PH64(0, P64_PADDR), 8, 0xfffffffffffff000ULL } }, 0, -E_RANGE,
		  "not below 4 GiB" },
		{ "memsz wraps 2^64", { { PH64(0, P64_MEMSZ), 8, UINT64_MAX } }, 0, -E_RANGE,
		  "not below 4 GiB" },
		{ "above 4 GiB", { { PH64(2, P64_PADDR), 8, 0x100000000ULL } }, 0, -E_RANGE,
		  "not below 4 GiB" },
		{ "just below 4 GiB", { { PH64(2, P64_PADDR), 8, 0xfffff800ULL } }, 0, -E_RANGE,
		  "outside guest RAM" },
		{ "entry above 4 GiB", { { 24, 8, 0x100000000ULL } }, 0, -E_RANGE, "above 4 GiB" },
		{ "entry high, no segment", { { 24, 8, HIGH + 0x300000 } }, 0, -E_RANGE,
		  "entry point 0xffffffff80300000 is above 4 GiB" },
		{ "truncated to 40 bytes", { { 0, 0, 0 } }, 40, -E_NOENT, "no multiboot header" },
	};

	(void)state;
	run_hostile(cases, ARRAY_SIZE(cases), build_elf64);
}

/* The header cannot be found in a file shorter than the ELF header unless
 * it sits inside that header: ident + multiboot header, nothing else. */
static void test_elf_header_cut_off(void **state)
{
	struct mb_result r;
	struct fake f;
	char why[256];

	(void)state;
	fake_init(&f);
	memset(img, 0, 32);
	memcpy(img, "\177ELF\001\001\001", 7);
	put_mb_header(img, 16, 0);
	assert_int_equal(load(&f, img, 28, "", NULL, 0, &r, why), -E_INVAL);
	assert_string_equal(why, "ELF header is cut off (file is 0x1c bytes)");
}

static size_t build_aout(uint8_t *buf) { return base_aout(buf); }

#define AH(field) (AOUT_HDR + (field))

static void test_hostile_aout(void **state)
{
	static const struct hostile cases[] = {
		{ "load above header", { { AH(MB_HDR_LOAD_ADDR), 4, AOUT_LOAD + AOUT_HDR + 4 } }, 0,
		  -E_INVAL, "do not match" },
		{ "load before file start", { { AH(MB_HDR_HEADER_ADDR), 4, AOUT_LOAD + 0x100 } }, 0,
		  -E_INVAL, "do not match" },
		{ "load_end at load", { { AH(MB_HDR_LOAD_END_ADDR), 4, AOUT_LOAD } }, 0, -E_INVAL,
		  "not above load_addr" },
		{ "load_end below load", { { AH(MB_HDR_LOAD_END_ADDR), 4, 0x1000 } }, 0, -E_INVAL,
		  "not above load_addr" },
		{ "file too short", { { AH(MB_HDR_LOAD_END_ADDR), 4, AOUT_LOAD + AOUT_SIZE + 1 } }, 0,
		  -E_INVAL, "too short" },
		{ "truncated file", { { 0, 0, 0 } }, AOUT_SIZE - 1, -E_INVAL, "too short" },
		{ "bss below data", { { AH(MB_HDR_BSS_END_ADDR), 4, AOUT_LOAD + 0x2000 } }, 0,
		  -E_INVAL, "below the end of the loaded data" },
		{ "entry past bss", { { AH(MB_HDR_ENTRY_ADDR), 4, AOUT_LOAD + 0x8000 } }, 0,
		  -E_INVAL, "not inside" },
		{ "entry before load", { { AH(MB_HDR_ENTRY_ADDR), 4, AOUT_LOAD - 1 } }, 0,
		  -E_INVAL, "not inside" },
		{ "bss beyond RAM", { { AH(MB_HDR_BSS_END_ADDR), 4, 0x2000000 } }, 0, -E_RANGE,
		  "a.out image 0 at 0x100000 (size 0x1f00000) is outside guest RAM" },
		{ "wraps 4 GiB", { { AH(MB_HDR_LOAD_ADDR), 4, 0xfffff000 },
		  { AH(MB_HDR_HEADER_ADDR), 4, 0xfffff040 }, { AH(MB_HDR_LOAD_END_ADDR), 4, 0 } },
		  0, -E_INVAL, "below the end" },
		{ "in reserved", { { AH(MB_HDR_LOAD_ADDR), 4, 0xf0000 },
		  { AH(MB_HDR_HEADER_ADDR), 4, 0xf0040 }, { AH(MB_HDR_LOAD_END_ADDR), 4, 0 },
		  { AH(MB_HDR_BSS_END_ADDR), 4, 0 } }, 0, -E_RANGE,
		  "a.out image 0 at 0xf0000 (size 0x3000) is outside guest RAM" },
	};

	(void)state;
	/* The checksum does not cover the address fields, so patches keep it. */
	run_hostile(cases, ARRAY_SIZE(cases), build_aout);
}

static void test_aout_past_4gib(void **state)
{
	struct mb_result r;
	struct fake f;
	char why[256];
	size_t size = base_aout(img);

	(void)state;
	fake_init(&f);
	put_aout_fields(img, AOUT_HDR, 0xfffff040, 0xfffff000, 0, 0, 0xfffff000);
	assert_int_equal(load(&f, img, size, "", NULL, 0, &r, why), -E_RANGE);
	assert_string_equal(why, "a.out image 0 at 0xfffff000 (size 0x3000) is not below 4 GiB");
}

static void test_no_room(void **state)
{
	static uint8_t huge[GUEST_SIZE - 0x201000];
	struct mb_module mods[2] = { { huge, sizeof(huge), "huge" }, { mod_b, 1, "" } };
	struct mb_result r;
	struct fake f;
	char why[256];
	size_t size = base_elf(img, 32);

	(void)state;
	fake_init(&f);
	/* The module fills RAM to the end: no room for the second one. */
	assert_int_equal(load(&f, img, size, "", mods, 2, &r, why), -E_NOMEM);
	assert_string_equal(why, "no room in guest RAM below 4 GiB for module 1 (0x1 bytes)");
	/* ... nor for the information block. */
	assert_int_equal(load(&f, img, size, "", mods, 1, &r, why), -E_NOMEM);
	assert_non_null(strstr(why, "multiboot information"));
	/* One byte too many for the first. */
	mods[0].size++;
	assert_int_equal(load(&f, img, size, "", mods, 1, &r, why), -E_NOMEM);
	assert_non_null(strstr(why, "module 0"));
	assert_int_equal(f.calls, 0);
	/* A module of size 0 still gets a page of its own. */
	mods[0] = (struct mb_module){ NULL, 0, NULL };
	assert_int_equal(load(&f, img, size, "", mods, 2, &r, why), 0);
	check_mbi(&f, &r, "", mods, 2, 639, 15 * 1024);
	/* Size without data is refused. */
	mods[0].size = 1;
	assert_int_equal(load(&f, img, size, "", mods, 1, &r, why), -E_INVAL);
}

static void test_callback_error(void **state)
{
	struct mb_module mods[2];
	struct mb_result r;
	struct fake f;
	char why[256];
	size_t size = base_elf(img, 32);
	int err;

	(void)state;
	init_mods(mods);
	for (unsigned n = 1; n < 20; n++) {
		fake_init(&f);
		f.fail_at = n;
		err = load(&f, img, size, "", mods, 2, &r, why);

		if (f.calls < n) {
			assert_int_equal(err, 0);
			break;
		}
		assert_int_equal(err, -E_IO);
		assert_non_null(strstr(why, "guest memory at 0x"));
	}
}

static void test_bad_arguments(void **state)
{
	static const struct guest_region unsorted[] = {
		{ 0x100000, 0x100000, MB_MEM_USABLE }, { 0, 0x9fc00, MB_MEM_USABLE },
	};
	static const struct guest_region empty[] = { { 0, 0, MB_MEM_USABLE } };
	static const struct guest_region wraps[] = { { 0x1000, UINT64_MAX, MB_MEM_USABLE } };
	struct mb_result r;
	struct fake f;
	char why[256];
	size_t size = base_elf(img, 32);

	(void)state;
	fake_init_map(&f, unsorted, 2);
	assert_int_equal(load(&f, img, size, "", NULL, 0, &r, why), -E_INVAL);
	assert_non_null(strstr(why, "out of order"));
	fake_init_map(&f, empty, 1);
	assert_int_equal(load(&f, img, size, "", NULL, 0, &r, why), -E_INVAL);
	fake_init_map(&f, wraps, 1);
	assert_int_equal(load(&f, img, size, "", NULL, 0, &r, why), -E_INVAL);
	fake_init(&f);
	f.g.nr_regions = 0;
	assert_int_equal(load(&f, img, size, "", NULL, 0, &r, why), -E_INVAL);
	assert_int_equal(mb_load(img, size, "", NULL, 0, NULL, &r, why, sizeof(why)), -E_INVAL);
	assert_int_equal(mb_load(NULL, size, "", NULL, 0, &f.g, &r, why, sizeof(why)), -E_INVAL);
	assert_int_equal(mb_load(img, size, "", NULL, 1, &f.g, &r, why, sizeof(why)), -E_INVAL);
	/* No room for a reason is fine. */
	fake_init(&f);
	assert_int_equal(mb_load(img, 10, "", NULL, 0, &f.g, &r, NULL, 0), -E_NOENT);
}

static void test_too_many_segments(void **state)
{
	struct seg_spec segs[17];
	struct mb_result r;
	struct fake f;
	char why[256];
	size_t size;

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(segs); i++)
		segs[i] = (struct seg_spec){ PT_LOAD, 0x1000, 0x100000 + i * 0x1000,
					     0x100000 + i * 0x1000, 0x100, 0x1000 };
	size = build_elf(img, 32, 0x100000, segs, 16, 0x2000);
	put_mb_header(img, 0x1000 - 12, 0);
	fake_init(&f);
	assert_int_equal(load(&f, img, size, "", NULL, 0, &r, why), 0);
	assert_int_equal(r.kernel_end, 0x110000);
	size = build_elf(img, 32, 0x100000, segs, 17, 0x2000);
	put_mb_header(img, 0x1000 - 12, 0);
	assert_int_equal(load(&f, img, size, "", NULL, 0, &r, why), -E_INVAL);
	assert_string_equal(why, "more than 16 loadable segments");
}

/* Adjacent usable regions count as one run: a segment may straddle them,
 * and mem_upper spans both. No low memory at all gives mem_lower 0. */
static void test_adjacent_regions(void **state)
{
	static const struct guest_region split[] = {
		{ 0x1000, 0x9e000, MB_MEM_USABLE },
		{ 0x100000, 0x100000, MB_MEM_USABLE },
		{ 0x200000, 0x800000, MB_MEM_USABLE },
		{ 0xa00000, 0x1000, 4 },	/* ACPI NVS, passed through */
	};
	struct mb_result r;
	struct fake f;
	char why[256];
	size_t size = base_elf(img, 32);

	(void)state;
	fake_init_map(&f, split, ARRAY_SIZE(split));
	w32(img + PH32(2, P32_PADDR), 0x1ffc00);
	assert_int_equal(load(&f, img, size, "c", NULL, 0, &r, why), 0);
	assert_memory_equal(f.mem + 0x1ffc00, img + 0x2000, 0x800);
	check_mbi(&f, &r, "c", NULL, 0, 0, 9 * 1024);
}

/* -------------------------------------------------------------- fuzzing */

#define FUZZ_ROUNDS	3000
#define FUZZ_HOT	0x260	/* headers of the synthetic images */

/* Values that tend to sit on boundaries: sizes and addresses near 0, the
 * guest's RAM end, 4 GiB and 2^64. */
static const uint64_t edgy[] = {
	0, 1, 0xfff, 0x1000, 0x9fc00, 0x100000, GUEST_SIZE - 1, GUEST_SIZE,
	0x7fffffff, 0xfffff000, 0xffffffff, 0x100000000ULL, HIGH, UINT64_MAX - 0xfff, UINT64_MAX,
};

static void mutate(uint8_t *buf, size_t *size, size_t hdr)
{
	unsigned n = 1 + (unsigned)rng_below(6);

	for (unsigned i = 0; i < n; i++) {
		size_t at = rng_below(4) ? rng_below(FUZZ_HOT) : rng_below(*size);

		if (rng_below(3) == 0 && at < FUZZ_HOT)
			w64(buf + ALIGN_DOWN(at, 4), edgy[rng_below(ARRAY_SIZE(edgy))]);
		else if (rng_below(2))
			buf[at] = (uint8_t)rng();
		else
			buf[at] ^= (uint8_t)(1u << rng_below(8));
	}
	if (rng_below(8) == 0)
		*size = rng_below(*size + 1);
	/* Usually keep the checksum right, so the fuzz gets past it. */
	if (rng_below(4))
		w32(buf + hdr + 8, -(MB_HEADER_MAGIC + (buf[hdr + 4] | buf[hdr + 5] << 8 |
					buf[hdr + 6] << 16 | (uint32_t)buf[hdr + 7] << 24)));
}

static void fuzz_one(size_t (*build)(uint8_t *), size_t hdr, unsigned *ok)
{
	struct mb_module mods[2];
	struct mb_result r;
	struct fake f;
	char why[64];	/* short on purpose: messages are cut, not overflowed */

	init_mods(mods);
	fake_init(&f);
	for (unsigned round = 0; round < FUZZ_ROUNDS; round++) {
		size_t size = build(img);
		int err;

		mutate(img, &size, hdr);
		f.calls = 0;
		err = mb_load(img, size, "fuzz", mods, 2, &f.g, &r, why, sizeof(why));
		assert_true(err <= 0);
		assert_int_equal(mb_probe(img, size), err != -E_NOENT && err != -E_CHECKSUM);
		if (err) {
			assert_true(strlen(why) > 0 && strlen(why) < sizeof(why));
			continue;
		}
		(*ok)++;
		assert_true(r.kernel_start < r.kernel_end && r.kernel_end <= r.mbi);
		assert_true(r.entry >= r.kernel_start && r.entry < r.kernel_end);
		assert_true(r.top <= GUEST_SIZE);
		assert_int_equal(g32(&f, r.mbi + MBI_MEM_LOWER), 639);
	}
}

static void test_fuzz(void **state)
{
	unsigned ok[3] = { 0 };

	(void)state;
	rng_state = TEST_RNG_SEED;
	fuzz_one(build_elf32, HDR_OFF, &ok[0]);
	fuzz_one(build_elf64, HDR_OFF, &ok[1]);
	fuzz_one(build_aout, AOUT_HDR, &ok[2]);
	print_message("fuzz: loaded %u ELF32, %u ELF64, %u a.out of %u each\n",
		      ok[0], ok[1], ok[2], FUZZ_ROUNDS);
	/* The mutations are mild enough that some images still load. */
	assert_true(ok[0] > 0 && ok[1] > 0 && ok[2] > 0);
}

static int setup(void **state)
{
	(void)state;
	guest_mem = malloc(GUEST_SIZE);
	return guest_mem ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(guest_mem);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf32_with_modules),
		cmocka_unit_test(test_elf64_entry_translated),
		cmocka_unit_test(test_aout_whole_file_and_bss),
		cmocka_unit_test(test_aout_partial_load_offset),
		cmocka_unit_test(test_low_kernel_module_skips_hole),
		cmocka_unit_test(test_header_flags),
		cmocka_unit_test(test_header_search),
		cmocka_unit_test(test_bad_checksum),
		cmocka_unit_test(test_hostile_elf32),
		cmocka_unit_test(test_hostile_elf64),
		cmocka_unit_test(test_elf_header_cut_off),
		cmocka_unit_test(test_hostile_aout),
		cmocka_unit_test(test_aout_past_4gib),
		cmocka_unit_test(test_no_room),
		cmocka_unit_test(test_callback_error),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_too_many_segments),
		cmocka_unit_test(test_adjacent_regions),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests_name("multiboot", tests, setup, teardown);
}
