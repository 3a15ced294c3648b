#include <grpcpp/grpcpp.h>
#include <openssl/ssl.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config/loader.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "receivers/otlp/otlp_receiver.h"
#include "test/receivers/otlp/grpc_server_choice.h"
#include "test/receivers/otlp/http_client.h"
#include "test/receivers/otlp/requests.h"
#include "test/support/process.h"
#include "test/support/sink.h"
#include "test/support/test_certs.h"

using namespace otlpd;
using receivers::otlp::Config;
using receivers::otlp::OtlpReceiver;

namespace {

struct TlsFixture {
  test::Sink traces;
  std::unique_ptr<OtlpReceiver> receiver;

  TlsFixture(bool mtls, const std::string& extra = "") {
    const test::TestCerts& c = test::SharedTestCerts();
    const std::string yaml = "protocols:\n  grpc:\n    endpoint: 127.0.0.1:0\n" + c.Tls(mtls) +
                             "  http:\n    endpoint: 127.0.0.1:0\n" + c.Tls(mtls, extra);
    auto node = config::ParseYaml(yaml, "test");
    config::MapDecoder d(node, "receivers.otlp");
    receiver = std::make_unique<OtlpReceiver>("otlp", test::WithTestGrpcServer(Config::Decode(d)), nullptr);
    receiver->SetConsumer(Signal::kTraces, &traces);
    REQUIRE(receiver->Start().ok());
  }
  ~TlsFixture() { receiver->Shutdown(Clock::now() + std::chrono::seconds(5)); }

  int HttpsPost(std::optional<test::TlsClientOptions> tls) {
    test::HttpClient client(receiver->http_port(), std::move(tls));
    return client
        .Send({"POST",
               "/v1/traces",
               {{"Content-Type", "application/x-protobuf"}},
               test::TraceRequest(2).SerializeAsString()})
        .status;
  }

  grpc::Status GrpcExport(bool client_cert) {
    const test::TestCerts& c = test::SharedTestCerts();
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = c.ca;
    if (client_cert) {
      options.pem_cert_chain = c.client_cert;
      options.pem_private_key = c.client_key;
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(receiver->grpc_port()),
                                             grpc::SslCredentials(options), args);
    auto stub = opentelemetry::proto::collector::trace::v1::TraceService::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse resp;
    return stub->Export(&ctx, test::TraceRequest(3), &resp);
  }
};

}  // namespace

TEST_CASE("TLS: HTTPS and gRPC with a server certificate") {
  TlsFixture f(false);
  const test::TestCerts& c = test::SharedTestCerts();
  CHECK(f.HttpsPost(test::TlsClientOptions{c.ca, "", "", 0}) == 200);
  grpc::Status s = f.GrpcExport(false);
  CHECK(s.ok());
  CHECK(f.traces.items() == 5);
  // A plaintext client gets nothing from a TLS port.
  test::HttpClient plain(f.receiver->http_port());
  CHECK_THROWS(plain.Send({"POST", "/v1/traces", {{"Content-Type", "application/x-protobuf"}}, "x"}));
  CHECK(f.traces.items() == 5);
}

TEST_CASE("mTLS: clients must present a certificate the client CA signed") {
  TlsFixture f(true);
  const test::TestCerts& c = test::SharedTestCerts();
  CHECK(f.HttpsPost(test::TlsClientOptions{c.ca, c.client_cert, c.client_key, 0}) == 200);
  CHECK(f.GrpcExport(true).ok());
  CHECK(f.traces.items() == 5);

  // Without a certificate: the handshake (or, with TLS 1.3, the first
  // exchange after it) fails and nothing is received.
  CHECK_THROWS(f.HttpsPost(test::TlsClientOptions{c.ca, "", "", 0}));
  grpc::Status s = f.GrpcExport(false);
  CHECK(s.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(f.traces.items() == 5);
}

TEST_CASE("TLS: min_version is enforced on HTTP") {
  TlsFixture f(false, "      min_version: \"1.3\"\n");
  const test::TestCerts& c = test::SharedTestCerts();
  CHECK_THROWS(f.HttpsPost(test::TlsClientOptions{c.ca, "", "", TLS1_2_VERSION}));
  CHECK(f.HttpsPost(test::TlsClientOptions{c.ca, "", "", 0}) == 200);
}

TEST_CASE("TLS: an unreadable certificate fails Start with its name") {
  auto node = config::ParseYaml(
      "protocols:\n  http:\n    endpoint: 127.0.0.1:0\n    tls:\n      cert_file: /nonexistent/c.pem\n"
      "      key_file: /nonexistent/k.pem\n",
      "test");
  config::MapDecoder d(node, "receivers.otlp");
  OtlpReceiver r("otlp", Config::Decode(d), nullptr);
  Status s = r.Start();
  CHECK_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Matchers::Contains("/nonexistent/c.pem"));
  r.Shutdown(Clock::now());
}

TEST_CASE("TLS: a client that stalls in the handshake is cut off, and others are served meanwhile") {
  TlsFixture f(false, "    read_header_timeout: 300ms\n");
  const test::TestCerts& c = test::SharedTestCerts();
  // Plain TCP: half a ClientHello, then nothing.
  test::HttpClient stalled(f.receiver->http_port());
  stalled.WriteRaw(std::string("\x16\x03\x01\x00\xa5\x01", 6));
  const auto start = std::chrono::steady_clock::now();
  CHECK(f.HttpsPost(test::TlsClientOptions{c.ca, "", "", 0}) == 200);
  CHECK(stalled.ServerClosed());
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= std::chrono::milliseconds(250));
  CHECK(took < std::chrono::seconds(5));
}
