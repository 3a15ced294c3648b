#include "processors/resourcedetection/docker_detector.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "config/loader.h"

using namespace otlpd;
using namespace otlpd::processors::resourcedetection;

namespace {

// The Docker Engine API as the daemon serves it on its Unix socket: GET /info
// and GET /containers/<id>/json, JSON bodies, 404 with {"message": ...}.
class FakeDockerApi {
 public:
  explicit FakeDockerApi(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    ::unlink(path_.c_str());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeDockerApi() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    ::unlink(path_.c_str());
  }
  std::vector<std::string> targets() {
    std::lock_guard<std::mutex> lock(mu_);
    return targets_;
  }

 private:
  void Serve() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[2048];
      while (req.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, static_cast<std::size_t>(n));
      }
      const auto sp = req.find(' ');
      const std::string target = req.substr(sp + 1, req.find(' ', sp + 1) - sp - 1);
      {
        std::lock_guard<std::mutex> lock(mu_);
        targets_.push_back(target);
      }
      char host[256] = {};
      ::gethostname(host, sizeof host - 1);
      std::string status = "200 OK", body;
      if (target == "/info") {
        body =
            R"({"ID":"abc","Name":"docker-host-7","OSType":"linux","OperatingSystem":"Debian GNU/Linux 12"})";
      } else if (target == "/containers/" + std::string(host) + "/json") {
        body = R"({"Id":"0123","Name":"/otlpd-agent","Config":{"Image":"otlpd:0.1.0","Hostname":")" +
               std::string(host) + R"("}})";
      } else {
        status = "404 Not Found";
        body = R"({"message":"No such container"})";
      }
      const std::string answer =
          "HTTP/1.1 " + status +
          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\nConnection: close\r\n\r\n" + body;
      ::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }
  std::string path_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> targets_;
};

Config DecodeConfig(const std::string& yaml) {
  config::Node node = config::ParseYaml(yaml, "rd.yaml");
  config::MapDecoder d(node, "processors.resourcedetection");
  return Config::Decode(d);
}

std::string Str(const Detected& d, std::string_view key) {
  const AnyValue* v = d.Find(key);
  return v == nullptr ? "<none>" : v->string_value();
}

}  // namespace

TEST_CASE(
    "docker detector: host.name and os.type from the Engine API's /info, container attributes on request") {
  const std::string sock =
      (std::filesystem::temp_directory_path() / ("docker-" + std::to_string(::getpid()) + ".sock")).string();
  FakeDockerApi api(sock);
  ::setenv("DOCKER_HOST", ("unix://" + sock).c_str(), 1);
  Result<MetadataEndpoint> ep = DockerDetector::EndpointFromEnv();
  ::unsetenv("DOCKER_HOST");
  REQUIRE(ep.ok());
  CHECK(ep->unix_path == sock);

  Config c = DecodeConfig("detectors: [docker]");
  Result<Detected> r = DockerDetector(c.docker, *ep).Detect(Clock::now() + std::chrono::seconds(5));
  REQUIRE(r.ok());
  CHECK(Str(*r, "host.name") == "docker-host-7");
  CHECK(Str(*r, "os.type") == "linux");
  CHECK(Str(*r, "container.name") == "<none>");
  CHECK(api.targets() == std::vector<std::string>{"/info"});

  Config all = DecodeConfig(
      "detectors: [docker]\ndocker:\n  resource_attributes:\n    container.name: {enabled: true}\n"
      "    container.image.name: {enabled: true}\n    os.type: {enabled: false}\n");
  Result<Detected> a = DockerDetector(all.docker, *ep).Detect(Clock::now() + std::chrono::seconds(5));
  REQUIRE(a.ok());
  CHECK(Str(*a, "container.name") == "otlpd-agent");
  CHECK(Str(*a, "container.image.name") == "otlpd:0.1.0");
  CHECK(Str(*a, "os.type") == "<none>");

  // No daemon: an error with the socket in it.
  MetadataEndpoint gone = *ep;
  gone.unix_path += ".missing";
  Result<Detected> none = DockerDetector(c.docker, gone).Detect(Clock::now() + std::chrono::seconds(5));
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().message().find("unix:" + gone.unix_path) != std::string::npos);

  ::setenv("DOCKER_HOST", "ssh://host", 1);
  CHECK_FALSE(DockerDetector::EndpointFromEnv().ok());
  ::unsetenv("DOCKER_HOST");
}
