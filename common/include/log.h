/* Leveled diagnostics shared by the library OS, the PAL and the host tools. */
#ifndef KERNITE_LOG_H
#define KERNITE_LOG_H

#include <stdarg.h>

enum log_level {
    LOG_NONE = 0,
    LOG_ERROR = 1,
    LOG_WARNING = 2,
    LOG_DEBUG = 3,
    LOG_TRACE = 4,
};

extern int log_current_level;

/* Where formatted lines go: the PAL's debug stream inside the library OS, stderr in tools. */
typedef void (*log_sink_fn)(const char* buf, unsigned long size);
void log_set_sink(log_sink_fn sink);
void log_set_prefix(const char* prefix);

/* Parses "none", "error", "warning", "debug", "trace"; returns -1 for anything else. */
int log_level_from_name(const char* name);
const char* log_level_name(int level);

void log_printf(int level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vprintf(int level, const char* fmt, va_list ap);

#define log_error(...)   log_printf(LOG_ERROR, __VA_ARGS__)
#define log_warning(...) log_printf(LOG_WARNING, __VA_ARGS__)
#define log_debug(...)                                                                       \
    do {                                                                                     \
        if (log_current_level >= LOG_DEBUG)                                                  \
            log_printf(LOG_DEBUG, __VA_ARGS__);                                              \
    } while (0)
#define log_trace(...)                                                                       \
    do {                                                                                     \
        if (log_current_level >= LOG_TRACE)                                                  \
            log_printf(LOG_TRACE, __VA_ARGS__);                                              \
    } while (0)

#endif
