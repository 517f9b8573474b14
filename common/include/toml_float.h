/* Conversions between decimal text and IEEE 754 doubles, shared by the TOML parser and dump. */
#ifndef KERNITE_TOML_FLOAT_H
#define KERNITE_TOML_FLOAT_H

#include <stddef.h>

/* Enough for every string toml_float_format writes, including the NUL. */
#define TOML_FLOAT_FORMAT_SIZE 40

/* Converts "[+-]DIGITS[.DIGITS][(e|E)[+-]DIGITS]" (already validated, no underscores) to the
 * nearest double, ties to even. Returns 0, or -ERANGE when the value rounds to infinity. */
int toml_float_parse(const char* text, size_t len, double* out);

/* Writes a form that toml_float_parse reads back to the same double ("0.1", "-0.0", "5e+22",
 * "inf", "-inf", "nan"); returns its length. */
size_t toml_float_format(double value, char* buf);

#endif
