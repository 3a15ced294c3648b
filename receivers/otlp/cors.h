#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "receivers/otlp/config.h"

namespace otlpd::receivers::otlp {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// CORS as otelcol's confighttp sets it up with github.com/rs/cors: the
// configured origins (one `*` wildcard each, a lone `*` for all), methods
// GET/POST/HEAD, credentials allowed, the configured request headers plus
// Origin (or rs/cors's defaults when none are configured).
class Cors {
 public:
  explicit Cors(const CorsConfig& config);

  bool OriginAllowed(std::string_view origin) const;

  // Headers for the answer to a preflight (OPTIONS with
  // Access-Control-Request-Method). A refused preflight gets only the Vary
  // headers; it is answered 204 either way, as rs/cors does, and the browser
  // enforces the refusal.
  HeaderList Preflight(std::string_view origin, std::string_view request_method,
                       std::string_view request_headers) const;
  // Headers to add to the answer to an actual request carrying Origin.
  HeaderList Actual(std::string_view origin, std::string_view method) const;

 private:
  struct Wildcard {
    std::string prefix, suffix;
  };
  bool HeaderAllowed(std::string_view header) const;

  bool all_origins_ = false;
  std::vector<std::string> origins_;  // lower-case
  std::vector<Wildcard> wildcards_;
  bool all_headers_ = false;
  std::vector<std::string> headers_;  // lower-case
  std::string exposed_;
  int max_age_ = 0;
};

}  // namespace otlpd::receivers::otlp
