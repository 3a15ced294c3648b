#include "processors/resourcedetection/resourcedetection_processor.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "config/error.h"
#include "config/loader.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "otlp/wire/wire_walker.h"
#include "processors/resourcedetection/env_detector.h"
#include "processors/resourcedetection/factory.h"
#include "processors/resourcedetection/system_detector.h"
#include "test/support/config_error.h"
#include "test/support/sink.h"

using namespace otlpd;
using namespace otlpd::processors::resourcedetection;
using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

namespace {

constexpr char kPath[] = "processors.resourcedetection";

Config Decode(const std::string& yaml) {
  config::Node node = config::ParseYaml(yaml, "rd.yaml");
  config::MapDecoder d(node, kPath);
  return Config::Decode(d);
}

std::string DecodeError(const std::string& yaml) {
  return test::ConfigError([&] { Decode(yaml); });
}

// Sets an environment variable for one test and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value == nullptr) {
      unsetenv(name);
    } else {
      setenv(name, value, 1);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

std::map<std::string, std::string> Strings(const Detected& d) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : d.attributes) out[k] = v.string_value();
  return out;
}

std::string Traces(const std::map<std::string, std::string>& attrs, int resources = 1) {
  ExportTraceServiceRequest req;
  for (int r = 0; r < resources; ++r) {
    auto* rs = req.add_resource_spans();
    for (const auto& [k, v] : attrs) {
      auto* kv = rs->mutable_resource()->add_attributes();
      kv->set_key(k);
      kv->mutable_value()->set_string_value(v);
    }
    auto* s = rs->add_scope_spans()->add_spans();
    s->set_trace_id(std::string(16, '\x07'));
    s->set_span_id(std::string(8, '\x01'));
    s->set_name("op");
  }
  return req.SerializeAsString();
}

std::vector<std::map<std::string, std::string>> ResourceAttrs(const std::string& bytes) {
  ExportTraceServiceRequest req;
  REQUIRE(req.ParseFromString(bytes));
  std::vector<std::map<std::string, std::string>> out;
  for (const auto& rs : req.resource_spans()) {
    auto& m = out.emplace_back();
    for (const auto& kv : rs.resource().attributes()) m[kv.key()] = kv.value().string_value();
  }
  return out;
}

// Runs a processor made by the factory over one traces request.
std::string RunTraces(const std::string& yaml, const std::string& bytes, Status* start_status = nullptr) {
  config::Node node = config::ParseYaml(yaml, "rd.yaml");
  CreateContext ctx;
  ctx.id = config::ComponentId{"resourcedetection", ""};
  ctx.path = kPath;
  test::Sink sink;
  auto p = ResourceDetectionProcessorFactory().create(ctx, node, Signal::kTraces, &sink);
  Status s = p->Start();
  if (start_status != nullptr) *start_status = s;
  if (!s.ok()) {
    p->Shutdown(Clock::now());
    return "";
  }
  auto count = wire::ValidateAndCount(Signal::kTraces, bytes);
  REQUIRE(count.ok());
  REQUIRE(p->Consume(MakePayload(Signal::kTraces, bytes, *count, nullptr)).ok());
  p->Shutdown(Clock::now());
  REQUIRE(sink.payloads().size() == 1);
  return sink.payloads()[0]->bytes;
}

}  // namespace

TEST_CASE("config defaults match otelcol") {
  Config c = Decode("{}");
  CHECK(c.detectors == std::vector<std::string>{"env"});
  CHECK(c.override);
  CHECK(c.timeout == std::chrono::seconds(5));
  CHECK(c.refresh_interval.count() == 0);
  CHECK_FALSE(c.fail_on_missing_metadata);
  CHECK(c.retry.enabled);
  CHECK(c.retry.initial_interval == std::chrono::seconds(1));
  CHECK(c.retry.multiplier == 2);
  CHECK(c.retry.max_interval == std::chrono::seconds(30));
  CHECK(c.retry.max_elapsed_time.count() == 0);
  CHECK(c.system.hostname_sources == std::vector<std::string>{"dns", "os"});
  CHECK(c.system.resource_attributes.enabled("host.name"));
  CHECK_FALSE(c.system.resource_attributes.enabled("host.id"));
}

