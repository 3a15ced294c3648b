#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "exporters/exporterhelper/queued_retry_sender.h"
#include "exporters/otlphttp/http_client.h"
#include "internal/signal.h"

namespace otlpd::exporters::otlphttp {

// A Retry-After value: delay-seconds, or an HTTP-date in any of the three
// forms RFC 9110 makes recipients accept (IMF-fixdate, RFC 850, asctime),
// taken relative to `now`. A date in the past is zero; nullopt when the
// value is neither.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

// What an OTLP/HTTP answer means for the exporter helper (the OTLP spec,
// otel-compat A.4):
// - 2xx: delivered. The body, read as the signal's Export*ServiceResponse in
//   the encoding its Content-Type names, may report partial_success, which
//   is passed on (never retried). An empty body, or a Content-Type that is
//   neither protobuf nor JSON, is plain success (as in otelcol); a body that
//   does not parse as what it says it is is a permanent failure (the data
//   may have arrived: sending it again could duplicate it).
// - 429, 502, 503, 504: retryable (Unavailable); on 429 and 503 a valid
//   Retry-After becomes the throttle hint.
// - anything else: permanent (400 InvalidArgument, 413 ResourceExhausted,
//   the rest Internal).
// Errors name the URL and status and carry google.rpc.Status.message from
// the body (protobuf or JSON), or the start of a text body.
exporterhelper::SendResult ClassifyResponse(Signal signal, std::string_view url, const HttpResponse& response,
                                            std::chrono::system_clock::time_point now);

}  // namespace otlpd::exporters::otlphttp
