/*
 * Unit tests for the Linux bzImage loader (vmm/bzimage.c): synthetic
 * bzImages (a setup header plus a patterned payload) loaded into a fake
 * 32 MiB guest, the zero page read back, initrd placement, hostile images
 * and a mutation fuzz loop. The fake guest checks that every write lands
 * in usable RAM.
 */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "vmm/bzimage.h"
#include "tests/unit/test_rng.h"

#define GUEST_SIZE	(32 * MiB)
#define POISON		0xaa
#define IMG_SIZE	0x3000
#define SETUP_SIZE	0x400		/* setup_sects = 1 */
#define PAYLOAD		(IMG_SIZE - SETUP_SIZE)
#define PREF		(16 * MiB)
#define INIT_SIZE	0x40000
#define ALIGN_2M	(2 * MiB)
#define HDR_END		0x268		/* protocol 2.12+ header end */
#define RSDP		0xf5a40ULL

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

static uint8_t *guest_mem;

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

static void fake_init_map(struct fake *f, const struct guest_region *map, unsigned nr,
			  bool poison)
{
	memset(f, 0, sizeof(*f));
	f->mem = guest_mem;
	f->map = map;
	f->nr = nr;
	f->g = (struct mb_guest){ .regions = map, .nr_regions = nr, .write = fake_write,
				  .zero = fake_zero, .ctx = f };
	if (poison)
		memset(f->mem, POISON, GUEST_SIZE);
}

