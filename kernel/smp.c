/*
 * Multiprocessor start-up (SDM Vol. 3A 9.4.4 and 11.6.1): for each CPU, the
 * BSP fills the trampoline's parameter block, sends INIT, waits 10 ms, sends
 * two SIPIs 200 us apart, and waits for the AP to report itself online.
 * One AP is started at a time, so one trampoline page serves them all.
 */
#include "arch/cpu.h"
#include "arch/lapic.h"
#include "arch/mmu.h"
#include "arch/trap.h"
#include "arch/vmx.h"
#include "kernel/acpi.h"
#include "kernel/bootinfo.h"
#include "kernel/errno.h"
#include "kernel/log.h"
#include "kernel/mm.h"
#include "kernel/smp.h"
#include "kernel/time.h"

#define AP_STACK_ORDER	2		/* 16 KiB */
#define AP_ONLINE_WAIT_US 1000000	/* per CPU */
#define CALL_WAIT_US	1000000

extern char tramp_start[], tramp_end[];
extern char tramp_cr3[], tramp_efer[], tramp_stack[], tramp_percpu[], tramp_entry[];

struct percpu cpus[MAX_CPUS];
uint32_t cpu_count;
const char *cpu_list_source = "boot CPU only";

static void add_cpu(uint32_t apic_id)
{
	for (uint32_t i = 0; i < cpu_count; i++)
		if (cpus[i].apic_id == apic_id)
			return;
	if (cpu_count >= MAX_CPUS) {
		pr_warn("smp: more than %d CPUs; ignoring APIC id %u\n", MAX_CPUS, apic_id);
		return;
	}
	cpus[cpu_count].id = cpu_count;
	cpus[cpu_count].apic_id = apic_id;
	cpus[cpu_count].state = CPU_ABSENT;
	cpu_count++;
}

void smp_discover(const struct bootinfo *bi, const struct acpi_info *acpi)
{
	cpu_count = 1;		/* cpus[0] is this CPU, set up by kmain */
	if (acpi && acpi->madt.present && acpi->madt.nr_cpus) {
		cpu_list_source = "ACPI MADT";
		for (uint32_t i = 0; i < acpi->madt.nr_cpus; i++)
			if (acpi->madt.cpus[i].enabled)
				add_cpu(acpi->madt.cpus[i].apic_id);
	} else if (bi->cpu_source == BOOTINFO_CPUS_MPSERVICES && bi->cpu_count) {
		cpu_list_source = "UEFI MP services";
		for (uint32_t i = 0; i < bi->cpu_count; i++)
			add_cpu(bi->cpu_apic_id[i]);
	}
	pr_info("smp: %u CPUs listed by %s\n", cpu_count, cpu_list_source);
}

static void __attribute__((noreturn)) ap_entry(struct percpu *p);

static void fill_trampoline(uint64_t page, struct percpu *p)
{
	uint64_t efer = EFER_LME | (rdmsr(MSR_IA32_EFER) & EFER_NXE);

	*(uint32_t *)(page + (tramp_cr3 - tramp_start)) = (uint32_t)mmu_kernel_cr3();
	*(uint32_t *)(page + (tramp_efer - tramp_start)) = (uint32_t)efer;
	*(uint64_t *)(page + (tramp_stack - tramp_start)) = p->stack_top;
	*(uint64_t *)(page + (tramp_percpu - tramp_start)) = (uint64_t)p;
	*(uint64_t *)(page + (tramp_entry - tramp_start)) = (uint64_t)ap_entry;
}

static bool wait_online(struct percpu *p, uint64_t us)
{
	for (uint64_t waited = 0; waited < us; waited += 100) {
		if (p->state == CPU_ONLINE)
			return true;
		udelay(100);
	}
	return p->state == CPU_ONLINE;
}

