#include "k8s/reflector.h"

#include <random>

#include <spdlog/spdlog.h>

namespace otlpd::k8s {

using Clock = std::chrono::steady_clock;

std::string QueryEscape(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string StatusMessage(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view message;
  if (!parser.parse(body.data(), body.size()).get(doc) && !doc["message"].get(message))
    return std::string(message);
  return std::string(body.substr(0, 200));
}

Reflector::Reflector(std::string name, Endpoint endpoint, WatchTarget target, ObjectSink& sink,
                     ReflectorOptions options, std::vector<const Reflector*> after)
    : name_(std::move(name)),
      target_(std::move(target)),
      sink_(sink),
      options_(options),
      after_(std::move(after)),
      client_(std::move(endpoint)) {}

Reflector::~Reflector() { Stop(); }

void Reflector::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void Reflector::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  client_.Cancel();
  if (thread_.joinable()) thread_.join();
}

bool Reflector::WaitForSync(Clock::time_point deadline) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_until(lock, deadline, [&] { return stopping_ || HasSynced(); }) && HasSynced();
}

bool Reflector::Sleep(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, d, [&] { return stopping_; });
}

std::string Reflector::Query(bool watch, const std::string& resource_version, const std::string& cont,
                             bool paged) const {
  std::string q = target_.path;
  char sep = '?';
  auto add = [&](std::string_view key, std::string_view value) {
    q += sep;
    q += key;
    q += '=';
    q += QueryEscape(value);
    sep = '&';
  };
  if (!target_.label_selector.empty()) add("labelSelector", target_.label_selector);
  if (!target_.field_selector.empty()) add("fieldSelector", target_.field_selector);
  if (watch) {
    add("watch", "true");
    add("allowWatchBookmarks", "true");
    add("resourceVersion", resource_version);
    if (options_.watch_timeout) {
      add("timeoutSeconds", std::to_string(options_.watch_timeout->count()));
      return q;
    }
    thread_local std::mt19937 rng{std::random_device{}()};
    const auto min = options_.min_watch_timeout.count();
    add("timeoutSeconds",
        std::to_string(min + static_cast<long>(rng() % static_cast<unsigned long>(min > 0 ? min : 1))));
    return q;
  }
  if (paged) add("limit", std::to_string(options_.page_size));
  if (!cont.empty()) {
    add("continue", cont);
  } else if (!resource_version.empty()) {
    add("resourceVersion", resource_version);
  }
  return q;
}

bool Reflector::List() {
  // client-go's relistResourceVersion: "0" (any, the server's cache) at
  // first, then the last one seen, "" (a consistent read) after a 410.
  std::string rv = rv_unavailable_ ? "" : (resource_version_.empty() ? "0" : resource_version_);
  bool paged = true;
  std::string cont;
  bool begun = false;
  std::string list_rv;
  for (;;) {
    Result<Response> r =
        client_.Get(Query(false, rv, cont, paged), options_.request_timeout, options_.max_page_bytes);
    if (!r.ok()) {
      if (!client_.cancelled()) spdlog::warn("k8s {}: list failed: {}", name_, r.status().message());
      return false;
    }
    if (r->status == 410) {
      if (!cont.empty()) {
        // The continue token expired: the pager lists again unpaged.
        cont.clear();
        paged = false;
        continue;
      }
      rv_unavailable_ = true;
      spdlog::info("k8s {}: resourceVersion {} is too old; listing afresh", name_, rv);
      return false;
    }
    if (r->status != 200) {
      spdlog::warn("k8s {}: list answered {}: {}", name_, r->status, StatusMessage(r->body));
      return false;
    }
    simdjson::dom::element doc;
    simdjson::dom::array items;
    if (parser_.parse(r->body).get(doc) || doc["items"].get(items)) {
      if (doc.is_object() && doc["items"].is_null()) {
        items = simdjson::dom::array();
      } else {
        spdlog::warn("k8s {}: list answer is not a list", name_);
        return false;
      }
    }
    if (!begun) {
      sink_.BeginList();
      begun = true;
    }
    for (simdjson::dom::element item : items) sink_.Listed(item);
    std::string_view next, version;
    if (!doc["metadata"]["resourceVersion"].get(version)) list_rv = std::string(version);
    if (doc["metadata"]["continue"].get(next) || next.empty()) break;
    cont = std::string(next);
  }
  sink_.EndList();
  resource_version_ = list_rv;
  rv_unavailable_ = false;
  lists_.fetch_add(1, std::memory_order_relaxed);
  if (!synced_.exchange(true, std::memory_order_acq_rel)) {
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
  }
  return true;
}

