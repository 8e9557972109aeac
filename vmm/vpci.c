/*
 * The guest's PCI bus (see vpci.h): configuration mechanism #1 (PCI Local
 * Bus 3.0 section 3.2.2.3.2), type 0 headers with write masks (6.1, 6.2),
 * memory BAR sizing and decoding (6.2.5) and the capabilities list (6.7).
 *
 * Every guest write goes through the function's write mask, so read-only
 * fields, BAR sizing (the low address bits are read-only, so writing all
 * ones reads back the size mask) and reserved bits need no special cases.
 * Only Command and the BARs have side effects here: they decide which BARs
 * the MMIO registry routes to the function.
 */
#include "kernel/errno.h"
#include "vmm/vpci.h"

#define CFG_DWORD_MASK	3u
#define BAR_LAST	(PCI_BAR0 + 4 * VPCI_NR_BARS)
#define BAR_ADDR_MASK	(~(uint64_t)PCI_BAR_FLAGS)

/* The i440FX host bridge: what Linux and firmware expect at 00.0. */
static const struct vpci_id host_bridge_id = {
	.vendor = 0x8086, .device = 0x1237,
	.class_code = 0x060000, .revision = 0x02,
};

static uint32_t size_mask(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static uint32_t img_get(const uint8_t *p, unsigned off, unsigned size)
{
	uint32_t v = 0;

	for (unsigned i = size; i > 0; i--)
		v = v << 8 | p[off + i - 1];
	return v;
}

static void img_put(uint8_t *p, unsigned off, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

/* 1, 2 or 4 bytes that stay inside one dword of the 256-byte space. */
static bool cfg_access_ok(unsigned off, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && off < VPCI_CFG_SIZE &&
	       (off & CFG_DWORD_MASK) + size <= 4;
}

static bool touches(unsigned off, unsigned size, unsigned start, unsigned end)
{
	return off < end && start < off + size;
}

/* ------------------------------------------------------------ building */

void vpci_func_init(struct vpci_func *f, const struct vpci_id *id)
{
	memset(f, 0, sizeof(*f));
	img_put(f->cfg, PCI_VENDOR_ID, 2, id->vendor);
	img_put(f->cfg, PCI_DEVICE_ID, 2, id->device);
	img_put(f->cfg, PCI_REVISION_ID, 4, id->class_code << 8 | id->revision);
	img_put(f->cfg, PCI_SUBSYSTEM_VENDOR_ID, 2, id->subsys_vendor);
	img_put(f->cfg, PCI_SUBSYSTEM_ID, 2, id->subsys_id);
	f->cfg[PCI_INTERRUPT_PIN] = id->irq_pin;
	img_put(f->wmask, PCI_COMMAND, 2,
		PCI_COMMAND_MEM | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	f->wmask[PCI_INTERRUPT_LINE] = 0xff;
	f->next_cap = PCI_CAP_START;
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

int vpci_func_set_bar(struct vpci_func *f, unsigned idx, uint64_t size, unsigned flags,
		      const struct io_ops *ops, void *ctx)
{
	bool is64 = flags & VPCI_BAR_64;
	unsigned slots = is64 ? 2 : 1;
	uint64_t addr_mask = ~(size - 1);
	uint32_t lo = (flags & VPCI_BAR_PREFETCHABLE) ? PCI_BAR_PREFETCH : 0;

	if (idx + slots > VPCI_NR_BARS || !ops || !is_pow2(size) ||
	    size < VPCI_BAR_MIN_SIZE || (!is64 && size > 2 * GiB) ||
	    (flags & ~(VPCI_BAR_64 | VPCI_BAR_PREFETCHABLE)))
		return -E_INVAL;
	for (unsigned i = idx; i < idx + slots; i++)
		if (f->bar[i].size || (i > 0 && f->bar[i - 1].is64))
			return -E_EXIST;
	if (is64)
		lo |= PCI_BAR_MEM_64;
	f->bar[idx] = (struct vpci_bar){ .size = size, .is64 = is64, .ops = ops, .ctx = ctx };
	vpci_func_set(f, PCI_BAR0 + 4 * idx, 4, lo, (uint32_t)(addr_mask & BAR_ADDR_MASK));
	if (is64)
		vpci_func_set(f, PCI_BAR0 + 4 * (idx + 1), 4, 0, (uint32_t)(addr_mask >> 32));
	return 0;
}

int vpci_func_add_cap(struct vpci_func *f, uint8_t id, unsigned len)
{
	unsigned off = ALIGN_UP((unsigned)f->next_cap, 4u);

	if (len < 2 || len > VPCI_CFG_SIZE || off + len > VPCI_CFG_SIZE)
		return -E_NOMEM;
	f->cfg[off] = id;
	f->cfg[off + 1] = 0;
	if (f->last_cap)
		f->cfg[f->last_cap + 1] = (uint8_t)off;
	else
		f->cfg[PCI_CAP_PTR] = (uint8_t)off;
	f->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	f->last_cap = (uint8_t)off;
	f->next_cap = (uint16_t)(off + len);
	return (int)off;
}

void vpci_func_set(struct vpci_func *f, unsigned off, unsigned size, uint32_t val,
		   uint32_t wmask)
{
	if (!cfg_access_ok(off, size))
		return;
	img_put(f->cfg, off, size, val);
	img_put(f->wmask, off, size, wmask);
}

/* ------------------------------------------------------------ BAR decode */

static uint64_t bar_addr(const struct vpci_func *f, unsigned idx)
{
	uint64_t addr = img_get(f->cfg, PCI_BAR0 + 4 * idx, 4) & BAR_ADDR_MASK;

	if (f->bar[idx].is64)
		addr |= (uint64_t)img_get(f->cfg, PCI_BAR0 + 4 * (idx + 1), 4) << 32;
	return addr;
}

/* Bring BAR 'idx's claim in the MMIO registry in line with Command.MEM and
 * the BAR's address. Only a change is acted on, so a refused address is
 * counted once per programming. Called with the bus lock held. */
static void bar_sync_one(struct vpci *bus, struct vpci_func *f, unsigned idx, bool mem)
{
	struct vpci_bar *b = &f->bar[idx];
	uint64_t base = bar_addr(f, idx);

	if (b->want == mem && (!mem || b->want_base == base))
		return;
	if (b->mapped) {
		io_unregister(bus->mmio, b->want_base);
		b->mapped = false;
	}
	b->want = mem;
	b->want_base = base;
	if (!mem)
		return;
	/* io_register refuses wrapping ranges and overlaps. */
	if (base == 0 || io_register(bus->mmio, base, b->size, b->ops, b->ctx, f->name))
		bus->unmapped_bars++;
	else
		b->mapped = true;
}

static void bar_sync(struct vpci *bus, struct vpci_func *f)
{
	bool mem = img_get(f->cfg, PCI_COMMAND, 2) & PCI_COMMAND_MEM;

	for (unsigned i = 0; i < VPCI_NR_BARS; i++)
		if (f->bar[i].size)
			bar_sync_one(bus, f, i, mem);
}

static bool bars_all_mapped(const struct vpci_func *f)
{
	for (unsigned i = 0; i < VPCI_NR_BARS; i++)
		if (f->bar[i].size && !f->bar[i].mapped)
			return false;
	return true;
}

/* ------------------------------------------------------------ the bus */

void vpci_init(struct vpci *bus, struct iospace *mmio)
{
	memset(bus, 0, sizeof(*bus));
	bus->mmio = mmio;
	bus->next_mmio = VPCI_MMIO_BASE;
	vpci_func_init(&bus->host, &host_bridge_id);
	bus->host.name = "pci-host";
	bus->host.bus = bus;
	bus->dev[0] = &bus->host;
}

void vpci_set_cf9(struct vpci *bus, const struct io_ops *ops, void *ctx)
{
	spin_lock(&bus->lock);
	bus->cf9_ops = ops;
	bus->cf9_ctx = ctx;
	spin_unlock(&bus->lock);
}

/* Give each BAR a size-aligned address from the window, like firmware.
 * Returns the new cursor, or 0 when the window is full. */
static uint64_t assign_bars(struct vpci_func *f, uint64_t cur)
{
	const uint64_t end = VPCI_MMIO_BASE + VPCI_MMIO_SIZE;
	uint64_t base[VPCI_NR_BARS] = { 0 };

	for (unsigned i = 0; i < VPCI_NR_BARS; i++) {
		uint64_t size = f->bar[i].size;

		if (!size)
			continue;
		if (size > end)
			return 0;
		base[i] = ALIGN_UP(cur, size);
		if (base[i] > end - size)
			return 0;
		cur = base[i] + size;
	}
	for (unsigned i = 0; i < VPCI_NR_BARS; i++) {
		if (!f->bar[i].size)
			continue;
		/* Sizes are at least 4 KiB, so the flag bits stay clear. */
		img_put(f->cfg, PCI_BAR0 + 4 * i, 4,
			(f->cfg[PCI_BAR0 + 4 * i] & PCI_BAR_FLAGS) | (uint32_t)base[i]);
		if (f->bar[i].is64)
			img_put(f->cfg, PCI_BAR0 + 4 * (i + 1), 4, (uint32_t)(base[i] >> 32));
	}
	return cur;
}

static void bars_clear(struct vpci_func *f)
{
	for (unsigned i = 0; i < VPCI_NR_BARS; i++) {
		if (!f->bar[i].size)
			continue;
		img_put(f->cfg, PCI_BAR0 + 4 * i, 4, f->cfg[PCI_BAR0 + 4 * i] & PCI_BAR_FLAGS);
		if (f->bar[i].is64)
			img_put(f->cfg, PCI_BAR0 + 4 * (i + 1), 4, 0);
	}
}

static int add_locked(struct vpci *bus, struct vpci_func *f)
{
	unsigned slot = 1;
	uint64_t cur, refused = bus->unmapped_bars;
	uint16_t cmd = (uint16_t)img_get(f->cfg, PCI_COMMAND, 2);

	if (f->bus)
		return -E_EXIST;
	while (slot < VPCI_NR_DEVS && bus->dev[slot])
		slot++;
	if (slot == VPCI_NR_DEVS)
		return -E_NOMEM;
	cur = assign_bars(f, bus->next_mmio);
	if (!cur)
		return -E_NOMEM;
	img_put(f->cfg, PCI_COMMAND, 2, cmd | PCI_COMMAND_MEM);
	bar_sync(bus, f);
	if (!bars_all_mapped(f)) {
		img_put(f->cfg, PCI_COMMAND, 2, cmd);
		bar_sync(bus, f);
		bars_clear(f);
		bus->unmapped_bars = refused;
		return -E_EXIST;
	}
	f->bus = bus;
	f->dev = (uint8_t)slot;
	bus->dev[slot] = f;
	bus->next_mmio = cur;
	return 0;
}

int vpci_add(struct vpci *bus, struct vpci_func *f)
{
	int ret;

	spin_lock(&bus->lock);
	ret = add_locked(bus, f);
	spin_unlock(&bus->lock);
	return ret;
}

uint32_t vpci_func_read(struct vpci_func *f, unsigned off, unsigned size)
{
	uint32_t v;

	if (!cfg_access_ok(off, size))
		return 0;
	if (f->bus)
		spin_lock(&f->bus->lock);
	v = img_get(f->cfg, off, size);
	if (f->bus)
		spin_unlock(&f->bus->lock);
	return v;
}

void vpci_func_poke(struct vpci_func *f, unsigned off, unsigned size, uint32_t val)
{
	if (!cfg_access_ok(off, size))
		return;
	if (f->bus)
		spin_lock(&f->bus->lock);
	img_put(f->cfg, off, size, val);
	if (f->bus)
		spin_unlock(&f->bus->lock);
}

/* ------------------------------------------------------------ 0xCF8 */

/* Dword accesses are CONFIG_ADDRESS; a byte at 0xCF9 is the reset control
 * register of whoever the integrator named. */
static const struct io_ops *cf9_target(struct vpci *bus, uint64_t offset, unsigned size,
				       void **ctx)
{
	const struct io_ops *ops = NULL;

	if (offset != 1 || size != 1)
		return NULL;
	spin_lock(&bus->lock);
	ops = bus->cf9_ops;
	*ctx = bus->cf9_ctx;
	spin_unlock(&bus->lock);
	return ops;
}

static int cf8_read(void *ctx, uint64_t offset, unsigned size, uint64_t *val)
{
	struct vpci *bus = ctx;
	const struct io_ops *ops;
	void *cf9_ctx;

	*val = io_all_ones(size);
	if (offset == 0 && size == 4) {
		spin_lock(&bus->lock);
		*val = bus->addr;
		spin_unlock(&bus->lock);
		return 0;
	}
	ops = cf9_target(bus, offset, size, &cf9_ctx);
	if (ops && ops->read)
		return ops->read(cf9_ctx, 0, 1, val);
	return 0;
}

static int cf8_write(void *ctx, uint64_t offset, unsigned size, uint64_t val)
{
	struct vpci *bus = ctx;
	const struct io_ops *ops;
	void *cf9_ctx;

	if (offset == 0 && size == 4) {
		spin_lock(&bus->lock);
		bus->addr = (uint32_t)val & VPCI_ADDR_WRITABLE;
		spin_unlock(&bus->lock);
		return 0;
	}
	ops = cf9_target(bus, offset, size, &cf9_ctx);
	if (ops && ops->write)
		return ops->write(cf9_ctx, 0, 1, val & 0xff);
	return 0;
}

const struct io_ops vpci_cf8_ops = { cf8_read, cf8_write };

/* ------------------------------------------------------------ 0xCFC */

/* The function CONFIG_ADDRESS selects and the register for a data access
 * at 'offset', or NULL (the access then meets an empty bus). Called with
 * the bus lock held. */
static struct vpci_func *cfc_target(struct vpci *bus, uint64_t offset, unsigned size,
				    unsigned *reg)
{
	uint32_t a = bus->addr;
	struct vpci_func *f;

	if (offset >= 4 || !cfg_access_ok((unsigned)offset, size) ||
	    !(a & VPCI_ADDR_ENABLE) || VPCI_ADDR_BUS(a) || VPCI_ADDR_FN(a)) {
		bus->dropped++;
		return NULL;
	}
	f = bus->dev[VPCI_ADDR_DEV(a)];
	if (!f)
		bus->dropped++;
	*reg = VPCI_ADDR_REG(a) + (unsigned)offset;
	return f;
}

static int cfc_read(void *ctx, uint64_t offset, unsigned size, uint64_t *val)
{
	struct vpci *bus = ctx;
	struct vpci_func *f;
	unsigned reg = 0;
	uint32_t v = 0;

	*val = io_all_ones(size);
	spin_lock(&bus->lock);
	f = cfc_target(bus, offset, size, &reg);
	if (f)
		v = img_get(f->cfg, reg, size);
	spin_unlock(&bus->lock);
	if (!f)
		return 0;
	if (f->cfg_read)
		f->cfg_read(f->hook_ctx, reg, size, &v);
	*val = v & size_mask(size);
	return 0;
}

/* Apply a guest write through the write mask; Command and BAR changes
 * move the function's MMIO decode. Called with the bus lock held. */
static void cfg_write_locked(struct vpci *bus, struct vpci_func *f, unsigned reg,
			     unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size; i++) {
		uint8_t m = f->wmask[reg + i];

		f->cfg[reg + i] = (uint8_t)((f->cfg[reg + i] & ~m) | ((v >> (8 * i)) & m));
	}
	if (touches(reg, size, PCI_COMMAND, PCI_COMMAND + 2) ||
	    touches(reg, size, PCI_BAR0, BAR_LAST))
		bar_sync(bus, f);
}

static int cfc_write(void *ctx, uint64_t offset, unsigned size, uint64_t val)
{
	struct vpci *bus = ctx;
	struct vpci_func *f;
	unsigned reg = 0;
	uint32_t v = (uint32_t)val & size_mask(size);

	spin_lock(&bus->lock);
	f = cfc_target(bus, offset, size, &reg);
	if (f)
		cfg_write_locked(bus, f, reg, size, v);
	spin_unlock(&bus->lock);
	if (f && f->cfg_write)
		f->cfg_write(f->hook_ctx, reg, size, v);
	return 0;
}

const struct io_ops vpci_cfc_ops = { cfc_read, cfc_write };
