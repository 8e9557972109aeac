/*
 * Domain lifecycle: define, redefine, undefine, start, suspend, resume,
 * stop, tear down.
 *
 * Stopping is asynchronous because the vCPUs may be on other CPUs: any CPU
 * may call domain_stop() (the shell's destroy, a guest writing the
 * debug-exit port, a triple fault). It records the reason and parks the
 * vCPUs that are not on a CPU; each running vCPU notices the flag at its
 * next exit (the slice timer bounds that) and leaves; the last one to
 * leave frees the domain's memory, EPT and vCPUs. The output history of
 * the UART is kept so that `console` can show a stopped domain's last run.
 */
#include "arch/cpu.h"
#include "arch/lapic.h"
#include "arch/trap.h"
#include "kernel/bootinfo.h"
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/log.h"
#include "kernel/mm.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "vmm/exit.h"
#include "vmm/bzimage.h"
#include "vmm/multiboot.h"
#include "vmm/vmm.h"

#define DEBUG_EXIT_PORT		0xf4
#define DEBUG_EXIT_PORTS	4
#define MB_BOOT_MAGIC		0x2badb002u
#define LOW_RAM_END		0x9fc00ULL	/* conventional memory, as on a PC */
#define BIOS_AREA		0xe0000ULL	/* ACPI tables, as in a PC's BIOS area */
#define EXTENDED_RAM		0x100000ULL
#define DESTROY_WAIT_NS		5000000000ULL
#define SETTLE_WAIT_NS		60000000000ULL	/* a start zeroes all guest RAM */

struct domain *domains[MAX_DOMAINS];
unsigned nr_domains;
spinlock_t domains_lock = SPINLOCK_INIT;
static int next_id = 1;

struct domain *domain_find(const char *key)
{
	uint64_t id;
	bool numeric = !kstrtou64(key, &id);
	uint8_t uuid[UUID_LEN];
	bool is_uuid = !uuid_parse(key, uuid);

	for (unsigned i = 0; i < nr_domains; i++) {
		struct domain *d = domains[i];

		if (d->gone)
			continue;
		if (!strcmp(d->cfg.name, key) || (numeric && d->id >= 0 && (uint64_t)d->id == id) ||
		    (is_uuid && !memcmp(d->cfg.uuid, uuid, UUID_LEN)))
			return d;
	}
	return NULL;
}

