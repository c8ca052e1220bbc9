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

/* A descriptor passed over a unix socket (SCM_RIGHTS): the CMSG_* macros are not callable from Swift. lfd lends
   csf a netfilter socket this way. Exactly one descriptor, or -1 (and none kept). */
#include <sys/socket.h>
#include <string.h>
extern int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);
/* The user id of a unix socket's peer (SO_PEERCRED's struct ucred is behind _GNU_SOURCE); -1 when unknown. */
static inline long long csys_peer_uid(int sock) {
    struct { int pid; unsigned uid; unsigned gid; } cred;
    socklen_t size = sizeof cred;
    if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &size) != 0 || size != sizeof cred) return -1;
    return cred.uid;
}
static inline int csys_send_fd(int sock, int fd) {
    char byte = 0;
    struct iovec iov = { &byte, 1 };
    union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int))]; } u;
    memset(&u, 0, sizeof u);
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    return sendmsg(sock, &m, MSG_NOSIGNAL | MSG_DONTWAIT) == 1 ? 0 : -1;
}
/* Exactly one descriptor or -1. Room is made for several (padding alone fits two), and every one received is
   closed unless it came alone: a sender cannot leave descriptors behind in the receiver. */
static inline int csys_recv_fd(int sock) {
    char byte = 0;
    struct iovec iov = { &byte, 1 };
    union { struct cmsghdr align; char buf[CMSG_SPACE(8 * sizeof(int))]; } u;
    memset(&u, 0, sizeof u);
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1) return -1;
    int found = -1, count = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (count++ == 0) found = fd; else close(fd);
        }
    }
    if (count != 1 || (m.msg_flags & MSG_CTRUNC)) {
        if (found >= 0) close(found);
        return -1;
    }
    return found;
}

/* The network namespace a socket was created in, as a new descriptor (SIOCGSKNS; ioctl is variadic). */
#include <linux/sockios.h>
static inline int csys_socket_netns(int fd) { return ioctl(fd, SIOCGSKNS); }

#endif
