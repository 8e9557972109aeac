/*
 * Device address-space registry (see iospace.h). The table is small and
 * sorted, so a lookup is a binary search.
 */
#include "kernel/errno.h"
#include "vmm/iospace.h"

uint64_t io_all_ones(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static bool overlaps(const struct io_range *r, uint64_t base, uint64_t len)
{
	return base < r->base + r->len && r->base < base + len;
}

static int do_register(struct iospace *s, uint64_t base, uint64_t len, const struct io_ops *ops,
		       void *ctx, const char *name)
{
	unsigned i;

	if (s->nr >= IOSPACE_MAX_RANGES)
		return -E_NOMEM;
	for (i = 0; i < s->nr; i++)
		if (overlaps(&s->ranges[i], base, len))
			return -E_EXIST;
	for (i = s->nr; i > 0 && s->ranges[i - 1].base > base; i--)
		s->ranges[i] = s->ranges[i - 1];
	s->ranges[i] = (struct io_range){ base, len, ops, ctx, name };
	s->nr++;
	return 0;
}

int io_register(struct iospace *s, uint64_t base, uint64_t len, const struct io_ops *ops,
		void *ctx, const char *name)
{
	int err;

	if (!len || base + len < base || !ops)
		return -E_INVAL;
	spin_lock(&s->lock);
	err = do_register(s, base, len, ops, ctx, name);
	spin_unlock(&s->lock);
	return err;
}

int io_unregister(struct iospace *s, uint64_t base)
{
	unsigned i = 0;
	int err = 0;

	spin_lock(&s->lock);
	while (i < s->nr && s->ranges[i].base != base)
		i++;
	if (i == s->nr)
		err = -E_NOENT;
	else
		for (s->nr--; i < s->nr; i++)
			s->ranges[i] = s->ranges[i + 1];
	spin_unlock(&s->lock);
	return err;
}

const struct io_range *io_find(const struct iospace *s, uint64_t addr, unsigned size)
{
	unsigned lo = 0, hi = s->nr;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		const struct io_range *r = &s->ranges[mid];

		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->len)
			lo = mid + 1;
		else
			return size <= r->len - (addr - r->base) ? r : NULL;
	}
	return NULL;
}

/*
 * The table may change under a running guest (a PCI BAR moves while
 * another vCPU does I/O): the range is copied under the lock and the
 * device called after it is released, so a device may itself register or
 * unregister ranges.
 */
int io_access(struct iospace *s, uint64_t addr, unsigned size, bool write, uint64_t *val)
{
	const struct io_range *found;
	struct io_range r;

	spin_lock(&s->lock);
	found = io_find(s, addr, size);
	if (found)
		r = *found;
	else if (write)
		s->unclaimed_writes++;
	else
		s->unclaimed_reads++;
	spin_unlock(&s->lock);
	if (!found) {
		if (!write)
			*val = io_all_ones(size);
		return 1;
	}
	if (write)
		return r.ops->write ? r.ops->write(r.ctx, addr - r.base, size, *val) : 0;
	if (!r.ops->read) {
		*val = io_all_ones(size);
		return 0;
	}
	return r.ops->read(r.ctx, addr - r.base, size, val);
}
