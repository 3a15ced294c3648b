#include "extensions/health_check/health_check_extension.h"

#include <ctime>

#include <spdlog/spdlog.h>

namespace otlpd::extensions::health_check {
namespace {

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// "1.500" -> "1.5", "2.000" -> "2".
std::string Fraction(std::uint64_t whole, std::uint64_t frac, int digits) {
  std::string out = std::to_string(whole);
  if (frac == 0) return out;
  std::string f = std::to_string(frac);
  f.insert(0, static_cast<std::size_t>(digits) - f.size(), '0');
  while (!f.empty() && f.back() == '0') f.pop_back();
  return out + "." + f;
}

}  // namespace

std::string GoDurationString(std::chrono::nanoseconds d) {
  std::int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  auto u = static_cast<std::uint64_t>(ns < 0 ? -ns : ns);
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000000) return sign + Fraction(u / 1000, u % 1000, 3) + "µs";
  if (u < 1000000000) return sign + Fraction(u / 1000000, u % 1000000, 6) + "ms";
  const std::uint64_t total_s = u / 1000000000, frac = u % 1000000000;
  const std::uint64_t h = total_s / 3600, m = total_s / 60 % 60, s = total_s % 60;
  std::string out = sign;
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 || m > 0) out += std::to_string(m) + "m";
  return out + Fraction(s, frac, 9) + "s";
}

std::string Rfc3339Nano(std::int64_t unix_ns) {
  const std::time_t secs = static_cast<std::time_t>(unix_ns / 1000000000);
  const auto frac = static_cast<std::uint64_t>(unix_ns % 1000000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (frac != 0) {
    std::string f = std::to_string(frac);
    f.insert(0, 9 - f.size(), '0');
    while (f.back() == '0') f.pop_back();
    out += "." + f;
  }
  return out + "Z";
}

HealthCheckExtension::HealthCheckExtension(std::string id, Config config)
    : id_(std::move(id)), config_(std::move(config)) {}

HealthCheckExtension::~HealthCheckExtension() {
  if (server_) server_->Stop();
}

Status HealthCheckExtension::Start() {
  std::string host, why;
  int port = 0;
  const http::ServerConfig& sc = config_.server;
  if (!http::SplitHostPort(sc.endpoint, &host, &port, &why)) {
    return Status::Internal("extension " + id_ + ": endpoint " + sc.endpoint + ": " + why);
  }
  server_ = std::make_unique<http::SimpleHttpServer>(
      host, port, [this](const http::Request& r) { return Answer(r); }, sc.Options());
  Status s = sc.tls ? server_->EnableTls(*sc.tls, "extensions." + id_ + ".tls") : Status::Ok();
  if (s.ok()) s = server_->Start();
  if (!s.ok()) {
    server_.reset();
    return Status::Internal("extension " + id_ + ": " + s.message());
  }
  spdlog::info("extension {}: health check listening on {} (port {}, {}), path {}", id_, sc.endpoint,
               server_->port(), sc.tls ? "HTTPS" : "HTTP", config_.path);
  return Status::Ok();
}

void HealthCheckExtension::Shutdown(Clock::time_point /*deadline*/) {
  NotReady();
  if (server_) server_->Stop();
}

void HealthCheckExtension::Ready() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  up_since_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
}

void HealthCheckExtension::NotReady() { up_since_ns_.store(0); }

int HealthCheckExtension::port() const { return server_ ? server_->port() : 0; }

http::Response HealthCheckExtension::Answer(const http::Request& request) const {
  if (request.path != config_.path)
    return http::Response{404, "text/plain; charset=utf-8", "404 page not found\n"};
  const std::int64_t up_since = up_since_ns_.load();
  const bool ready = up_since != 0;
  http::Response r;
  r.status = ready ? 200 : 503;
  const std::string& custom = ready ? config_.healthy_body : config_.unhealthy_body;
  if (!custom.empty()) {
    r.body = custom;
    return r;
  }
  // The shape of otelcol's answer, so probes and scripts written for it work.
  r.content_type = "application/json";
  if (ready) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto uptime = std::chrono::nanoseconds(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now).count() - up_since);
    r.body = "{\"status\":\"Server available\",\"upSince\":" + JsonString(Rfc3339Nano(up_since)) +
             ",\"uptime\":" + JsonString(GoDurationString(uptime)) + "}";
  } else {
    r.body = R"({"status":"Server not available","upSince":"0001-01-01T00:00:00Z","uptime":""})";
  }
  return r;
}

}  // namespace otlpd::extensions::health_check
