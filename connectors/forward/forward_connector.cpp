#include "connectors/forward/forward_connector.h"

namespace otlpd::connectors::forward {

Status ForwardConnector::Consume(const PayloadPtr& payload) {
  SignalCounters& c = (*telemetry_)[signal_];
  SignalCounters::Add(c.accepted, payload->items);
  Status s = next_->Consume(payload);
  SignalCounters::Add(s.ok() ? c.sent : c.refused, payload->items);
  return s;
}

}  // namespace otlpd::connectors::forward
