#include "exporters/loadbalancing/resolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/select.h>

#include <algorithm>

#include <spdlog/spdlog.h>

namespace otlpd::exporters::loadbalancing {

bool AnnouncedBackends::Update(std::vector<std::string> backends, LbTelemetry& telemetry) {
  std::sort(backends.begin(), backends.end());
  if (announced_ && backends == list_) return false;
  announced_ = true;
  list_ = std::move(backends);
  telemetry.num_backends.store(list_.size(), std::memory_order_relaxed);
  telemetry.backend_updates.fetch_add(1, std::memory_order_relaxed);
  return true;
}

StaticResolver::StaticResolver(std::vector<std::string> hostnames, LbTelemetry* telemetry)
    : endpoints_(std::move(hostnames)), telemetry_(telemetry) {
  std::sort(endpoints_.begin(), endpoints_.end());
}

Status StaticResolver::Start(OnChange on_change) {
  telemetry_->resolutions_ok.fetch_add(1, std::memory_order_relaxed);
  telemetry_->num_backends.store(endpoints_.size(), std::memory_order_relaxed);
  telemetry_->backend_updates.fetch_add(1, std::memory_order_relaxed);
  on_change(endpoints_);
  return Status::Ok();
}

namespace {

struct Lookup {
  bool done = false;
  int status = ARES_SUCCESS;
  std::vector<std::string> addresses;
};

void OnAddrInfo(void* arg, int status, int /*timeouts*/, struct ares_addrinfo* result) {
  auto* lookup = static_cast<Lookup*>(arg);
  lookup->done = true;
  lookup->status = status;
  if (result == nullptr) return;
  for (ares_addrinfo_node* n = result->nodes; n != nullptr; n = n->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (n->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(n->ai_addr)->sin_addr, buf, sizeof buf);
      lookup->addresses.emplace_back(buf);
    } else if (n->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(n->ai_addr)->sin6_addr, buf, sizeof buf);
      lookup->addresses.push_back("[" + std::string(buf) + "]");
    }
  }
  ares_freeaddrinfo(result);
}

// c-ares keeps global state that must be set up once per process.
void InitAres() {
  static const int init = ares_library_init(ARES_LIB_INIT_ALL);
  (void)init;
}

}  // namespace

Result<std::vector<std::string>> LookupIpAddrs(const std::string& host, std::chrono::nanoseconds timeout,
                                               const std::string& servers) {
  InitAres();
  ares_channel channel = nullptr;
  ares_options options{};
  options.timeout = static_cast<int>(
      std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()));
  options.tries = 1;
  if (int rc = ares_init_options(&channel, &options, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
      rc != ARES_SUCCESS) {
    return Status::Unavailable(std::string("cannot initialise the DNS resolver: ") + ares_strerror(rc));
  }
  struct Close {
    ares_channel c;
    ~Close() { ares_destroy(c); }
  } close{channel};
  if (!servers.empty()) {
    if (int rc = ares_set_servers_ports_csv(channel, servers.c_str()); rc != ARES_SUCCESS) {
      return Status::InvalidArgument("bad DNS servers \"" + servers + "\": " + ares_strerror(rc));
    }
  }
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = ARES_AI_NOSORT;
  Lookup lookup;
  ares_getaddrinfo(channel, host.c_str(), nullptr, &hints, OnAddrInfo, &lookup);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!lookup.done) {
    fd_set read_fds, write_fds;
    FD_ZERO(&read_fds);
    FD_ZERO(&write_fds);
    const int nfds = ares_fds(channel, &read_fds, &write_fds);
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds(0)) {
      ares_cancel(channel);  // runs the callback with ARES_ECANCELLED
      break;
    }
    timeval max_wait{};
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
    max_wait.tv_sec = static_cast<time_t>(us / 1000000);
    max_wait.tv_usec = static_cast<suseconds_t>(us % 1000000);
    timeval tv{};
    timeval* wait = ares_timeout(channel, &max_wait, &tv);
    if (nfds > 0) {
      select(nfds, &read_fds, &write_fds, nullptr, wait);
    }
    ares_process(channel, &read_fds, &write_fds);
  }
  if (lookup.status != ARES_SUCCESS) {
    return Status::Unavailable("lookup " + host + ": " + ares_strerror(lookup.status));
  }
  return std::move(lookup.addresses);
}

DnsResolver::DnsResolver(DnsResolverConfig config, LbTelemetry* telemetry, std::string servers)
    : config_(std::move(config)), telemetry_(telemetry), servers_(std::move(servers)) {}

DnsResolver::~DnsResolver() { Shutdown(); }

Status DnsResolver::Start(OnChange on_change) {
  on_change_ = std::move(on_change);
  Resolve();
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void DnsResolver::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DnsResolver::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (cv_.wait_for(lock, config_.interval, [this] { return stop_; })) break;
    lock.unlock();
    Resolve();
    lock.lock();
  }
}

void DnsResolver::Resolve() {
  Result<std::vector<std::string>> addrs = LookupIpAddrs(config_.hostname, config_.timeout, servers_);
  if (!addrs.ok()) {
    telemetry_->resolutions_failed.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("loadbalancing dns resolver: failed to resolve {}: {}", config_.hostname,
                 addrs.status().message());
    return;
  }
  telemetry_->resolutions_ok.fetch_add(1, std::memory_order_relaxed);
  std::vector<std::string> backends;
  for (const std::string& ip : *addrs)
    backends.push_back(config_.port.empty() ? ip : ip + ":" + config_.port);
  if (!backends_.Update(std::move(backends), *telemetry_)) return;
  spdlog::info("loadbalancing dns resolver: {} resolves to {} backend(s)", config_.hostname,
               backends_.list().size());
  on_change_(backends_.list());
}

}  // namespace otlpd::exporters::loadbalancing
