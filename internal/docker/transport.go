package docker

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dockwatch/dockwatch/internal/connpool"
)

// RefusedRequestError is returned for any request the read-only guard blocks.
// dockwatch only observes daemons; a request outside the small allow-list
// means a bug (or a library doing more than asked), never something to send.
type RefusedRequestError struct {
	Method, Path string
}

func (e *RefusedRequestError) Error() string {
	return fmt.Sprintf("dockwatch is read-only: refused %s %s", e.Method, e.Path)
}

// apiVersionPrefix matches the optional "/v1.41" the Docker client puts in
// front of every versioned path.
var apiVersionPrefix = regexp.MustCompile(`^/v[0-9]+\.[0-9]+(/|$)`)

// allowedRequest is the read-only allow-list: GET/HEAD on the endpoints
// needed to ping, identify, list, inspect and sample containers, and the
// event log only by GET and with an `until`, so that it ends by itself.
func allowedRequest(method, urlPath, rawQuery string) bool {
	if method != http.MethodGet && method != http.MethodHead {
		return false
	}
	if urlPath == "" || path.Clean(urlPath) != urlPath {
		return false // "..", "//" or a trailing slash: not a path we build
	}
	if loc := apiVersionPrefix.FindStringIndex(urlPath); loc != nil {
		urlPath = "/" + urlPath[loc[1]:]
	}
	switch urlPath {
	case "/_ping", "/version", "/info", "/containers/json":
		return true
	case "/events":
		return method == http.MethodGet && endsByItself(rawQuery) // GET only: HEAD has no use here
	}
	parts := strings.Split(strings.TrimPrefix(urlPath, "/"), "/")
	return len(parts) == 3 && parts[0] == "containers" && parts[1] != "" &&
		(parts[2] == "json" || parts[2] == "stats")
}

// noRawDialHost is the daemon address the Docker client library is told. It
// names no socket that can exist (/dev/null is not a directory), so any
// connection the library would open itself (its hijack path for attach and
// exec, DialHijack, Dialer) fails before reaching anything. The real
// endpoint is known only to readOnlyTransport, which puts it into each
// request it lets through.
const noRawDialHost = "unix:///dev/null/dockwatch-dials-only-through-its-read-only-guard"

// unixRequestHost is the Host header for requests over a unix socket, as
// the Docker client sends it.
const unixRequestHost = "api.moby.localhost"

// readOnlyTransport is the only way the Docker client reaches the daemon:
// its only RoundTripper, and the only holder of the daemon's address (see
// noRawDialHost), so the client is read-only by construction rather than by
// discipline. It refuses every method but GET/HEAD and every path outside
// the allow-list, bounds every answer (boundBody), remembers the daemon's
// TLS identity, and records the raw transport error of a call, which the
// Docker client would otherwise replace with a generic text.
type readOnlyTransport struct {
	next http.RoundTripper
	// host is the request host: the daemon's host:port, or unixRequestHost.
	host string
	peer atomic.Pointer[tls.ConnectionState]
}

func (t *readOnlyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !allowedRequest(req.Method, req.URL.Path, req.URL.RawQuery) {
		if req.Body != nil {
			_ = req.Body.Close() // RoundTrip must close the body, even on error
		}
		err := &RefusedRequestError{Method: req.Method, Path: req.URL.Path}
		rawErrorFrom(req.Context()).record(err)
		return nil, err
	}
	out := req
	if t.host != "" {
		// A shallow copy with its own URL: the request is only read below,
		// so req.Clone's deep copy of the headers would be garbage.
		u := *req.URL
		u.Host = t.host
		out = req.WithContext(req.Context())
		out.URL, out.Host = &u, t.host
	}
	resp, err := t.next.RoundTrip(out)
	if err != nil {
		rawErrorFrom(req.Context()).record(err)
		return nil, err
	}
	if resp.TLS != nil {
		t.peer.Store(resp.TLS)
	}
	boundBody(req, resp)
	return resp, nil
}

// peerDescription is the identity of the daemon's certificate seen last.
func (t *readOnlyTransport) peerDescription() string {
	return describePeer(t.peer.Load())
}

// rawErrorSink carries, through a request's context, the error the
// transport saw, so the Client can report "connect: connection refused"
// instead of the Docker client's "Cannot connect to the Docker daemon".
type rawErrorSink struct {
	mu  sync.Mutex
	err error
}

type rawErrorKey struct{}

// withRawErrorSink returns a context whose requests record transport errors.
func withRawErrorSink(ctx context.Context) (context.Context, *rawErrorSink) {
	sink := &rawErrorSink{}
	return context.WithValue(ctx, rawErrorKey{}, sink), sink
}

// rawErrorFrom returns the sink of ctx, or nil when the call has none.
func rawErrorFrom(ctx context.Context) *rawErrorSink {
	sink, _ := ctx.Value(rawErrorKey{}).(*rawErrorSink)
	return sink
}

