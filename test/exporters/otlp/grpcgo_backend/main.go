// grpcgo_backend is an OTLP/gRPC backend on grpc-go, the server otelcol and
// most backends run, for test/exporters/otlp/grpcgo_interop_test.cpp: it
// checks that both of otlpd's gRPC clients (its own on nghttp2 and gRPC
// C++'s) get what grpc-go means, on connections grpc-go keeps closing.
//
// Usage: grpcgo_backend
//
// Listens on 127.0.0.1 (a free port, printed as "PORT <n>"), with gzip
// registered (grpc-go then answers a gzip request with a gzip answer) and
// keepalive server parameters that end every connection after 300 ms
// (GOAWAY, 10 s grace) and idle ones after 200 ms. Every accepted trace
// request prints "SPANS <n>" (the spans it took). The first span's name
// picks the answer:
//
//	"reject"       partial_success: the spans named "reject" are rejected
//	"unavailable"  UNAVAILABLE, a non-ASCII message, RetryInfo 1.5 s
//	"invalid"      INVALID_ARGUMENT "bad data"
//	"slow"         answers after 2 s
//	anything else  OK
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

var out sync.Mutex

func say(format string, args ...any) {
	out.Lock()
	defer out.Unlock()
	fmt.Fprintf(os.Stdout, format+"\n", args...)
}

type traces struct {
	ptraceotlp.UnimplementedGRPCServer
}

func (*traces) Export(_ context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	td := req.Traces()
	first := ""
	rejected := 0
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				name := spans.At(k).Name()
				if first == "" {
					first = name
				}
				if name == "reject" {
					rejected++
				}
			}
		}
	}
	resp := ptraceotlp.NewExportResponse()
	switch first {
	case "unavailable":
		st, err := status.New(codes.Unavailable, "busy: réessayez à 100%").WithDetails(
			&errdetails.RetryInfo{RetryDelay: durationpb.New(1500 * time.Millisecond)})
		if err != nil {
			return resp, err
		}
		return resp, st.Err()
	case "invalid":
		return resp, status.Error(codes.InvalidArgument, "bad data")
	case "slow":
		time.Sleep(2 * time.Second)
	}
	if rejected > 0 {
		resp.PartialSuccess().SetRejectedSpans(int64(rejected))
		resp.PartialSuccess().SetErrorMessage("rejected some")
	}
	say("SPANS %d", td.SpanCount()-rejected)
	return resp, nil
}

func main() {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s := grpc.NewServer(
		grpc.MaxRecvMsgSize(64<<20),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle:     200 * time.Millisecond,
			MaxConnectionAge:      300 * time.Millisecond,
			MaxConnectionAgeGrace: 10 * time.Second,
		}))
	ptraceotlp.RegisterGRPCServer(s, &traces{})
	say("PORT %d", lis.Addr().(*net.TCPAddr).Port)
	if err := s.Serve(lis); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