TEST_CASE("config validation errors") {
  CHECK_THAT(DecodeError("detectors: [env, foo]"),
             Catch::Contains("invalid detector key: foo") &&
                 Catch::Contains("otlpd has: env, system, ec2, gcp, azure, docker, k8s_api, k8snode"));
  CHECK(DecodeError("detectors: [k8snode]") == "");
  CHECK(DecodeError("detectors: [k8s_api]\nk8s_api: {auth_type: kubeConfig, node_from_env_var: N}") == "");
  CHECK_THAT(DecodeError("k8s_api: {auth_type: magic}"),
             Catch::Contains("invalid authType for kubernetes: magic"));
  CHECK_THAT(DecodeError("k8s_api: {resource_attributes: {k8s.pod.name: {enabled: true}}}"),
             Catch::Contains("k8s.pod.name"));
  CHECK_THAT(DecodeError("detectors: [eks]"), Catch::Contains("\"eks\" is not implemented in otlpd"));
  CHECK_THAT(DecodeError("detectors: [heroku]"), Catch::Contains("\"heroku\" is not implemented in otlpd"));
  CHECK_THAT(DecodeError("timeout: 0s"),
             Catch::Contains("retry.enabled requires either timeout > 0 or retry.max_elapsed_time > 0"));
  CHECK(DecodeError("timeout: 0s\nretry: {enabled: false}") == "");
  CHECK(DecodeError("timeout: 0s\nretry: {max_elapsed_time: 60s}") == "");
  CHECK_THAT(DecodeError("system: {hostname_sources: [os, bogus]}"),
             Catch::Contains("hostname_sources contains invalid value: \"bogus\"") &&
                 Catch::Contains("processors.resourcedetection.system.hostname_sources"));
  CHECK_THAT(DecodeError("system: {resource_attributes: {host.nope: {enabled: true}}}"),
             Catch::Contains("host.nope"));
  CHECK_THAT(DecodeError("system: {resource_attributes: {host.id: {enabled: true, extra: 1}}}"),
             Catch::Contains("extra"));
  CHECK_THAT(DecodeError("bogus: 1"), Catch::Contains("bogus"));
  // Sections of detectors otlpd does not run are accepted, as otelcol does.
  CHECK(DecodeError("eks: {resource_attributes: {}}\naks: {}") == "");
  Config c = Decode("system: {resource_attributes: {host.id: {enabled: true}, os.type: {enabled: false}}}");
  CHECK(c.system.resource_attributes.enabled("host.id"));
  CHECK_FALSE(c.system.resource_attributes.enabled("os.type"));
}

TEST_CASE("env: parsing as otelcol does") {
  auto ok = ParseResourceAttributes(" service.name = checkout ,k8s.pod.name=a%20b%2Cc,empty=, plus=a+b");
  REQUIRE(ok.ok());
  auto m = Strings(*ok);
  CHECK(m["service.name"] == "checkout");
  CHECK(m["k8s.pod.name"] == "a b,c");
  CHECK(m["empty"] == "");
  CHECK(m["plus"] == "a b");
  // Order as given.
  CHECK(ok->attributes[0].first == "service.name");

  auto none = ParseResourceAttributes("novalue");
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().message() == "invalid resource format: \"novalue\"");
  auto trailing = ParseResourceAttributes("a=b,junk");
  REQUIRE_FALSE(trailing.ok());
  CHECK(trailing.status().message() == "invalid resource format, invalid text: \"junk\"");
  auto bad_escape = ParseResourceAttributes("a=%zz");
  REQUIRE_FALSE(bad_escape.ok());
  CHECK(bad_escape.status().message() ==
        "invalid resource format in attribute: \"a=%zz\", err: invalid URL escape \"%zz\"");
}

TEST_CASE("env: OTEL_RESOURCE_ATTRIBUTES, then OTEL_RESOURCE") {
  {
    ScopedEnv a("OTEL_RESOURCE_ATTRIBUTES", "k=v1");
    ScopedEnv b("OTEL_RESOURCE", "k=v2,x=y");
    auto d = EnvDetector().Detect(Clock::now());
    REQUIRE(d.ok());
    CHECK(Strings(*d) == std::map<std::string, std::string>{{"k", "v1"}});
  }
  {
    ScopedEnv a("OTEL_RESOURCE_ATTRIBUTES", "  ");
    ScopedEnv b("OTEL_RESOURCE", "k=v2");
    auto d = EnvDetector().Detect(Clock::now());
    REQUIRE(d.ok());
    CHECK(Strings(*d) == std::map<std::string, std::string>{{"k", "v2"}});
  }
  {
    ScopedEnv a("OTEL_RESOURCE_ATTRIBUTES", nullptr);
    ScopedEnv b("OTEL_RESOURCE", nullptr);
    auto d = EnvDetector().Detect(Clock::now());
    REQUIRE(d.ok());
    CHECK(d->attributes.empty());
  }
}

