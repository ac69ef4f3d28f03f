/* A test-and-set spinlock for the few structures CPUs share (the console,
 * the page allocator, the VM table: docs/ARCHITECTURE.md, "Locking"). */
#ifndef HV_SPINLOCK_H
#define HV_SPINLOCK_H

struct spinlock {
	volatile int locked;
};

/* In a spin-wait loop: PAUSE, which spares a sibling thread's time. */
static inline void cpu_relax(void)
{
	__asm__ volatile("pause");
}

static inline void spin_lock(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (l->locked)
			cpu_relax();
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif
