#include "exporters/otlphttp/proxy_env.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "config/error.h"
#include "config/loader.h"

using namespace otlpd;
using Catch::Contains;
using exporters::otlphttp::Config;
using exporters::otlphttp::NoProxyMatches;
using exporters::otlphttp::ProxyFromEnvironment;
using exporters::otlphttp::Url;

namespace {

struct Env {
  std::map<std::string, std::string> vars;
  const char* operator()(const char* name) const {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  }
};

Url U(const std::string& text) {
  std::string why;
  auto u = Url::Parse(text, &why);
  REQUIRE(u.has_value());
  return *u;
}

std::string ProxyOf(const std::string& target, const Env& env) {
  auto p = ProxyFromEnvironment(U(target), env);
  REQUIRE(p.error.empty());
  return p.proxy ? p.proxy->host + ":" + p.proxy->port : "direct";
}

Config Decode(const std::string& yaml, const Env& env) {
  config::Node node = config::ParseYaml(yaml, "t.yaml");
  config::MapDecoder d(node, "exporters.otlphttp");
  return Config::Decode(d, env);
}

}  // namespace

TEST_CASE("the proxy comes from HTTP_PROXY or HTTPS_PROXY by the target's scheme") {
  Env env{{{"HTTP_PROXY", "http://plain:3128"}, {"HTTPS_PROXY", "http://tunnel:3129"}}};
  CHECK(ProxyOf("http://backend:4318/v1/traces", env) == "plain:3128");
  CHECK(ProxyOf("https://backend/v1/traces", env) == "tunnel:3129");
  CHECK(ProxyOf("https://backend/v1/traces", Env{{{"HTTP_PROXY", "http://plain:3128"}}}) == "direct");
  CHECK(ProxyOf("http://backend/v1/traces", Env{}) == "direct");

  // Upper case first, lower case otherwise; an empty value is no proxy.
  CHECK(ProxyOf("http://backend/", Env{{{"http_proxy", "http://lower:1"}}}) == "lower:1");
  CHECK(ProxyOf("http://backend/",
                Env{{{"HTTP_PROXY", "http://upper:2"}, {"http_proxy", "http://lower:1"}}}) == "upper:2");
  CHECK(ProxyOf("http://backend/", Env{{{"HTTP_PROXY", ""}}}) == "direct");

  // Without a scheme the value is an http:// proxy; its port defaults to 80.
  CHECK(ProxyOf("http://backend/", Env{{{"HTTP_PROXY", "squid:3128"}}}) == "squid:3128");
  CHECK(ProxyOf("http://backend/", Env{{{"HTTP_PROXY", "squid"}}}) == "squid:80");

  // Credentials travel with the proxy URL.
  auto p = ProxyFromEnvironment(U("http://backend/"), Env{{{"HTTP_PROXY", "http://u:p%40ss@squid:3128"}}});
  REQUIRE(p.proxy.has_value());
  CHECK(p.proxy->userinfo == "u:p@ss");
  CHECK(p.variable == "HTTP_PROXY");
}

TEST_CASE("localhost and loopback addresses never go through the environment's proxy") {
  Env env{{{"HTTP_PROXY", "http://squid:3128"}, {"HTTPS_PROXY", "http://squid:3128"}}};
  CHECK(ProxyOf("http://localhost:4318/", env) == "direct");
  CHECK(ProxyOf("http://LOCALHOST:4318/", env) == "direct");
  CHECK(ProxyOf("http://127.0.0.1:4318/", env) == "direct");
  CHECK(ProxyOf("http://127.9.8.7:4318/", env) == "direct");
  CHECK(ProxyOf("https://[::1]:4318/", env) == "direct");
  CHECK(ProxyOf("http://10.0.0.1:4318/", env) == "squid:3128");
}

