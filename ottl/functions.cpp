#include "ottl/functions.h"

#include <openssl/evp.h>
#include <re2/re2.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <memory>
#include <set>

#include "internal/go_parse.h"
#include "internal/text.h"
#include "ottl/json_parse.h"
#include "ottl/time_parse.h"

namespace otlpd::ottl {
namespace {

using MapFn = std::function<Result<Attrs*>(EvalContext&)>;

Status TypeError(std::string_view expected, const Value& got) {
  return Status::InvalidArgument("expected " + std::string(expected) + " but got " +
                                 (got.is_nil() ? std::string("nil") : std::string(got.TypeName())));
}

// Go regexp via RE2: same syntax and semantics (no backreferences or
// lookaround), compiled once at config time for literal patterns.
std::shared_ptr<const RE2> CompileRegex(Args& a, std::size_t i, std::string_view fn) {
  const std::string pattern = a.LiteralString(i);
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const RE2>(pattern, options);
  if (!re->ok()) {
    a.Fail(i, "the regex pattern supplied to " + std::string(fn) + " '\"" + pattern +
                  "\"' is not a valid pattern: " + re->error());
  }
  return re;
}

// gobwas/glob (no separators) as an anchored RE2: * any run, ? one rune,
// [abc] [!abc] [a-z] classes, {a,b} alternatives, \ escapes.
std::shared_ptr<const RE2> CompileGlob(Args& a, std::size_t i) {
  const std::string glob = a.LiteralString(i);
  std::string re = "(?s)^";
  int braces = 0;
  for (std::size_t k = 0; k < glob.size(); ++k) {
    const char c = glob[k];
    switch (c) {
      case '*': re += ".*"; break;
      case '?': re += "."; break;
      case '\\':
        if (k + 1 < glob.size()) re += RE2::QuoteMeta(std::string(1, glob[++k]));
        break;
      case '[': {
        const std::size_t end = glob.find(']', k + 1);
        if (end == std::string::npos) a.Fail(i, "unexpected end of input in glob \"" + glob + "\"");
        std::string cls = glob.substr(k + 1, end - k - 1);
        re += '[';
        std::size_t start = 0;
        if (!cls.empty() && cls[0] == '!') {
          re += '^';
          start = 1;
        }
        for (std::size_t j = start; j < cls.size(); ++j) {
          if (cls[j] == '\\' || cls[j] == '[' || cls[j] == ']' || cls[j] == '^') re += '\\';
          re += cls[j];
        }
        re += ']';
        k = end;
        break;
      }
      case '{':
        ++braces;
        re += "(?:";
        break;
      case '}':
        if (braces == 0) {
          re += "\\}";
        } else {
          --braces;
          re += ")";
        }
        break;
      case ',': re += braces > 0 ? "|" : ","; break;
      default: re += RE2::QuoteMeta(std::string(1, c));
    }
  }
  if (braces != 0) a.Fail(i, "unexpected end of input in glob \"" + glob + "\"");
  re += "$";
  RE2::Options options;
  options.set_log_errors(false);
  auto out = std::make_shared<const RE2>(re, options);
  if (!out->ok()) a.Fail(i, "invalid glob \"" + glob + "\": " + out->error());
  return out;
}

// Go's Regexp.Expand: $1, ${1}, $name, ${name}, $$.
void Expand(const RE2& re, std::string_view tmpl, const std::vector<re2::StringPiece>& groups,
            std::string& out) {
  const auto& names = re.NamedCapturingGroups();
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '$' || i + 1 >= tmpl.size()) {
      out += tmpl[i];
      continue;
    }
    std::string name;
    std::size_t next = i + 1;
    if (tmpl[next] == '$') {
      out += '$';
      ++i;
      continue;
    }
    bool ok = false;
    if (tmpl[next] == '{') {
      const std::size_t end = tmpl.find('}', next + 1);
      if (end != std::string_view::npos) {
        name = std::string(tmpl.substr(next + 1, end - next - 1));
        ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
        });
        next = end + 1;
      }
    } else {
      std::size_t end = next;
      while (end < tmpl.size() && (std::isalnum(static_cast<unsigned char>(tmpl[end])) || tmpl[end] == '_'))
        ++end;
      name = std::string(tmpl.substr(next, end - next));
      ok = !name.empty();
      next = end;
    }
    if (!ok) {
      out += '$';
      continue;
    }
    int index = -1;
    if (std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      if (name.size() < 10) index = std::stoi(name);
    } else if (auto it = names.find(name); it != names.end()) {
      index = it->second;
    }
    if (index >= 0 && static_cast<std::size_t>(index) < groups.size() && groups[index].data() != nullptr) {
      out.append(groups[index].data(), groups[index].size());
    }
    i = next - 1;
  }
}

