/*
 * Guest power-management hardware (see vpm.h).
 *
 * PM block: ACPI 6.5 section 4.8.3 (4.8.3.1 PM1 event registers, tables
 * 4.11/4.12; 4.8.3.2 PM1 control, table 4.13; 4.8.3.3 the PM timer). The
 * FADT sets TMR_VAL_EXT (vmm/acpigen.c), so the timer is 32 bits wide and
 * TMR_STS is set whenever its bit 31 toggles. Modelled status bits:
 * TMR_STS, PWRBTN_STS, WAK_STS; enables: TMR_EN, PWRBTN_EN, plus GBL_EN
 * and RTC_EN, which are kept but have no events behind them. Everything
 * else reads 0 and ignores writes. SCI_EN reads 1 (no SMI command port:
 * the machine is always in ACPI mode).
 *
 * Sleep: SLP_EN with the \_S5 SLP_TYP reports VPM_POWEROFF. Any other
 * SLP_TYP does not sleep: WAK_STS is set at once, as if the machine had
 * woken straight away, so an OS waiting for WAK_STS does not hang.
 *
 * Reset control register 0xCF9 (Intel 82371AB PIIX4 data sheet 4.1.17 and
 * the ICH data sheets' "Reset Control Register"): bit 1 SYS_RST selects a
 * hard reset, bit 2 RST_CPU starts the reset on a 0->1 transition, bit 3
 * FULL_RST asks for a power cycle. Every reset here is a full reset.
 *
 * i8042: the 8042 controller commands of the IBM PC/AT technical
 * reference: 0x20/0x60 read/write the command byte, 0xAA self test,
 * 0xAD/0xAE/0xA7/0xA8 disable/enable the ports, 0xF0-0xFF pulse output
 * port bits whose command bit is 0; bit 0 is the CPU reset line.
 */
#include "kernel/errno.h"
#include "vmm/vpm.h"

/* PM block byte offsets. */
#define OFF_STS		(ACPIGEN_PM1_EVT_OFF)
#define OFF_EN		(ACPIGEN_PM1_EVT_OFF + ACPIGEN_PM1_EVT_LEN / 2)
#define OFF_CNT		ACPIGEN_PM1_CNT_OFF
#define OFF_TMR		ACPIGEN_PM_TMR_OFF

#define STS_MODELLED	(VPM_PM1_TMR | VPM_PM1_PWRBTN | VPM_PM1_WAK_STS)
/* The global-lock and RTC enables hold what the OS writes (ACPICA reads
 * them back and complains otherwise) though neither event ever occurs. */
#define EN_WRITABLE	(VPM_PM1_TMR | VPM_PM1_GBL | VPM_PM1_PWRBTN | VPM_PM1_RTC)
#define SCI_SOURCES	(VPM_PM1_TMR | VPM_PM1_PWRBTN)	/* WAK_STS has no enable */
#define TMR_HALF_SHIFT	31				/* TMR_STS: bit 31 toggles */
#define TMR_UNSEEN	UINT64_MAX

#define CF9_SYS_RST	0x02
#define CF9_RST_CPU	0x04
#define CF9_FULL_RST	0x08
#define CF9_WRITABLE	(CF9_SYS_RST | CF9_RST_CPU | CF9_FULL_RST)

#define KBC_STS_OBF	0x01	/* output buffer full */
#define KBC_STS_SYS	0x04	/* system flag, from the command byte */
#define KBC_STS_CMD	0x08	/* last write was a command */
#define KBC_STS_UNLOCKED 0x10	/* keyboard not inhibited */
#define KBC_CTR_SYS	0x04
#define KBC_CTR_KBD_OFF	0x10
#define KBC_CTR_AUX_OFF	0x20
#define KBC_CTR_DEFAULT	0x44	/* system flag, scan-code translation */
#define KBC_CMD_READ_CTR  0x20
#define KBC_CMD_WRITE_CTR 0x60
#define KBC_CMD_AUX_OFF	0xa7
#define KBC_CMD_AUX_ON	0xa8
#define KBC_CMD_SELFTEST 0xaa
#define KBC_CMD_KBD_OFF	0xad
#define KBC_CMD_KBD_ON	0xae
#define KBC_CMD_PULSE	0xf0	/* 0xF0-0xFF: pulse bits 3:0 that are 0 */
#define KBC_PULSE_RESET	0x01
#define KBC_SELFTEST_OK	0x55

