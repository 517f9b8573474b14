/* Leveled diagnostics: one formatted line per call, written to a pluggable sink. */
#include "log.h"

#include "rt.h"

int log_current_level = LOG_ERROR;

static log_sink_fn g_sink;
static const char* g_prefix = "kernite";

static const char* const g_level_names[] = {
    [LOG_NONE] = "none",   [LOG_ERROR] = "error", [LOG_WARNING] = "warning",
    [LOG_DEBUG] = "debug", [LOG_TRACE] = "trace",
};

void log_set_sink(log_sink_fn sink) {
    g_sink = sink;
}

void log_set_prefix(const char* prefix) {
    g_prefix = prefix;
}

int log_level_from_name(const char* name) {
    for (int i = 0; i < (int)(sizeof(g_level_names) / sizeof(g_level_names[0])); i++) {
        if (!strcmp(name, g_level_names[i]))
            return i;
    }
    return -1;
}

const char* log_level_name(int level) {
    if (level < 0 || level > LOG_TRACE)
        return "?";
    return g_level_names[level];
}

void log_vprintf(int level, const char* fmt, va_list ap) {
    char buf[1024];
    int len;

    if (level > log_current_level || !g_sink)
        return;

    len = snprintf(buf, sizeof(buf), "%s: %s: ", g_prefix, g_level_names[level]);
    if (len < 0 || (size_t)len >= sizeof(buf))
        len = 0;
    int body = vsnprintf(buf + len, sizeof(buf) - len, fmt, ap);
    if (body < 0)
        body = 0;
    len += body;
    if ((size_t)len >= sizeof(buf) - 1)
        len = sizeof(buf) - 2;
    buf[len++] = '\n';
    g_sink(buf, len);
}

void log_printf(int level, const char* fmt, ...) {
    va_list ap;

    va_start(ap, fmt);
    log_vprintf(level, fmt, ap);
    va_end(ap);
}
