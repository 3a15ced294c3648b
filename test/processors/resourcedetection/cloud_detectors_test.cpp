// The ec2 and gcp detectors against stand-ins that speak the documented
// protocols: AWS IMDS (docs.aws.amazon.com/AWSEC2/latest/UserGuide/retrieve-iid.html,
// instancedata-data-retrieval.html) and the GCE metadata server
// (cloud.google.com/go/compute/metadata: GCE_METADATA_HOST, Metadata-Flavor).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <optional>

#include "config/loader.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "processors/resourcedetection/cloud_detectors.h"
#include "processors/resourcedetection/factory.h"
#include "test/processors/resourcedetection/metadata_server.h"
#include "test/support/sink.h"

using namespace otlpd;
using namespace otlpd::processors::resourcedetection;
using Req = test::MetadataServer::Request;
using Res = test::MetadataServer::Response;

namespace {

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
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

Clock::time_point Soon() { return Clock::now() + std::chrono::seconds(10); }

constexpr char kIdentity[] = R"({
  "accountId" : "123456789012", "architecture" : "x86_64", "availabilityZone" : "us-west-2b",
  "imageId" : "ami-5fb8c835", "instanceId" : "i-1234567890abcdef0", "instanceType" : "t2.micro",
  "pendingTime" : "2016-11-19T16:32:11Z", "privateIp" : "10.158.112.84", "region" : "us-west-2",
  "version" : "2017-09-30" })";

// IMDS: `v2` issues tokens and demands them; otherwise the token PUT is
// refused (403, as an instance with IMDSv2 disabled... or an old proxy) and
// GETs go without one.
test::MetadataServer::Handler Imds(bool v2, std::map<std::string, std::string> tags = {}) {
  return [v2, tags](const Req& r) -> Res {
    if (r.method == "PUT" && r.target == "/latest/api/token") {
      if (!v2) return {403, "", {}};
      if (r.Header("x-aws-ec2-metadata-token-ttl-seconds").empty()) return {400, "", {}};
      return {200, "AQAEAtoken==", {}};
    }
    if (r.method != "GET") return {405, "", {}};
    if (v2 && r.Header("x-aws-ec2-metadata-token") != "AQAEAtoken==") return {401, "", {}};
    if (r.target == "/latest/meta-data/instance-id") return {200, "i-1234567890abcdef0", {}};
    if (r.target == "/latest/dynamic/instance-identity/document") return {200, kIdentity, {}};
    if (r.target == "/latest/meta-data/hostname")
      return {200, "ip-10-158-112-84.us-west-2.compute.internal", {}};
    if (r.target == "/latest/meta-data/tags/instance") {
      std::string keys;
      for (const auto& [k, v] : tags) keys += (keys.empty() ? "" : "\n") + k;
      return {200, keys, {}};
    }
    const std::string prefix = "/latest/meta-data/tags/instance/";
    if (r.target.starts_with(prefix)) {
      auto it = tags.find(r.target.substr(prefix.size()));
      if (it != tags.end()) return {200, it->second, {}};
    }
    return {404, "", {}};
  };
}

MetadataEndpoint Endpoint(const test::MetadataServer& s) {
  auto e = MetadataEndpoint::Parse("http://" + s.endpoint());
  REQUIRE(e.ok());
  return *e;
}

const std::map<std::string, std::string> kEc2Expected{
    {"cloud.provider", "aws"},
    {"cloud.platform", "aws_ec2"},
    {"cloud.region", "us-west-2"},
    {"cloud.account.id", "123456789012"},
    {"cloud.availability_zone", "us-west-2b"},
    {"host.id", "i-1234567890abcdef0"},
    {"host.image.id", "ami-5fb8c835"},
    {"host.type", "t2.micro"},
    {"host.name", "ip-10-158-112-84.us-west-2.compute.internal"}};

}  // namespace

TEST_CASE("metadata endpoint forms") {
  auto a = MetadataEndpoint::Parse("http://169.254.169.254");
  REQUIRE(a.ok());
  CHECK(a->host == "169.254.169.254");
  CHECK(a->port == "80");
  auto b = MetadataEndpoint::Parse("127.0.0.1:8080");
  REQUIRE(b.ok());
  CHECK(b->port == "8080");
  auto c = MetadataEndpoint::Parse("http://[fd00:ec2::254]:81/");
  REQUIRE(c.ok());
  CHECK(c->host == "fd00:ec2::254");
  CHECK(c->ToString() == "[fd00:ec2::254]:81");
  CHECK_FALSE(MetadataEndpoint::Parse("https://x").ok());
}