/* Entropy for generated UUIDs: the TSC, stirred (xorshift64*). */
static uint64_t tsc_random(void *ctx)
{
	uint64_t *state = ctx;

	*state ^= rdtsc();
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

void domain_new_uuid(uint8_t uuid[UUID_LEN])
{
	static uint64_t seed = 0x9e3779b97f4a7c15ULL;

	uuid_generate_v4(uuid, tsc_random, &seed);
}

static void add_domain(struct domain *d)
{
	uint64_t flags = spin_lock_irqsave(&domains_lock);

	domains[nr_domains++] = d;
	spin_unlock_irqrestore(&domains_lock, flags);
}

static void remove_domain(struct domain *d)
{
	uint64_t flags = spin_lock_irqsave(&domains_lock);
	unsigned i = 0;

	while (i < nr_domains && domains[i] != d)
		i++;
	if (i < nr_domains) {
		memmove(&domains[i], &domains[i + 1], (nr_domains - i - 1) * sizeof(domains[0]));
		nr_domains--;
	}
	spin_unlock_irqrestore(&domains_lock, flags);
}

static struct domain *new_domain(const struct dom_config *cfg, const char *file, bool persistent)
{
	struct domain *d = kzalloc(sizeof(*d));

	if (!d)
		return NULL;
	d->cfg = *cfg;
	ksnprintf(d->file, sizeof(d->file), "%s", file);
	d->persistent = persistent;
	d->id = -1;
	d->exit_status = -1;
	d->state = DOM_SHUTOFF;
	vuart_init(&d->uart);
	return d;
}

/* A new definition for an existing domain of the same name and UUID: at
 * once when it is off, else kept for its next start. */
static int redefine(struct domain *d, const struct dom_config *cfg, char *why, size_t whylen)
{
	struct dom_config *next = NULL;
	uint64_t flags;
	int err = 0;

	if (d->state == DOM_RUNNING || d->state == DOM_PAUSED) {
		next = kmalloc(sizeof(*next));
		if (!next) {
			ksnprintf(why, whylen, "out of memory");
			return -E_NOMEM;
		}
		*next = *cfg;
	}
	flags = spin_lock_irqsave(&d->lock);
	if (d->starting || d->stopping) {
		err = -E_BUSY;
	} else if (next) {
		kfree(d->next_cfg);
		d->next_cfg = next;
		d->persistent = true;
		next = NULL;
	} else {
		d->cfg = *cfg;
		d->persistent = true;
	}
	spin_unlock_irqrestore(&d->lock, flags);
	kfree(next);
	if (err)
		ksnprintf(why, whylen, "domain '%s' is starting or stopping; try again", cfg->name);
	return err;
}

/* libvirt's rules: the same name and UUID is a redefinition; either one
 * alone is a clash. */
static int check_clash(const struct dom_config *cfg, bool persistent, struct domain **same,
		       char *why, size_t whylen)
{
	char ustr[UUID_STR_LEN + 1];

	*same = NULL;
	for (unsigned i = 0; i < nr_domains; i++) {
		struct domain *d = domains[i];
		bool name = !strcmp(d->cfg.name, cfg->name);
		bool uuid = !memcmp(d->cfg.uuid, cfg->uuid, UUID_LEN);

		if (d->gone || (!name && !uuid))
			continue;
		uuid_format(d->cfg.uuid, ustr);
		if (name && uuid && persistent) {
			*same = d;
			return 0;
		}
		if (uuid && !name)
			ksnprintf(why, whylen, "operation failed: domain '%s' is already defined "
				  "with uuid %s", d->cfg.name, ustr);
		else
			ksnprintf(why, whylen, "operation failed: domain '%s' already exists with "
				  "uuid %s", d->cfg.name, ustr);
		return -E_EXIST;
	}
	return 0;
}

int domain_define(const struct dom_config *cfg, const char *file, bool persistent,
		  struct domain **out, char *why, size_t whylen)
{
	struct domain *d;
	int err = check_clash(cfg, persistent, &d, why, whylen);

	if (err)
		return err;
	if (d) {
		err = redefine(d, cfg, why, whylen);
		if (!err && out)
			*out = d;
		return err;
	}
	if (nr_domains >= MAX_DOMAINS) {
		ksnprintf(why, whylen, "Keel holds at most %u domains", MAX_DOMAINS);
		return -E_NOMEM;
	}
	d = new_domain(cfg, file, persistent);
	if (!d) {
		ksnprintf(why, whylen, "out of memory");
		return -E_NOMEM;
	}
	add_domain(d);
	if (out)
		*out = d;
	return 0;
}

int domain_undefine(struct domain *d)
{
	uint64_t flags = spin_lock_irqsave(&d->lock);
	bool off = d->state == DOM_SHUTOFF || d->state == DOM_CRASHED;
	int err = 0;

	if (!d->persistent)
		err = -E_INVAL;
	else if (d->starting || d->stopping)
		err = -E_BUSY;
	if (!err) {
		d->persistent = false;
		d->autostart = false;
		d->gone = off;
		kfree(d->next_cfg);
		d->next_cfg = NULL;
	}
	spin_unlock_irqrestore(&d->lock, flags);
	return err;
}

void domain_reap(void)
{
	for (unsigned i = 0; i < nr_domains;) {
		struct domain *d = domains[i];

		if (!d->gone) {
			i++;
			continue;
		}
		remove_domain(d);
		kfree(d->next_cfg);
		kfree(d);
	}
}

/* vCPUs are freed by whichever CPU tears the domain down: look at them
 * only under the lock. */
static bool any_vcpu_busy(struct domain *d)
{
	bool busy = false;

	for (uint32_t i = 0; i < d->nr_vcpus && !busy; i++)
		busy = d->vcpus[i]->state == VCPU_RUNNING || d->vcpus[i]->state == VCPU_RUNNABLE;
	return busy;
}

static bool any_vcpu_running(struct domain *d)
{
	for (uint32_t i = 0; i < d->nr_vcpus; i++)
		if (d->vcpus[i]->state == VCPU_RUNNING)
			return true;
	return false;
}

/* Make a vCPU on another CPU exit now (the lock is held). */
static void kick_off_cpu(struct vcpu *v)
{
	if (v->state == VCPU_RUNNING && v->cpu >= 0 && (uint32_t)v->cpu != this_cpu()->id)
		lapic_send_ipi(cpus[v->cpu].apic_id, VEC_IPI_WAKE);
}

bool domain_active(const struct domain *d)
{
	return d->state == DOM_RUNNING || d->state == DOM_PAUSED;
}

static uint64_t cpu_tsc_locked(struct domain *d)
{
	uint64_t tsc = domain_active(d) ? 0 : d->last_cpu_tsc;

	for (uint32_t i = 0; domain_active(d) && i < d->nr_vcpus; i++)
		tsc += d->vcpus[i]->run_tsc;
	return tsc;
}

void domain_snapshot(struct domain *d, struct mgmt_dom *out)
{
	uint64_t flags = spin_lock_irqsave(&d->lock);

	memcpy(out->name, d->cfg.name, sizeof(out->name));
	memcpy(out->uuid, d->cfg.uuid, UUID_LEN);
	out->id = d->id;
	out->state = d->state;
	out->busy = d->state == DOM_RUNNING && any_vcpu_busy(d);
	out->has_stopped = d->stop_tsc != 0;
	out->stop_cause = d->stop_cause;
	out->persistent = d->persistent;
	out->autostart = d->autostart;
	out->vcpus = d->cfg.vcpus;
	out->memory_bytes = d->cfg.memory_bytes;
	out->current_memory_bytes = d->cfg.current_memory_bytes;
	out->cpu_ns = tsc_to_ns(cpu_tsc_locked(d));
	out->exit_status = d->exit_status;
	memcpy(out->reason, d->reason, sizeof(out->reason));
	spin_unlock_irqrestore(&d->lock, flags);
}

void domain_config(struct domain *d, bool inactive, struct dom_config *out)
{
	uint64_t flags = spin_lock_irqsave(&d->lock);

	*out = inactive && d->next_cfg ? *d->next_cfg : d->cfg;
	spin_unlock_irqrestore(&d->lock, flags);
}

int domain_vcpus(struct domain *d, struct mgmt_vcpu *out, unsigned max)
{
	uint64_t flags = spin_lock_irqsave(&d->lock);
	unsigned n = domain_active(d) ? MIN(d->nr_vcpus, max) : 0;

	for (unsigned i = 0; i < n; i++) {
		const struct vcpu *v = d->vcpus[i];

		out[i] = (struct mgmt_vcpu){ v->last_cpu, v->state, tsc_to_ns(v->run_tsc) };
	}
	spin_unlock_irqrestore(&d->lock, flags);
	return n ? (int)n : -E_INVAL;
}

void domain_exit_counts(struct domain *d, uint64_t counts[EXIT_REASON_COUNT])
{
	uint64_t flags = spin_lock_irqsave(&d->lock);

	if (!domain_active(d)) {
		memcpy(counts, d->last_exits, sizeof(d->last_exits));
	} else {
		memset(counts, 0, sizeof(d->last_exits));
		for (uint32_t i = 0; i < d->nr_vcpus; i++)
			for (unsigned r = 0; r < EXIT_REASON_COUNT; r++)
				counts[r] += d->vcpus[i]->exits[r];
	}
	spin_unlock_irqrestore(&d->lock, flags);
}

/* ---- devices every domain has */

/* QEMU's isa-debug-exit: writing V ends the run with status (V << 1) | 1. */
static int debug_exit_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	struct domain *d = ctx;

	(void)off;
	(void)size;
	domain_stop(d, STOP_POWEROFF, (int64_t)(((val & 0xffffffffULL) << 1) | 1),
		    "the guest wrote 0x%lx to the debug-exit port", val);
	return 0;
}

