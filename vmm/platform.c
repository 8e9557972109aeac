/*
 * The virtual PC of a domain: which device sits at which port or address,
 * how their interrupt lines reach the vCPUs, when their timers are polled,
 * and what a power event does. The devices themselves are pure models
 * (vmm/vpic.c, vpit.c, vioapic.c, vrtc.c, vpm.c, vlapic.c, vpci.c,
 * virtio_pci.c, virtio_blk.c, virtio_rng.c) with their own unit tests;
 * this file is only the wiring, and the ACPI tables that describe it.
 *
 * Interrupt lines (the MADT says the same, vmm/acpigen.c):
 *   ISA IRQ n -> 8259 input n and I/O APIC pin n, except IRQ 0 (the PIT),
 *   which is I/O APIC pin 2; IRQ 9 is the ACPI SCI (level); PCI INTA of
 *   every virtio function -> IRQ 11 (level), though drivers use MSI-X.
 *   The 8259 reaches vCPU 0 through LINT0 (virtual wire).
 */
#include "arch/cpu.h"
#include "kernel/bootinfo.h"
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/log.h"
#include "kernel/mm.h"
#include "kernel/percpu.h"
#include "kernel/time.h"
#include "vmm/acpigen.h"
#include "vmm/vmm.h"

#define IRQ_PCI			11
#define PCI_CONFIG_ADDRESS	0xcf8	/* configuration mechanism #1 */
#define PCI_CONFIG_DATA		0xcfc
#define IOAPIC_PIN_PIT		2
#define APIC_CRYSTAL_MAX_HZ	100000000ULL	/* keep the APIC clock at most 100 MHz */
#define ACPI_BUF_SIZE		8192
#define CPUID1_ECX_RDRAND	(1u << 30)

#define plat_of(d)		(&(d)->plat)

/* ---- clocks */

uint64_t plat_apic_hz(void)
{
	uint64_t ratio = tsc_hz / APIC_CRYSTAL_MAX_HZ + 1;

	return tsc_hz / ratio;
}

static uint32_t apic_ratio(void)
{
	return (uint32_t)(tsc_hz / plat_apic_hz());
}

/* The device models' clock: the guest's TSC, which stands still while
 * the domain is suspended. */
static uint64_t clock_now(void *ctx)
{
	return guest_tsc(ctx, rdtsc());
}

/* ---- interrupt lines */

static void isa_irq(struct domain *d, unsigned irq, bool level)
{
	vpic_set_irq(&d->plat.pic, irq, level);
	vioapic_set_irq(&d->plat.ioapic, irq == IRQ_PIT ? IOAPIC_PIN_PIT : irq, level);
}

static void pit_irq(void *ctx, bool level)
{
	isa_irq(ctx, IRQ_PIT, level);
}

static void rtc_irq(void *ctx, bool level)
{
	isa_irq(ctx, IRQ_RTC, level);
}

static void sci_irq(void *ctx, bool level)
{
	isa_irq(ctx, IRQ_SCI, level);
}

/* The 8259's INTR goes to vCPU 0; vintr_prepare() takes the vector. */
static void pic_output(void *ctx, bool level)
{
	struct domain *d = ctx;

	if (level && d->nr_vcpus)
		vintr_kick(d->vcpus[0]);
}

static void ioapic_deliver(void *ctx, const struct ioapic_msg *m)
{
	struct vintr_msg msg = {
		.vector = m->vector, .mode = m->delivery_mode, .logical = m->logical,
		.level_trigger = m->level_trigger, .dest = m->dest,
	};

	vintr_deliver(ctx, &msg);
}

static void lapic_ipi(void *ctx, const struct vlapic_ipi *ipi)
{
	vintr_ipi(ctx, ipi);
}

static void lapic_eoi(void *ctx, uint8_t vector)
{
	struct vcpu *v = ctx;

	vioapic_eoi(&v->dom->plat.ioapic, vector);
}

static void lapic_notify(void *ctx)
{
	vintr_kick(ctx);
}

