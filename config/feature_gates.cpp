#include "config/feature_gates.h"

#include <algorithm>
#include <array>

namespace otlpd::config {
namespace {

enum class Stage { kAlpha, kBeta, kStable, kDeprecated };

struct KnownGate {
  std::string_view id;
  Stage stage;
};

// The gates otelcol registers, as far as they concern otlpd: collector core
// v0.165.0 (service, confmap, confighttp, configmiddleware, pdata,
// exporterhelper, receiverhelper) and the contrib modules of the components
// otlpd has (health_check, file exporter, filter/transform/tail_sampling with
// OTTL and internal/filter, k8sattributes, coreinternal), read from their
// generated_feature_gates.go; and otlpd's own (`otlpd.` prefix). Sorted by id,
// as otelcol lists them. A gate here changes nothing in otlpd unless
// feature_gates.h names it.
constexpr std::array kKnownGates = {
    KnownGate{"confmap.enableMergeAppendOption", Stage::kAlpha},
    KnownGate{"exporter.file.nativeCompression", Stage::kAlpha},
    KnownGate{"extension.healthcheck.useComponentStatus", Stage::kAlpha},
    KnownGate{"filter.filterlog.useOTTLBridge", Stage::kAlpha},
    KnownGate{"filter.filtermetric.useOTTLBridge", Stage::kAlpha},
    KnownGate{"filter.filterspan.useOTTLBridge", Stage::kAlpha},
    KnownGate{"internal.coreinternal.goldendataset.DontEmitV0DatabaseConventions", Stage::kBeta},
    KnownGate{"internal.coreinternal.goldendataset.DontEmitV0FaaSConventions", Stage::kAlpha},
    KnownGate{"internal.coreinternal.goldendataset.DontEmitV0HTTPConventions", Stage::kBeta},
    KnownGate{"internal.coreinternal.goldendataset.DontEmitV0MessagingConventions", Stage::kBeta},
    KnownGate{"internal.coreinternal.goldendataset.DontEmitV0NetworkConventions", Stage::kStable},
    KnownGate{"internal.coreinternal.goldendataset.DontEmitV0RPCConventions", Stage::kStable},
    KnownGate{"internal.coreinternal.goldendataset.EmitV1DatabaseConventions", Stage::kBeta},
    KnownGate{"internal.coreinternal.goldendataset.EmitV1FaaSConventions", Stage::kAlpha},
    KnownGate{"internal.coreinternal.goldendataset.EmitV1HTTPConventions", Stage::kBeta},
    KnownGate{"internal.coreinternal.goldendataset.EmitV1MessagingConventions", Stage::kBeta},
    KnownGate{"internal.coreinternal.goldendataset.EmitV1NetworkConventions", Stage::kStable},
    KnownGate{"internal.coreinternal.goldendataset.EmitV1RPCConventions", Stage::kStable},
    KnownGate{"otlpd.exporter.otlp.nghttp2GrpcClient", Stage::kBeta},  // otlpd's own
    KnownGate{"otlpd.receiver.otlp.nghttp2GrpcServer", Stage::kBeta},  // otlpd's own
    KnownGate{"ottl.PanicDuplicateName", Stage::kStable},
    KnownGate{"ottl.contexts.enableOTelColContext", Stage::kStable},
    KnownGate{"ottl.functions.enableLambda", Stage::kAlpha},
    KnownGate{"ottl.set.allowNil", Stage::kBeta},
    KnownGate{"pdata.useProtoPooling", Stage::kAlpha},
    KnownGate{"pkg.confighttp.PrioritizeNewKeepalive", Stage::kStable},
    KnownGate{"pkg.configmiddleware.CustomTCPRouting", Stage::kAlpha},
    KnownGate{"pkg.exporterhelper.queueBatchEnabled", Stage::kAlpha},
    KnownGate{"processor.filter.defaultErrorModeIgnore", Stage::kStable},
    KnownGate{"processor.k8sattributes.DontEmitV0K8sConventions", Stage::kAlpha},
    KnownGate{"processor.k8sattributes.EmitV1K8sConventions", Stage::kAlpha},
    KnownGate{"processor.k8sattributes.EnableKubeletPodSource", Stage::kAlpha},
    KnownGate{"processor.k8sattributes.ShareProcessorBetweenPipelines", Stage::kAlpha},
    KnownGate{"processor.k8sattributes.telemetry.disableOldFormatMetrics", Stage::kAlpha},
    KnownGate{"processor.k8sattributes.telemetry.enableNewFormatMetrics", Stage::kAlpha},
    KnownGate{"processor.tailsamplingprocessor.metricstatcountbytessampled", Stage::kAlpha},
    KnownGate{"processor.tailsamplingprocessor.metricstatcountspanssampled", Stage::kAlpha},
    KnownGate{"processor.tailsamplingprocessor.recordpolicy", Stage::kAlpha},
    KnownGate{"processor.tailsamplingprocessor.tailstorageextension", Stage::kAlpha},
    KnownGate{"processor.tailsamplingprocessor.usetracestate", Stage::kAlpha},
    KnownGate{"processor.transform.defaultErrorModeIgnore", Stage::kStable},
    KnownGate{"receiverhelper.newReceiverMetrics", Stage::kAlpha},
    KnownGate{"service.AllowNoPipelines", Stage::kAlpha},
    KnownGate{"service.partialReload", Stage::kAlpha},
    KnownGate{"service.partialReloadReceivers", Stage::kBeta},
    KnownGate{"service.profilesSupport", Stage::kAlpha},
    KnownGate{"telemetry.newPipelineTelemetry", Stage::kAlpha},
    KnownGate{"transform.flatten.logs", Stage::kAlpha},
};

const KnownGate* FindGate(std::string_view id) {
  for (const KnownGate& g : kKnownGates) {
    if (g.id == id) return &g;
  }
  return nullptr;
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

std::vector<std::string> KnownFeatureGates() {
  std::vector<std::string> out;
  for (const KnownGate& g : kKnownGates) out.emplace_back(g.id);
  return out;
}

bool ApplyFeatureGates(std::string_view list, FeatureGates& gates, std::vector<std::string>& ignored,
                       std::string& error) {
  if (list.empty()) return true;
  for (std::size_t index = 0;; ++index) {
    const std::size_t comma = list.find(',');
    std::string_view id = list.substr(0, comma);
    if (id.empty()) {
      error = "--feature-gates: empty feature gate identifier at index " + std::to_string(index);
      return false;
    }
    bool enable = true;
    if (id.front() == '+' || id.front() == '-') {
      enable = id.front() == '+';
      id.remove_prefix(1);
    }
    const KnownGate* gate = FindGate(id);
    if (gate == nullptr) {
      std::string valid;
      for (const KnownGate& g : kKnownGates) valid += (valid.empty() ? "" : " ") + std::string(g.id);
      error = "--feature-gates: no such feature gate " + Quote(id) + ". valid gates: [" + valid + "]";
      return false;
    }
    if (gate->stage == Stage::kStable && !enable) {
      error = "--feature-gates: feature gate " + Quote(id) + " is stable, can not be disabled";
      return false;
    }
    if (gate->stage == Stage::kDeprecated && enable) {
      error = "--feature-gates: feature gate " + Quote(id) + " is deprecated, can not be enabled";
      return false;
    }
    if (id == kProfilesSupportGate) {
      gates.profiles_support = enable;
    } else if (id == kHealthCheckComponentStatusGate) {
      gates.health_check_component_status = enable;
    } else if (id == kOtlpNghttp2GrpcServerGate) {
      gates.otlp_nghttp2_grpc_server = enable;
    } else if (id == kOtlpNghttp2GrpcClientGate) {
      gates.otlp_nghttp2_grpc_client = enable;
    } else {
      ignored.emplace_back(id);
    }
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace otlpd::config
