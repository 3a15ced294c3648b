#include "ottl/time_parse.h"

#include <cctype>
#include <string_view>

#include "internal/text.h"

namespace otlpd::ottl {
namespace {

constexpr const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};
constexpr const char* kDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                 "Thursday", "Friday", "Saturday"};

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool Leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysIn(int month, std::int64_t year) {
  static constexpr int kDaysIn[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && Leap(year) ? 29 : kDaysIn[month - 1];
}

}  // namespace

std::optional<TimeLayout> CompileTimeFormat(const std::string& format, std::string* error) {
  static const std::string_view kSupported = "YymdeHIlMSLfspbhBaAjzZ";
  TimeLayout layout;
  auto literal = [&](std::string_view s) {
    if (layout.items.empty() || layout.items.back().directive != 0) layout.items.push_back({});
    layout.items.back().literal += s;
  };
  // A shorthand directive: its directives (even places of `spec`) with the
  // separators between them (odd places), "H:M:S" for %T.
  auto composite = [&](std::string_view spec) {
    for (std::size_t k = 0; k < spec.size(); ++k) {
      if (k % 2 == 0) {
        layout.items.push_back({spec[k], ""});
      } else {
        literal(spec.substr(k, 1));
      }
    }
  };
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      literal(std::string_view(&format[i], 1));
      continue;
    }
    if (i + 1 >= format.size()) {
      *error = "format ends with a lone %";
      return std::nullopt;
    }
    const char d = format[++i];
    switch (d) {
      case '%': literal("%"); continue;
      case 'n': literal("\n"); continue;
      case 't': literal("\t"); continue;
      case 'T': composite("H:M:S"); continue;
      case 'F': composite("Y-m-d"); continue;
      case 'D': composite("m/d/y"); continue;
      case 'R': composite("H:M"); continue;
      default: break;
    }
    if (kSupported.find(d) == std::string_view::npos) {
      *error = std::string("unsupported directive %") + d + " (see the README for the supported ones)";
      return std::nullopt;
    }
    if ((d == 'L' || d == 'f' || d == 's') &&
        (layout.items.empty() || layout.items.back().directive != 0 || layout.items.back().literal.empty() ||
         (layout.items.back().literal.back() != '.' && layout.items.back().literal.back() != ','))) {
      *error = std::string("fractional directive %") + d + " must follow '.' or ','";
      return std::nullopt;
    }
    layout.items.push_back({d, ""});
  }
  return layout;
}

std::optional<std::int32_t> LoadLocation(const std::string& name, std::string* error) {
  if (name.empty() || name == "UTC" || name == "Etc/UTC" || name == "GMT" || name == "Etc/GMT") return 0;
  *error = "location \"" + name + "\" is not supported by otlpd (only UTC; use %z in the format for offsets)";
  return std::nullopt;
}

