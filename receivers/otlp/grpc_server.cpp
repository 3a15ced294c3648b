#include "receivers/otlp/grpc_server.h"
#include "internal/grpc_byte_buffer.h"

#include <grpcpp/alarm.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

#include "config/net/unix_socket.h"
#include "internal/cpus.h"
#include "internal/host_port.h"
#include "internal/text.h"
#include "otlp/profiles_version.h"
#include "receivers/otlp/grpc_export.h"

namespace otlpd::receivers::otlp {
namespace {

// The profiles development version the call's metadata declares (gRPC keys are lower-case).
Status CheckProfilesMetadata(const grpc::GenericServerContext& ctx) {
  std::vector<std::string_view> values;
  auto [begin, end] = ctx.client_metadata().equal_range(
      grpc::string_ref(kProfilesVersionKey.data(), kProfilesVersionKey.size()));
  for (auto it = begin; it != end; ++it) values.emplace_back(it->second.data(), it->second.size());
  return CheckProfilesVersion(values);
}

// A refusal the client should retry carries google.rpc.RetryInfo in the
// status details (grpc-status-details-bin), as the OTLP spec asks.
grpc::Status ToGrpcStatus(const Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(GrpcStatusCode(s.code())), s.message(),
                      GrpcStatusDetails(s));
}

struct ServerState {
  const std::array<Consumer*, kSignalCount>* consumers;
  ComponentTelemetry* telemetry;
  bool include_metadata;
  std::chrono::nanoseconds receive_timeout;
  ReceiveBudget* budget;
};

// One Export call on the async API: asked for (kRequested), its single
// request message read (kReading), answered (kFinishing). Each step is a tag
// on the completion queue of the thread that asked for the call, and that
// thread does all of the call's work: no hand-off between gRPC's threads and
// ours, which is most of the cost of a call at moderate rates.
//
// A call that has not delivered its message by the receive timeout is
// cancelled: an alarm on the same queue, whose tag is the call's address with
// the low bit set. The call lives until both its own steps and the alarm have
// come back.
class ExportCall {
 public:
  static ExportCall* FromAlarmTag(void* tag, bool* is_alarm) {
    const auto bits = reinterpret_cast<std::uintptr_t>(tag);
    *is_alarm = (bits & 1u) != 0;
    return reinterpret_cast<ExportCall*>(bits & ~std::uintptr_t{1});
  }

  // The alarm fired (ok) or was cancelled (!ok). False: the call may be deleted.
  bool OnAlarm(bool ok) {
    alarm_pending_ = false;
    if (ok && step_ == kReading) ctx_.TryCancel();
    return step_ != kDone;
  }

  ExportCall(const ServerState& state, grpc::AsyncGenericService* service, grpc::ServerCompletionQueue* cq)
      : state_(state), service_(service), cq_(cq), stream_(&ctx_) {}

  // Waits for the next incoming call; false once the server shuts down.
  void Request() { service_->RequestCall(&ctx_, &stream_, cq_, cq_, this); }

