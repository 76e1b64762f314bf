// Command fakefleet serves a fleet of fake Docker Engines (package
// internal/fakefleet) in its own process, so a benchmark can measure the
// manager's CPU and memory apart from the daemons'. When the fleet is up it
// writes a JSON description to -ready-file (or stdout): the daemons'
// endpoints, the directory holding the client certificates (ca.pem,
// cert.pem, key.pem, as docker-machine lays them out) and the address of a
// control endpoint serving /counters and /polls as JSON. It runs until
// SIGINT or SIGTERM and then removes its certificates.
//
//	go run ./hack/fakefleet -hosts 1000 -containers 50 -busy 2 -tls
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dockwatch/dockwatch/internal/dockertest"
	"github.com/dockwatch/dockwatch/internal/fakefleet"
)

// Ready is what the command writes once every daemon listens.
type Ready struct {
	Endpoints []string `json:"endpoints"`
	// CertsDir holds ca.pem, cert.pem and key.pem for clients ("" without TLS).
	CertsDir string `json:"certsDir"`
	// Control serves /counters (fakefleet.Counters) and /polls ([]int64).
	Control string `json:"control"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "fakefleet: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	var opts fakefleet.Options
	var useTLS bool
	var readyFile, control string
	flag.IntVar(&opts.Hosts, "hosts", 100, "fake daemons, one per loopback port")
	flag.IntVar(&opts.Containers, "containers", 50, "running containers per daemon")
	flag.IntVar(&opts.Busy, "busy", 2, "busy containers per daemon")
	flag.BoolVar(&opts.Immediate, "immediate", false, "answer one-shot stats at once instead of at the next 1 s collector tick")
	flag.BoolVar(&useTLS, "tls", true, "mutual TLS with throwaway docker-machine style certificates")
	flag.StringVar(&readyFile, "ready-file", "", "where to write the JSON description once ready (default stdout)")
	flag.StringVar(&control, "control", "127.0.0.1:0", "address of the counters endpoint")
	flag.Parse()

	tb := dockertest.NewStandalone(os.Stderr)
	defer tb.Close()
	ready := Ready{}
	if useTLS {
		certs := dockertest.NewCerts(tb, dockertest.CertOptions{})
		cfg, err := fakefleet.ServerTLS(certs.CAPEM, certs.ServerCertPEM, certs.ServerKeyPEM)
		if err != nil {
			return fmt.Errorf("server TLS: %w", err)
		}
		opts.TLS, ready.CertsDir = cfg, certs.Dir
	}
	fleet, err := fakefleet.Start(opts)
	if err != nil {
		return err
	}
	defer fleet.Close()
	for _, d := range fleet.Daemons {
		ready.Endpoints = append(ready.Endpoints, d.Endpoint)
	}
	l, err := net.Listen("tcp", control)
	if err != nil {
		return fmt.Errorf("listen for control: %w", err)
	}
	ready.Control = l.Addr().String()
	srv := &http.Server{Handler: controlHandler(fleet), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	if err := writeReady(readyFile, ready); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}

// controlHandler serves the fleet's counters.
func controlHandler(fleet *fakefleet.Fleet) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/counters", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(fleet.Counters())
	})
	mux.HandleFunc("/polls", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(fleet.Polls())
	})
	return mux
}

// writeReady writes the description atomically, so a reader never sees half.
func writeReady(path string, ready Ready) error {
	raw, err := json.Marshal(ready)
	if err != nil {
		return err
	}
	if path == "" {
		_, err = fmt.Println(string(raw))
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