#define LINE_MAX_ROUNDS	8
#define NO_EVENT	(-1)

/* ------------------------------------------------------------ SCI */

/*
 * As in vrtc.c: one CPU at a time tells sci() the level, outside the lock,
 * until the level told matches the model's. line_update() returns true when
 * the caller must run line_tell() after unlocking.
 */
static bool line_update(struct vpm *pm)
{
	pm->sci_level = pm->sts & pm->en & SCI_SOURCES;
	if (pm->telling || pm->sci_level == pm->sci_told)
		return false;
	pm->telling = true;
	return true;
}

static void line_tell(struct vpm *pm)
{
	for (unsigned i = 0; i < LINE_MAX_ROUNDS; i++) {
		bool level;

		spin_lock(&pm->lock);
		if (pm->sci_level == pm->sci_told) {
			pm->telling = false;
			spin_unlock(&pm->lock);
			return;
		}
		level = pm->sci_told = pm->sci_level;
		spin_unlock(&pm->lock);
		pm->sci(pm->ctx, level);
	}
	spin_lock(&pm->lock);
	pm->telling = false;
	spin_unlock(&pm->lock);
}

/* Drop the lock, then tell the SCI and any power event. */
static void finish(struct vpm *pm, int ev)
{
	bool tell = line_update(pm);

	spin_unlock(&pm->lock);
	if (tell)
		line_tell(pm);
	if (ev != NO_EVENT)
		pm->power(pm->ctx, (enum vpm_event)ev);
}

/* ------------------------------------------------------------ PM timer */

/* Timer counts since TSC 0: floor(now * 3579545 / tsc_hz) without a
 * 128-bit division (the remainder product stays below 2^62). */
static uint64_t tmr_count(const struct vpm *pm, uint64_t now)
{
	return now / pm->tsc_hz * VPM_TIMER_HZ + now % pm->tsc_hz * VPM_TIMER_HZ / pm->tsc_hz;
}

/* The first TSC at which the count reaches k. */
static uint64_t tmr_tsc(const struct vpm *pm, uint64_t k)
{
	uint64_t t;

	if (__builtin_mul_overflow(k / VPM_TIMER_HZ, pm->tsc_hz, &t) ||
	    __builtin_add_overflow(t, (k % VPM_TIMER_HZ * pm->tsc_hz + VPM_TIMER_HZ - 1) /
				   VPM_TIMER_HZ, &t))
		return UINT64_MAX;
	return t;
}

static void catch_up(struct vpm *pm, uint64_t now)
{
	uint64_t half = tmr_count(pm, now) >> TMR_HALF_SHIFT;

	if (pm->tmr_half != TMR_UNSEEN && half > pm->tmr_half)
		pm->sts |= VPM_PM1_TMR;
	if (pm->tmr_half == TMR_UNSEEN || half > pm->tmr_half)
		pm->tmr_half = half;
}

/* ------------------------------------------------------------ PM block */

static uint8_t pm_read_byte(const struct vpm *pm, uint64_t off, uint32_t tmr)
{
	uint16_t cnt = (uint16_t)(pm->cnt | ACPIGEN_PM1_CNT_SCI_EN);

	switch (off) {
	case OFF_STS:
	case OFF_STS + 1:
		return (uint8_t)(pm->sts >> (8 * (off - OFF_STS)));
	case OFF_EN:
	case OFF_EN + 1:
		return (uint8_t)(pm->en >> (8 * (off - OFF_EN)));
	case OFF_CNT:
	case OFF_CNT + 1:
		return (uint8_t)(cnt >> (8 * (off - OFF_CNT)));
	case OFF_TMR ... OFF_TMR + ACPIGEN_PM_TMR_LEN - 1:
		return (uint8_t)(tmr >> (8 * (off - OFF_TMR)));
	default:
		return 0;
	}
}

