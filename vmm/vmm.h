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
 * processor that was never started) or STOPPED.
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
#include "vmm/platform.h"
#include "vmm/vlapic.h"
#include "vmm/vuart.h"

#define MAX_DOMAINS		32
#define MAX_VCPUS		64

enum dom_state {
	DOM_SHUTOFF,		/* defined, not running */
	DOM_RUNNING,		/* shown as "idle" when every vCPU is halted */
	DOM_PAUSED,
	DOM_CRASHED,		/* stopped by a guest fault (on_crash=destroy) */
};

/* Why a run ends; with the domain's on_* actions this says what follows. */
enum stop_cause {
	STOP_DESTROY,		/* the operator's destroy: stays off */
	STOP_POWEROFF,		/* the guest powered off (S5, debug-exit): on_poweroff */
	STOP_RESET,		/* the guest reset the machine: on_reboot */
	STOP_CRASH,		/* a guest fault Keel cannot go on from: on_crash */
};

enum vcpu_state {
	VCPU_STOPPED,
	VCPU_RUNNABLE,
	VCPU_RUNNING,
	VCPU_HALTED,
	VCPU_WAIT_SIPI,
};

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
	bool autostart;			/* [cfg] */
	spinlock_t lock;
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

/* ---- vmm/domain.c */
struct domain *domain_find(const char *name_or_id);
int domain_define(const struct dom_config *cfg, const char *file, struct domain **out);
int domain_start(struct domain *d, char *why, size_t whylen);
/* Ask the domain to stop; the last vCPU to leave its CPU tears it down.
 * 'reason' is "" for an operator's request. */
void domain_stop(struct domain *d, enum stop_cause cause, int64_t exit_status,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Press the virtual power button (ACPI); 'reboot' starts the domain again
 * once the guest has powered off. -E_INVAL when it is not running. */
int domain_shutdown(struct domain *d, bool reboot);
/* Stop and wait until the domain's resources are gone (the shell's destroy). */
int domain_destroy(struct domain *d);
/* virsh's word for the domain's state. */
const char *domain_state_name(struct domain *d);
/* TSC cycles the domain's vCPUs have run (this run, or the last one). */
uint64_t domain_cpu_tsc(struct domain *d);
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

/* ---- vmm/boot.c, vmm/commands.c */
/* Define the configured domains, start the autostart ones, and make idle
 * CPUs run guests. */
void vmm_init(void);
void vmm_commands_init(void);

#endif
