#include "otlp/json/otlp_json_schema.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string_view>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/profiles/v1development/profiles_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace otlpd::json::internal {
namespace {

namespace pb = google::protobuf;

// The OTLP/JSON deviation from proto3 JSON: these ids are hex, not base64.
struct IdField {
  std::string_view full_name;
  std::uint8_t bytes;
};
constexpr IdField kIdFields[] = {
    {"opentelemetry.proto.trace.v1.Span.trace_id", 16},
    {"opentelemetry.proto.trace.v1.Span.span_id", 8},
    {"opentelemetry.proto.trace.v1.Span.parent_span_id", 8},
    {"opentelemetry.proto.trace.v1.Span.Link.trace_id", 16},
    {"opentelemetry.proto.trace.v1.Span.Link.span_id", 8},
    {"opentelemetry.proto.logs.v1.LogRecord.trace_id", 16},
    {"opentelemetry.proto.logs.v1.LogRecord.span_id", 8},
    {"opentelemetry.proto.metrics.v1.Exemplar.trace_id", 16},
    {"opentelemetry.proto.metrics.v1.Exemplar.span_id", 8},
    {"opentelemetry.proto.profiles.v1development.Link.trace_id", 16},
    {"opentelemetry.proto.profiles.v1development.Link.span_id", 8},
    {"opentelemetry.proto.profiles.v1development.Profile.profile_id", 16},
};

constexpr std::string_view kOtlpPackagePrefix = "opentelemetry.proto.";

Kind KindOf(pb::FieldDescriptor::Type type) {
  switch (type) {
    case pb::FieldDescriptor::TYPE_DOUBLE: return Kind::kDouble;
    case pb::FieldDescriptor::TYPE_FLOAT: return Kind::kFloat;
    case pb::FieldDescriptor::TYPE_INT64: return Kind::kInt64;
    case pb::FieldDescriptor::TYPE_UINT64: return Kind::kUInt64;
    case pb::FieldDescriptor::TYPE_INT32: return Kind::kInt32;
    case pb::FieldDescriptor::TYPE_FIXED64: return Kind::kFixed64;
    case pb::FieldDescriptor::TYPE_FIXED32: return Kind::kFixed32;
    case pb::FieldDescriptor::TYPE_BOOL: return Kind::kBool;
    case pb::FieldDescriptor::TYPE_STRING: return Kind::kString;
    case pb::FieldDescriptor::TYPE_GROUP:  // not used by OTLP; treated as a message
    case pb::FieldDescriptor::TYPE_MESSAGE: return Kind::kMessage;
    case pb::FieldDescriptor::TYPE_BYTES: return Kind::kBytes;
    case pb::FieldDescriptor::TYPE_UINT32: return Kind::kUInt32;
    case pb::FieldDescriptor::TYPE_ENUM: return Kind::kEnum;
    case pb::FieldDescriptor::TYPE_SFIXED32: return Kind::kSFixed32;
    case pb::FieldDescriptor::TYPE_SFIXED64: return Kind::kSFixed64;
    case pb::FieldDescriptor::TYPE_SINT32: return Kind::kSInt32;
    case pb::FieldDescriptor::TYPE_SINT64: return Kind::kSInt64;
  }
  return Kind::kBytes;
}

WireType WireTypeOf(Kind kind) {
  switch (kind) {
    case Kind::kDouble:
    case Kind::kFixed64:
    case Kind::kSFixed64: return kFixed64Wire;
    case Kind::kFloat:
    case Kind::kFixed32:
    case Kind::kSFixed32: return kFixed32Wire;
    case Kind::kString:
    case Kind::kBytes:
    case Kind::kMessage: return kLen;
    default: return kVarint;
  }
}

class Registry {
 public:
  Registry() {
    std::set<const pb::FileDescriptor*> files;
    for (const pb::Descriptor* root :
         {opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest::descriptor(),
          opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest::descriptor(),
          opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest::descriptor(),
          opentelemetry::proto::collector::profiles::v1development::ExportProfilesServiceRequest::
              descriptor()}) {
      CollectFiles(root->file(), files);
    }
    // Two passes so that message fields can point at schemas of any type.
    for (const pb::FileDescriptor* file : files) {
      for (int i = 0; i < file->message_type_count(); ++i) Create(file->message_type(i));
    }
    for (auto& [descriptor, info] : by_descriptor_) Fill(*info);
    traces_ = Find(opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest::descriptor());
    metrics_ = Find(opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest::descriptor());
    logs_ = Find(opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest::descriptor());
    profiles_ = Find(
        opentelemetry::proto::collector::profiles::v1development::ExportProfilesServiceRequest::descriptor());
  }

  const MessageInfo* Find(const pb::Descriptor* descriptor) const {
    auto it = by_descriptor_.find(descriptor);
    if (it != by_descriptor_.end()) return it->second.get();
    // A descriptor from another pool (e.g. a DynamicMessage) with the same schema.
    auto by_name = by_name_.find(descriptor->full_name());
    return by_name == by_name_.end() ? nullptr : by_name->second;
  }

  const MessageInfo& Request(Signal signal) const {
    switch (signal) {
      case Signal::kMetrics: return *metrics_;
      case Signal::kLogs: return *logs_;
      case Signal::kProfiles: return *profiles_;
      case Signal::kTraces: break;
    }
    return *traces_;
  }

 private:
  static void CollectFiles(const pb::FileDescriptor* file, std::set<const pb::FileDescriptor*>& files) {
    if (!std::string_view(file->package()).starts_with(kOtlpPackagePrefix) || !files.insert(file).second)
      return;
    for (int i = 0; i < file->dependency_count(); ++i) CollectFiles(file->dependency(i), files);
  }

