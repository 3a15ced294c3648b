// Hostile gRPC clients against the real otlpd binary, memory read from /proc:
// a length prefix that claims 4 GiB, and thousands of streams that send
// headers and nothing else. Each must be bounded, and an honest client on
// another connection must keep being served meanwhile.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "test/support/process.h"
#include "test/support/raw_h2_client.h"
#include "test/support/sink.h"

using namespace otlpd::test;
namespace tracepb = opentelemetry::proto::collector::trace::v1;

namespace {

const std::string kOtlpd = OTLPD_BINARY;
constexpr char kTracesPath[] = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
constexpr std::size_t kMiB = 1 << 20;

std::string Config(int port, const std::string& grpc_extra) {
  return "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:" +
         std::to_string(port) + "\n" + grpc_extra +
         "exporters:\n  debug:\n    verbosity: basic\n"
         "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug]\n";
}

// The otlpd command line, with the OTLP/gRPC server named either way: gRPC
// C++'s, or with OTLPD_TEST_GRPC_SERVER=nghttp2 (ctest's
// test_grpc_limits_e2e_nghttp2) the one on nghttp2, otlpd's default.
std::vector<std::string> OtlpdCommand(const std::filesystem::path& config) {
  const char* server = std::getenv("OTLPD_TEST_GRPC_SERVER");
  const bool nghttp2 = server != nullptr && std::string_view(server) == "nghttp2";
  return {kOtlpd, "--config", config.string(),
          nghttp2 ? "--feature-gates=+otlpd.receiver.otlp.nghttp2GrpcServer"
                  : "--feature-gates=-otlpd.receiver.otlp.nghttp2GrpcServer"};
}

// One honest Export on its own connection.
bool HonestExportServed(int port) {
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  auto stub = tracepb::TraceService::NewStub(channel);
  tracepb::ExportTraceServiceRequest req;
  auto* span = req.add_resource_spans()->add_scope_spans()->add_spans();
  span->set_trace_id(std::string(16, '\x01'));
  span->set_span_id(std::string(8, '\x02'));
  span->set_name("honest");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  tracepb::ExportTraceServiceResponse resp;
  return stub->Export(&ctx, req, &resp).ok();
}

}  // namespace

TEST_CASE("a gRPC length prefix claiming 4 GiB is refused before the body is buffered") {
  TempDir dir;
  WriteFile(dir / "c.yaml", Config(0, ""));
  Process otlpd(OtlpdCommand(dir / "c.yaml"), dir / "otlpd.log");
  const int port = LoggedPort(otlpd, "OTLP/gRPC listening on");
  INFO(otlpd.Output());
  REQUIRE(port != 0);
  REQUIRE(HonestExportServed(port));
  const std::size_t rss_before = RssBytes(otlpd.pid());

  RawH2Client client(port);
  REQUIRE(client.connected());
  const std::int32_t id = client.OpenCall(kTracesPath);
  // Uncompressed, 0xffffffff bytes claimed; then filler as fast as flow
  // control lets it go, up to 256 MiB (more than the 4 MiB limit by far).
  std::string prefix("\x00\xff\xff\xff\xff", 5);
  REQUIRE(client.SendData(id, prefix, false) == prefix.size());
  const std::string filler(256 * 1024, 'x');
  std::size_t sent = 0, rss_peak = rss_before;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!client.stream(id).closed && client.connected() && sent < 256 * kMiB &&
         std::chrono::steady_clock::now() < deadline) {
    if (client.queued() < filler.size()) sent += client.SendData(id, filler, false);
    client.Pump(std::chrono::milliseconds(20));
    rss_peak = std::max(rss_peak, RssBytes(otlpd.pid()));
  }
  const auto& s = client.stream(id);
  const std::string status = s.headers.count("grpc-status") ? s.headers.at("grpc-status") : "";
  INFO("sent " << sent / kMiB << " MiB; RSS before " << rss_before / kMiB << " MiB, peak " << rss_peak / kMiB
               << " MiB; reset code " << s.rst_code << ", grpc-status '" << status << "', goaway "
               << client.goaway());
  // Refused: reset, or answered RESOURCE_EXHAUSTED (8); either way early.
  CHECK((s.closed || client.goaway() || !client.connected()));
  CHECK((s.rst_code != 0xffffffff || status == "8" || client.goaway()));
  CHECK(sent < 64 * kMiB);
#if !defined(__SANITIZE_ADDRESS__)
  // ASan keeps freed memory in its quarantine and adds shadow pages, so RSS
  // overstates what otlpd holds; the plain build checks the bound.
  CHECK(rss_peak - rss_before < 64 * kMiB);
#endif
  CHECK(HonestExportServed(port));
  UNSCOPED_INFO("4GiB-claim: sent_MiB=" << sent / kMiB
                                        << " rss_growth_MiB=" << (rss_peak - rss_before) / kMiB);
}

