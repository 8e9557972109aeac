/*
 * The vCPU scheduler: one round-robin run queue shared by every CPU. A CPU
 * takes the vCPU at the head, runs it for one slice (VMX-preemption timer),
 * and puts it back at the tail unless it halted or its domain is stopping.
 * A halted vCPU is off the queue until domain_wake() puts it back.
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

static spinlock_t runq_lock = SPINLOCK_INIT;
static struct vcpu *runq_head, *runq_tail;
static uint64_t slice_tsc;
volatile uint64_t tlb_generation;

void sched_init(void)
{
	slice_tsc = tsc_hz / 1000000 * SLICE_US;
	if (!slice_tsc)
		slice_tsc = 1000000;
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
	}
	spin_unlock_irqrestore(&runq_lock, flags);
	return v;
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
	sched_put(v, vcpu_run_slice(v, slice_tsc));
	return true;
}

void sched_idle_once(void)
{
	struct percpu *p = this_cpu();

	if (sched_run_once())
		return;
	irq_disable();
	p->idle = true;
	if (!__atomic_load_n(&runq_head, __ATOMIC_ACQUIRE))
		irq_enable_and_halt();
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
