#include "exporters/debug/debug_exporter.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace otlpd::exporters::debug {

DebugExporter::DebugExporter(Config config, DebugExporterOptions options)
    : config_(std::move(config)),
      options_(std::move(options)),
      telemetry_(options_.telemetry != nullptr ? options_.telemetry : &own_telemetry_),
      sampler_(config_.sampling_initial, config_.sampling_thereafter) {}

DebugExporter::~DebugExporter() {
  std::lock_guard lock(mu_);
  CloseOutputsLocked();
}

Status DebugExporter::Start() {
  std::lock_guard lock(mu_);
  if (state_ != State::kCreated) return Status::Internal("debug exporter: started twice");
  if (!config_.use_internal_logger) {
    for (const std::string& path : config_.output_paths) {
      Output out;
      out.path = path;
      if (path == "stdout") {
        out.file = stdout;
      } else if (path == "stderr") {
        out.file = stderr;
      } else {
        // Appending, as zap opens its output files (O_APPEND|O_CREATE).
        out.file = std::fopen(path.c_str(), "a");
        out.owned = true;
        if (out.file == nullptr) {
          std::string why = std::strerror(errno);
          CloseOutputsLocked();
          return Status::Internal("debug exporter: cannot open output path \"" + path + "\": " + why);
        }
      }
      outputs_.push_back(std::move(out));
    }
  }
  state_ = State::kRunning;
  return Status::Ok();
}

void DebugExporter::Shutdown(Clock::time_point /*deadline*/) {
  // Writes are synchronous, so there is nothing queued to drain.
  std::lock_guard lock(mu_);
  state_ = State::kStopped;
  CloseOutputsLocked();
}

Status DebugExporter::Consume(const PayloadPtr& payload) {
  if (!payload) return Status::InvalidArgument("debug exporter: null payload");
  {
    std::lock_guard lock(mu_);
    if (state_ != State::kRunning) return Status::Unavailable("debug exporter is not running");
    // Sampled before decoding: a dropped payload costs no formatting. It
    // counts as sent, as otelcol counts what its debug exporter took.
    if (!sampler_.Sample(payload->signal, options_.now())) {
      SignalCounters::Add((*telemetry_)[payload->signal].sent, payload->items);
      return Status::Ok();
    }
  }

  // Formatting happens outside the lock so concurrent pipelines only
  // serialise on the write itself.
  Result<FormattedPayload> formatted = FormatPayload(payload->signal, payload->bytes, config_.verbosity);
  SignalCounters& counters = (*telemetry_)[payload->signal];
  if (!formatted.ok()) {
    SignalCounters::Add(counters.send_failed, payload->items);
    return formatted.status();
  }

  std::lock_guard lock(mu_);
  if (state_ != State::kRunning) return Status::Unavailable("debug exporter is not running");
  WriteLocked(*formatted, payload->signal);
  SignalCounters::Add(counters.sent, payload->items);
  return Status::Ok();
}

void DebugExporter::WriteLocked(const FormattedPayload& formatted, Signal signal) {
  if (config_.use_internal_logger) {
    // One log call per payload: a multi-line body stays in one piece even
    // with other threads logging, and the sink adds the final newline.
    std::string text = formatted.message;
    text += "\t{\"otelcol.component.id\": \"" + options_.component_id +
            "\", \"otelcol.component.kind\": \"exporter\", \"otelcol.signal\": \"" +
            std::string(SignalName(signal)) + "\", " + formatted.fields + "}";
    if (!formatted.body.empty()) {
      text += '\n';
      text.append(formatted.body, 0, formatted.body.size() - (formatted.body.back() == '\n' ? 1 : 0));
    }
    spdlog::logger* logger = options_.logger ? options_.logger.get() : spdlog::default_logger_raw();
    if (logger != nullptr) logger->info(text);
    return;
  }

  std::string text = formatted.Text();
  for (Output& out : outputs_) {
    bool ok = std::fwrite(text.data(), 1, text.size(), out.file) == text.size();
    ok = std::fflush(out.file) == 0 && ok;
    // A broken output must not fail the pipelines feeding this exporter (zap
    // reports write errors to stderr and carries on); say so once per path.
    if (!ok && !out.failed) {
      out.failed = true;
      spdlog::warn("debug exporter {}: writing to \"{}\" failed: {}", options_.component_id, out.path,
                   std::strerror(errno));
    }
  }
}

void DebugExporter::CloseOutputsLocked() {
  for (Output& out : outputs_) {
    if (out.owned) {
      std::fclose(out.file);
    } else {
      std::fflush(out.file);
    }
  }
  outputs_.clear();
}

}  // namespace otlpd::exporters::debug
