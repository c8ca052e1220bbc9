#ifndef CNFTSHIM_H
#define CNFTSHIM_H
/* Only what Swift cannot reach directly: headers in a clang-module-safe order
 * and declarations hidden behind _GNU_SOURCE in Swift's Glibc module. */
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>   /* must precede any <linux/*> header (in_addr clash) */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <spawn.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/un.h>
#include <glob.h>
#include <linux/netlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <nftables/libnftables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/batch.h>
#include <libnftnl/table.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
/* PCRE2 (8-bit code units) for lfd's detectors: JIT-compiled, with match limits. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* POSIX_SPAWN_SETSID is glibc >= 2.26 but guarded by __USE_GNU. */
#define CNFT_POSIX_SPAWN_SETSID 0x80

/* glibc >= 2.34; declared here because Swift's Glibc module hides it behind _GNU_SOURCE. */
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

/* GNU extension, also hidden behind _GNU_SOURCE. */
extern void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);

static inline size_t cnft_mnl_socket_buffer_size(void) { return MNL_SOCKET_BUFFER_SIZE; }

/* PCRE2's option and error values are macros Swift cannot always import. */
static inline uint32_t cnft_pcre2_utf(void) { return PCRE2_UTF | PCRE2_NO_UTF_CHECK; }
static inline uint32_t cnft_pcre2_caseless(void) { return PCRE2_CASELESS; }
static inline uint32_t cnft_pcre2_jit_complete(void) { return PCRE2_JIT_COMPLETE; }
static inline int cnft_pcre2_error_nomatch(void) { return PCRE2_ERROR_NOMATCH; }
static inline uint32_t cnft_pcre2_info_namecount(void) { return PCRE2_INFO_NAMECOUNT; }
static inline uint32_t cnft_pcre2_info_nameentrysize(void) { return PCRE2_INFO_NAMEENTRYSIZE; }
static inline uint32_t cnft_pcre2_info_nametable(void) { return PCRE2_INFO_NAMETABLE; }
static inline uint32_t cnft_pcre2_info_capturecount(void) { return PCRE2_INFO_CAPTURECOUNT; }

#endif
