package docker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// TestRequestsSkipTheLibrarysTracingTransport: with a trace propagator
// installed and a span in the caller's context, the Docker library's
// OpenTelemetry transport would clone each request and add a traceparent
// header. dockwatch's requests go to the daemon without either.
func TestRequestsSkipTheLibrarysTracingTransport(t *testing.T) {
	previous := otel.GetTextMapPropagator()
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTextMapPropagator(previous) })

	var mu sync.Mutex
	var traced []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := r.Header.Get("traceparent"); h != "" {
			mu.Lock()
			traced = append(traced, r.URL.Path)
			mu.Unlock()
		}
		w.Header().Set("Api-Version", "1.41")
		_, _ = w.Write([]byte("OK"))
	}))
	defer srv.Close()

	c, err := New(Config{Endpoint: "tcp://" + srv.Listener.Addr().String(), APIVersion: "1.41"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	span := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled})
	ctx := trace.ContextWithSpanContext(context.Background(), span)
	if _, err := c.api().Ping(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(traced) > 0 {
		t.Errorf("requests carried a traceparent header (%v): they went through the tracing transport", traced)
	}
}