  void Create(const pb::Descriptor* descriptor) {
    // Messages too wide for the codec's fixed arrays are left out; EncodeMessage
    // then falls back to protobuf's own JSON printer. No OTLP message comes close.
    if (descriptor->field_count() > kMaxFields) return;
    auto info = std::make_unique<MessageInfo>();
    info->descriptor = descriptor;
    by_name_[descriptor->full_name()] = info.get();
    by_descriptor_[descriptor] = std::move(info);
    for (int i = 0; i < descriptor->nested_type_count(); ++i) Create(descriptor->nested_type(i));
  }

  // pdata's JSON marshaler (the bytes otelcol writes) follows .proto
  // declaration order except where its generated code does not: an Exemplar
  // writes traceId before spanId, though span_id is declared first.
  static void MatchPdataOrder(MessageInfo& info) {
    if (info.descriptor->full_name() != "opentelemetry.proto.metrics.v1.Exemplar") return;
    auto named = [&info](std::string_view name) {
      return std::find_if(info.fields.begin(), info.fields.end(),
                          [name](const FieldInfo& f) { return f.proto_name == name; });
    };
    auto span = named("span_id");
    auto trace = named("trace_id");
    if (span != info.fields.end() && trace != info.fields.end() && span < trace) {
      std::rotate(span, trace, trace + 1);
    }
  }

  void Fill(MessageInfo& info) {
    const pb::Descriptor* d = info.descriptor;
    int max_number = 0;
    info.oneof_count = d->real_oneof_decl_count();
    for (int i = 0; i < d->field_count(); ++i) {
      const pb::FieldDescriptor* fd = d->field(i);
      FieldInfo f;
      f.number = static_cast<std::uint32_t>(fd->number());
      f.kind = KindOf(fd->type());
      f.wire_type = WireTypeOf(f.kind);
      f.repeated = fd->is_repeated();
      f.packable = fd->is_packable();
      const pb::OneofDescriptor* oneof = fd->real_containing_oneof();
      f.oneof = oneof == nullptr ? -1 : oneof->index();
      f.explicit_presence = !f.repeated && fd->has_presence();
      f.always_emit = !f.repeated && f.kind == Kind::kMessage && oneof == nullptr;
      for (const IdField& id : kIdFields) {
        if (id.full_name == fd->full_name() && f.kind == Kind::kBytes && !f.repeated) f.id_bytes = id.bytes;
      }
      f.json_name = fd->json_name();
      f.proto_name = fd->name();
      f.json_key = "\"" + f.json_name + "\":";
      if (f.kind == Kind::kMessage) {
        f.message = Find(fd->message_type());
        if (f.message == nullptr) continue;  // outside OTLP (none today): skipped like an unknown field
      }
      if (f.kind == Kind::kEnum) f.enum_type = fd->enum_type();
      max_number = std::max(max_number, fd->number());
      info.fields.push_back(std::move(f));
    }
    MatchPdataOrder(info);
    info.index_of_number.assign(static_cast<std::size_t>(max_number) + 1, -1);
    for (std::size_t i = 0; i < info.fields.size(); ++i) {
      info.index_of_number[info.fields[i].number] = static_cast<std::int8_t>(i);
      info.by_number.push_back(static_cast<std::uint8_t>(i));
      if (info.fields[i].always_emit) info.always_emit_mask |= 1u << i;
      if (info.fields[i].oneof >= 0) info.oneof_mask |= 1u << i;
    }
    std::sort(info.by_number.begin(), info.by_number.end(),
              [&](std::uint8_t a, std::uint8_t b) { return info.fields[a].number < info.fields[b].number; });
    std::size_t table_size = 8;
    while (table_size < info.fields.size() * 2 * 4) table_size *= 2;
    info.key_table.assign(table_size, {});
    for (std::size_t i = 0; i < info.fields.size(); ++i) {
      for (const std::string* key : {&info.fields[i].json_name, &info.fields[i].proto_name}) {
        if (info.IndexOfKey(*key) >= 0) continue;  // same spelling both ways
        const MessageInfo::KeyProbe probe(*key);
        std::size_t slot = probe.Hash() & (table_size - 1);
        while (info.key_table[slot].index >= 0) slot = (slot + 1) & (table_size - 1);
        info.key_table[slot] = {probe, static_cast<int>(i), *key};
      }
    }
  }

  std::map<const pb::Descriptor*, std::unique_ptr<MessageInfo>> by_descriptor_;
  std::map<std::string, const MessageInfo*> by_name_;
  const MessageInfo* traces_ = nullptr;
  const MessageInfo* metrics_ = nullptr;
  const MessageInfo* logs_ = nullptr;
  const MessageInfo* profiles_ = nullptr;
};

const Registry& GetRegistry() {
  static const Registry* registry = new Registry();  // never destroyed: usable during static teardown
  return *registry;
}

}  // namespace

const MessageInfo& RequestSchema(Signal signal) { return GetRegistry().Request(signal); }

const MessageInfo* FindSchema(const google::protobuf::Descriptor* descriptor) {
  if (descriptor == nullptr) return nullptr;
  return GetRegistry().Find(descriptor);
}

std::string PathText(const std::vector<PathSegment>& path) {
  std::string text;
  for (const PathSegment& s : path) {
    if (!text.empty()) text.push_back('.');
    text += *s.name;
    if (s.index >= 0) text += "[" + std::to_string(s.index) + "]";
  }
  return text;
}

}  // namespace otlpd::json::internal
