// libFuzzer target for what the OTLP/HTTP receiver does with a request body:
// Content-Encoding decoding in arbitrary pieces (BodyDecoder), then
// ExportBody (OTLP/JSON decoding, wire validation, hand-off). Not wired into
// CMake; build by hand (the proto library comes from a normal build):
//
//   clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -I. -isystem build/otlp/proto \
//     test/fuzz/http_request_fuzz.cpp receivers/otlp/{body_decoder,http_handler}.cpp internal/crc32c.cpp \
//     otlp/json/otlp_json_{schema,encode,decode}.cpp
//     otlp/wire/{otlp_levels,utf8,wire_split,wire_walker}.cpp \ build/otlp/proto/libotlpd_proto.a
//     -lprotobuf -lsimdjson -lz -lzstd -lsnappy -llz4 -ldeflate -o http_request_fuzz
//   ./http_request_fuzz -max_total_time=60 -rss_limit_mb=512
//
// The first input byte picks the signal, the body format and the encoding,
// the second how the body is cut into pieces; the rest is the body. Properties:
//  - nothing crashes, hangs or allocates past the limit;
//  - a body is either decoded within the limit, or refused as too large or corrupt;
//  - ExportBody answers 200 (and hands on exactly one payload) or 400: a
//    client's bytes never make a 5xx.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "receivers/otlp/body_decoder.h"
#include "receivers/otlp/http_handler.h"

namespace {

using namespace otlpd;
using namespace otlpd::receivers::otlp;

constexpr std::size_t kLimit = 1 << 16;  // small: inputs that inflate to the limit stay fast

class CountingConsumer : public Consumer {
 public:
  Status Consume(const PayloadPtr& p) override {
    if (p == nullptr || p->bytes.size() > kLimit * 8) std::abort();
    ++calls;
    return Status::Ok();
  }
  int calls = 0;
};

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "%s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static constexpr Encoding kEncodings[] = {Encoding::kIdentity,     Encoding::kGzip, Encoding::kZlib,
                                            Encoding::kDeflate,      Encoding::kZstd, Encoding::kSnappy,
                                            Encoding::kSnappyFramed, Encoding::kLz4};
  const Signal signal = kAllSignals[data[0] % 3];
  const BodyFormat format = (data[0] >> 2) & 1 ? BodyFormat::kJson : BodyFormat::kProtobuf;
  const Encoding encoding = kEncodings[(data[0] >> 3) % 8];
  const std::size_t step = 1 + data[1] * 37u;
  const std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);

  auto decoder = BodyDecoder::Create(encoding, kLimit);
  DecodeOutcome r = DecodeOutcome::kOk;
  for (std::size_t off = 0; off < body.size() && r == DecodeOutcome::kOk; off += step) {
    r = decoder->Feed(body.substr(off, step));
    if (decoder->size() > kLimit) Die("decoded past the limit");
  }
  if (r == DecodeOutcome::kOk) r = decoder->Finish();
  if (decoder->size() > kLimit) Die("decoded past the limit");
  if (r != DecodeOutcome::kOk) {
    if (decoder->error().empty()) Die("refusal without a reason");
    if (BodyDecoder::Create(encoding, kLimit)->DecodeWhole(body) == DecodeOutcome::kOk) {
      Die("DecodeWhole accepted a body the stream refused");
    }
    return 0;
  }
  std::string decoded;
  if (decoder->TakeBody(&decoded) != DecodeOutcome::kOk) Die("no budget, yet refused by it");
  if (encoding == Encoding::kIdentity && decoded != body) Die("identity changed the body");
  // The whole-body path (gRPC messages; libdeflate for gzip) agrees with the stream.
  {
    auto whole = BodyDecoder::Create(encoding, kLimit);
    std::string again;
    if (whole->DecodeWhole(body) != DecodeOutcome::kOk || whole->TakeBody(&again) != DecodeOutcome::kOk ||
        again != decoded) {
      Die("DecodeWhole disagrees with Feed and Finish");
    }
  }

  CountingConsumer next;
  SignalCounters counters;
  HttpAnswer a = ExportBody(signal, format, std::move(decoded), nullptr, "", next, counters);
  if (a.status == 200) {
    if (next.calls != 1) Die("accepted without a hand-off");
  } else if (a.status == 400) {
    if (next.calls != 0 || a.body.empty()) Die("refused but handed on, or no Status body");
  } else {
    Die("a client's body made a status other than 200 or 400");
  }
  return 0;
}