static void fake_init(struct fake *f)
{
	fake_init_map(f, std_map, ARRAY_SIZE(std_map), true);
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

static bool all_bytes(const struct fake *f, uint64_t a, uint64_t len, uint8_t v)
{
	for (uint64_t i = 0; i < len; i++)
		if (f->mem[a + i] != v)
			return false;
	return true;
}

/* --------------------------------------------------------- image builder */

static void w16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void w32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void w64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Offsets written out from boot.rst, independently of the loader's names. */
static void build(uint8_t *img)
{
	for (size_t i = 0; i < IMG_SIZE; i++)
		img[i] = (uint8_t)(i * 131 + 7);
	memset(img + 0x1f1, 0, HDR_END - 0x1f1);
	img[0x1f1] = 1;				/* setup_sects */
	w16(img + 0x1fe, 0xaa55);
	img[0x200] = 0xeb;
	img[0x201] = HDR_END - 0x202;
	memcpy(img + 0x202, "HdrS", 4);
	w16(img + 0x206, 0x020f);
	img[0x211] = 0x01;			/* LOADED_HIGH */
	w32(img + 0x214, 0x100000);
	w32(img + 0x22c, 0x7fffffff);		/* initrd_addr_max */
	w32(img + 0x230, ALIGN_2M);
	img[0x234] = 1;				/* relocatable */
	img[0x235] = 21;
	w16(img + 0x236, 0x1);			/* XLF_KERNEL_64 */
	w32(img + 0x238, 2047);
	w64(img + 0x258, PREF);
	w32(img + 0x260, INIT_SIZE);
}

static int load(struct fake *f, const uint8_t *img, size_t size, const char *cmdline,
		const struct mb_module *rd, unsigned n, struct bz_result *r, char *why)
{
	return bz_load(img, size, cmdline, rd, n, RSDP, &f->g, r, why, 200);
}

/* Guest memory is all poison: nothing was written. */
static void assert_untouched(const struct fake *f)
{
	assert_true(all_bytes(f, 0, GUEST_SIZE, POISON));
}

/* ------------------------------------------------------------------ tests */

static void test_probe(void **state)
{
	uint8_t img[IMG_SIZE];

	(void)state;
	build(img);
	assert_int_equal(bz_probe(img, IMG_SIZE), 1);
	assert_int_equal(bz_probe(img, 0x205), 0);
	assert_int_equal(bz_probe(NULL, IMG_SIZE), 0);
	img[0x203] = 'x';
	assert_int_equal(bz_probe(img, IMG_SIZE), 0);
}

static void check_header_copy(const struct fake *f, const uint8_t *img)
{
	const uint8_t *zp = f->mem + BZ_ZERO_PAGE_ADDR;

	for (size_t o = 0x1f1; o < HDR_END; o++) {
		bool patched = o == 0x210 || (o >= 0x214 && o < 0x220) ||
			       (o >= 0x228 && o < 0x22c);

		if (!patched)
			assert_int_equal(zp[o], img[o]);
	}
	assert_true(all_bytes(f, BZ_ZERO_PAGE_ADDR + HDR_END, 0x2d0 - HDR_END, 0));
}

static void test_basic(void **state)
{
	static uint8_t img[IMG_SIZE];
	struct fake f;
	struct bz_result r;
	char why[200];
	const uint64_t zp = BZ_ZERO_PAGE_ADDR;

	(void)state;
	build(img);
	fake_init(&f);
	assert_int_equal(load(&f, img, IMG_SIZE, "console=ttyS0 quiet", NULL, 0, &r, why), 0);
	assert_int_equal(r.load_addr, PREF);
	assert_int_equal(r.load_end, PREF + INIT_SIZE);
	assert_int_equal(r.entry64, PREF + 0x200);
	assert_int_equal(r.entry32, PREF);
	assert_int_equal(r.zero_page, zp);
	assert_int_equal(r.version, 0x020f);
	assert_int_equal(r.initrd_addr, 0);
	assert_int_equal(r.initrd_size, 0);
	assert_memory_equal(f.mem + PREF, img + SETUP_SIZE, PAYLOAD);
	/* the bss is the kernel's to clear; the loader writes only the file */
	assert_true(all_bytes(&f, PREF + PAYLOAD, 0x100, POISON));
	check_header_copy(&f, img);
	assert_int_equal(f.mem[zp + 0x210], 0xff);
	assert_int_equal(g32(&f, zp + 0x214), PREF);
	assert_int_equal(g32(&f, zp + 0x228), r.cmdline_addr);
	assert_string_equal((char *)f.mem + r.cmdline_addr, "console=ttyS0 quiet");
	assert_int_equal(g32(&f, zp + 0x218), 0);
	assert_int_equal(g32(&f, zp + 0x21c), 0);
	assert_int_equal(g32(&f, zp + 0xc0), 0);
	assert_int_equal(g32(&f, zp + 0xc4), 0);
	assert_int_equal(g32(&f, zp + 0xc8), 0);
	assert_int_equal(g64(&f, zp + 0x70), RSDP);
	assert_int_equal(f.mem[zp + 0x1e8], ARRAY_SIZE(std_map));
	for (unsigned i = 0; i < ARRAY_SIZE(std_map); i++) {
		uint64_t e = zp + 0x2d0 + i * 20;

		assert_int_equal(g64(&f, e), std_map[i].base);
		assert_int_equal(g64(&f, e + 8), std_map[i].size);
		assert_int_equal(g32(&f, e + 16), std_map[i].type);
	}
	/* the rest of the zero page is clear */
	assert_true(all_bytes(&f, zp + 0x2d0 + 4 * 20, 0x1000 - 0x2d0 - 4 * 20, 0));
	assert_true(all_bytes(&f, zp, 0x70, 0));
}

static void test_null_cmdline(void **state)
{
	static uint8_t img[IMG_SIZE];
	struct fake f;
	struct bz_result r;
	char why[200];

	(void)state;
	build(img);
	fake_init(&f);
	assert_int_equal(load(&f, img, IMG_SIZE, NULL, NULL, 0, &r, why), 0);
	assert_int_equal(f.mem[r.cmdline_addr], 0);
}

static void test_setup_sects_zero_means_four(void **state)
{
	static uint8_t img[IMG_SIZE];
	struct fake f;
	struct bz_result r;
	char why[200];

	(void)state;
	build(img);
	img[0x1f1] = 0;
	fake_init(&f);
	assert_int_equal(load(&f, img, IMG_SIZE, "", NULL, 0, &r, why), 0);
	assert_memory_equal(f.mem + PREF, img + 5 * 512, IMG_SIZE - 5 * 512);
}

/* pref_address outside RAM or misaligned: lowest 2 MiB boundary >= 1 MiB. */
static void test_relocated(void **state)
{
	static uint8_t img[IMG_SIZE];
	const uint64_t prefs[] = { 64 * MiB, PREF + 0x1000, 0x80000, 0 };
	struct fake f;
	struct bz_result r;
	char why[200];

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(prefs); i++) {
		build(img);
		w64(img + 0x258, prefs[i]);
		fake_init(&f);
		assert_int_equal(load(&f, img, IMG_SIZE, "", NULL, 0, &r, why), 0);
		assert_int_equal(r.load_addr, ALIGN_2M);
		assert_int_equal(r.entry64, ALIGN_2M + 0x200);
		assert_int_equal(g32(&f, BZ_ZERO_PAGE_ADDR + 0x214), ALIGN_2M);
		assert_memory_equal(f.mem + ALIGN_2M, img + SETUP_SIZE, PAYLOAD);
	}
	/* 4 MiB alignment */
	build(img);
	w64(img + 0x258, 0);
	w32(img + 0x230, 4 * MiB);
	fake_init(&f);
	assert_int_equal(load(&f, img, IMG_SIZE, "", NULL, 0, &r, why), 0);
	assert_int_equal(r.load_addr, 4 * MiB);
}