// Every non-overlapping match of `re` in `src` as Go's regexp iterates them
// (an empty match right after the previous one is skipped).
template <class F>
void ForEachMatch(const RE2& re, std::string_view src, F f) {
  const int n = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> groups(static_cast<std::size_t>(n));
  std::size_t search = 0;
  std::size_t last_end = 0;
  bool first = true;
  while (search <= src.size()) {
    if (!re.Match(re2::StringPiece(src.data(), src.size()), search, src.size(), RE2::UNANCHORED,
                  groups.data(), n))
      break;
    const std::size_t a0 = static_cast<std::size_t>(groups[0].data() - src.data());
    const std::size_t a1 = a0 + groups[0].size();
    if (a1 > last_end || a0 == 0 || first) f(a0, a1, groups);
    first = false;
    last_end = a1;
    const std::size_t width =
        Utf8LeadWidth(static_cast<unsigned char>(search < src.size() ? src[search] : 0));
    if (search + width > a1) {
      search += width;
    } else if (search + 1 > a1) {
      ++search;
    } else {
      search = a1;
    }
  }
}

// Go's ReplaceAllString.
std::string ReplaceAll(const RE2& re, std::string_view src, std::string_view repl) {
  std::string out;
  std::size_t last = 0;
  ForEachMatch(re, src, [&](std::size_t a0, std::size_t a1, const std::vector<re2::StringPiece>& g) {
    out.append(src.substr(last, a0 - last));
    Expand(re, repl, g, out);
    last = a1;
  });
  out.append(src.substr(std::min(last, src.size())));
  return out;
}

// `replacement_format`: exactly one %s, no other verb.
std::string CheckFormat(Args& a, std::size_t i) {
  if (!a.Has(i)) return "";
  const std::string f = a.LiteralString(i);
  int count = 0;
  for (std::size_t k = 0; k < f.size(); ++k) {
    if (f[k] != '%') continue;
    if (k + 1 < f.size() && f[k + 1] == '%') {
      ++k;
      continue;
    }
    if (k + 1 < f.size() && f[k + 1] == 's') {
      ++count;
      ++k;
      continue;
    }
    count = 99;
  }
  if (count != 1)
    a.Fail(i,
           "replacementFormat must be format string containing a single %s and no other format specifiers");
  return f;
}

std::string Sprintf1(const std::string& format, const std::string& s) {
  std::string out;
  for (std::size_t k = 0; k < format.size(); ++k) {
    if (format[k] == '%' && k + 1 < format.size()) {
      if (format[k + 1] == 's') out += s;
      if (format[k + 1] == '%') out += '%';
      ++k;
      continue;
    }
    out += format[k];
  }
  return out;
}

// replace_pattern with a function: each match is expanded, passed to the
// converter (SHA256, ...), formatted, and written at the match's position
// (ottlfuncs applyOptReplaceFunction, v0.161.0).
Result<std::string> ReplaceWithFunction(const RE2& re, const std::string& original,
                                        const std::string& replacement, const std::string& fn,
                                        const std::string& format) {
  std::string out;
  std::size_t last = 0;
  Status failed;
  ForEachMatch(re, original, [&](std::size_t a0, std::size_t a1, const std::vector<re2::StringPiece>& g) {
    if (!failed.ok()) return;
    std::string expanded;
    Expand(re, replacement, g, expanded);
    Result<Value> v = CallConverterOnString(fn, expanded);
    if (!v.ok() || v->kind() != Value::Kind::kString) {
      failed = v.ok() ? Status::InvalidArgument("the replacement value must be a string") : v.status();
      return;
    }
    out.append(original, last, a0 - last);
    out += format.empty() ? v->as_string() : Sprintf1(format, v->as_string());
    last = a1;
  });
  if (!failed.ok()) return failed;
  out.append(original, std::min(last, original.size()), std::string::npos);
  return out;
}

std::string Digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
  return HexLower(std::string_view(reinterpret_cast<const char*>(out), len));
}

// ASCII case mapping only: non-ASCII bytes pass through unchanged (Go's
// strings.ToUpper/ToLower would also map other scripts).
std::string MapCase(const std::string& s, bool upper) { return upper ? AsciiUpper(s) : AsciiLower(s); }

Editor MapEditor(MapFn target, std::function<Status(Attrs&)> f) {
  return [target, f](EvalContext& c) -> Status {
    Result<Attrs*> m = target(c);
    if (!m.ok()) return m.status();
    return f(**m);
  };
}

template <class Pred>
void RemoveKeysIf(Attrs& attrs, Pred keep) {
  int w = 0;
  for (int r = 0; r < attrs.size(); ++r) {
    if (keep(attrs.Get(r))) {
      if (w != r) attrs.SwapElements(w, r);
      ++w;
    }
  }
  attrs.DeleteSubrange(w, attrs.size() - w);
}

// -------------------------------------------------------------------------

Editor MakeSet(Args& a) {
  Target t = a.PathTarget(0);
  Getter v = a.Get(1);
  return [t, v](EvalContext& c) -> Status {
    Result<Value> val = v(c);
    if (!val.ok()) return val.status();
    return t.set(c, *val);
  };
}

Editor MakeDeleteKey(Args& a) {
  MapFn target = a.MapTarget(0);
  const std::string key = a.LiteralString(1);
  return MapEditor(target, [key](Attrs& m) {
    // pcommon's Map.Remove moves the last entry into the freed slot.
    for (int i = 0; i < m.size(); ++i) {
      if (m.Get(i).key() == key) {
        if (i != m.size() - 1) m.SwapElements(i, m.size() - 1);
        m.RemoveLast();
        break;
      }
    }
    return Status::Ok();
  });
}

