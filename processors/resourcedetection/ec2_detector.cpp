#include "processors/resourcedetection/cloud_detectors.h"

#include <cstdlib>
#include <thread>

#include <re2/re2.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "internal/text.h"

namespace otlpd::processors::resourcedetection {
namespace {

constexpr char kTokenTtlHeader[] = "X-aws-ec2-metadata-token-ttl-seconds";
constexpr char kTokenHeader[] = "X-aws-ec2-metadata-token";

}  // namespace

Result<MetadataEndpoint> Ec2Detector::EndpointFromEnv() {
  return MetadataEndpointFromEnv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://169.254.169.254");
}

Result<MetadataResponse> Ec2Detector::WithAttempts(
    const char* method, const std::string& path,
    const std::vector<std::pair<std::string, std::string>>& headers, Clock::time_point deadline) {
  std::chrono::nanoseconds backoff = std::chrono::milliseconds(100);
  for (int attempt = 1;; ++attempt) {
    Result<MetadataResponse> r = MetadataRequest(endpoint_, method, path, headers, deadline);
    const bool retryable = !r.ok() ? r.status().code() == StatusCode::kUnavailable : r->status >= 500;
    if (!retryable || attempt >= config_.max_attempts) return r;
    const auto wait = std::min(backoff, config_.max_backoff);
    if (Clock::now() + wait >= deadline) return r;
    std::this_thread::sleep_for(wait);
    backoff *= 2;
  }
}

Result<std::string> Ec2Detector::Get(const std::string& path, const std::string& token,
                                     Clock::time_point deadline) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!token.empty()) headers.emplace_back(kTokenHeader, token);
  Result<MetadataResponse> r = WithAttempts("GET", path, headers, deadline);
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return Status::Unavailable("GET " + path + ": EC2 metadata service answered HTTP " +
                               std::to_string(r->status));
  }
  return std::move(r->body);
}

Result<Detected> Ec2Detector::Detect(Clock::time_point deadline) {
  const char* disabled = std::getenv("AWS_EC2_METADATA_DISABLED");
  if (disabled != nullptr && EqualsIgnoreCase(disabled, "true")) {
    if (fail_on_missing_metadata_)
      return Status::Unavailable("EC2 metadata disabled (AWS_EC2_METADATA_DISABLED)");
    return Detected{};
  }
  // IMDSv2 token; any failure falls back to IMDSv1.
  std::string token;
  Result<MetadataResponse> t =
      WithAttempts("PUT", "/latest/api/token", {{kTokenTtlHeader, "21600"}}, deadline);
  if (t.ok() && t->status == 200) {
    token = std::string(TrimAsciiSpace(t->body));
  } else {
    spdlog::debug("resourcedetection ec2: no IMDSv2 token ({}), using IMDSv1",
                  t.ok() ? "HTTP " + std::to_string(t->status) : t.status().message());
  }

  Result<std::string> instance_id = Get("/latest/meta-data/instance-id", token, deadline);
  if (!instance_id.ok()) {
    if (fail_on_missing_metadata_) {
      return Status::Unavailable("EC2 metadata unavailable: " + instance_id.status().message());
    }
    spdlog::debug("resourcedetection ec2: EC2 metadata unavailable: {}", instance_id.status().message());
    return Detected{};
  }
  Result<std::string> doc_text = Get("/latest/dynamic/instance-identity/document", token, deadline);
  if (!doc_text.ok())
    return Status::Unavailable("failed getting identity document: " + doc_text.status().message());
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(*doc_text).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    return Status::Unavailable("failed getting identity document: not a JSON object");
  }
  Result<std::string> hostname = Get("/latest/meta-data/hostname", token, deadline);
  if (!hostname.ok()) return Status::Unavailable("failed getting hostname: " + hostname.status().message());

  const AttributeSwitches& on = config_.resource_attributes;
  Detected d;
  auto put = [&](const char* attr, std::string value) {
    if (on.enabled(attr)) d.Put(attr, std::move(value));
  };
  put("cloud.provider", "aws");
  put("cloud.platform", "aws_ec2");
  put("cloud.region", JsonString(doc, "region"));
  put("cloud.account.id", JsonString(doc, "accountId"));
  put("cloud.availability_zone", JsonString(doc, "availabilityZone"));
  put("host.id", JsonString(doc, "instanceId"));
  put("host.image.id", JsonString(doc, "imageId"));
  put("host.type", JsonString(doc, "instanceType"));
  put("host.name", std::string(TrimAsciiSpace(*hostname)));

  if (!config_.tags.empty()) {
    Result<std::string> keys = Get("/latest/meta-data/tags/instance", token, deadline);
    if (!keys.ok())
      return Status::Unavailable("failed fetching ec2 instance tags: " + keys.status().message());
    std::vector<std::unique_ptr<re2::RE2>> res;
    for (const std::string& r : config_.tags) res.push_back(std::make_unique<re2::RE2>(r));
    std::string_view rest = *keys;
    while (!rest.empty()) {
      const auto nl = rest.find('\n');
      std::string key(TrimAsciiSpace(rest.substr(0, nl)));
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      if (key.empty()) continue;
      bool match = false;
      for (const auto& re : res) match = match || re2::RE2::PartialMatch(key, *re);
      if (!match) continue;
      Result<std::string> value = Get("/latest/meta-data/tags/instance/" + key, token, deadline);
      if (!value.ok())
        return Status::Unavailable("failed fetching ec2 instance tags: " + value.status().message());
      d.Put("ec2.tag." + key, *value);
    }
  }
  d.schema_url = "https://opentelemetry.io/schemas/1.6.1";
  return d;
}

}  // namespace otlpd::processors::resourcedetection
