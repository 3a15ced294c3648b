#include "test/k8s/fake_api_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include <simdjson.h>

namespace otlpd::test {
namespace {

std::string Unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool SendChunk(int fd, const std::string& line) {
  std::ostringstream s;
  s << std::hex << line.size() + 1 << "\r\n" << line << "\n\r\n";
  return SendAll(fd, s.str());
}

std::string StatusJson(int code, const std::string& reason, const std::string& message) {
  return R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":")" + message +
         R"(","reason":")" + reason + R"(","code":)" + std::to_string(code) + "}";
}

void Answer(int fd, int code, const std::string& body) {
  const char* text = code == 200   ? "OK"
                     : code == 401 ? "Unauthorized"
                     : code == 404 ? "Not Found"
                     : code == 410 ? "Gone"
                                   : "Error";
  SendAll(fd, "HTTP/1.1 " + std::to_string(code) + " " + text +
                  "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n" + body);
}

std::string MapJson(const std::map<std::string, std::string>& m) {
  std::string out = "{";
  for (const auto& [k, v] : m) {
    if (out.size() > 1) out += ',';
    out += "\"" + k + "\":\"" + v + "\"";
  }
  return out + "}";
}

std::string KindOf(const std::string& collection) {
  if (collection.ends_with("/pods")) return "Pod";
  if (collection.ends_with("/namespaces")) return "Namespace";
  if (collection.ends_with("/nodes")) return "Node";
  if (collection.ends_with("/replicasets")) return "ReplicaSet";
  return "Object";
}

}  // namespace

std::string FakePod::Json() const {
  std::string owners;
  if (!owner_kind.empty()) {
    owners = R"(,"ownerReferences":[{"apiVersion":"apps/v1","kind":")" + owner_kind + R"(","name":")" +
             owner_name + R"(","uid":")" + owner_uid + R"(","controller":true}])";
  }
  return R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":")" + name + R"(","namespace":")" + ns +
         R"(","uid":")" + uid + R"(","resourceVersion":"%RV%","creationTimestamp":")" + start_time +
         R"(","labels":)" + MapJson(labels) + R"(,"annotations":)" + MapJson(annotations) + owners +
         R"(},"spec":{"nodeName":")" + node + R"(","hostNetwork":)" + (host_network ? "true" : "false") +
         R"(,"containers":[{"name":"app","image":")" + image +
         R"("}]},"status":{"phase":"Running","podIP":")" + ip + R"(","startTime":")" + start_time +
         R"(","containerStatuses":[{"name":"app","containerID":")" + container_id +
         R"(","restartCount":0,"imageID":"registry.example.com/shop/cart@sha256:abc123"}]}})";
}

std::string NamespaceJson(const std::string& name, const std::string& uid,
                          const std::map<std::string, std::string>& labels) {
  return R"({"kind":"Namespace","apiVersion":"v1","metadata":{"name":")" + name + R"(","uid":")" + uid +
         R"(","resourceVersion":"%RV%","labels":)" + MapJson(labels) + "}}";
}

std::string NodeJson(const std::string& name, const std::string& uid,
                     const std::map<std::string, std::string>& labels) {
  return R"({"kind":"Node","apiVersion":"v1","metadata":{"name":")" + name + R"(","uid":")" + uid +
         R"(","resourceVersion":"%RV%","labels":)" + MapJson(labels) + "}}";
}

std::string ReplicaSetJson(const std::string& ns, const std::string& name, const std::string& uid,
                           const std::string& deployment, const std::string& deployment_uid) {
  return R"({"kind":"ReplicaSet","apiVersion":"apps/v1","metadata":{"name":")" + name + R"(","namespace":")" +
         ns + R"(","uid":")" + uid +
         R"(","resourceVersion":"%RV%","ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":")" +
         deployment + R"(","uid":")" + deployment_uid + R"(","controller":true}]}})";
}

FakeApiServer::FakeApiServer(std::string token) : token_(std::move(token)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listen_fd_, 128);
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

