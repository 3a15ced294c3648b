#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/error.h"
#include "config/node.h"

namespace otlpd::config {

// Typed decoding of scalar nodes. Each throws Error (with the node's mark and
// `path`) when the node is not a value of that type: wrong kind, not a number,
// out of range. Types are strict, as otelcol's (go-yaml v3 types the value,
// then mapstructure decodes it without weak typing):
// - a string option refuses an unquoted YAML number or boolean (`endpoint: 5`,
//   `compression: true`, `min_version: 1.3`), in a list of strings and in a
//   map of strings too; a lone ${...} reference gives its text whatever it
//   reads as (Node::expanded());
// - a number or boolean option refuses a quoted value (`limit_mib: "100"`);
//   booleans are true/false (True, TRUE, ...) only, not YAML 1.1's yes/on;
// - an integer option (durations included: nanoseconds) takes a YAML float
//   cut toward zero (1.5 is 1), as mapstructure converts one.
void DecodeValue(const Node& node, std::string_view path, bool& out);
void DecodeValue(const Node& node, std::string_view path, std::int64_t& out);
void DecodeValue(const Node& node, std::string_view path, std::uint64_t& out);
void DecodeValue(const Node& node, std::string_view path, int& out);
void DecodeValue(const Node& node, std::string_view path, std::uint32_t& out);
void DecodeValue(const Node& node, std::string_view path, double& out);
void DecodeValue(const Node& node, std::string_view path, float& out);
void DecodeValue(const Node& node, std::string_view path, std::string& out);
// Go duration strings: "200ms", "1h30m", "1.5s", "0"; units ns, us, µs, ms, s, m, h.
// A bare integer is nanoseconds (as Go's time.Duration decodes one).
void DecodeValue(const Node& node, std::string_view path, std::chrono::nanoseconds& out);
void DecodeValue(const Node& node, std::string_view path, std::vector<std::string>& out);
void DecodeValue(const Node& node, std::string_view path, std::map<std::string, std::string>& out);

// Parses a Go duration; nullopt when malformed.
std::optional<std::chrono::nanoseconds> ParseGoDuration(std::string_view text);

// An octal number written as otelcol's `directory_permissions` are ("0750"):
// octal digits only, no sign or prefix; nullopt when empty, not octal, or
// beyond 32 bits. Callers check the permission bits they allow.
std::optional<std::uint32_t> ParseOctal(std::string_view text);

// What decoding read from one config map beyond the map itself, for
// `otlpd print-config`: the keys left at their defaults, with the default's
// value (a section read from nothing holds its own record), and the keys whose
// values are secrets (otelcol's configopaque fields, printed "[REDACTED]").
struct DecodedSection {
  struct Default {
    std::string key;
    std::optional<Node> value;                // a value the decoder left at its default
    std::unique_ptr<DecodedSection> section;  // a section decoded from nothing
  };
  std::vector<Default> defaults;  // in the order the decoder read them
  std::set<std::string, std::less<>> opaque;

  const Default* Find(std::string_view key) const;
  void SetDefault(std::string_view key, Node value);
  DecodedSection& Section(std::string_view key);
};

// The records of every config map decoded on one thread while a Scope lives:
// print-config loads the config as a run would, inside a Scope, and so learns
// every default and secret from the component's own decoder. There is no
// second description of any component's options to drift from the first.
class DecodeRecording {
 public:
  // Records the MapDecoders built on this thread while it lives (scopes nest).
  class Scope {
   public:
    explicit Scope(DecodeRecording& recording);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    DecodeRecording* previous_;
  };

  // The record of `map`, a node of the decoded tree; null when none read it.
  const DecodedSection* Find(const Node* map) const;
  DecodedSection& For(const Node* map);

 private:
  std::map<const Node*, std::unique_ptr<DecodedSection>> sections_;
};

// A decoded value as print-config shows it: what DecodeValue of the same type
// would read back ("5s" for a duration, an unquoted number, a quoted string).
Node RenderValue(bool v);
Node RenderValue(std::int64_t v);
Node RenderValue(std::uint64_t v);
Node RenderValue(int v);
Node RenderValue(std::uint32_t v);
Node RenderValue(double v);
Node RenderValue(float v);
Node RenderValue(const std::string& v);
Node RenderValue(std::chrono::nanoseconds v);
Node RenderValue(const std::vector<std::string>& v);
Node RenderValue(const std::map<std::string, std::string>& v);

// Reads one map-shaped config section (a component's config, or a block inside
// it) and remembers which keys were read, so Finish() can reject unknown keys.
// A null node (`otlp:` with nothing after it) decodes as an empty map: all
// defaults. Every error names the key path: "exporters.file.flush_interval".
class MapDecoder {
 public:
  // Throws when node is neither a map nor null.
  MapDecoder(const Node& node, std::string path);

