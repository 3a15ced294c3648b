#pragma once

#include <vector>

#include "component/payload.h"
#include "internal/status.h"

namespace otlpd {

// Lets a component refuse data before its pipeline queues it. Processors run
// after the pipeline's queue, when the receiver has already answered its
// client, so a processor that refuses there can only drop; a gate consulted
// by PipelinesEntry turns the same refusal into back-pressure the client sees
// (gRPC UNAVAILABLE, HTTP 503) and retries. The memory_limiter is one.
class AdmissionGate {
 public:
  virtual ~AdmissionGate() = default;
  // Called on receiver threads for every payload bound for the pipeline,
  // before queue space is reserved: keep it cheap and thread-safe. A refusal
  // should be retryable and is counted by the gate itself.
  virtual Status Admit(const Payload& payload) = 0;
};

// The gates of one pipeline. Gates are added while the service is built
// (one thread, before Start) and only read afterwards, so no lock.
class AdmissionGates {
 public:
  void Add(AdmissionGate* gate) { gates_.push_back(gate); }
  bool empty() const { return gates_.empty(); }

  // The first refusal, or Ok when every gate admits the payload.
  Status Admit(const Payload& payload) const {
    for (AdmissionGate* gate : gates_) {
      Status s = gate->Admit(payload);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

 private:
  std::vector<AdmissionGate*> gates_;
};

}  // namespace otlpd