static void start_ap(uint64_t page, struct percpu *p)
{
	uint64_t stack = page_alloc(AP_STACK_ORDER);

	if (!stack) {
		p->state = CPU_FAILED;
		pr_err("smp: no memory for CPU %u's stack\n", p->id);
		return;
	}
	p->stack_top = stack + (PAGE_SIZE << AP_STACK_ORDER);
	fill_trampoline(page, p);
	p->state = CPU_STARTING;
	lapic_send_init(p->apic_id);
	udelay(10000);
	for (int i = 0; i < 2 && p->state != CPU_ONLINE; i++) {
		lapic_send_sipi(p->apic_id, (uint8_t)(page >> 12));
		udelay(200);
	}
	if (!wait_online(p, AP_ONLINE_WAIT_US)) {
		p->state = CPU_FAILED;
		pr_err("smp: CPU %u (APIC id %u) did not start\n", p->id, p->apic_id);
	}
}

uint32_t smp_boot_aps(const struct bootinfo *bi)
{
	uint64_t page = bi->trampoline;

	if (cpu_count > 1 && !page) {
		pr_err("smp: no page below 1 MiB for AP start-up; running on one CPU\n");
		return 1;
	}
	if (cpu_count > 1)
		memcpy((void *)page, tramp_start, (size_t)(tramp_end - tramp_start));
	for (uint32_t i = 1; i < cpu_count; i++)
		start_ap(page, &cpus[i]);
	pr_info("smp: %u of %u CPUs online\n", smp_online_count(), cpu_count);
	return smp_online_count();
}

uint32_t smp_online_count(void)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < cpu_count; i++)
		n += cpus[i].state == CPU_ONLINE;
	return n;
}

static void ipi_call(struct trap_frame *f)
{
	struct percpu *p = this_cpu();
	void (*fn)(void *) = p->call.fn;
	void *arg = p->call.arg;

	(void)f;
	if (!p->call.pending)
		return;
	p->call.pending = 0;
	lapic_eoi();		/* fn may never return (an exception test) */
	fn(arg);
}

int smp_call(uint32_t cpu, void (*fn)(void *), void *arg)
{
	struct percpu *p;

	if (cpu >= cpu_count || cpus[cpu].state != CPU_ONLINE)
		return -E_NOENT;
	p = &cpus[cpu];
	p->call.fn = fn;
	p->call.arg = arg;
	__atomic_store_n(&p->call.pending, 1, __ATOMIC_RELEASE);
	if (p == this_cpu()) {
		ipi_call(NULL);
		return 0;
	}
	lapic_send_ipi(p->apic_id, VEC_IPI_CALL);
	for (uint64_t w = 0; w < CALL_WAIT_US && p->call.pending; w += 10)
		udelay(10);
	return p->call.pending ? -E_TIMEDOUT : 0;
}

static void timer_tick(struct trap_frame *f)
{
	(void)f;
	this_cpu()->ticks++;
}

void smp_irq_init(void)
{
	irq_register(VEC_LAPIC_TIMER, timer_tick);
	irq_register(VEC_IPI_CALL, ipi_call);
}

static void (*idle_handler)(void);

void smp_set_idle_handler(void (*fn)(void))
{
	__atomic_store_n(&idle_handler, fn, __ATOMIC_RELEASE);
}

void cpu_idle_once(void)
{
	void (*fn)(void) = __atomic_load_n(&idle_handler, __ATOMIC_ACQUIRE);

	if (fn)
		fn();
	else
		irq_enable_and_halt();
}

void __attribute__((noreturn)) cpu_idle_loop(void)
{
	for (;;)
		cpu_idle_once();
}

static void __attribute__((noreturn)) ap_entry(struct percpu *p)
{
	percpu_setup(p);
	lapic_init();
	if (lapic_timer_hz)
		lapic_timer_periodic(VEC_LAPIC_TIMER, (uint32_t)(lapic_timer_hz / TICK_HZ));
	vmx_cpu_enable(p);
	__atomic_store_n(&p->state, CPU_ONLINE, __ATOMIC_RELEASE);
	cpu_idle_loop();
}