Editor MakeDeleteMatchingKeys(Args& a) {
  MapFn target = a.MapTarget(0);
  auto re = CompileRegex(a, 1, "delete_matching_keys");
  return MapEditor(target, [re](Attrs& m) {
    RemoveKeysIf(m, [&](const KeyValue& kv) { return !RE2::PartialMatch(kv.key(), *re); });
    return Status::Ok();
  });
}

Editor MakeKeepKeys(Args& a) {
  MapFn target = a.MapTarget(0);
  const std::vector<std::string> list = a.LiteralStringList(1);
  std::set<std::string> keys(list.begin(), list.end());
  return MapEditor(target, [keys](Attrs& m) {
    RemoveKeysIf(m, [&](const KeyValue& kv) { return keys.count(kv.key()) > 0; });
    return Status::Ok();
  });
}

Editor MakeKeepMatchingKeys(Args& a) {
  MapFn target = a.MapTarget(0);
  auto re = CompileRegex(a, 1, "keep_matching_keys");
  return MapEditor(target, [re](Attrs& m) {
    RemoveKeysIf(m, [&](const KeyValue& kv) { return RE2::PartialMatch(kv.key(), *re); });
    return Status::Ok();
  });
}

struct Replacement {
  Getter replacement;
  std::string function;
  std::string format;
};

Replacement ReplacementArgs(Args& a, std::size_t first) {
  Replacement r;
  r.replacement = a.Get(first);
  if (a.Has(first + 1)) r.function = a.FunctionName(first + 1);
  r.format = CheckFormat(a, first + 2);
  if (!r.format.empty() && r.function.empty()) a.Fail(first + 2, "requires a function");
  return r;
}

Result<std::string> ReplacementString(const Replacement& r, EvalContext& c) {
  Result<Value> v = r.replacement(c);
  if (!v.ok()) return v.status();
  if (v->kind() != Value::Kind::kString) return TypeError("string", *v);
  return v->as_string();
}

Editor MakeReplacePattern(Args& a) {
  Target t = a.PathTarget(0);
  auto re = CompileRegex(a, 1, "replace_pattern");
  Replacement r = ReplacementArgs(a, 2);
  return [t, re, r](EvalContext& c) -> Status {
    Result<Value> v = t.get(c);
    if (!v.ok()) return v.status();
    if (v->kind() != Value::Kind::kString) return Status::Ok();
    Result<std::string> repl = ReplacementString(r, c);
    if (!repl.ok()) return repl.status();
    const std::string& s = v->as_string();
    if (!RE2::PartialMatch(s, *re)) return Status::Ok();
    if (r.function.empty()) return t.set(c, Value::String(ReplaceAll(*re, s, *repl)));
    Result<std::string> out = ReplaceWithFunction(*re, s, *repl, r.function, r.format);
    if (!out.ok()) return out.status();
    return t.set(c, Value::String(*out));
  };
}

Editor MakeReplaceAllPatterns(Args& a) {
  MapFn target = a.MapTarget(0);
  const std::string mode = a.LiteralString(1);
  if (mode != "key" && mode != "value")
    a.Fail(1, "invalid mode " + mode + ", must be either 'key' or 'value'");
  auto re = CompileRegex(a, 2, "replace_all_patterns");
  Replacement r = ReplacementArgs(a, 3);
  const bool keys = mode == "key";
  return [target, re, r, keys](EvalContext& c) -> Status {
    Result<Attrs*> m = target(c);
    if (!m.ok()) return m.status();
    Result<std::string> repl = ReplacementString(r, c);
    if (!repl.ok()) return repl.status();
    for (KeyValue& kv : **m) {
      std::string* s =
          keys ? kv.mutable_key()
               : (kv.value().has_string_value() ? kv.mutable_value()->mutable_string_value() : nullptr);
      if (s == nullptr || !RE2::PartialMatch(*s, *re)) continue;
      if (r.function.empty()) {
        *s = ReplaceAll(*re, *s, *repl);
      } else {
        Result<std::string> out = ReplaceWithFunction(*re, *s, *repl, r.function, r.format);
        if (out.ok()) *s = *out;  // a failing function skips the item
      }
    }
    if (keys) {
      // otelcol rebuilds the map with PutEmpty: a renamed key that meets an
      // existing one overwrites it in the first one's place.
      Attrs out;
      for (KeyValue& kv : **m) {
        KeyValue* existing = nullptr;
        for (KeyValue& o : out) {
          if (o.key() == kv.key()) existing = &o;
        }
        if (existing != nullptr) {
          existing->mutable_value()->Swap(kv.mutable_value());
        } else {
          out.Add()->Swap(&kv);
        }
      }
      (*m)->Swap(&out);
    }
    return Status::Ok();
  };
}

Result<std::string> GlobReplacement(const Replacement& r, EvalContext& c) {
  Result<std::string> repl = ReplacementString(r, c);
  if (!repl.ok() || r.function.empty()) return repl;
  Result<Value> v = CallConverterOnString(r.function, *repl);
  if (!v.ok()) return v.status();
  if (v->kind() != Value::Kind::kString) return Status::InvalidArgument("replacement value is not a string");
  return r.format.empty() ? v->as_string() : Sprintf1(r.format, v->as_string());
}

