// The receivers' shared ReceiveBudget, seen from clients: a request that does
// not fit beside what others hold is told to retry (429 / RESOURCE_EXHAUSTED
// with RetryInfo), one that alone needs more than the whole budget is too
// large (413 / RESOURCE_EXHAUSTED without a hint), and every byte taken is
// given back once the request is answered.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "config/loader.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "otlp/json/otlp_json.h"
#include "receivers/otlp/body_decoder.h"
#include "receivers/otlp/otlp_receiver.h"
#include "test/receivers/otlp/grpc_server_choice.h"
#include "test/receivers/otlp/http_client.h"
#include "test/receivers/otlp/requests.h"
#include "test/support/sink.h"

using namespace otlpd;
using receivers::otlp::BodyDecoder;
using receivers::otlp::Config;
using receivers::otlp::DecodeOutcome;
using receivers::otlp::Encoding;
using receivers::otlp::OtlpReceiver;
using test::HttpClient;
using test::HttpRequest;
using test::HttpResponse;

namespace {

constexpr std::uint64_t kBudget = 1 << 20;

struct BudgetFixture {
  Telemetry telemetry;
  ReceiveBudget budget{kBudget};
  test::Sink traces;
  std::unique_ptr<OtlpReceiver> receiver;

  BudgetFixture() {
    auto node = config::ParseYaml(
        "protocols:\n  http:\n    endpoint: 127.0.0.1:0\n  grpc:\n    endpoint: 127.0.0.1:0\n", "test");
    config::MapDecoder d(node, "receivers.otlp");
    receiver = std::make_unique<OtlpReceiver>("otlp", test::WithTestGrpcServer(Config::Decode(d)), &telemetry,
                                              &budget);
    receiver->SetConsumer(Signal::kTraces, &traces);
    REQUIRE(receiver->Start().ok());
  }
  ~BudgetFixture() { receiver->Shutdown(Clock::now() + std::chrono::seconds(5)); }

  HttpResponse Post(const std::string& body, const std::string& type = "application/x-protobuf",
                    const std::string& encoding = "", bool chunked = false) {
    HttpClient client(receiver->http_port());
    HttpRequest r;
    r.body = body;
    r.chunked = chunked;
    r.headers.emplace_back("Content-Type", type);
    if (!encoding.empty()) r.headers.emplace_back("Content-Encoding", encoding);
    return client.Send(r);
  }

  grpc::Status Export(const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& req) {
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(receiver->grpc_port()),
                                       grpc::InsecureChannelCredentials());
    auto stub = opentelemetry::proto::collector::trace::v1::TraceService::NewStub(channel);
    grpc::ClientContext ctx;
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse resp;
    return stub->Export(&ctx, req, &resp);
  }
};

// Other requests in flight holding the whole budget, as small ones may.
std::vector<BudgetLease> FillBudget(ReceiveBudget& budget) {
  std::vector<BudgetLease> held;
  while (true) {
    BudgetLease l(&budget);
    if (l.Grow(budget.capacity() / 16) != ReceiveBudget::Verdict::kOk) break;
    held.push_back(std::move(l));
  }
  REQUIRE(budget.used() == budget.capacity());
  return held;
}

google::rpc::Status ProtoStatus(const HttpResponse& r) {
  google::rpc::Status s;
  s.ParseFromString(r.body);
  return s;
}

bool HasRetryInfo(const grpc::Status& s) {
  google::rpc::Status details;
  if (!details.ParseFromString(s.error_details())) return false;
  google::rpc::RetryInfo info;
  return details.details_size() == 1 && details.details(0).UnpackTo(&info) &&
         info.retry_delay().seconds() >= 1;
}

}  // namespace