static const struct io_ops debug_exit_ops = { NULL, debug_exit_write };

static int add_devices(struct domain *d)
{
	memset(&d->pio, 0, sizeof(d->pio));
	memset(&d->mmio, 0, sizeof(d->mmio));
	return io_register(&d->pio, DEBUG_EXIT_PORT, DEBUG_EXIT_PORTS, &debug_exit_ops, d,
			   "debug-exit");
}

/* ---- resources of a run */

static void free_run(struct domain *d)
{
	struct vcpu *gone[MAX_VCPUS];
	uint64_t flags = spin_lock_irqsave(&d->lock);
	uint32_t n = d->nr_vcpus;

	memcpy(gone, d->vcpus, n * sizeof(gone[0]));
	spin_unlock_irqrestore(&d->lock, flags);
	platform_destroy(d);	/* no timer poll reaches the vCPUs after this */
	flags = spin_lock_irqsave(&d->lock);
	d->nr_vcpus = 0;
	spin_unlock_irqrestore(&d->lock, flags);
	for (uint32_t i = 0; i < n; i++)
		vcpu_destroy(gone[i]);
	gmem_free(&d->mem);
	ept_destroy(&d->ept);
	if (d->io_bitmap)
		page_free(d->io_bitmap, 1);
	if (d->msr_bitmap)
		page_free(d->msr_bitmap, 0);
	d->io_bitmap = d->msr_bitmap = 0;
	sched_flush_tlbs();	/* the EPT pages and VPIDs may come back */
}

