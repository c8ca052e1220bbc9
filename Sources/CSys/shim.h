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

/* chattr +i on an open directory (LF_SCRIPT_PERM): ioctl is variadic, which Swift cannot call. */
#include <sys/ioctl.h>
#include <linux/fs.h>
static inline int csys_set_immutable(int fd) {
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) return -1;
    flags |= FS_IMMUTABLE_FL;
    return ioctl(fd, FS_IOC_SETFLAGS, &flags);
}

/* One DNS TXT query through the system resolver (X_ARF_ABUSE's abuse contact): res_query's class and type
   constants live in arpa/nameser.h macros Swift does not import. */
#include <netinet/in.h>
#include <resolv.h>
static inline int csys_query_txt(const char *name, unsigned char *answer, int length) {
    return res_query(name, 1 /* C_IN */, 16 /* T_TXT */, answer, length);
}

/* glibc's malloc tuning (malloc.h is not in Swift's Glibc module). */
#include <malloc.h>

/* GNU extensions. */
extern int memfd_create(const char *name, unsigned int flags);
#define CSYS_MFD_CLOEXEC 1U
extern void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);

/* pidfd_open(2) / pidfd_send_signal(2) through syscall(2), which Swift cannot call (variadic): a signal sent
   through a pidfd reaches the process the pidfd was opened for, or none, never a pid's next owner. */
#include <unistd.h>
#include <sys/syscall.h>
#include <signal.h>
static inline int csys_pidfd_open(int pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }
static inline int csys_gettid(void) { return (int)syscall(SYS_gettid); }
static inline int csys_pidfd_send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }

/* openat2(2) refusing every symbolic link on the way: lfd opens paths in world-writable directories (/tmp)
   where any component may be swapped for a link to /etc between a check and an action. */
#include <linux/openat2.h>
static inline int csys_open_no_symlinks(int dirfd, const char *path, unsigned long long flags) {
    struct open_how how = { .flags = flags, .mode = 0, .resolve = RESOLVE_NO_SYMLINKS };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

#endif
