#include <google/protobuf/util/message_differencer.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>

#include "config/compression/gzip_members.h"
#include "config/error.h"
#include "config/loader.h"
#include "google/rpc/status.pb.h"
#include "otlp/json/otlp_json.h"
#include "receivers/otlp/otlp_receiver.h"
#include "test/receivers/otlp/http_client.h"
#include "test/receivers/otlp/requests.h"
#include "test/support/damage.h"
#include "test/support/gzip.h"
#include "test/support/raw_socket.h"
#include "test/support/sink.h"

using namespace otlpd;
using receivers::otlp::Config;
using receivers::otlp::OtlpReceiver;
using test::HttpClient;
using test::HttpRequest;
using test::HttpResponse;

namespace {

struct HttpFixture {
  Telemetry telemetry;
  test::Sink traces, metrics;
  std::unique_ptr<OtlpReceiver> receiver;

  // `extra` holds more keys of protocols.http, indented four spaces;
  // `uses_gzip`: whether the sinks stand for exporters that send gzip.
  explicit HttpFixture(const std::string& extra = "", bool uses_gzip = true) {
    traces.SetUsesGzip(uses_gzip);
    metrics.SetUsesGzip(uses_gzip);
    auto node = config::ParseYaml("protocols:\n  http:\n    endpoint: 127.0.0.1:0\n" + extra, "test");
    config::MapDecoder d(node, "receivers.otlp");
    receiver = std::make_unique<OtlpReceiver>("otlp", Config::Decode(d), &telemetry);
    receiver->SetConsumer(Signal::kTraces, &traces);
    receiver->SetConsumer(Signal::kMetrics, &metrics);
    REQUIRE(receiver->Start().ok());
    REQUIRE(receiver->http_port() > 0);
  }
  ~HttpFixture() { receiver->Shutdown(Clock::now() + std::chrono::seconds(5)); }

  int port() const { return receiver->http_port(); }

  HttpResponse Post(const std::string& body, const std::string& content_type = "application/x-protobuf",
                    const std::string& encoding = "", const std::string& target = "/v1/traces") {
    HttpClient client(port());
    HttpRequest r;
    r.target = target;
    r.body = body;
    if (!content_type.empty()) r.headers.emplace_back("Content-Type", content_type);
    if (!encoding.empty()) r.headers.emplace_back("Content-Encoding", encoding);
    return client.Send(r);
  }

