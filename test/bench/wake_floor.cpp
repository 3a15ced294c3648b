// The least CPU a server can spend per request on this machine: a thread that
// does nothing but epoll_wait, recv and send an answer, pinned to one CPU, fed
// by a client pinned to another at a fixed request rate over loopback TCP.
// test/bench/run's rate scenarios wake the collector once per request the
// same way; this is what each of those wake-ups costs with no protocol, no
// parsing and no pipeline, so the README can say how far a scenario's CPU
// per item can fall at all.
//
//   bench_wake_floor [--connections 200] [--rate 1000] [--request-bytes 8800]
//                    [--answer-bytes 40] [--seconds 10] [--items 20]
//                    [--server-cpu 1] [--client-cpu 0]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "test/support/raw_socket.h"

namespace {

struct Options {
  int connections = 200;
  int rate = 1000;
  int request_bytes = 8800;  // the bench's 20-span request
  int answer_bytes = 40;     // about an OTLP/gRPC answer: HEADERS, DATA, trailers
  int seconds = 10;
  int items = 20;  // items per request, for CPU-s per million items
  int server_cpu = 1;
  int client_cpu = 0;
};

void Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

int Connect(int port) {
  const int fd = otlpd::test::ConnectLoopback(port);
  if (fd < 0) {
    std::perror("connect");
    std::exit(1);
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool ParseOptions(int argc, char** argv, Options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (key == "--connections")
      o.connections = value;
    else if (key == "--rate")
      o.rate = value;
    else if (key == "--request-bytes")
      o.request_bytes = value;
    else if (key == "--answer-bytes")
      o.answer_bytes = value;
    else if (key == "--seconds")
      o.seconds = value;
    else if (key == "--items")
      o.items = value;
    else if (key == "--server-cpu")
      o.server_cpu = value;
    else if (key == "--client-cpu")
      o.client_cpu = value;
    else
      return false;
  }
  return argc % 2 == 1 && o.connections > 0 && o.rate > 0 && o.request_bytes > 0 && o.answer_bytes > 0 &&
         o.seconds > 0 && o.items > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseOptions(argc, argv, o)) {
    std::fprintf(
        stderr,
        "usage: bench_wake_floor [--connections N] [--rate N] [--request-bytes N] [--answer-bytes N]\n"
        "                        [--seconds N] [--items N] [--server-cpu N] [--client-cpu N]\n");
    return 2;
  }
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener, 4096) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::perror("listen");
    return 1;
  }

  std::atomic<bool> measuring{false}, stop{false};
  long served = 0;
  double cpu = 0;
  long wakes = 0;
  std::thread server([&] {
    Pin(o.server_cpu);
    const int ep = epoll_create1(0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listener;
    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
    std::vector<char> buffer(1 << 20);
    std::vector<long> received(1 << 16);  // bytes of the request in progress, by descriptor
    const std::vector<char> answer(static_cast<std::size_t>(o.answer_bytes), 'a');
    double cpu_start = 0;
    bool started = false;
    while (!stop.load(std::memory_order_relaxed)) {
      epoll_event events[64];
      const int n = epoll_wait(ep, events, 64, 100);
      if (!started && measuring.load(std::memory_order_relaxed)) {
        started = true;
        cpu_start = ThreadCpuSeconds();
        served = wakes = 0;
      }
      if (n > 0) ++wakes;
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == listener) {
          const int c = accept(listener, nullptr, nullptr);
          if (c < 0 || static_cast<std::size_t>(c) >= received.size()) {
            if (c >= 0) close(c);
            continue;
          }
          const int one = 1;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event e{};
          e.events = EPOLLIN | EPOLLET;  // as Asio registers a socket
          e.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
          continue;
        }
        // One read per wake-up, as otlpd reads (a read that fills the buffer
        // is followed by another: edge-triggered). A request larger than a
        // TCP segment can come in parts; it is answered once, when whole.
        long& pending = received[static_cast<std::size_t>(fd)];
        for (;;) {
          const ssize_t got = recv(fd, buffer.data(), buffer.size(), 0);
          if (got <= 0) break;
          pending += got;
          if (static_cast<std::size_t>(got) < buffer.size()) break;
        }
        for (; pending >= o.request_bytes; pending -= o.request_bytes) {
          send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
          ++served;
        }
      }
    }
    cpu = ThreadCpuSeconds() - cpu_start;
    close(ep);
  });

  Pin(o.client_cpu);
  std::vector<int> clients;
  for (int i = 0; i < o.connections; ++i) clients.push_back(Connect(ntohs(address.sin_port)));
  const std::vector<char> request(static_cast<std::size_t>(o.request_bytes), 'r');
  std::vector<char> answer(static_cast<std::size_t>(o.answer_bytes));
  // One second to warm up, then the measured seconds.
  const auto start = std::chrono::steady_clock::now();
  const auto measure_at = start + std::chrono::seconds(1);
  const auto end = measure_at + std::chrono::seconds(o.seconds);
  for (long k = 0;; ++k) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= end) break;
    if (now >= measure_at) measuring.store(true, std::memory_order_relaxed);
    const int fd = clients[static_cast<std::size_t>(k % o.connections)];
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
      std::perror("send");
      return 1;
    }
    std::size_t got = 0;
    while (got < answer.size()) {
      const ssize_t r = recv(fd, answer.data() + got, answer.size() - got, 0);
      if (r <= 0) {
        std::perror("recv");
        return 1;
      }
      got += static_cast<std::size_t>(r);
    }
    std::this_thread::sleep_until(start + std::chrono::microseconds((k + 1) * 1000000L / o.rate));
  }
  stop = true;
  server.join();
  for (const int fd : clients) close(fd);
  close(listener);
  if (served == 0) {
    std::fprintf(stderr, "no request was measured\n");
    return 1;
  }
  const double per_request_us = cpu * 1e6 / static_cast<double>(served);
  std::printf(
      "%d connections, %d requests/s of %d bytes: server CPU %.1f us per request (%ld requests, %ld "
      "wake-ups), "
      "%.2f CPU-s per million items at %d items per request\n",
      o.connections, o.rate, o.request_bytes, per_request_us, served, wakes, per_request_us / o.items,
      o.items);
  return 0;
}
