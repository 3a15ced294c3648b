#include "test/exporters/otlp/test_server.h"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include <deque>
#include <mutex>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace otlpd::test {
namespace {

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

grpc::Status ToStatus(const TestServer::Reply& r) {
  auto code = static_cast<grpc::StatusCode>(r.code);
  if (!r.retry_delay) return grpc::Status(code, r.message);
  google::rpc::RetryInfo info;
  info.mutable_retry_delay()->set_seconds(r.retry_delay->count() / 1000);
  info.mutable_retry_delay()->set_nanos(static_cast<int>((r.retry_delay->count() % 1000) * 1000000));
  google::rpc::Status details;
  details.set_code(r.code);
  details.set_message(r.message);
  details.add_details()->PackFrom(info);
  return grpc::Status(code, r.message, details.SerializeAsString());
}

// The three Export responses share one layout, so the trace one serves all.
std::string ResponseBytes(const TestServer::Reply& r) {
  if (!r.partial_success) return "";
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse resp;
  resp.mutable_partial_success()->set_rejected_spans(r.partial_success->first);
  resp.mutable_partial_success()->set_error_message(r.partial_success->second);
  return resp.SerializeAsString();
}

class Reactor;

}  // namespace

struct TestServer::State {
  std::mutex mu;
  std::deque<Reply> script;
  std::vector<Request> requests;
  bool hold = false;
  std::vector<std::pair<Reactor*, Reply>> parked;
  std::unique_ptr<grpc::CallbackGenericService> service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

namespace {

class Reactor : public grpc::ServerGenericBidiReactor {
 public:
  Reactor(TestServer::State* state, grpc::GenericCallbackServerContext* ctx) : state_(state), ctx_(ctx) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request"));
      return;
    }
    TestServer::Request req;
    req.method = ctx_->method();
    req.bytes = Flatten(request_);
    for (const auto& [k, v] : ctx_->client_metadata()) {
      req.metadata.emplace_back(std::string(k.data(), k.size()), std::string(v.data(), v.size()));
    }
    TestServer::Reply reply;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->requests.push_back(std::move(req));
      if (!state_->script.empty()) {
        reply = std::move(state_->script.front());
        state_->script.pop_front();
      }
      if (state_->hold) {
        state_->parked.emplace_back(this, std::move(reply));
        return;
      }
    }
    Answer(reply);
  }

  void Answer(const TestServer::Reply& reply) {
    if (reply.code != 0 || reply.no_message) {
      Finish(ToStatus(reply));
      return;
    }
    response_bytes_ = ResponseBytes(reply);
    grpc::Slice slice(response_bytes_);
    response_ = grpc::ByteBuffer(&slice, 1);
    StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
  }

  void OnDone() override { delete this; }

 private:
  TestServer::State* state_;
  grpc::GenericCallbackServerContext* ctx_;
  grpc::ByteBuffer request_, response_;
  std::string response_bytes_;
};

class Service : public grpc::CallbackGenericService {
 public:
  explicit Service(TestServer::State* state) : state_(state) {}
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    return new Reactor(state_, ctx);
  }

 private:
  TestServer::State* state_;
};

}  // namespace

TestServer::TestServer(Options options) : state_(std::make_shared<State>()) {
  state_->service = std::make_unique<Service>(state_.get());
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  if (!options.cert_pem.empty()) {
    grpc::SslServerCredentialsOptions o(options.client_ca_pem.empty()
                                            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    o.pem_root_certs = options.client_ca_pem;
    o.pem_key_cert_pairs.push_back({options.key_pem, options.cert_pem});
    creds = grpc::SslServerCredentials(o);
  }
  builder.AddListeningPort("127.0.0.1:" + std::to_string(options.port), creds, &state_->port);
  builder.RegisterCallbackGenericService(state_->service.get());
  if (!options.accept_gzip) {
    // Only "identity": a gzip-compressed request is refused, which tells the
    // tests whether the exporter compressed.
    builder.AddChannelArgument(GRPC_COMPRESSION_CHANNEL_ENABLED_ALGORITHMS_BITSET, 1);
  }
  if (options.gzip_answers) builder.SetDefaultCompressionAlgorithm(GRPC_COMPRESS_GZIP);
  state_->server = builder.BuildAndStart();
  if (!state_->server) state_->port = 0;
}

TestServer::~TestServer() { Stop(); }

int TestServer::port() const { return state_->port; }
bool TestServer::running() const { return state_->server != nullptr; }

void TestServer::Script(std::vector<Reply> replies) {
  std::lock_guard<std::mutex> lock(state_->mu);
  for (auto& r : replies) state_->script.push_back(std::move(r));
}

void TestServer::Hold() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->hold = true;
}

void TestServer::Release() {
  std::vector<std::pair<Reactor*, Reply>> parked;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->hold = false;
    parked.swap(state_->parked);
  }
  for (auto& [reactor, reply] : parked) reactor->Answer(reply);
}

std::vector<TestServer::Request> TestServer::requests() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->requests;
}

std::size_t TestServer::calls() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->requests.size();
}

void TestServer::Stop() {
  if (!state_->server) return;
  Release();
  state_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  state_->server->Wait();
  state_->server.reset();
}

}  // namespace otlpd::test
