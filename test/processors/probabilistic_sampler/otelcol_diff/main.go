// otelcol_sampler_diff runs otelcol-contrib's probabilistic_sampler processor
// (the real Go code, same version as the reference collector) over request
// files, so otlpd's sampler can be compared with it decision for decision.
//
// Usage: otelcol_sampler_diff DIR
//
// For every DIR/<case>.json (the processor's config as a flat JSON map) with
// DIR/<case>.traces.pb or DIR/<case>.logs.pb (a serialized
// Export{Trace,Logs}ServiceRequest), it writes DIR/<case>.out.pb: what the
// processor forwarded (empty when it forwarded nothing), or DIR/<case>.err
// when the config is rejected.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/collector/processor/processortest"

	pss "github.com/open-telemetry/opentelemetry-collector-contrib/processor/probabilisticsamplerprocessor"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: otelcol_sampler_diff DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	configs, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		fail(err)
	}
	for _, c := range configs {
		if err := runCase(strings.TrimSuffix(c, ".json")); err != nil {
			fail(fmt.Errorf("%s: %w", c, err))
		}
	}
	fmt.Printf("%d cases\n", len(configs))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func runCase(base string) error {
	raw, err := os.ReadFile(base + ".json")
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return err
	}
	factory := pss.NewFactory()
	cfg := factory.CreateDefaultConfig().(*pss.Config)
	if err := confmap.NewFromStringMap(m).Unmarshal(cfg); err != nil {
		return os.WriteFile(base+".err", []byte(err.Error()), 0o644)
	}
	if err := cfg.Validate(); err != nil {
		return os.WriteFile(base+".err", []byte(err.Error()), 0o644)
	}
	ctx := context.Background()
	set := processortest.NewNopSettings(factory.Type())
	var out []byte
	if in, err := os.ReadFile(base + ".traces.pb"); err == nil {
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalProto(in); err != nil {
			return err
		}
		sink := new(consumertest.TracesSink)
		p, err := factory.CreateTraces(ctx, set, cfg, sink)
		if err != nil {
			return err
		}
		if err := p.ConsumeTraces(ctx, req.Traces()); err != nil {
			return err
		}
		if all := sink.AllTraces(); len(all) > 0 {
			if out, err = ptraceotlp.NewExportRequestFromTraces(all[0]).MarshalProto(); err != nil {
				return err
			}
		}
	} else if in, err := os.ReadFile(base + ".logs.pb"); err == nil {
		req := plogotlp.NewExportRequest()
		if err := req.UnmarshalProto(in); err != nil {
			return err
		}
		sink := new(consumertest.LogsSink)
		p, err := factory.CreateLogs(ctx, set, cfg, sink)
		if err != nil {
			return err
		}
		if err := p.ConsumeLogs(ctx, req.Logs()); err != nil {
			return err
		}
		if all := sink.AllLogs(); len(all) > 0 {
			if out, err = plogotlp.NewExportRequestFromLogs(all[0]).MarshalProto(); err != nil {
				return err
			}
		}
	} else {
		return fmt.Errorf("no .traces.pb or .logs.pb input")
	}
	return os.WriteFile(base+".out.pb", out, 0o644)
}
