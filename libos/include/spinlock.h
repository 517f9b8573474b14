/* A minimal spinlock for short critical sections inside the library OS. */
#ifndef KERNITE_SPINLOCK_H
#define KERNITE_SPINLOCK_H

typedef struct {
    volatile int locked;
} spinlock_t;

#define SPINLOCK_INIT {0}

static inline void spinlock_lock(spinlock_t* l) {
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
            __builtin_ia32_pause();
    }
}

static inline void spinlock_unlock(spinlock_t* l) {
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif
