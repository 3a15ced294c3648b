#include "exporters/otlphttp/export_response.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "exporters/otlp/export_response.h"
#include "internal/text.h"
#include "otlp/wire/wire_format.h"

namespace otlpd::exporters::otlphttp {
namespace {

using exporterhelper::SendResult;
using otlp::PartialSuccess;

enum class BodyType { kProtobuf, kJson, kOther };

BodyType TypeOf(std::string_view content_type) {
  const std::string_view media = TrimHttpSpace(content_type.substr(0, content_type.find(';')));
  if (EqualsIgnoreCase(media, "application/x-protobuf")) return BodyType::kProtobuf;
  if (EqualsIgnoreCase(media, "application/json")) return BodyType::kJson;
  return BodyType::kOther;
}

// Far beyond any sensible throttle: clamp rather than overflow.
constexpr std::int64_t kMaxRetryAfterSeconds = 100LL * 365 * 24 * 3600;

std::optional<std::int64_t> ParseDigits(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// "Sun" (IMF-fixdate, asctime) or "Sunday" (RFC 850).
bool IsDayName(std::string_view t) {
  static constexpr std::array<std::string_view, 7> kDays = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                            "Friday", "Saturday", "Sunday"};
  return std::any_of(kDays.begin(), kDays.end(),
                     [&](std::string_view d) { return t == d || (t.size() == 3 && t == d.substr(0, 3)); });
}

// An HTTP-date: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850
// "Sunday, 06-Nov-94 08:49:37 GMT" or asctime "Sun Nov  6 08:49:37 1994".
// In all three the first number is the day and the second the year, so one
// tokenizer reads them all.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view s) {
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ' || s[i] == ',' || s[i] == '-') {
      ++i;
      continue;
    }
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != ',' && s[i] != '-') ++i;
    tokens.push_back(s.substr(start, i - start));
  }
  int month = 0, hour = -1, minute = -1, second = -1;
  std::vector<std::int64_t> numbers;
  std::size_t year_digits = 0;
  bool zone_seen = false;
  for (std::string_view t : tokens) {
    if (t.find(':') != std::string_view::npos) {
      if (t.size() != 8 || t[2] != ':' || t[5] != ':' || hour >= 0) return std::nullopt;
      auto h = ParseDigits(t.substr(0, 2)), m = ParseDigits(t.substr(3, 2)),
           sec = ParseDigits(t.substr(6, 2));
      if (!h || !m || !sec) return std::nullopt;
      hour = static_cast<int>(*h);
      minute = static_cast<int>(*m);
      second = static_cast<int>(*sec);
    } else if (auto n = ParseDigits(t)) {
      if (numbers.size() == 1) year_digits = t.size();
      numbers.push_back(*n);
    } else if (t == "GMT" || t == "UTC") {
      zone_seen = true;
    } else if (auto it = std::find(kMonths.begin(), kMonths.end(), t); it != kMonths.end()) {
      if (month != 0) return std::nullopt;
      month = static_cast<int>(it - kMonths.begin()) + 1;
    } else if (!IsDayName(t)) {
      return std::nullopt;
    }
  }
  const bool asctime = !zone_seen;
  if (numbers.size() != 2 || month == 0 || hour < 0 || (asctime && year_digits != 4)) return std::nullopt;
  std::int64_t year = numbers[1];
  if (year_digits == 2) {
    // RFC 850's two-digit year: the most recent matching year not more than
    // 50 years in the future (RFC 9110); 19xx/20xx is what that comes to.
    year += year >= 70 ? 1900 : 2000;
  } else if (year_digits != 4) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year(static_cast<int>(year)),
                                        std::chrono::month(static_cast<unsigned>(month)),
                                        std::chrono::day(static_cast<unsigned>(numbers[0]))};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  return std::chrono::sys_days(ymd) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second);
}

// OTLP/JSON Export*ServiceResponse: partialSuccess.{rejected<Items>,
// errorMessage}; proto3 JSON also allows the original field names, and
// int64 counts as strings or numbers.
std::optional<PartialSuccess> ParseJsonExportResponse(Signal signal, std::string_view body) {
  std::string_view camel, snake;
  switch (signal) {
    case Signal::kTraces: camel = "rejectedSpans", snake = "rejected_spans"; break;
    case Signal::kMetrics: camel = "rejectedDataPoints", snake = "rejected_data_points"; break;
    case Signal::kLogs: camel = "rejectedLogRecords", snake = "rejected_log_records"; break;
    case Signal::kProfiles: camel = "rejectedProfiles", snake = "rejected_profiles"; break;
  }
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(body.data(), body.size()).get_object().get(root) != simdjson::SUCCESS) return std::nullopt;
  PartialSuccess out;
  for (auto field : root) {
    if (field.key != "partialSuccess" && field.key != "partial_success") continue;
    if (field.value.is_null()) continue;
    simdjson::dom::object partial;
    if (field.value.get_object().get(partial) != simdjson::SUCCESS) return std::nullopt;
    out.present = true;
    for (auto f : partial) {
      if (f.key == camel || f.key == snake) {
        std::int64_t n = 0;
        std::string_view text;
        if (f.value.get_int64().get(n) == simdjson::SUCCESS) {
        } else if (f.value.get_string().get(text) == simdjson::SUCCESS) {
          const bool negative = !text.empty() && text.front() == '-';
          auto digits = ParseDigits(negative ? text.substr(1) : text);
          if (!digits) return std::nullopt;
          n = negative ? -*digits : *digits;
        } else if (!f.value.is_null()) {
          return std::nullopt;
        }
        out.rejected = n > 0 ? static_cast<std::uint64_t>(n) : 0;
      } else if (f.key == "errorMessage" || f.key == "error_message") {
        std::string_view text;
        if (f.value.get_string().get(text) == simdjson::SUCCESS) {
          out.error_message = std::string(text);
        } else if (!f.value.is_null()) {
          return std::nullopt;
        }
      }
    }
  }
  return out;
}