/* The high byte of PM1_CNT holds SLP_TYP and SLP_EN together. */
static int write_cnt(struct vpm *pm, unsigned shift, uint8_t v)
{
	uint16_t val = (uint16_t)(v << shift), mask = (uint16_t)(0xff << shift);
	unsigned typ;

	pm->cnt = (uint16_t)((pm->cnt & ~mask) | (val & ACPIGEN_PM1_CNT_SLP_TYP_MASK & mask));
	if (!(val & ACPIGEN_PM1_CNT_SLP_EN))
		return NO_EVENT;
	typ = (pm->cnt & ACPIGEN_PM1_CNT_SLP_TYP_MASK) >> ACPIGEN_PM1_CNT_SLP_TYP_SHIFT;
	if (typ == pm->s5)
		return VPM_POWEROFF;
	pm->sts |= VPM_PM1_WAK_STS;	/* no other sleep state: "woken" at once */
	return NO_EVENT;
}

static int pm_write_byte(struct vpm *pm, uint64_t off, uint8_t v)
{
	switch (off) {
	case OFF_STS:
	case OFF_STS + 1:
		pm->sts &= (uint16_t)~(v << (8 * (off - OFF_STS)));	/* write 1 to clear */
		return NO_EVENT;
	case OFF_EN:
	case OFF_EN + 1:
		pm->en = (uint16_t)((pm->en & ~(0xff << (8 * (off - OFF_EN)))) |
				    ((v << (8 * (off - OFF_EN))) & EN_WRITABLE));
		return NO_EVENT;
	case OFF_CNT:
	case OFF_CNT + 1:
		return write_cnt(pm, 8 * (unsigned)(off - OFF_CNT), v);
	default:
		return NO_EVENT;	/* the timer is read-only */
	}
}

/* Accesses of any width go byte by byte; the timer is sampled once. */
static int vpm_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	struct vpm *pm = ctx;
	uint64_t now = pm->clock(pm->ctx);
	uint32_t tmr;

	*val = 0;
	spin_lock(&pm->lock);
	catch_up(pm, now);
	tmr = (uint32_t)tmr_count(pm, now);
	for (unsigned i = 0; i < size && i < 8; i++)
		*val |= (uint64_t)pm_read_byte(pm, off + i, tmr) << (8 * i);
	finish(pm, NO_EVENT);
	return 0;
}

static int vpm_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	struct vpm *pm = ctx;
	uint64_t now = pm->clock(pm->ctx);
	int ev = NO_EVENT;

	spin_lock(&pm->lock);
	catch_up(pm, now);
	for (unsigned i = 0; i < size && i < 8; i++) {
		int e = pm_write_byte(pm, off + i, (uint8_t)(val >> (8 * i)));

		if (e != NO_EVENT)
			ev = e;
	}
	finish(pm, ev);
	return 0;
}

const struct io_ops vpm_ops = { vpm_read, vpm_write };

/* ------------------------------------------------------------ 0xCF9 */

static int reset_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	struct vpm *pm = ctx;

	spin_lock(&pm->lock);
	*val = pm->cf9;
	spin_unlock(&pm->lock);
	return 0;
}

/* RST_CPU going 0->1 resets; so does the FADT's reset value (0x06) or
 * 0x0E even when RST_CPU was left set, since a reset is what the guest
 * unmistakably asked for. */
static int reset_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	struct vpm *pm = ctx;
	uint8_t v = (uint8_t)val;
	int ev = NO_EVENT;

	spin_lock(&pm->lock);
	if ((v & CF9_RST_CPU) && (!(pm->cf9 & CF9_RST_CPU) || (v & CF9_SYS_RST)))
		ev = VPM_RESET;
	pm->cf9 = v & CF9_WRITABLE;
	finish(pm, ev);
	return 0;
}

const struct io_ops vpm_reset_ops = { reset_read, reset_write };

/* ------------------------------------------------------------ i8042 */

static void kbc_queue(struct vpm *pm, uint8_t v)
{
	pm->kbc_out = v;
	pm->kbc_out_full = true;
}

