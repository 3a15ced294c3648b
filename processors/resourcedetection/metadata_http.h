#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "component/component.h"
#include "internal/status.h"

namespace simdjson::dom {
class element;
}  // namespace simdjson::dom

namespace otlpd::processors::resourcedetection {

// Where a cloud metadata service listens: "169.254.169.254", "host:port",
// "[v6]:port" or "http://host:port" (an SDK's endpoint override).
struct MetadataEndpoint {
  std::string host;
  std::string port = "80";
  // When set, the request goes over this Unix-domain socket instead (the
  // Docker Engine API); `host` is then only the Host header.
  std::string unix_path;

  // Parses any of the forms above; InvalidArgument for https or garbage.
  static Result<MetadataEndpoint> Parse(std::string_view text);
  std::string ToString() const;
};

struct MetadataResponse {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  // The value of header `name` (case-insensitive), "" when absent.
  std::string Header(std::string_view name) const;
};

// One plain-HTTP/1.1 request to a link-local metadata service, done (DNS,
// connect, write, read) before `deadline`. Bodies beyond 1 MiB are refused.
// Transport failures are Unavailable, the deadline DeadlineExceeded; any
// HTTP status is a response.
Result<MetadataResponse> MetadataRequest(const MetadataEndpoint& endpoint, std::string_view method,
                                         std::string_view target,
                                         const std::vector<std::pair<std::string, std::string>>& headers,
                                         Clock::time_point deadline);

// The endpoint named by the environment variable `env` (an SDK's override),
// else `fallback`.
Result<MetadataEndpoint> MetadataEndpointFromEnv(const char* env, std::string_view fallback);

// The string member `key` of a JSON object; "" when absent or not a string.
std::string JsonString(const simdjson::dom::element& object, const char* key);

}  // namespace otlpd::processors::resourcedetection
