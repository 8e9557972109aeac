/*
 * The guest's power-management hardware:
 *  - the ACPI fixed-hardware PM register block (ACPI 6.5 section 4.8):
 *    PM1a status and enable (timer, power button, wake), PM1a control
 *    (SLP_TYP/SLP_EN: soft-off) and the 32-bit 3.579545 MHz PM timer, at
 *    the I/O base the FADT names (vmm/acpigen.h has the layout);
 *  - the reset control register at port 0xCF9 (PIIX4/ICH);
 *  - a minimal i8042 keyboard controller at ports 0x60/0x64, there for its
 *    pulse-reset command 0xFE (no keyboard or mouse behind it).
 *
 * Power-off and reset are reported through power(); the SCI (ISA IRQ 9,
 * level, active high) through sci(). Neither is called with the lock held.
 *
 * Built hosted too (tests/unit/test_vpm.c).
 */
#ifndef KEEL_VMM_VPM_H
#define KEEL_VMM_VPM_H

#include "kernel/klib.h"
#include "kernel/spinlock.h"
#include "vmm/acpigen.h"
#include "vmm/iospace.h"

#define VPM_TIMER_HZ		3579545ULL
#define VPM_I8042_DATA	0x60
#define VPM_I8042_CMD	0x64
/* Accepted TSC rates; vpm_init() clamps into this range. */
#define VPM_TSC_HZ_MIN		1ULL
#define VPM_TSC_HZ_MAX		(1ULL << 40)

/* PM1 status/enable bits that are modelled (ACPI 6.5 tables 4.11, 4.12). */
#define VPM_PM1_TMR		(1u << 0)
#define VPM_PM1_GBL		(1u << 5)	/* global lock release (enable only) */
#define VPM_PM1_PWRBTN		(1u << 8)
#define VPM_PM1_RTC		(1u << 10)	/* RTC alarm (enable only) */
#define VPM_PM1_WAK_STS		(1u << 15)

enum vpm_event { VPM_POWEROFF, VPM_RESET };

/*
 * Fields under 'lock', except those vpm_init() writes once: base, s5,
 * tsc_hz and the callbacks.
 */
struct vpm {
	spinlock_t lock;
	uint16_t base;			/* I/O port of the PM block */
	uint8_t s5;			/* SLP_TYP meaning soft-off */
	uint64_t tsc_hz;
	uint64_t tmr_half;		/* timer count >> 31 last seen (TMR_STS);
					 * UINT64_MAX before the first look */
	uint16_t sts, en, cnt;		/* PM1a registers */
	uint8_t cf9;			/* reset control register */
	/* i8042 */
	uint8_t kbc_ctr;		/* controller command byte */
	uint8_t kbc_out;		/* output buffer */
	bool kbc_out_full;
	bool kbc_want_ctr;		/* next data byte is the command byte */
	bool kbc_last_cmd;		/* last write went to port 0x64 */
	/* SCI as the model drives it / as last told to sci() */
	bool sci_level, sci_told, telling;
	uint64_t (*clock)(void *ctx);
	void (*sci)(void *ctx, bool level);
	void (*power)(void *ctx, enum vpm_event ev);
	void *ctx;
};

/* ctx = struct vpm * for all four:
 *   vpm_ops             at 'base', ACPIGEN_PM_BLOCK_LEN ports
 *   vpm_reset_ops       at ACPIGEN_RESET_PORT, 1 port
 *   vpm_i8042_data_ops  at VPM_I8042_DATA, 1 port
 *   vpm_i8042_cmd_ops   at VPM_I8042_CMD, 1 port
 * (two i8042 ranges, because port 0x61 between them belongs to the PIT). */
extern const struct io_ops vpm_ops, vpm_reset_ops, vpm_i8042_data_ops, vpm_i8042_cmd_ops;

/*
 * base: where the block is (ACPIGEN_PM_BASE_DEFAULT if 0); s5_slp_typ: the
 * \_S5 SLP_TYP value of the guest's DSDT; clock(ctx): the current TSC,
 * called in the port handlers; sci(ctx, level): the SCI line, called on
 * changes; power(ctx, ev): soft-off or reset requested (may come more than
 * once if the guest insists: make it idempotent). The PM timer counts
 * from TSC 0, like a timer started at power-on; vpm_init() calls nothing.
 */
void vpm_init(struct vpm *pm, uint16_t base, uint8_t s5_slp_typ, uint64_t tsc_hz,
	      uint64_t (*clock)(void *ctx), void (*sci)(void *ctx, bool level),
	      void (*power)(void *ctx, enum vpm_event ev), void *ctx);
/* The operator pressed the power button: PWRBTN_STS, and the SCI if the
 * guest enabled it. */
void vpm_power_button(struct vpm *pm);
/* Sets TMR_STS when bit 31 of the PM timer has toggled. Returns the TSC of
 * the next toggle while TMR_EN is set, else UINT64_MAX; call again after
 * the guest wrote PM1_EN. */
uint64_t vpm_poll(struct vpm *pm, uint64_t now);

#endif