static int kbc_command(struct vpm *pm, uint8_t cmd)
{
	pm->kbc_want_ctr = false;
	if (cmd >= KBC_CMD_PULSE)
		return (cmd & KBC_PULSE_RESET) ? NO_EVENT : VPM_RESET;
	switch (cmd) {
	case KBC_CMD_READ_CTR:
		kbc_queue(pm, pm->kbc_ctr);
		break;
	case KBC_CMD_WRITE_CTR:
		pm->kbc_want_ctr = true;
		break;
	case KBC_CMD_SELFTEST:
		kbc_queue(pm, KBC_SELFTEST_OK);
		break;
	case KBC_CMD_KBD_OFF:
		pm->kbc_ctr |= KBC_CTR_KBD_OFF;
		break;
	case KBC_CMD_KBD_ON:
		pm->kbc_ctr &= (uint8_t)~KBC_CTR_KBD_OFF;
		break;
	case KBC_CMD_AUX_OFF:
		pm->kbc_ctr |= KBC_CTR_AUX_OFF;
		break;
	case KBC_CMD_AUX_ON:
		pm->kbc_ctr &= (uint8_t)~KBC_CTR_AUX_OFF;
		break;
	default:
		break;		/* not modelled: ignored */
	}
	return NO_EVENT;
}

static int kbc_status_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	struct vpm *pm = ctx;

	spin_lock(&pm->lock);
	/* Input buffer full (bit 1) stays 0: every byte is taken at once. */
	*val = (pm->kbc_out_full ? KBC_STS_OBF : 0) |
	       (pm->kbc_ctr & KBC_CTR_SYS ? KBC_STS_SYS : 0) |
	       (pm->kbc_last_cmd ? KBC_STS_CMD : 0) | KBC_STS_UNLOCKED;
	spin_unlock(&pm->lock);
	return 0;
}

static int kbc_command_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	struct vpm *pm = ctx;
	int ev;

	spin_lock(&pm->lock);
	pm->kbc_last_cmd = true;
	ev = kbc_command(pm, (uint8_t)val);
	finish(pm, ev);
	return 0;
}

/* Reading the output buffer empties it; an empty buffer reads 0. */
static int kbc_data_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	struct vpm *pm = ctx;

	spin_lock(&pm->lock);
	*val = pm->kbc_out_full ? pm->kbc_out : 0;
	pm->kbc_out_full = false;
	spin_unlock(&pm->lock);
	return 0;
}

/* A data byte is the command byte after 0x60; otherwise it would go to the
 * keyboard, and there is none. */
static int kbc_data_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	struct vpm *pm = ctx;

	spin_lock(&pm->lock);
	pm->kbc_last_cmd = false;
	if (pm->kbc_want_ctr)
		pm->kbc_ctr = (uint8_t)val;
	pm->kbc_want_ctr = false;
	spin_unlock(&pm->lock);
	return 0;
}

const struct io_ops vpm_i8042_data_ops = { kbc_data_read, kbc_data_write };
const struct io_ops vpm_i8042_cmd_ops = { kbc_status_read, kbc_command_write };

/* ------------------------------------------------------------ API */

void vpm_init(struct vpm *pm, uint16_t base, uint8_t s5_slp_typ, uint64_t tsc_hz,
	      uint64_t (*clock)(void *ctx), void (*sci)(void *ctx, bool level),
	      void (*power)(void *ctx, enum vpm_event ev), void *ctx)
{
	memset(pm, 0, sizeof(*pm));
	pm->base = base ? base : ACPIGEN_PM_BASE_DEFAULT;
	pm->s5 = s5_slp_typ;
	pm->tsc_hz = MIN(MAX(tsc_hz, VPM_TSC_HZ_MIN), VPM_TSC_HZ_MAX);
	pm->tmr_half = TMR_UNSEEN;
	pm->kbc_ctr = KBC_CTR_DEFAULT;
	pm->clock = clock;
	pm->sci = sci;
	pm->power = power;
	pm->ctx = ctx;
}

void vpm_power_button(struct vpm *pm)
{
	spin_lock(&pm->lock);
	pm->sts |= VPM_PM1_PWRBTN;
	finish(pm, NO_EVENT);
}

uint64_t vpm_poll(struct vpm *pm, uint64_t now)
{
	uint64_t deadline = UINT64_MAX;

	spin_lock(&pm->lock);
	catch_up(pm, now);
	if ((pm->en & VPM_PM1_TMR) && pm->tmr_half < TMR_UNSEEN >> TMR_HALF_SHIFT)
		deadline = tmr_tsc(pm, (pm->tmr_half + 1) << TMR_HALF_SHIFT);
	finish(pm, NO_EVENT);
	return deadline;
}
