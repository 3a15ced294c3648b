// Config decoding shared by the processors that take OTTL (filter,
// transform): statement and condition lists whose every string keeps its
// YAML location, so a bad statement is reported at file:line:col with its
// key path, and the flat/grouped forms otelcol accepts.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/decoder.h"
#include "ottl/compiler.h"

namespace otlpd::ottl {

struct LocatedText {
  std::string text;
  config::Mark mark;
  std::string path;  // "processors.filter.traces.span[0]"
};

// A list of strings (null: empty). Throws config::Error naming the item.
std::vector<LocatedText> DecodeTextList(const config::Node& node, const std::string& path);

// Compile at the text's location; SyntaxError becomes config::Error.
Statement CompileStatementAt(const LocatedText& t, ContextKind context);
Condition CompileConditionAt(const LocatedText& t, ContextKind context);

// `error_mode` (case-insensitive ignore|silent|propagate).
std::optional<ErrorMode> DecodeErrorMode(config::MapDecoder& d, std::string_view key);

// One item of trace_statements / trace_conditions (or the one group a flat
// list of strings makes).
struct Group {
  std::optional<ContextKind> context;  // absent: inferred
  std::vector<LocatedText> conditions;
  std::vector<LocatedText> statements;
  std::optional<ErrorMode> error_mode;
  config::Mark mark;
  std::string path;
};

// The flat or grouped form (§2.1 / §3.1). `statements`: transform groups
// (context, conditions, statements, error_mode, shared_cache); otherwise
// filter groups (context, conditions, error_mode). Mixing strings and maps
// is refused with otelcol's message.
std::vector<Group> DecodeGroups(const config::Node& node, const std::string& path, bool statements);

// The group's context: explicit, or inferred from its texts for `signal`.
ContextKind GroupContext(const Group& g, Signal signal);

// Error mode handling shared by statement and condition sequences: logs a
// warning under `ignore`.
void WarnIgnored(ErrorMode mode, std::string_view what, const std::string& text, const Status& error);

}  // namespace otlpd::ottl
