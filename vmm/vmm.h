/*
 * Domains and vCPUs: the objects the rest of vmm/ works on.
 *
 * Legend for struct domain: [cfg] set when the definition is loaded and
 * read-only afterwards; [L] guarded by domain->lock; [run] set up by
 * domain_start() before any vCPU runs and torn down after the last one has
 * stopped, so a vCPU may use it without the lock.
 *
 * A vCPU is in exactly one place: the run queue (RUNNABLE), on one CPU
 * (RUNNING), parked (HALTED: waits for an event; WAIT_SIPI: an application
 * processor that was never started; PAUSED: its domain is suspended) or
 * STOPPED.
 *
 * Domains live in domains[] (guarded by domains_lock for other CPUs); the
 * shell's CPU alone adds and removes them, and frees one only between
 * commands (domain_reap), so the shell may hold a domain for a command.
 */
#ifndef KEEL_VMM_VMM_H
#define KEEL_VMM_VMM_H

#include "arch/vmcs.h"
#include "arch/vmx.h"
#include "kernel/klib.h"
#include "kernel/spinlock.h"
#include "vmm/domxml.h"
#include "vmm/ept.h"
#include "vmm/guestmem.h"
#include "vmm/iospace.h"
#include "vmm/mgmt.h"
#include "vmm/platform.h"
#include "vmm/vlapic.h"
#include "vmm/vuart.h"

#define MAX_DOMAINS		32
#define MAX_VCPUS		64

struct domain;

/* What a VM exit leads to (vmm/exit.c) and how a slice ended. */
enum exit_action {
	EXIT_RESUME,		/* re-enter the guest */
	EXIT_END_SLICE,		/* give the CPU up; the vCPU stays runnable */
	EXIT_HALT,		/* the vCPU waits for an event */
	EXIT_STOP,		/* the domain is stopping */
	EXIT_WAIT_SIPI,		/* an INIT arrived: wait for a start-up IPI */
};

struct vcpu {
	struct vmx_gprs regs;		/* while not in the guest */
	struct domain *dom;
	uint32_t index;
	uint16_t vpid;
	uint64_t vmcs;			/* physical address of the VMCS region */
	bool launched;			/* VMLAUNCH done since the last VMCLEAR */
	volatile enum vcpu_state state;	/* [L] */
	struct vcpu *next;		/* run-queue link (vmm/sched.c) */
	int32_t cpu;			/* the CPU running it, or -1 */
	int32_t last_cpu;		/* the CPU that ran it last, or -1 */
	uint64_t slice_end;		/* TSC deadline of the current slice */
	/* Guest state the VMCS does not hold; Keel switches it by hand. */
	uint64_t xcr0;
	void *fpu;			/* FXSAVE/XSAVE area */
	uint64_t msr_star, msr_lstar, msr_cstar, msr_sfmask, msr_kgsbase;
	volatile bool wake;		/* an event arrived since it last halted */
	/* Interrupts (vmm/vintr.c). */
	struct vlapic lapic;
	volatile bool nmi_pending;
	volatile bool init_pending;	/* reset at the next exit */
	volatile bool sipi_pending;	/* start at sipi_vector:0 when next run */
	uint8_t sipi_vector;
	uint32_t proc_controls;		/* primary controls as in the VMCS */
	bool nmi_windows;		/* NMI-window exiting is available */
	/* Statistics. */
	uint64_t exits[EXIT_REASON_COUNT];
	uint64_t exits_other;		/* reasons beyond the table */
	uint64_t run_tsc;		/* TSC cycles in this vCPU's slices */
};

struct domain {
	struct dom_config cfg;		/* [cfg] */
	char file[64];			/* [cfg] the XML file it came from */
	bool autostart;			/* [shell] */
	spinlock_t lock;
	bool persistent;		/* [L] false: transient, gone when it stops */
	volatile bool gone;		/* [L] transient and stopped: domain_reap frees it */
	struct dom_config *next_cfg;	/* [L] a redefinition for the next start */
	enum dom_state state;		/* [L] */
	int id;				/* [L] virsh's Id while running, else -1 */
	volatile bool stopping;		/* [L] a stop is under way */
	bool starting;			/* [L] domain_start() is at work */
	enum stop_cause stop_cause;	/* [L] why the run is ending */
	bool reboot_asked;		/* [L] the operator's reboot: restart
					 * after the guest powers off */
	char reason[160];		/* [L] why it stopped, "" when asked to */
	int64_t exit_status;		/* [L] from the debug-exit port, or -1 */
	uint64_t start_tsc, stop_tsc;	/* [L] */
	uint64_t pause_tsc;		/* [L] host TSC when it was suspended */
	uint64_t paused_cycles;		/* [L] TSC cycles suspended this run: the
					 * guest's clocks lag the host's by this */
	struct guest_mem mem;		/* [run] */
	struct ept ept;			/* [run] */
	struct iospace pio, mmio;	/* [run] device registries */
	uint64_t io_bitmap, msr_bitmap;	/* [run] physical pages */
	struct vuart uart;		/* output history survives the run */
	struct platform plat;		/* [run] the PC around the vCPUs */
	struct vcpu *vcpus[MAX_VCPUS];	/* [run] */
	uint32_t nr_vcpus;		/* [run] */
	uint64_t empty_bus_logged;	/* [run] rate limit for the log */
	uint64_t last_exits[EXIT_REASON_COUNT];	/* the last run's totals */
	uint64_t last_cpu_tsc;
	char boot_cmdline[DOM_FILE_MAX + DOM_CMDLINE_MAX + 1];	/* for the loader */
};