// record keeps the first error: later ones are often consequences (a GET
// retry after a failed HEAD) and hide the cause.
func (s *rawErrorSink) record(err error) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}

// get returns the recorded error, nil when none.
func (s *rawErrorSink) get() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Connection limits. A poll needs one connection per container in flight
// (HTTP/1.1, every one-shot stats request waits for the daemon's collector
// tick), but nothing needs them between polls: keeping them idle across a
// 30 s interval costs ~50 KiB and a few goroutines each, 50,000 sockets at
// 1,000 hosts. So only idleConnsPerHost stay idle, and only for
// idleConnTimeout (shorter than the default interval); the rest close when
// the poll ends, and the next poll resumes their TLS sessions (see the
// session cache in clientConfig) instead of doing full handshakes. A spread
// client (the controller's) needs fewer connections, keeps all of them
// between the waves of one poll and none after it (Config.Spread).
const (
	idleConnTimeout  = 10 * time.Second
	idleConnsPerHost = 2
)

// Per-connection buffers, smaller than net/http's 4 KiB each: a request is
// a few hundred bytes and a stats answer a few KiB, read through the buffer
// in pieces (a header line longer than it is still read whole). At 1,000
// hosts about 2,000 connections are open at any time and 400 new ones a
// second, so each KiB saved is ~2 MiB held and 400 KiB/s less garbage.
const (
	readBufferSize  = 2 << 10
	writeBufferSize = 1 << 10
)

// roundTripCloser is the transport under the read-only guard.
type roundTripCloser interface {
	http.RoundTripper
	CloseIdleConnections()
}

// newHTTPTransport dials the endpoint itself (unix socket or TCP), opens at
// most maxConns connections to it at once and keeps few of them idle; a
// spread client (Config.Spread) keeps every one idle between the waves of a
// poll, and closes them when the poll ends (see Snapshot). Response headers
// are bounded in size and time, against daemons that send them slowly or
// without end. Direct connections go through package connpool, which runs
// no goroutine per connection (net/http runs two: at 1,000 hosts some
// 5,000 stacks that count twice towards the heap's growth); through a
// proxy, net/http's Transport does the work.
func newHTTPTransport(ep endpoint, tlsConfig *tls.Config, maxConns int, timeout time.Duration, spread bool) roundTripCloser {
	dialer := &net.Dialer{KeepAlive: 30 * time.Second}
	idle := idleConnsPerHost
	if spread {
		idle = maxConns
	}
	if ep.network == "tcp" && proxied(ep) {
		return proxiedTransport(dialer, tlsConfig, maxConns, idle, timeout)
	}
	dial := func(ctx context.Context) (net.Conn, error) { return dialer.DialContext(ctx, ep.network, ep.address) }
	if tlsConfig != nil {
		tlsDial := &tlsDialer{dialer: dialer, config: tlsConfig, timeout: timeout}
		dial = func(ctx context.Context) (net.Conn, error) { return tlsDial.DialTLSContext(ctx, "tcp", ep.address) }
	}
	return connpool.New(connpool.Options{
		Dial:            dial,
		MaxConns:        maxConns,
		MaxIdle:         idle,
		IdleTimeout:     idleConnTimeout,
		HeaderTimeout:   timeout,
		MaxHeaderBytes:  maxResponseHeaderBytes,
		ReadBufferSize:  readBufferSize,
		WriteBufferSize: writeBufferSize,
	})
}

// proxiedTransport reaches a tcp:// daemon through the environment's proxy
// with net/http, which does the TLS handshake with TLSClientConfig.
func proxiedTransport(dialer *net.Dialer, tlsConfig *tls.Config, maxConns, idle int, timeout time.Duration) *http.Transport {
	return &http.Transport{
		Proxy:                  http.ProxyFromEnvironment, // as the docker CLI does for tcp://
		DialContext:            dialer.DialContext,
		TLSClientConfig:        tlsConfig,
		TLSHandshakeTimeout:    timeout,
		MaxConnsPerHost:        maxConns,
		MaxIdleConns:           idle,
		MaxIdleConnsPerHost:    idle,
		IdleConnTimeout:        idleConnTimeout,
		MaxResponseHeaderBytes: maxResponseHeaderBytes,
		ResponseHeaderTimeout:  timeout,
		ReadBufferSize:         readBufferSize,
		WriteBufferSize:        writeBufferSize,
	}
}

// proxied reports whether the environment sends requests to the daemon
// through a proxy (HTTPS_PROXY, NO_PROXY), as ProxyFromEnvironment decides.
func proxied(ep endpoint) bool {
	u, err := http.ProxyFromEnvironment(&http.Request{URL: &url.URL{Scheme: "https", Host: ep.address}})
	return err != nil || u != nil
}