static int alloc_run(struct domain *d)
{
	int err = ept_init(&d->ept);

	if (!err)
		err = gmem_alloc(&d->mem, d->cfg.memory_bytes, &d->ept);
	if (err)
		return err;
	d->io_bitmap = page_alloc(1);
	d->msr_bitmap = page_alloc(0);
	if (!d->io_bitmap || !d->msr_bitmap)
		return -E_NOMEM;
	memset((void *)d->io_bitmap, 0xff, 2 * PAGE_SIZE);	/* every port exits */
	msr_bitmap_init(d->msr_bitmap);
	return add_devices(d);
}

/* The guest's physical memory map, as a PC firmware would report it. */
static unsigned memory_map(const struct domain *d, struct guest_region *r)
{
	const struct guest_mem *m = &d->mem;
	unsigned n = 0;

	r[n++] = (struct guest_region){ 0, MIN(LOW_RAM_END, m->low_top), MB_MEM_USABLE };
	if (m->low_top > LOW_RAM_END)
		r[n++] = (struct guest_region){ LOW_RAM_END, 0xa0000 - LOW_RAM_END, MB_MEM_RESERVED };
	if (m->low_top > BIOS_AREA)
		r[n++] = (struct guest_region){ BIOS_AREA, EXTENDED_RAM - BIOS_AREA, MB_MEM_RESERVED };
	if (m->low_top > EXTENDED_RAM)
		r[n++] = (struct guest_region){ EXTENDED_RAM, m->low_top - EXTENDED_RAM, MB_MEM_USABLE };
	if (m->size > m->low_top)
		r[n++] = (struct guest_region){ GMEM_HIGH_BASE, m->size - m->low_top, MB_MEM_USABLE };
	return n;
}

static int mb_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	return gmem_write(ctx, gpa, src, len);
}

static int mb_zero(void *ctx, uint64_t gpa, size_t len)
{
	return gmem_zero(ctx, gpa, len);
}

/* Where the boot vCPU starts: 32-bit protected mode, paging off, at
 * 'entry' with these registers (multiboot and Linux's 32-bit protocol). */
struct boot_entry {
	uint32_t entry;
	uint32_t eax, ebx, esi;
};

/* Linux's boot protocol (Documentation/arch/x86/boot.rst): the 32-bit
 * entry with ESI = the zero page; the <initrd> files are concatenated. */