static void test_not_relocatable(void **state)
{
	static uint8_t img[IMG_SIZE];
	struct fake f;
	struct bz_result r;
	char why[200];

	(void)state;
	build(img);
	img[0x234] = 0;
	w32(img + 0x230, 3);		/* ignored when not relocatable */
	w64(img + 0x258, PREF + 0x1000);
	fake_init(&f);
	assert_int_equal(load(&f, img, IMG_SIZE, "", NULL, 0, &r, why), 0);
	assert_int_equal(r.load_addr, PREF + 0x1000);
	w64(img + 0x258, 64 * MiB);
	fake_init(&f);
	assert_int_equal(load(&f, img, IMG_SIZE, "", NULL, 0, &r, why), -E_RANGE);
	assert_non_null(strstr(why, "fixed address"));
	assert_untouched(&f);
}

static void test_no_64bit_entry(void **state)
{
	static uint8_t img[IMG_SIZE];
	struct fake f;
	struct bz_result r;
	char why[200];

	(void)state;
	build(img);
	w16(img + 0x236, 0);
	fake_init(&f);
	assert_int_equal(load(&f, img, IMG_SIZE, "", NULL, 0, &r, why), 0);
	assert_int_equal(r.entry64, 0);
	assert_int_equal(r.entry32, PREF);
}

static void check_initrd(const struct fake *f, const struct bz_result *r,
			 const struct mb_module *rd, unsigned n)
{
	uint64_t off = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t start = ALIGN_UP(off, 4);

		assert_true(all_bytes(f, r->initrd_addr + off, start - off, 0));
		assert_memory_equal(f->mem + r->initrd_addr + start, rd[i].data, rd[i].size);
		off = start + rd[i].size;
	}
	assert_int_equal(r->initrd_size, off);
	assert_int_equal(r->initrd_addr % PAGE_SIZE, 0);
	assert_int_equal(g32(f, BZ_ZERO_PAGE_ADDR + 0x218), r->initrd_addr);
	assert_int_equal(g32(f, BZ_ZERO_PAGE_ADDR + 0x21c), r->initrd_size);
	assert_false(r->initrd_addr < r->load_end &&
		     r->load_addr < r->initrd_addr + r->initrd_size);
}

static uint8_t blob_a[5] = { 1, 2, 3, 4, 5 };
static uint8_t blob_b[0x1003];
static const struct mb_module two_blobs[] = {
	{ blob_a, sizeof(blob_a), "a" }, { blob_b, sizeof(blob_b), NULL },
};
#define TWO_SIZE	(8 + sizeof(blob_b))

