#pragma once

// OTLP requests and compressors shared by the receiver tests.

#include <lz4frame.h>
#include <snappy.h>
#include <zstd.h>

#include <array>
#include <cstdint>
#include <string>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "test/support/gzip.h"

namespace otlpd::test {

inline opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest TraceRequest(
    int spans, const std::string& name = "op") {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* kv = rs->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("svc");
  auto* ss = rs->add_scope_spans();
  for (int i = 0; i < spans; ++i) {
    auto* s = ss->add_spans();
    s->set_trace_id(std::string(16, static_cast<char>(i + 1)));
    s->set_span_id(std::string(8, static_cast<char>(i + 1)));
    s->set_name(name);
    s->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_SERVER);
    s->set_start_time_unix_nano(1544712660000000000ULL + i);
    s->set_end_time_unix_nano(1544712661000000000ULL + i);
  }
  return req;
}

// The spans in a request, over every resource and scope.
inline std::uint64_t SpanCount(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& req) {
  std::uint64_t spans = 0;
  for (const auto& rs : req.resource_spans())
    for (const auto& ss : rs.scope_spans()) spans += static_cast<std::uint64_t>(ss.spans_size());
  return spans;
}

inline opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest MetricsRequest(int points) {
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest req;
  auto* m = req.add_resource_metrics()->add_scope_metrics()->add_metrics();
  m->set_name("requests");
  auto* sum = m->mutable_sum();
  sum->set_is_monotonic(true);
  sum->set_aggregation_temporality(opentelemetry::proto::metrics::v1::AGGREGATION_TEMPORALITY_CUMULATIVE);
  for (int i = 0; i < points; ++i) {
    auto* p = sum->add_data_points();
    p->set_as_int(i);
    p->set_time_unix_nano(1544712660000000000ULL + i);
  }
  return req;
}

inline opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest LogsRequest(int records) {
  opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest req;
  auto* sl = req.add_resource_logs()->add_scope_logs();
  for (int i = 0; i < records; ++i) {
    auto* r = sl->add_log_records();
    r->set_time_unix_nano(1544712660000000000ULL + i);
    r->mutable_body()->set_string_value("line " + std::to_string(i));
  }
  return req;
}

inline std::string Zstd(const std::string& in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3));
  return out;
}

inline std::string SnappyBlock(const std::string& in) {
  std::string out;
  snappy::Compress(in.data(), in.size(), &out);
  return out;
}

inline std::uint32_t MaskedCrc32c(const char* p, std::size_t n) {
  std::uint32_t crc = 0xffffffffu;
  for (std::size_t i = 0; i < n; ++i) {
    crc ^= static_cast<unsigned char>(p[i]);
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
  }
  crc ^= 0xffffffffu;
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

// The snappy framing format, 64 KiB chunks, compressed ones and (for
// incompressible chunks) uncompressed ones, as Go's snappy.NewBufferedWriter.
inline std::string SnappyFramed(const std::string& in) {
  std::string out("\xff\x06\x00\x00sNaPpY", 10);
  for (std::size_t off = 0; off < in.size(); off += 65536) {
    const std::string chunk = in.substr(off, 65536);
    std::string compressed;
    snappy::Compress(chunk.data(), chunk.size(), &compressed);
    const bool raw = compressed.size() >= chunk.size();
    const std::string& data = raw ? chunk : compressed;
    const std::uint32_t crc = MaskedCrc32c(chunk.data(), chunk.size());
    const std::size_t len = data.size() + 4;
    out.push_back(raw ? '\x01' : '\x00');
    out.push_back(static_cast<char>(len & 0xff));
    out.push_back(static_cast<char>((len >> 8) & 0xff));
    out.push_back(static_cast<char>((len >> 16) & 0xff));
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
    out += data;
  }
  return out;
}

inline std::string Lz4(const std::string& in) {
  std::string out(LZ4F_compressFrameBound(in.size(), nullptr), '\0');
  out.resize(LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), nullptr));
  return out;
}

}  // namespace otlpd::test
