#include "exporters/otlphttp/otlphttp_exporter.h"

#include <algorithm>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include "config/compression/gzip_sender.h"
#include "exporters/otlphttp/export_response.h"
#include "exporters/otlphttp/http_client.h"
#include "internal/text.h"
#include "otlp/json/otlp_json.h"
#include "otlp/profiles_version.h"

#ifndef OTLPD_VERSION
#define OTLPD_VERSION "0.0.0"
#endif

namespace otlpd::exporters::otlphttp {
namespace {

using exporterhelper::SendResult;

// With max_idle_conns_per_host unset Go keeps 2 idle connections per host,
// so of otelcol's 10 consumers 8 open a new connection for nearly every
// request. otlpd keeps one per sender thread instead: the threads are the
// only users, and fewer only churns connections (and TLS handshakes).
int IdlePerHost(const Config& c) {
  if (c.max_idle_conns_per_host > 0) return c.max_idle_conns_per_host;
  const exporterhelper::QueueConfig& q = c.helper.sending_queue;
  // Without a queue the pipeline's workers send, one per core.
  const int senders = q.enabled ? q.num_consumers : static_cast<int>(std::thread::hardware_concurrency());
  return std::max(2, senders);
}

}  // namespace

OtlpHttpExporter::OtlpHttpExporter(std::string id, Config config, ComponentTelemetry* telemetry,
                                   exporterhelper::SenderOptions options)
    : id_(std::move(id)),
      config_(std::move(config)),
      user_agent_("otlpd/" OTLPD_VERSION),
      compressors_(config_.compression, config_.compression_level),
      gzip_(config_.compression_level),
      sender_(
          id_, config_.helper,
          [this](const PayloadPtr& p, Clock::time_point deadline) { return Send(p, deadline); }, telemetry,
          exporterhelper::WithCancel(std::move(options), [this] {
            if (client_) client_->CancelAll();
          })) {}

// Harmless after a Shutdown(): the sender ignores a second one.
OtlpHttpExporter::~OtlpHttpExporter() { Shutdown(Clock::now()); }

Status OtlpHttpExporter::Start() {
  HttpClientOptions o;
  o.tls = config_.tls;
  o.tls_path = config_.path + ".tls";
  o.read_buffer_size = config_.read_buffer_size;
  o.max_idle_conns = config_.max_idle_conns;
  o.max_idle_conns_per_host = IdlePerHost(config_);
  o.max_conns_per_host = config_.max_conns_per_host;
  o.idle_conn_timeout = config_.idle_conn_timeout;
  o.disable_keep_alives = config_.disable_keep_alives;
  auto client = HttpClient::Create(std::move(o));
  if (!client.ok()) return client.status();
  client_ = std::move(*client);

  std::string urls;
  for (Signal s : kSignalsWithProfiles) {
    const std::optional<Url>& url = config_.urls[SignalIndex(s)];
    const std::optional<Url>& proxy = config_.proxies[SignalIndex(s)];
    if (s == Signal::kProfiles && !url) continue;  // profiles are alpha: named only when configured
    urls += std::string(urls.empty() ? "" : ", ") + std::string(SignalName(s)) + " " +
            (url ? url->display : std::string("(none)")) + (proxy ? " via proxy " + proxy->display : "");
  }
  spdlog::info("exporter {}: OTLP/HTTP {} {}{} to {}", id_,
               config_.encoding == Encoding::kJson ? "json" : "proto",
               config_.compression == Compression::kNone ? "uncompressed" : "compression ",
               ContentEncoding(config_.compression), urls);
  return sender_.Start();
}

Status OtlpHttpExporter::Consume(const PayloadPtr& payload) { return sender_.Consume(payload); }

void OtlpHttpExporter::Shutdown(Clock::time_point deadline) {
  sender_.Shutdown(deadline);  // aborts a request in flight at the deadline
  if (client_) client_->CancelAll();
}

std::uint64_t OtlpHttpExporter::connections_opened() const {
  return client_ ? client_->connections_opened() : 0;
}

SendResult OtlpHttpExporter::Send(const PayloadPtr& payload, Clock::time_point deadline) {
  const Signal signal = payload->signal;
  const std::optional<Url>& url = config_.urls[SignalIndex(signal)];
  if (!url) {
    // A service refuses such a config at start (the factory sees the
    // pipelines' signals); this guards an exporter built without a service.
    return SendResult::Failed(Status::InvalidArgument(config_.path + ": no URL for " +
                                                      std::string(SignalName(signal)) + " (set endpoint or " +
                                                      std::string(SignalName(signal)) + "_endpoint)"));
  }
  if (!client_) return SendResult::Failed(Status::Unavailable("exporter " + id_ + " is not started"));

  std::string json;
  std::string_view body = payload->bytes;
  if (config_.encoding == Encoding::kJson) {
    auto encoded = json::EncodeRequest(signal, payload->bytes);
    if (!encoded.ok()) {
      return SendResult::Failed(
          Status::InvalidArgument("cannot encode the " + std::string(SignalName(signal)) +
                                  " request as OTLP/JSON: " + encoded.status().message()));
    }
    json = std::move(*encoded);
    body = json;
  }

  // gzip goes through GzipSender (the senders' gzip, or the cheapest level
  // whose output is as small as level 6's, unless a level is configured).
  std::string gzipped;
  std::optional<CompressorPool::Lease> compressor;
  Result<std::string_view> compressed = std::string_view();
  if (config_.compression == Compression::kGzip) {
    const std::string_view senders_gzip =
        config_.encoding == Encoding::kProto ? payload->gzip : std::string_view();
    Result<std::string> g = gzip_.Gzip(signal, body, senders_gzip);
    if (g.ok()) gzipped = std::move(*g);
    compressed =
        g.ok() ? Result<std::string_view>(std::string_view(gzipped)) : Result<std::string_view>(g.status());
  } else {
    compressor.emplace(compressors_.Take());
    compressed = (*compressor)->Compress(body);
  }
  if (!compressed.ok()) {
    return SendResult::Failed(Status::Unavailable("exporter " + id_ + ": " + compressed.status().message()));
  }

  HttpRequest request;
  request.url = &*url;
  if (const std::optional<Url>& proxy = config_.proxies[SignalIndex(signal)]) request.proxy = &*proxy;
  request.body = *compressed;
  const std::string_view content_type =
      config_.encoding == Encoding::kJson ? "application/json" : "application/x-protobuf";
  // Configured headers win over the exporter's own, as in otelcol.
  auto configured = [&](std::string_view name) {
    return std::any_of(config_.headers.begin(), config_.headers.end(),
                       [&](const auto& h) { return EqualsIgnoreCase(h.first, name); });
  };
  if (!configured("Content-Type")) request.headers.emplace_back("Content-Type", content_type);
  if (!configured("User-Agent")) request.headers.emplace_back("User-Agent", user_agent_);
  if (config_.compression != Compression::kNone) {
    request.headers.emplace_back("Content-Encoding", ContentEncoding(config_.compression));
  }
  // A profiles request declares the one schema this build speaks, in exactly
  // one header: a configured value is overridden, as otelcol's exporter does.
  const bool profiles = signal == Signal::kProfiles;
  for (const auto& [name, value] : config_.headers) {
    if (!profiles || !EqualsIgnoreCase(name, kProfilesVersionKey)) request.headers.emplace_back(name, value);
  }
  if (profiles) request.headers.emplace_back(kProfilesVersionKey, kProfilesVersion);

  if (config_.timeout.count() > 0) {
    const Clock::time_point now = Clock::now();
    if (deadline - now > config_.timeout)
      deadline = now + std::chrono::duration_cast<Clock::duration>(config_.timeout);
  }
  Result<HttpResponse> response = client_->Post(request, deadline);
  if (!response.ok()) return SendResult::Failed(response.status());
  return ClassifyResponse(signal, url->display, *response, std::chrono::system_clock::now());
}

}  // namespace otlpd::exporters::otlphttp
