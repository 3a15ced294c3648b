// Doubles as Go writes them. Several components must print numbers byte for
// byte as otelcol does (pdata's Value.AsString, encoding/json, the debug
// exporter's %v), and Go's rules differ from printf's and from to_chars'.
#pragma once

#include <chrono>
#include <string>

namespace otlpd {

// strconv.FormatFloat(v, 'g', -1, 64), which is also fmt's %v: the shortest
// digits that read back as `v`, in exponent form when the decimal exponent is
// below -4 or from 6 on ("0.5", "123456", "1e+06", "1e-05", "-0"); NaN, +Inf
// and -Inf as "NaN", "+Inf", "-Inf".
std::string GoFloat(double v);

// encoding/json's form of a float64 (pdata's Value.AsString for doubles too):
// the shortest round-trip digits in plain notation, padded with zeros where
// they end before the decimal point ("123456789012345680000"), in exponent
// form below 1e-6 and from 1e21 on ("1e-7", "1e+21"). JSON has no NaN or
// infinities and json.Marshal fails on them, so each caller decides what stands
// in for them; given one, these write GoFloat's spelling.
void AppendGoJsonFloat(std::string& out, double v);
std::string GoJsonFloat(double v);

// time.Duration.String(): "0s", "1.5s", "100ms", "2µs", "1h0m0s", "-1m30s".
std::string GoDuration(std::chrono::nanoseconds d);

}  // namespace otlpd
