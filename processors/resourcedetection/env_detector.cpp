#include "processors/resourcedetection/env_detector.h"

#include <cstdlib>

#include <re2/re2.h>

#include "internal/text.h"

namespace otlpd::processors::resourcedetection {
namespace {

// Go's strconv.Quote for the ASCII text this detector reports.
std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          AppendHexByte(out, c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// Go's url.QueryUnescape: %XX decoded, '+' is a space; a bad escape is an
// error naming it as Go does (`invalid URL escape "%zz"`).
Result<std::string> QueryUnescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size() || HexDigitValue(s[i + 1]) < 0 || HexDigitValue(s[i + 2]) < 0) {
        std::string_view bad = s.substr(i, 3);
        return Status::InvalidArgument("invalid URL escape " + GoQuote(bad));
      }
      out += static_cast<char>(HexDigitValue(s[i + 1]) * 16 + HexDigitValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

Result<Detected> ParseResourceAttributes(std::string_view s) {
  static const re2::RE2 kLabel(R"(\s*([[:ascii:]]{1,256}?)\s*=\s*([[:ascii:]]{0,256}?)\s*(?:,|$))");
  Detected out;
  std::size_t pos = 0;
  std::size_t prev = 0;
  bool any = false;
  re2::StringPiece groups[3];
  const re2::StringPiece text(s.data(), s.size());
  while (pos <= s.size() && kLabel.Match(text, pos, s.size(), re2::RE2::UNANCHORED, groups, 3)) {
    const auto start = static_cast<std::size_t>(groups[0].data() - s.data());
    const std::size_t end = start + groups[0].size();
    if (start != prev) {
      return Status::InvalidArgument("invalid resource format, invalid text: " +
                                     GoQuote(s.substr(prev, start - prev)));
    }
    std::string key(groups[1].data(), groups[1].size());
    Result<std::string> value = QueryUnescape(std::string_view(groups[2].data(), groups[2].size()));
    if (!value.ok()) {
      return Status::InvalidArgument(
          "invalid resource format in attribute: " + GoQuote(s.substr(start, end - start)) +
          ", err: " + value.status().message());
    }
    out.Put(std::move(key), std::move(*value));
    any = true;
    prev = end;
    pos = end > start ? end : end + 1;  // Go's FindAll steps past an empty match
    if (end == s.size()) break;
  }
  if (!any) return Status::InvalidArgument("invalid resource format: " + GoQuote(s));
  if (prev != s.size()) {
    return Status::InvalidArgument("invalid resource format, invalid text: " + GoQuote(s.substr(prev)));
  }
  return out;
}

EnvDetector::EnvDetector(Getenv getenv) : getenv_(std::move(getenv)) {
  if (!getenv_) {
    getenv_ = [](const char* name) {
      const char* v = std::getenv(name);
      return v == nullptr ? std::string() : std::string(v);
    };
  }
}

Result<Detected> EnvDetector::Detect(Clock::time_point) {
  auto env = [&](const char* name) { return std::string(TrimAsciiSpace(getenv_(name))); };
  std::string labels = env("OTEL_RESOURCE_ATTRIBUTES");
  if (labels.empty()) labels = env("OTEL_RESOURCE");
  if (labels.empty()) return Detected{};
  return ParseResourceAttributes(labels);
}

}  // namespace otlpd::processors::resourcedetection