TEST_CASE("ec2: IMDSv2 token, identity document and hostname") {
  test::MetadataServer imds(Imds(true));
  Ec2Detector det(Ec2Config{}, Endpoint(imds), false);
  auto d = det.Detect(Soon());
  REQUIRE(d.ok());
  CHECK(Strings(*d) == kEc2Expected);
  auto reqs = imds.requests();
  REQUIRE(reqs.size() == 4);
  CHECK(reqs[0].method == "PUT");
  CHECK(reqs[0].Header("x-aws-ec2-metadata-token-ttl-seconds") == "21600");
  for (std::size_t i = 1; i < reqs.size(); ++i)
    CHECK(reqs[i].Header("x-aws-ec2-metadata-token") == "AQAEAtoken==");
}

TEST_CASE("ec2: falls back to IMDSv1 when the token PUT fails") {
  test::MetadataServer imds(Imds(false));
  auto d = Ec2Detector(Ec2Config{}, Endpoint(imds), false).Detect(Soon());
  REQUIRE(d.ok());
  CHECK(Strings(*d) == kEc2Expected);
  for (const auto& r : imds.requests()) {
    if (r.method == "GET") CHECK(r.Header("x-aws-ec2-metadata-token").empty());
  }
}

TEST_CASE("ec2: switches, tags from IMDS, and no metadata service") {
  test::MetadataServer imds(Imds(true, {{"Name", "web-1"}, {"team", "core"}, {"cost", "x"}}));
  Ec2Config cfg;
  config::Node node = config::ParseYaml(
      "ec2:\n  tags_from_imds: true\n  tags: ['^Na', 'team']\n  resource_attributes:\n"
      "    host.name: {enabled: false}\n",
      "rd.yaml");
  config::MapDecoder dec(node, "processors.resourcedetection");
  Config c = Config::Decode(dec);
  auto d = Ec2Detector(c.ec2, Endpoint(imds), false).Detect(Soon());
  REQUIRE(d.ok());
  auto m = Strings(*d);
  CHECK(m.count("host.name") == 0);
  CHECK(m["ec2.tag.Name"] == "web-1");
  CHECK(m["ec2.tag.team"] == "core");
  CHECK(m.count("ec2.tag.cost") == 0);

  // A server that knows no instance: not on EC2.
  test::MetadataServer none([](const Req&) { return Res{404, "", {}}; });
  auto empty = Ec2Detector(Ec2Config{}, Endpoint(none), false).Detect(Soon());
  REQUIRE(empty.ok());
  CHECK(empty->attributes.empty());
  auto fail = Ec2Detector(Ec2Config{}, Endpoint(none), true).Detect(Soon());
  REQUIRE_FALSE(fail.ok());
  CHECK_THAT(fail.status().message(), Catch::Contains("EC2 metadata unavailable"));
}

namespace {

test::MetadataServer::Handler Gce(bool flavor = true) {
  return [flavor](const Req& r) -> Res {
    std::vector<std::pair<std::string, std::string>> h;
    if (flavor) h.emplace_back("Metadata-Flavor", "Google");
    if (r.Header("metadata-flavor") != "Google") return {403, "Missing Metadata-Flavor:Google header.", h};
    static const std::map<std::string, std::string> kValues{
        {"/computeMetadata/v1/project/project-id", "my-project"},
        {"/computeMetadata/v1/instance/id", "4520031799277581759"},
        {"/computeMetadata/v1/instance/zone", "projects/123456/zones/us-central1-a"},
        {"/computeMetadata/v1/instance/name", "vm-1"},
        {"/computeMetadata/v1/instance/hostname", "vm-1.us-central1-a.c.my-project.internal"},
        {"/computeMetadata/v1/instance/machine-type", "projects/123456/machineTypes/e2-medium"},
        {"/computeMetadata/v1/instance/attributes/created-by",
         "projects/123456/zones/us-central1-a/instanceGroupManagers/mig-1"},
        {"/computeMetadata/v1/instance/attributes/cluster-name", "prod"},
        {"/computeMetadata/v1/instance/attributes/cluster-location", "europe-west1"},
    };
    auto it = kValues.find(r.target);
    if (it == kValues.end()) return {404, "", h};
    return {200, it->second, h};
  };
}

}  // namespace

