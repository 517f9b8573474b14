/* Human-readable names of errno values, for messages that name what went wrong. */
#include "errstr.h"

#include "rt.h"

static const char* const g_messages[] = {
    [1] = "Operation not permitted",
    [2] = "No such file or directory",
    [3] = "No such process",
    [4] = "Interrupted system call",
    [5] = "Input/output error",
    [6] = "No such device or address",
    [7] = "Argument list too long",
    [8] = "Exec format error",
    [9] = "Bad file descriptor",
    [10] = "No child processes",
    [11] = "Resource temporarily unavailable",
    [12] = "Cannot allocate memory",
    [13] = "Permission denied",
    [14] = "Bad address",
    [15] = "Block device required",
    [16] = "Device or resource busy",
    [17] = "File exists",
    [18] = "Invalid cross-device link",
    [19] = "No such device",
    [20] = "Not a directory",
    [21] = "Is a directory",
    [22] = "Invalid argument",
    [23] = "Too many open files in system",
    [24] = "Too many open files",
    [25] = "Inappropriate ioctl for device",
    [26] = "Text file busy",
    [27] = "File too large",
    [28] = "No space left on device",
    [29] = "Illegal seek",
    [30] = "Read-only file system",
    [31] = "Too many links",
    [32] = "Broken pipe",
    [33] = "Numerical argument out of domain",
    [34] = "Numerical result out of range",
    [35] = "Resource deadlock avoided",
    [36] = "File name too long",
    [37] = "No locks available",
    [38] = "Function not implemented",
    [39] = "Directory not empty",
    [40] = "Too many levels of symbolic links",
    [61] = "No data available",
    [71] = "Protocol error",
    [74] = "Bad message",
    [75] = "Value too large for defined data type",
    [84] = "Invalid or incomplete multibyte or wide character",
    [88] = "Socket operation on non-socket",
    [90] = "Message too long",
    [92] = "Protocol not available",
    [93] = "Protocol not supported",
    [95] = "Operation not supported",
    [97] = "Address family not supported by protocol",
    [98] = "Address already in use",
    [99] = "Cannot assign requested address",
    [100] = "Network is down",
    [101] = "Network is unreachable",
    [104] = "Connection reset by peer",
    [105] = "No buffer space available",
    [106] = "Transport endpoint is already connected",
    [107] = "Transport endpoint is not connected",
    [110] = "Connection timed out",
    [111] = "Connection refused",
    [113] = "No route to host",
    [125] = "Operation canceled",
};

static const char* const g_names[] = {
    [1] = "EPERM",
    [2] = "ENOENT",
    [3] = "ESRCH",
    [4] = "EINTR",
    [5] = "EIO",
    [6] = "ENXIO",
    [7] = "E2BIG",
    [8] = "ENOEXEC",
    [9] = "EBADF",
    [10] = "ECHILD",
    [11] = "EAGAIN",
    [12] = "ENOMEM",
    [13] = "EACCES",
    [14] = "EFAULT",
    [15] = "ENOTBLK",
    [16] = "EBUSY",
    [17] = "EEXIST",
    [18] = "EXDEV",
    [19] = "ENODEV",
    [20] = "ENOTDIR",
    [21] = "EISDIR",
    [22] = "EINVAL",
    [23] = "ENFILE",
    [24] = "EMFILE",
    [25] = "ENOTTY",
    [26] = "ETXTBSY",
    [27] = "EFBIG",
    [28] = "ENOSPC",
    [29] = "ESPIPE",
    [30] = "EROFS",
    [31] = "EMLINK",
    [32] = "EPIPE",
    [33] = "EDOM",
    [34] = "ERANGE",
    [35] = "EDEADLK",
    [36] = "ENAMETOOLONG",
    [37] = "ENOLCK",
    [38] = "ENOSYS",
    [39] = "ENOTEMPTY",
    [40] = "ELOOP",
    [61] = "ENODATA",
    [71] = "EPROTO",
    [74] = "EBADMSG",
    [75] = "EOVERFLOW",
    [84] = "EILSEQ",
    [88] = "ENOTSOCK",
    [90] = "EMSGSIZE",
    [92] = "ENOPROTOOPT",
    [93] = "EPROTONOSUPPORT",
    [95] = "EOPNOTSUPP",
    [97] = "EAFNOSUPPORT",
    [98] = "EADDRINUSE",
    [99] = "EADDRNOTAVAIL",
    [100] = "ENETDOWN",
    [101] = "ENETUNREACH",
    [104] = "ECONNRESET",
    [105] = "ENOBUFS",
    [106] = "EISCONN",
    [107] = "ENOTCONN",
    [110] = "ETIMEDOUT",
    [111] = "ECONNREFUSED",
    [113] = "EHOSTUNREACH",
    [125] = "ECANCELED",
};

const char* errname(int errnum) {
    static char unknown[16];

    if (errnum < 0)
        errnum = -errnum;
    if (errnum < (int)(sizeof(g_names) / sizeof(g_names[0])) && g_names[errnum])
        return g_names[errnum];
    snprintf(unknown, sizeof(unknown), "E%d", errnum);
    return unknown;
}

const char* errstr(int errnum) {
    static char unknown[32];

    if (errnum < 0)
        errnum = -errnum;
    if (errnum < (int)(sizeof(g_messages) / sizeof(g_messages[0])) && g_messages[errnum])
        return g_messages[errnum];
    snprintf(unknown, sizeof(unknown), "error %d", errnum);
    return unknown;
}