TEST_CASE("system: hostname sources, os files and switches") {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("rd_system_" + std::to_string(getpid()));
  fs::create_directories(root / "etc");
  fs::create_directories(root / "proc");
  std::ofstream(root / "etc/machine-id") << "0123456789abcdef0123456789abcdef\n";
  std::ofstream(root / "etc/os-release")
      << "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"
         "VERSION_ID=\"12\"\nID=debian\n";
  std::ofstream(root / "proc/cpuinfo")
      << "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
         "model name\t: Intel(R) Xeon(R)\nstepping\t: 7\ncache size\t: 512 KB\n\n"
         "processor\t: 1\nvendor_id\t: Other\n";

  SystemConfig cfg;
  cfg.hostname_sources = {"os"};
  SystemSources src{root.string(), [] { return Result<std::string>(std::string("node-7")); }};
  {
    auto d = SystemDetector(cfg, src).Detect(Clock::now());
    REQUIRE(d.ok());
    CHECK(Strings(*d) == std::map<std::string, std::string>{{"host.name", "node-7"}, {"os.type", "linux"}});
    CHECK(d->schema_url == kSystemSchemaUrl);
  }
  config::Node node = config::ParseYaml(
      "system:\n  hostname_sources: [os]\n  resource_attributes:\n"
      "    host.id: {enabled: true}\n    host.arch: {enabled: true}\n    os.name: {enabled: true}\n"
      "    os.version: {enabled: true}\n    os.description: {enabled: true}\n    host.cpu.vendor.id: "
      "{enabled: true}\n"
      "    host.cpu.family: {enabled: true}\n    host.cpu.stepping: {enabled: true}\n"
      "    host.cpu.cache.l2.size: {enabled: true}\n    host.ip: {enabled: true}\n",
      "rd.yaml");
  config::MapDecoder dec(node, kPath);
  Config full = Config::Decode(dec);
  auto d = SystemDetector(full.system, src).Detect(Clock::now());
  REQUIRE(d.ok());
  auto m = Strings(*d);
  CHECK(m["host.id"] == "0123456789abcdef0123456789abcdef");
  CHECK(m["os.name"] == "Debian GNU/Linux");
  CHECK(m["os.version"] == "12");
  CHECK_THAT(m["os.description"], Catch::StartsWith("Debian GNU/Linux 12 (bookworm) (Linux "));
  CHECK(m["host.cpu.vendor.id"] == "GenuineIntel");
  CHECK(m["host.cpu.family"] == "6");
  CHECK_FALSE(m["host.arch"].empty());
  REQUIRE(d->Find("host.cpu.stepping") != nullptr);
  CHECK(d->Find("host.cpu.stepping")->int_value() == 7);
  CHECK(d->Find("host.cpu.cache.l2.size")->int_value() == 512 * 1024);
  REQUIRE(d->Find("host.ip") != nullptr);
  CHECK(d->Find("host.ip")->has_array_value());

  // Every source failing is an error; a failing source falls through to the next.
  SystemSources failing{root.string(),
                        [] { return Result<std::string>(Status::Unavailable("no hostname")); }};
  auto f = SystemDetector(cfg, failing).Detect(Clock::now());
  REQUIRE_FALSE(f.ok());
  CHECK(f.status().message() == "all hostname sources failed to get hostname");
  SystemConfig fallthrough;
  fallthrough.hostname_sources = {"dns", "os"};
  SystemSources unresolvable{root.string(),
                             [] { return Result<std::string>(std::string("no-such-host.invalid")); }};
  auto ft = SystemDetector(fallthrough, unresolvable).Detect(Clock::now());
  REQUIRE(ft.ok());
  CHECK(Strings(*ft)["host.name"] == "no-such-host.invalid");
  fs::remove_all(root);
}

TEST_CASE("system: the real machine answers with dns then os") {
  SystemDetector det(SystemConfig{}, SystemSources{});
  auto d = det.Detect(Clock::now());
  REQUIRE(d.ok());
  // dns gives the resolver's canonical name for the host name (which
  // /etc/hosts decides on most machines), else os the host name itself.
  CHECK_FALSE(Strings(*d)["host.name"].empty());
  CHECK(Strings(*d)["os.type"] == "linux");
}

TEST_CASE("processor merges detected attributes into every resource, with override") {
  ScopedEnv a("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,service.name=from-env");
  const std::string in = Traces({{"service.name", "app"}, {"keep", "me"}}, 2);

  auto over = ResourceAttrs(RunTraces("detectors: [env]", in));
  REQUIRE(over.size() == 2);
  for (auto& m : over) {
    CHECK(m == std::map<std::string, std::string>{
                   {"service.name", "from-env"}, {"keep", "me"}, {"deployment.environment", "prod"}});
  }
  auto keep = ResourceAttrs(RunTraces("detectors: [env]\noverride: false", in));
  for (auto& m : keep) {
    CHECK(m == std::map<std::string, std::string>{
                   {"service.name", "app"}, {"keep", "me"}, {"deployment.environment", "prod"}});
  }
}

