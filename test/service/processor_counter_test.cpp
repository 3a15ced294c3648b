#include "service/processor_counter.h"

#include <catch2/catch.hpp>

#include "test/support/sink.h"

using namespace otlpd;

namespace {

// A decoded request of a fixed size whose Encode() is counted.
class FakeDecoded : public DecodedPayload {
 public:
  std::uint64_t items() const override { return 7; }
  PayloadPtr Encode() const override {
    ++encodes;
    return MakePayload(Signal::kTraces, "x", 7);
  }
  mutable int encodes = 0;
};

class DecodedSink : public Consumer, public DecodedConsumer {
 public:
  Status Consume(const PayloadPtr&) override {
    ++bytes;
    return Status::Ok();
  }
  Status ConsumeDecoded(DecodedPayload&) override {
    ++decoded;
    return Status::Ok();
  }
  int bytes = 0;
  int decoded = 0;
};

}  // namespace

TEST_CASE("ProcessorCounter counts items and keeps a decoded request decoded for a consumer that takes it") {
  std::atomic<std::uint64_t> counter{0};
  DecodedSink next;
  ProcessorCounter c(&next, &counter);
  FakeDecoded d;
  REQUIRE(c.ConsumeDecoded(d).ok());
  CHECK(next.decoded == 1);
  CHECK(d.encodes == 0);
  REQUIRE(c.Consume(MakePayload(Signal::kTraces, "y", 3)).ok());
  CHECK(next.bytes == 1);
  CHECK(counter == 10);

  // A consumer of bytes gets the request encoded.
  test::Sink plain;
  ProcessorCounter to_bytes(&plain, &counter);
  REQUIRE(to_bytes.ConsumeDecoded(d).ok());
  CHECK(d.encodes == 1);
  CHECK(plain.items() == 7);
  CHECK(counter == 17);
}