  // Advances on a completed tag. False: the call is over and may be deleted.
  // `incoming` reports a newly started call, so the caller asks for the next.
  bool Proceed(bool ok, bool* incoming) {
    *incoming = false;
    switch (step_) {
      case kRequested:
        if (!ok) return false;  // server shutting down: no call was started
        *incoming = true;
        signal_ = SignalForGrpcMethod(ctx_.method());
        if (!signal_ || (*state_.consumers)[SignalIndex(*signal_)] == nullptr) {
          Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "unknown method " + ctx_.method()));
        } else {
          step_ = kReading;
          if (state_.receive_timeout.count() > 0) {
            alarm_pending_ = true;
            alarm_.Set(
                cq_,
                std::chrono::system_clock::now() +
                    std::chrono::duration_cast<std::chrono::system_clock::duration>(state_.receive_timeout),
                reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(this) | 1u));
          }
          stream_.Read(&request_, this);
        }
        return true;
      case kReading: {
        if (alarm_pending_) alarm_.Cancel();
        if (!ok) {
          // The client half-closed without a message, or the call was cancelled.
          Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
          return true;
        }
        Status s = Handle();
        if (!s.ok()) {
          Finish(ToGrpcStatus(s));
          return true;
        }
        // Export*ServiceResponse with partial_success unset serializes to zero bytes.
        response_ = grpc::ByteBuffer(&empty_slice_, 1);
        step_ = kFinishing;
        stream_.WriteAndFinish(response_, grpc::WriteOptions(), grpc::Status::OK, this);
        return true;
      }
      case kFinishing:
      case kDone: step_ = kDone; return alarm_pending_;
    }
    return false;
  }

 private:
  enum Step { kRequested, kReading, kFinishing, kDone };

  void Finish(const grpc::Status& status) {
    step_ = kFinishing;
    stream_.Finish(status, this);
  }

  Status Handle() {
    Signal signal = *signal_;
    if (signal == Signal::kProfiles) {
      // Checked before the request is decoded, as pdata's server does.
      if (Status v = CheckProfilesMetadata(ctx_); !v.ok()) return v;
    }
    // gRPC assembled the message within its own memory quota; from here it is
    // ours, and it is flattened into a second copy: both count on the budget.
    BudgetLease lease(state_.budget);
    const std::uint64_t size = request_.Length();
    if (ReceiveBudget::Verdict v = lease.Grow(2 * size); v != ReceiveBudget::Verdict::kOk) {
      request_.Clear();
      if (v == ReceiveBudget::Verdict::kTooLarge)
        return Status::ResourceExhausted(ReceiveBudget::kTooLargeMessage);
      return Status::ResourceExhausted(ReceiveBudget::kBusyMessage, std::chrono::seconds(1));
    }
    std::string bytes = FlattenByteBuffer(request_);
    request_.Clear();
    lease.ShrinkTo(bytes.capacity());
    std::shared_ptr<const Metadata> metadata;
    if (state_.include_metadata) {
      auto md = std::make_shared<Metadata>();
      for (const auto& [k, v] : ctx_.client_metadata()) {
        std::string key(k.data(), k.size());
        AsciiLowerInPlace(key);
        md->emplace_back(std::move(key), std::string(v.data(), v.size()));
      }
      metadata = std::move(md);
    }
    return ExportGrpcMessage(GrpcExportTarget{state_.consumers, state_.telemetry}, signal, std::move(bytes),
                             std::move(metadata), ClientIp(ctx_.peer()));
  }

  const ServerState& state_;
  grpc::AsyncGenericService* service_;
  grpc::ServerCompletionQueue* cq_;
  grpc::GenericServerContext ctx_;
  grpc::GenericServerAsyncReaderWriter stream_;
  Step step_ = kRequested;
  std::optional<Signal> signal_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  grpc::Slice empty_slice_;
  grpc::Alarm alarm_;
  bool alarm_pending_ = false;
};

// Calls asked for ahead per thread, so a burst of new calls does not wait for
// the thread to come round to asking.
constexpr int kPendingRequestsPerThread = 8;

// One thread per completion queue. At moderate rates the cheapest is a single
// thread that polls the sockets and runs the calls itself (measured: about half
// the CPU per call of gRPC's callback API, whose two polling threads wake each
// other for every call); more threads only where there are CPUs to spare, or
// where calls wait on disk (durable pipelines: concurrent appends share one
// fsync, so waiting calls in parallel is what makes them fast).
unsigned ServingThreads(bool may_block) {
  const unsigned n = std::clamp(AvailableCpus() / 2, 1u, 8u);
  return may_block ? std::max(n, kThreadsForBlockingConsumers) : n;
}

