package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestMetricsServerServesUntilStoppedAndReportsABindError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "up 1\n") })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&metricsServer{addr: addr, handler: handler}).Start(ctx) }()

	var body string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		body = string(b)
		break
	}
	if body != "up 1\n" {
		t.Fatalf("/metrics served %q, want the handler's answer", body)
	}
	// A second server on the same address fails at once, naming it.
	err = (&metricsServer{addr: addr, handler: handler}).Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("second server on %s: %v, want a bind error naming the address", addr, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("stopped with %v, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the metrics server did not stop when its context ended")
	}
}