  const ComponentTelemetry* counters() const {
    for (auto* c : telemetry.All()) {
      if (c->kind == "receiver" && c->transport == "http") return c;
    }
    return nullptr;
  }
};

google::rpc::Status ProtoStatus(const HttpResponse& r) {
  google::rpc::Status s;
  REQUIRE(s.ParseFromString(r.body));
  return s;
}

std::size_t RssBytes() {
  std::ifstream in("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

// Samples the process RSS until destroyed and keeps the peak.
class RssWatch {
 public:
  RssWatch() : base_(RssBytes()), peak_(base_) {
    thread_ = std::thread([this] {
      while (!done_) {
        std::size_t now = RssBytes();
        if (now > peak_) peak_ = now;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  ~RssWatch() { Stop(); }
  void Stop() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::size_t growth() const { return peak_ - base_; }

 private:
  std::size_t base_;
  std::atomic<std::size_t> peak_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// 1 GiB of zeros as one gzip member, compressed a MiB at a time.
std::string GzipBomb() {
  z_stream z{};
  deflateInit2(&z, 1, Z_DEFLATED, 16 + 15, 9, Z_DEFAULT_STRATEGY);
  const std::string zeros(1 << 20, '\0');
  std::string out;
  char buf[1 << 16];
  for (int i = 0; i < 1024; ++i) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
    z.avail_in = static_cast<uInt>(zeros.size());
    const int flush = i == 1023 ? Z_FINISH : Z_NO_FLUSH;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      deflate(&z, flush);
      out.append(buf, sizeof buf - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  return out;
}

// 1 GiB of zeros as one zstd frame, streamed.
std::string ZstdBomb() {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1);
  const std::string zeros(1 << 20, '\0');
  std::string out;
  char buf[1 << 16];
  for (int i = 0; i < 1024; ++i) {
    ZSTD_inBuffer in{zeros.data(), zeros.size(), 0};
    const auto mode = i == 1023 ? ZSTD_e_end : ZSTD_e_continue;
    std::size_t left = 0;
    do {
      ZSTD_outBuffer o{buf, sizeof buf, 0};
      left = ZSTD_compressStream2(c, &o, &in, mode);
      out.append(buf, o.pos);
    } while (in.pos < in.size || (mode == ZSTD_e_end && left != 0));
  }
  ZSTD_freeCCtx(c);
  return out;
}

}  // namespace

TEST_CASE("HTTP receiver takes protobuf bodies and answers an empty protobuf response") {
  HttpFixture f;
  auto req = test::TraceRequest(3);
  HttpResponse r = f.Post(req.SerializeAsString());
  CHECK(r.status == 200);
  CHECK(r.Header("content-type") == "application/x-protobuf");
  CHECK(r.body.empty());
  auto got = f.traces.payloads();
  REQUIRE(got.size() == 1);
  CHECK(got[0]->items == 3);
  CHECK(got[0]->bytes == req.SerializeAsString());
  CHECK(got[0]->metadata == nullptr);
  CHECK(f.counters()->signals[0].accepted == 3);
}

TEST_CASE("HTTP receiver takes OTLP/JSON bodies and answers {}") {
  HttpFixture f;
  auto req = test::MetricsRequest(4);
  auto json = json::EncodeRequest(Signal::kMetrics, req.SerializeAsString());
  REQUIRE(json.ok());
  for (const char* type : {"application/json", "Application/JSON; charset=utf-8"}) {
    HttpResponse r = f.Post(*json, type, "", "/v1/metrics");
    CHECK(r.status == 200);
    CHECK(r.Header("content-type") == "application/json");
    CHECK(r.body == "{}");
  }
  auto got = f.metrics.payloads();
  REQUIRE(got.size() == 2);
  CHECK(got[0]->items == 4);
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest back;
  REQUIRE(back.ParseFromString(got[0]->bytes));
  CHECK(google::protobuf::util::MessageDifferencer::Equivalent(back, req));
}

TEST_CASE("HTTP receiver decompresses every Content-Encoding otelcol accepts") {
  HttpFixture f;
  auto req = test::TraceRequest(40, std::string(300, 'n'));
  const std::string body = req.SerializeAsString();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", body},
      {"identity", body},
      {"gzip", test::Deflate(body, 16 + 15)},
      {"GZIP", test::Deflate(body, 16 + 15) + test::Deflate("", 16 + 15)},  // two members
      {"zlib", test::Deflate(body, 15)},
      {"deflate", test::Deflate(body, 15)},
      {"deflate", test::Deflate(body, -15)},  // raw DEFLATE, as some clients send it
      {"zstd", test::Zstd(body)},
      {"snappy", test::SnappyBlock(body)},
      {"snappy", test::SnappyFramed(body)},  // older otelcol clients
      {"x-snappy-framed", test::SnappyFramed(body)},
      {"lz4", test::Lz4(body)},
  };
  for (const auto& [encoding, wire] : cases) {
    INFO("Content-Encoding: " << encoding);
    HttpResponse r = f.Post(wire, "application/x-protobuf", encoding);
    CHECK(r.status == 200);
  }
  auto got = f.traces.payloads();
  REQUIRE(got.size() == cases.size());
  for (const auto& p : got) CHECK(p->bytes == body);
  // A body of one gzip member goes on with it (Payload::gzip), as it came;
  // two members do not, and nor does any other encoding.
  std::string one;
  config::compression::AppendMember(one, cases[2].second);
  CHECK(got[2]->gzip == one);
  CHECK(got[3]->gzip.empty());
  CHECK(got[4]->gzip.empty());
  CHECK(got[0]->gzip.empty());
}

TEST_CASE("HTTP receiver keeps no gzip when nothing downstream sends gzip") {
  HttpFixture f("", /*uses_gzip=*/false);
  const std::string body = test::TraceRequest(40, std::string(300, 'n')).SerializeAsString();
  CHECK(f.Post(test::Deflate(body, 16 + 15), "application/x-protobuf", "gzip").status == 200);
  REQUIRE(f.traces.payloads().size() == 1);
  CHECK(f.traces.payloads()[0]->bytes == body);
  CHECK(f.traces.payloads()[0]->gzip.empty());
}

TEST_CASE("HTTP receiver keeps no gzip for an OTLP/JSON body") {
  HttpFixture f;
  const std::string json = R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"s"}]}]}]})";
  CHECK(f.Post(test::Deflate(json, 16 + 15), "application/json", "gzip").status == 200);
  REQUIRE(f.traces.payloads().size() == 1);
  CHECK(f.traces.payloads()[0]->gzip.empty());
}

