#pragma once

// The receiver tests that speak OTLP/gRPC run twice under ctest: against gRPC
// C++'s server (still serving TLS and pipelines that may block on disk), and
// with OTLPD_TEST_GRPC_SERVER=nghttp2 against the server on nghttp2, the
// default (the feature gate otlpd.receiver.otlp.nghttp2GrpcServer).

#include <cstdlib>
#include <string_view>

#include "receivers/otlp/config.h"

namespace otlpd::test {

inline bool TestsNghttp2GrpcServer() {
  const char* v = std::getenv("OTLPD_TEST_GRPC_SERVER");
  return v != nullptr && std::string_view(v) == "nghttp2";
}

inline receivers::otlp::Config WithTestGrpcServer(receivers::otlp::Config c) {
  if (c.grpc) c.grpc->nghttp2_server = TestsNghttp2GrpcServer();
  return c;
}

}  // namespace otlpd::test
