// The machine's floor for a live fan-out (issue 25): one thread, one epoll loop, no framework.
// It reads the engine's playback stream (the same input the proxy reads: UPSTREAM_HOST,
// UPSTREAM_PORT, UPSTREAM_PATH), gathers what arrives during a tick (TICK_MS, default 100: the
// proxy's flush interval) and sends it, one shared buffer, to every player with one send() per
// player per tick. A player whose socket cannot take the whole buffer skips it (counted), which is
// what a bare fan-out does; players get the body until close, as from the proxy.
//
// Build: cc -O2 -o fanout fanout.c   Run: PORT=0 UPSTREAM_HOST=127.0.0.1 UPSTREAM_PORT=.. UPSTREAM_PATH=/.. ./fanout
// Prints {"event":"listening","port":N} once it is accepting, like the Node servers of the bench.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAX_PLAYERS = 32768, READ_BYTES = 64 * 1024, TICK_BYTES = 8 * 1024 * 1024, EVENTS = 512 };

/* Players in one dense array (the fan-out loop walks it); `slot` maps an fd to its index. */
static int players[MAX_PLAYERS];
static int player_count;
static int slot[MAX_PLAYERS + 1024];
static long skipped;

static const char RESPONSE_HEAD[] =
    "HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nConnection: close\r\n\r\n";

static void fail(const char *what) {
  perror(what);
  exit(1);
}

static void on_term(int sig) {
  (void)sig;
  fprintf(stderr, "{\"event\":\"stopped\",\"skipped\":%ld}\n", skipped);
  _exit(0);
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int env_int(const char *name, int fallback) {
  const char *v = getenv(name);
  return v ? atoi(v) : fallback;
}

/* Opens the playback stream and reads past the response head; returns the connected socket. */
static int open_upstream(void) {
  const char *host = getenv("UPSTREAM_HOST"), *path = getenv("UPSTREAM_PATH");
  if (!host || !path) {
    fprintf(stderr, "UPSTREAM_HOST, UPSTREAM_PORT and UPSTREAM_PATH are required\n");
    exit(2);
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(env_int("UPSTREAM_PORT", 0))};
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) fail("UPSTREAM_HOST");
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr)) fail("connect upstream");
  char request[1024];
  int n = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, host);
  if (send(fd, request, n, 0) != n) fail("send upstream");
  /* Byte by byte up to the blank line: the head is small and read once. */
  int matched = 0;
  const char *end = "\r\n\r\n";
  while (matched < 4) {
    char c;
    if (recv(fd, &c, 1, 0) != 1) fail("upstream head");
    matched = c == end[matched] ? matched + 1 : (c == '\r' ? 1 : 0);
  }
  return fd;
}

static void add_player(int epoll_fd, int fd) {
  if (player_count == MAX_PLAYERS || fd >= (int)(sizeof slot / sizeof slot[0])) {
    close(fd);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
  slot[fd] = -1; /* connected, head not yet sent: it waits for the request */
}

static void remove_player(int epoll_fd, int fd) {
  int i = slot[fd];
  if (i >= 0) {
    players[i] = players[--player_count];
    slot[players[i]] = i;
  }
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
}

int main(void) {
  signal(SIGTERM, on_term);
  signal(SIGPIPE, SIG_IGN);
  int upstream = open_upstream();

  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(env_int("PORT", 0))};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) || listen(listener, 4096)) fail("listen");
  socklen_t len = sizeof addr;
  getsockname(listener, (struct sockaddr *)&addr, &len);

  int epoll_fd = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &ev);
  ev.data.fd = upstream;
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, upstream, &ev);
  printf("{\"event\":\"listening\",\"port\":%d}\n", ntohs(addr.sin_port));
  fflush(stdout);

  /* What the engine sent during this tick; sent to every player when the tick ends. */
  static unsigned char tick_data[TICK_BYTES];
  size_t tick_len = 0;
  int tick_ms = env_int("TICK_MS", 100);
  double next_tick = now_ms() + tick_ms;
  char scratch[4096];
  struct epoll_event events[EVENTS];
  for (;;) {
    int wait = (int)(next_tick - now_ms());
    int n = epoll_wait(epoll_fd, events, EVENTS, wait < 0 ? 0 : wait);
    if (now_ms() >= next_tick) {
      next_tick += tick_ms;
      if (tick_len > 0) {
        for (int i = 0; i < player_count; i++) {
          if (send(players[i], tick_data, tick_len, MSG_NOSIGNAL | MSG_DONTWAIT) < (ssize_t)tick_len) skipped++;
        }
        tick_len = 0;
      }
    }
    for (int e = 0; e < n; e++) {
      int fd = events[e].data.fd;
      if (fd == listener) {
        int c;
        while ((c = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) add_player(epoll_fd, c);
      } else if (fd == upstream) {
        size_t room = sizeof tick_data - tick_len;
        ssize_t got = recv(upstream, tick_data + tick_len, room < READ_BYTES ? room : READ_BYTES, 0);
        if (got <= 0) {
          fprintf(stderr, "upstream ended or a tick overflowed\n");
          return 1;
        }
        tick_len += (size_t)got;
      } else {
        ssize_t got = recv(fd, scratch, sizeof scratch, 0);
        if (got == 0 || (got < 0 && errno != EAGAIN) || (events[e].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
          remove_player(epoll_fd, fd);
        } else if (slot[fd] < 0) {
          /* The request arrived: answer the head, then the player gets every read from now on. */
          send(fd, RESPONSE_HEAD, sizeof RESPONSE_HEAD - 1, MSG_NOSIGNAL);
          slot[fd] = player_count;
          players[player_count++] = fd;
        }
      }
    }
  }
}