TEST_CASE("HTTP receiver answers 400 for undecodable bodies, in the request's encoding") {
  HttpFixture f;
  SECTION("protobuf") {
    HttpResponse r = f.Post(std::string("\x0a\xff\xff\xff\x0f garbage", 13));
    CHECK(r.status == 400);
    CHECK(r.Header("content-type") == "application/x-protobuf");
    CHECK_THAT(ProtoStatus(r).message(), Catch::Matchers::Contains("invalid traces request"));
  }
  SECTION("JSON") {
    HttpResponse r = f.Post("{\"resourceSpans\": [", "application/json");
    CHECK(r.status == 400);
    CHECK(r.Header("content-type") == "application/json");
    CHECK_THAT(r.body, Catch::Matchers::Contains("\"message\""));
    CHECK_THAT(r.body, Catch::Matchers::Contains("invalid traces request"));
  }
  SECTION("corrupt gzip") {
    HttpResponse r = f.Post("not gzip at all", "application/x-protobuf", "gzip");
    CHECK(r.status == 400);
  }
  SECTION("truncated zstd") {
    std::string z = test::Zstd(test::TraceRequest(5).SerializeAsString());
    HttpResponse r = f.Post(z.substr(0, z.size() - 3), "application/x-protobuf", "zstd");
    CHECK(r.status == 400);
  }
  SECTION("unknown Content-Encoding is 400, as otelcol answers it") {
    HttpResponse r = f.Post("x", "application/x-protobuf", "br");
    CHECK(r.status == 400);
    CHECK_THAT(ProtoStatus(r).message(), Catch::Matchers::Contains("unsupported Content-Encoding: br"));
  }
  CHECK(f.traces.payloads().empty());
}

TEST_CASE("HTTP receiver honours compression_algorithms") {
  HttpFixture f("    compression_algorithms: [\"\", zstd]\n");
  const std::string body = test::TraceRequest(1).SerializeAsString();
  CHECK(f.Post(test::Zstd(body), "application/x-protobuf", "zstd").status == 200);
  CHECK(f.Post(body).status == 200);
  CHECK(f.Post(test::Deflate(body, 31), "application/x-protobuf", "gzip").status == 400);
}

TEST_CASE("HTTP receiver answers 404, 405 and 415 with google.rpc.Status bodies") {
  HttpFixture f;
  const std::string body = test::TraceRequest(1).SerializeAsString();
  HttpClient client(f.port());
  SECTION("unknown path") {
    HttpResponse r = client.Send({"POST", "/v1/nothing", {{"Content-Type", "application/x-protobuf"}}, body});
    CHECK(r.status == 404);
    ProtoStatus(r);
  }
  SECTION("a signal without a pipeline") {
    HttpResponse r = client.Send({"POST", "/v1/logs", {{"Content-Type", "application/json"}}, "{}"});
    CHECK(r.status == 404);
  }
  SECTION("not POST") {
    HttpResponse r = client.Send({"GET", "/v1/traces", {}, ""});
    CHECK(r.status == 405);
    CHECK(r.Header("allow") == "POST");
    CHECK(r.Header("content-type") == "application/json");
  }
  SECTION("unsupported content type") {
    HttpResponse r = client.Send({"POST", "/v1/traces", {{"Content-Type", "text/plain"}}, body});
    CHECK(r.status == 415);
  }
  // The small body of a refused request is read and dropped: the connection stays usable.
  HttpResponse ok = client.Send({"POST", "/v1/traces", {{"Content-Type", "application/x-protobuf"}}, body});
  CHECK(ok.status == 200);
  CHECK(f.traces.payloads().size() == 1);
}

TEST_CASE("HTTP receiver answers 413 past max_request_body_size") {
  HttpFixture f("    max_request_body_size: 4096\n");
  const std::string big = test::TraceRequest(100, std::string(100, 'x')).SerializeAsString();
  REQUIRE(big.size() > 4096);
  SECTION("Content-Length over the limit") {
    HttpResponse r = f.Post(big);
    CHECK(r.status == 413);
    CHECK(r.Header("connection") == "close");
  }
  SECTION("chunked body over the limit") {
    HttpClient client(f.port());
    HttpResponse r =
        client.Send({"POST", "/v1/traces", {{"Content-Type", "application/x-protobuf"}}, big, true});
    CHECK(r.status == 413);
  }
  SECTION("compressed body inflating past the limit") {
    HttpResponse r = f.Post(test::Deflate(big, 31), "application/x-protobuf", "gzip");
    CHECK(r.status == 413);
    CHECK_THAT(ProtoStatus(r).message(), Catch::Matchers::Contains("max_request_body_size"));
  }
  SECTION("snappy block announcing too much") {
    HttpResponse r = f.Post(test::SnappyBlock(big), "application/x-protobuf", "snappy");
    CHECK(r.status == 413);
  }
  CHECK(f.traces.payloads().empty());
  CHECK(f.Post(test::TraceRequest(1).SerializeAsString()).status == 200);
}

TEST_CASE("HTTP receiver cuts 1 GiB gzip and zstd bombs off at the limit with bounded memory") {
  HttpFixture f;  // default limit: 20 MiB
  for (const auto& [encoding, bomb] : {std::pair<std::string, std::string>{"gzip", GzipBomb()},
                                       std::pair<std::string, std::string>{"zstd", ZstdBomb()}}) {
    INFO(encoding << " bomb of " << bomb.size() << " bytes");
    RssWatch rss;
    HttpResponse r = f.Post(bomb, "application/x-protobuf", encoding);
    rss.Stop();
    CHECK(r.status == 413);
    CHECK(rss.growth() < (64u << 20));
  }
  CHECK(f.traces.payloads().empty());
}