Reflector::WatchEnd Reflector::Watch() {
  watches_.fetch_add(1, std::memory_order_relaxed);
  WatchEnd end = WatchEnd::kClosed;
  std::uint64_t events = 0;
  const auto began = Clock::now();
  auto on_line = [&](std::string_view line) {
    simdjson::dom::element event;
    std::string_view type;
    simdjson::dom::element object;
    if (parser_.parse(line.data(), line.size()).get(event) || event["type"].get(type) ||
        event["object"].get(object)) {
      spdlog::warn("k8s {}: undecodable watch event", name_);
      end = WatchEnd::kFailed;
      return false;
    }
    ++events;
    if (type == "ERROR") {
      std::int64_t code = 0;
      std::string_view reason, message;
      if (object["code"].get(code)) {
      }
      if (object["reason"].get(reason)) {
      }
      if (object["message"].get(message)) {
      }
      if (code == 410 || reason == "Expired" || reason == "Gone") {
        end = WatchEnd::kExpired;
      } else {
        spdlog::warn("k8s {}: watch error {}: {}", name_, code, message);
        end = WatchEnd::kFailed;
      }
      return false;
    }
    std::string_view rv;
    if (!object["metadata"]["resourceVersion"].get(rv)) resource_version_ = std::string(rv);
    if (type == "ADDED" || type == "MODIFIED") {
      sink_.Upsert(object);
    } else if (type == "DELETED") {
      sink_.Delete(object);
    }
    // BOOKMARK only moves the resourceVersion on.
    return true;
  };
  // Idle longer than the watch's own timeout means the server is gone.
  const auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(
                        options_.watch_timeout ? *options_.watch_timeout : options_.min_watch_timeout * 2) +
                    std::chrono::seconds(30);
  Result<Response> r =
      client_.Stream(Query(true, resource_version_, "", false), idle, options_.max_event_bytes, on_line);
  if (client_.cancelled()) return WatchEnd::kStopped;
  if (!r.ok()) {
    spdlog::warn("k8s {}: watch failed: {}", name_, r.status().message());
    return WatchEnd::kFailed;
  }
  if (r->status == 410) return WatchEnd::kExpired;
  if (r->status != 200) {
    spdlog::warn("k8s {}: watch answered {}: {}", name_, r->status, StatusMessage(r->body));
    return WatchEnd::kFailed;
  }
  // client-go: a watch that ends within a second with no event is an error
  // (a server that closes at once must not be hammered).
  if (end == WatchEnd::kClosed && events == 0 && Clock::now() - began < std::chrono::seconds(1))
    return WatchEnd::kFailed;
  return end;
}

void Reflector::Run() {
  for (const Reflector* dep : after_) {
    while (!dep->WaitForSync(Clock::now() + std::chrono::milliseconds(100))) {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
  }
  std::mt19937 rng{std::random_device{}()};
  std::chrono::milliseconds backoff = options_.backoff_initial;
  auto back_off = [&] {
    failures_.fetch_add(1, std::memory_order_relaxed);
    // Jitter 1.0: up to twice the step, as client-go's backoff manager.
    const auto step = std::min(backoff, options_.backoff_max);
    const auto d = step + std::chrono::milliseconds(rng() % static_cast<unsigned>(step.count() + 1));
    backoff = std::min(backoff * 2, options_.backoff_max);
    return Sleep(d);
  };
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    if (!List()) {
      if (client_.cancelled()) return;
      if (rv_unavailable_) continue;  // relist at once, consistently
      if (!back_off()) return;
      continue;
    }
    for (;;) {
      WatchEnd end = Watch();
      if (end == WatchEnd::kStopped) return;
      if (end == WatchEnd::kClosed) {
        backoff = options_.backoff_initial;
        continue;
      }
      if (end == WatchEnd::kExpired) break;  // relist from the last resourceVersion
      if (!back_off()) return;
      break;  // client-go restarts ListAndWatch after a failed watch
    }
  }
}

}  // namespace otlpd::k8s
