/* UDP blaster for the packets/s benchmark (issue 5): sendmmsg in batches of 64 small datagrams to one
 * address and port for a number of seconds; prints how many were sent. Run pinned to one CPU: the veth
 * receive path runs on the sender's CPU, so delivered packets/s measures sender + stack + ruleset. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: blast IPv4 PORT SECONDS [SOURCE_PORT [handshake]]\n"); return 2; }
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) { fprintf(stderr, "bad address\n"); return 2; }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* A fixed source port keeps one conntrack flow across runs; the handshake (one datagram answered by
     * the sink) makes conntrack see a reply, so later datagrams of the flow are "established". */
    struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(argc > 4 ? atoi(argv[4]) : 0) };
    if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof from) < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) < 0) {
        perror("socket");
        return 1;
    }
    if (argc > 5 && strcmp(argv[5], "handshake") == 0) {
        struct timeval tv = { 2, 0 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char reply[64];
        if (send(fd, "hello", 5, 0) != 5 || recv(fd, reply, sizeof reply, 0) <= 0) { fprintf(stderr, "no handshake reply\n"); return 1; }
    }
    char payload[18] = "nftcsf-bench-pps";
    struct iovec iov = { payload, sizeof payload };
    struct mmsghdr msgs[64];
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < 64; i++) { msgs[i].msg_hdr.msg_iov = &iov; msgs[i].msg_hdr.msg_iovlen = 1; }
    double end = now() + atof(argv[3]);
    unsigned long long sent = 0;
    while (now() < end) {
        int n = sendmmsg(fd, msgs, 64, 0);
        if (n > 0) sent += n;
    }
    printf("%llu\n", sent);
    return 0;
}
