/*
 * The management interface: everything the shell's domain commands
 * (vmm/virsh.c) may ask of the domain layer, as one ops table.
 *
 * The kernel's table (vmm/mgmt.c) works on the real domains; the unit tests
 * pass a fake one, so the command table, argument handling and every output
 * format are tested without a machine. Commands never hold a domain: they
 * name it by UUID in each call and get copies (struct mgmt_dom), so a
 * domain that goes away between two calls is simply not found.
 *
 * Every op returns 0 or a negative E_* code; the meaning of each code is
 * part of the contract below, because virsh.c turns codes into virsh's
 * messages.
 */
#ifndef KEEL_VMM_MGMT_H
#define KEEL_VMM_MGMT_H

#include "arch/vmcs.h"
#include "kernel/klib.h"
#include "vmm/domxml.h"
#include "vmm/uuid.h"

enum dom_state {
	DOM_SHUTOFF,		/* defined, not running */
	DOM_RUNNING,		/* shown as "idle" when every vCPU is halted */
	DOM_PAUSED,		/* suspended by the operator: no vCPU runs */
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
	VCPU_PAUSED,		/* runnable, but its domain is suspended */
};

#define MGMT_REASON_MAX		160

/* A copy of one domain's state, taken under its lock. */
struct mgmt_dom {
	char name[DOM_NAME_MAX];
	uint8_t uuid[UUID_LEN];
	int id;				/* virsh's Id while active, else -1 */
	enum dom_state state;
	bool busy;			/* running: some vCPU is not halted */
	bool has_stopped;		/* a run has ended since it was defined */
	enum stop_cause stop_cause;	/* why the last run ended */
	bool persistent;		/* false: gone when it stops */
	bool autostart;
	uint32_t vcpus;
	uint64_t memory_bytes, current_memory_bytes;
	uint64_t cpu_ns;		/* this run's CPU time, or the last run's */
	int64_t exit_status;		/* from the debug-exit port, or -1 */
	char reason[MGMT_REASON_MAX];	/* why it stopped; "" when asked to */
};

struct mgmt_vcpu {
	int cpu;			/* physical CPU it runs or last ran on, or -1 */
	enum vcpu_state state;
	uint64_t cpu_ns;
};

/* Called with each chunk of a domain's console output. */
typedef void (*mgmt_sink_fn)(void *ctx, const char *s, size_t n);

struct mgmt_ops {
	/* The index-th domain in definition order; false past the end. */
	bool (*get)(void *ctx, unsigned index, struct mgmt_dom *out);
	/* By name, Id (active domains) or UUID; -E_NOENT if none. */
	int (*lookup)(void *ctx, const char *key, struct mgmt_dom *out);

	/* Define from XML; with `start`, a transient domain started at once
	 * (virsh create). *out is the new domain. Errors, with `why` set:
	 * -E_INVAL/-E_NOTSUP/-E_RANGE the XML (why names the line),
	 * -E_EXIST a clash with another domain's name or UUID, -E_BUSY a
	 * redefinition of a domain that is starting or stopping, -E_NOMEM,
	 * or (start) why it could not start: nothing is then left defined. */
	int (*define)(void *ctx, const char *xml, size_t len, bool start, struct mgmt_dom *out,
		      char *why, size_t whylen);
	/* -E_INVAL: transient. A running domain stays, transient. */
	int (*undefine)(void *ctx, const uint8_t *uuid);
	/* -E_BUSY: active; other errors with why set. */
	int (*start)(void *ctx, const uint8_t *uuid, char *why, size_t whylen);
	/* -E_INVAL: not active; -E_TIMEDOUT: its vCPUs did not stop. */
	int (*destroy)(void *ctx, const uint8_t *uuid);
	/* Press the ACPI power button. -E_INVAL: not running (paused included). */
	int (*shutdown)(void *ctx, const uint8_t *uuid, bool reboot);
	/* -E_INVAL: not active. Suspending a paused domain or resuming a
	 * running one changes nothing and succeeds, as in libvirt. */
	int (*suspend)(void *ctx, const uint8_t *uuid);
	int (*resume)(void *ctx, const uint8_t *uuid);
	/* -E_INVAL: transient. */
	int (*set_autostart)(void *ctx, const uint8_t *uuid, bool on);

	/* The definition: `inactive` asks for the one the next start uses (a
	 * redefinition while running), otherwise the running one. */
	int (*config)(void *ctx, const uint8_t *uuid, bool inactive, struct dom_config *out);
	/* Up to max vCPUs; returns how many, or -E_INVAL when not active. */
	int (*vcpus)(void *ctx, const uint8_t *uuid, struct mgmt_vcpu *out, unsigned max);
	/* VM exits by basic reason: this run's so far, or the last run's. */
	int (*exit_counts)(void *ctx, const uint8_t *uuid, uint64_t counts[EXIT_REASON_COUNT]);
	const char *(*exit_name)(unsigned reason);
	unsigned (*host_cpus)(void *ctx);

	/* A file of the boot medium's configuration directory (-E_NOENT), and
	 * the index-th file's name (false past the end). */
	int (*read_file)(void *ctx, const char *name, const char **data, size_t *len);
	bool (*file_name)(void *ctx, unsigned index, const char **name);
	/* Text typed or pasted on the console up to Ctrl-D, echoed. -E_RANGE
	 * when it exceeds max (the rest up to Ctrl-D is read and dropped),
	 * -E_CANCELED on Ctrl-C. */
	int (*read_paste)(void *ctx, char *buf, size_t max, size_t *len);
	/* Attach the console until Ctrl-] or the end of the run (-E_INVAL
	 * when not active), or with history_only pass the output kept from
	 * the last run to sink. */
	int (*console)(void *ctx, const uint8_t *uuid, bool history_only, mgmt_sink_fn sink,
		       void *sink_ctx);
};

/* What vmm/virsh.c registers with the shell: its shell_config ctx must be
 * a struct mgmt, and its completion hook virsh_complete(). */
struct mgmt {
	const struct mgmt_ops *ops;
	void *ctx;
};

#endif