TEST_CASE("HTTP receiver maps pipeline refusals to 503/429 with Retry-After, 400 and 500") {
  HttpFixture f;
  const std::string body = test::TraceRequest(4).SerializeAsString();
  SECTION("back-pressure: 503, Retry-After rounded up") {
    f.traces.SetRefuse([] { return Status::Unavailable("queue full", std::chrono::milliseconds(1500)); });
    HttpResponse r = f.Post(body);
    CHECK(r.status == 503);
    CHECK(r.Header("retry-after") == "2");
    CHECK(ProtoStatus(r).message() == "queue full");
    CHECK(f.counters()->signals[0].refused == 4);
  }
  SECTION("back-pressure without a hint: Retry-After 1") {
    f.traces.SetRefuse([] { return Status::Unavailable("later"); });
    HttpResponse r = f.Post(body, "application/json; charset=utf-8");
    CHECK(r.status == 400);  // the body is protobuf, not JSON
    r = f.Post(*json::EncodeRequest(Signal::kTraces, body), "application/json");
    CHECK(r.status == 503);
    CHECK(r.Header("retry-after") == "1");
    CHECK(r.Header("content-type") == "application/json");
  }
  SECTION("resource exhausted: 429") {
    f.traces.SetRefuse([] { return Status::ResourceExhausted("too many"); });
    HttpResponse r = f.Post(body);
    CHECK(r.status == 429);
    CHECK(r.Header("retry-after") == "1");
  }
  SECTION("invalid: 400") {
    f.traces.SetRefuse([] { return Status::InvalidArgument("no"); });
    CHECK(f.Post(body).status == 400);
  }
  SECTION("our failure: 500") {
    f.traces.SetRefuse([] { return Status::Internal("broken"); });
    CHECK(f.Post(body).status == 500);
  }
}

TEST_CASE("HTTP receiver keeps connections alive, unless told not to") {
  const std::string body = test::TraceRequest(1).SerializeAsString();
  const HttpRequest req{"POST", "/v1/traces", {{"Content-Type", "application/x-protobuf"}}, body};
  SECTION("two requests on one connection") {
    HttpFixture f;
    HttpClient client(f.port());
    HttpResponse a = client.Send(req);
    HttpResponse b = client.Send(req);
    CHECK(a.status == 200);
    CHECK(b.status == 200);
    CHECK(a.Header("connection") != "close");
    CHECK(f.traces.payloads().size() == 2);
  }
  SECTION("keepalive: {enabled: false}") {
    HttpFixture f("    keepalive: {enabled: false}\n");
    HttpClient client(f.port());
    HttpResponse a = client.Send(req);
    CHECK(a.status == 200);
    CHECK(a.Header("connection") == "close");
    CHECK(client.ServerClosed());
  }
}

TEST_CASE("HTTP receiver handles Expect: 100-continue") {
  HttpFixture f;
  const std::string body = test::TraceRequest(2).SerializeAsString();
  HttpClient client(f.port());
  client.WriteRaw(
      "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nExpect: "
      "100-continue\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n");
  HttpResponse interim = client.ReadResponse();
  CHECK(interim.status == 100);
  client.WriteRaw(body);
  CHECK(client.ReadResponse().status == 200);
  CHECK(f.traces.items() == 2);
}

TEST_CASE("HTTP receiver CORS preflight and actual requests") {
  HttpFixture f(
      "    cors:\n      allowed_origins: [\"https://*.example.com\", \"http://app.local\"]\n"
      "      allowed_headers: [X-Custom]\n      max_age: 600\n");
  HttpClient client(f.port());
  auto preflight = [&](const std::string& origin, const std::string& headers) {
    HttpRequest r{
        "OPTIONS", "/v1/traces", {{"Origin", origin}, {"Access-Control-Request-Method", "POST"}}, ""};
    if (!headers.empty()) r.headers.emplace_back("Access-Control-Request-Headers", headers);
    return client.Send(r);
  };
  SECTION("allowed") {
    HttpResponse r = preflight("https://www.example.com", "content-type, x-custom");
    CHECK(r.status == 204);
    CHECK(r.Header("access-control-allow-origin") == "https://www.example.com");
    CHECK(r.Header("access-control-allow-methods") == "POST");
    CHECK(r.Header("access-control-allow-headers") == "content-type, x-custom");
    CHECK(r.Header("access-control-allow-credentials") == "true");
    CHECK(r.Header("access-control-max-age") == "600");
    CHECK_THAT(r.Header("vary"), Catch::Matchers::Contains("Origin"));
  }
  SECTION("denied origin") {
    HttpResponse r = preflight("https://evil.com", "");
    CHECK(r.status == 204);
    CHECK_FALSE(r.Has("access-control-allow-origin"));
  }
  SECTION("wildcard needs something in its place") {
    CHECK_FALSE(preflight("https://.example.com.evil", "").Has("access-control-allow-origin"));
  }
  SECTION("denied header") {
    HttpResponse r = preflight("http://app.local", "x-other");
    CHECK_FALSE(r.Has("access-control-allow-origin"));
  }
  SECTION("actual request") {
    HttpResponse r =
        client.Send({"POST",
                     "/v1/traces",
                     {{"Origin", "http://app.local"}, {"Content-Type", "application/x-protobuf"}},
                     test::TraceRequest(1).SerializeAsString()});
    CHECK(r.status == 200);
    CHECK(r.Header("access-control-allow-origin") == "http://app.local");
    CHECK(r.Header("access-control-allow-credentials") == "true");
  }
}

