/* FPU/XSAVE areas in signal frames: their size, a reset state, and checked restores. */
#include "libos.h"
#include "proc.h"

#include <asm/sigcontext.h>

/* Offsets in the 512-byte FXSAVE region and the XSAVE header after it. */
#define FX_CWD_OFF        0
#define FX_MXCSR_OFF      24
#define FX_MXCSR_MASK_OFF 28
#define FX_SW_BYTES_OFF   464
#define FX_SIZE           512
#define XSAVE_HDR_OFF     512
#define XSAVE_HDR_SIZE    64
#define XSAVE_MAX_SIZE    (64 * 1024)

#define XFEATURE_FP_SSE   0x3ULL
#define MXCSR_DEFAULT     0x1f80
#define MXCSR_MASK_LEGACY 0xffbf /* what CPUs without the MXCSR_MASK field allow */
#define FCW_DEFAULT       0x037f

struct xsave_header {
    uint64_t xstate_bv;
    uint64_t xcomp_bv;
    uint64_t reserved[6];
};

static const struct _fpx_sw_bytes* fpstate_sw(const void* fp) {
    return (const struct _fpx_sw_bytes*)((const uint8_t*)fp + FX_SW_BYTES_OFF);
}

static bool fpstate_sw_valid(const struct _fpx_sw_bytes* sw) {
    return sw->magic1 == FP_XSTATE_MAGIC1 &&
           sw->extended_size >= FX_SIZE + XSAVE_HDR_SIZE + FP_XSTATE_MAGIC2_SIZE &&
           sw->extended_size <= XSAVE_MAX_SIZE &&
           sw->xstate_size + FP_XSTATE_MAGIC2_SIZE <= sw->extended_size;
}

size_t fpstate_size(const void* fpstate) {
    const struct _fpx_sw_bytes* sw = fpstate_sw(fpstate);
    return fpstate_sw_valid(sw) ? sw->extended_size : FX_SIZE;
}

static uint32_t load32(const void* base, size_t off) {
    uint32_t v;
    memcpy(&v, (const uint8_t*)base + off, sizeof(v));
    return v;
}

static void store32(void* base, size_t off, uint32_t v) {
    memcpy((uint8_t*)base + off, &v, sizeof(v));
}

static void store16(void* base, size_t off, uint16_t v) {
    memcpy((uint8_t*)base + off, &v, sizeof(v));
}

void fpstate_reset(void* dst) {
    const struct _fpx_sw_bytes* sw = fpstate_sw(dst);
    bool xsave = fpstate_sw_valid(sw);
    uint32_t xstate_size = xsave ? sw->xstate_size : FX_SIZE;

    memset(dst, 0, FX_SW_BYTES_OFF);
    store16(dst, FX_CWD_OFF, FCW_DEFAULT);
    store32(dst, FX_MXCSR_OFF, MXCSR_DEFAULT);
    /* An all-zero header asks XRSTOR for the initial state of every component. */
    if (xsave)
        memset((uint8_t*)dst + XSAVE_HDR_OFF, 0, xstate_size - XSAVE_HDR_OFF);
}

/*
 * The app may have changed the saved FPU state in its frame (that is allowed: handlers do it to
 * resume with other registers), or corrupted it. The host restores this area with XRSTOR on its
 * own signal return, where a bad MXCSR or header would fault, so those parts are masked, and the
 * software-reserved words the host kernel reads to size the area are always kept from dst.
 */
void fpstate_restore_checked(void* dst, const void* app_copy, size_t app_size) {
    struct _fpx_sw_bytes sw = *fpstate_sw(dst);
    bool xsave = fpstate_sw_valid(&sw);
    uint32_t mxcsr_mask = load32(dst, FX_MXCSR_MASK_OFF);
    if (!mxcsr_mask)
        mxcsr_mask = MXCSR_MASK_LEGACY;

    if (app_size < FX_SIZE)
        return;
    memcpy(dst, app_copy, FX_SW_BYTES_OFF);
    store32(dst, FX_MXCSR_OFF, load32(app_copy, FX_MXCSR_OFF) & mxcsr_mask);
    store32(dst, FX_MXCSR_MASK_OFF, mxcsr_mask);
    if (!xsave)
        return;

    struct xsave_header* hdr = (struct xsave_header*)((uint8_t*)dst + XSAVE_HDR_OFF);
    const struct _fpx_sw_bytes* app_sw = fpstate_sw(app_copy);
    if (app_size >= sw.extended_size && fpstate_sw_valid(app_sw) &&
        app_sw->extended_size == sw.extended_size && app_sw->xstate_size == sw.xstate_size) {
        memcpy(hdr, (const uint8_t*)app_copy + XSAVE_HDR_OFF, sw.xstate_size - XSAVE_HDR_OFF);
        hdr->xstate_bv &= sw.xfeatures;
    } else {
        /* A legacy-only frame: the extended components return to their initial state. */
        hdr->xstate_bv = XFEATURE_FP_SSE & sw.xfeatures;
    }
    hdr->xcomp_bv = 0;
    memset(hdr->reserved, 0, sizeof(hdr->reserved));
}