TEST_CASE("10,000 header-only gRPC streams on one connection are refused past max_concurrent_streams") {
  TempDir dir;
  WriteFile(dir / "c.yaml", Config(0, ""));
  Process otlpd(OtlpdCommand(dir / "c.yaml"), dir / "otlpd.log");
  const int port = LoggedPort(otlpd, "OTLP/gRPC listening on");
  INFO(otlpd.Output());
  REQUIRE(port != 0);
  REQUIRE(HonestExportServed(port));
  const std::size_t rss_before = RssBytes(otlpd.pid());

  RawH2Client client(port);
  REQUIRE(client.connected());
  // The server's SETTINGS arrive and are acknowledged first, as every HTTP/2
  // stack does; then the client opens every stream at once, whatever
  // SETTINGS_MAX_CONCURRENT_STREAMS says.
  REQUIRE(client.PumpUntil([&] { return client.settings_acked(); }, std::chrono::seconds(10)));
  CHECK(client.peer_max_concurrent_streams() == 100);  // the documented default
  constexpr int kStreams = 10000;
  for (int i = 0; i < kStreams; ++i) client.OpenCall(kTracesPath);
  std::size_t rss_peak = rss_before;
  // Refused: streams past the limit reset, or the connection closed.
  const bool refused = client.PumpUntil(
      [&] {
        rss_peak = std::max(rss_peak, RssBytes(otlpd.pid()));
        return !client.connected() || client.goaway() ||
               (client.queued() == 0 &&
                client.closed_streams() >= kStreams - client.peer_max_concurrent_streams());
      },
      std::chrono::seconds(30));
  INFO("max_concurrent_streams " << client.peer_max_concurrent_streams() << ", closed "
                                 << client.closed_streams() << ", connected " << client.connected()
                                 << ", RSS before " << rss_before / kMiB << " MiB, peak " << rss_peak / kMiB
                                 << " MiB");
  CHECK(refused);
#if !defined(__SANITIZE_ADDRESS__)
  // ASan keeps freed memory in its quarantine and adds shadow pages, so RSS
  // overstates what otlpd holds; the plain build checks the bound.
  CHECK(rss_peak - rss_before < 64 * kMiB);
#endif
  CHECK(HonestExportServed(port));
  UNSCOPED_INFO("idle-streams: rss_growth_MiB=" << (rss_peak - rss_before) / kMiB);
}

TEST_CASE("a gRPC call that sends no complete message is cancelled at request_receive_timeout") {
  TempDir dir;
  // A short deadline so that the test sees it act; the default is 30s.
  WriteFile(dir / "c.yaml", Config(0, "        request_receive_timeout: 2s\n"));
  Process otlpd(OtlpdCommand(dir / "c.yaml"), dir / "otlpd.log");
  const int port = LoggedPort(otlpd, "OTLP/gRPC listening on");
  INFO(otlpd.Output());
  REQUIRE(port != 0);

  RawH2Client client(port);
  REQUIRE(client.PumpUntil([&] { return client.settings_acked(); }, std::chrono::seconds(10)));
  // 50 calls with headers only, and one that sends half of a 100-byte message.
  std::vector<std::int32_t> ids;
  for (int i = 0; i < 50; ++i) ids.push_back(client.OpenCall(kTracesPath));
  const std::int32_t partial = client.OpenCall(kTracesPath);
  REQUIRE(client.SendData(partial, std::string("\x00\x00\x00\x00\x64", 5) + std::string(50, '\x0a'), false) ==
          55);
  ids.push_back(partial);
  const bool all_closed = client.PumpUntil(
      [&] { return std::all_of(ids.begin(), ids.end(), [&](auto id) { return client.stream(id).closed; }); },
      std::chrono::seconds(30));
  INFO("closed " << client.closed_streams() << " of " << ids.size());
  CHECK(all_closed);
  CHECK(client.connected());  // the connection stays; only the calls end
  CHECK(HonestExportServed(port));
}

TEST_CASE(
    "honest large gRPC requests from many connections at once are all accepted under the memory quota") {
  TempDir dir;
  WriteFile(dir / "c.yaml", Config(0, ""));
  Process otlpd(OtlpdCommand(dir / "c.yaml"), dir / "otlpd.log");
  const int port = LoggedPort(otlpd, "OTLP/gRPC listening on");
  INFO(otlpd.Output());
  REQUIRE(port != 0);
  // 10 connections, each sending 3 MiB requests (under the 4 MiB message
  // limit): 30 MiB in flight at once, within the 48 MiB default quota. (Past
  // the quota gRPC resets streams, honest ones too: see README.)
  constexpr int kClients = 10, kRequests = 3;
  std::atomic<int> ok{0}, retried{0};
  std::vector<std::string> failures;
  std::mutex mu;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      grpc::ChannelArguments args;
      args.SetInt("grpc.channel_id", c);  // one connection per client
      auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                               grpc::InsecureChannelCredentials(), args);
      auto stub = tracepb::TraceService::NewStub(channel);
      for (int r = 0; r < kRequests; ++r) {
        tracepb::ExportTraceServiceRequest req;
        auto* span = req.add_resource_spans()->add_scope_spans()->add_spans();
        span->set_trace_id(std::string(16, '\x01'));
        span->set_span_id(std::string(8, '\x02'));
        span->set_name(std::string(3 * kMiB, 'a'));
        // As an OTLP exporter does: UNAVAILABLE is retried (under memory
        // pressure gRPC may close a connection between calls with GOAWAY);
        // anything else is a refusal the data would be lost to.
        for (int attempt = 0;; ++attempt) {
          grpc::ClientContext ctx;
          ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
          tracepb::ExportTraceServiceResponse resp;
          const grpc::Status s = stub->Export(&ctx, req, &resp);
          if (s.ok()) {
            ++ok;
            break;
          }
          if (s.error_code() == grpc::StatusCode::UNAVAILABLE && attempt < 5) {
            ++retried;
            continue;
          }
          std::lock_guard lock(mu);
          failures.push_back(std::to_string(s.error_code()) + " " + s.error_message());
          break;
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  INFO("failures: " << failures.size() << (failures.empty() ? "" : ", first: " + failures.front())
                    << "; UNAVAILABLE retried " << retried.load());
  CHECK(ok == kClients * kRequests);
}