TEST_CASE("gcp: Compute Engine") {
  ScopedEnv k8s("KUBERNETES_SERVICE_HOST", std::nullopt);
  test::MetadataServer md(Gce());
  auto d = GcpDetector(GcpConfig{}, Endpoint(md), false).Detect(Soon());
  REQUIRE(d.ok());
  CHECK(Strings(*d) ==
        std::map<std::string, std::string>{{"cloud.provider", "gcp"},
                                           {"cloud.platform", "gcp_compute_engine"},
                                           {"cloud.account.id", "my-project"},
                                           {"cloud.availability_zone", "us-central1-a"},
                                           {"cloud.region", "us-central1"},
                                           {"host.type", "e2-medium"},
                                           {"host.id", "4520031799277581759"},
                                           {"host.name", "vm-1"},
                                           {"gcp.gce.instance_group_manager.name", "mig-1"},
                                           {"gcp.gce.instance_group_manager.zone", "us-central1-a"}});
  for (const auto& r : md.requests()) CHECK(r.Header("metadata-flavor") == "Google");
}

TEST_CASE("gcp: GKE, and a server that is not Google's") {
  {
    ScopedEnv k8s("KUBERNETES_SERVICE_HOST", "10.0.0.1");
    test::MetadataServer md(Gce());
    auto d = GcpDetector(GcpConfig{}, Endpoint(md), false).Detect(Soon());
    REQUIRE(d.ok());
    auto m = Strings(*d);
    CHECK(m["cloud.platform"] == "gcp_kubernetes_engine");
    CHECK(m["k8s.cluster.name"] == "prod");
    CHECK(m["cloud.region"] == "europe-west1");
    CHECK(m.count("cloud.availability_zone") == 0);
  }
  test::MetadataServer other(Gce(false));
  auto none = GcpDetector(GcpConfig{}, Endpoint(other), false).Detect(Soon());
  REQUIRE(none.ok());
  CHECK(none->attributes.empty());
  auto fail = GcpDetector(GcpConfig{}, Endpoint(other), true).Detect(Soon());
  REQUIRE_FALSE(fail.ok());
}

TEST_CASE("processor with ec2 then gcp, endpoints from the SDKs' environment variables") {
  ScopedEnv k8s("KUBERNETES_SERVICE_HOST", std::nullopt);
  test::MetadataServer imds(Imds(true));
  test::MetadataServer gce(Gce());
  ScopedEnv aws("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://" + imds.endpoint());
  ScopedEnv gcp("GCE_METADATA_HOST", gce.endpoint());
  config::Node node = config::ParseYaml("detectors: [ec2, gcp]\noverride: false", "rd.yaml");
  CreateContext ctx;
  ctx.id = config::ComponentId{"resourcedetection", ""};
  ctx.path = "processors.resourcedetection";
  test::Sink sink;
  auto p = ResourceDetectionProcessorFactory().create(ctx, node, Signal::kTraces, &sink);
  REQUIRE(p->Start().ok());
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* kv = rs->mutable_resource()->add_attributes();
  kv->set_key("host.name");
  kv->mutable_value()->set_string_value("sender");
  rs->add_scope_spans()->add_spans()->set_name("op");
  REQUIRE(p->Consume(MakePayload(Signal::kTraces, req.SerializeAsString(), 1, nullptr)).ok());
  p->Shutdown(Clock::now());
  REQUIRE(sink.payloads().size() == 1);
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest out;
  REQUIRE(out.ParseFromString(sink.payloads()[0]->bytes));
  std::map<std::string, std::string> m;
  for (const auto& a : out.resource_spans(0).resource().attributes()) m[a.key()] = a.value().string_value();
  CHECK(m["host.name"] == "sender");    // override: false
  CHECK(m["cloud.provider"] == "aws");  // ec2 first wins over gcp
  CHECK(m["cloud.account.id"] == "123456789012");
  CHECK(m["host.type"] == "t2.micro");
}

