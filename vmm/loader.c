/*
 * The guest memory map checks both kernel loaders use (see loader.h).
 */
#include "kernel/errno.h"
#include "vmm/loader.h"

int ld_check_regions(const struct mb_guest *g, char *why, size_t whylen)
{
	uint64_t prev_end = 0;
	const char *bad = NULL;
	unsigned i;

	if (!g || !g->regions || !g->nr_regions || !g->write || !g->zero) {
		if (why && whylen)
			ksnprintf(why, whylen, "no guest memory map or write callbacks");
		return -E_INVAL;
	}
	for (i = 0; i < g->nr_regions && !bad; i++) {
		const struct guest_region *r = &g->regions[i];

		if (r->size == 0 || r->size > UINT64_MAX - r->base)
			bad = "is empty or wraps";
		else if (r->base < prev_end)
			bad = "is out of order";
		else
			prev_end = r->base + r->size;
	}
	if (!bad)
		return 0;
	if (why && whylen)
		ksnprintf(why, whylen, "guest memory map entry %u %s", i - 1, bad);
	return -E_INVAL;
}

uint64_t ld_usable_end(const struct mb_guest *g, uint64_t addr)
{
	uint64_t end = addr;

	for (unsigned i = 0; i < g->nr_regions; i++) {
		const struct guest_region *r = &g->regions[i];

		if (r->type == MB_MEM_USABLE && r->base <= end && end < r->base + r->size)
			end = r->base + r->size;
	}
	return end;
}

bool ld_in_usable_ram(const struct mb_guest *g, uint64_t base, uint64_t len)
{
	return len <= ld_usable_end(g, base) - base;
}
