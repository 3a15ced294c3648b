#include "exporters/otlp/grpc_client.h"
#include "internal/grpc_byte_buffer.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <array>
#include <bit>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <type_traits>

#include <spdlog/spdlog.h>

#include "config/compression/gzip_sender.h"
#include "exporters/otlp/export_response.h"
#include "internal/text.h"
#include "otlp/profiles_version.h"

namespace otlpd::exporters::otlp {
namespace {

using exporterhelper::SendResult;

// While the backend is down, gRPC waits between connection attempts with its
// own backoff, up to 120s by default, and fails calls fast meanwhile: the
// exporter's retries would keep failing long after the backend is back. A
// short cap costs one connect attempt per few seconds during an outage.
constexpr int kMaxReconnectBackoffMs = 5000;

// Write options marking the message as compressed already, so gRPC sends it
// as is, with the compressed flag set in its frame. gRPC core honours that
// flag (GRPC_WRITE_INTERNAL_COMPRESS, its compression filter's own mark) from
// the application too, but gRPC C++ 1.51 has no setter for it: WriteOptions
// is a flags word and a bool, built here from its bytes. libdeflate at
// level 6 (Go's default, which otelcol sends) takes half of zlib's time at
// level 6 (gRPC's) on OTLP batches, for an output within 2% of its size;
// gRPC's zlib was more than half of otlpd's CPU in issue 18's gzip scenario.
grpc::WriteOptions PrecompressedWrite() {
  constexpr std::uint32_t kInternalCompress = 0x80000000u;  // GRPC_WRITE_INTERNAL_COMPRESS
  struct Layout {
    std::uint32_t flags;
    bool last_message;
  };
  static_assert(sizeof(Layout) == sizeof(grpc::WriteOptions));
  static_assert(std::is_trivially_copyable_v<grpc::WriteOptions>);
  grpc::WriteOptions o = std::bit_cast<grpc::WriteOptions>(Layout{kInternalCompress, false});
  return o.set_last_message();
}

int Millis(std::chrono::nanoseconds d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return static_cast<int>(std::min<std::int64_t>(ms, std::numeric_limits<int>::max()));
}

}  // namespace

struct GrpcClient::Impl {
  Config config;
  std::array<std::string, kSignalCount> methods;  // per signal, made once
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> stub;

  // gzip at Go's default level (what otelcol sends) or as small, made the
  // cheapest way that keeps it so.
  config::compression::GzipSender gzip{0};
  std::mutex mu;  // guards in_flight, cancelled
  std::set<grpc::ClientContext*> in_flight;
  bool cancelled = false;

  Result<std::shared_ptr<grpc::ChannelCredentials>> Credentials() const {
    const TlsConfig& t = config.tls;
    if (!config.use_tls) return grpc::InsecureChannelCredentials();
    auto pem = config::LoadTlsPem(t, config.path + ".tls");
    if (!pem.ok()) return pem.status();
    if (!t.insecure_skip_verify) {
      grpc::SslCredentialsOptions o;
      o.pem_root_certs = pem->ca;  // empty: the system roots
      o.pem_private_key = pem->key;
      o.pem_cert_chain = pem->cert;
      return grpc::SslCredentials(o);
    }
    // Skipping verification needs the TLS credentials API, with a verifier
    // that accepts any certificate and no host name check.
    grpc::experimental::TlsChannelCredentialsOptions o;
    std::vector<grpc::experimental::IdentityKeyCertPair> identity;
    if (!pem->cert.empty()) identity.push_back({pem->key, pem->cert});
    if (!pem->ca.empty() || !identity.empty()) {
      o.set_certificate_provider(
          std::make_shared<grpc::experimental::StaticDataCertificateProvider>(pem->ca, identity));
      if (!pem->ca.empty()) o.watch_root_certs();
      if (!identity.empty()) o.watch_identity_key_cert_pairs();
    }
    o.set_verify_server_certs(false);
    o.set_check_call_host(false);
    o.set_certificate_verifier(std::make_shared<grpc::experimental::NoOpCertificateVerifier>());
    auto creds = grpc::experimental::TlsCredentials(o);
    if (!creds) return Status::Internal(config.path + ".tls: cannot create TLS credentials");
    return creds;
  }

  grpc::ChannelArguments Arguments() const {
    grpc::ChannelArguments args;
    args.SetLoadBalancingPolicyName(config.balancer_name);
    args.SetCompressionAlgorithm(config.compression == Compression::kGzip ? GRPC_COMPRESS_GZIP
                                                                          : GRPC_COMPRESS_NONE);
    args.SetUserAgentPrefix(config.user_agent.empty() ? "otlpd" : config.user_agent);
    if (!config.authority.empty()) args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, config.authority);
    if (config.use_tls && !config.tls.server_name_override.empty()) {
      args.SetSslTargetNameOverride(config.tls.server_name_override);
    }
    if (config.keepalive) {
      if (config.keepalive->time.count() > 0)
        args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, Millis(config.keepalive->time));
      if (config.keepalive->timeout.count() > 0) {
        args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, Millis(config.keepalive->timeout));
      }
      args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, config.keepalive->permit_without_stream ? 1 : 0);
    }
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectBackoffMs);
    return args;
  }
};

GrpcClient::GrpcClient(const Config& config) : impl_(std::make_unique<Impl>()) {
  impl_->config = config;
  for (Signal s : kSignalsWithProfiles) impl_->methods[SignalIndex(s)] = std::string(ExportMethod(s));
  for (const auto& [k, v] : config.headers) impl_->headers.emplace_back(k, v);
}

