// libFuzzer target for the OTLP/JSON codec. test/fuzz/run_fuzzers.sh builds
// it (and its sources); a longer run of the binary it leaves:
//
//   ./otlp_json_fuzz -max_total_time=20 corpus/
//
// Properties, for every signal:
//  - DecodeRequest never crashes; what it accepts parses as protobuf, encodes,
//    and decodes again to the same message (unset == default, NaN == NaN,
//    -0 == +0: Go's "-0" reads back as integer 0).
//  - EncodeRequest on the raw input as protobuf never crashes, and when both it
//    and protobuf's parser accept the bytes, it writes what it writes for
//    protobuf's re-serialization of them.

#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/profiles/v1development/profiles_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "otlp/json/otlp_json.h"

namespace {

std::unique_ptr<google::protobuf::Message> NewRequest(otlpd::Signal signal) {
  switch (signal) {
    case otlpd::Signal::kMetrics:
      return std::make_unique<opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest>();
    case otlpd::Signal::kLogs:
      return std::make_unique<opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest>();
    case otlpd::Signal::kProfiles:
      return std::make_unique<
          opentelemetry::proto::collector::profiles::v1development::ExportProfilesServiceRequest>();
    case otlpd::Signal::kTraces: break;
  }
  return std::make_unique<opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest>();
}

[[noreturn]] void Die(const char* what, otlpd::Signal signal, const std::string& detail) {
  std::fprintf(stderr, "%s (%s): %s\n", what, std::string(otlpd::SignalName(signal)).c_str(), detail.c_str());
  std::abort();
}

bool Same(const google::protobuf::Message& a, const google::protobuf::Message& b, std::string* report) {
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  differencer.set_message_field_comparison(google::protobuf::util::MessageDifferencer::EQUIVALENT);
  differencer.ReportDifferencesToString(report);
  return differencer.Compare(a, b);
}

void CheckDecode(otlpd::Signal signal, std::string_view json) {
  auto bytes = otlpd::json::DecodeRequest(signal, json);
  if (!bytes.ok()) {
    if (bytes.status().code() != otlpd::StatusCode::kInvalidArgument)
      Die("decode: unexpected status", signal, bytes.status().message());
    return;
  }
  auto first = NewRequest(signal);
  if (!first->ParseFromString(*bytes)) Die("decode produced unparsable protobuf", signal, "");
  auto encoded = otlpd::json::EncodeRequest(signal, *bytes);
  if (!encoded.ok()) Die("encode of decoded bytes failed", signal, encoded.status().message());
  auto again = otlpd::json::DecodeRequest(signal, *encoded);
  if (!again.ok()) Die("re-decode failed", signal, again.status().message() + "\n" + *encoded);
  auto second = NewRequest(signal);
  if (!second->ParseFromString(*again)) Die("re-decode produced unparsable protobuf", signal, "");
  std::string report;
  if (!Same(*first, *second, &report))
    Die("round trip changed the message", signal, report + "\n" + *encoded);
}

void CheckEncode(otlpd::Signal signal, std::string_view wire) {
  auto json = otlpd::json::EncodeRequest(signal, wire);
  if (!json.ok()) return;
  auto message = NewRequest(signal);
  if (!message->ParseFromArray(wire.data(), static_cast<int>(wire.size())))
    return;  // e.g. invalid UTF-8: we are laxer
  auto canonical = otlpd::json::EncodeRequest(signal, message->SerializeAsString());
  if (!canonical.ok()) Die("encode of re-serialized protobuf failed", signal, canonical.status().message());
  if (*canonical != *json) Die("wire form changed the JSON", signal, *json + "\n" + *canonical);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // protobuf's parser logs every invalid UTF-8 string
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (const otlpd::Signal signal : otlpd::kSignalsWithProfiles) {
    CheckDecode(signal, input);
    CheckEncode(signal, input);
  }
  return 0;
}