Editor MakeReplaceMatch(Args& a) {
  Target t = a.PathTarget(0);
  auto glob = CompileGlob(a, 1);
  Replacement r = ReplacementArgs(a, 2);
  return [t, glob, r](EvalContext& c) -> Status {
    Result<Value> v = t.get(c);
    if (!v.ok()) return v.status();
    if (v->kind() != Value::Kind::kString || !RE2::FullMatch(v->as_string(), *glob)) return Status::Ok();
    Result<std::string> repl = GlobReplacement(r, c);
    if (!repl.ok()) return repl.status();
    return t.set(c, Value::String(*repl));
  };
}

Editor MakeReplaceAllMatches(Args& a) {
  MapFn target = a.MapTarget(0);
  auto glob = CompileGlob(a, 1);
  Replacement r = ReplacementArgs(a, 2);
  return [target, glob, r](EvalContext& c) -> Status {
    Result<Attrs*> m = target(c);
    if (!m.ok()) return m.status();
    Result<std::string> repl = GlobReplacement(r, c);
    if (!repl.ok()) return repl.status();
    for (KeyValue& kv : **m) {
      if (kv.value().has_string_value() && RE2::FullMatch(kv.value().string_value(), *glob)) {
        kv.mutable_value()->set_string_value(*repl);
      }
    }
    return Status::Ok();
  };
}