static void test_initrd_high(void **state)
{
	static uint8_t img[IMG_SIZE];
	struct fake f;
	struct bz_result r;
	char why[200];

	(void)state;
	memset(blob_b, 0x5c, sizeof(blob_b));
	build(img);
	fake_init(&f);
	assert_int_equal(load(&f, img, IMG_SIZE, "", two_blobs, 2, &r, why), 0);
	assert_int_equal(r.initrd_addr, ALIGN_DOWN(GUEST_SIZE - TWO_SIZE, PAGE_SIZE));
	check_initrd(&f, &r, two_blobs, 2);
	/* initrd_addr_max: the last byte at or below it */
	w32(img + 0x22c, 24 * MiB - 1);
	fake_init(&f);
	assert_int_equal(load(&f, img, IMG_SIZE, "", two_blobs, 2, &r, why), 0);
	assert_int_equal(r.initrd_addr, ALIGN_DOWN(24 * MiB - TWO_SIZE, PAGE_SIZE));
	assert_true(r.initrd_addr + r.initrd_size - 1 <= 24 * MiB - 1);
	check_initrd(&f, &r, two_blobs, 2);
}

/* The kernel sits at the top: the initrd goes just below it. */
static void test_initrd_below_kernel(void **state)
{
	static uint8_t img[IMG_SIZE];
	struct fake f;
	struct bz_result r;
	char why[200];

	(void)state;
	build(img);
	w64(img + 0x258, 30 * MiB);
	w32(img + 0x260, 2 * MiB);
	fake_init(&f);
	assert_int_equal(load(&f, img, IMG_SIZE, "", two_blobs, 2, &r, why), 0);
	assert_int_equal(r.load_addr, 30 * MiB);
	assert_int_equal(r.initrd_addr, ALIGN_DOWN(30 * MiB - TWO_SIZE, PAGE_SIZE));
	check_initrd(&f, &r, two_blobs, 2);
}

static void test_initrd_no_room(void **state)
{
	static uint8_t img[IMG_SIZE];
	struct fake f;
	struct bz_result r;
	char why[200];

	(void)state;
	build(img);
	w32(img + 0x22c, 0x100fff);	/* one page above 1 MiB */
	fake_init(&f);
	assert_int_equal(load(&f, img, IMG_SIZE, "", two_blobs, 2, &r, why), -E_NOMEM);
	assert_non_null(strstr(why, "initrd"));
	assert_untouched(&f);
	w32(img + 0x22c, 0);
	assert_int_equal(load(&f, img, IMG_SIZE, "", two_blobs, 2, &r, why), -E_NOMEM);
	assert_untouched(&f);
	/* an empty initrd needs no room */
	const struct mb_module empty = { NULL, 0, NULL };

	assert_int_equal(load(&f, img, IMG_SIZE, "", &empty, 1, &r, why), 0);
	assert_int_equal(r.initrd_size, 0);
	/* data missing */
	const struct mb_module bad = { NULL, 10, NULL };

	fake_init(&f);
	assert_int_equal(load(&f, img, IMG_SIZE, "", &bad, 1, &r, why), -E_INVAL);
	assert_untouched(&f);
}

static void expect(uint8_t *img, size_t size, int err, const char *msg)
{
	struct fake f;
	struct bz_result r;
	char why[200];

	fake_init_map(&f, std_map, ARRAY_SIZE(std_map), false);
	memset(f.mem + PREF, POISON, 0x1000);
	assert_int_equal(load(&f, img, size, "", NULL, 0, &r, why), err);
	if (msg)
		assert_non_null(strstr(why, msg));
	assert_int_equal(f.calls, 0);
}

