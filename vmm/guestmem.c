/*
 * Guest RAM allocation and access (see guestmem.h). Host memory is
 * identity-mapped, so a block's host-physical address is also its pointer.
 */
#include "kernel/errno.h"
#include "kernel/log.h"
#include "kernel/mm.h"
#include "vmm/ept.h"
#include "vmm/guestmem.h"

#define BLOCK_ORDER_MAX	9	/* 2 MiB */

static int add_block(struct guest_mem *m, uint64_t gpa, uint64_t hpa, uint64_t size)
{
	if (m->nr == m->cap) {
		unsigned cap = m->cap ? m->cap * 2 : 64;
		struct gmem_block *b = kmalloc(cap * sizeof(*b));

		if (!b)
			return -E_NOMEM;
		if (m->blocks)
			memcpy(b, m->blocks, m->nr * sizeof(*b));
		kfree(m->blocks);
		m->blocks = b;
		m->cap = cap;
	}
	m->blocks[m->nr++] = (struct gmem_block){ gpa, hpa, size };
	return 0;
}

/* Fill [gpa, gpa + bytes) with the largest blocks the allocator gives. */
static int alloc_range(struct guest_mem *m, uint64_t gpa, uint64_t bytes, struct ept *ept)
{
	while (bytes) {
		unsigned order = BLOCK_ORDER_MAX;
		uint64_t hpa = 0, size;
		int err;

		while ((PAGE_SIZE << order) > bytes || (gpa & ((PAGE_SIZE << order) - 1)))
			order--;
		while (!(hpa = page_alloc(order)) && order > 0)
			order--;
		if (!hpa)
			return -E_NOMEM;
		size = PAGE_SIZE << order;
		err = add_block(m, gpa, hpa, size);
		if (err) {
			page_free(hpa, order);
			return err;
		}
		err = ept_map(ept, gpa, hpa, size, EPT_RWX);
		if (err)
			return err;	/* the block is listed: gmem_free() frees it */
		gpa += size;
		bytes -= size;
	}
	return 0;
}

int gmem_alloc(struct guest_mem *m, uint64_t bytes, struct ept *ept)
{
	int err;

	memset(m, 0, sizeof(*m));
	bytes = ALIGN_UP(bytes, PAGE_SIZE);
	m->size = bytes;
	m->low_top = MIN(bytes, GMEM_LOW_LIMIT);
	err = alloc_range(m, 0, m->low_top, ept);
	if (!err && bytes > m->low_top)
		err = alloc_range(m, GMEM_HIGH_BASE, bytes - m->low_top, ept);
	if (err)
		gmem_free(m);
	return err;
}

void gmem_free(struct guest_mem *m)
{
	for (unsigned i = 0; i < m->nr; i++)
		page_free(m->blocks[i].hpa, page_order_for(m->blocks[i].size));
	kfree(m->blocks);
	memset(m, 0, sizeof(*m));
}

static const struct gmem_block *find(const struct guest_mem *m, uint64_t gpa)
{
	unsigned lo = 0, hi = m->nr;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		const struct gmem_block *b = &m->blocks[mid];

		if (gpa < b->gpa)
			hi = mid;
		else if (gpa - b->gpa >= b->size)
			lo = mid + 1;
		else
			return b;
	}
	return NULL;
}

bool gmem_is_ram(const struct guest_mem *m, uint64_t gpa)
{
	return find(m, gpa) != NULL;
}

void *gmem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	const struct gmem_block *b = find(m, gpa);

	if (!b || len > b->size - (gpa - b->gpa))
		return NULL;
	return (void *)(b->hpa + (gpa - b->gpa));
}

/* Walk [gpa, gpa + len) block by block; fn copies one piece. */
static int each_piece(const struct guest_mem *m, uint64_t gpa, size_t len,
		      void (*fn)(void *host, size_t done, size_t n, void *arg), void *arg)
{
	size_t done = 0;

	while (done < len) {
		const struct gmem_block *b = find(m, gpa + done);
		size_t n;

		if (!b)
			return -E_FAULT;
		n = (size_t)MIN((uint64_t)(len - done), b->size - (gpa + done - b->gpa));
		fn((void *)(b->hpa + (gpa + done - b->gpa)), done, n, arg);
		done += n;
	}
	return 0;
}

static void copy_out(void *host, size_t done, size_t n, void *arg)
{
	memcpy((uint8_t *)arg + done, host, n);
}

static void copy_in(void *host, size_t done, size_t n, void *arg)
{
	memcpy(host, (const uint8_t *)arg + done, n);
}

static void zero_piece(void *host, size_t done, size_t n, void *arg)
{
	(void)done;
	(void)arg;
	memset(host, 0, n);
}

int gmem_read(const struct guest_mem *m, uint64_t gpa, void *buf, size_t len)
{
	return each_piece(m, gpa, len, copy_out, buf);
}

int gmem_write(const struct guest_mem *m, uint64_t gpa, const void *buf, size_t len)
{
	return each_piece(m, gpa, len, copy_in, (void *)buf);
}

int gmem_zero(const struct guest_mem *m, uint64_t gpa, size_t len)
{
	return each_piece(m, gpa, len, zero_piece, NULL);
}