Result<std::int64_t> ParseTime(const TimeLayout& layout, std::int32_t offset_seconds,
                               const std::string& input) {
  std::int64_t year = 1;  // Go's zero time: January 1, year 1 (year 0 in its parse)
  int month = 1, day = 1, hour = 0, minute = 0, second = 0, yday = -1;
  std::int64_t nanos = 0;
  int pm = -1;  // -1: no %p
  std::int64_t offset = offset_seconds;
  std::size_t pos = 0;
  auto bad = [&]() -> Status {
    return Status::InvalidArgument("parsing time \"" + input + "\": cannot parse \"" +
                                   input.substr(std::min(pos, input.size())) + "\"");
  };
  auto digits = [&](std::size_t min, std::size_t max, std::int64_t& out) {
    std::size_t n = 0;
    out = 0;
    while (n < max && pos < input.size() && std::isdigit(static_cast<unsigned char>(input[pos]))) {
      out = out * 10 + (input[pos] - '0');
      ++pos;
      ++n;
    }
    return n >= min;
  };
  auto name = [&](const char* const* names, int count, bool abbrev, int& out) {
    for (int k = 0; k < count; ++k) {
      std::string_view n = names[k];
      if (abbrev) n = n.substr(0, 3);
      if (EqualsIgnoreCase(std::string_view(input).substr(pos, n.size()), n)) {
        pos += n.size();
        out = k;
        return true;
      }
    }
    return false;
  };
  for (std::size_t idx = 0; idx < layout.items.size(); ++idx) {
    const TimeLayout::Item& item = layout.items[idx];
    std::int64_t v = 0;
    if (item.directive == 0) {
      if (input.compare(pos, item.literal.size(), item.literal) != 0) return bad();
      pos += item.literal.size();
      continue;
    }
    switch (item.directive) {
      case 'Y':
        if (!digits(4, 4, v)) return bad();
        year = v;
        break;
      case 'y':
        if (!digits(2, 2, v)) return bad();
        year = v >= 69 ? 1900 + v : 2000 + v;
        break;
      case 'm':
        if (!digits(2, 2, v) || v < 1 || v > 12) return bad();
        month = static_cast<int>(v);
        break;
      case 'b':
      case 'h':
      case 'B': {
        int m = 0;
        if (!name(kMonths, 12, item.directive != 'B', m)) return bad();
        month = m + 1;
        break;
      }
      case 'a':
      case 'A': {
        int wd = 0;
        if (!name(kDays, 7, item.directive == 'a', wd)) return bad();
        break;  // the weekday is checked by nothing, as in Go
      }
      case 'd':
        if (!digits(2, 2, v) || v < 1 || v > 31) return bad();
        day = static_cast<int>(v);
        break;
      case 'e':
        if (pos < input.size() && input[pos] == ' ') ++pos;
        if (!digits(1, 2, v) || v < 1 || v > 31) return bad();
        day = static_cast<int>(v);
        break;
      case 'j':
        if (!digits(3, 3, v) || v < 1 || v > 366) return bad();
        yday = static_cast<int>(v);
        break;
      case 'H':
        if (!digits(2, 2, v) || v > 23) return bad();
        hour = static_cast<int>(v);
        break;
      case 'I':
        if (!digits(2, 2, v) || v < 1 || v > 12) return bad();
        hour = static_cast<int>(v);
        break;
      case 'l':
        if (!digits(1, 2, v) || v < 1 || v > 12) return bad();
        hour = static_cast<int>(v);
        break;
      case 'M':
        if (!digits(2, 2, v) || v > 59) return bad();
        minute = static_cast<int>(v);
        break;
      case 'S': {
        if (!digits(2, 2, v) || v > 59) return bad();
        second = static_cast<int>(v);
        // Go accepts a fraction after the seconds even when the layout has none.
        const bool layout_has_fraction =
            idx + 1 < layout.items.size() && layout.items[idx + 1].directive == 0 &&
            (layout.items[idx + 1].literal[0] == '.' || layout.items[idx + 1].literal[0] == ',');
        if (!layout_has_fraction && pos + 1 < input.size() && (input[pos] == '.' || input[pos] == ',') &&
            std::isdigit(static_cast<unsigned char>(input[pos + 1]))) {
          ++pos;
          std::int64_t frac = 0;
          std::size_t n = 0;
          while (pos < input.size() && std::isdigit(static_cast<unsigned char>(input[pos]))) {
            if (n < 9) {
              frac = frac * 10 + (input[pos] - '0');
              ++n;
            }
            ++pos;
          }
          while (n++ < 9) frac *= 10;
          nanos = frac;
        }
        break;
      }
      case 'L':
      case 'f':
      case 's': {
        const std::size_t n = item.directive == 'L' ? 3 : item.directive == 'f' ? 6 : 9;
        if (!digits(n, n, v)) return bad();
        for (std::size_t k = n; k < 9; ++k) v *= 10;
        nanos = v;
        break;
      }
      case 'p': {
        const std::string_view rest = std::string_view(input).substr(pos, 2);
        if (EqualsIgnoreCase(rest, "AM")) {
          pm = 0;
        } else if (EqualsIgnoreCase(rest, "PM")) {
          pm = 1;
        } else {
          return bad();
        }
        pos += 2;
        break;
      }
      case 'z': {
        if (pos < input.size() && input[pos] == 'Z') {
          ++pos;
          offset = 0;
          break;
        }
        if (pos >= input.size() || (input[pos] != '+' && input[pos] != '-')) return bad();
        const bool neg = input[pos++] == '-';
        std::int64_t hh = 0, mm = 0;
        if (!digits(2, 2, hh)) return bad();
        if (pos < input.size() && input[pos] == ':') ++pos;
        if (!digits(2, 2, mm)) return bad();
        offset = (neg ? -1 : 1) * (hh * 3600 + mm * 60);
        break;
      }
      case 'Z': {
        if (input.compare(pos, 3, "UTC") == 0 || input.compare(pos, 3, "GMT") == 0) {
          pos += 3;
          offset = 0;
          break;
        }
        return bad();
      }
      default: return bad();
    }
  }
  if (pos != input.size()) {
    return Status::InvalidArgument("parsing time \"" + input + "\": extra text: \"" + input.substr(pos) +
                                   "\"");
  }
  if (pm == 1 && hour < 12) hour += 12;
  if (pm == 0 && hour == 12) hour = 0;
  std::int64_t days = 0;
  if (yday > 0) {
    if (yday > (Leap(year) ? 366 : 365))
      return Status::InvalidArgument("parsing time \"" + input + "\": day-of-year out of range");
    days = DaysFromCivil(year, 1, 1) + yday - 1;
  } else {
    if (day > DaysIn(month, year))
      return Status::InvalidArgument("parsing time \"" + input + "\": day out of range");
    days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  }
  const std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset;
  return secs * 1000000000 + nanos;
}

}  // namespace otlpd::ottl