static int load_linux(struct domain *d, const struct boot_file *k, const struct mb_module *mods,
		      const struct mb_guest *g, struct boot_entry *be, char *why, size_t whylen)
{
	struct bz_result res;
	int err;

	ksnprintf(d->boot_cmdline, sizeof(d->boot_cmdline), "%s", d->cfg.cmdline);
	err = bz_load((const void *)k->addr, k->size, d->boot_cmdline, mods, d->cfg.nr_initrd,
		      PLAT_ACPI_BASE, g, &res, why, whylen);
	if (err)
		return err;
	*be = (struct boot_entry){ .entry = res.entry32, .esi = (uint32_t)res.zero_page };
	pr_info("domain %s: Linux boot protocol %u.%02u, kernel at 0x%lx, initrd %lu KiB at 0x%lx\n",
		d->cfg.name, res.version >> 8, res.version & 0xff, res.load_addr,
		res.initrd_size / KiB, res.initrd_addr);
	return 0;
}

static int load_kernel(struct domain *d, struct boot_entry *be, char *why, size_t whylen)
{
	const struct boot_file *k = bootinfo_file(boot_info, d->cfg.kernel);
	struct mb_module mods[DOM_MAX_MODULES];
	struct guest_region regions[8];
	struct mb_guest g = { regions, 0, mb_write, mb_zero, &d->mem };
	char *cmdline = d->boot_cmdline;
	struct mb_result res;
	int err;

	if (!k) {
		ksnprintf(why, whylen, "kernel '%s' is not on the boot partition", d->cfg.kernel);
		return -E_NOENT;
	}
	for (unsigned i = 0; i < d->cfg.nr_initrd; i++) {
		const struct boot_file *f = bootinfo_file(boot_info, d->cfg.initrd[i]);

		if (!f) {
			ksnprintf(why, whylen, "initrd '%s' is not on the boot partition",
				  d->cfg.initrd[i]);
			return -E_NOENT;
		}
		mods[i] = (struct mb_module){ (const void *)f->addr, f->size, d->cfg.initrd[i] };
	}
	g.nr_regions = memory_map(d, regions);
	if (bz_probe((const void *)k->addr, k->size))
		return load_linux(d, k, mods, &g, be, why, whylen);
	/* Like QEMU and GRUB: the kernel's own name comes first. */
	ksnprintf(cmdline, sizeof(d->boot_cmdline), "%s%s%s", d->cfg.kernel, d->cfg.cmdline[0] ? " " : "",
		  d->cfg.cmdline);
	err = mb_load((const void *)k->addr, k->size, cmdline, mods, d->cfg.nr_initrd,
		      &g, &res, why, whylen);
	if (!err)
		*be = (struct boot_entry){ .entry = res.entry, .eax = MB_BOOT_MAGIC, .ebx = res.mbi };
	return err;
}

static int create_vcpus(struct domain *d, const struct boot_entry *be)
{
	for (uint32_t i = 0; i < d->cfg.vcpus; i++) {
		struct vcpu *v = vcpu_create(d, i);

		if (!v)
			return -E_NOMEM;
		d->vcpus[d->nr_vcpus++] = v;
		/* The others wait for a start-up IPI, like a PC's APs. */
		v->state = i ? VCPU_WAIT_SIPI : VCPU_STOPPED;
	}
	vcpu_set_protected_entry(d->vcpus[0], be->entry, be->eax, be->ebx);
	d->vcpus[0]->regs.gpr[GPR_RSI] = be->esi;
	return 0;
}

/* Running, with vCPU 0 queued in the same step: a stop that comes as soon
 * as `starting` is clear must find it runnable, not stopped (it would tear
 * the domain down while this CPU still queues the vCPU). */
static void mark_running(struct domain *d, int id)
{
	uint64_t flags = spin_lock_irqsave(&d->lock);

	d->state = DOM_RUNNING;
	d->id = id;
	d->stopping = false;
	d->reason[0] = '\0';
	d->exit_status = -1;
	d->start_tsc = rdtsc();
	d->empty_bus_logged = 0;
	d->starting = false;
	sched_enqueue(d->vcpus[0]);
	spin_unlock_irqrestore(&d->lock, flags);
}

