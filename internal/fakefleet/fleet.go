// Package fakefleet serves many fake Docker Engines from one process, for
// benchmarks and tests that need a fleet no machine here could run for real:
// N daemons on N loopback ports (plaintext or mutual TLS), M containers
// each, answering the read endpoints dockwatch calls.
//
// One-shot stats are answered at the daemon's next one-second collector
// tick, as Engine 20.10 does (each daemon has its own phase), or at once
// with Options.Immediate, as newer engines do. Counters advance with real
// time, so two samples give the configured CPU figure; the first Busy
// containers of each daemon run hot (BusyCPUPercent), the rest idle.
//
// The fleet counts what a benchmark needs: requests, polls (container
// lists) per daemon, TLS handshakes full and resumed, and connections open.
package fakefleet

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"time"
)

// CPU figures the fake containers report, as `docker stats` computes them.
const (
	BusyCPUPercent = 90.0
	IdleCPUPercent = 0.5
)

// Engine facts the fake reports.
const (
	apiVersion  = "1.41"
	engineNCPU  = 4
	defaultTick = time.Second
)

// Options shape a fleet.
type Options struct {
	// Hosts is the number of daemons, each on its own 127.0.0.1 port.
	Hosts int
	// Containers is the number of running containers per daemon.
	Containers int
	// Busy is how many of each daemon's containers report BusyCPUPercent.
	Busy int
	// TLS, when set, makes every daemon speak TLS with this configuration
	// (see ServerTLS for mutual TLS from a docker-machine cert set). The
	// fleet adds its handshake counter to a clone.
	TLS *tls.Config
	// Immediate answers one-shot stats at once instead of at the next tick.
	Immediate bool
	// Tick is the collector period; one second when zero.
	Tick time.Duration
}

// Counters are the fleet's totals since it started.
type Counters struct {
	Requests, Lists, Stats, Inspects int64
	// Events counts event log reads (GET /events), answered empty.
	Events int64
	// FullHandshakes and ResumedHandshakes count completed TLS handshakes.
	FullHandshakes, ResumedHandshakes int64
	// HybridOffers counts ClientHellos that offered the post-quantum
	// X25519MLKEM768 group, which costs the client a key generation the
	// daemon (Engine 20.10) then ignores.
	HybridOffers int64
	// OpenConns is connections open now; TotalConns all ever accepted.
	OpenConns, TotalConns int64
	// StatsWait is the time stats requests have spent waiting for their
	// collector tick, summed: divided by Stats, how long a client holds a
	// connection (and a request in flight) per sample.
	StatsWait time.Duration
}

// Fleet is a running set of fake daemons.
type Fleet struct {
	// Daemons are in start order; Daemons[i].Endpoint is what a DockerHost names.
	Daemons []*Daemon

	opts  Options
	start time.Time
	count struct {
		requests, lists, stats, inspects, events atomic.Int64
		full, resumed, hybridOffers              atomic.Int64
		open, total                              atomic.Int64
		statsWait                                atomic.Int64 // nanoseconds
	}
}

// Daemon is one fake Engine of the fleet.
type Daemon struct {
	// Endpoint is tcp://127.0.0.1:PORT.
	Endpoint string
	// Index is the daemon's place in the fleet.
	Index int

	fleet    *Fleet
	phase    time.Duration
	server   *http.Server
	listener net.Listener
	list     []byte
	polls    atomic.Int64
}

// Start opens every daemon's port and serves until Close.
func Start(opts Options) (*Fleet, error) {
	if opts.Hosts < 1 || opts.Containers < 0 || opts.Busy > opts.Containers {
		return nil, fmt.Errorf("fake fleet: want hosts >= 1 and 0 <= busy <= containers, got %d, %d, %d", opts.Hosts, opts.Containers, opts.Busy)
	}
	if opts.Tick <= 0 {
		opts.Tick = defaultTick
	}
	f := &Fleet{opts: opts, start: time.Now()}
	for i := range opts.Hosts {
		d, err := f.startDaemon(i)
		if err != nil {
			f.Close()
			return nil, err
		}
		f.Daemons = append(f.Daemons, d)
	}
	return f, nil
}

