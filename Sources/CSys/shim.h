#ifndef CSYS_H
#define CSYS_H
/* Declarations Swift's Glibc module hides behind _GNU_SOURCE, and headers it does not bring in. */
#include <stddef.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/eventfd.h>
#include <sys/un.h>
#include <ifaddrs.h>
#include <glob.h>

/* POSIX_SPAWN_SETSID is glibc >= 2.26 but guarded by __USE_GNU. */
#define CSYS_POSIX_SPAWN_SETSID 0x80

/* glibc >= 2.34. */
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

/* GNU extension. */
extern void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);

/* pidfd_open(2) / pidfd_send_signal(2) through syscall(2), which Swift cannot call (variadic): a signal sent
   through a pidfd reaches the process the pidfd was opened for, or none, never a pid's next owner. */
#include <unistd.h>
#include <sys/syscall.h>
#include <signal.h>
static inline int csys_pidfd_open(int pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }
static inline int csys_gettid(void) { return (int)syscall(SYS_gettid); }
static inline int csys_pidfd_send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }

#endif