TEST_CASE("HTTP receiver without cors answers OPTIONS 405") {
  HttpFixture f;
  HttpClient client(f.port());
  HttpResponse r = client.Send(
      {"OPTIONS", "/v1/traces", {{"Origin", "http://a"}, {"Access-Control-Request-Method", "POST"}}, ""});
  CHECK(r.status == 405);
  CHECK_FALSE(r.Has("access-control-allow-origin"));
}

TEST_CASE("HTTP receiver passes headers on as metadata with include_metadata") {
  HttpFixture f("    include_metadata: true\n    response_headers:\n      X-Served-By: otlpd\n");
  HttpClient client(f.port());
  HttpResponse r = client.Send({"POST",
                                "/v1/traces",
                                {{"Content-Type", "application/x-protobuf"}, {"X-Tenant", "acme"}},
                                test::TraceRequest(1).SerializeAsString()});
  CHECK(r.status == 200);
  CHECK(r.Header("x-served-by") == "otlpd");
  auto md = f.traces.payloads().at(0)->metadata;
  REQUIRE(md != nullptr);
  bool tenant = false, type = false;
  for (const auto& [k, v] : *md) {
    tenant |= k == "x-tenant" && v == "acme";
    type |= k == "content-type" && v == "application/x-protobuf";
  }
  CHECK(tenant);
  CHECK(type);
}

TEST_CASE("HTTP receiver serves configured url paths") {
  HttpFixture f("    traces_url_path: my/traces\n");
  const std::string body = test::TraceRequest(1).SerializeAsString();
  CHECK(f.Post(body, "application/x-protobuf", "", "/my/traces").status == 200);
  CHECK(f.Post(body, "application/x-protobuf", "", "/v1/traces").status == 404);
  CHECK(f.Post(body, "application/x-protobuf", "", "/my/traces?x=1").status == 200);
}

