#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace otlpd::config {

// The otelcol feature gates (`--feature-gates`) that change what otlpd does.
struct FeatureGates {
  // `service.profilesSupport` (alpha, off by default): allows `profiles`
  // pipelines. Without it otelcol refuses them in config validation.
  bool profiles_support = false;
  // `extension.healthcheck.useComponentStatus` (contrib, alpha, off): the
  // health_check extension's v2 (component status) implementation and config.
  bool health_check_component_status = false;
  // `otlpd.receiver.otlp.nghttp2GrpcServer` (otlpd's own, beta, on): the otlp
  // receiver serves OTLP/gRPC on nghttp2 + Boost.Asio instead of gRPC C++;
  // `-otlpd.receiver.otlp.nghttp2GrpcServer` goes back to gRPC C++.
  bool otlp_nghttp2_grpc_server = true;
  // `otlpd.exporter.otlp.nghttp2GrpcClient` (otlpd's own, beta, on): the otlp
  // exporter sends plaintext OTLP/gRPC through its own HTTP/2 client on
  // nghttp2 instead of gRPC C++; `-otlpd.exporter.otlp.nghttp2GrpcClient`
  // goes back to gRPC C++.
  bool otlp_nghttp2_grpc_client = true;
};

inline constexpr std::string_view kProfilesSupportGate = "service.profilesSupport";
inline constexpr std::string_view kHealthCheckComponentStatusGate =
    "extension.healthcheck.useComponentStatus";
inline constexpr std::string_view kOtlpNghttp2GrpcServerGate = "otlpd.receiver.otlp.nghttp2GrpcServer";
inline constexpr std::string_view kOtlpNghttp2GrpcClientGate = "otlpd.exporter.otlp.nghttp2GrpcClient";

// Applies one --feature-gates value as otelcol reads it: comma-separated gate
// ids, each optionally prefixed `+` (enable, as no prefix) or `-` (disable).
// As otelcol's registry, refuses (false, `error` set) an empty id, an id it
// does not know ("no such feature gate"), disabling a stable gate and
// enabling a deprecated one. Known gates that change nothing in otlpd are
// appended to `ignored`.
bool ApplyFeatureGates(std::string_view list, FeatureGates& gates, std::vector<std::string>& ignored,
                       std::string& error);

// The ids otlpd accepts, sorted: otelcol's gates for the components otlpd has.
std::vector<std::string> KnownFeatureGates();

}  // namespace otlpd::config