FakeApiServer::~FakeApiServer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (int fd : conn_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  cv_.notify_all();
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  acceptor_.join();
  for (auto& t : workers_) t.join();
}

std::string FakeApiServer::WriteKubeConfig(const std::string& dir) const {
  const std::string path = dir + "/kubeconfig";
  std::ofstream out(path);
  out << "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
      << "clusters:\n- name: fake\n  cluster:\n    server: http://127.0.0.1:" << port_ << "\n"
      << "contexts:\n- name: test\n  context:\n    cluster: fake\n    user: tester\n"
      << "users:\n- name: tester\n  user:\n    token: " << (token_.empty() ? "none" : token_) << "\n";
  return path;
}

void FakeApiServer::Accept() {
  for (;;) {
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    std::lock_guard<std::mutex> lock(mu_);
    if (fd < 0 || stopping_) {
      if (fd >= 0) ::close(fd);
      return;
    }
    conn_fds_.push_back(fd);
    workers_.emplace_back([this, fd] { Serve(fd); });
  }
}

std::string FakeApiServer::Render(const Object& o) const {
  std::string json = o.json;
  const auto at = json.find("%RV%");
  if (at != std::string::npos) json.replace(at, 4, std::to_string(o.rv));
  return json;
}

bool FakeApiServer::Matches(const Object& o, const std::map<std::string, std::string>& query,
                            const std::string& ns) const {
  if (!ns.empty() && o.ns != ns) return false;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(o.json);
  auto field = [&](const std::string& path) -> std::string {
    std::string_view v;
    if (path == "spec.nodeName") return doc["spec"]["nodeName"].get(v) ? "" : std::string(v);
    if (path == "metadata.name") return o.name;
    if (path == "metadata.namespace") return o.ns;
    return "";
  };
  if (auto it = query.find("fieldSelector"); it != query.end()) {
    for (const std::string& term : Split(it->second, ',')) {
      const auto ne = term.find("!=");
      const auto eq = term.find('=');
      if (ne != std::string::npos) {
        if (field(term.substr(0, ne)) == term.substr(ne + 2)) return false;
      } else if (eq != std::string::npos) {
        if (field(term.substr(0, eq)) != term.substr(eq + 1)) return false;
      }
    }
  }
  if (auto it = query.find("labelSelector"); it != query.end()) {
    auto label = [&](const std::string& key, std::string* value) {
      std::string_view v;
      if (doc["metadata"]["labels"][key].get(v)) return false;
      *value = std::string(v);
      return true;
    };
    for (const std::string& term : Split(it->second, ',')) {
      std::string v;
      const auto ne = term.find("!=");
      const auto eq = term.find('=');
      if (ne != std::string::npos) {
        if (label(term.substr(0, ne), &v) && v == term.substr(ne + 2)) return false;
      } else if (eq != std::string::npos) {
        if (!label(term.substr(0, eq), &v) || v != term.substr(eq + 1)) return false;
      } else if (!term.empty() && term[0] == '!') {
        if (label(term.substr(1), &v)) return false;
      } else if (!label(term, &v)) {
        return false;
      }
    }
  }
  return true;
}