static void test_hostile_header(void **state)
{
	static uint8_t img[IMG_SIZE];

	(void)state;
	build(img);
	memcpy(img + 0x202, "HdrZ", 4);
	expect(img, IMG_SIZE, -E_NOENT, "HdrS");
	build(img);
	w16(img + 0x206, 0x020a);
	expect(img, IMG_SIZE, -E_NOTSUP, "Linux boot protocol 2.10 is too old; Keel needs 2.12");
	build(img);
	w16(img + 0x206, 0x020b);
	expect(img, IMG_SIZE, -E_NOTSUP, "2.11 is too old");
	build(img);
	img[0x211] = 0x80;
	expect(img, IMG_SIZE, -E_NOTSUP, "LOADED_HIGH");
	build(img);
	img[0x201] = 0x10;		/* header ends before init_size */
	expect(img, IMG_SIZE, -E_INVAL, "before init_size");
	build(img);
	img[0x1f1] = 200;		/* setup beyond the file */
	expect(img, IMG_SIZE, -E_INVAL, "setup_sects");
	build(img);
	img[0x1f1] = IMG_SIZE / 512 - 1;	/* no payload at all */
	expect(img, IMG_SIZE, -E_INVAL, "setup_sects");
	build(img);
	w32(img + 0x260, 0xffffffff);
	expect(img, IMG_SIZE, -E_RANGE, "no room for the kernel");
	build(img);
	w32(img + 0x230, 0x300000);
	expect(img, IMG_SIZE, -E_INVAL, "kernel_alignment");
	build(img);
	w32(img + 0x230, 0);
	expect(img, IMG_SIZE, -E_INVAL, "kernel_alignment");
	build(img);
	w32(img + 0x230, 0x80000000);
	expect(img, IMG_SIZE, -E_INVAL, "kernel_alignment");
}

static void test_header_jump_beyond_bound(void **state)
{
	static uint8_t img[IMG_SIZE];
	struct fake f;
	struct bz_result r;
	char why[200];

	(void)state;
	build(img);
	img[0x201] = 0xff;		/* claims a header up to 0x301 */
	img[0x1f1] = 2;
	fake_init(&f);
	assert_int_equal(load(&f, img, IMG_SIZE, "", NULL, 0, &r, why), 0);
	/* only the boot_params room for the header is copied */
	assert_true(all_bytes(&f, BZ_ZERO_PAGE_ADDR + 0x290, 0x2d0 - 0x290, 0));
	assert_memory_equal(f.mem + BZ_ZERO_PAGE_ADDR + 0x268, img + 0x268, 0x290 - 0x268);
}

static void test_truncated(void **state)
{
	static uint8_t img[IMG_SIZE];
	struct fake f;
	struct bz_result r;
	char why[200];

	(void)state;
	build(img);
	fake_init_map(&f, std_map, ARRAY_SIZE(std_map), false);
	for (size_t len = 0; len <= IMG_SIZE; len++) {
		int err = load(&f, img, len, "", NULL, 0, &r, why);

		if (len <= SETUP_SIZE) {
			assert_true(err < 0);
			assert_true(why[0] != '\0');
		} else {
			assert_int_equal(err, 0);
			assert_int_equal(r.load_end, PREF + INIT_SIZE);
		}
	}
}

static void test_cmdline_limits(void **state)
{
	static uint8_t img[IMG_SIZE];
	static char line[4096];
	struct fake f;
	struct bz_result r;
	char why[200];

	(void)state;
	build(img);
	w32(img + 0x238, 100);
	memset(line, 'x', 100);
	fake_init(&f);
	assert_int_equal(load(&f, img, IMG_SIZE, line, NULL, 0, &r, why), 0);
	assert_string_equal((char *)f.mem + r.cmdline_addr, line);
	line[100] = 'y';
	fake_init(&f);
	assert_int_equal(load(&f, img, IMG_SIZE, line, NULL, 0, &r, why), -E_RANGE);
	assert_non_null(strstr(why, "at most 100"));
	assert_untouched(&f);
	/* a huge cmdline_size does not let the line leave low RAM */
	w32(img + 0x238, 0xffffffff);
	static const struct guest_region tiny_low[] = {
		{ 0, 0x8800, MB_MEM_USABLE },
		{ 0x100000, GUEST_SIZE - 0x100000, MB_MEM_USABLE },
	};
	fake_init_map(&f, tiny_low, ARRAY_SIZE(tiny_low), true);
	memset(line, 'z', 0x900);
	assert_int_equal(load(&f, img, IMG_SIZE, line, NULL, 0, &r, why), -E_RANGE);
	assert_untouched(&f);
}

