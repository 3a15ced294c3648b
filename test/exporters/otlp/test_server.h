#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace otlpd::test {

// A scriptable OTLP/gRPC backend for exporter tests: every Export call is
// answered with the next scripted Reply (plain OK once the script is used up)
// and recorded as it arrived. Serves raw bytes through gRPC's generic API, as
// a real backend sees them after decompression.
class TestServer {
 public:
  struct Reply {
    int code = 0;  // gRPC status code
    std::string message;
    std::optional<std::chrono::milliseconds> retry_delay;                 // adds google.rpc.RetryInfo
    std::optional<std::pair<std::int64_t, std::string>> partial_success;  // rejected, error_message
    bool no_message = false;  // code 0: finish OK without a response message (a broken backend)
  };
  struct Request {
    std::string method;
    std::string bytes;
    std::vector<std::pair<std::string, std::string>> metadata;
  };
  struct Options {
    int port = 0;  // 0: any free port
    bool accept_gzip = true;
    bool gzip_answers = false;  // compress answers with gzip (as grpc-go answers a gzip request)
    // TLS: server certificate and key (PEM); with client_ca, client
    // certificates are required and verified against it.
    std::string cert_pem, key_pem, client_ca_pem;
  };

  explicit TestServer(Options options);
  TestServer() : TestServer(Options{}) {}
  ~TestServer();

  int port() const;
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port()); }
  bool running() const;

  void Script(std::vector<Reply> replies);
  // While held, calls are parked unanswered (each is still recorded).
  void Hold();
  void Release();

  std::vector<Request> requests() const;
  std::size_t calls() const;
  void Stop();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace otlpd::test
