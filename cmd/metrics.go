package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// metricsServer serves /metrics on every replica, leader or not, as
// controller-runtime's own metrics server does. It replaces that server so
// the per-container series can be written straight into the response
// (controllers.Metrics.Handler) instead of being built in memory first.
type metricsServer struct {
	addr    string
	handler http.Handler
}

// addMetricsServer adds the /metrics server at addr; "0" serves none.
func addMetricsServer(mgr ctrl.Manager, addr string, handler http.Handler) error {
	if addr == "0" {
		return nil
	}
	return mgr.Add(&metricsServer{addr: addr, handler: handler})
}

// NeedLeaderElection is false: every replica serves its own metrics.
func (s *metricsServer) NeedLeaderElection() bool { return false }

// Start listens (a bind error stops the manager at start-up) and serves
// until ctx ends, then gives scrapes in flight ten seconds to finish.
func (s *metricsServer) Start(ctx context.Context) error {
	l, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("serve metrics on %s: %w", s.addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", s.handler)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.FromContext(ctx).Info("Serving metrics", "bindAddress", l.Addr().String())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve metrics on %s: %w", s.addr, err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