TEST_CASE("HTTP: a body that does not fit beside what others hold gets 429 with Retry-After") {
  BudgetFixture f;
  const std::string body = test::TraceRequest(20).SerializeAsString();
  std::vector<BudgetLease> others = FillBudget(f.budget);

  SECTION("known length: refused from its headers, before the body is read") {
    HttpResponse r = f.Post(body);
    CHECK(r.status == 429);
    CHECK(r.Header("retry-after") == "1");
    CHECK(ProtoStatus(r).code() == 8);  // RESOURCE_EXHAUSTED
    CHECK_THAT(ProtoStatus(r).message(), Catch::Matchers::Contains("retry later"));
  }
  SECTION("chunked") { CHECK(f.Post(body, "application/x-protobuf", "", true).status == 429); }
  SECTION("gzip, counted as it inflates") {
    CHECK(f.Post(test::Deflate(body, 31), "application/x-protobuf", "gzip").status == 429);
  }
  SECTION("zstd") { CHECK(f.Post(test::Zstd(body), "application/x-protobuf", "zstd").status == 429); }
  SECTION("JSON, in the request's encoding") {
    HttpResponse r = f.Post(*json::EncodeRequest(Signal::kTraces, body), "application/json");
    CHECK(r.status == 429);
    CHECK(r.Header("content-type") == "application/json");
  }
  CHECK(f.traces.payloads().empty());
  CHECK(f.budget.used() == kBudget);  // the refused requests took nothing

  // Once the others are done, the same request goes through and gives back what it took.
  others.clear();
  CHECK(f.Post(body).status == 200);
  CHECK(f.Post(test::Deflate(body, 31), "application/x-protobuf", "gzip").status == 200);
  CHECK(f.Post(*json::EncodeRequest(Signal::kTraces, body), "application/json").status == 200);
  CHECK(f.traces.payloads().size() == 3);
  CHECK(f.budget.used() == 0);
}

TEST_CASE(
    "HTTP: a gzipped body's kept copy takes from the budget, and is let go, never the request, without "
    "room") {
  BudgetFixture f;  // 1 MiB
  // 56 KiB of random letters (gzip saves a quarter): one 64 KiB block.
  std::mt19937 rng(9);
  std::string letters(56 << 10, 'a');
  for (char& c : letters) c = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[rng() % 52];
  const std::string body = test::TraceRequest(1, letters).SerializeAsString();
  const std::string gz = test::Deflate(body, 31);
  REQUIRE(gz.size() > (32 << 10));

  // With room: the gzip goes on beside the body (Payload::gzip).
  CHECK(f.Post(gz, "application/x-protobuf", "gzip").status == 200);
  // Others hold all but 96 KiB: room for the body's block, not for its copy too.
  std::vector<BudgetLease> others;
  for (std::uint64_t held = 0; held < kBudget - (96 << 10);) {
    const std::uint64_t n = std::min<std::uint64_t>(64 << 10, kBudget - (96 << 10) - held);
    BudgetLease& l = others.emplace_back(&f.budget);
    REQUIRE(l.Grow(n) == ReceiveBudget::Verdict::kOk);
    held += n;
  }
  CHECK(f.Post(gz, "application/x-protobuf", "gzip").status == 200);

  auto got = f.traces.payloads();
  REQUIRE(got.size() == 2);
  CHECK(got[0]->bytes == body);
  CHECK_FALSE(got[0]->gzip.empty());
  CHECK(got[1]->bytes == body);
  CHECK(got[1]->gzip.empty());
  others.clear();
  CHECK(f.budget.used() == 0);
}

TEST_CASE("HTTP: a body that alone needs more than the whole budget gets 413") {
  BudgetFixture f;  // 1 MiB budget, max_request_body_size still otelcol's 20 MiB
  const std::string big = test::TraceRequest(40, std::string(40000, 'x')).SerializeAsString();
  REQUIRE(big.size() > kBudget);
  for (const auto& [encoding, wire] : {std::pair<std::string, std::string>{"", big},
                                       std::pair<std::string, std::string>{"gzip", test::Deflate(big, 31)},
                                       std::pair<std::string, std::string>{"zstd", test::Zstd(big)}}) {
    INFO("encoding " << encoding);
    HttpResponse r = f.Post(wire, "application/x-protobuf", encoding);
    CHECK(r.status == 413);
    CHECK(r.Header("retry-after").empty());
    CHECK_THAT(ProtoStatus(r).message(), Catch::Matchers::Contains("--receive-memory-mib"));
  }
  CHECK(f.traces.payloads().empty());
  CHECK(f.budget.used() == 0);
  CHECK(f.Post(test::TraceRequest(2).SerializeAsString()).status == 200);
}

