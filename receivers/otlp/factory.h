#pragma once

#include "component/factory.h"

namespace otlpd::receivers::otlp {

ReceiverFactory OtlpReceiverFactory();

}  // namespace otlpd::receivers::otlp
