/* The names mbedTLS's headers take from <time.h>: time_t (glibc's on x86-64) and struct tm. */
#ifndef KERNITE_MBEDTLS_ENV_TIME_H
#define KERNITE_MBEDTLS_ENV_TIME_H

typedef long time_t;

/* glibc's layout, which gmtime_r in freestanding.c fills for mbedTLS. */
struct tm {
    int tm_sec;
    int tm_min;
    int tm_hour;
    int tm_mday;
    int tm_mon;
    int tm_year;
    int tm_wday;
    int tm_yday;
    int tm_isdst;
    long tm_gmtoff;
    const char* tm_zone;
};

#endif