static const struct vlapic_ops lapic_ops = { lapic_ipi, lapic_eoi, lapic_notify };

static void virtio_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct plat_fn *fn = ctx;

	vintr_msi(fn->d, addr, data);
}

/* INTA of every virtio function shares IRQ 11: the line is their OR. */
static void virtio_intx(void *ctx, bool level)
{
	struct plat_fn *fn = ctx;
	struct platform *p = plat_of(fn->d);
	uint32_t was, now;

	spin_lock(&p->line_lock);
	was = p->intx_mask;
	now = level ? was | 1u << fn->idx : was & ~(1u << fn->idx);
	p->intx_mask = now;
	if (!was != !now)
		isa_irq(fn->d, IRQ_PCI, now != 0);
	spin_unlock(&p->line_lock);
}

void plat_uart_update(struct domain *d)
{
	struct platform *p = plat_of(d);
	bool level;

	spin_lock(&p->line_lock);
	level = vuart_irq_pending(&d->uart);
	if (level != p->uart_line) {
		p->uart_line = level;
		isa_irq(d, IRQ_UART, level);
	}
	spin_unlock(&p->line_lock);
}

/* ---- device wrappers: what the pure models cannot know */

/* The UART's interrupt output follows every access. */
static int uart_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	struct domain *d = ctx;
	int err = vuart_ops.read(&d->uart, off, size, val);

	plat_uart_update(d);
	return err;
}

static int uart_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	struct domain *d = ctx;
	int err = vuart_ops.write(&d->uart, off, size, val);

	plat_uart_update(d);
	return err;
}

static const struct io_ops uart_ops = { uart_read, uart_write };

/* A write may re-arm a timer: the next poll must look again. */
static int timed_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	struct timed_dev *t = ctx;

	return t->ops->read ? t->ops->read(t->ctx, off, size, val) : 0;
}

static int timed_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	struct timed_dev *t = ctx;
	int err = t->ops->write ? t->ops->write(t->ctx, off, size, val) : 0;

	__atomic_store_n(&t->plat->dev_deadline, 0, __ATOMIC_RELEASE);
	return err;
}

static const struct io_ops timed_ops = { timed_read, timed_write };

/* The local APIC page: one address, a different APIC for each vCPU. */
static int lapic_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	struct vcpu *v = this_cpu()->vcpu;

	(void)ctx;
	*val = 0;
	return v ? vlapic_mmio_read(&v->lapic, (uint32_t)off, size, val, guest_tsc(v->dom, rdtsc())) : 0;
}

static int lapic_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	struct vcpu *v = this_cpu()->vcpu;

	(void)ctx;
	return v ? vlapic_mmio_write(&v->lapic, (uint32_t)off, size, val, guest_tsc(v->dom, rdtsc())) : 0;
}

static const struct io_ops lapic_mmio_ops = { lapic_read, lapic_write };

/* ---- power */

static void power_event(void *ctx, enum vpm_event ev)
{
	struct domain *d = ctx;

	if (ev == VPM_POWEROFF)
		domain_stop(d, STOP_POWEROFF, -1, "the guest powered off (ACPI S5)");
	else
		domain_stop(d, STOP_RESET, -1, "the guest reset the machine");
}

void plat_power_button(struct domain *d)
{
	vpm_power_button(&d->plat.pm);
}

/* ---- guest memory for devices */

static int mem_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	return gmem_read(ctx, gpa, dst, len) ? -E_FAULT : 0;
}

static int mem_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	return gmem_write(ctx, gpa, src, len) ? -E_FAULT : 0;
}

/* The virtio-blk overlay: zeroed chunks from the page allocator. */
static void *store_alloc(void *ctx, size_t bytes)
{
	uint64_t pa = page_alloc(page_order_for(bytes));

	(void)ctx;
	if (pa)
		memset((void *)pa, 0, bytes);
	return (void *)pa;
}

static void store_free(void *ctx, void *ptr, size_t bytes)
{
	(void)ctx;
	if (ptr)
		page_free((uint64_t)ptr, page_order_for(bytes));
}

