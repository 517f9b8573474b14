/* The manifest's listening policy: with net.allowed_listen present, a socket may accept
 * connections (listen) or datagrams (bind) only on an address:port one of its entries names. */
#include "manifest.h"
#include "net.h"

struct listen_rule {
    int family;  /* AF_INET_, AF_INET6_, or AF_UNSPEC_ for "*" */
    uint8_t addr[16];
    int port;    /* -1 for "*" */
};

static bool parse_port(const char* s, int* port) {
    char* end;
    unsigned long v;

    if (strcmp(s, "*") == 0) {
        *port = -1;
        return true;
    }
    if (*s < '0' || *s > '9')
        return false;
    v = strtoul(s, &end, 10);
    if (*end || v > 65535)
        return false;
    *port = (int)v;
    return true;
}

static bool parse_ipv4(const char* s, size_t len, uint8_t out[4]) {
    size_t pos = 0;

    for (int i = 0; i < 4; i++) {
        unsigned v = 0;
        size_t digits = 0;

        while (pos < len && s[pos] >= '0' && s[pos] <= '9' && digits < 3) {
            v = v * 10 + (unsigned)(s[pos++] - '0');
            digits++;
        }
        if (!digits || v > 255)
            return false;
        out[i] = (uint8_t)v;
        if (i < 3 && (pos >= len || s[pos++] != '.'))
            return false;
    }
    return pos == len;
}

/* Eight groups of hex digits with at most one "::" standing for the zero groups left out. */
static bool parse_ipv6(const char* s, size_t len, uint8_t out[16]) {
    uint16_t groups[8];
    int count = 0, gap = -1;
    size_t pos = 0;

    if (len >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        pos = 2;
    }
    while (pos < len) {
        unsigned v = 0;
        size_t digits = 0;

        while (pos < len && rt_hex_digit((unsigned char)s[pos]) >= 0 && digits < 4) {
            v = v * 16 + (unsigned)rt_hex_digit((unsigned char)s[pos++]);
            digits++;
        }
        if (!digits || count == 8)
            return false;
        groups[count++] = (uint16_t)v;
        if (pos == len)
            break;
        if (s[pos++] != ':')
            return false;
        if (pos < len && s[pos] == ':') {
            if (gap >= 0)
                return false;
            gap = count;
            pos++;
        } else if (pos == len) {
            return false;
        }
    }
    if ((gap < 0 && count != 8) || (gap >= 0 && count > 7))
        return false;
    memset(out, 0, 16);
    for (int i = 0, o = 0; i < count; i++, o++) {
        if (i == gap)
            o += 8 - count;
        out[2 * o] = (uint8_t)(groups[i] >> 8);
        out[2 * o + 1] = (uint8_t)groups[i];
    }
    return true;
}

/* "ADDR:PORT" with ADDR an IPv4 literal, [IPv6] literal or "*", PORT a number or "*". */
static bool rule_parse(const char* text, struct listen_rule* r) {
    const char* colon = strrchr(text, ':');
    size_t host_len;

    if (!colon || !parse_port(colon + 1, &r->port))
        return false;
    host_len = (size_t)(colon - text);
    memset(r->addr, 0, sizeof(r->addr));
    if (host_len == 1 && text[0] == '*') {
        r->family = AF_UNSPEC_;
        return true;
    }
    if (host_len >= 2 && text[0] == '[' && text[host_len - 1] == ']') {
        r->family = AF_INET6_;
        return parse_ipv6(text + 1, host_len - 2, r->addr);
    }
    r->family = AF_INET_;
    return parse_ipv4(text, host_len, r->addr);
}

static bool rule_matches(const struct listen_rule* r, int family, const uint8_t* addr, int port) {
    size_t size = family == AF_INET_ ? 4 : 16;

    if (r->port >= 0 && r->port != port)
        return false;
    if (r->family == AF_UNSPEC_)
        return true;
    return r->family == family && memcmp(r->addr, addr, size) == 0;
}

static void addr_format(int family, const uint8_t* a, int port, char* buf, size_t size) {
    if (family == AF_INET_) {
        snprintf(buf, size, "%u.%u.%u.%u:%d", a[0], a[1], a[2], a[3], port);
        return;
    }
    snprintf(buf, size, "[%x:%x:%x:%x:%x:%x:%x:%x]:%d", a[0] << 8 | a[1], a[2] << 8 | a[3],
             a[4] << 8 | a[5], a[6] << 8 | a[7], a[8] << 8 | a[9], a[10] << 8 | a[11],
             a[12] << 8 | a[13], a[14] << 8 | a[15], port);
}

int net_policy_check_listen(const uint8_t* host_addr, size_t len) {
    const struct manifest* m = g_process.manifest;
    uint16_t family;
    const uint8_t* addr;
    int port;
    char shown[64];

    if (!m || !m->allowed_listen)
        return 0;
    if (len < sizeof(family))
        return -EINVAL;
    memcpy(&family, host_addr, sizeof(family));
    if (family == AF_INET_ && len >= 8)
        addr = host_addr + 4;
    else if (family == AF_INET6_ && len >= 24)
        addr = host_addr + 8;
    else
        return 0; /* the policy names IP endpoints; UNIX sockets are governed by the mounts */
    port = host_addr[2] << 8 | host_addr[3];

    for (size_t i = 0; i < m->allowed_listen_count; i++) {
        struct listen_rule r;

        if (!rule_parse(m->allowed_listen[i], &r)) {
            log_error("net.allowed_listen: entry '%s' is not ADDR:PORT", m->allowed_listen[i]);
            continue;
        }
        if (rule_matches(&r, family, addr, port))
            return 0;
    }
    addr_format(family, addr, port, shown, sizeof(shown));
    log_warning("socket: listening on %s is refused by net.allowed_listen", shown);
    return -EACCES;
}
