#include "receivers/otlp/cors.h"

#include <algorithm>

#include "internal/text.h"

namespace otlpd::receivers::otlp {
namespace {

bool MethodAllowed(std::string_view method) {
  // rs/cors's default methods; OPTIONS is what a preflight itself uses.
  std::string m = AsciiLower(method);
  return m == "get" || m == "post" || m == "head" || m == "options";
}

}  // namespace

Cors::Cors(const CorsConfig& config) : max_age_(config.max_age) {
  for (const std::string& o : config.allowed_origins) {
    std::string origin = AsciiLower(o);
    if (origin == "*") {
      all_origins_ = true;
    } else if (auto star = origin.find('*'); star != std::string::npos) {
      wildcards_.push_back({origin.substr(0, star), origin.substr(star + 1)});
    } else {
      origins_.push_back(std::move(origin));
    }
  }
  // As otelcol documents it: Accept, Accept-Language, Content-Type and
  // Content-Language are always allowed (a browser sending OTLP asks for
  // Content-Type, whose OTLP values are not CORS-safelisted), Origin too as
  // some browsers ask for it, and X-Requested-With when none are configured.
  headers_ = {"accept", "accept-language", "content-type", "content-language", "origin"};
  if (config.allowed_headers.empty()) headers_.push_back("x-requested-with");
  for (const std::string& h : config.allowed_headers) {
    if (h == "*") all_headers_ = true;
    headers_.push_back(AsciiLower(h));
  }
  for (const std::string& h : config.exposed_headers) {
    if (!exposed_.empty()) exposed_ += ", ";
    exposed_ += h;
  }
}

bool Cors::OriginAllowed(std::string_view origin) const {
  if (all_origins_) return true;
  const std::string o = AsciiLower(origin);
  if (std::find(origins_.begin(), origins_.end(), o) != origins_.end()) return true;
  return std::any_of(wildcards_.begin(), wildcards_.end(), [&](const Wildcard& w) {
    return o.size() >= w.prefix.size() + w.suffix.size() && o.starts_with(w.prefix) && o.ends_with(w.suffix);
  });
}

bool Cors::HeaderAllowed(std::string_view header) const {
  if (all_headers_) return true;
  return std::find(headers_.begin(), headers_.end(), AsciiLower(header)) != headers_.end();
}

HeaderList Cors::Preflight(std::string_view origin, std::string_view request_method,
                           std::string_view request_headers) const {
  HeaderList out = {{"Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}};
  if (origin.empty() || !OriginAllowed(origin) || !MethodAllowed(request_method)) return out;
  std::string echoed;
  while (!request_headers.empty()) {
    auto comma = request_headers.find(',');
    std::string_view h = TrimHttpSpace(request_headers.substr(0, comma));
    request_headers.remove_prefix(comma == std::string_view::npos ? request_headers.size() : comma + 1);
    if (h.empty()) continue;
    if (!HeaderAllowed(h)) return out;
    if (!echoed.empty()) echoed += ", ";
    echoed += AsciiLower(h);
  }
  out.emplace_back("Access-Control-Allow-Origin", all_origins_ ? "*" : std::string(origin));
  const std::string method = AsciiUpper(request_method);
  out.emplace_back("Access-Control-Allow-Methods", method);
  if (!echoed.empty()) out.emplace_back("Access-Control-Allow-Headers", echoed);
  out.emplace_back("Access-Control-Allow-Credentials", "true");
  if (max_age_ > 0) out.emplace_back("Access-Control-Max-Age", std::to_string(max_age_));
  return out;
}

HeaderList Cors::Actual(std::string_view origin, std::string_view method) const {
  HeaderList out = {{"Vary", "Origin"}};
  if (origin.empty() || !OriginAllowed(origin) || !MethodAllowed(method)) return out;
  out.emplace_back("Access-Control-Allow-Origin", all_origins_ ? "*" : std::string(origin));
  if (!exposed_.empty()) out.emplace_back("Access-Control-Expose-Headers", exposed_);
  out.emplace_back("Access-Control-Allow-Credentials", "true");
  return out;
}

}  // namespace otlpd::receivers::otlp
