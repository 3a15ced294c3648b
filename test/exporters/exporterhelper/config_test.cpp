#include "exporters/exporterhelper/config.h"

#include <catch2/catch.hpp>

#include "config/error.h"
#include "config/loader.h"
#include "test/support/config_error.h"

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
  return test::ConfigError([&] { Decode(yaml); });
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

TEST_CASE("sending_queue.batch: absent is off, empty or null is on with otelcol's defaults") {
  CHECK_FALSE(Decode("{}").sending_queue.batch.has_value());
  CHECK_FALSE(Decode("sending_queue: {batch: {enabled: false}}").sending_queue.batch.has_value());
  for (const char* yaml : {"sending_queue: {batch: {}}", "sending_queue:\n  batch:\n",
                           "sending_queue: {batch: {enabled: true}}"}) {
    CAPTURE(yaml);
    Config c = Decode(yaml);
    REQUIRE(c.sending_queue.batch.has_value());
    const auto& b = *c.sending_queue.batch;
    CHECK(b.flush_timeout == 200ms);
    CHECK(b.sizer == Sizer::kItems);
    CHECK(b.min_size == 8192);
    CHECK(b.max_size == 0);
    CHECK(b.partition.metadata_keys.empty());
    CHECK(b.partition.cache_size == 10000);
    CHECK(b.partition.idle_timeout == 90s);
  }
  // A disabled queue has no batching and nothing in it is checked.
  CHECK_FALSE(
      Decode("sending_queue: {enabled: false, batch: {min_size: -1}}").sending_queue.batch.has_value());
}

TEST_CASE("sending_queue.batch reads every key") {
  Config c = Decode(R"(
sending_queue:
  sizer: items
  queue_size: 100000
  batch:
    flush_timeout: 1s
    sizer: bytes
    min_size: 1000
    max_size: 5000
    partition:
      metadata_keys: [Tenant, x-scope]
      cache_size: 7
      idle_timeout: 10s
)");
  const auto& b = *c.sending_queue.batch;
  CHECK(b.flush_timeout == 1s);
  CHECK(b.sizer == Sizer::kBytes);
  CHECK(b.min_size == 1000);
  CHECK(b.max_size == 5000);
  CHECK(b.partition.metadata_keys == std::vector<std::string>{"tenant", "x-scope"});
  CHECK(b.partition.cache_size == 7);
  CHECK(b.partition.idle_timeout == 10s);
}

TEST_CASE("sending_queue.batch inherits the queue's sizer only when it was written, as otelcol") {
  CHECK(Decode("sending_queue: {sizer: items, queue_size: 10000, batch: {}}").sending_queue.batch->sizer ==
        Sizer::kItems);
  CHECK(Decode("sending_queue: {sizer: bytes, queue_size: 100000, batch: {}}").sending_queue.batch->sizer ==
        Sizer::kBytes);
  // Null batch: no inheritance.
  CHECK(
      Decode("sending_queue:\n  sizer: bytes\n  queue_size: 100000\n  batch:\n").sending_queue.batch->sizer ==
      Sizer::kItems);
  // `sizer: requests` written, batch inherits it and otelcol refuses it.
  CHECK_THAT(Error("sending_queue: {sizer: requests, batch: {}}"),
             Contains("exporters.otlp.sending_queue.batch: `batch` supports only `items` or `bytes` sizer, "
                      "found \"requests\""));
  // The default (unwritten) queue sizer is requests, and the batch's stays items.
  CHECK(Decode("sending_queue: {batch: {min_size: 5000}}").sending_queue.batch->sizer == Sizer::kItems);
}

TEST_CASE("sending_queue.batch errors are otelcol's, located at the key") {
  CHECK_THAT(
      Error("sending_queue: {batch: {sizer: requests}}"),
      Contains("exporters.otlp.sending_queue.batch.sizer: `batch` supports only `items` or `bytes` sizer, "
               "found \"requests\""));
  CHECK_THAT(Error("sending_queue: {batch: {sizer: pages}}"),
             Contains("exporters.otlp.sending_queue.batch.sizer: must be requests, items or bytes"));
  CHECK_THAT(
      Error("sending_queue: {batch: {flush_timeout: 0s}}"),
      Contains(
          "exporters.otlp.sending_queue.batch.flush_timeout: `flush_timeout` must be positive, found 0"));
  CHECK_THAT(Error("sending_queue: {batch: {flush_timeout: -1s}}"),
             Contains("`flush_timeout` must be positive, found -1000000000"));
  CHECK_THAT(
      Error("sending_queue: {batch: {min_size: -1}}"),
      Contains("exporters.otlp.sending_queue.batch.min_size: `min_size` must be non-negative, found -1"));
  CHECK_THAT(
      Error("sending_queue: {batch: {max_size: -2}}"),
      Contains("exporters.otlp.sending_queue.batch.max_size: `max_size` must be non-negative, found -2"));
  CHECK_THAT(
      Error("sending_queue: {batch: {min_size: 10, max_size: 5}}"),
      Contains("exporters.otlp.sending_queue.batch.max_size: `max_size` (5) must be greater or equal to "
               "`min_size` (10)"));
  CHECK_NOTHROW(Decode("sending_queue: {batch: {min_size: 10, max_size: 0}}"));
  CHECK_THAT(Error("sending_queue: {batch: {partition: {idle_timeout: 0s}}}"),
             Contains("batch.partition.idle_timeout: `idle_timeout` must be positive, found 0s"));
  CHECK_THAT(Error("sending_queue: {batch: {partition: {cache_size: 0}}}"),
             Contains("batch.partition.cache_size: `cache_size` must be positive, found 0"));
  CHECK_THAT(Error("sending_queue: {batch: {partition: {metadata_keys: [a, A]}}}"),
             Contains("duplicate entry in metadata_keys: \"a\" (case-insensitive)"));
  CHECK_THAT(Error("sending_queue: {batch: {flush_timout: 1s}}"),
             Contains("exporters.otlp.sending_queue.batch: has invalid keys: flush_timout"));
  CHECK_THAT(Error("sending_queue: {batch: {enabled: 3}}"), Contains("sending_queue.batch.enabled"));
  // min_size above queue_size is refused when both use the same sizer.
  CHECK_THAT(
      Error("sending_queue: {sizer: items, queue_size: 100, batch: {min_size: 101}}"),
      Contains("exporters.otlp.sending_queue.batch: `min_size` must be less than or equal to `queue_size`"));
  CHECK_NOTHROW(Decode("sending_queue: {sizer: items, queue_size: 100, batch: {min_size: 100}}"));
  CHECK_NOTHROW(Decode("sending_queue: {queue_size: 100, batch: {min_size: 101}}"));  // requests vs items
  // With the queue's sizer inherited, the default min_size 8192 exceeds the default queue_size 1000.
  CHECK_THAT(Error("sending_queue: {sizer: items, batch: {}}"),
             Contains("`min_size` must be less than or equal to `queue_size`"));
}