static const struct vblk_store blk_store = { NULL, store_alloc, store_free };

/* Entropy for virtio-rng: RDRAND where the CPU has it; otherwise a
 * SplitMix64 stream stirred with the TSC (not cryptographic: said in the
 * README). */
static bool rdrand64(uint64_t *out)
{
	unsigned char ok;

	__asm__ volatile("rdrand %0; setc %1" : "=r"(*out), "=qm"(ok) : : "cc");
	return ok;
}

static void entropy_fill(void *ctx, void *buf, size_t len)
{
	static uint64_t state;
	static int has_rdrand = -1;
	uint8_t *out = buf;

	(void)ctx;
	if (has_rdrand < 0)
		has_rdrand = (cpuid(1, 0).ecx & CPUID1_ECX_RDRAND) != 0;
	while (len) {
		uint64_t x = 0, z;
		size_t n = MIN(len, sizeof(x));
		bool got = false;

		for (int tries = 0; has_rdrand && tries < 10 && !got; tries++)
			got = rdrand64(&x);
		if (!got) {
			z = __atomic_add_fetch(&state, 0x9e3779b97f4a7c15ULL ^ rdtsc(), __ATOMIC_RELAXED);
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
			x = z ^ (z >> 31);
		}
		memcpy(out, &x, n);
		out += n;
		len -= n;
	}
}

/* ---- set-up */

static int add_ports(struct domain *d, uint64_t base, uint64_t len, const struct io_ops *ops,
		     void *ctx, const char *name)
{
	return io_register(&d->pio, base, len, ops, ctx, name);
}

static int add_timed(struct domain *d, unsigned slot, uint64_t base, uint64_t len,
		     const struct io_ops *ops, void *ctx, const char *name)
{
	struct platform *p = plat_of(d);

	p->timed[slot] = (struct timed_dev){ ops, ctx, p };
	return add_ports(d, base, len, &timed_ops, &p->timed[slot], name);
}

static int legacy_devices(struct domain *d)
{
	struct platform *p = plat_of(d);
	uint64_t now = guest_tsc(d, rdtsc());
	int err;

	vpic_init(&p->pic, pic_output, d);
	vioapic_init(&p->ioapic, (uint8_t)d->nr_vcpus, ioapic_deliver, d);
	vpit_init(&p->pit, tsc_hz, pit_irq, clock_now, d, now);
	vrtc_init(&p->rtc, wall_clock_now(), now, tsc_hz, clock_now, rtc_irq, d);
	vpm_init(&p->pm, PLAT_PM_BASE, PLAT_S5_SLP_TYP, tsc_hz, clock_now, sci_irq, power_event, d);
	vpci_init(&p->pci, &d->mmio);
	vpci_set_cf9(&p->pci, &vpm_reset_ops, &p->pm);

	err = add_ports(d, VUART_PORT, VUART_PORTS, &uart_ops, d, "uart");
	err = err ?: add_ports(d, VPIC_MASTER_PORT, VPIC_PORTS, &vpic_master_ops, &p->pic, "pic1");
	err = err ?: add_ports(d, VPIC_SLAVE_PORT, VPIC_PORTS, &vpic_slave_ops, &p->pic, "pic2");
	err = err ?: add_ports(d, VPIC_ELCR_PORT, VPIC_PORTS, &vpic_elcr_ops, &p->pic, "elcr");
	err = err ?: add_timed(d, 0, VPIT_PORT, VPIT_PORTS, &vpit_ops, &p->pit, "pit");
	err = err ?: add_timed(d, 1, VPIT_PORT61, 1, &vpit_port61_ops, &p->pit, "port61");
	err = err ?: add_timed(d, 2, VRTC_PORT, VRTC_PORTS, &vrtc_ops, &p->rtc, "rtc");
	err = err ?: add_timed(d, 3, PLAT_PM_BASE, ACPIGEN_PM_BLOCK_LEN, &vpm_ops, &p->pm, "acpi-pm");
	err = err ?: add_ports(d, VPM_I8042_DATA, 1, &vpm_i8042_data_ops, &p->pm, "i8042");
	err = err ?: add_ports(d, VPM_I8042_CMD, 1, &vpm_i8042_cmd_ops, &p->pm, "i8042");
	err = err ?: add_ports(d, PCI_CONFIG_ADDRESS, 4, &vpci_cf8_ops, &p->pci, "pci-cf8");
	err = err ?: add_ports(d, PCI_CONFIG_DATA, 4, &vpci_cfc_ops, &p->pci, "pci-cfc");
	err = err ?: io_register(&d->mmio, PLAT_IOAPIC_BASE, VIOAPIC_MMIO_LEN, &vioapic_ops,
				 &p->ioapic, "ioapic");
	err = err ?: io_register(&d->mmio, PLAT_LAPIC_BASE, VLAPIC_SIZE, &lapic_mmio_ops, d,
				 "lapic");
	return err;
}