  const std::string& path() const { return path_; }
  const Node& node() const { return *node_; }
  bool Has(std::string_view key) const;

  // Decodes key into out when present; leaves out (its default) when absent.
  // Returns whether the key was present.
  template <class T>
  bool Optional(std::string_view key, T& out) {
    const Node* n = Take(key);
    if (n == nullptr || n->IsNull()) RecordDefault(key, out);
    if (n == nullptr) return false;
    DecodeValue(*n, KeyPath(key), out);
    return true;
  }
  // Optional() of a secret (otelcol's configopaque.String, or a map of them):
  // print-config shows "[REDACTED]" in its place unless asked not to.
  template <class T>
  bool Opaque(std::string_view key, T& out) {
    if (record_ != nullptr) record_->opaque.emplace(key);
    return Optional(key, out);
  }
  // Same, but an absent key is an error, reported by Finish() after any
  // unknown key: a typo of a required key (`pathh:`) is named as the unknown
  // key it is, as otelcol does, not hidden behind "path is required". Returns
  // whether the key was present; out is left unchecked when it was not.
  template <class T>
  [[nodiscard]] bool Required(std::string_view key, T& out) {
    if (Optional(key, out)) return true;
    if (missing_.empty()) missing_ = std::string(key);
    return false;
  }

  // The raw node at key (marked as read), or nullptr when absent.
  const Node* Take(std::string_view key);
  // A decoder for the map under key; an absent or null key gives an empty map.
  MapDecoder Child(std::string_view key);

  // For a list of maps under `key` (absent or null: an empty list): calls
  // each(item) with a decoder for every map, whose path is "<key>[i]".
  // Throws when `key` holds something else than a list.
  template <class F>
  void EachMap(std::string_view key, F&& each) {
    const Node* list = Take(key);
    if (list == nullptr || list->IsNull()) return;
    const std::string path = KeyPath(key);
    if (!list->IsSequence()) throw Error(list->mark(), path, "expected a list");
    for (std::size_t i = 0; i < list->items().size(); ++i) {
      MapDecoder item(list->items()[i], path + "[" + std::to_string(i) + "]");
      each(item);
    }
  }

  // Throws Error located at key (or at this map when the key is absent).
  [[noreturn]] void Fail(std::string_view key, std::string_view message) const;
  // An absent required key, at once. Names an unread key of this map that
  // looks like a typo of it (case, or up to two edits) instead, when there is one.
  [[noreturn]] void FailMissing(std::string_view key) const;

  // Throws for the first key that was never read: "has invalid keys: foo";
  // then for the first key Required() did not find: "path: is required".
  void Finish() const;

  std::string KeyPath(std::string_view key) const;

  // For an option otelcol reads into an integer type that also takes names
  // (configtelemetry.Level: debug's verbosity, service.telemetry.metrics.level;
  // zapcore.Level: service.telemetry.logs.level). An unquoted YAML number there
  // is the level's number, as mapstructure decodes it (a float cut toward
  // zero); a boolean is refused, naming go_type. Returns that number (the key
  // is then read), or nullopt when the key is absent, null or text, which the
  // caller reads with Optional() as a name ("5" quoted is a name, and unknown).
  std::optional<std::int64_t> LevelNumber(std::string_view key, std::string_view go_type);

  // For otelcol's configoptional sections: reads the section's own `enabled`
  // (a bool, default true); `enabled: false` means the section is off, as if absent.
  bool SectionEnabled();

 private:
  const Node* node_;
  std::string path_;
  std::set<std::string, std::less<>> read_;
  template <class T>
  void RecordDefault(std::string_view key, const T& value) {
    if constexpr (requires { RenderValue(value); }) {
      if (record_ != nullptr) record_->SetDefault(key, RenderValue(value));
    }
  }

  std::string missing_;               // the first key Required() did not find
  DecodedSection* record_ = nullptr;  // print-config's record, while one is taken
  // Where errors about this map as a whole point: the node's own mark, or the
  // parent's when the map is absent (Child() of a missing key).
  Mark mark_;
};

}  // namespace otlpd::config
