#pragma once

// A small HTTP/1.1 client for the Kubernetes API: one-shot GETs (lists, single
// objects) and streaming GETs (watches), over TLS or plain TCP, with the
// endpoint's credentials. One client serves one thread at a time; Cancel() may
// come from any thread and ends the current and every later call.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "internal/status.h"
#include "k8s/api_config.h"

namespace otlpd::k8s {

struct Response {
  int status = 0;
  std::string body;
};

class Client {
 public:
  explicit Client(Endpoint endpoint);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const Endpoint& endpoint() const { return endpoint_; }

  // GET `target` ("/api/v1/pods?limit=500"), done within `timeout`. Bodies over
  // `max_body` bytes fail with ResourceExhausted. Transport failures are
  // Unavailable; any HTTP status is a response.
  Result<Response> Get(std::string_view target, std::chrono::milliseconds timeout, std::size_t max_body);

  // A streaming GET: every newline-terminated line of a 200 answer goes to
  // `on_line` as it arrives (false from it ends the stream). A gap of
  // `idle_timeout` without bytes ends it with DeadlineExceeded, a line over
  // `max_line` with ResourceExhausted. A non-200 answer comes back whole as
  // the response (status and body) without any line. A 200 stream that the
  // server closes returns status 200 and an empty body.
  Result<Response> Stream(std::string_view target, std::chrono::milliseconds idle_timeout,
                          std::size_t max_line, const std::function<bool(std::string_view line)>& on_line);

  void Cancel();
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }

 private:
  struct Impl;
  const Endpoint endpoint_;
  std::atomic<bool> cancelled_{false};
  std::unique_ptr<Impl> impl_;
};

}  // namespace otlpd::k8s