static int virtio_devices(struct domain *d, char *why, size_t whylen)
{
	struct platform *p = plat_of(d);
	int err;

	p->mem = (struct guest_access){ &d->mem, mem_read, mem_write };
	for (unsigned i = 0; i < d->cfg.nr_disks; i++) {
		const struct dom_disk *disk = &d->cfg.disks[i];
		const struct boot_file *f = bootinfo_file(boot_info, disk->file);
		struct virtio_pci *vp = &p->vpci[p->nr_vpci];
		struct plat_fn *fn = &p->fn[p->nr_vpci];

		*fn = (struct plat_fn){ d, p->nr_vpci };
		if (!f) {
			ksnprintf(why, whylen, "disk image '%s' is not on the boot partition",
				  disk->file);
			return -E_NOENT;
		}
		err = vpci_virtio_init(vp, &p->pci, &vblk_ops, &p->blk[i], virtio_msi, virtio_intx, fn);
		err = err ?: vblk_init(&p->blk[i], &p->mem, virtio_pci_transport(vp),
				       (const uint8_t *)f->addr, f->size, disk->readonly, &blk_store);
		if (err) {
			ksnprintf(why, whylen, "cannot attach disk '%s': %s", disk->file, err_str(err));
			return err;
		}
		if (disk->serial[0])
			vblk_set_serial(&p->blk[i], disk->serial);
		p->nr_vpci++;
		p->nr_blk++;
	}
	if (d->cfg.has_rng) {
		struct virtio_pci *vp = &p->vpci[p->nr_vpci];
		struct plat_fn *fn = &p->fn[p->nr_vpci];

		*fn = (struct plat_fn){ d, p->nr_vpci };
		err = vpci_virtio_init(vp, &p->pci, &vrng_ops, &p->rng, virtio_msi, virtio_intx, fn);
		if (err) {
			ksnprintf(why, whylen, "cannot attach the entropy device: %s", err_str(err));
			return err;
		}
		vrng_init(&p->rng, &p->mem, virtio_pci_transport(vp), entropy_fill, NULL);
		p->nr_vpci++;
	}
	return 0;
}

/* The ACPI tables at PLAT_ACPI_BASE (inside the e820 reserved BIOS area). */
static int acpi_tables(struct domain *d)
{
	struct acpigen_config cfg = {
		.nr_cpus = d->nr_vcpus, .base_gpa = PLAT_ACPI_BASE, .pm_base = PLAT_PM_BASE,
		.ioapic_addr = (uint32_t)PLAT_IOAPIC_BASE, .i8042 = false, .vga = false,
		.s5_slp_typ = PLAT_S5_SLP_TYP, .pci_mmio_base = VPCI_MMIO_BASE,
		.pci_mmio_size = VPCI_MMIO_SIZE,
	};
	struct acpigen_layout layout;
	uint8_t *buf = kzalloc(ACPI_BUF_SIZE);
	int err;

	if (!buf)
		return -E_NOMEM;
	err = acpigen_build(&cfg, buf, ACPI_BUF_SIZE, &layout);
	if (!err)
		err = gmem_write(&d->mem, PLAT_ACPI_BASE, buf, layout.total_len);
	kfree(buf);
	if (!err)
		d->plat.rsdp = layout.rsdp_gpa;
	return err;
}