TEST_CASE(
    "gRPC: a message that does not fit now gets RESOURCE_EXHAUSTED with RetryInfo; one too large without") {
  BudgetFixture f;
  auto small = test::TraceRequest(5);
  {
    std::vector<BudgetLease> others = FillBudget(f.budget);
    grpc::Status s = f.Export(small);
    CHECK(s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    CHECK(HasRetryInfo(s));  // the OTLP spec makes RESOURCE_EXHAUSTED retryable only with RetryInfo
  }
  CHECK(f.Export(small).ok());

  // Within max_recv_msg_size (4 MiB) but past the three quarters of the 1 MiB
  // budget a large request may hold (gRPC C++'s server also holds its flattened copy).
  auto big = test::TraceRequest(30, std::string(30000, 'x'));
  REQUIRE(big.ByteSizeLong() > kBudget * 3 / 4);
  grpc::Status s = f.Export(big);
  CHECK(s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK_FALSE(HasRetryInfo(s));
  CHECK(f.traces.payloads().size() == 1);
  CHECK(f.budget.used() == 0);
  CHECK(f.telemetry.All().size() >= 1);
}

TEST_CASE("BodyDecoder takes every block and the decompressor's state from the budget") {
  const std::string body = test::TraceRequest(200, std::string(500, 'y')).SerializeAsString();
  REQUIRE(body.size() > 100000);
  for (Encoding e :
       {Encoding::kIdentity, Encoding::kGzip, Encoding::kZstd, Encoding::kSnappy, Encoding::kLz4}) {
    INFO("encoding " << static_cast<int>(e));
    std::string wire = e == Encoding::kIdentity ? body
                       : e == Encoding::kGzip   ? test::Deflate(body, 31)
                       : e == Encoding::kZstd   ? test::Zstd(body)
                       : e == Encoding::kSnappy ? test::SnappyBlock(body)
                                                : test::Lz4(body);
    ReceiveBudget budget(8 << 20);
    BudgetLease lease(&budget);
    auto d = BodyDecoder::Create(e, 20 << 20, &lease);
    for (std::size_t off = 0; off < wire.size(); off += 8192) {
      REQUIRE(d->Feed(std::string_view(wire).substr(off, 8192)) == DecodeOutcome::kOk);
    }
    REQUIRE(d->Finish() == DecodeOutcome::kOk);
    // Held while decoding: at least the decoded bytes, never wildly more.
    CHECK(lease.held() >= body.size());
    std::string out;
    REQUIRE(d->TakeBody(&out) == DecodeOutcome::kOk);
    CHECK(out == body);
    d.reset();
    CHECK(lease.held() >= out.size());
    CHECK(lease.held() <= out.capacity() + (2u << 20));
    lease.Reset();
    CHECK(budget.used() == 0);

    // The same body against a budget a tenth of its size: too large, not busy.
    ReceiveBudget tiny(body.size() / 10);
    BudgetLease small(&tiny);
    auto d2 = BodyDecoder::Create(e, 20 << 20, &small);
    DecodeOutcome r = DecodeOutcome::kOk;
    for (std::size_t off = 0; off < wire.size() && r == DecodeOutcome::kOk; off += 8192) {
      r = d2->Feed(std::string_view(wire).substr(off, 8192));
    }
    if (r == DecodeOutcome::kOk) r = d2->Finish();
    CHECK(r == DecodeOutcome::kTooLarge);
    CHECK(d2->budget_refused());
    CHECK(tiny.used() <= tiny.capacity());
  }
}