// startDaemon listens on a fresh loopback port and serves daemon i there.
func (f *Fleet) startDaemon(i int) (*Daemon, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fake fleet: listen for daemon %d: %w", i, err)
	}
	d := &Daemon{
		Endpoint: "tcp://" + l.Addr().String(), Index: i, fleet: f,
		phase: rand.N(f.opts.Tick), listener: l, list: containerList(i, f.opts.Containers),
	}
	d.server = &http.Server{Handler: d, ConnState: f.trackConn, ReadHeaderTimeout: 10 * time.Second}
	if f.opts.TLS != nil {
		d.server.TLSConfig = f.countingTLS(f.opts.TLS)
		l = tls.NewListener(l, d.server.TLSConfig)
	}
	go func() { _ = d.server.Serve(l) }()
	return d, nil
}

// countingTLS clones cfg with hooks that count full and resumed handshakes
// and the ClientHellos offering the hybrid group.
func (f *Fleet) countingTLS(cfg *tls.Config) *tls.Config {
	c := cfg.Clone()
	c.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		if slices.Contains(hello.SupportedCurves, tls.X25519MLKEM768) {
			f.count.hybridOffers.Add(1)
		}
		return nil, nil
	}
	next := c.VerifyConnection
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		if next != nil {
			if err := next(cs); err != nil {
				return err
			}
		}
		if cs.DidResume {
			f.count.resumed.Add(1)
		} else {
			f.count.full.Add(1)
		}
		return nil
	}
	return c
}

// trackConn keeps the open-connection gauge.
func (f *Fleet) trackConn(_ net.Conn, state http.ConnState) {
	switch state {
	case http.StateNew:
		f.count.open.Add(1)
		f.count.total.Add(1)
	case http.StateClosed, http.StateHijacked:
		f.count.open.Add(-1)
	}
}

// Close stops every daemon and drops their connections.
func (f *Fleet) Close() {
	for _, d := range f.Daemons {
		_ = d.server.Close()
	}
}

// Counters returns the fleet's totals.
func (f *Fleet) Counters() Counters {
	return Counters{
		Requests: f.count.requests.Load(), Lists: f.count.lists.Load(),
		Stats: f.count.stats.Load(), Inspects: f.count.inspects.Load(), Events: f.count.events.Load(),
		FullHandshakes: f.count.full.Load(), ResumedHandshakes: f.count.resumed.Load(),
		HybridOffers: f.count.hybridOffers.Load(),
		OpenConns:    f.count.open.Load(), TotalConns: f.count.total.Load(),
		StatsWait: time.Duration(f.count.statsWait.Load()),
	}
}

// Polls returns how many times each daemon listed its containers, which
// dockwatch does once per poll, in fleet order.
func (f *Fleet) Polls() []int64 {
	out := make([]int64, len(f.Daemons))
	for i, d := range f.Daemons {
		out[i] = d.polls.Load()
	}
	return out
}

// Polls is how many times this daemon listed its containers.
func (d *Daemon) Polls() int64 { return d.polls.Load() }

// nextTick waits for the daemon's next collector tick and returns its time.
func (d *Daemon) nextTick(ctx context.Context) (time.Time, error) {
	now := time.Now()
	if d.fleet.opts.Immediate {
		return now, nil
	}
	tick := d.fleet.opts.Tick
	// Ticks fall at start+phase+k*tick for k >= 0; before the first one
	// (since < 0) the next is the first, not a tick later.
	since := now.Sub(d.fleet.start) - d.phase
	next := time.Duration(0)
	if since >= 0 {
		next = (since/tick + 1) * tick
	}
	at := d.fleet.start.Add(d.phase + next)
	timer := time.NewTimer(at.Sub(now))
	defer timer.Stop()
	select {
	case <-timer.C:
		return at, nil
	case <-ctx.Done():
		return time.Time{}, errors.New("client gone")
	}
}