// gRPC resolves "host:port" itself; tcp4/tcp6 are honoured by asking for the
// matching wildcard or loopback address when the host allows both.
std::string ListenAddress(const GrpcConfig& c) {
  const std::string& e = c.endpoint;
  // gRPC's own scheme for a socket path (relative or absolute).
  if (c.transport == "unix") return "unix:" + e;
  const auto colon = e.rfind(':');
  if (colon == std::string::npos) return e;
  const std::string host = e.substr(0, colon), port = e.substr(colon + 1);
  if (host.empty() || host == "0.0.0.0" || host == "[::]") {
    if (c.transport == "tcp4") return "0.0.0.0:" + port;
    if (c.transport == "tcp6") return "[::]:" + port;
    return host.empty() ? "[::]:" + port : e;
  }
  if (host == "localhost") {
    if (c.transport == "tcp4") return "127.0.0.1:" + port;
    if (c.transport == "tcp6") return "[::1]:" + port;
  }
  return e;
}

int Millis(std::chrono::nanoseconds d) {
  return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace

GrpcServer::GrpcServer(GrpcConfig config, const ServerContext& context, ComponentTelemetry* telemetry)
    : config_(std::move(config)), context_(context), telemetry_(telemetry) {
  // A message and its flattened copy are held at once.
  context_.budget->RequireRoomFor(2 * config_.MaxRecvBytes());
}

GrpcServer::~GrpcServer() { Shutdown(std::chrono::steady_clock::now()); }

struct GrpcServer::Serving {
  grpc::AsyncGenericService service;
  ServerState state;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues;
  std::vector<std::thread> threads;
  // Asking for a call after the server's shutdown began is fine; after its
  // queue's shutdown it is not, so the ask and the flag share a lock.
  std::mutex mu;
  bool stopping = false;

  void Serve(grpc::ServerCompletionQueue* cq) {
    for (int i = 0; i < kPendingRequestsPerThread; ++i) Ask(cq);
    void* tag = nullptr;
    bool ok = false;
    while (cq->Next(&tag, &ok)) {
      bool is_alarm = false;
      auto* call = ExportCall::FromAlarmTag(tag, &is_alarm);
      if (is_alarm) {
        if (!call->OnAlarm(ok)) delete call;
        continue;
      }
      bool incoming = false;
      if (!call->Proceed(ok, &incoming)) delete call;
      if (incoming) Ask(cq);
    }
  }

  void Ask(grpc::ServerCompletionQueue* cq) {
    std::lock_guard lock(mu);
    if (stopping) return;
    (new ExportCall(state, &service, cq))->Request();
  }
};

Status GrpcServer::Start() {
  serving_ = std::make_unique<Serving>();
  serving_->state = ServerState{&context_.consumers, telemetry_, config_.include_metadata,
                                config_.request_receive_timeout, context_.budget};
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (config_.tls) {
    // SslServerCredentials rather than experimental::TlsServerCredentials:
    // neither can set TLS versions (config.cpp rejects what cannot be
    // honoured), and this one is stable.
    auto pem = config::LoadTlsPem(*config_.tls, "protocols.grpc.tls");
    if (!pem.ok()) return pem.status();
    grpc::SslServerCredentialsOptions options(
        pem->ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                        : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    options.pem_root_certs = pem->ca;
    options.pem_key_cert_pairs.push_back({pem->key, pem->cert});
    credentials = grpc::SslServerCredentials(options);
  }
  const bool unix_socket = config_.transport == "unix";
  if (unix_socket) {
    // gRPC would unlink whatever socket is there, a live one included.
    if (Status s = config::net::PrepareUnixSocketPath(config_.endpoint); !s.ok()) return s;
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(ListenAddress(config_), credentials, &port_);
  builder.RegisterAsyncGenericService(&serving_->service);
  const unsigned threads = ServingThreads(AnyMayBlock(context_.consumers));
  for (unsigned i = 0; i < threads; ++i) serving_->queues.push_back(builder.AddCompletionQueue());
  builder.SetMaxReceiveMessageSize(static_cast<int>(config_.MaxRecvBytes()));
  // gRPC C++ 1.51 checks max_recv_msg_size only once a whole message has
  // arrived, and grants flow-control window for the length a message's prefix
  // claims: a forged 4 GiB prefix was buffered as it streamed in (256 MiB sent,
  // RSS +255 MiB). Its memory quota is what bounds it: past the quota, gRPC's
  // reclaimer resets streams (measured: the same client is cut off after 18 MiB
  // with a 16 MiB quota, 34 MiB with 32, 48 MiB with 48). The quota belongs to
  // this server, so each server's bound is its own.
  quota_ = std::make_unique<grpc::ResourceQuota>("otlp-receiver:" + context_.receiver_id);
  quota_->Resize(config_.ReceiveMemoryBytes());
  builder.SetResourceQuota(*quota_);
  if (config_.max_concurrent_streams > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                               static_cast<int>(config_.max_concurrent_streams));
  }
  // grpc-go's read_buffer_size bounds what one read from the socket takes.
  // gRPC C++ sizes each read adaptively, from 8 KiB up to its max read chunk:
  // that max is the same bound. (Making it the starting size instead cost
  // every connection a 512 KiB read buffer: 200 clients at 5 requests/s held
  // 14 MiB more.) Its HTTP/2 write buffer is what write_buffer_size sizes.
  if (config_.read_buffer_size > 0) {
    builder.AddChannelArgument(GRPC_ARG_TCP_MAX_READ_CHUNK_SIZE, config_.read_buffer_size);
  }
  if (config_.write_buffer_size > 0) {
    builder.AddChannelArgument(GRPC_ARG_HTTP2_WRITE_BUFFER_SIZE, config_.write_buffer_size);
  }
  const GrpcKeepalive& k = config_.keepalive;
  if (k.max_connection_idle.count() > 0)
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, Millis(k.max_connection_idle));
  if (k.max_connection_age.count() > 0)
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, Millis(k.max_connection_age));
  if (k.max_connection_age_grace.count() > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, Millis(k.max_connection_age_grace));
  }
  if (k.time.count() > 0) builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, Millis(k.time));
  if (k.timeout.count() > 0) builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, Millis(k.timeout));
  if (k.enforcement_min_time.count() > 0) {
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                               Millis(k.enforcement_min_time));
  }
  if (k.enforcement_permit_without_stream)
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  server_ = builder.BuildAndStart();
  if (!server_ || (port_ == 0 && !unix_socket)) {
    server_.reset();
    for (auto& cq : serving_->queues) Drain(cq.get());
    serving_.reset();
    return Status::Internal("cannot listen on " + config_.endpoint + " (address in use or not resolvable)");
  }
  for (auto& cq : serving_->queues) {
    serving_->threads.emplace_back([s = serving_.get(), q = cq.get()] { s->Serve(q); });
  }
  spdlog::info("receiver {}: OTLP/gRPC{} listening on {} (port {}, {} thread{})", context_.receiver_id,
               config_.tls ? " (TLS)" : "", config_.endpoint, port_, threads, threads == 1 ? "" : "s");
  return Status::Ok();
}

void GrpcServer::Shutdown(std::chrono::steady_clock::time_point deadline) {
  if (!server_) return;
  {
    std::lock_guard lock(serving_->mu);
    serving_->stopping = true;
  }
  // In-flight calls finish (their data is already queued or refused) while the
  // threads go on serving them; new ones are refused. Shutdown returns once
  // every call is gone, so nothing starts on a queue after its own shutdown.
  auto left = deadline - std::chrono::steady_clock::now();
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::chrono::duration_cast<std::chrono::system_clock::duration>(left));
  server_->Wait();
  for (auto& cq : serving_->queues) cq->Shutdown();
  for (auto& t : serving_->threads) t.join();
  server_.reset();
  serving_.reset();
  if (config_.transport == "unix") config::net::RemoveUnixSocket(config_.endpoint);
}

// A queue built into a server that never started still needs its shutdown and
// drain before it may be destroyed.
void GrpcServer::Drain(grpc::ServerCompletionQueue* cq) {
  cq->Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq->Next(&tag, &ok)) {
  }
}

}  // namespace otlpd::receivers::otlp