TEST_CASE("HTTP receiver: malformed and stalled clients never disturb a good one") {
  HttpFixture f;
  const std::string body = test::TraceRequest(2).SerializeAsString();
  // A client that sends half a request and stalls.
  HttpClient stalled(f.port());
  stalled.WriteRaw(
      "POST /v1/traces HTTP/1.1\r\nContent-Length: 100\r\nContent-Type: application/x-protobuf\r\n\r\nabc");
  // A client that does not speak HTTP at all.
  HttpClient garbage(f.port());
  garbage.WriteRaw(std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03 not http\r\n\r\n", 25));
  CHECK(garbage.ReadResponse().status == 400);
  // Many good requests meanwhile, from two threads.
  std::atomic<int> ok{0};
  auto good = [&] {
    HttpClient c(f.port());
    for (int i = 0; i < 50; ++i) {
      ok += c.Send({"POST", "/v1/traces", {{"Content-Type", "application/x-protobuf"}}, body}).status == 200;
    }
  };
  std::thread t1(good), t2(good);
  t1.join();
  t2.join();
  CHECK(ok == 100);
  CHECK(f.traces.items() == 200);
}

TEST_CASE("HTTP receiver survives damaged HTTP/1.1 byte streams and goes on serving") {
  HttpFixture f;
  // Three keep-alive requests as a client writes them: protobuf with a
  // Content-Length, the same gzip-encoded, and one sent in chunks.
  const std::string plain = test::TraceRequest(3).SerializeAsString();
  const std::string gz = test::ZlibGzip(test::TraceRequest(2).SerializeAsString());
  const std::string chunked = test::TraceRequest(4).SerializeAsString();
  const std::size_t half = chunked.size() / 2;
  auto hex = [](std::size_t n) {
    char b[20];
    std::snprintf(b, sizeof b, "%zx", n);
    return std::string(b);
  };
  const std::string valid =
      "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: " +
      std::to_string(plain.size()) + "\r\n\r\n" + plain +
      "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Encoding: "
      "gzip\r\nContent-Length: " +
      std::to_string(gz.size()) + "\r\n\r\n" + gz +
      "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nTransfer-Encoding: "
      "chunked\r\n\r\n" +
      hex(half) + "\r\n" + chunked.substr(0, half) + "\r\n" + hex(chunked.size() - half) + "\r\n" +
      chunked.substr(half) + "\r\n0\r\n\r\n";
  // Undamaged: three answers 200 and 9 spans.
  std::string answer;
  REQUIRE(test::SendAndClose(f.port(), valid, &answer));
  std::size_t oks = 0;
  for (std::size_t at = 0; (at = answer.find("HTTP/1.1 200", at)) != std::string::npos; ++at) ++oks;
  CHECK(oks == 3);
  REQUIRE(f.traces.items() == 9);
  // OTLPD_TEST_SEED: other damage, for longer runs by hand.
  const char* seed = std::getenv("OTLPD_TEST_SEED");
  std::mt19937 rng(seed != nullptr ? static_cast<unsigned>(std::strtoul(seed, nullptr, 10)) : 20261206u);
  for (int i = 0; i < 500; ++i) {
    // Most cases keep the request line's start, so the damage reaches the header and body parsers.
    const std::string bytes = test::Damage(valid, i % 10 == 0 ? 0 : 10, rng);
    CAPTURE(i, bytes.size());
    REQUIRE(test::SendAndClose(f.port(), bytes));
  }
  // Still serving; what was handed on is whole, valid requests only.
  const std::uint64_t before = f.traces.items();
  CHECK(f.Post(test::TraceRequest(2).SerializeAsString()).status == 200);
  CHECK(f.traces.items() == before + 2);
  for (const PayloadPtr& p : f.traces.payloads()) {
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest req;
    REQUIRE(req.ParseFromString(p->bytes));
    CHECK(test::SpanCount(req) == p->items);
  }
}

TEST_CASE("HTTP receiver shuts down with idle keep-alive connections open") {
  auto f = std::make_unique<HttpFixture>();
  HttpClient client(f->port());
  CHECK(client
            .Send({"POST",
                   "/v1/traces",
                   {{"Content-Type", "application/x-protobuf"}},
                   test::TraceRequest(1).SerializeAsString()})
            .status == 200);
  auto start = std::chrono::steady_clock::now();
  f.reset();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  CHECK(client.ServerClosed());
}

TEST_CASE("otlp receiver http config") {
  auto decode = [](const std::string& yaml) -> std::string {
    auto node = config::ParseYaml(yaml, "r.yaml");
    try {
      config::MapDecoder d(node, "receivers.otlp");
      Config c = Config::Decode(d);
      if (c.http)
        return "ok " + c.http->traces_url_path + " " + std::to_string(c.http->max_request_body_size);
      return "ok";
    } catch (const config::Error& e) {
      return e.what();
    }
  };
  CHECK(decode("protocols:\n  http:\n") == "ok /v1/traces 20971520");
  CHECK(decode("protocols:\n  http:\n    traces_url_path: t\n    max_request_body_size: 0\n") ==
        "ok /t 20971520");
  // *_url_path goes through Go's url.Parse, as otelcol's SanitizedURLPath.
  auto path = [&](const std::string& key, const std::string& value) {
    return decode("protocols:\n  http:\n    " + key + ": \"" + value + "\"\n");
  };
  CHECK(path("traces_url_path", "/v1/traces?x=1#f") == "ok /v1/traces 20971520");
  CHECK(path("traces_url_path", "/a%20b") == "ok /a b 20971520");
  CHECK(path("traces_url_path", "http://host/p") == "ok /p 20971520");
  CHECK(path("traces_url_path", "mailto:x") == "ok / 20971520");
  for (const char* key : {"traces_url_path", "metrics_url_path", "logs_url_path"}) {
    CHECK(path(key, ":invalid") == std::string("r.yaml:3:") + std::to_string(std::strlen(key) + 7) +
                                       ": receivers.otlp.protocols.http." + key +
                                       ": invalid HTTP URL path set for signal: parse \":invalid\": missing "
                                       "protocol scheme (as otelcol)");
  }
  CHECK_THAT(path("traces_url_path", "/v1/%zz"), Catch::Matchers::Contains("invalid URL escape \"%zz\""));
  CHECK_THAT(path("traces_url_path", "a_b:c/d"),
             Catch::Matchers::Contains("first path segment in URL cannot contain colon"));
  CHECK_THAT(path("traces_url_path", "/a\\tb"), Catch::Matchers::Contains("invalid control character"));
  CHECK_THAT(decode("protocols:\n  http:\n    auth:\n      authenticator: basicauth\n"),
             Catch::Matchers::Contains("not supported yet"));
  CHECK_THAT(decode("protocols:\n  http:\n    compression_algorithms: [br]\n"),
             Catch::Matchers::Contains("receivers.otlp.protocols.http.compression_algorithms"));
  CHECK_THAT(decode("protocols:\n  http:\n    endpont: x\n"), Catch::Matchers::Contains("endpont"));
  CHECK_THAT(decode("protocols:\n  http:\n    tls:\n      cert_file: a.pem\n"),
             Catch::Matchers::Contains("key_file"));
  CHECK_THAT(decode("protocols:\n  http:\n    tls:\n      cert_file: a\n      key_file: b\n      "
                    "min_version: \"1.4\"\n"),
             Catch::Matchers::Contains("min_version"));
  CHECK_THAT(decode("protocols:\n  grpc:\n    tls:\n      cert_file: a\n      key_file: b\n      "
                    "min_version: \"1.3\"\n"),
             Catch::Matchers::Contains("gRPC"));
  CHECK(decode("protocols:\n  http:\n    tls:\n      cert_file: a\n      key_file: b\n      min_version: "
               "\"1.3\"\n") == "ok /v1/traces 20971520");
  CHECK_THAT(decode("protocols:\n  http:\n    cors:\n      allowed_origins: [\"https://*.*.x\"]\n"),
             Catch::Matchers::Contains("one wildcard"));
}

TEST_CASE("HTTP receiver reports a busy port") {
  HttpFixture f;
  auto node = config::ParseYaml(
      "protocols:\n  http:\n    endpoint: 127.0.0.1:" + std::to_string(f.port()) + "\n", "test");
  config::MapDecoder d(node, "receivers.otlp");
  OtlpReceiver second("otlp/2", Config::Decode(d), nullptr);
  Status s = second.Start();
  CHECK_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Matchers::Contains("cannot listen"));
  second.Shutdown(Clock::now());
}

