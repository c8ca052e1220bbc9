#ifndef CNFTSHIM_H
#define CNFTSHIM_H
/* libnftables, libnftnl, libmnl and the netfilter netlink headers, in a clang-module-safe order. */
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>   /* must precede any <linux/*> header (in_addr clash) */
#include <linux/netlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <nftables/libnftables.h>   /* declarations and flags only: NftKernel loads it with dlopen */
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/batch.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>

/* A macro Swift cannot import. */
static inline size_t cnft_mnl_socket_buffer_size(void) { return MNL_SOCKET_BUFFER_SIZE; }

#endif
