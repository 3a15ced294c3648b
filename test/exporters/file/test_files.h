#pragma once

// Temp directories and reading the exporter's files back, for the file exporter tests.

#include <stdlib.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <google/protobuf/util/json_util.h>

#include "exporters/file/config.h"
#include "internal/signal.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "test/support/proto_file.h"

namespace otlpd::exporters::file::testing {

// A fresh directory, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "otlpd_file_exporter_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void WriteAll(const std::filesystem::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// Regular files directly in `dir`, sorted by name.
inline std::vector<std::string> FileNames(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// One whole zstd frame, decompressed in process; nullopt if it is not one.
inline std::optional<std::string> ZstdDecompress(const std::string& frame) {
  const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) return std::nullopt;
  std::string out(size, '\0');
  const std::size_t n = ZSTD_decompress(out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n) || n != size) return std::nullopt;
  return out;
}

// OTLP/JSON to protobuf bytes through protobuf's own JSON parser (not
// otlpd's codec), so the round trip checks the exporter's JSON against an
// independent reader. Test requests carry no trace/span ids, the one place
// where OTLP/JSON and proto3 JSON differ.
inline std::optional<std::string> JsonToProto(Signal signal, const std::string& json) {
  auto parse = [&](auto message) -> std::optional<std::string> {
    if (!google::protobuf::util::JsonStringToMessage(json, &message).ok()) return std::nullopt;
    return message.SerializeAsString();
  };
  switch (signal) {
    case Signal::kTraces:
      return parse(opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest());
    case Signal::kMetrics:
      return parse(opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest());
    case Signal::kLogs: return parse(opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest());
    case Signal::kProfiles: break;  // covered by test_profiles
  }
  return std::nullopt;
}

// The requests of one exporter file, as serialized protobuf. `intact` turns
// false if anything in it does not decode: a torn record, a bad line, a
// frame that does not decompress or a message that does not parse.
struct FileRequests {
  std::vector<std::string> requests;
  bool intact = true;
};

inline FileRequests ReadRequests(const std::filesystem::path& path, Signal signal, Format format,
                                 Compression compression) {
  FileRequests out;
  std::vector<std::string> messages;
  if (format == Format::kJson && compression == Compression::kNone) {
    const std::string data = ReadAll(path);
    if (!data.empty() && data.back() != '\n') out.intact = false;
    std::size_t pos = 0;
    while (pos < data.size()) {
      std::size_t nl = data.find('\n', pos);
      if (nl == std::string::npos) nl = data.size();
      messages.push_back(data.substr(pos, nl - pos));
      pos = nl + 1;
    }
  } else {
    otlpd::test::ProtoRecords records = otlpd::test::ReadProtoRecords(path);
    out.intact = records.complete;
    messages = std::move(records.records);
  }
  for (std::string& m : messages) {
    if (compression == Compression::kZstd) {
      std::optional<std::string> plain = ZstdDecompress(m);
      if (!plain) {
        out.intact = false;
        continue;
      }
      m = std::move(*plain);
    }
    if (format == Format::kJson) {
      std::optional<std::string> proto = JsonToProto(signal, m);
      if (!proto) {
        out.intact = false;
        continue;
      }
      m = std::move(*proto);
    }
    out.requests.push_back(std::move(m));
  }
  return out;
}

// Descriptors of this process open on files under `dir`.
inline int OpenFdsUnder(const std::filesystem::path& dir) {
  int n = 0;
  const std::string prefix = std::filesystem::canonical(dir).string() + "/";
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const std::filesystem::path target = std::filesystem::read_symlink(e.path(), ec);
    if (!ec && target.string().rfind(prefix, 0) == 0) ++n;
  }
  return n;
}

}  // namespace otlpd::exporters::file::testing
