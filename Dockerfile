# otlpd container image: a Debian 12 build stage and a debian:12-slim runtime
# with only the shared libraries the binary links (test/deploy/check_dockerfile.sh
# compares this list with `ldd otlpd`).
#
#   docker build -t otlpd .
#   docker run -p 4317:4317 -p 4318:4318 -p 13133:13133 -p 8888:8888 otlpd
#
# The default config (deploy/otlpd.yaml) listens on 0.0.0.0; mount another one
# over /etc/otlpd/config.yaml or pass your own --config arguments.

FROM debian:12 AS build
WORKDIR /src
# The dependency script first, alone, so this layer survives source changes.
COPY deploy/install-deps.sh deploy/install-deps.sh
RUN ./deploy/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
# OTLPD_STATIC_DEPS (the Release default, spelled out because the runtime list
# below depends on it): gRPC, protobuf, Abseil, OpenSSL, re2, c-ares, yaml-cpp
# and the compression libraries are linked into the binary.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DOTLPD_BUILD_TESTS=OFF -DOTLPD_STATIC_DEPS=ON \
 && cmake --build /build --target otlpd \
 && strip /build/otlpd \
 && /build/otlpd validate --config deploy/otlpd.yaml

FROM debian:12-slim
# Runtime libraries of otlpd, by Debian package (one per `ldd` line; libc6 and
# libgcc-s1 are in every Debian image): only those Debian ships no static archive
# of. ca-certificates: TLS to backends (gRPC reads the system roots first, so it
# needs no /usr/share/grpc/roots.pem of libgrpc29).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates \
      libfmt9 \
      libsimdjson14 \
      libspdlog1.10 \
      libstdc++6 \
 && rm -rf /var/lib/apt/lists/*

COPY --from=build /build/otlpd /usr/bin/otlpd
COPY deploy/otlpd.yaml /etc/otlpd/config.yaml

# Any non-root uid works; 10001 is what the Kubernetes manifests pin with runAsUser.
USER 10001:10001

# OTLP gRPC, OTLP/HTTP, health_check, Prometheus self-metrics.
EXPOSE 4317 4318 13133 8888

# The slim image has no curl: bash's /dev/tcp asks health_check for its status line.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/13133 && printf 'GET / HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200'"]

# SIGTERM drains within --shutdown-timeout (default 20s, below Docker's and
# Kubernetes' usual 30s grace period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/otlpd"]
CMD ["--config", "/etc/otlpd/config.yaml"]
