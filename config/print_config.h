#pragma once

#include <string>

#include "config/decoder.h"
#include "config/node.h"

namespace otlpd::config {

// `otlpd print-config`: the config a run would use, as text.
enum class PrintFormat { kYaml, kJson };

struct PrintOptions {
  PrintFormat format = PrintFormat::kYaml;
  // Secrets (the keys decoders read with MapDecoder::Opaque) become
  // "[REDACTED]", as otelcol prints its configopaque values.
  bool redact = true;
};

// `root` (loaded: merged, --set applied, ${...} expanded) with every key a
// decoder left at its default filled in from `recording`, secrets redacted
// when asked, and map keys sorted (otelcol prints them sorted). A secret
// that is empty is left out, as otelcol's `omitempty` opaque fields are.
Node EffectiveConfig(const Node& root, const DecodeRecording& recording, bool redact);

// A Node tree as YAML or as indented JSON. Quoted scalars stay strings;
// plain ones keep the type YAML gives them (numbers, booleans, null). The YAML
// is laid out as otelcol's print-config writes it (go-yaml v3, indent 4):
// list items four past their key, a map in a list item two past the dash,
// strings plain unless they would read back as something else (then quoted
// as go-yaml quotes them).
std::string EmitYaml(const Node& node);
std::string EmitJson(const Node& node);

inline std::string PrintConfig(const Node& root, const DecodeRecording& recording,
                               const PrintOptions& options) {
  const Node effective = EffectiveConfig(root, recording, options.redact);
  return options.format == PrintFormat::kJson ? EmitJson(effective) : EmitYaml(effective);
}

}  // namespace otlpd::config