TEST_CASE("processor: first detector wins per key; a failing detector fails Start") {
  ScopedEnv a("OTEL_RESOURCE_ATTRIBUTES", "host.name=from-env,os.type=plan9");
  auto m = ResourceAttrs(RunTraces("detectors: [env, system]\nsystem: {hostname_sources: [os]}", Traces({})));
  REQUIRE(m.size() == 1);
  CHECK(m[0]["host.name"] == "from-env");
  CHECK(m[0]["os.type"] == "plan9");
  auto s = ResourceAttrs(RunTraces("detectors: [system, env]\nsystem: {hostname_sources: [os]}", Traces({})));
  CHECK(s[0]["os.type"] == "linux");

  ScopedEnv bad("OTEL_RESOURCE_ATTRIBUTES", "garbage");
  Status st;
  RunTraces("detectors: [env]\ntimeout: 300ms\nretry: {initial_interval: 50ms}", Traces({}), &st);
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.message(), Catch::Contains("env: invalid resource format: \"garbage\""));
}

TEST_CASE("processor: logs too, and refresh_interval re-detects") {
  // The variable changes while the refresh thread reads it: a synchronised
  // stand-in for the environment (setenv racing getenv is undefined).
  struct Env {
    std::mutex mu;
    std::string value = "round=1";
  };
  auto env = std::make_shared<Env>();
  std::vector<NamedDetector> detectors;
  detectors.push_back(NamedDetector{"env", std::make_unique<EnvDetector>([env](const char* name) {
                                      std::lock_guard<std::mutex> lock(env->mu);
                                      return std::string(name) == "OTEL_RESOURCE_ATTRIBUTES" ? env->value
                                                                                             : std::string();
                                    })});
  auto set = [&](const char* v) {
    std::lock_guard<std::mutex> lock(env->mu);
    env->value = v;
  };
  Config config = Decode("detectors: [env]\nrefresh_interval: 20ms");
  test::Sink sink;
  ResourceDetectionProcessor p("resourcedetection/r", Signal::kLogs,
                               std::make_shared<ResourceProvider>(std::move(config), std::move(detectors)),
                               &sink);
  REQUIRE(p.Start().ok());
  ExportLogsServiceRequest req;
  req.add_resource_logs()->add_scope_logs()->add_log_records()->mutable_body()->set_string_value("x");
  const std::string bytes = req.SerializeAsString();
  auto round = [&] {
    REQUIRE(p.Consume(MakePayload(Signal::kLogs, bytes, 1, nullptr)).ok());
    ExportLogsServiceRequest out;
    REQUIRE(out.ParseFromString(sink.payloads().back()->bytes));
    REQUIRE(out.resource_logs(0).resource().attributes_size() == 1);
    return out.resource_logs(0).resource().attributes(0).value().string_value();
  };
  CHECK(round() == "1");
  set("round=2");
  CHECK(test::WaitFor([&] { return round() == "2"; }, std::chrono::seconds(10)));
  // A refresh that fails keeps the last good snapshot.
  set("broken");
  CHECK_FALSE(test::WaitFor([&] { return round() != "2"; }, std::chrono::milliseconds(200)));
  p.Shutdown(Clock::now());
}

TEST_CASE("processor: the system detector's schema URL fills entries that have none") {
  ExportTraceServiceRequest req;
  req.add_resource_spans()->add_scope_spans()->add_spans()->set_name("a");
  auto* own = req.add_resource_spans();
  own->set_schema_url("https://opentelemetry.io/schemas/1.21.0");
  own->add_scope_spans()->add_spans()->set_name("b");
  ExportTraceServiceRequest out;
  REQUIRE(out.ParseFromString(
      RunTraces("detectors: [system]\nsystem: {hostname_sources: [os]}", req.SerializeAsString())));
  REQUIRE(out.resource_spans_size() == 2);
  CHECK(out.resource_spans(0).schema_url() == kSystemSchemaUrl);
  CHECK(out.resource_spans(1).schema_url() == "https://opentelemetry.io/schemas/1.21.0");
  CHECK(out.resource_spans(0).scope_spans(0).spans(0).name() == "a");
  CHECK(out.resource_spans(1).scope_spans(0).spans(0).name() == "b");
  CHECK(out.resource_spans(0).resource().attributes_size() == 2);  // host.name, os.type
  // env has no schema URL: entries stay without one.
  ScopedEnv a("OTEL_RESOURCE_ATTRIBUTES", "k=v");
  ExportTraceServiceRequest env_out;
  REQUIRE(env_out.ParseFromString(RunTraces("detectors: [env]", req.SerializeAsString())));
  CHECK(env_out.resource_spans(0).schema_url().empty());
}