int platform_init(struct domain *d, char *why, size_t whylen)
{
	struct platform *p = plat_of(d);
	spinlock_t held;
	int err;

	/* An idle CPU may be polling this domain's last run (it sees
	 * ready == false and lets go): clear everything but the lock. */
	spin_lock(&p->poll_lock);
	held = p->poll_lock;
	memset(p, 0, sizeof(*p));
	p->poll_lock = held;
	spin_unlock(&p->poll_lock);
	for (uint32_t i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = d->vcpus[i];

		vlapic_init(&v->lapic, i, i == 0, apic_ratio(), &lapic_ops, v);
		if (i == 0)
			vlapic_set_virtual_wire(&v->lapic);
	}
	err = legacy_devices(d);
	if (err) {
		ksnprintf(why, whylen, "cannot set up the platform devices: %s", err_str(err));
		return err;
	}
	err = virtio_devices(d, why, whylen);
	if (err)
		return err;
	err = acpi_tables(d);
	if (err) {
		ksnprintf(why, whylen, "cannot build the ACPI tables: %s", err_str(err));
		return err;
	}
	__atomic_store_n(&p->ready, true, __ATOMIC_RELEASE);
	return 0;
}

void platform_destroy(struct domain *d)
{
	struct platform *p = plat_of(d);

	spin_lock(&p->poll_lock);
	p->ready = false;
	spin_unlock(&p->poll_lock);
	for (unsigned i = 0; i < p->nr_blk; i++)
		vblk_destroy(&p->blk[i]);
	p->nr_blk = 0;
}

/* ---- timers */

/* The domain's PIT, RTC and PM timer, by whichever CPU gets there first;
 * poll_lock held. */
static uint64_t devices_poll(struct platform *p, uint64_t now)
{
	uint64_t next = __atomic_load_n(&p->dev_deadline, __ATOMIC_ACQUIRE);

	if (now < next)
		return next;
	next = vpit_poll(&p->pit, now);
	next = MIN(next, vrtc_poll(&p->rtc, now));
	next = MIN(next, vpm_poll(&p->pm, now));
	__atomic_store_n(&p->dev_deadline, next, __ATOMIC_RELEASE);
	return next;
}

/* The models keep guest time (guest_tsc()); the callers host time. */
uint64_t plat_vcpu_poll(struct vcpu *v, uint64_t host_now)
{
	struct platform *p = plat_of(v->dom);
	uint64_t now = guest_tsc(v->dom, host_now);
	uint64_t next = vlapic_poll(&v->lapic, now);

	if (spin_trylock(&p->poll_lock)) {
		if (p->ready)
			next = MIN(next, devices_poll(p, now));
		spin_unlock(&p->poll_lock);
	} else {
		next = MIN(next, __atomic_load_n(&p->dev_deadline, __ATOMIC_ACQUIRE));
	}
	return host_tsc_of(v->dom, next);
}

/* A suspended domain's timers stand still: it is skipped. */
uint64_t plat_timers_poll(uint64_t host_now)
{
	uint64_t flags = spin_lock_irqsave(&domains_lock);
	uint64_t next = UINT64_MAX;

	for (unsigned i = 0; i < nr_domains; i++) {
		struct domain *d = domains[i];
		struct platform *p = plat_of(d);
		uint64_t now = guest_tsc(d, host_now), dn = UINT64_MAX;

		if (d->state != DOM_RUNNING || !spin_trylock(&p->poll_lock))
			continue;
		if (p->ready) {
			dn = devices_poll(p, now);
			for (uint32_t c = 0; c < d->nr_vcpus; c++)
				dn = MIN(dn, vlapic_poll(&d->vcpus[c]->lapic, now));
		}
		spin_unlock(&p->poll_lock);
		next = MIN(next, host_tsc_of(d, dn));
	}
	spin_unlock_irqrestore(&domains_lock, flags);
	return next;
}
