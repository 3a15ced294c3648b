#include "processors/resourcedetection/docker_detector.h"

#include <unistd.h>

#include <cstdlib>

#include <simdjson.h>

namespace otlpd::processors::resourcedetection {
namespace {

// Go's GOOS as the semantic conventions' os.type.
std::string OsType(std::string_view goos) {
  if (goos == "dragonfly") return "dragonflybsd";
  if (goos == "zos") return "z_os";
  return std::string(goos);
}

Result<simdjson::dom::element> GetJson(const MetadataEndpoint& ep, const std::string& target,
                                       Clock::time_point deadline, simdjson::dom::parser& parser,
                                       std::string& body) {
  Result<MetadataResponse> r = MetadataRequest(ep, "GET", target, {}, deadline);
  if (!r.ok()) return r.status();
  if (r->status != 200)
    return Status::Unavailable("GET " + target + " answered " + std::to_string(r->status) + ": " +
                               r->body.substr(0, 200));
  body = std::move(r->body);
  simdjson::dom::element doc;
  if (parser.parse(body).get(doc)) return Status::Unavailable("GET " + target + ": the answer is not JSON");
  return doc;
}

}  // namespace

DockerDetector::DockerDetector(DockerConfig config, MetadataEndpoint endpoint)
    : config_(std::move(config)), endpoint_(std::move(endpoint)) {}

Result<MetadataEndpoint> DockerDetector::EndpointFromEnv() {
  const char* env = std::getenv("DOCKER_HOST");
  std::string host = env != nullptr && *env != '\0' ? env : "unix:///var/run/docker.sock";
  if (host.starts_with("unix://")) {
    MetadataEndpoint e;
    e.host = "docker";
    e.unix_path = host.substr(7);
    return e;
  }
  if (host.starts_with("tcp://")) return MetadataEndpoint::Parse("http://" + host.substr(6));
  return Status::InvalidArgument("DOCKER_HOST \"" + host + "\": only unix:// and tcp:// are supported");
}

Result<Detected> DockerDetector::Detect(Clock::time_point deadline) {
  simdjson::dom::parser parser;
  std::string body;
  Result<simdjson::dom::element> info = GetJson(endpoint_, "/info", deadline, parser, body);
  if (!info.ok()) return Status::Unavailable("failed getting OS type: " + info.status().message());
  std::string_view name, os;
  if ((*info)["OSType"].get(os)) return Status::Unavailable("failed getting OS type: no OSType in /info");
  if ((*info)["Name"].get(name)) return Status::Unavailable("failed getting OS hostname: no Name in /info");
  Detected out;
  const AttributeSwitches& ra = config_.resource_attributes;
  if (ra.enabled("host.name")) out.Put("host.name", std::string(name));
  if (ra.enabled("os.type")) out.Put("os.type", OsType(os));
  if (ra.enabled("container.name") || ra.enabled("container.image.name")) {
    char hostname[256] = {};
    ::gethostname(hostname, sizeof hostname - 1);
    std::string cbody;
    simdjson::dom::parser cparser;
    Result<simdjson::dom::element> c =
        GetJson(endpoint_, "/containers/" + std::string(hostname) + "/json", deadline, cparser, cbody);
    if (!c.ok()) return Status::Unavailable("failed inspecting this container: " + c.status().message());
    std::string_view cname, image;
    if (ra.enabled("container.name") && !(*c)["Name"].get(cname)) {
      if (cname.starts_with("/")) cname.remove_prefix(1);
      out.Put("container.name", std::string(cname));
    }
    if (ra.enabled("container.image.name") && !(*c)["Config"]["Image"].get(image))
      out.Put("container.image.name", std::string(image));
  }
  return out;
}

}  // namespace otlpd::processors::resourcedetection
