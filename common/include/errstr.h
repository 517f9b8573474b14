/* Human-readable names of errno values, for messages that name what went wrong. */
#ifndef KERNITE_ERRSTR_H
#define KERNITE_ERRSTR_H

/* errnum may be given as positive or negative; unknown values give "error N". The result for an
 * unknown value lives in a static buffer (messages are printed one at a time). */
const char* errstr(int errnum);
/* The symbolic name: "ENOENT". */
const char* errname(int errnum);

#endif