/* One start at a time: the shell and an on_*=restart may race. */
static bool claim_for_start(struct domain *d)
{
	uint64_t flags = spin_lock_irqsave(&d->lock);
	bool ok = !d->starting && !d->stopping && !d->gone &&
		  (d->state == DOM_SHUTOFF || d->state == DOM_CRASHED);

	if (ok)
		d->starting = true;
	spin_unlock_irqrestore(&d->lock, flags);
	return ok;
}

static void start_failed(struct domain *d, const char *why)
{
	uint64_t flags;

	free_run(d);
	pr_err("domain %s: cannot start: %s\n", d->cfg.name, why);
	flags = spin_lock_irqsave(&d->lock);
	d->starting = false;
	d->gone = !d->persistent;
	spin_unlock_irqrestore(&d->lock, flags);
}

/* The caller has set d->starting. */
static int start_claimed(struct domain *d, char *why, size_t whylen)
{
	struct boot_entry be;
	int err, id;

	if (!vmx_caps.usable) {
		ksnprintf(why, whylen, "this machine cannot run guests: %s", vmx_caps.reason);
		start_failed(d, why);	/* a transient domain is gone */
		return -E_NOTSUP;
	}
	vuart_reset(&d->uart);
	d->paused_cycles = 0;
	err = alloc_run(d);
	if (err)
		ksnprintf(why, whylen, "cannot allocate %lu MiB for the guest: %s",
			  d->cfg.memory_bytes / MiB, err_str(err));
	if (!err)
		err = load_kernel(d, &be, why, whylen);
	if (!err && (err = create_vcpus(d, &be)))
		ksnprintf(why, whylen, "cannot create the vCPUs: %s", err_str(err));
	if (!err)
		err = platform_init(d, why, whylen);
	if (err) {
		start_failed(d, why);
		return err;
	}
	id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
	pr_info("domain %s: started (id %d, %lu MiB, %u vCPU%s, kernel %s)\n", d->cfg.name, id,
		d->cfg.memory_bytes / MiB, d->cfg.vcpus, d->cfg.vcpus == 1 ? "" : "s", d->cfg.kernel);
	mark_running(d, id);	/* the last touch: it may stop at once */
	return 0;
}

int domain_start(struct domain *d, char *why, size_t whylen)
{
	why[0] = '\0';
	if (!claim_for_start(d)) {
		ksnprintf(why, whylen, "domain is already active");
		return -E_BUSY;
	}
	return start_claimed(d, why, whylen);
}

/* ---- stopping */

static void log_exit_counts(struct domain *d)
{
	char buf[512];
	size_t n = 0;

	for (unsigned r = 0; r < EXIT_REASON_COUNT && n < sizeof(buf); r++)
		if (d->last_exits[r])
			n += (size_t)ksnprintf(buf + n, sizeof(buf) - n, "%s%s %lu", n ? ", " : "",
					       vmexit_reason_name(r), d->last_exits[r]);
	pr_info("domain %s: exits: %s\n", d->cfg.name, n ? buf : "none");
}

static void collect_stats(struct domain *d)
{
	memset(d->last_exits, 0, sizeof(d->last_exits));
	d->last_cpu_tsc = 0;
	for (uint32_t i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = d->vcpus[i];

		for (unsigned r = 0; r < EXIT_REASON_COUNT; r++)
			d->last_exits[r] += v->exits[r];
		d->last_cpu_tsc += v->run_tsc;
	}
}

static enum dom_action action_for(struct domain *d)
{
	switch (d->stop_cause) {
	case STOP_CRASH:
		return d->cfg.on_crash;
	case STOP_RESET:
		return d->cfg.on_reboot;
	case STOP_POWEROFF:
		return d->reboot_asked ? DOM_ACTION_RESTART : d->cfg.on_poweroff;
	default:
		return DOM_ACTION_DESTROY;	/* the operator's destroy */
	}
}

static const char *const cause_names[] = {
	[STOP_DESTROY] = "destroy", [STOP_POWEROFF] = "poweroff", [STOP_RESET] = "reboot",
	[STOP_CRASH] = "crash",
};

/*
 * The last vCPU is off its CPU: free the run, take up a redefinition made
 * meanwhile, and follow the on_* action. A transient domain that stays off
 * is marked gone, as the last touch of it here: the shell frees it.
 */