GrpcClient::~GrpcClient() = default;

Status GrpcClient::Connect() {
  auto creds = impl_->Credentials();
  if (!creds.ok()) return creds.status();
  impl_->channel = grpc::CreateCustomChannel(impl_->config.target, *creds, impl_->Arguments());
  if (!impl_->channel) return Status::Internal(impl_->config.path + ".endpoint: cannot create a channel");
  impl_->stub = std::make_unique<grpc::GenericStub>(impl_->channel);
  return Status::Ok();
}

void GrpcClient::CancelAll() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->cancelled = true;
  for (grpc::ClientContext* ctx : impl_->in_flight) ctx->TryCancel();
}

SendResult GrpcClient::Export(const PayloadPtr& payload, Clock::time_point deadline) {
  if (!impl_->stub) return SendResult::Failed(Status::Unavailable("not connected"));
  grpc::ClientContext ctx;
  if (deadline != Clock::time_point::max()) {
    ctx.set_deadline(
        std::chrono::system_clock::now() +
        std::chrono::duration_cast<std::chrono::system_clock::duration>(deadline - Clock::now()));
  }
  ctx.set_wait_for_ready(impl_->config.wait_for_ready);
  // pdata's gRPC client declares the profiles format it sends, in exactly one
  // value: a configured one is overridden, as otelcol's exporter does.
  const bool profiles = payload->signal == Signal::kProfiles;
  for (const auto& [k, v] : impl_->headers) {
    if (!profiles || !EqualsIgnoreCase(k, kProfilesVersionKey)) ctx.AddMetadata(k, v);
  }
  if (profiles) ctx.AddMetadata(std::string(kProfilesVersionKey), std::string(kProfilesVersion));

  // Uncompressed, the request borrows the payload's bytes: the slice keeps
  // the payload alive for as long as gRPC holds it, and nothing is copied or
  // re-encoded. Compressed, the slice owns the gzip stream made here (see
  // GzipSender for how).
  std::optional<grpc::Slice> slice;
  grpc::WriteOptions options;
  if (impl_->config.compression == Compression::kGzip) {
    Result<std::string> gzipped = impl_->gzip.Gzip(payload->signal, payload->bytes, payload->gzip);
    if (!gzipped.ok()) return SendResult::Failed(gzipped.status());
    auto* hold = new std::string(std::move(*gzipped));
    slice.emplace(
        hold->data(), hold->size(), [](void* p) { delete static_cast<std::string*>(p); }, hold);
    options = PrecompressedWrite();
  } else {
    auto* hold = new PayloadPtr(payload);
    slice.emplace(
        const_cast<char*>(payload->bytes.data()), payload->bytes.size(),
        [](void* p) { delete static_cast<PayloadPtr*>(p); }, hold);
  }
  grpc::ByteBuffer request(&*slice, 1);
  grpc::ByteBuffer response;

  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->cancelled) return SendResult::Failed(Status::Unavailable("exporter is shutting down"));
    impl_->in_flight.insert(&ctx);
  }
  // A completion queue of this call's own, waited on by this thread (as
  // gRPC's blocking stubs do). The callback API would start gRPC's polling
  // threads, which then also poll the receiver's sockets and wake its thread
  // for every incoming call: a few context switches per call, measured.
  //
  // The call is made as a stream of one message, because only a stream's
  // Write takes the per-message flags that say "already compressed"; the
  // initial metadata is corked, so headers, message and end of stream leave
  // in one batch as a unary call's do.
  grpc::CompletionQueue cq;
  grpc::Status status;
  ctx.set_initial_metadata_corked(true);
  auto call = impl_->stub->PrepareCall(&ctx, impl_->methods[SignalIndex(payload->signal)], &cq);
  int tags[4];
  call->StartCall(&tags[0]);
  call->WriteLast(request, options, &tags[1]);
  call->Read(&response, &tags[2]);
  call->Finish(&status, &tags[3]);
  void* tag = nullptr;
  bool ok = false;
  bool got_response = false;
  // Finish always completes (with the call's status, or cancelled); the
  // other three are drained after it.
  while (cq.Next(&tag, &ok) && tag != &tags[3]) {
    if (tag == &tags[2]) got_response = ok;
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
    if (tag == &tags[2]) got_response = ok;
  }
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->in_flight.erase(&ctx);
  }

  if (!status.ok()) {
    return SendResult::Failed(ClassifyGrpcStatus(static_cast<int>(status.error_code()),
                                                 status.error_message(), status.error_details()));
  }
  if (!got_response) {
    // OK without a message breaks a unary call's contract; gRPC's unary
    // clients (grpc-go's, otelcol's) fail the call with Internal.
    return SendResult::Failed(ClassifyGrpcStatus(static_cast<int>(grpc::StatusCode::INTERNAL),
                                                 "the server answered OK without a response message", ""));
  }
  SendResult result;
  auto partial = ParseExportResponse(FlattenByteBuffer(response));
  if (!partial) {
    // The backend said OK: sending again would duplicate the data.
    spdlog::warn("exporter {}: undecodable Export response; counting the request as delivered",
                 impl_->config.path);
    return result;
  }
  result.rejected_items = partial->rejected;
  result.rejection_message = std::move(partial->error_message);
  return result;
}

}  // namespace otlpd::exporters::otlp
