// ottl_diff runs otelcol-contrib's filter, transform and attributes processors (the real
// Go code, v0.161.0) over request files, so otlpd's can be compared with them
// output for output.
//
// Usage: ottl_diff DIR
//
// For every DIR/<case>.json ({"processor": "filter"|"transform"|"attributes", "signal":
// "traces"|"metrics"|"logs", "config": {...}}) with DIR/<case>.in.pb (a
// serialized Export*ServiceRequest), it writes one of: DIR/<case>.out.pb (what
// the processor forwarded), DIR/<case>.none (it forwarded nothing),
// DIR/<case>.err (the config was rejected) or DIR/<case>.perr (processing
// returned an error).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/attributesprocessor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/filterprocessor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/transformprocessor"
)

type caseSpec struct {
	Processor string         `json:"processor"`
	Signal    string         `json:"signal"`
	Config    map[string]any `json:"config"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: ottl_diff DIR")
		os.Exit(2)
	}
	files, err := filepath.Glob(filepath.Join(os.Args[1], "*.json"))
	if err != nil {
		fail(err)
	}
	for _, f := range files {
		if err := runCase(strings.TrimSuffix(f, ".json")); err != nil {
			fail(fmt.Errorf("%s: %w", f, err))
		}
	}
	fmt.Printf("%d cases\n", len(files))
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
	var spec caseSpec
	if err := dec.Decode(&spec); err != nil {
		return err
	}
	var factory processor.Factory
	switch spec.Processor {
	case "filter":
		factory = filterprocessor.NewFactory()
	case "transform":
		factory = transformprocessor.NewFactory()
	case "attributes":
		factory = attributesprocessor.NewFactory()
	default:
		return fmt.Errorf("unknown processor %q", spec.Processor)
	}
	cfg := factory.CreateDefaultConfig()
	if err := confmap.NewFromStringMap(spec.Config).Unmarshal(cfg); err != nil {
		return os.WriteFile(base+".err", []byte(err.Error()), 0o644)
	}
	if v, ok := cfg.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return os.WriteFile(base+".err", []byte(err.Error()), 0o644)
		}
	}
	in, err := os.ReadFile(base + ".in.pb")
	if err != nil {
		return err
	}
	ctx := context.Background()
	set := processortest.NewNopSettings(factory.Type())
	host := componenttest.NewNopHost()
	var out []byte
	var perr error
	forwarded := false
	var comp component.Component
	switch spec.Signal {
	case "traces":
		sink := new(consumertest.TracesSink)
		p, err := factory.CreateTraces(ctx, set, cfg, sink)
		if err != nil {
			return os.WriteFile(base+".err", []byte(err.Error()), 0o644)
		}
		comp = p
		if err := p.Start(ctx, host); err != nil {
			return os.WriteFile(base+".err", []byte(err.Error()), 0o644)
		}
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalProto(in); err != nil {
			return err
		}
		perr = p.ConsumeTraces(ctx, req.Traces())
		if all := sink.AllTraces(); len(all) > 0 {
			forwarded = true
			out, err = ptraceotlp.NewExportRequestFromTraces(all[0]).MarshalProto()
			if err != nil {
				return err
			}
		}
	case "metrics":
		sink := new(consumertest.MetricsSink)
		p, err := factory.CreateMetrics(ctx, set, cfg, sink)
		if err != nil {
			return os.WriteFile(base+".err", []byte(err.Error()), 0o644)
		}
		comp = p
		if err := p.Start(ctx, host); err != nil {
			return os.WriteFile(base+".err", []byte(err.Error()), 0o644)
		}
		req := pmetricotlp.NewExportRequest()
		if err := req.UnmarshalProto(in); err != nil {
			return err
		}
		perr = p.ConsumeMetrics(ctx, req.Metrics())
		if all := sink.AllMetrics(); len(all) > 0 {
			forwarded = true
			out, err = pmetricotlp.NewExportRequestFromMetrics(all[0]).MarshalProto()
			if err != nil {
				return err
			}
		}
	case "logs":
		sink := new(consumertest.LogsSink)
		p, err := factory.CreateLogs(ctx, set, cfg, sink)
		if err != nil {
			return os.WriteFile(base+".err", []byte(err.Error()), 0o644)
		}
		comp = p
		if err := p.Start(ctx, host); err != nil {
			return os.WriteFile(base+".err", []byte(err.Error()), 0o644)
		}
		req := plogotlp.NewExportRequest()
		if err := req.UnmarshalProto(in); err != nil {
			return err
		}
		perr = p.ConsumeLogs(ctx, req.Logs())
		if all := sink.AllLogs(); len(all) > 0 {
			forwarded = true
			out, err = plogotlp.NewExportRequestFromLogs(all[0]).MarshalProto()
			if err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("unknown signal %q", spec.Signal)
	}
	_ = comp.Shutdown(ctx)
	if perr != nil {
		return os.WriteFile(base+".perr", []byte(perr.Error()), 0o644)
	}
	if !forwarded {
		return os.WriteFile(base+".none", nil, 0o644)
	}
	return os.WriteFile(base+".out.pb", out, 0o644)
}
