// Anchors for bench/drbd, measured in C (no event loop, no JS) so that they are not understated
// by Node's own overhead, which would flatter the replicated figures.
//   anchor stream MIB          -> {"mbps"}  loopback TCP: 1 MiB send()s, the receiver reads 256 KiB
//   anchor rtt COUNT SIZE      -> {"p50","p99"} us: SIZE bytes out, 8 bytes back (TCP_NODELAY)
//   anchor disk FILE MIB OPS   -> the backing file's limits with the sync flags protocol C uses:
//     "synced": 1 MiB pwrite + fdatasync each (MB/s), "write4k": 4 KiB pwrite p50 (the Primary's
//     local write), "sync4k"/"sync4kP99": 4 KiB pwrite + fdatasync, "dsync4k"/"dsync4kP99": the
//     same with one pwritev2(RWF_DSYNC) (the peer's stable write is the faster of the two), us.
//     FILE must already hold MIB MiB of written data (overwrites, as on a block device).
//   anchor pipeline A B MIB    -> {"mbps"}  protocol C's work with nothing else on the path, for
//     a machine where both nodes share the CPUs and the disk: one thread writes 1 MiB to A
//     (buffered) and sends it, 8 MiB in flight; the other receives, writes to B and acks after
//     one fdatasync per batch; A is fdatasync'd at the end. Not a goal of the issue: it shows
//     what this one machine can do with both nodes' copies on its two cores.
//   anchor serial A B MIB OPS FIRST -> {"times": [us...]}: the 4 KiB budget of issue 7 done as
//     one C loop, "local write + RTT + remote write": per op a buffered 4 KiB pwrite to A, then a
//     4 KiB+40-byte message to the other thread, which writes it to B, makes it stable with
//     fdatasync (what the peer does) and replies with 8 bytes. Ops FIRST..FIRST+OPS-1 of the replicated run's offsets, so
//     bench.js can interleave short blocks of this with blocks of the replicated run.
// The TCP modes run one thread per end, like the two engines' I/O threads.
// Built by bench.js with the system C compiler (cc -O2 -pthread).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static int listener, port;
static long mib, count, size;
static int mode;  // 0 stream, 1 rtt, 3 serial
static int serial_fd = -1;  // serial: the remote end's file

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char* what) { perror(what); exit(1); }

static int read_full(int fd, char* buf, long n) {
  while (n > 0) {
    ssize_t r = recv(fd, buf, (size_t)n, 0);
    if (r <= 0) return -1;
    buf += r; n -= r;
  }
  return 0;
}

static int write_full(int fd, const char* buf, long n) {
  while (n > 0) {
    ssize_t w = send(fd, buf, (size_t)n, MSG_NOSIGNAL);
    if (w <= 0) return -1;
    buf += w; n -= w;
  }
  return 0;
}