TEST_CASE("NO_PROXY exempts hosts, domains, subdomains, addresses, CIDR blocks and ports") {
  CHECK(NoProxyMatches("*", "anything.example", "80"));
  CHECK(NoProxyMatches("example.com", "example.com", "443"));
  CHECK(NoProxyMatches("example.com", "api.example.com", "443"));
  CHECK_FALSE(NoProxyMatches("example.com", "badexample.com", "443"));
  CHECK_FALSE(NoProxyMatches(".example.com", "example.com", "443"));
  CHECK(NoProxyMatches(".example.com", "api.example.com", "443"));
  CHECK(NoProxyMatches("*.example.com", "api.example.com", "443"));
  CHECK(NoProxyMatches("EXAMPLE.com", "Api.Example.COM", "443"));
  CHECK(NoProxyMatches("other.org, example.com", "example.com", "80"));
  CHECK(NoProxyMatches("other.org example.com", "example.com", "80"));
  CHECK(NoProxyMatches("example.com:4318", "example.com", "4318"));
  CHECK_FALSE(NoProxyMatches("example.com:4318", "example.com", "443"));
  CHECK(NoProxyMatches("10.1.2.3", "10.1.2.3", "80"));
  CHECK_FALSE(NoProxyMatches("10.1.2.3", "10.1.2.4", "80"));
  CHECK(NoProxyMatches("10.0.0.0/8", "10.200.1.1", "80"));
  CHECK_FALSE(NoProxyMatches("10.0.0.0/8", "11.0.0.1", "80"));
  CHECK(NoProxyMatches("192.168.4.0/22", "192.168.7.255", "80"));
  CHECK_FALSE(NoProxyMatches("192.168.4.0/22", "192.168.8.0", "80"));
  CHECK(NoProxyMatches("fd00::/8", "fd12::1", "80"));
  CHECK(NoProxyMatches("[fd00::1]:4318", "fd00::1", "4318"));
  CHECK(NoProxyMatches("fd00::1", "fd00::1", "4318"));
  CHECK_FALSE(NoProxyMatches("", "example.com", "80"));
  CHECK_FALSE(NoProxyMatches(" , ", "example.com", "80"));
  CHECK_FALSE(NoProxyMatches("10.0.0.0/99", "10.0.0.1", "80"));

  Env env{{{"HTTPS_PROXY", "http://squid:3128"}, {"NO_PROXY", "internal.example,10.0.0.0/8"}}};
  CHECK(ProxyOf("https://collector.internal.example/v1/logs", env) == "direct");
  CHECK(ProxyOf("https://10.3.0.1/v1/logs", env) == "direct");
  CHECK(ProxyOf("https://saas.vendor.example/v1/logs", env) == "squid:3128");
  CHECK(ProxyOf("https://saas.vendor.example/v1/logs",
                Env{{{"HTTPS_PROXY", "squid:1"}, {"no_proxy", "*"}}}) == "direct");
}

TEST_CASE("an unusable proxy variable is an error naming the variable") {
  auto bad = ProxyFromEnvironment(U("https://backend/"), Env{{{"HTTPS_PROXY", "https://squid:3128"}}});
  CHECK_FALSE(bad.proxy.has_value());
  CHECK_THAT(bad.error, Contains("HTTPS_PROXY") && Contains("https:// proxy"));
  auto garbage = ProxyFromEnvironment(U("http://backend/"), Env{{{"http_proxy", "http://[::1"}}});
  CHECK_THAT(garbage.error, Contains("http_proxy"));
}

TEST_CASE("otlphttp config takes per-signal proxies from proxy_url or the environment") {
  Env env{{{"HTTPS_PROXY", "http://squid:3128"}, {"NO_PROXY", "metrics.internal"}}};
  Config c = Decode(
      "endpoint: https://saas.example\n"
      "metrics_endpoint: https://metrics.internal/v1/metrics\n"
      "logs_endpoint: http://logs.example/v1/logs\n",
      env);
  REQUIRE(c.proxies[SignalIndex(Signal::kTraces)].has_value());
  CHECK(c.proxies[SignalIndex(Signal::kTraces)]->host == "squid");
  CHECK_FALSE(c.proxies[SignalIndex(Signal::kMetrics)].has_value());  // NO_PROXY
  CHECK_FALSE(c.proxies[SignalIndex(Signal::kLogs)].has_value());     // http://, and no HTTP_PROXY

  // proxy_url wins over the environment for every signal.
  Config explicit_proxy = Decode("endpoint: https://saas.example\nproxy_url: http://corp:8080\n", env);
  for (Signal s : kAllSignals) {
    REQUIRE(explicit_proxy.proxies[SignalIndex(s)].has_value());
    CHECK(explicit_proxy.proxies[SignalIndex(s)]->host == "corp");
  }

  // An unusable variable is a config error at the exporter, naming it.
  try {
    Decode("endpoint: https://saas.example\n", Env{{{"HTTPS_PROXY", "https://squid:3128"}}});
    FAIL("an https:// proxy from the environment was accepted");
  } catch (const config::Error& e) {
    CHECK_THAT(e.what(), Contains("exporters.otlphttp.proxy_url") && Contains("HTTPS_PROXY"));
  }
}