static void test_bad_guest(void **state)
{
	static uint8_t img[IMG_SIZE];
	static struct guest_region many[BZ_E820_MAX + 1];
	static const struct guest_region no_low[] = {
		{ 0x100000, GUEST_SIZE - 0x100000, MB_MEM_USABLE },
	};
	static const struct guest_region unordered[] = {
		{ 0x100000, 0x100000, MB_MEM_USABLE }, { 0, 0x9fc00, MB_MEM_USABLE },
	};
	struct fake f;
	struct bz_result r;
	char why[200];

	(void)state;
	build(img);
	for (unsigned i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = (struct guest_region){ i * 0x10000ULL, 0x10000, MB_MEM_USABLE };
	fake_init_map(&f, many, ARRAY_SIZE(many), false);
	assert_int_equal(load(&f, img, IMG_SIZE, "", NULL, 0, &r, why), -E_INVAL);
	assert_non_null(strstr(why, "128"));
	fake_init_map(&f, no_low, ARRAY_SIZE(no_low), false);
	assert_int_equal(load(&f, img, IMG_SIZE, "", NULL, 0, &r, why), -E_RANGE);
	assert_non_null(strstr(why, "zero page"));
	fake_init_map(&f, unordered, ARRAY_SIZE(unordered), false);
	assert_int_equal(load(&f, img, IMG_SIZE, "", NULL, 0, &r, why), -E_INVAL);
	assert_int_equal(bz_load(NULL, 0, "", NULL, 0, 0, &f.g, &r, why, sizeof(why)), -E_INVAL);
	assert_int_equal(bz_load(img, IMG_SIZE, "", NULL, 1, 0, &f.g, &r, why, sizeof(why)),
			 -E_INVAL);
	assert_int_equal(bz_load(img, IMG_SIZE, "", NULL, 0, 0, NULL, &r, why, sizeof(why)),
			 -E_INVAL);
	assert_int_equal(bz_load(img, IMG_SIZE, "", NULL, 0, 0, &f.g, NULL, NULL, 0), -E_INVAL);
}

/* Usable regions that touch are one run: the kernel may straddle them. */
static void test_adjacent_regions(void **state)
{
	static uint8_t img[IMG_SIZE];
	static const struct guest_region split[] = {
		{ 0, 0x9fc00, MB_MEM_USABLE },
		{ 0x100000, PREF + 0x10000 - 0x100000, MB_MEM_USABLE },
		{ PREF + 0x10000, GUEST_SIZE - PREF - 0x10000, MB_MEM_USABLE },
	};
	struct fake f;
	struct bz_result r;
	char why[200];

	(void)state;
	build(img);
	fake_init_map(&f, split, ARRAY_SIZE(split), true);
	assert_int_equal(load(&f, img, IMG_SIZE, "", two_blobs, 2, &r, why), 0);
	assert_int_equal(r.load_addr, PREF);
	check_initrd(&f, &r, two_blobs, 2);
}

static void test_callback_error(void **state)
{
	static uint8_t img[IMG_SIZE];
	struct fake f;
	struct bz_result r;
	char why[200];
	unsigned total;

	(void)state;
	build(img);
	fake_init_map(&f, std_map, ARRAY_SIZE(std_map), false);
	assert_int_equal(load(&f, img, IMG_SIZE, "x", two_blobs, 2, &r, why), 0);
	total = f.calls;
	for (unsigned n = 1; n <= total; n++) {
		fake_init_map(&f, std_map, ARRAY_SIZE(std_map), false);
		f.fail_at = n;
		assert_int_equal(load(&f, img, IMG_SIZE, "x", two_blobs, 2, &r, why), -E_IO);
		assert_non_null(strstr(why, "failed"));
	}
}

#define FUZZ_ROUNDS	3000

/* Random header bytes and lengths: never a crash or a stray write; what
 * loads must be aligned, in RAM and consistent. */
static void test_fuzz(void **state)
{
	static uint8_t img[IMG_SIZE];
	struct fake f;
	struct bz_result r;
	char why[200];
	unsigned ok = 0;

	(void)state;
	rng_state = TEST_RNG_SEED;
	fake_init_map(&f, std_map, ARRAY_SIZE(std_map), false);
	for (unsigned round = 0; round < FUZZ_ROUNDS; round++) {
		size_t len = IMG_SIZE - (rng_below(4) ? 0 : rng_below(IMG_SIZE));
		unsigned n = 1 + (unsigned)rng_below(6);

		build(img);
		if (rng_below(8) == 0) {	/* the whole header random but the magic */
			n = 0x290 - 0x1f1;
			for (unsigned i = 0; i < n; i++)
				img[0x1f1 + i] = (uint8_t)rng();
			memcpy(img + 0x202, "HdrS", 4);
		}
		for (unsigned i = 0; i < n; i++)
			img[0x1f1 + rng_below(0x290 - 0x1f1)] = (uint8_t)rng();
		f.calls = 0;
		if (load(&f, img, len, "fuzz", two_blobs, 1 + (unsigned)rng_below(2), &r, why))
			continue;
		ok++;
		assert_true(r.load_addr >= 1 * MiB);
		assert_true(r.load_end <= GUEST_SIZE);
		assert_true(r.initrd_addr % PAGE_SIZE == 0);
		assert_true(r.initrd_addr >= r.load_end ||
			    r.initrd_addr + r.initrd_size <= r.load_addr);
		assert_true(r.initrd_addr + r.initrd_size - 1 <= g32(&f, BZ_ZERO_PAGE_ADDR + 0x22c));
		if (img[0x234])
			assert_int_equal(r.load_addr % g32(&f, BZ_ZERO_PAGE_ADDR + 0x230), 0);
	}
	print_message("fuzz: %u of %u loaded\n", ok, FUZZ_ROUNDS);
	assert_true(ok > 0);
}

/* Probe a real kernel if the host has a readable one; never required. */
static void test_host_kernel(void **state)
{
	uint8_t hdr[0x300];
	glob_t gl;

	(void)state;
	if (glob("/boot/vmlinuz-*", 0, NULL, &gl) != 0)
		skip();
	for (size_t i = 0; i < gl.gl_pathc; i++) {
		FILE *fp = fopen(gl.gl_pathv[i], "rb");
		size_t n;

		if (!fp)
			continue;
		n = fread(hdr, 1, sizeof(hdr), fp);
		fclose(fp);
		assert_int_equal(bz_probe(hdr, n), 1);
		assert_true((hdr[0x206] | hdr[0x207] << 8) >= 0x020c);
		globfree(&gl);
		return;
	}
	globfree(&gl);
	skip();
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
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_null_cmdline),
		cmocka_unit_test(test_setup_sects_zero_means_four),
		cmocka_unit_test(test_relocated),
		cmocka_unit_test(test_not_relocatable),
		cmocka_unit_test(test_no_64bit_entry),
		cmocka_unit_test(test_initrd_high),
		cmocka_unit_test(test_initrd_below_kernel),
		cmocka_unit_test(test_initrd_no_room),
		cmocka_unit_test(test_hostile_header),
		cmocka_unit_test(test_header_jump_beyond_bound),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_cmdline_limits),
		cmocka_unit_test(test_bad_guest),
		cmocka_unit_test(test_adjacent_regions),
		cmocka_unit_test(test_callback_error),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_host_kernel),
	};

	return cmocka_run_group_tests_name("bzimage", tests, setup, teardown);
}
