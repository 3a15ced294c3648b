// Where the backends come from: contrib's static and dns resolvers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "exporters/loadbalancing/config.h"
#include "exporters/loadbalancing/telemetry.h"
#include "internal/status.h"

namespace otlpd::exporters::loadbalancing {

class Resolver {
 public:
  // Called with the sorted backend list each time it changes (and once at
  // start); never concurrently with itself.
  using OnChange = std::function<void(const std::vector<std::string>&)>;

  virtual ~Resolver() = default;
  // Resolves once before returning (a failure is logged, as contrib does),
  // then keeps the list current until Shutdown.
  virtual Status Start(OnChange on_change) = 0;
  virtual void Shutdown() = 0;
};

// The backend list a dynamic resolver (dns, k8s) last announced.
class AnnouncedBackends {
 public:
  // Sorts `backends`; when they differ from the list last announced (or none
  // was), they become the list, the update is counted in `telemetry`, and
  // the answer is true: the caller logs and announces list().
  bool Update(std::vector<std::string> backends, LbTelemetry& telemetry);
  const std::vector<std::string>& list() const { return list_; }

 private:
  std::vector<std::string> list_;
  bool announced_ = false;
};

// `resolver.static`: the hostnames as written, sorted, announced once.
class StaticResolver : public Resolver {
 public:
  StaticResolver(std::vector<std::string> hostnames, LbTelemetry* telemetry);
  Status Start(OnChange on_change) override;
  void Shutdown() override {}

 private:
  std::vector<std::string> endpoints_;
  LbTelemetry* telemetry_;
};

// The addresses of a name, as Go's net.Resolver.LookupIPAddr gives them
// (hosts file, then DNS A and AAAA with resolv.conf's servers and search
// list), through c-ares. `servers` replaces resolv.conf's nameservers when
// not empty ("127.0.0.1:5353,[::1]:53", ares_set_servers_ports_csv's form):
// tests point it at a DNS server of their own.
Result<std::vector<std::string>> LookupIpAddrs(const std::string& host, std::chrono::nanoseconds timeout,
                                               const std::string& servers);

// `resolver.dns`: re-resolves `hostname` every `interval` (each lookup
// bounded by `timeout`); backends are "ip" / "[ipv6]" with ":port" when a
// port is configured, sorted. A failed lookup keeps the previous list.
class DnsResolver : public Resolver {
 public:
  DnsResolver(DnsResolverConfig config, LbTelemetry* telemetry, std::string servers);
  ~DnsResolver() override;
  Status Start(OnChange on_change) override;
  void Shutdown() override;

 private:
  void Resolve();
  void Loop();

  const DnsResolverConfig config_;
  LbTelemetry* const telemetry_;
  const std::string servers_;
  OnChange on_change_;
  AnnouncedBackends backends_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace otlpd::exporters::loadbalancing
