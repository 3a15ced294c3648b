#include "service/telemetry/otlp_sender.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <libdeflate.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>

namespace otlpd::selftelemetry {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* ExportMethod(Signal s) {
  switch (s) {
    case Signal::kTraces: return "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    case Signal::kMetrics: return "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    case Signal::kLogs: return "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
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
    grpc::SslCredentialsOptions o;
    if (!target_.certificate.empty()) o.pem_root_certs = ReadFile(target_.certificate);
    if (!target_.client_certificate.empty()) o.pem_cert_chain = ReadFile(target_.client_certificate);
    if (!target_.client_key.empty()) o.pem_private_key = ReadFile(target_.client_key);
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