extern struct domain *domains[MAX_DOMAINS];
extern unsigned nr_domains;
extern spinlock_t domains_lock;

/* The guest's view of a host TSC value, and back: a suspended domain's
 * clocks stand still, so they lag by the time spent suspended. */
static inline uint64_t guest_tsc(const struct domain *d, uint64_t host_tsc)
{
	return host_tsc - d->paused_cycles;
}

static inline uint64_t host_tsc_of(const struct domain *d, uint64_t guest)
{
	return guest == UINT64_MAX ? guest : guest + d->paused_cycles;
}

/* ---- vmm/domain.c */
/* By name, Id (while active) or UUID; NULL if none. Shell CPU only. */
struct domain *domain_find(const char *name_or_id);
/* Define (persistent) or add a transient domain. A definition with the
 * name and UUID of a persistent domain replaces it (for its next start
 * when it is active). -E_EXIST (a name or UUID clash), -E_BUSY, -E_NOMEM,
 * with why set. */
int domain_define(const struct dom_config *cfg, const char *file, bool persistent,
		  struct domain **out, char *why, size_t whylen);
/* Forget a persistent domain; an active one becomes transient. -E_INVAL:
 * transient; -E_BUSY: starting or stopping. */
int domain_undefine(struct domain *d);
/* Free the transient domains that have stopped. Shell CPU, between commands. */
void domain_reap(void);
int domain_start(struct domain *d, char *why, size_t whylen);
/* Ask the domain to stop; the last vCPU to leave its CPU tears it down.
 * 'reason' is "" for an operator's request. */
void domain_stop(struct domain *d, enum stop_cause cause, int64_t exit_status,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Press the virtual power button (ACPI); 'reboot' starts the domain again
 * once the guest has powered off. -E_INVAL when it is not running. */
int domain_shutdown(struct domain *d, bool reboot);
/* Running or paused. */
bool domain_active(const struct domain *d);
/* Wait (running guests) while a start or stop is under way, up to 60 s. */
void domain_settle(struct domain *d);
/* Stop and wait until the domain's resources are gone (the shell's destroy). */
int domain_destroy(struct domain *d);
/* Stop scheduling the vCPUs and freeze the guest's clocks; resume undoes
 * it. -E_INVAL when not active; repeating either is harmless. */
int domain_suspend(struct domain *d);
int domain_resume(struct domain *d);
/* A consistent copy of the domain's state for the shell. */
void domain_snapshot(struct domain *d, struct mgmt_dom *out);
/* The running definition, or (inactive) the one the next start uses. */
void domain_config(struct domain *d, bool inactive, struct dom_config *out);
/* Per-vCPU state; -E_INVAL when not active. */
int domain_vcpus(struct domain *d, struct mgmt_vcpu *out, unsigned max);
/* VM exits by basic reason, this run's so far or the last run's. */
void domain_exit_counts(struct domain *d, uint64_t counts[EXIT_REASON_COUNT]);
/* A vCPU has left the CPU for good; tears down when it was the last. */
void domain_vcpu_stopped(struct vcpu *v);
/* Something happened that a halted vCPU may be waiting for. */
void domain_wake(struct domain *d);

/* ---- vmm/vcpu.c */
struct vcpu *vcpu_create(struct domain *d, uint32_t index);
void vcpu_destroy(struct vcpu *v);
/* Put the boot vCPU in 32-bit protected mode at 'entry' (multiboot). */
void vcpu_set_protected_entry(struct vcpu *v, uint32_t entry, uint32_t eax, uint32_t ebx);
/* Run the vCPU on this CPU until its slice ends, it halts or its domain
 * stops. Interrupts must be enabled; returns with them enabled. */
enum exit_action vcpu_run_slice(struct vcpu *v, uint64_t slice_tsc);
/* Make a hardware exception pending for the next VM entry (VMCS current). */
void vcpu_inject_exception(struct vcpu *v, unsigned vector, bool has_error, uint32_t error);

/* ---- vmm/sched.c */
void sched_init(void);
void sched_enqueue(struct vcpu *v);
/* Run one slice of the next runnable vCPU; false when there was none. */
bool sched_run_once(void);
/* This CPU has nothing else to do: run guests or halt until an interrupt. */
void sched_idle_once(void);
void __attribute__((noreturn)) sched_cpu_loop(void);
/* INVEPT/INVVPID everywhere before the next VM entry (tables were freed). */
void sched_flush_tlbs(void);
extern volatile uint64_t tlb_generation;

/* ---- vmm/boot.c, vmm/mgmt.c */
/* Define the configured domains, start the autostart ones, and make idle
 * CPUs run guests. */
void vmm_init(void);
/* Give the shell the domain commands. */
void mgmt_init(void);
/* A new UUID (version 4) for a definition without one. */
void domain_new_uuid(uint8_t uuid[UUID_LEN]);

#endif
