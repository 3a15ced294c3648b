#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "component/consumer.h"
#include "component/receive_budget.h"
#include "component/telemetry.h"

namespace otlpd::receivers::otlp {

// What OTLP/HTTP does with a request once its body is read and decompressed,
// kept apart from the HTTP server so it can be tested, fuzzed and measured
// without sockets (and without Beast in the build of whoever includes it).

enum class BodyFormat { kProtobuf, kJson };

// application/x-protobuf or application/json, case-insensitive, parameters
// such as "; charset=utf-8" ignored (as otelcol's mime.ParseMediaType).
std::optional<BodyFormat> ParseContentType(std::string_view header);
std::string_view ContentTypeOf(BodyFormat format);

struct HttpAnswer {
  int status = 200;
  std::string content_type;
  std::string body;
  int retry_after_seconds = 0;  // > 0: send Retry-After
};

// google.rpc gRPC codes, for the `code` of google.rpc.Status bodies.
enum RpcCode : int {
  kRpcInvalidArgument = 3,
  kRpcNotFound = 5,
  kRpcResourceExhausted = 8,
  kRpcUnimplemented = 12,
  kRpcInternal = 13,
  kRpcUnavailable = 14,
};

// A 4xx/5xx answer: a google.rpc.Status in the request's encoding, as the
// OTLP spec asks of every error body.
HttpAnswer ErrorAnswer(int http_status, int rpc_code, std::string_view message, BodyFormat format);

// The answer when the receive budget refuses a request: 429 with Retry-After
// while others hold it, 413 when the request alone needs more than all of it.
HttpAnswer BudgetRefusal(ReceiveBudget::Verdict verdict, BodyFormat format);

// The HTTP status for a refusal from the pipeline, with otelcol's gRPC to
// HTTP mapping: back-pressure (UNAVAILABLE, DEADLINE_EXCEEDED) is 503,
// RESOURCE_EXHAUSTED 429, both with Retry-After; bad data 400; our own
// failures 500.
int HttpStatusFor(StatusCode code);

// Decodes (JSON to protobuf), validates and counts an Export*ServiceRequest
// body, hands it to `next` and says what to answer: 200 with an empty
// Export*ServiceResponse, 400 for undecodable data, or the pipeline's refusal.
// `client_address` is the sender's IP (Payload::client_address). `lease`
// (may be null) holds the body's bytes of the receive budget; the protobuf an
// OTLP/JSON body becomes is taken from it too (429 when it has no room).
// `gzip`: a protobuf body as the client gzipped it (Payload::gzip framing).
HttpAnswer ExportBody(Signal signal, BodyFormat format, std::string body,
                      std::shared_ptr<const Metadata> metadata, std::string client_address, Consumer& next,
                      SignalCounters& counters, BudgetLease* lease = nullptr, std::string gzip = {});

}  // namespace otlpd::receivers::otlp
