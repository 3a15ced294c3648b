// Both OTLP receivers on Unix-domain sockets (`transport: unix`): a sidecar's
// app reaches the collector through a socket file on a shared volume.
#include <grpcpp/grpcpp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "config/error.h"
#include "config/loader.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "receivers/otlp/otlp_receiver.h"
#include "test/receivers/otlp/grpc_server_choice.h"
#include "test/receivers/otlp/requests.h"
#include "test/support/sink.h"

using namespace otlpd;
using receivers::otlp::Config;
using receivers::otlp::OtlpReceiver;
namespace fs = std::filesystem;

namespace {

// A fresh directory under /tmp: socket paths must stay under 108 bytes.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = "/tmp/otlpd-unix-XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

Config Decode(const std::string& yaml) {
  auto node = config::ParseYaml(yaml, "test");
  config::MapDecoder d(node, "receivers.otlp");
  return test::WithTestGrpcServer(Config::Decode(d));
}

std::string UnixConfig(const fs::path& grpc, const fs::path& http) {
  return "protocols:\n  grpc:\n    transport: unix\n    endpoint: " + grpc.string() +
         "\n  http:\n    transport: unix\n    endpoint: " + http.string() + "\n";
}

// A socket file nobody listens on, as a collector killed with -9 leaves it.
void MakeStaleSocket(const fs::path& p) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, p.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  ::close(fd);
  REQUIRE(fs::is_socket(p));
}

int PostOverUnix(const fs::path& p, const std::string& body) {
  namespace net = boost::asio;
  namespace http = boost::beast::http;
  net::io_context ioc;
  net::local::stream_protocol::socket s(ioc);
  s.connect(net::local::stream_protocol::endpoint(p.string()));
  http::request<http::string_body> req{http::verb::post, "/v1/traces", 11};
  req.set(http::field::host, "localhost");
  req.set(http::field::content_type, "application/x-protobuf");
  req.body() = body;
  req.prepare_payload();
  http::write(s, req);
  boost::beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(s, buf, res);
  return res.result_int();
}

}  // namespace

TEST_CASE("OTLP receivers serve gRPC and HTTP on Unix-domain sockets and remove them at shutdown") {
  TempDir dir;
  const fs::path grpc_path = dir.path / "grpc.sock", http_path = dir.path / "http.sock";
  Telemetry telemetry;
  test::Sink traces;
  OtlpReceiver receiver("otlp", Decode(UnixConfig(grpc_path, http_path)), &telemetry);
  receiver.SetConsumer(Signal::kTraces, &traces);
  REQUIRE(receiver.Start().ok());
  CHECK(fs::is_socket(grpc_path));
  CHECK(fs::is_socket(http_path));

  auto req = test::TraceRequest(2);
  auto channel = grpc::CreateChannel("unix:" + grpc_path.string(), grpc::InsecureChannelCredentials());
  auto stub = opentelemetry::proto::collector::trace::v1::TraceService::NewStub(channel);
  grpc::ClientContext ctx;
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse resp;
  REQUIRE(stub->Export(&ctx, req, &resp).ok());
  CHECK(PostOverUnix(http_path, req.SerializeAsString()) == 200);
  CHECK(traces.items() == 4);
  for (const auto& p : traces.payloads()) CHECK(p->bytes == req.SerializeAsString());

  receiver.Shutdown(Clock::now() + std::chrono::seconds(5));
  CHECK_FALSE(fs::exists(grpc_path));
  CHECK_FALSE(fs::exists(http_path));
}

TEST_CASE("OTLP receivers take over a stale socket file") {
  TempDir dir;
  const fs::path grpc_path = dir.path / "grpc.sock", http_path = dir.path / "http.sock";
  MakeStaleSocket(grpc_path);
  MakeStaleSocket(http_path);
  Telemetry telemetry;
  test::Sink traces;
  OtlpReceiver receiver("otlp", Decode(UnixConfig(grpc_path, http_path)), &telemetry);
  receiver.SetConsumer(Signal::kTraces, &traces);
  REQUIRE(receiver.Start().ok());
  CHECK(PostOverUnix(http_path, test::TraceRequest(1).SerializeAsString()) == 200);
  CHECK(traces.items() == 1);
  receiver.Shutdown(Clock::now() + std::chrono::seconds(5));
}

TEST_CASE("OTLP receivers refuse a socket in use and a path that is not a socket, and leave them alone") {
  TempDir dir;
  const fs::path live = dir.path / "live.sock", file = dir.path / "data.txt";
  Telemetry telemetry;
  test::Sink traces;
  // Another receiver holds `live`.
  OtlpReceiver holder("otlp/holder",
                      Decode("protocols:\n  http:\n    transport: unix\n    endpoint: " + live.string()),
                      &telemetry);
  holder.SetConsumer(Signal::kTraces, &traces);
  REQUIRE(holder.Start().ok());
  { std::ofstream(file) << "keep me"; }

  for (const char* proto : {"grpc", "http"}) {
    OtlpReceiver second("otlp/second",
                        Decode(std::string("protocols:\n  ") + proto +
                               ":\n    transport: unix\n    endpoint: " + live.string()),
                        &telemetry);
    second.SetConsumer(Signal::kTraces, &traces);
    Status s = second.Start();
    CHECK_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains("in use"));
    second.Shutdown(Clock::now() + std::chrono::seconds(1));

    OtlpReceiver third("otlp/third",
                       Decode(std::string("protocols:\n  ") + proto +
                              ":\n    transport: unix\n    endpoint: " + file.string()),
                       &telemetry);
    third.SetConsumer(Signal::kTraces, &traces);
    s = third.Start();
    CHECK_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains("not a socket"));
    third.Shutdown(Clock::now() + std::chrono::seconds(1));
  }
  // The holder still serves, and the file is as it was.
  CHECK(PostOverUnix(live, test::TraceRequest(1).SerializeAsString()) == 200);
  std::ifstream in(file);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(content == "keep me");
  holder.Shutdown(Clock::now() + std::chrono::seconds(5));
}

TEST_CASE("transport is tcp, tcp4, tcp6 or unix; unix needs a path") {
  CHECK_NOTHROW(Decode("protocols:\n  grpc:\n    transport: unix\n    endpoint: /run/otel.sock\n"));
  CHECK_THROWS_WITH(Decode("protocols:\n  http:\n    transport: unix\n    endpoint: \"\"\n"),
                    Catch::Contains("unix socket path cannot be empty"));
  CHECK_THROWS_WITH(Decode("protocols:\n  grpc:\n    transport: udp\n"),
                    Catch::Contains("must be tcp, tcp4, tcp6 or unix"));
}