TEST_CASE("one detection serves every pipeline's instance of a processor") {
  test::MetadataServer imds(Imds(true));
  ScopedEnv aws("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://" + imds.endpoint());
  config::Node node = config::ParseYaml("detectors: [ec2]", "rd.yaml");
  int service_a = 0, service_b = 0;  // stand for two service builds (a reload)
  CreateContext ctx;
  ctx.id = config::ComponentId{"resourcedetection", "cloud"};
  ctx.path = "processors.resourcedetection/cloud";
  test::Sink sink;
  auto factory = ResourceDetectionProcessorFactory();
  ctx.service = &service_a;
  auto traces = factory.create(ctx, node, Signal::kTraces, &sink);
  auto logs = factory.create(ctx, node, Signal::kLogs, &sink);
  ctx.service = &service_b;
  auto reloaded = factory.create(ctx, node, Signal::kTraces, &sink);
  REQUIRE(traces->Start().ok());
  REQUIRE(logs->Start().ok());
  CHECK(imds.requests().size() == 4);  // token, instance-id, document, hostname: once
  REQUIRE(reloaded->Start().ok());
  CHECK(imds.requests().size() == 8);  // a new service build detects again
  for (auto* p : {traces.get(), logs.get(), reloaded.get()}) p->Shutdown(Clock::now());
}

TEST_CASE("azure: IMDS compute metadata, tags, and no service") {
  // Shape of GET /metadata/instance/compute?api-version=2020-09-01&format=json (Azure IMDS docs).
  static const std::string kCompute = R"({
    "azEnvironment": "AzurePublicCloud", "location": "westeurope", "name": "vm-a",
    "osProfile": {"adminUsername": "azureuser", "computerName": "vm-a-host"},
    "resourceGroupName": "rg-1", "subscriptionId": "8d10da13-8125-4ba9-a717-bf7490507b3d",
    "tagsList": [{"name": "env", "value": "prod"}, {"name": "owner", "value": "ops"}],
    "vmId": "02aab8a4-74ef-476e-8182-f6d2ba4166a6", "vmScaleSetName": "", "vmSize": "Standard_D2s_v3",
    "zone": "2"})";
  test::MetadataServer imds([](const Req& r) -> Res {
    if (r.Header("metadata") != "true") return {400, R"({"error":"Bad request"})", {}};
    if (r.method == "GET" && r.target == "/metadata/instance/compute?api-version=2020-09-01&format=json") {
      return {200, kCompute, {{"Content-Type", "application/json; charset=utf-8"}}};
    }
    return {404, "", {}};
  });
  config::Node node = config::ParseYaml(
      "azure:\n  tags: ['^env$']\n  resource_attributes:\n    cloud.availability_zone: {enabled: true}\n",
      "rd.yaml");
  config::MapDecoder dec(node, "processors.resourcedetection");
  Config c = Config::Decode(dec);
  auto d = AzureDetector(c.azure, Endpoint(imds), false).Detect(Soon());
  REQUIRE(d.ok());
  CHECK(Strings(*d) ==
        std::map<std::string, std::string>{{"cloud.provider", "azure"},
                                           {"cloud.platform", "azure_vm"},
                                           {"cloud.region", "westeurope"},
                                           {"cloud.account.id", "8d10da13-8125-4ba9-a717-bf7490507b3d"},
                                           {"host.id", "02aab8a4-74ef-476e-8182-f6d2ba4166a6"},
                                           {"host.name", "vm-a-host"},
                                           {"azure.vm.name", "vm-a"},
                                           {"azure.vm.size", "Standard_D2s_v3"},
                                           {"azure.resourcegroup.name", "rg-1"},
                                           {"cloud.availability_zone", "2"},
                                           {"azure.tag.env", "prod"}});
  test::MetadataServer none([](const Req&) { return Res{404, "", {}}; });
  auto empty = AzureDetector(AzureConfig{}, Endpoint(none), false).Detect(Soon());
  REQUIRE(empty.ok());
  CHECK(empty->attributes.empty());
  CHECK_FALSE(AzureDetector(AzureConfig{}, Endpoint(none), true).Detect(Soon()).ok());
}
