#include "service/telemetry/metrics_endpoint.h"

#include <spdlog/spdlog.h>

#include "config/http/simple_http_server.h"
#include "service/telemetry/process_metrics.h"

namespace otlpd::selftelemetry {

struct MetricsEndpoint::Server {
  PrometheusReader reader;
  std::unique_ptr<http::SimpleHttpServer> http;
};

MetricsEndpoint::MetricsEndpoint(Labels resource) : resource_(std::move(resource)) {}

MetricsEndpoint::~MetricsEndpoint() { Stop(); }

Labels MetricsEndpoint::resource() const {
  std::lock_guard<std::mutex> lock(mu_);
  return resource_;
}

void MetricsEndpoint::SetResource(Labels resource) {
  std::lock_guard<std::mutex> lock(mu_);
  resource_ = std::move(resource);
}

void MetricsEndpoint::SetPushResource(Attributes resource) {
  std::lock_guard<std::mutex> lock(mu_);
  push_resource_ = std::move(resource);
}

Status MetricsEndpoint::Apply(const MetricsConfig& config, std::chrono::milliseconds bind_retry) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    level_ = config.level;
  }
  std::lock_guard<std::mutex> lock(servers_mu_);
  {
    // Push readers: an unchanged reader keeps running (and its delta state).
    std::vector<std::unique_ptr<MetricsPusher>> keep(config.push_readers.size());
    for (std::size_t i = 0; i < config.push_readers.size(); ++i) {
      for (auto& p : pushers_) {
        if (p && p->reader() == config.push_readers[i]) {
          keep[i] = std::move(p);
          break;
        }
      }
    }
    for (auto& p : pushers_) {
      if (p) p->Stop();
    }
    pushers_.clear();
    for (std::size_t i = 0; i < config.push_readers.size(); ++i) {
      if (!keep[i]) {
        keep[i] = std::make_unique<MetricsPusher>(
            config.push_readers[i], [this] { return Collect(); },
            [this] {
              std::lock_guard<std::mutex> l(mu_);
              return push_resource_;
            });
        keep[i]->Start();
      }
      pushers_.push_back(std::move(keep[i]));
    }
  }
  std::vector<std::unique_ptr<Server>> keep(config.readers.size());
  // Same reader, same server: a reload that does not touch the readers never
  // closes the port a scraper is using.
  for (std::size_t i = 0; i < config.readers.size(); ++i) {
    for (auto& s : servers_) {
      if (s && s->reader == config.readers[i]) {
        keep[i] = std::move(s);
        break;
      }
    }
  }
  for (auto& s : servers_) {
    if (s) s->http->Stop();
  }
  servers_.clear();
  Status result;
  for (std::size_t i = 0; i < config.readers.size(); ++i) {
    if (keep[i]) {
      servers_.push_back(std::move(keep[i]));
      continue;
    }
    auto server = std::make_unique<Server>();
    server->reader = config.readers[i];
    const TextOptions base{server->reader.without_units, server->reader.without_type_suffix, {}};
    server->http = std::make_unique<http::SimpleHttpServer>(
        server->reader.host, server->reader.port, [this, base](const http::Request& r) {
          if (r.path != "/metrics")
            return http::Response{404, "text/plain; charset=utf-8", "404 page not found\n"};
          TextOptions options = base;
          options.resource = resource();
          return http::Response{200, "text/plain; version=0.0.4; charset=utf-8", Scrape(options)};
        });
    Status s = server->http->Start(bind_retry);
    if (!s.ok()) {
      if (server->reader.is_default) {
        spdlog::warn("telemetry: internal metrics are not served: {}", s.message());
        continue;
      }
      result = Status::Internal("service.telemetry.metrics: " + s.message());
      continue;
    }
    spdlog::info("telemetry: serving internal metrics on http://{}/metrics (port {})",
                 server->reader.Endpoint(), server->http->port());
    servers_.push_back(std::move(server));
  }
  return result;
}

void MetricsEndpoint::SetSource(const Telemetry* telemetry, Wiring wiring) {
  std::lock_guard<std::mutex> lock(mu_);
  if (source_ != nullptr && source_ != telemetry) {
    // Every level: what was counted is carried even if it is not shown now.
    carry_.Retire(CollectComponents(*source_, wiring_, MetricsLevel::kDetailed));
  }
  source_ = telemetry;
  wiring_ = std::move(wiring);
}

std::vector<Family> MetricsEndpoint::Collect() const {
  std::vector<Family> families;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (level_ == MetricsLevel::kNone) return families;
    if (source_ != nullptr) families = CollectComponents(*source_, wiring_, level_);
    carry_.Apply(families);
  }
  for (Family& f : CollectProcess(ReadProcessStats())) families.push_back(std::move(f));
  return families;
}

std::string MetricsEndpoint::Scrape(const TextOptions& options) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (level_ == MetricsLevel::kNone) return "";
  }
  return RenderText(Collect(), options);
}

std::size_t MetricsEndpoint::pushers() const {
  std::lock_guard<std::mutex> lock(servers_mu_);
  return pushers_.size();
}

Status MetricsEndpoint::PushNow() {
  std::lock_guard<std::mutex> lock(servers_mu_);
  Status result;
  for (auto& p : pushers_) {
    if (Status s = p->ExportOnce(); !s.ok()) result = s;
  }
  return result;
}

std::vector<int> MetricsEndpoint::ports() const {
  std::lock_guard<std::mutex> lock(servers_mu_);
  std::vector<int> out;
  for (const auto& s : servers_) out.push_back(s->http->port());
  return out;
}

void MetricsEndpoint::Stop() {
  std::lock_guard<std::mutex> lock(servers_mu_);
  for (auto& p : pushers_) p->Stop();
  pushers_.clear();
  for (auto& s : servers_) s->http->Stop();
  servers_.clear();
}

}  // namespace otlpd::selftelemetry