static void teardown(struct domain *d)
{
	bool restart = action_for(d) == DOM_ACTION_RESTART;
	bool asked = d->stop_cause == STOP_POWEROFF && d->reboot_asked;
	enum dom_state final = d->stop_cause == STOP_CRASH && !restart ? DOM_CRASHED : DOM_SHUTOFF;
	struct dom_config *next;
	uint64_t flags;
	char why[160];

	collect_stats(d);
	free_run(d);
	log_exit_counts(d);
	if (restart && asked)
		pr_info("domain %s: restarting (the operator's reboot)\n", d->cfg.name);
	else if (restart)
		pr_info("domain %s: restarting (on_%s=restart)\n", d->cfg.name,
			cause_names[d->stop_cause]);
	flags = spin_lock_irqsave(&d->lock);
	next = d->next_cfg;
	d->next_cfg = NULL;
	if (next)
		d->cfg = *next;		/* same name and UUID */
	d->state = final;
	d->id = -1;
	d->reboot_asked = false;
	d->stop_tsc = rdtsc();
	d->stopping = false;
	d->starting = restart;		/* the restart below owns it */
	d->gone = !d->persistent && !restart;
	spin_unlock_irqrestore(&d->lock, flags);
	kfree(next);
	if (restart)
		start_claimed(d, why, sizeof(why));
}

/* RUNNING and RUNNABLE vCPUs leave by themselves (the scheduler sees the
 * stop); the parked ones are stopped on the spot. */
static bool vcpu_on_cpu_or_queue(const struct vcpu *v)
{
	return v->state == VCPU_RUNNING || v->state == VCPU_RUNNABLE;
}

static bool all_stopped(struct domain *d)
{
	for (uint32_t i = 0; i < d->nr_vcpus; i++)
		if (d->vcpus[i]->state != VCPU_STOPPED)
			return false;
	return true;
}

void domain_vcpu_stopped(struct vcpu *v)
{
	struct domain *d = v->dom;
	uint64_t flags = spin_lock_irqsave(&d->lock);
	bool last;

	v->state = VCPU_STOPPED;
	last = all_stopped(d);
	spin_unlock_irqrestore(&d->lock, flags);
	if (last)
		teardown(d);
}

void domain_stop(struct domain *d, enum stop_cause cause, int64_t exit_status, const char *fmt, ...)
{
	uint64_t flags = spin_lock_irqsave(&d->lock);
	bool last;
	va_list ap;

	if (!domain_active(d) || d->stopping) {
		spin_unlock_irqrestore(&d->lock, flags);
		return;
	}
	d->stopping = true;
	d->stop_cause = cause;
	d->exit_status = exit_status;
	va_start(ap, fmt);
	kvsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
	for (uint32_t i = 0; i < d->nr_vcpus; i++)
		if (!vcpu_on_cpu_or_queue(d->vcpus[i]))
			d->vcpus[i]->state = VCPU_STOPPED;
	last = all_stopped(d);
	spin_unlock_irqrestore(&d->lock, flags);
	if (cause == STOP_CRASH)
		pr_err("domain %s: crashed: %s\n", d->cfg.name, d->reason);
	else if (cause == STOP_RESET)
		pr_info("domain %s: reset: %s\n", d->cfg.name, d->reason);
	else if (exit_status >= 0)
		pr_info("domain %s: shut off: %s, exit status %ld\n", d->cfg.name, d->reason,
			exit_status);
	else
		pr_info("domain %s: shut off: %s\n", d->cfg.name, d->reason);
	if (last)
		teardown(d);
}

/* What the operator's requests wait for, checked under d->lock. */
enum wait_for { WAIT_STOPPED, WAIT_OFF_CPU, WAIT_SETTLED };

static bool wait_done(struct domain *d, enum wait_for what)
{
	switch (what) {
	case WAIT_STOPPED:
		return !domain_active(d);	/* the run is torn down */
	case WAIT_OFF_CPU:
		return !any_vcpu_running(d);
	default:
		return !d->starting && !d->stopping;
	}
}

