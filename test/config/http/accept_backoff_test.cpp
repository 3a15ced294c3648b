#include "config/http/accept_backoff.h"

#include <catch2/catch.hpp>

using otlpd::http::AcceptBackoff;
using std::chrono::milliseconds;

TEST_CASE("AcceptBackoff doubles the wait up to a second and logs once per interval") {
  AcceptBackoff b("test server");
  const auto emfile = std::make_error_code(std::errc::too_many_files_open);
  auto now = AcceptBackoff::Clock::now();
  auto first = b.Failed(emfile.message(), now);
  CHECK(first.delay == milliseconds(5));
  CHECK_THAT(first.log, Catch::Matchers::Contains("test server: accept failed") &&
                            Catch::Matchers::Contains("1 failure since"));
  milliseconds waited = first.delay;
  int lines = 1;
  for (int i = 0; i < 400; ++i) {
    auto step = b.Failed(emfile.message(), now);
    now += step.delay;  // the time a real server waits
    waited += step.delay;
    CHECK(step.delay <= milliseconds(1000));
    if (!step.log.empty()) ++lines;
  }
  CHECK(b.Failed(emfile.message(), now).delay == milliseconds(1000));
  // About 400 s of failures: one line per 10 s, not one per failure.
  CHECK(lines <= 41);
  CHECK(lines >= 20);
  CHECK_THAT(b.Succeeded(), Catch::Matchers::Contains("accepting connections again"));
  CHECK(b.Succeeded().empty());
  CHECK(b.Failed(emfile.message(), now).delay == milliseconds(5));
  CHECK(b.failures() == 403);
  CHECK(waited > milliseconds(390000));
}
