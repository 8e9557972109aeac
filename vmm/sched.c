/*
 * The vCPU scheduler: one round-robin run queue shared by every CPU. A CPU
 * takes the vCPU at the head, runs it for one slice (VMX-preemption timer),
 * and puts it back at the tail unless it halted or its domain is stopping.
 * A halted vCPU is off the queue until domain_wake() puts it back; the
 * vCPUs of a suspended domain wait off it until domain_resume().
 *
 * The boot CPU also runs the shell: it takes a slice only between polls of
 * the console (kernel/commands.c), so slices there bound input latency.
 *
 * The interface (enqueue / run once / idle) leaves room for weights and
 * pinning: they change how sched_pick() chooses, not its callers.
 */
#include "arch/cpu.h"
#include "arch/lapic.h"
#include "arch/trap.h"
#include "kernel/log.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "vmm/vmm.h"

#define SLICE_US	10000
/* The boot CPU also polls the serial console, whose receive FIFO holds 16
 * characters (1.4 ms at 115200 baud): it never leaves it for longer. */
#define CONSOLE_POLL_US	1000

static spinlock_t runq_lock = SPINLOCK_INIT;
static struct vcpu *runq_head, *runq_tail;
static uint64_t slice_tsc, console_tsc;
volatile uint64_t tlb_generation;

void sched_init(void)
{
	slice_tsc = tsc_hz / 1000000 * SLICE_US;
	if (!slice_tsc)
		slice_tsc = 1000000;
	console_tsc = MAX(slice_tsc / (SLICE_US / CONSOLE_POLL_US), 1);
}

/* An idle CPU sleeps in HLT; wake one so the new work starts at once
 * (otherwise the next timer tick would, within 10 ms). */
static void kick_idle_cpu(void)
{
	struct percpu *me = this_cpu();

	for (uint32_t i = 0; i < cpu_count; i++) {
		struct percpu *p = &cpus[i];

		if (p != me && p->state == CPU_ONLINE && p->idle) {
			lapic_send_ipi(p->apic_id, VEC_IPI_WAKE);
			return;
		}
	}
}

void sched_enqueue(struct vcpu *v)
{
	uint64_t flags = spin_lock_irqsave(&runq_lock);

	v->next = NULL;
	v->state = VCPU_RUNNABLE;
	if (runq_tail)
		runq_tail->next = v;
	else
		runq_head = v;
	runq_tail = v;
	spin_unlock_irqrestore(&runq_lock, flags);
	kick_idle_cpu();
}

static struct vcpu *sched_pick(void)
{
	uint64_t flags = spin_lock_irqsave(&runq_lock);
	struct vcpu *v = runq_head;

	if (v) {
		runq_head = v->next;
		if (!runq_head)
			runq_tail = NULL;
		v->next = NULL;
		v->state = VCPU_RUNNING;
		v->cpu = (int32_t)this_cpu()->id;
		v->last_cpu = v->cpu;
	}
	spin_unlock_irqrestore(&runq_lock, flags);
	return v;
}

/* A vCPU of a suspended domain waits off the queue until resume. */
static bool park_if_paused(struct vcpu *v)
{
	struct domain *d = v->dom;
	uint64_t flags = spin_lock_irqsave(&d->lock);
	bool paused = d->state == DOM_PAUSED && !d->stopping;

	if (paused)
		v->state = VCPU_PAUSED;
	spin_unlock_irqrestore(&d->lock, flags);
	return paused;
}

/* After a slice: back to the queue, parked, or gone. */
static void sched_put(struct vcpu *v, enum exit_action act)
{
	struct domain *d = v->dom;
	uint64_t flags;

	v->cpu = -1;
	if (act == EXIT_STOP || d->stopping) {
		domain_vcpu_stopped(v);
		return;
	}
	if (act == EXIT_WAIT_SIPI) {
		vlapic_reset(&v->lapic);
		flags = spin_lock_irqsave(&d->lock);
		v->init_pending = false;
		v->state = VCPU_WAIT_SIPI;
		spin_unlock_irqrestore(&d->lock, flags);
		return;
	}
	if (act == EXIT_HALT) {
		flags = spin_lock_irqsave(&d->lock);
		if (!v->wake) {
			v->state = VCPU_HALTED;
			spin_unlock_irqrestore(&d->lock, flags);
			return;
		}
		v->wake = false;
		spin_unlock_irqrestore(&d->lock, flags);
	}
	if (!park_if_paused(v))
		sched_enqueue(v);
}

bool sched_run_once(void)
{
	struct vcpu *v = sched_pick();

	if (!v)
		return false;
	if (v->dom->stopping) {
		sched_put(v, EXIT_STOP);
		return true;
	}
	if (park_if_paused(v)) {
		v->cpu = -1;
		return true;
	}
	sched_put(v, vcpu_run_slice(v, this_cpu()->id ? slice_tsc : console_tsc));
	return true;
}

/*
 * Sleep until an interrupt. The periodic tick (TICK_HZ) wakes a CPU often
 * enough for the shell, not for guest timers: when a halted vCPU's timer
 * (or a domain's PIT, RTC...) is due sooner, a one-shot host timer wakes
 * this CPU at that deadline instead.
 */
static void idle_wait(uint64_t deadline)
{
	uint64_t now = rdtsc(), tick = tsc_hz / TICK_HZ;
	bool oneshot = deadline != UINT64_MAX && lapic_timer_hz && deadline - now < tick;

	if (oneshot) {
		uint64_t count = (deadline - now) * lapic_timer_hz / tsc_hz + 1;

		lapic_timer_oneshot(VEC_LAPIC_TIMER, (uint32_t)count);
	}
	irq_enable_and_halt();
	if (oneshot)
		lapic_timer_periodic(VEC_LAPIC_TIMER, (uint32_t)(lapic_timer_hz / TICK_HZ));
}

void sched_idle_once(void)
{
	struct percpu *p = this_cpu();
	uint64_t now = rdtsc(), deadline;

	deadline = plat_timers_poll(now);
	if (p->id == 0)
		deadline = MIN(deadline, now + console_tsc);
	if (sched_run_once())
		return;
	irq_disable();
	p->idle = true;
	if (!__atomic_load_n(&runq_head, __ATOMIC_ACQUIRE)) {
		if (deadline <= rdtsc())
			irq_enable();
		else
			idle_wait(deadline);
	}
	p->idle = false;
	irq_enable();
}

void __attribute__((noreturn)) sched_cpu_loop(void)
{
	for (;;)
		sched_idle_once();
}

void sched_flush_tlbs(void)
{
	__atomic_add_fetch(&tlb_generation, 1, __ATOMIC_RELEASE);
}