TEST_CASE("HTTP receiver closes connections that stall past read_header_timeout and idle_timeout") {
  HttpFixture f("    read_header_timeout: 200ms\n    keepalive: {idle_timeout: 200ms}\n");
  HttpClient stalled(f.port());
  stalled.WriteRaw("POST /v1/traces HTTP/1.1\r\nHost: x\r\n");
  auto start = std::chrono::steady_clock::now();
  CHECK(stalled.ServerClosed());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));

  HttpClient idle(f.port());
  CHECK(idle.Send({"POST",
                   "/v1/traces",
                   {{"Content-Type", "application/x-protobuf"}},
                   test::TraceRequest(1).SerializeAsString()})
            .status == 200);
  start = std::chrono::steady_clock::now();
  CHECK(idle.ServerClosed());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("HTTP receiver limits default to safe values and bad ones are located errors") {
  auto decode = [](const std::string& yaml) {
    auto node = config::ParseYaml("protocols:\n  http:\n" + yaml, "r.yaml");
    config::MapDecoder d(node, "receivers.otlp");
    return *Config::Decode(d).http;
  };
  const auto c = decode("");
  CHECK(c.read_header_timeout == std::chrono::seconds(10));
  CHECK(c.read_timeout == std::chrono::seconds(60));
  CHECK(c.write_timeout == std::chrono::seconds(30));
  CHECK(c.idle_timeout == std::chrono::seconds(60));
  CHECK(c.max_request_header_size == 65536);
  CHECK(c.max_request_header_count == 100);
  CHECK(c.max_connections == 0);
  const auto o =
      decode("    read_header_timeout: 0\n    max_connections: 5\n    max_request_header_count: 7\n");
  CHECK(o.read_header_timeout.count() == 0);
  CHECK(o.max_connections == 5);
  CHECK(o.max_request_header_count == 7);
  auto error = [&](const std::string& yaml) -> std::string {
    try {
      decode(yaml);
      return "ok";
    } catch (const config::Error& e) {
      return e.what();
    }
  };
  CHECK_THAT(error("    max_connections: -1\n"),
             Catch::Matchers::Contains("r.yaml:3:22") &&
                 Catch::Matchers::Contains("receivers.otlp.protocols.http.max_connections"));
  CHECK_THAT(error("    max_request_header_size: 10\n"),
             Catch::Matchers::Contains("protocols.http.max_request_header_size: must be between 1024"));
  CHECK_THAT(error("    max_request_header_count: 0\n"),
             Catch::Matchers::Contains("protocols.http.max_request_header_count"));
  CHECK_THAT(error("    keepalive: {idle_timeout: -1s}\n"),
             Catch::Matchers::Contains("protocols.http.keepalive.idle_timeout"));
  // confighttp v1.71 (otelcol v0.165) moved these into keepalive and refuses them.
  CHECK_THAT(error("    idle_timeout: 5s\n"), Catch::Matchers::Contains("protocols.http.idle_timeout: use "
                                                                        "keepalive.idle_timeout"));
  CHECK_THAT(error("    keep_alives_enabled: false\n"),
             Catch::Matchers::Contains("protocols.http.keep_alives_enabled: use keepalive.enabled"));
  CHECK(error("    dialer: {timeout: 1s}\n") == "ok");
}