void FakeApiServer::Serve(int fd) {
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    head.append(buf, static_cast<std::size_t>(n));
  }
  auto finish = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase(conn_fds_, fd);
    ::close(fd);
  };
  const auto sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos) return finish();
  const std::string target = head.substr(sp1 + 1, sp2 - sp1 - 1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(target);
  }
  if (!token_.empty() && head.find("Authorization: Bearer " + token_ + "\r\n") == std::string::npos) {
    Answer(fd, 401, StatusJson(401, "Unauthorized", "Unauthorized"));
    return finish();
  }
  std::string path = target, query_text;
  if (const auto q = target.find('?'); q != std::string::npos) {
    path = target.substr(0, q);
    query_text = target.substr(q + 1);
  }
  std::map<std::string, std::string> query;
  for (const std::string& kv : Split(query_text, '&')) {
    const auto eq = kv.find('=');
    query[kv.substr(0, eq)] = eq == std::string::npos ? "" : Unescape(kv.substr(eq + 1));
  }
  // /api/v1/namespaces/<ns>/<resource> is <resource> within one namespace.
  // .../<resource>/<name> (and .../namespaces/<ns>/<resource>/<name>) is one object.
  std::string collection = path, ns, single;
  {
    const auto parts = Split(path, '/');  // "", "api", "v1", ...
    const std::size_t base = parts.size() > 1 && parts[1] == "api" ? 3 : 4;
    std::string prefix;
    for (std::size_t i = 1; i < base && i < parts.size(); ++i) prefix += "/" + parts[i];
    if (parts.size() >= base + 3 && parts[base] == "namespaces") {
      ns = parts[base + 1];
      collection = prefix + "/" + parts[base + 2];
      if (parts.size() == base + 4) single = parts[base + 3];
    } else if (parts.size() == base + 2) {
      collection = prefix + "/" + parts[base];
      single = parts[base + 1];
    }
  }
  const std::string kind = KindOf(collection);
  if (!single.empty()) {
    std::unique_lock<std::mutex> lock(mu_);
    const auto& objects = collections_[collection];
    auto it = objects.find(ns + "/" + single);
    const std::string body = it == objects.end() ? std::string() : Render(it->second);
    lock.unlock();
    std::string resource = collection.substr(collection.rfind('/') + 1);
    if (body.empty()) {
      Answer(fd, 404, StatusJson(404, "NotFound", resource + " \\\"" + single + "\\\" not found"));
    } else {
      Answer(fd, 200, body);
    }
    return finish();
  }
  if (query["watch"] != "true") {
    std::unique_lock<std::mutex> lock(mu_);
    const auto& objects = collections_[collection];
    std::vector<const Object*> matching;
    for (const auto& [key, o] : objects)
      if (Matches(o, query, ns)) matching.push_back(&o);
    std::size_t offset = 0;
    if (!query["continue"].empty()) {
      const auto colon = query["continue"].find(':');
      offset = std::stoul(query["continue"].substr(0, colon));
      if (std::stoull(query["continue"].substr(colon + 1)) <= compacted_) {
        lock.unlock();
        Answer(fd, 410, StatusJson(410, "Expired", "The provided continue parameter is too old"));
        return finish();
      }
    }
    const std::size_t limit = query["limit"].empty() ? matching.size() : std::stoul(query["limit"]);
    std::string items;
    const std::size_t end = std::min(matching.size(), offset + limit);
    for (std::size_t i = offset; i < end; ++i) {
      if (!items.empty()) items += ',';
      items += Render(*matching[i]);
    }
    std::string meta = R"("resourceVersion":")" + std::to_string(rv_) + "\"";
    if (end < matching.size())
      meta += R"(,"continue":")" + std::to_string(end) + ":" + std::to_string(rv_) + "\"";
    const std::string body = R"({"kind":")" + kind + R"(List","apiVersion":"v1","metadata":{)" + meta +
                             R"(},"items":[)" + items + "]}";
    lock.unlock();
    Answer(fd, 200, body);
    return finish();
  }

  // A watch: chunked newline-delimited events.
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !hold_ || stopping_; });
  }
  SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
  const std::string rv_text = query["resourceVersion"];
  const auto timeout =
      std::chrono::seconds(query["timeoutSeconds"].empty() ? 3600 : std::stol(query["timeoutSeconds"]));
  const auto until = std::chrono::steady_clock::now() + timeout;
  std::unique_lock<std::mutex> lock(mu_);
  ++open_watches_;
  const std::uint64_t from = rv_text.empty() || rv_text == "0" ? 0 : std::stoull(rv_text);
  std::uint64_t sent_rv;
  bool alive = true;
  if (from == 0) {
    // Current state first, as synthetic ADDED events.
    for (const auto& [key, o] : collections_[collection])
      if (alive && Matches(o, query, ns))
        alive = SendChunk(fd, R"({"type":"ADDED","object":)" + Render(o) + "}");
    sent_rv = rv_;
  } else if (from < compacted_) {
    SendChunk(fd, R"({"type":"ERROR","object":)" +
                      StatusJson(410, "Expired",
                                 "too old resource version: " + rv_text + " (" + std::to_string(rv_) + ")") +
                      "}");
    SendAll(fd, "0\r\n\r\n");
    --open_watches_;
    cv_.notify_all();
    lock.unlock();
    return finish();
  } else {
    sent_rv = from;
  }
  const std::uint64_t breaks = break_epoch_;
  std::uint64_t bookmarks = bookmark_epoch_;
  while (alive) {
    for (const Event& e : history_) {
      if (e.object.rv <= sent_rv || e.collection != collection) continue;
      if (Matches(e.object, query, ns))
        alive = alive && SendChunk(fd, R"({"type":")" + e.type + R"(","object":)" + Render(e.object) + "}");
    }
    if (!history_.empty()) sent_rv = std::max(sent_rv, history_.back().object.rv);
    if (bookmarks != bookmark_epoch_) {
      bookmarks = bookmark_epoch_;
      alive = alive && SendChunk(fd, R"({"type":"BOOKMARK","object":{"kind":")" + kind +
                                         R"(","apiVersion":"v1","metadata":{"resourceVersion":")" +
                                         std::to_string(rv_) + "\"}}}");
    }
    if (!alive || stopping_) break;
    if (breaks != break_epoch_) {
      ::shutdown(fd, SHUT_RDWR);  // cut, no last chunk
      alive = false;
      break;
    }
    if (cv_.wait_until(lock, until) == std::cv_status::timeout) {
      SendAll(fd, "0\r\n\r\n");
      break;
    }
  }
  --open_watches_;
  cv_.notify_all();
  lock.unlock();
  finish();
}

