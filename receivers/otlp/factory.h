#pragma once

#include "pipeline/factory.h"

namespace otlpd::receivers::otlp {

ReceiverFactory OtlpReceiverFactory();

}  // namespace otlpd::receivers::otlp
