/*
 * Ticket spinlocks. spin_lock_irqsave() also disables interrupts on this CPU
 * so that an interrupt handler taking the same lock cannot deadlock.
 * In hosted builds (unit tests) they compile to plain counters.
 */
#ifndef KEEL_SPINLOCK_H
#define KEEL_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
	volatile uint32_t next;
	volatile uint32_t owner;
} spinlock_t;

#define SPINLOCK_INIT { 0, 0 }

static inline void spin_lock(spinlock_t *l)
{
	uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_ACQUIRE);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		__builtin_ia32_pause();
}

/* Take the lock only if nobody holds or waits for it. */
static inline bool spin_trylock(spinlock_t *l)
{
	uint32_t owner = __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE);
	uint32_t expect = owner;

	return __atomic_compare_exchange_n(&l->next, &expect, owner + 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

#ifndef KEEL_HOSTED
static inline uint64_t spin_lock_irqsave(spinlock_t *l)
{
	uint64_t flags;

	__asm__ volatile("pushfq; pop %0; cli" : "=r"(flags) : : "memory");
	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, uint64_t flags)
{
	spin_unlock(l);
	if (flags & (1u << 9))	/* RFLAGS.IF */
		__asm__ volatile("sti" ::: "memory");
}
#endif

#endif