// google.rpc.Status.message from an error body in the given encoding.
std::optional<std::string> StatusMessage(BodyType type, std::string_view body) {
  if (type == BodyType::kProtobuf) {
    wire::Reader r(body);
    std::optional<std::string> message;
    while (!r.AtEnd()) {
      wire::Field f;
      if (!r.ReadField(f)) return std::nullopt;
      if (f.number == 2 && f.type == wire::WireType::kLen) message = std::string(f.payload);
    }
    return message;
  }
  if (type == BodyType::kJson) {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::object root;
    if (parser.parse(body.data(), body.size()).get_object().get(root) != simdjson::SUCCESS)
      return std::nullopt;
    std::string_view message;
    if (root["message"].get_string().get(message) != simdjson::SUCCESS) return std::nullopt;
    return std::string(message);
  }
  return std::nullopt;
}

// The start of a body that is not a Status (a proxy's HTML, "404 page not
// found"), made printable, so the log says what came back.
std::string Excerpt(std::string_view body) {
  constexpr std::size_t kMax = 200;
  std::string out;
  for (char c : body.substr(0, kMax)) out += (c >= 0x20 && c < 0x7f) ? c : ' ';
  if (body.size() > kMax) out += "...";
  return out;
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now) {
  value = TrimHttpSpace(value);
  if (auto seconds = ParseDigits(value)) {
    return std::chrono::seconds(std::min(*seconds, kMaxRetryAfterSeconds));
  }
  auto date = ParseHttpDate(value);
  if (!date) return std::nullopt;
  if (*date <= now) return std::chrono::milliseconds(0);
  auto delay = std::chrono::ceil<std::chrono::milliseconds>(*date - now);
  return std::min<std::chrono::milliseconds>(delay, std::chrono::seconds(kMaxRetryAfterSeconds));
}

SendResult ClassifyResponse(Signal signal, std::string_view url, const HttpResponse& response,
                            std::chrono::system_clock::time_point now) {
  const int status = response.status;
  const BodyType type = TypeOf(response.content_type);
  const std::string where = "HTTP " + std::to_string(status) + " from " + std::string(url);
  if (status >= 200 && status <= 299) {
    if (response.body.empty() || type == BodyType::kOther) return SendResult::Ok();
    std::optional<PartialSuccess> partial = type == BodyType::kProtobuf
                                                ? otlp::ParseExportResponse(response.body)
                                                : ParseJsonExportResponse(signal, response.body);
    if (!partial) {
      return SendResult::Failed(
          Status::Internal(where + ": the body is not a valid " +
                           (type == BodyType::kProtobuf ? "protobuf" : "JSON") + " Export" +
                           (signal == Signal::kTraces     ? "Trace"
                            : signal == Signal::kMetrics  ? "Metrics"
                            : signal == Signal::kProfiles ? "Profiles"
                                                          : "Logs") +
                           "ServiceResponse" + (response.body_truncated ? " (longer than 64 KiB)" : "") +
                           "; not retried, the data may have been delivered"));
    }
    SendResult r;
    r.rejected_items = partial->rejected;
    r.rejection_message = std::move(partial->error_message);
    return r;
  }

  std::string message = where;
  if (auto m = StatusMessage(type, response.body)) {
    if (!m->empty()) message += ": " + *m;
  } else if (!response.body.empty() && type == BodyType::kOther) {
    message += ": " + Excerpt(response.body);
  }
  switch (status) {
    case 429:
    case 503: {
      std::chrono::milliseconds hint{0};
      if (response.retry_after) {
        if (auto d = ParseRetryAfter(*response.retry_after, now)) hint = *d;
      }
      return SendResult::Failed(Status::Unavailable(std::move(message), hint));
    }
    case 502:
    case 504: return SendResult::Failed(Status::Unavailable(std::move(message)));
    case 400: return SendResult::Failed(Status::InvalidArgument(std::move(message)));
    case 413: return SendResult::Failed(Status::ResourceExhausted(std::move(message)));
    default: return SendResult::Failed(Status::Internal(std::move(message)));
  }
}

}  // namespace otlpd::exporters::otlphttp
