// The file exporter inside the real otlpd binary: OTLP/gRPC in, one exporter
// grouping by a resource attribute into JSON files, one writing rotated zstd
// proto records; and a bad file exporter config refused by `otlpd validate`.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "test/exporters/file/test_files.h"
#include "test/exporters/file/test_requests.h"
#include "test/support/process.h"
#include "test/support/sink.h"

namespace otlpd::exporters::file {
namespace {

namespace tracepb = opentelemetry::proto::collector::trace::v1;
using test::Process;
using test::WaitFor;

const std::string kOtlpd = OTLPD_BINARY;

std::string Config(int port, const std::string& dir) {
  return "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:" +
         std::to_string(port) +
         "\nexporters:\n"
         "  file/groups:\n"
         "    path: " +
         dir +
         "/groups/*.json\n"
         "    flush_interval: 10ms\n"
         "    group_by:\n"
         "      enabled: true\n"
         "      resource_attribute: team\n"
         "      max_open_files: 2\n"
         "  file/zstd:\n"
         "    path: " +
         dir +
         "/all/traces.zst\n"
         "    format: proto\n"
         "    compression: zstd\n"
         "    create_directory: true\n"
         "    rotation:\n"
         "      max_megabytes: 1\n"
         "      max_backups: 50\n"
         "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n"
         "      exporters: [file/groups, file/zstd]\n";
}

tracepb::ExportTraceServiceRequest Request(int i, const std::string& padding) {
  tracepb::ExportTraceServiceRequest req;
  for (const char* team : {"red", "blue", "../../outside"}) {
    auto* rs = req.add_resource_spans();
    auto* kv = rs->mutable_resource()->add_attributes();
    kv->set_key("team");
    kv->mutable_value()->set_string_value(team);
    auto* s = rs->add_scope_spans()->add_spans();
    s->set_trace_id(std::string(16, static_cast<char>(i % 250 + 1)));
    s->set_span_id(std::string(8, static_cast<char>(team[0])));
    s->set_name(std::string(team) + "-" + std::to_string(i));
    auto* pad = s->add_attributes();
    pad->set_key("pad");
    pad->mutable_value()->set_string_value(padding);
  }
  return req;
}

// Span names in the group's JSON file: OTLP/JSON has hex ids, which proto3
// JSON does not read, so names are taken from the text.
std::multiset<std::string> JsonSpanNames(const std::filesystem::path& path) {
  std::multiset<std::string> names;
  const std::string data = testing::ReadAll(path);
  const std::string key = "\"name\":\"";
  for (std::size_t pos = data.find(key); pos != std::string::npos; pos = data.find(key, pos)) {
    pos += key.size();
    names.insert(data.substr(pos, data.find('"', pos) - pos));
  }
  return names;
}

TEST_CASE("otlpd writes grouped JSON files and rotated zstd records", "[file][e2e]") {
  testing::TempDir dir;
  test::WriteFile(dir.path() / "otlpd.yaml", Config(0, dir.path().string()));
  Process p({kOtlpd, "--config", (dir.path() / "otlpd.yaml").string()}, dir.path() / "otlpd.log");
  const int port = LoggedPort(p, "OTLP/gRPC listening on");
  INFO(p.Output());
  REQUIRE(port != 0);
  INFO(p.Output());
  REQUIRE(p.running());

  auto stub = tracepb::TraceService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  // ~60 KB of padding per span (~45 KB once compressed; the three spans of a
  // request share it): the zstd file rotates a few times.
  std::string padding;
  std::uint32_t x = 7;
  for (int i = 0; i < 60000; ++i) {
    x = x * 1103515245 + 12345;
    padding.push_back(static_cast<char>('0' + (x >> 16) % 75));
  }
  constexpr int kRequests = 90;
  std::multiset<std::string> red, blue;
  for (int i = 0; i < kRequests; ++i) {
    grpc::ClientContext ctx;
    tracepb::ExportTraceServiceResponse resp;
    grpc::Status s =
        stub->Export(&ctx, Request(i, padding.substr(i * 100) + padding.substr(0, i * 100)), &resp);
    REQUIRE(s.ok());
    red.insert("red-" + std::to_string(i));
    blue.insert("blue-" + std::to_string(i));
  }
  p.Signal(SIGTERM);
  REQUIRE(p.Wait(std::chrono::seconds(30)) == 0);

  CHECK(JsonSpanNames(dir.path() / "groups/red.json") == red);
  CHECK(JsonSpanNames(dir.path() / "groups/blue.json") == blue);
  CHECK(testing::FileNames(dir.path() / "groups") == std::vector<std::string>{"blue.json", "red.json"});
  CHECK_FALSE(std::filesystem::exists(dir.path().parent_path() / "outside.json"));
  CHECK_THAT(p.Output(), Catch::Contains("refusing resource attribute team=\"../../outside\""));

  // Backups then the current file, in time order: every request once, whole.
  const std::vector<std::string> files = testing::FileNames(dir.path() / "all");
  CHECK(files.size() >= 3);
  CHECK(files.back() == "traces.zst");
  std::multiset<std::string> all;
  std::size_t requests = 0;
  for (const std::string& f : files) {
    INFO(f);
    CHECK(std::filesystem::file_size(dir.path() / "all" / f) <= (1u << 20));
    testing::FileRequests r =
        testing::ReadRequests(dir.path() / "all" / f, Signal::kTraces, Format::kProto, Compression::kZstd);
    CHECK(r.intact);
    requests += r.requests.size();
    for (const std::string& bytes : r.requests) {
      testing::Contents c;
      REQUIRE(testing::ReadContents(Signal::kTraces, bytes, c));
      all.insert(c.names.begin(), c.names.end());
    }
  }
  CHECK(requests == kRequests);
  CHECK(all.size() == 3 * kRequests);
  CHECK(all.count("red-7") == 1);
  CHECK(all.count("../../outside-39") == 1);  // this exporter does not group: it keeps everything
}

TEST_CASE("otlpd validate names the file, line and key of a bad file exporter option", "[file][e2e]") {
  testing::TempDir dir;
  test::WriteFile(dir.path() / "bad.yaml",
                  "receivers:\n  otlp:\n    protocols:\n      grpc:\n"
                  "exporters:\n  file:\n    path: /tmp/no-star.json\n    group_by:\n      enabled: true\n"
                  "service:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [file]\n");
  Process p({kOtlpd, "validate", "--config", (dir.path() / "bad.yaml").string()}, dir.path() / "out.log");
  CHECK(p.Wait(std::chrono::seconds(30)) == 1);
  CHECK_THAT(p.Output(),
             Catch::Contains("bad.yaml:7:11: exporters.file.path: must contain exactly one * when "
                             "group_by is enabled"));
}

}  // namespace
}  // namespace otlpd::exporters::file
