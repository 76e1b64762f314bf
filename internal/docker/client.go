// Package docker connects to one Docker daemon and takes snapshots of its
// containers' utilization.
//
// The Client is read-only by construction: the Docker Engine client is given
// no daemon address it could dial itself (so its hijack path for attach and
// exec cannot connect), and its only http.RoundTripper, which alone knows the
// endpoint, refuses every method but GET/HEAD and every path but ping,
// version, info, container list, inspect and stats. Every answer is bounded
// before it is decoded (see bounds.go). Stats requests
// for one poll run concurrently (the daemon answers all waiting requests in
// one collector tick), and on API >= 1.41 use one-shot sampling with the
// previous sample kept here, per container, for the CPU deltas. With
// Config.StatsSource "cgroup" (node mode) the samples are read from the
// containers' cgroup files instead (package cgroupstats), and the daemon is
// asked only for the list and, once per container every few minutes,
// inspect.
//
// The package knows nothing of Kubernetes besides the label selector type.
// Errors are *OpError values naming the operation and the endpoint.
package docker

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/docker/docker/api/types/versions"
	"github.com/docker/docker/client"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
)

// Versions of the Engine API that change what the Client does.
const (
	// MinAPIVersion is the oldest API the Client accepts (Docker Engine 1.12,
	// 2016): the oldest the Docker client library still speaks, and the first
	// with API version negotiation.
	MinAPIVersion = "1.24"
	// OneShotAPIVersion is the first API with stats?one-shot=true (Engine
	// 20.10); older daemons are sampled with stream=false, which makes each
	// request wait for a second collector tick.
	OneShotAPIVersion = "1.41"
)

// Defaults for zero Config fields.
const (
	DefaultTimeout            = 10 * time.Second
	DefaultMaxConcurrentStats = 256
)

// Config says how to reach one daemon.
type Config struct {
	// Endpoint is unix:///path, tcp://host:port, or https://host:port (tcp + TLS).
	Endpoint string
	// TLS is the client TLS material. nil with tcp:// means plaintext; nil
	// with https:// means TLS verified against the system roots.
	TLS *TLSMaterial
	// APIVersion pins the API version ("1.41"); "" negotiates with the daemon.
	APIVersion string
	// Timeout bounds each call to the daemon; DefaultTimeout when zero.
	Timeout time.Duration
	// MaxConcurrentStats bounds concurrent stats requests per snapshot;
	// DefaultMaxConcurrentStats when zero, so 100 containers finish in about
	// one collector tick.
	MaxConcurrentStats int
	// StatsSource is where container samples come from: StatsSourceAPI
	// ("" or "api", the daemon's stats endpoint) or StatsSourceCgroup
	// ("cgroup", the containers' cgroup files on this machine; needs a
	// unix:// endpoint).
	StatsSource string
	// CgroupRoot is where the host's cgroup filesystem is mounted, for
	// StatsSourceCgroup; "" means /sys/fs/cgroup.
	CgroupRoot string
	// ProcRoot is where the host's /proc is mounted, for StatsSourceCgroup;
	// "" means /proc. An agent in a container needs the host's.
	ProcRoot string
	// Spread is for a client that polls one daemon among many, an interval
	// apart (the controller): a snapshot keeps as few stats requests in
	// flight as finish in the collector ticks that fit before its
	// container deadline, in at most maxSpreadWaves (one wave per tick, at
	// least minSpreadConcurrency; see package pacing), more when the ticks
	// turn out slower, reusing each connection from wave to wave, and
	// closes its connections when it ends. 50 containers take 5 ticks over
	// 10 connections, so 10 TLS handshakes per poll, not 50. Left false (the
	// CLI), a snapshot asks for every container at once and keeps a few
	// connections for the next one.
	Spread bool
	// MaxBaselineAge is the oldest a container's previous sample may be
	// (by the daemon's clock) to serve as the baseline of its CPU figure;
	// an older one, as after an outage, is replaced by a second sample
	// within the poll. Zero means any age (callers that sample at their own
	// pace, like the CLI); the controller uses a few poll intervals.
	MaxBaselineAge time.Duration
}

// DaemonInfo identifies the daemon, from /version and /info.
type DaemonInfo struct {
	Version, APIVersion, OS, KernelVersion string
	NCPU                                   int
	MemTotalBytes                          int64
	// TLSPeer is the subject CN and SANs of the daemon's certificate, ""
	// without TLS, with " (unverified)" when verification is switched off.
	TLSPeer string
	// OSType is "linux" or "windows"; it selects the stats formulas.
	OSType string
	// NegotiatedAPIVersion is the API version the Client speaks to this
	// daemon: the pinned one, or the lower of the daemon's and the library's.
	NegotiatedAPIVersion string
	// Engine is EngineDocker or EnginePodman as /version says, "" when it
	// does not; it selects the CPU rule (see hostCounterRule).
	Engine string
	// EngineVersion is the engine's own version ("4.3.1" for Podman).
	EngineVersion string
}

// Client talks to one daemon. It is safe for concurrent use.
type Client struct {
	endpoint       endpoint
	timeout        time.Duration
	maxStats       int
	pinned         string
	maxBaselineAge time.Duration
	tick           time.Duration // collectorTick; tests shorten it
	useTLS         bool
	spread         bool

	// docker is the Docker client library's client. It is replaced, never
	// changed, when the daemon's API version drops (renegotiate), so
	// requests in flight keep a consistent version.
	docker atomic.Pointer[client.Client]
	guard  *readOnlyTransport
	base   roundTripCloser

	negotiateMu sync.Mutex
	apiVersion  string // set by the first successful ping, reset on a downgrade
	// renegotiated: the client New built has been negotiated once, so a
	// later negotiation needs a fresh one.
	renegotiated bool

	memory  *sampleMemory
	cgroups *cgroupSource // nil with the API stats source
	// described is the daemon's last /version and /info, which Snapshot
	// reuses for daemonInfoMaxAge.
	described describedDaemon
	// tls is kept to explain a daemon's refusal of our client certificate.
	tls *TLSMaterial
}

