#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <variant>

namespace otlpd {

// The outcomes the data path distinguishes. They map onto gRPC codes and HTTP
// statuses at the edges (receivers answer clients, exporters read answers).
enum class StatusCode {
  kOk,
  kInvalidArgument,    // the data is bad: never retry (gRPC INVALID_ARGUMENT, HTTP 400)
  kUnavailable,        // try again later: back-pressure, shutdown, backend down (UNAVAILABLE, 503)
  kResourceExhausted,  // too large or over a limit, not retryable (RESOURCE_EXHAUSTED, 413)
  kDeadlineExceeded,   // an attempt timed out (retryable)
  kInternal,           // our own failure (INTERNAL, 500)
};

// Errors are values on the data path: every Consume() and send returns one.
class [[nodiscard]] Status {
 public:
  Status() = default;

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string msg) { return {StatusCode::kInvalidArgument, std::move(msg)}; }
  static Status Unavailable(std::string msg, std::chrono::milliseconds retry_after = {}) {
    Status s{StatusCode::kUnavailable, std::move(msg)};
    s.retry_after_ = retry_after;
    return s;
  }
  // With retry_after: over a limit for now (receivers send it to the client as
  // RESOURCE_EXHAUSTED with RetryInfo, or 429 with Retry-After); without: too
  // large for good.
  static Status ResourceExhausted(std::string msg, std::chrono::milliseconds retry_after = {}) {
    Status s{StatusCode::kResourceExhausted, std::move(msg)};
    s.retry_after_ = retry_after;
    return s;
  }
  static Status DeadlineExceeded(std::string msg) { return {StatusCode::kDeadlineExceeded, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // A hint for the sender; zero means "use your own backoff".
  std::chrono::milliseconds retry_after() const { return retry_after_; }
  bool retryable() const {
    return code_ == StatusCode::kUnavailable || code_ == StatusCode::kDeadlineExceeded;
  }

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::chrono::milliseconds retry_after_{0};
};

// A value or the Status that explains why there is none.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace otlpd
