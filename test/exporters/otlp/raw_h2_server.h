#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace otlpd::test {

// An HTTP/2 server (nghttp2, h2c) that answers each request with the next
// scripted answer, for what gRPC servers seldom send but proxies and load
// balancers do: an HTTP error without gRPC status, a refused stream, a
// trailers-only gRPC error. Once the script is used up it answers as a gRPC
// server that accepted the call (an empty Export response, grpc-status 0).
class RawH2Server {
 public:
  struct Answer {
    enum Kind { kGrpcOk, kHttpStatus, kRefusedStream, kTrailersOnly } kind = kGrpcOk;
    int http_status = 200;  // kHttpStatus
    int grpc_status = 0;    // kTrailersOnly
    std::string grpc_message;
  };

  explicit RawH2Server(std::vector<Answer> script);
  ~RawH2Server();

  int port() const { return port_; }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
  // Requests whose headers and body arrived.
  int requests() const { return requests_.load(); }

  struct Impl;

 private:
  void Serve(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::vector<Answer> script_;
  std::size_t next_ = 0;
  std::thread acceptor_;
  std::vector<std::thread> connections_;
};

}  // namespace otlpd::test