static void nodelay(int fd) {
  int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

static void* server(void* arg) {
  (void)arg;
  int fd = accept(listener, NULL, NULL);
  if (fd < 0) die("accept");
  nodelay(fd);
  if (mode == 0) {
    char* buf = malloc(256 * 1024);
    long total = 0;
    for (;;) {
      ssize_t r = recv(fd, buf, 256 * 1024, 0);
      if (r <= 0) break;
      total += r;
    }
    // One byte back: the client's clock stops when everything has been read here.
    char done = total == mib * 1048576 ? 1 : 0;
    write_full(fd, &done, 1);
    free(buf);
  } else {
    char* buf = aligned_alloc(4096, ((size_t)size + 4095) / 4096 * 4096);
    char reply[8] = {0};
    long warm = mode == 3 ? 0 : 100;
    for (long i = 0; i < count + warm; i++) {
      if (read_full(fd, buf, size) < 0) break;
      if (mode == 3) {  // the remote write, made stable before the reply
        long offset;
        memcpy(&offset, buf, sizeof offset);
        if (pwrite(serial_fd, buf + 40, 4096, offset) != 4096 || fdatasync(serial_fd)) die("remote write");
      }
      if (write_full(fd, reply, 8) < 0) break;
    }
    free(buf);
  }
  close(fd);
  return NULL;
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static int pipe_fd[2];  // pipeline: [0] receiver's socket, [1] sender's socket
static const char* pipe_b;

static void* pipeline_receiver(void* arg) {
  (void)arg;
  int fd = open(pipe_b, O_RDWR);
  if (fd < 0) die("open B");
  char* buf = malloc(1048576 + 16);
  long got = 0, written = 0;
  while (written < mib) {
    // One whole 1 MiB record, written; then, when nothing more is waiting, one sync for the batch.
    if (read_full(pipe_fd[0], buf, 1048576) < 0) die("recv");
    if (pwrite(fd, buf, 1048576, (got % mib) * 1048576L) != 1048576) die("pwrite B");
    got++;
    int waiting = 0;
    if (ioctl(pipe_fd[0], FIONREAD, &waiting) != 0 || waiting < 1048576 || got == mib) {
      if (fdatasync(fd)) die("fdatasync B");
      long acks = got - written;
      char ack[8] = {0};
      for (long i = 0; i < acks; i++) if (write_full(pipe_fd[0], ack, 8) < 0) die("ack");
      written = got;
    }
  }
  free(buf);
  close(fd);
  return NULL;
}

static int pipeline(const char* a, const char* b) {
  pipe_b = b;
  // A TCP connection over loopback, as the nodes use.
  int sv[2];
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof addr;
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (l < 0 || bind(l, (struct sockaddr*)&addr, sizeof addr) || listen(l, 1)) die("listen");
  getsockname(l, (struct sockaddr*)&addr, &length);
  sv[1] = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(sv[1], (struct sockaddr*)&addr, sizeof addr)) die("connect");
  sv[0] = accept(l, NULL, NULL);
  close(l);
  nodelay(sv[0]); nodelay(sv[1]);
  pipe_fd[0] = sv[0]; pipe_fd[1] = sv[1];
  int fd = open(a, O_RDWR);
  if (fd < 0) die("open A");
  char* block = malloc(1048576);
  memset(block, 0x5a, 1048576);
  pthread_t thread;
  double t0 = now_us();
  pthread_create(&thread, NULL, pipeline_receiver, NULL);
  long sent = 0, acked = 0;
  char ack[8];
  while (acked < mib) {
    while (sent < mib && sent - acked < 8) {
      if (write_full(sv[1], block, 1048576) < 0) die("send");
      if (pwrite(fd, block, 1048576, sent * 1048576L) != 1048576) die("pwrite A");
      sent++;
    }
    if (read_full(sv[1], ack, 8) < 0) die("ack");
    acked++;
  }
  if (fdatasync(fd)) die("fdatasync A");
  double seconds = (now_us() - t0) / 1e6;
  pthread_join(thread, NULL);
  printf("{\"mbps\": %.1f}\n", mib * 1.048576 / seconds);
  close(fd); close(sv[0]); close(sv[1]);
  free(block);
  return 0;
}

static int disk(const char* file, long mib, long ops) {
  int fd = open(file, O_RDWR);
  if (fd < 0) die("open");
  char* block = aligned_alloc(4096, 1048576);
  memset(block, 0x5a, 1048576);
  double t0 = now_us();
  for (long i = 0; i < mib; i++) {
    if (pwrite(fd, block, 1048576, i * 1048576L) != 1048576) die("pwrite");
    if (fdatasync(fd)) die("fdatasync");
  }
  double synced = mib * 1.048576 / ((now_us() - t0) / 1e6);
  double* w = malloc(sizeof(double) * (size_t)ops);
  double* s = malloc(sizeof(double) * (size_t)ops);
  long blocks = mib * 256;
  for (long i = 0; i < ops; i++) {
    long offset = ((i * 7919) % blocks) * 4096;  // the same offsets as the replicated run
    double a = now_us();
    if (pwrite(fd, block, 4096, offset) != 4096) die("pwrite");
    double b = now_us();
    if (fdatasync(fd)) die("fdatasync");
    w[i] = b - a;
    s[i] = now_us() - a;
  }
  // The same stable write done by the write itself (pwritev2 RWF_DSYNC), often cheaper than a
  // write and an fdatasync on ext4: the anchor is the faster of the two.
  double* d = malloc(sizeof(double) * (size_t)ops);
  for (long i = 0; i < ops; i++) {
    long offset = ((i * 7919) % blocks) * 4096;
    struct iovec iov = {block, 4096};
    double a = now_us();
    if (pwritev2(fd, &iov, 1, offset, RWF_DSYNC) != 4096) die("pwritev2");
    d[i] = now_us() - a;
  }
  qsort(w, (size_t)ops, sizeof(double), cmp);
  qsort(s, (size_t)ops, sizeof(double), cmp);
  qsort(d, (size_t)ops, sizeof(double), cmp);
  printf("{\"synced\": %.1f, \"write4k\": %.1f, \"sync4k\": %.1f, \"sync4kP99\": %.1f, \"dsync4k\": %.1f, \"dsync4kP99\": %.1f}\n",
         synced, w[ops / 2], s[ops / 2], s[ops * 99 / 100], d[ops / 2], d[ops * 99 / 100]);
  free(w); free(s); free(d);
  close(fd);
  return 0;
}

static int serial(int fd, const char* a, long mib, long first) {
  int local = open(a, O_RDWR);
  if (local < 0) die("open A");
  char* buf = aligned_alloc(4096, 8192);
  memset(buf, 0xa5, 8192);
  char reply[8];
  long blocks = mib * 256;
  printf("{\"times\": [");
  for (long i = 0; i < count; i++) {
    long offset = (((first + i) * 7919) % blocks) * 4096;
    memcpy(buf, &offset, sizeof offset);
    double t0 = now_us();
    if (pwrite(local, buf + 40, 4096, offset) != 4096) die("local write");
    if (write_full(fd, buf, size) < 0 || read_full(fd, reply, 8) < 0) die("serial");
    printf("%s%.1f", i ? "," : "", now_us() - t0);
  }
  printf("]}\n");
  close(local);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3) { fprintf(stderr, "usage: anchor stream MIB | rtt COUNT SIZE | disk FILE MIB OPS\n"); return 2; }
  if (strcmp(argv[1], "pipeline") == 0) {
    mib = argc > 4 ? atol(argv[4]) : 0;
    if (mib < 1 || mib > 1 << 16) { fprintf(stderr, "anchor: argument out of range\n"); return 2; }
    return pipeline(argv[2], argv[3]);
  }
  if (strcmp(argv[1], "disk") == 0) {
    long m = argc > 3 ? atol(argv[3]) : 0, ops = argc > 4 ? atol(argv[4]) : 0;
    if (m < 1 || m > 1 << 16 || ops < 1 || ops > 1 << 24) { fprintf(stderr, "anchor: argument out of range\n"); return 2; }
    return disk(argv[2], m, ops);
  }
  mode = strcmp(argv[1], "rtt") == 0;
  long first = 0;
  if (strcmp(argv[1], "serial") == 0) {
    if (argc < 7) { fprintf(stderr, "usage: anchor serial A B MIB OPS FIRST\n"); return 2; }
    mode = 3;
    mib = atol(argv[4]); count = atol(argv[5]); first = atol(argv[6]); size = 4096 + 40;
    if (mib < 1 || mib > 1 << 16 || count < 1 || count > 1 << 24 || first < 0) { fprintf(stderr, "anchor: argument out of range\n"); return 2; }
    serial_fd = open(argv[3], O_RDWR);
    if (serial_fd < 0) die("open B");
  } else if (mode == 0) mib = atol(argv[2]);
  else { count = atol(argv[2]); size = argc > 3 ? atol(argv[3]) : 1; }
  if ((mode == 0 && (mib < 1 || mib > 1 << 16)) || (mode == 1 && (count < 1 || count > 1 << 24 || size < 1 || size > 1 << 24))) {
    fprintf(stderr, "anchor: argument out of range\n");
    return 2;
  }
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof addr;
  listener = socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0 || bind(listener, (struct sockaddr*)&addr, sizeof addr) || listen(listener, 1)) die("listen");
  getsockname(listener, (struct sockaddr*)&addr, &length);
  port = ntohs(addr.sin_port);
  pthread_t thread;
  pthread_create(&thread, NULL, server, NULL);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr*)&addr, sizeof addr)) die("connect");
  nodelay(fd);
  if (mode == 3) {
    serial(fd, argv[2], mib, first);
  } else if (mode == 0) {
    char* block = malloc(1048576);
    memset(block, 0x5a, 1048576);
    double t0 = now_us();
    for (long i = 0; i < mib; i++) if (write_full(fd, block, 1048576) < 0) die("send");
    shutdown(fd, SHUT_WR);
    char done = 0;
    if (read_full(fd, &done, 1) < 0 || done != 1) die("stream incomplete");
    double seconds = (now_us() - t0) / 1e6;
    printf("{\"mbps\": %.1f}\n", mib * 1.048576 / seconds);
    free(block);
  } else {
    char* buf = calloc(1, (size_t)size);
    char reply[8];
    double* times = malloc(sizeof(double) * (size_t)count);
    for (long i = 0; i < count + 100; i++) {
      double t0 = now_us();
      if (write_full(fd, buf, size) < 0 || read_full(fd, reply, 8) < 0) die("ping");
      if (i >= 100) times[i - 100] = now_us() - t0;  // the first 100 warm up
    }
    qsort(times, (size_t)count, sizeof(double), cmp);
    printf("{\"p50\": %.1f, \"p99\": %.1f}\n", times[count / 2], times[count * 99 / 100]);
    free(buf);
    free(times);
  }
  close(fd);
  pthread_join(thread, NULL);
  return 0;
}
