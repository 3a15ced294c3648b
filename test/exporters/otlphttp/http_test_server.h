#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace otlpd::test {

// A scriptable HTTP/1.1 backend for otlphttp exporter tests: each request is
// recorded as it arrived (body still compressed) and answered with the next
// scripted Reply (the default one once the script is used up). Plain or TLS,
// with client certificates required when a client CA is given. As a proxy it
// forwards absolute-form requests to their target and tunnels CONNECT.
// Blocking I/O with a thread per connection: simple, and test-only.
class HttpTestServer {
 public:
  struct Reply {
    int status = 200;
    std::string content_type;  // empty: no Content-Type header
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    bool close = false;  // Connection: close, and close after answering
  };
  struct Request {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    int connection = 0;  // 1, 2, ...: which accepted connection carried it

    std::string Header(const std::string& name) const {
      auto it = headers.find(name);
      return it == headers.end() ? "" : it->second;
    }
  };
  struct Options {
    int port = 0;  // 0: any free port
    // TLS: server certificate and key (PEM); with client_ca_pem, clients
    // must present a certificate it signed.
    std::string cert_pem, key_pem, client_ca_pem;
    bool proxy = false;  // forward absolute-form requests, tunnel CONNECT
    // As a proxy: "host:port" every request goes to, whatever host it names
    // (the proxy's own name resolution, so tests can use names that only
    // exist there). Empty: the named host.
    std::string upstream;
  };

  explicit HttpTestServer(Options options);
  HttpTestServer() : HttpTestServer(Options{}) {}
  ~HttpTestServer();
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  bool running() const;
  int port() const;
  // "http://127.0.0.1:<port>" (https:// with TLS).
  std::string url() const;

  void Script(std::vector<Reply> replies);
  void SetDefault(Reply reply);
  // While held, requests are recorded but not answered.
  void Hold();
  void Release();

  // Ends every connection now (as a server whose idle timeout passed would).
  void CloseConnections();

  std::vector<Request> requests() const;
  std::size_t calls() const;
  int accepts() const;  // TCP connections accepted so far
  void Stop();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace otlpd::test
