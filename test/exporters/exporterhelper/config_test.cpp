#include "exporters/exporterhelper/config.h"

#include <catch2/catch.hpp>

#include "config/error.h"
#include "config/loader.h"

using namespace otlpd;
using namespace std::chrono_literals;
using Catch::Contains;
using exporters::exporterhelper::Config;
using exporters::exporterhelper::Sizer;

namespace {

Config Decode(const std::string& yaml) {
  config::Node node = config::ParseYaml(yaml, "t.yaml");
  config::MapDecoder d(node, "exporters.otlp");
  Config c = Config::Decode(d);
  d.Finish();
  return c;
}

std::string Error(const std::string& yaml) {
  try {
    Decode(yaml);
  } catch (const config::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("exporterhelper config has otelcol's defaults") {
  Config c = Decode("{}");
  CHECK(c.timeout == 5s);
  CHECK(c.retry_on_failure.enabled);
  CHECK(c.retry_on_failure.initial_interval == 5s);
  CHECK(c.retry_on_failure.randomization_factor == 0.5);
  CHECK(c.retry_on_failure.multiplier == 1.5);
  CHECK(c.retry_on_failure.max_interval == 30s);
  CHECK(c.retry_on_failure.max_elapsed_time == 300s);
  CHECK(c.sending_queue.enabled);
  CHECK(c.sending_queue.num_consumers == 10);
  CHECK(c.sending_queue.queue_size == 1000);
  CHECK(c.sending_queue.sizer == Sizer::kRequests);
  CHECK_FALSE(c.sending_queue.block_on_overflow);
  CHECK_FALSE(c.sending_queue.wait_for_result);
}

TEST_CASE("exporterhelper config reads every key") {
  Config c = Decode(R"(
timeout: 2s
retry_on_failure:
  enabled: true
  initial_interval: 100ms
  randomization_factor: 0
  multiplier: 2
  max_interval: 1s
  max_elapsed_time: 0
sending_queue:
  enabled: true
  num_consumers: 3
  queue_size: 5000
  sizer: items
  block_on_overflow: true
  wait_for_result: true
  storage:
  batch: {enabled: false}
)");
  CHECK(c.timeout == 2s);
  CHECK(c.retry_on_failure.initial_interval == 100ms);
  CHECK(c.retry_on_failure.randomization_factor == 0);
  CHECK(c.retry_on_failure.multiplier == 2);
  CHECK(c.retry_on_failure.max_interval == 1s);
  CHECK(c.retry_on_failure.max_elapsed_time == 0s);
  CHECK(c.sending_queue.num_consumers == 3);
  CHECK(c.sending_queue.queue_size == 5000);
  CHECK(c.sending_queue.sizer == Sizer::kItems);
  CHECK(c.sending_queue.block_on_overflow);
  CHECK(c.sending_queue.wait_for_result);
  CHECK(Decode("sending_queue: {sizer: bytes}").sending_queue.sizer == Sizer::kBytes);
  CHECK(Decode("sending_queue: {sizer: requests}").sending_queue.sizer == Sizer::kRequests);
  CHECK_FALSE(Decode("sending_queue:\n  enabled: false\n").sending_queue.enabled);
  CHECK(Decode("sending_queue:\n  batch:\n    enabled: false\n").sending_queue.enabled);
}

TEST_CASE("exporterhelper config errors name the key path") {
  CHECK_THAT(Error("timeout: -1s"), Contains("exporters.otlp.timeout: must be non-negative"));
  CHECK_THAT(Error("retry_on_failure: {randomization_factor: 1.5}"),
             Contains("exporters.otlp.retry_on_failure.randomization_factor: must be within [0, 1]"));
  CHECK_THAT(Error("retry_on_failure: {multiplier: -1}"),
             Contains("exporters.otlp.retry_on_failure.multiplier: must be non-negative"));
  CHECK_THAT(Error("retry_on_failure: {initial_interval: -1s}"),
             Contains("exporters.otlp.retry_on_failure.initial_interval: must be non-negative"));
  CHECK_THAT(
      Error("retry_on_failure: {max_elapsed_time: 10s}"),
      Contains("exporters.otlp.retry_on_failure.max_elapsed_time: must not be less than max_interval"));
  CHECK_THAT(
      Error("retry_on_failure: {max_elapsed_time: 1s}"),
      Contains("exporters.otlp.retry_on_failure.max_elapsed_time: must not be less than initial_interval"));
  CHECK_THAT(Error("retry_on_failure: {max_elapsed_time: -1s}"),
             Contains("exporters.otlp.retry_on_failure.max_elapsed_time: must be non-negative"));
  CHECK_THAT(Error("retry_on_failure: {initial_interval: soon}"),
             Contains("exporters.otlp.retry_on_failure.initial_interval"));
  CHECK_THAT(Error("retry_on_failure: {jitter: 1}"),
             Contains("exporters.otlp.retry_on_failure: has invalid keys: jitter"));
  CHECK_THAT(Error("sending_queue: {num_consumers: 0}"),
             Contains("exporters.otlp.sending_queue.num_consumers: must be positive"));
  CHECK_THAT(Error("sending_queue: {queue_size: 0}"),
             Contains("exporters.otlp.sending_queue.queue_size: must be positive"));
  CHECK_THAT(Error("sending_queue: {sizer: pages}"),
             Contains("exporters.otlp.sending_queue.sizer: must be requests, items or bytes"));
  CHECK_THAT(Error("sending_queue: {storage: \"file_storage/\"}"),
             Contains("exporters.otlp.sending_queue.storage: is not a component id"));
  CHECK_THAT(Error("sending_queue: {storage: file_storage, wait_for_result: true}"),
             Contains("exporters.otlp.sending_queue.wait_for_result: cannot be combined with storage"));
  CHECK_THAT(
      Error("sending_queue: {batch: {flush_timeout: 1s}}"),
      Contains("exporters.otlp.sending_queue.batch: exporter-side batching is not supported by otlpd yet"));
  // An empty or null batch turns batching on in otelcol: refused, never run unbatched.
  CHECK_THAT(
      Error("sending_queue: {batch: {}}"),
      Contains("t.yaml:1:24: exporters.otlp.sending_queue.batch: exporter-side batching is not supported"));
  CHECK_THAT(Error("sending_queue:\n  batch:\n"),
             Contains("exporters.otlp.sending_queue.batch: exporter-side batching is not supported"));
  CHECK_THAT(Error("sending_queue: {blocking: true}"),
             Contains("exporters.otlp.sending_queue.blocking: was removed"));
  CHECK_THAT(Error("sending_queue: 5"), Contains("exporters.otlp.sending_queue: expected a map"));
  // Errors carry the source location too.
  CHECK_THAT(Error("sending_queue:\n  queue_size: 0\n"), Contains("t.yaml:2:"));
}

TEST_CASE("disabled blocks are not validated, as in otelcol") {
  CHECK_NOTHROW(Decode("retry_on_failure: {enabled: false, randomization_factor: 7}"));
  CHECK_NOTHROW(Decode("sending_queue: {enabled: false, num_consumers: 0}"));
}
