/* membarrier(2): a memory barrier on every running thread of the process. */
#include "libos.h"
#include "proc.h"

#include <linux/membarrier.h>

/*
 * Changing the protection of a page this process has touched makes the host kernel flush it
 * from the TLB of every CPU that runs one of the process's threads, by an interrupt that is a
 * full barrier on each of them. That is the guarantee MEMBARRIER_CMD_GLOBAL and the expedited
 * commands give for this process. Other processes sharing memory with this one are not
 * reached (there are none yet). The RSEQ and SYNC_CORE variants are not offered.
 */
#define MEMBARRIER_SUPPORTED                                                                       \
    (MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED |                                     \
     MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED |                 \
     MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)

static spinlock_t g_membarrier_lock = SPINLOCK_INIT;
static volatile uint8_t* g_membarrier_page;
static bool g_private_registered;

static int membarrier_all_threads(void) {
    int ret = 0;

    spinlock_lock(&g_membarrier_lock);
    if (!g_membarrier_page) {
        void* addr = NULL;
        ret = pal_mem_map(&addr, PAL_PAGE_SIZE, PAL_PROT_READ | PAL_PROT_WRITE, 0);
        if (ret < 0)
            goto out;
        g_membarrier_page = addr;
    }
    ret = pal_mem_protect((void*)g_membarrier_page, PAL_PAGE_SIZE, PAL_PROT_READ | PAL_PROT_WRITE);
    if (ret < 0)
        goto out;
    /* Touch it so that it is in this CPU's TLB, then take the access away again. */
    g_membarrier_page[0]++;
    ret = pal_mem_protect((void*)g_membarrier_page, PAL_PAGE_SIZE, PAL_PROT_NONE);
out:
    spinlock_unlock(&g_membarrier_lock);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return ret;
}

long sys_membarrier(int cmd, unsigned int flags, int cpu_id) {
    if (flags)
        return -EINVAL;

    switch (cmd) {
        case MEMBARRIER_CMD_QUERY:
            return MEMBARRIER_SUPPORTED;
        case MEMBARRIER_CMD_GLOBAL:
        case MEMBARRIER_CMD_GLOBAL_EXPEDITED:
            return membarrier_all_threads();
        case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED:
            return 0;
        case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
            __atomic_store_n(&g_private_registered, true, __ATOMIC_RELEASE);
            return 0;
        case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
            if (!__atomic_load_n(&g_private_registered, __ATOMIC_ACQUIRE))
                return -EPERM;
            return membarrier_all_threads();
        default:
            return -EINVAL;
    }
}