void FakeApiServer::Upsert(const std::string& collection, const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);
  std::string_view name, ns;
  if (doc["metadata"]["name"].get(name)) name = "";
  if (doc["metadata"]["namespace"].get(ns)) ns = "";
  std::lock_guard<std::mutex> lock(mu_);
  Object o{std::string(ns), std::string(name), json, ++rv_};
  auto& objects = collections_[collection];
  const std::string key = o.ns + "/" + o.name;
  const bool existed = objects.count(key) > 0;
  objects[key] = o;
  history_.push_back({collection, existed ? "MODIFIED" : "ADDED", o});
  cv_.notify_all();
}

void FakeApiServer::Delete(const std::string& collection, const std::string& ns, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& objects = collections_[collection];
  auto it = objects.find(ns + "/" + name);
  if (it == objects.end()) return;
  Object o = it->second;
  o.rv = ++rv_;
  objects.erase(it);
  history_.push_back({collection, "DELETED", o});
  cv_.notify_all();
}

void FakeApiServer::Compact() {
  std::lock_guard<std::mutex> lock(mu_);
  compacted_ = rv_;
  history_.clear();
}

void FakeApiServer::BreakWatches() {
  std::lock_guard<std::mutex> lock(mu_);
  ++break_epoch_;
  cv_.notify_all();
}

void FakeApiServer::HoldWatches(bool hold) {
  std::lock_guard<std::mutex> lock(mu_);
  hold_ = hold;
  cv_.notify_all();
}

void FakeApiServer::SendBookmarks() {
  std::lock_guard<std::mutex> lock(mu_);
  ++bookmark_epoch_;
  cv_.notify_all();
}

std::uint64_t FakeApiServer::resource_version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rv_;
}

std::size_t FakeApiServer::open_watches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_watches_;
}

std::vector<std::string> FakeApiServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::size_t FakeApiServer::count_requests(const std::string& prefix) const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<std::size_t>(std::count_if(requests_.begin(), requests_.end(),
                                                [&](const std::string& r) { return r.starts_with(prefix); }));
}

}  // namespace otlpd::test
