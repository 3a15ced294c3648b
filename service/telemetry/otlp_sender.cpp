#include "service/telemetry/otlp_sender.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <libdeflate.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <mutex>
#include <tuple>

#include "config/tls_config.h"

namespace otlpd::selftelemetry {
namespace {

const char* ExportMethod(Signal s) {
  switch (s) {
    case Signal::kTraces: return "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    case Signal::kMetrics: return "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    case Signal::kLogs: return "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    case Signal::kProfiles: break;  // otlpd's own telemetry has no profiles
  }
  return "";
}

}  // namespace

struct OtlpSender::Grpc {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> stub;
};

OtlpSender::OtlpSender(const OtlpPushTarget& target, Signal signal) : target_(target), signal_(signal) {
  if (target_.protocol != "grpc") return;
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (target_.tls) {
    // A file that cannot be read fails every send, naming it (it used to read
    // as empty: the system roots were trusted instead, silently).
    grpc::SslCredentialsOptions o;
    for (auto [file, out, name] :
         {std::tuple{&target_.certificate, &o.pem_root_certs, "certificate"},
          std::tuple{&target_.client_certificate, &o.pem_cert_chain, "client_certificate"},
          std::tuple{&target_.client_key, &o.pem_private_key, "client_key"}}) {
      auto pem = config::LoadPem("", *file, target_.path_in_config + " " + name);
      if (!pem.ok()) {
        setup_error_ = pem.status();
        return;
      }
      *out = std::move(*pem);
    }
    creds = grpc::SslCredentials(o);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  grpc_ = std::make_unique<Grpc>();
  grpc_->channel = grpc::CreateChannel(target_.host_port, creds);
  grpc_->stub = std::make_unique<grpc::GenericStub>(grpc_->channel);
}

OtlpSender::~OtlpSender() = default;

Status OtlpSender::Send(const std::string& request, std::chrono::milliseconds timeout) {
  if (!setup_error_.ok()) return setup_error_;
  return grpc_ ? SendGrpc(request, timeout) : SendHttp(request, timeout);
}

Status OtlpSender::SendGrpc(const std::string& request, std::chrono::milliseconds timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  for (const auto& [k, v] : target_.headers) ctx.AddMetadata(k, v);
  if (target_.gzip) ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
  grpc::Slice slice(request);
  grpc::ByteBuffer req(&slice, 1), resp;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status result;
  grpc_->stub->UnaryCall(&ctx, ExportMethod(signal_), grpc::StubOptions(), &req, &resp, [&](grpc::Status s) {
    std::lock_guard<std::mutex> lock(mu);
    result = std::move(s);
    done = true;
    cv.notify_one();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });  // the deadline bounds the call
  if (!result.ok()) {
    return Status::Unavailable("gRPC " + std::to_string(result.error_code()) + ": " + result.error_message());
  }
  return Status::Ok();
}

Status OtlpSender::SendHttp(const std::string& request, std::chrono::milliseconds timeout) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  using tcp = boost::asio::ip::tcp;
  const std::size_t colon = target_.host_port.rfind(':');
  std::string host = target_.host_port.substr(0, colon);
  const std::string port = target_.host_port.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  try {
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    tcp::resolver resolver(io);
    stream.connect(resolver.resolve(host, port));
    http::request<http::string_body> req{http::verb::post, target_.path, 11};
    req.set(http::field::host, target_.host_port);
    req.set(http::field::content_type, "application/x-protobuf");
    req.set(http::field::user_agent, "otlpd");
    for (const auto& [k, v] : target_.headers) req.set(k, v);
    if (target_.gzip) {
      libdeflate_compressor* c = libdeflate_alloc_compressor(6);
      std::string out(libdeflate_gzip_compress_bound(c, request.size()), '\0');
      out.resize(libdeflate_gzip_compress(c, request.data(), request.size(), out.data(), out.size()));
      libdeflate_free_compressor(c);
      req.set(http::field::content_encoding, "gzip");
      req.body() = std::move(out);
    } else {
      req.body() = request;
    }
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    if (res.result_int() / 100 != 2) {
      return Status::Unavailable("HTTP " + std::to_string(res.result_int()) + " from " + target_.endpoint);
    }
  } catch (const std::exception& e) {
    return Status::Unavailable(e.what());
  }
  return Status::Ok();
}

}  // namespace otlpd::selftelemetry