/* Wait, running guests meanwhile, up to `ns`; false if it timed out. */
static bool wait_for(struct domain *d, enum wait_for what, uint64_t ns)
{
	uint64_t deadline = time_since_boot_ns() + ns;
	uint64_t flags;
	bool done;

	for (;;) {
		flags = spin_lock_irqsave(&d->lock);
		done = wait_done(d, what);
		spin_unlock_irqrestore(&d->lock, flags);
		if (done || time_since_boot_ns() >= deadline)
			return done;
		sched_idle_once();
	}
}

/* Let a start or stop under way (an on_*=restart on another CPU) finish
 * before an operator's request looks at the state. */
void domain_settle(struct domain *d)
{
	wait_for(d, WAIT_SETTLED, SETTLE_WAIT_NS);
}

int domain_destroy(struct domain *d)
{
	if (!domain_active(d))
		return -E_INVAL;
	domain_stop(d, STOP_DESTROY, -1, "destroyed by the operator");
	return wait_for(d, WAIT_STOPPED, DESTROY_WAIT_NS) ? 0 : -E_TIMEDOUT;
}

/*
 * Suspend: no vCPU is scheduled until resume, and the guest's clocks (TSC
 * offset, APIC timers, PIT, RTC, PM timer: all run on guest_tsc()) stand
 * still. The vCPUs on other CPUs are kicked out; the pause counts from
 * when the last one has left, so the guest never sees its clock go back.
 */
int domain_suspend(struct domain *d)
{
	uint64_t flags = spin_lock_irqsave(&d->lock);
	bool was_running = d->state == DOM_RUNNING && !d->stopping && !d->starting;
	bool ok = was_running || (d->state == DOM_PAUSED && !d->stopping);

	if (was_running) {
		d->state = DOM_PAUSED;
		for (uint32_t i = 0; i < d->nr_vcpus; i++)
			kick_off_cpu(d->vcpus[i]);
	}
	spin_unlock_irqrestore(&d->lock, flags);
	if (!ok)
		return -E_INVAL;
	if (!was_running)
		return 0;
	if (!wait_for(d, WAIT_OFF_CPU, DESTROY_WAIT_NS))
		pr_warn("domain %s: a vCPU is still on its CPU after suspend\n", d->cfg.name);
	flags = spin_lock_irqsave(&d->lock);
	d->pause_tsc = rdtsc();
	spin_unlock_irqrestore(&d->lock, flags);
	pr_info("domain %s: suspended\n", d->cfg.name);
	return 0;
}

int domain_resume(struct domain *d)
{
	uint64_t flags = spin_lock_irqsave(&d->lock);
	bool paused = d->state == DOM_PAUSED && !d->stopping;
	bool ok = paused || (d->state == DOM_RUNNING && !d->stopping);

	if (paused) {
		d->paused_cycles += rdtsc() - d->pause_tsc;
		d->state = DOM_RUNNING;
		for (uint32_t i = 0; i < d->nr_vcpus; i++)
			if (d->vcpus[i]->state == VCPU_PAUSED)
				sched_enqueue(d->vcpus[i]);
	}
	spin_unlock_irqrestore(&d->lock, flags);
	if (paused)
		pr_info("domain %s: resumed\n", d->cfg.name);
	return ok ? 0 : -E_INVAL;
}

int domain_shutdown(struct domain *d, bool reboot)
{
	uint64_t flags = spin_lock_irqsave(&d->lock);
	bool running = d->state == DOM_RUNNING && !d->stopping && !d->starting;

	if (running && reboot)
		d->reboot_asked = true;
	spin_unlock_irqrestore(&d->lock, flags);
	if (!running)
		return -E_INVAL;
	plat_power_button(d);
	return 0;
}

void domain_wake(struct domain *d)
{
	uint64_t flags = spin_lock_irqsave(&d->lock);

	for (uint32_t i = 0; domain_active(d) && !d->stopping && i < d->nr_vcpus; i++) {
		struct vcpu *v = d->vcpus[i];

		if (v->state == VCPU_HALTED)
			sched_enqueue(v);
		else
			v->wake = true;
	}
	spin_unlock_irqrestore(&d->lock, flags);
}