// apiVersionPattern is the "major.minor" form Docker uses for API versions.
var apiVersionPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

// New validates cfg and builds a Client without any network I/O, so
// configuration mistakes (endpoint, PEM, mismatched key) surface at once.
func New(cfg Config) (*Client, error) {
	ep, err := parseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	if err := checkPinnedVersion(cfg.APIVersion); err != nil {
		return nil, err
	}
	tlsConfig, err := tlsConfigFor(ep, cfg.TLS)
	if err != nil {
		return nil, err
	}
	cgroups, err := newCgroupSource(cfg, ep)
	if err != nil {
		return nil, err
	}
	c := &Client{
		endpoint:       ep,
		timeout:        orDefault(cfg.Timeout, DefaultTimeout),
		maxStats:       orDefault(cfg.MaxConcurrentStats, DefaultMaxConcurrentStats),
		pinned:         cfg.APIVersion,
		maxBaselineAge: max(cfg.MaxBaselineAge, 0),
		tick:           collectorTick,
		useTLS:         tlsConfig != nil,
		spread:         cfg.Spread,
		memory:         newSampleMemory(),
		tls:            cfg.TLS,
		cgroups:        cgroups,
	}
	c.base = newHTTPTransport(ep, tlsConfig, c.maxStats, c.timeout, c.spread)
	c.guard = &readOnlyTransport{next: c.base, host: ep.requestHost()}
	docker, err := c.newDockerClient()
	if err != nil {
		return nil, err
	}
	c.docker.Store(docker)
	return c, nil
}

// newDockerClient builds a Docker library client on the read-only transport.
func (c *Client) newDockerClient() (*client.Client, error) {
	docker, err := client.NewClientWithOpts(c.dockerOptions(c.useTLS)...)
	if err != nil {
		return nil, fmt.Errorf("set up Docker client for %s: %w", c.endpoint.raw, err)
	}
	return docker, nil
}

// api is the current Docker library client.
func (c *Client) api() *client.Client { return c.docker.Load() }

// dockerOptions wires the Docker client to the read-only transport. The
// library is given noRawDialHost, not the endpoint, so the transport is the
// only way to the daemon. WithHost must come first: it configures the
// library's default transport, which WithHTTPClient then replaces.
func (c *Client) dockerOptions(useTLS bool) []client.Opt {
	opts := []client.Opt{
		client.WithHost(noRawDialHost),
		client.WithHTTPClient(&http.Client{Transport: c.guard, CheckRedirect: client.CheckRedirect}),
		client.WithUserAgent("dockwatch"),
		// The library wraps every transport in OpenTelemetry's, which
		// clones each request to inject trace headers and builds metric
		// attributes. dockwatch exports no traces; its filter passes every
		// request straight to the guard.
		client.WithTraceOptions(otelhttp.WithFilter(func(*http.Request) bool { return false })),
	}
	if useTLS {
		opts = append(opts, client.WithScheme("https"))
	}
	if c.pinned != "" {
		return append(opts, client.WithVersion(c.pinned))
	}
	return append(opts, client.WithAPIVersionNegotiation())
}

// checkPinnedVersion rejects a pinned version the Client could not use.
func checkPinnedVersion(v string) error {
	if v == "" {
		return nil
	}
	if !apiVersionPattern.MatchString(v) {
		return fmt.Errorf("API version %q is not of the form 1.41", v)
	}
	if versions.LessThan(v, MinAPIVersion) {
		return fmt.Errorf("%w: pinned API version %s is older than %s, the oldest dockwatch supports", ErrAPITooOld, v, MinAPIVersion)
	}
	return nil
}

// tlsConfigFor decides whether the endpoint talks TLS and builds its config.
func tlsConfigFor(ep endpoint, m *TLSMaterial) (*tls.Config, error) {
	if m == nil && !ep.https {
		return nil, nil
	}
	if ep.network == "unix" {
		return nil, fmt.Errorf("endpoint %s: TLS settings given for a unix socket, which does not use TLS", ep.raw)
	}
	if m == nil {
		m = &TLSMaterial{} // https:// without material: system roots
	}
	cfg, err := m.clientConfig()
	if err != nil {
		return nil, &tlsMaterialError{err: err}
	}
	return cfg, nil
}

// orDefault returns v, or def when v is not positive.
func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Close releases idle connections. The Client must not be used afterwards.
func (c *Client) Close() error {
	c.base.CloseIdleConnections()
	return c.api().Close()
}

// Endpoint returns the endpoint as configured, for logs and messages.
func (c *Client) Endpoint() string { return c.endpoint.raw }

// call runs one daemon request under the per-call timeout and turns its
// failure into an *OpError saying what was done where.
func (c *Client) call(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	callCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	callCtx, sink := withRawErrorSink(callCtx)
	err := fn(callCtx)
	if err == nil {
		return nil
	}
	return explainClientCert(newOpError(op, c.endpoint.raw, c.timeout, err, sink.get(), ctx.Err()), c.tls, time.Now())
}
