#include "config/retry/retry_config.h"

#include <vector>

#include <catch2/catch.hpp>

#include "config/error.h"
#include "config/loader.h"
#include "test/support/config_error.h"

using namespace otlpd;
using namespace std::chrono_literals;
using config::ExponentialBackoff;
using config::RetryConfig;

namespace {

std::vector<std::chrono::nanoseconds> Durations(std::initializer_list<double> seconds) {
  std::vector<std::chrono::nanoseconds> out;
  for (double s : seconds) out.emplace_back(static_cast<std::int64_t>(s * 1e9));
  return out;
}

// Decodes `yaml` as a retry block over the exporters' defaults; the error text or "".
std::string DecodeError(const std::string& yaml, RetryConfig* out = nullptr) {
  return test::ConfigError([&] {
    config::Node node = config::ParseYaml(yaml, "retry.yaml");
    config::MapDecoder d(node, "retry_on_failure");
    RetryConfig c = RetryConfig::Decode(d, RetryConfig{});
    if (out != nullptr) *out = c;
  });
}

}  // namespace

TEST_CASE("backoff grows by the multiplier up to max_interval, spread by the randomization factor") {
  RetryConfig c;  // 5s x1.5 up to 30s, factor 0.5
  ExponentialBackoff mid(c, [] { return 0.5; });
  std::vector<std::chrono::nanoseconds> got;
  for (int i = 0; i < 7; ++i) got.push_back(mid.Next());
  CHECK(got == Durations({5, 7.5, 11.25, 16.875, 25.3125, 30, 30}));

  ExponentialBackoff low(c, [] { return 0.0; });
  CHECK(low.Next() == 2500ms);  // interval x (1 - 0.5)
  ExponentialBackoff high(c, [] { return 1.0; });
  CHECK(high.Next() == 7500ms);  // interval x (1 + 0.5)

  c.randomization_factor = 0;
  ExponentialBackoff none(c, [] { return 0.9; });
  CHECK(none.Next() == 5s);
}

TEST_CASE("retry block: defaults kept, keys decoded, otelcol's checks only when enabled") {
  RetryConfig c;
  REQUIRE(DecodeError("initial_interval: 1s\nmultiplier: 2\n", &c).empty());
  CHECK(c.initial_interval == 1s);
  CHECK(c.multiplier == 2);
  CHECK(c.max_interval == 30s);
  CHECK(c.max_elapsed_time == 300s);

  CHECK_THAT(DecodeError("randomization_factor: 1.5\n"), Catch::Contains("must be within [0, 1]"));
  CHECK_THAT(DecodeError("max_elapsed_time: 1s\n"),
             Catch::Contains("must not be less than initial_interval"));
  CHECK_THAT(DecodeError("bogus: 1\n"), Catch::Contains("bogus"));
  CHECK(DecodeError("enabled: false\nrandomization_factor: 7\n").empty());
}