TEST_CASE("HTTP receiver answers 431 past max_request_header_count and max_request_header_size") {
  HttpFixture f("    max_request_header_count: 20\n    max_request_header_size: 4096\n");
  const std::string body = test::TraceRequest(1).SerializeAsString();
  auto with_fields = [&](int n, std::size_t value_size) {
    HttpRequest r{"POST", "/v1/traces", {{"Content-Type", "application/x-protobuf"}}, body};
    for (int i = 0; i < n; ++i)
      r.headers.emplace_back("x-" + std::to_string(i), std::string(value_size, 'v'));
    HttpClient client(f.port());
    return client.Send(r).status;
  };
  CHECK(with_fields(10, 10) == 200);
  CHECK(with_fields(30, 1) == 431);    // count (Host and Content-Type count too)
  CHECK(with_fields(2, 3000) == 431);  // bytes
  CHECK(with_fields(10, 10) == 200);
  CHECK(f.traces.items() == 2);
}

TEST_CASE("HTTP receiver cuts a body that trickles past read_timeout") {
  HttpFixture f("    read_timeout: 300ms\n");
  HttpClient slow(f.port());
  slow.WriteRaw(
      "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: "
      "100\r\n\r\n");
  const auto start = std::chrono::steady_clock::now();
  slow.WriteRaw("a");
  CHECK(slow.ServerClosed());
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= std::chrono::milliseconds(250));
  CHECK(took < std::chrono::seconds(5));
}

TEST_CASE("HTTP receiver at max_connections closes the oldest idle connection for a new one") {
  HttpFixture f("    max_connections: 3\n");
  const std::string body = test::TraceRequest(1).SerializeAsString();
  const HttpRequest req{"POST", "/v1/traces", {{"Content-Type", "application/x-protobuf"}}, body};
  // Three idle connections, the first one oldest (each served once, so it is
  // surely accepted before the next one connects).
  std::vector<std::unique_ptr<HttpClient>> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(std::make_unique<HttpClient>(f.port()));
    CHECK(idle.back()->Send(req).status == 200);
  }
  HttpClient fresh(f.port());
  CHECK(fresh.Send(req).status == 200);
  CHECK(idle[0]->ServerClosed());
  CHECK(idle[1]->Send(req).status == 200);
}

TEST_CASE("HTTP receiver at max_connections stays live while clients come and go and idle ones pile up") {
  // The acceptor picks whom to evict while the server's threads end other
  // connections: a session it looked at and let go of must not end under its
  // lock (it did once, and the receiver deadlocked).
  HttpFixture f("    max_connections: 4\n");
  const std::string req =
      "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: "
      "0\r\n\r\n";
  constexpr int kWaitMs = 3000;
  std::atomic<int> ok{0}, refused{0}, closed{0}, stalled{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      for (int i = 0; i < 250 && stalled == 0; ++i) {
        std::string answer;
        const auto start = std::chrono::steady_clock::now();
        test::SendAndClose(f.port(), req, &answer, kWaitMs);
        if (answer.rfind("HTTP/1.1 200", 0) == 0) {
          ++ok;
        } else if (answer.rfind("HTTP/1.1 503", 0) == 0) {
          ++refused;
        } else if (std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(kWaitMs)) {
          ++stalled;  // no byte and no close: the server stopped serving
        } else {
          ++closed;  // evicted before its bytes came, or a refusal's reset
        }
      }
    });
  }
  std::vector<int> idle;
  for (int i = 0; i < 200; ++i) idle.push_back(test::ConnectLoopback(f.port()));
  for (auto& c : clients) c.join();
  for (int fd : idle) ::close(fd);
  INFO("served " << ok << ", refused " << refused << ", closed " << closed << ", stalled " << stalled);
  CHECK(stalled == 0);
  CHECK(ok > 500);
  std::string answer;
  test::SendAndClose(f.port(), req, &answer, kWaitMs);
  CHECK(answer.rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("HTTP receiver at max_connections with none idle refuses with 503") {
  // A short read_header_timeout: a third connection that slips in while the
  // server has read a busy one's header bytes but not yet parsed them (the
  // cap is then passed by one, by design) is closed soon, and the loop tries again.
  HttpFixture f("    max_connections: 2\n    read_header_timeout: 300ms\n");
  // Two connections busy reading a body that does not come.
  std::vector<std::unique_ptr<HttpClient>> busy;
  for (int i = 0; i < 2; ++i) {
    busy.push_back(std::make_unique<HttpClient>(f.port()));
    busy.back()->WriteRaw(
        "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: "
        "100\r\n\r\n");
  }
  // Busy once the server read their headers: poll until a third one is refused.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int status = 0;
  while (status != 503 && std::chrono::steady_clock::now() < deadline) {
    HttpClient third(f.port());
    try {
      status = third.ReadResponse().status;
    } catch (const std::exception&) {
      status = 0;
    }
  }
  CHECK(status == 503);
  // A busy one is still served once its body comes.
  busy[0]->WriteRaw(std::string(100, 'x'));
  CHECK(busy[0]->ReadResponse().status == 200);  // 100 x: unknown varint fields
}