// The largest cut <= limit that does not split a UTF-8 sequence.
std::size_t Utf8Cut(const std::string& s, std::size_t limit) {
  std::size_t cut = limit;
  while (cut > 0 && cut < s.size() && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

Editor MakeTruncateAll(Args& a) {
  MapFn target = a.MapTarget(0);
  const std::int64_t limit = a.LiteralInt(1);
  if (limit < 0)
    a.Fail(1, "invalid limit for truncate_all function, " + std::to_string(limit) + " cannot be negative");
  const bool utf8_safe = a.Has(2) ? a.LiteralBool(2) : true;
  const std::string marker = a.Has(3) ? a.LiteralString(3) : "";
  if (static_cast<std::int64_t>(marker.size()) > limit) {
    a.Fail(3, "invalid truncation marker for truncate_all function, length of marker " +
                  std::to_string(marker.size()) + " cannot be greater than limit " + std::to_string(limit));
  }
  const auto lim = static_cast<std::size_t>(limit);
  return MapEditor(target, [lim, utf8_safe, marker](Attrs& m) {
    for (KeyValue& kv : m) {
      if (!kv.value().has_string_value()) continue;
      std::string& s = *kv.mutable_value()->mutable_string_value();
      if (s.size() <= lim) continue;
      std::size_t cut = lim - marker.size();
      if (utf8_safe) cut = Utf8Cut(s, cut);
      s.resize(cut);
      s += marker;
    }
    return Status::Ok();
  });
}

Editor MakeLimit(Args& a) {
  MapFn target = a.MapTarget(0);
  const std::int64_t limit = a.LiteralInt(1);
  if (limit < 0)
    a.Fail(1, "invalid limit for limit function, " + std::to_string(limit) + " cannot be negative");
  const std::vector<std::string> prio = a.LiteralStringList(2);
  if (limit < static_cast<std::int64_t>(prio.size())) {
    a.Fail(1, "invalid limit for limit function, " + std::to_string(limit) +
                  " cannot be less than number of priority attributes " + std::to_string(prio.size()));
  }
  const std::set<std::string> keys(prio.begin(), prio.end());
  return MapEditor(target, [limit, keys](Attrs& m) {
    if (m.size() <= limit) return Status::Ok();
    std::int64_t count = 0;
    for (const KeyValue& kv : m) count += keys.count(kv.key()) ? 1 : 0;
    RemoveKeysIf(m, [&](const KeyValue& kv) {
      if (keys.count(kv.key())) return true;
      if (count < limit) {
        ++count;
        return true;
      }
      return false;
    });
    return Status::Ok();
  });
}

Editor MakeMergeMaps(Args& a) {
  MapFn target = a.MapTarget(0);
  Getter source = a.Get(1);
  const std::string strategy = a.LiteralString(2);
  if (strategy != "insert" && strategy != "update" && strategy != "upsert") {
    a.Fail(2, "invalid value for strategy, " + strategy + ", must be 'insert', 'update' or 'upsert'");
  }
  return [target, source, strategy](EvalContext& c) -> Status {
    Result<Attrs*> m = target(c);
    if (!m.ok()) return m.status();
    Result<Value> src = source(c);
    if (!src.ok()) return src.status();
    if (src->kind() != Value::Kind::kMap) return TypeError("pcommon.Map", *src);
    for (const KeyValue& kv : src->as_map().kvlist_value().values()) {
      KeyValue* existing = nullptr;
      for (KeyValue& t : **m) {
        if (t.key() == kv.key()) {
          existing = &t;
          break;
        }
      }
      if (existing != nullptr && strategy != "insert") {
        *existing->mutable_value() = kv.value();
      } else if (existing == nullptr && strategy != "update") {
        *(*m)->Add() = kv;
      }
    }
    return Status::Ok();
  };
}

// pcommon Map.PutEmpty: an existing key keeps its place, its value cleared.
AnyValue* PutEmpty(Attrs& m, const std::string& key) {
  for (KeyValue& kv : m) {
    if (kv.key() == key) {
      kv.mutable_value()->Clear();
      return kv.mutable_value();
    }
  }
  KeyValue* kv = m.Add();
  kv->set_key(key);
  return kv->mutable_value();
}

// A line-by-line port of ottlfuncs/func_flatten.go (v0.161.0), quirks
// included: elements of a nested slice get no '.' before their index.
struct Flattener {
  Attrs result;
  std::map<std::string, int> existing;
  bool resolve = false;
  std::int64_t max_depth = 0;

  void Map(const Attrs& m, std::string prefix, std::int64_t depth) {
    if (!prefix.empty()) prefix += ".";
    for (const KeyValue& kv : m) Value(kv.key(), kv.value(), depth, prefix);
  }
  void Slice(const AnyValue& s, const std::string& prefix, std::int64_t depth) {
    const auto& items = s.array_value().values();
    for (int i = 0; i < items.size(); ++i) Value(std::to_string(i), items.Get(i), depth + 1, prefix);
  }
  void Value(const std::string& k, const AnyValue& v, std::int64_t depth, const std::string& prefix) {
    if (v.has_kvlist_value() && depth < max_depth) {
      Map(v.kvlist_value().values(), prefix + k, depth + 1);
    } else if (v.has_array_value() && depth < max_depth) {
      const auto& items = v.array_value().values();
      for (int i = 0; i < items.size(); ++i) {
        const AnyValue& item = items.Get(i);
        const std::string indexed = prefix + k + "." + std::to_string(i);
        if (item.has_kvlist_value() && depth + 1 < max_depth) {
          Map(item.kvlist_value().values(), indexed, depth + 2);
        } else if (item.has_array_value() && depth + 1 < max_depth) {
          Slice(item, indexed, depth + 2);
        } else if (resolve) {
          Conflict(prefix + k, item);
        } else {
          *PutEmpty(result, indexed) = item;
        }
      }
    } else if (resolve) {
      Conflict(prefix + k, v);
    } else {
      *PutEmpty(result, prefix + k) = v;
    }
  }
  void Conflict(const std::string& key, const AnyValue& v) {
    bool exists = false;
    for (const KeyValue& kv : result) exists = exists || kv.key() == key;
    if (exists) {
      const std::string new_key = key + "." + std::to_string(existing[key]++);
      *PutEmpty(result, new_key) = v;
    } else {
      existing[key] = 0;
      *PutEmpty(result, key) = v;
    }
  }
};

Editor MakeFlatten(Args& a) {
  MapFn target = a.MapTarget(0);
  const std::string prefix = a.Has(1) ? a.LiteralString(1) : "";
  std::int64_t depth = std::numeric_limits<std::int64_t>::max();
  if (a.Has(2)) {
    depth = a.LiteralInt(2);
    if (depth < 1)
      a.Fail(2, "invalid depth '" + std::to_string(depth) + "' for flatten function, must be greater than 0");
  }
  const bool resolve = a.Has(3) ? a.LiteralBool(3) : false;
  return MapEditor(target, [prefix, depth, resolve](Attrs& m) {
    Flattener f;
    f.resolve = resolve;
    f.max_depth = depth;
    f.Map(m, prefix, 0);
    m.Swap(&f.result);
    return Status::Ok();
  });
}

// ---- converters

template <class F>
Getter Unary(Getter g, F f) {
  return [g, f](EvalContext& c) -> Result<Value> {
    Result<Value> v = g(c);
    if (!v.ok()) return v;
    return f(*v);
  };
}

Getter MakeConcat(Args& a) {
  std::vector<Getter> vals = a.GetterList(0);
  const std::string delim = a.LiteralString(1);
  return [vals, delim](EvalContext& c) -> Result<Value> {
    std::string out;
    for (std::size_t i = 0; i < vals.size(); ++i) {
      Result<Value> v = vals[i](c);
      if (!v.ok()) return v;
      Result<std::optional<std::string>> s = AsStringLike(*v);
      if (!s.ok()) return s.status();
      if (i > 0) out += delim;
      out += s->has_value() ? **s : "<nil>";
    }
    return Value::String(std::move(out));
  };
}

Getter MakeSplit(Args& a) {
  Getter target = a.Get(0);
  const std::string delim = a.LiteralString(1);
  return Unary(target, [delim](const Value& v) -> Result<Value> {
    Result<std::string> s = ExpectString(v);
    if (!s.ok()) return s.status();
    AnyValue any;
    auto* arr = any.mutable_array_value();
    if (delim.empty()) {
      for (std::size_t i = 0; i < s->size();) {
        const std::size_t n = Utf8LeadWidth(static_cast<unsigned char>((*s)[i]));
        arr->add_values()->set_string_value(s->substr(i, n));
        i += n;
      }
    } else {
      std::size_t start = 0;
      for (;;) {
        const std::size_t at = s->find(delim, start);
        arr->add_values()->set_string_value(
            s->substr(start, at == std::string::npos ? std::string::npos : at - start));
        if (at == std::string::npos) break;
        start = at + delim.size();
      }
    }
    return Value::Slice(std::move(any));
  });
}

Getter MakeSubstring(Args& a) {
  Getter target = a.Get(0);
  Getter start = a.Get(1);
  Getter length = a.Get(2);
  return [target, start, length](EvalContext& c) -> Result<Value> {
    Result<Value> t = target(c);
    if (!t.ok()) return t;
    Result<std::string> s = ExpectString(*t);
    if (!s.ok()) return s.status();
    Result<Value> sv = start(c);
    if (!sv.ok()) return sv;
    Result<std::int64_t> st = ExpectInt(*sv);
    if (!st.ok()) return st.status();
    Result<Value> lv = length(c);
    if (!lv.ok()) return lv;
    Result<std::int64_t> len = ExpectInt(*lv);
    if (!len.ok()) return len.status();
    if (*st < 0)
      return Status::InvalidArgument("invalid start for substring function, " + std::to_string(*st) +
                                     " cannot be negative");
    if (*len <= 0) {
      return Status::InvalidArgument("invalid length for substring function, " + std::to_string(*len) +
                                     " cannot be negative or zero");
    }
    if (*st + *len > static_cast<std::int64_t>(s->size())) {
      return Status::InvalidArgument("invalid range for substring function, " + std::to_string(*st + *len) +
                                     " cannot be greater than the length of target string(" +
                                     std::to_string(s->size()) + ")");
    }
    return Value::String(s->substr(static_cast<std::size_t>(*st), static_cast<std::size_t>(*len)));
  };
}

Getter MakeCase(Args& a, bool upper) {
  return Unary(a.Get(0), [upper](const Value& v) -> Result<Value> {
    Result<std::string> s = ExpectString(v);
    if (!s.ok()) return s.status();
    return Value::String(MapCase(*s, upper));
  });
}

Getter MakeIsMatch(Args& a) {
  Getter target = a.Get(0);
  auto re = CompileRegex(a, 1, "IsMatch");
  return Unary(target, [re](const Value& v) -> Result<Value> {
    Result<std::optional<std::string>> s = AsStringLike(v);
    if (!s.ok()) return s.status();
    if (!s->has_value()) return Value::Bool(false);
    return Value::Bool(RE2::PartialMatch(**s, *re));
  });
}

Getter MakeIsKind(Args& a, Value::Kind kind) {
  return Unary(a.Get(0), [kind](const Value& v) -> Result<Value> { return Value::Bool(v.kind() == kind); });
}

// Int, Double, String: the argument in that form (`as`), nil when it has none.
template <class As, class Make>
Getter MakeConversion(Args& a, As as, Make make) {
  return Unary(a.Get(0), [as, make](const Value& v) -> Result<Value> {
    auto converted = as(v);
    if (!converted.ok()) return converted.status();
    return converted->has_value() ? make(**converted) : Value();
  });
}

Getter MakeInt(Args& a) {
  return MakeConversion(a, AsIntLike, [](std::int64_t i) { return Value::Int(i); });
}

Getter MakeDouble(Args& a) {
  return MakeConversion(a, AsFloatLike, [](double d) { return Value::Double(d); });
}

Getter MakeString(Args& a) {
  return MakeConversion(a, AsStringLike, [](const std::string& s) { return Value::String(s); });
}

Getter MakeLen(Args& a) {
  return Unary(a.Get(0), [](const Value& v) -> Result<Value> {
    switch (v.kind()) {
      case Value::Kind::kString: return Value::Int(static_cast<std::int64_t>(v.as_string().size()));
      case Value::Kind::kBytes: return Value::Int(static_cast<std::int64_t>(v.as_bytes().data.size()));
      case Value::Kind::kMap: return Value::Int(v.as_map().kvlist_value().values_size());
      case Value::Kind::kSlice: return Value::Int(v.as_slice().array_value().values_size());
      default:
        return Status::InvalidArgument("Len: unsupported target type " +
                                       std::string(v.is_nil() ? "<nil>" : v.TypeName()) +
                                       ". target arg must be of type string, []any, map[string]any, "
                                       "pcommon.Map, pcommon.Slice, pcommon.Value "
                                       "(of type String, Map, Slice) or a supported slice type from the "
                                       "plog, pmetric or ptrace packages");
    }
  });
}

Getter MakeParseJSON(Args& a) {
  return Unary(a.Get(0), [](const Value& v) -> Result<Value> {
    Result<std::string> s = ExpectString(v);
    if (!s.ok()) return s.status();
    return ParseJsonValue(*s);
  });
}

Getter MakeHash(Args& a, const EVP_MD* (*md)()) {
  return Unary(a.Get(0), [md](const Value& v) -> Result<Value> {
    Result<std::string> s = ExpectString(v);
    if (!s.ok()) return s.status();
    return Value::String(Digest(md(), *s));
  });
}

Getter MakeTime(Args& a) {
  Getter input = a.Get(0);
  const std::string format = a.LiteralString(1);
  if (format.empty()) a.Fail(1, "format cannot be nil");
  std::string location = a.Has(2) ? a.LiteralString(2) : "";
  if (a.Has(3)) a.Fail(3, "is not supported by otlpd");
  std::string error;
  auto layout = CompileTimeFormat(format, &error);
  if (!layout) a.Fail(1, error);
  auto tz = LoadLocation(location, &error);
  if (!tz) a.Fail(2, error);
  return Unary(input, [layout, tz](const Value& v) -> Result<Value> {
    Result<std::string> s = ExpectString(v);
    if (!s.ok()) return s.status();
    if (s->empty()) return Status::InvalidArgument("time cannot be nil");
    Result<std::int64_t> ns = ParseTime(*layout, *tz, *s);
    if (!ns.ok()) return ns.status();
    return Value::TimeNs(*ns);
  });
}

Getter MakeNow(Args&) {
  return [](EvalContext& c) -> Result<Value> {
    if (c.now_ns != 0) return Value::TimeNs(c.now_ns);
    return Value::TimeNs(std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count());
  };
}

Getter MakeUnixNano(Args& a) {
  return Unary(a.Get(0), [](const Value& v) -> Result<Value> {
    if (v.kind() != Value::Kind::kTime) return TypeError("time.Time", v);
    return Value::Int(v.as_time());
  });
}

Getter MakeId(Args& a, int size) {
  const std::string name = size == 16 ? "TraceID" : "SpanID";
  return Unary(a.Get(0), [size, name](const Value& v) -> Result<Value> {
    std::string raw;
    switch (v.kind()) {
      case Value::Kind::kBytes: raw = v.as_bytes().data; break;
      case Value::Kind::kString: raw = v.as_string(); break;
      case Value::Kind::kNil: return TypeError("[]byte", v);
      default: return Status::InvalidArgument("unsupported type " + std::string(v.TypeName()));
    }
    if (raw.size() == static_cast<std::size_t>(size) * 2) {
      std::string decoded;
      if (!DecodeHex(raw, decoded))
        return Status::InvalidArgument(name + ": could not decode ID: invalid hex");
      raw = std::move(decoded);
    }
    if (raw.size() != static_cast<std::size_t>(size)) {
      return Status::InvalidArgument(name + ": could not decode ID: invalid length: expected " +
                                     std::to_string(size) + " or " + std::to_string(size * 2) +
                                     " bytes, got " + std::to_string(raw.size()));
    }
    return Value::ByteString(std::move(raw), size);
  });
}

Getter MakeIsRootSpan(Args&) {
  return [](EvalContext& c) -> Result<Value> {
    const std::string& p = c.span->parent_span_id();
    return Value::Bool(p.empty() || std::all_of(p.begin(), p.end(), [](char ch) { return ch == 0; }));
  };
}

const std::vector<FunctionSpec>& Registry() {
  static const std::vector<FunctionSpec> kFunctions = [] {
    std::vector<FunctionSpec> f;
    auto editor = [&](std::string_view name, std::vector<std::string_view> params,
                      std::function<Editor(Args&)> make) {
      f.push_back(FunctionSpec{name, std::move(params), std::move(make), nullptr, {}});
    };
    auto conv = [&](std::string_view name, std::vector<std::string_view> params,
                    std::function<Getter(Args&)> make, std::vector<ContextKind> contexts = {}) {
      f.push_back(FunctionSpec{name, std::move(params), nullptr, std::move(make), std::move(contexts)});
    };
    editor("set", {"target", "value"}, MakeSet);
    editor("delete_key", {"target", "key"}, MakeDeleteKey);
    editor("delete_matching_keys", {"target", "pattern"}, MakeDeleteMatchingKeys);
    editor("keep_keys", {"target", "keys"}, MakeKeepKeys);
    editor("keep_matching_keys", {"target", "pattern"}, MakeKeepMatchingKeys);
    editor("replace_pattern", {"target", "regex_pattern", "replacement", "function?", "replacement_format?"},
           MakeReplacePattern);
    editor("replace_all_patterns",
           {"target", "mode", "regex_pattern", "replacement", "function?", "replacement_format?"},
           MakeReplaceAllPatterns);
    editor("replace_match", {"target", "pattern", "replacement", "function?", "replacement_format?"},
           MakeReplaceMatch);
    editor("replace_all_matches", {"target", "pattern", "replacement", "function?", "replacement_format?"},
           MakeReplaceAllMatches);
    editor("truncate_all", {"target", "limit", "utf8_safe?", "truncation_marker?"}, MakeTruncateAll);
    editor("limit", {"target", "limit", "priority_keys"}, MakeLimit);
    editor("merge_maps", {"target", "source", "strategy"}, MakeMergeMaps);
    editor("flatten", {"target", "prefix?", "depth?", "resolve_conflicts?"}, MakeFlatten);
    conv("Concat", {"vals", "delimiter"}, MakeConcat);
    conv("Split", {"target", "delimiter"}, MakeSplit);
    conv("Substring", {"target", "start", "length"}, MakeSubstring);
    conv("ToLowerCase", {"target"}, [](Args& a) { return MakeCase(a, false); });
    conv("ToUpperCase", {"target"}, [](Args& a) { return MakeCase(a, true); });
    conv("IsMatch", {"target", "pattern"}, MakeIsMatch);
    conv("IsString", {"target"}, [](Args& a) { return MakeIsKind(a, Value::Kind::kString); });
    conv("IsInt", {"target"}, [](Args& a) { return MakeIsKind(a, Value::Kind::kInt); });
    conv("IsDouble", {"target"}, [](Args& a) { return MakeIsKind(a, Value::Kind::kDouble); });
    conv("IsBool", {"target"}, [](Args& a) { return MakeIsKind(a, Value::Kind::kBool); });
    conv("IsMap", {"target"}, [](Args& a) { return MakeIsKind(a, Value::Kind::kMap); });
    conv("IsList", {"target"}, [](Args& a) { return MakeIsKind(a, Value::Kind::kSlice); });
    conv("Int", {"target"}, MakeInt);
    conv("Double", {"target"}, MakeDouble);
    conv("String", {"target"}, MakeString);
    conv("Len", {"target"}, MakeLen);
    conv("ParseJSON", {"target"}, MakeParseJSON);
    conv("SHA256", {"target"}, [](Args& a) { return MakeHash(a, EVP_sha256); });
    conv("SHA1", {"target"}, [](Args& a) { return MakeHash(a, EVP_sha1); });
    conv("SHA512", {"target"}, [](Args& a) { return MakeHash(a, EVP_sha512); });
    conv("MD5", {"target"}, [](Args& a) { return MakeHash(a, EVP_md5); });
    conv("Time", {"time", "format", "location?", "locale?"}, MakeTime);
    conv("Now", {}, MakeNow);
    conv("UnixNano", {"time"}, MakeUnixNano);
    conv("TraceID", {"bytes"}, [](Args& a) { return MakeId(a, 16); });
    conv("SpanID", {"bytes"}, [](Args& a) { return MakeId(a, 8); });
    conv("IsRootSpan", {}, MakeIsRootSpan, {ContextKind::kSpan});
    std::sort(f.begin(), f.end(),
              [](const FunctionSpec& x, const FunctionSpec& y) { return x.name < y.name; });
    return f;
  }();
  return kFunctions;
}

}  // namespace

const FunctionSpec* FindFunction(std::string_view name) {
  const auto& r = Registry();
  auto it = std::lower_bound(r.begin(), r.end(), name,
                             [](const FunctionSpec& f, std::string_view n) { return f.name < n; });
  return it != r.end() && it->name == name ? &*it : nullptr;
}

std::vector<std::string_view> FunctionNames() {
  std::vector<std::string_view> out;
  for (const FunctionSpec& f : Registry()) out.push_back(f.name);
  return out;
}

Result<Value> CallConverterOnString(const std::string& name, const std::string& input) {
  if (name == "SHA256") return Value::String(Digest(EVP_sha256(), input));
  if (name == "SHA1") return Value::String(Digest(EVP_sha1(), input));
  if (name == "SHA512") return Value::String(Digest(EVP_sha512(), input));
  if (name == "MD5") return Value::String(Digest(EVP_md5(), input));
  if (name == "ToLowerCase") return Value::String(MapCase(input, false));
  if (name == "ToUpperCase") return Value::String(MapCase(input, true));
  if (name == "String") return Value::String(input);
  return Status::InvalidArgument("function " + name + " cannot be applied here");
}

Result<std::string> ExpectString(const Value& v) {
  if (v.kind() != Value::Kind::kString) return TypeError("string", v);
  return v.as_string();
}

Result<std::int64_t> ExpectInt(const Value& v) {
  if (v.kind() != Value::Kind::kInt) return TypeError("int64", v);
  return v.as_int();
}

Result<std::optional<std::string>> AsStringLike(const Value& v) { return StringLike(v); }

Result<std::optional<std::int64_t>> AsIntLike(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNil: return std::optional<std::int64_t>();
    case Value::Kind::kInt: return std::optional<std::int64_t>(v.as_int());
    case Value::Kind::kDouble: {
      const double d = v.as_double();
      if (std::isnan(d)) return std::optional<std::int64_t>(std::numeric_limits<std::int64_t>::min());
      if (d >= 9.223372036854775807e18 || d < -9.223372036854775807e18) {
        return std::optional<std::int64_t>(std::numeric_limits<std::int64_t>::min());  // Go on amd64
      }
      return std::optional<std::int64_t>(static_cast<std::int64_t>(d));
    }
    case Value::Kind::kBool: return std::optional<std::int64_t>(v.as_bool() ? 1 : 0);
    case Value::Kind::kString: {
      auto i = GoParseInt(v.as_string());
      if (!i)
        return Status::InvalidArgument("strconv.ParseInt: parsing \"" + v.as_string() + "\": invalid syntax");
      return std::optional<std::int64_t>(*i);
    }
    default: return Status::InvalidArgument("unsupported type: " + std::string(v.TypeName()));
  }
}

Result<std::optional<double>> AsFloatLike(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNil: return std::optional<double>();
    case Value::Kind::kInt: return std::optional<double>(static_cast<double>(v.as_int()));
    case Value::Kind::kDouble: return std::optional<double>(v.as_double());
    case Value::Kind::kBool: return std::optional<double>(v.as_bool() ? 1.0 : 0.0);
    case Value::Kind::kString: {
      auto d = GoParseFloat(v.as_string());
      if (!d)
        return Status::InvalidArgument("strconv.ParseFloat: parsing \"" + v.as_string() +
                                       "\": invalid syntax");
      return std::optional<double>(*d);
    }
    default: return Status::InvalidArgument("unsupported type: " + std::string(v.TypeName()));
  }
}

}  // namespace otlpd::ottl
