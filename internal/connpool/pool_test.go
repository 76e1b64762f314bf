package connpool

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// server is an httptest server that counts the connections it accepts.
type server struct {
	*httptest.Server
	accepted atomic.Int32
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewUnstartedServer(h)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.accepted.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// transport dials addr over TCP with opt's other settings.
func transport(addr string, opt Options) *Transport {
	d := &net.Dialer{}
	opt.Dial = func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
	return New(opt)
}

func get(ctx context.Context, t *Transport, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return t.RoundTrip(req)
}

// getAll reads a whole answer and closes it.
func getAll(t *testing.T, tr *Transport, url string) string {
	t.Helper()
	resp, err := get(context.Background(), tr, url)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func hello(w http.ResponseWriter, r *http.Request) { _, _ = fmt.Fprintf(w, "hello %s", r.URL.Path) }

// open is how many connections tr has open, idle or in use.
func open(tr *Transport) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.open
}

// endTogether opens n connections at once to a server whose handler
// waits on release, then lets all n answers end together, so that n
// connections come free at the same moment.
func endTogether(t *testing.T, tr *Transport, url string, n int, release chan struct{}) {
	t.Helper()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { getAll(t, tr, url) })
	}
	for open(tr) < n {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
}

func TestAnswersReadWholeReuseOneConnection(t *testing.T) {
	s := newServer(t, hello)
	tr := transport(s.Listener.Addr().String(), Options{MaxIdle: 2})
	defer tr.CloseIdleConnections()
	for i := range 5 {
		if got, want := getAll(t, tr, fmt.Sprintf("%s/%d", s.URL, i)), fmt.Sprintf("hello /%d", i); got != want {
			t.Fatalf("answer %q, want %q", got, want)
		}
	}
	if n := s.accepted.Load(); n != 1 {
		t.Errorf("5 requests in a row opened %d connections, want 1", n)
	}
	tr.CloseIdleConnections()
	if n := open(tr); n != 0 {
		t.Errorf("%d connections open after CloseIdleConnections, want 0", n)
	}
}

func TestAbandonedOrClosingAnswersDoNotReuse(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/close" {
			w.Header().Set("Connection", "close")
		}
		_, _ = w.Write([]byte(strings.Repeat("x", 10000)))
	})
	tr := transport(s.Listener.Addr().String(), Options{MaxIdle: 2})
	defer tr.CloseIdleConnections()
	resp, err := get(context.Background(), tr, s.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close() // unread: the connection cannot carry another answer
	getAll(t, tr, s.URL+"/close")
	getAll(t, tr, s.URL+"/")
	if n := s.accepted.Load(); n != 3 {
		t.Errorf("%d connections for an abandoned, a closing and a whole answer, want 3", n)
	}
	if n := open(tr); n != 1 {
		t.Errorf("%d open, want the last one idle", n)
	}
}

func TestMaxConnsMakesRequestsWait(t *testing.T) {
	var inside, most atomic.Int32
	var blocking atomic.Bool
	block := make(chan struct{})
	defer close(block)
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := inside.Add(1)
		if blocking.Load() {
			<-block
			return
		}
		defer inside.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(50 * time.Millisecond)
		hello(w, r)
	})
	tr := transport(s.Listener.Addr().String(), Options{MaxConns: 2, MaxIdle: 2})
	defer tr.CloseIdleConnections()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { getAll(t, tr, fmt.Sprintf("%s/%d", s.URL, i)) })
	}
	wg.Wait()
	if m := most.Load(); m > 2 {
		t.Errorf("%d requests at the server at once, want at most MaxConns 2", m)
	}
	if n := s.accepted.Load(); n > 2 {
		t.Errorf("%d connections opened, want at most 2", n)
	}

	// A waiting request gives up when its context ends.
	blocking.Store(true)
	for range 2 {
		go func() { _, _ = get(context.Background(), tr, s.URL) }()
	}
	for inside.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := get(ctx, tr, s.URL); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("request waiting for a connection: %v, want its deadline", err)
	}
}

func TestIdleConnectionsAreBoundedAndExpire(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { <-release; hello(w, r) })
	tr := transport(s.Listener.Addr().String(), Options{MaxIdle: 2, IdleTimeout: 200 * time.Millisecond})
	endTogether(t, tr, s.URL, 5, release)
	if n := open(tr); n != 2 {
		t.Errorf("%d open after 5 requests ended, want MaxIdle 2", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for open(tr) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := open(tr); n != 0 {
		t.Errorf("%d open well past the idle timeout, want 0", n)
	}
}

// rawServer answers each connection with answer, which gets its reader.
func rawServer(t *testing.T, answer func(c net.Conn, br *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				answer(c, bufio.NewReader(c))
			})
		}
	})
	return ln.Addr().String()
}

func TestHostileHeadersAreBoundedInSizeAndTime(t *testing.T) {
	endless := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		_, _ = http.ReadRequest(br)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		for i := 0; ; i++ {
			if _, err := fmt.Fprintf(c, "X-%d: %s\r\n", i, strings.Repeat("y", 100)); err != nil {
				return
			}
		}
	})
	tr := transport(endless, Options{MaxHeaderBytes: 64 << 10})
	if _, err := get(context.Background(), tr, "http://"+endless+"/"); err == nil || !strings.Contains(err.Error(), "server response headers exceeded") {
		t.Errorf("endless headers: %v, want the header limit", err)
	}

	oneLine := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		_, _ = http.ReadRequest(br)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Long: ")
		_, _ = io.Copy(c, infinite{})
	})
	tr = transport(oneLine, Options{MaxHeaderBytes: 64 << 10})
	if _, err := get(context.Background(), tr, "http://"+oneLine+"/"); err == nil || !strings.Contains(err.Error(), "server response headers exceeded") {
		t.Errorf("one endless header line: %v, want the header limit", err)
	}

	silent := rawServer(t, func(c net.Conn, _ *bufio.Reader) { _, _ = io.Copy(io.Discard, c) })
	slow := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		_, _ = http.ReadRequest(br)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		for {
			if _, err := io.WriteString(c, "X"); err != nil {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	for name, addr := range map[string]string{"silent": silent, "slow": slow} {
		tr = transport(addr, Options{HeaderTimeout: 100 * time.Millisecond})
		start := time.Now()
		_, err := get(context.Background(), tr, "http://"+addr+"/")
		if ne, ok := errors.AsType[net.Error](err); !ok || !ne.Timeout() || !strings.Contains(err.Error(), "timeout awaiting response headers") {
			t.Errorf("%s server: %v, want a header timeout", name, err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("%s server: header timeout of 100ms took %s", name, took)
		}
		if n := open(tr); n != 0 {
			t.Errorf("%s server: %d connections open after the failure, want 0", name, n)
		}
	}
}

// infinite reads as an endless run of 'y'.
type infinite struct{}

func (infinite) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'y'
	}
	return len(p), nil
}

func TestCancelEndsABodyThatNeverEnds(t *testing.T) {
	addr := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		_, _ = http.ReadRequest(br)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
		_, _ = io.Copy(io.Discard, c)
	})
	tr := transport(addr, Options{MaxIdle: 1})
	ctx, cancel := context.WithCancel(context.Background())
	resp, err := get(ctx, tr, "http://"+addr+"/")
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := io.ReadAll(resp.Body); !errors.Is(err, context.Canceled) {
		t.Errorf("body read after cancel: %v, want context.Canceled", err)
	}
	_ = resp.Body.Close()
	if n := open(tr); n != 0 {
		t.Errorf("%d open after a cancelled answer, want 0", n)
	}
}

func TestRequestOnAConnectionClosedWhileIdleIsRetried(t *testing.T) {
	var conns atomic.Int32
	addr := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		conns.Add(1)
		if _, err := http.ReadRequest(br); err == nil {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		} // then close, as a server whose idle timeout is short
	})
	tr := transport(addr, Options{MaxIdle: 1})
	defer tr.CloseIdleConnections()
	for range 3 {
		if got := getAll(t, tr, "http://"+addr+"/"); got != "ok" {
			t.Fatalf("answer %q", got)
		}
		time.Sleep(20 * time.Millisecond) // let the close arrive
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections, want 3 (each retried once on a fresh one)", n)
	}
}

func TestInformationalAnswersAreRefused(t *testing.T) {
	addr := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		_, _ = http.ReadRequest(br)
		_, _ = io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	})
	tr := transport(addr, Options{MaxIdle: 1})
	if _, err := get(context.Background(), tr, "http://"+addr+"/"); err == nil || !strings.Contains(err.Error(), "informational") {
		t.Errorf("1xx answer: %v, want it refused", err)
	}
	if n := open(tr); n != 0 {
		t.Errorf("%d open after a 1xx answer, want 0: the rest of the stream is unread", n)
	}
}

// TestIdleConnectionsRunNoGoroutines holds 50 idle connections: the
// process gains the server's goroutine for each, and none on the client
// side (net/http's Transport would add two per connection).
func TestIdleConnectionsRunNoGoroutines(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { <-release; hello(w, r) })
	tr := transport(s.Listener.Addr().String(), Options{MaxIdle: 50})
	defer tr.CloseIdleConnections()
	before := runtime.NumGoroutine()
	endTogether(t, tr, s.URL, 50, release)
	time.Sleep(50 * time.Millisecond)
	if n := open(tr); n != 50 {
		t.Fatalf("%d idle, want 50", n)
	}
	if grown := runtime.NumGoroutine() - before; grown > 55 {
		t.Errorf("50 idle connections added %d goroutines, want about 50 (the server's alone)", grown)
	}
}

// TestEveryIdleConnectionStaleAfterARestart: a server that closed all the
// idle connections (as a restarted daemon) still gets the next request,
// which tries each stale one once and then dials.
func TestEveryIdleConnectionStaleAfterARestart(t *testing.T) {
	release := make(chan struct{})
	var conns atomic.Int32
	addr := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		conns.Add(1)
		if _, err := http.ReadRequest(br); err == nil {
			<-release
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	tr := transport(addr, Options{MaxIdle: 3})
	defer tr.CloseIdleConnections()
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { getAll(t, tr, "http://"+addr+"/") })
	}
	for conns.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	time.Sleep(20 * time.Millisecond) // let the closes arrive
	if got := getAll(t, tr, "http://"+addr+"/"); got != "ok" {
		t.Fatalf("answer %q", got)
	}
	if n := conns.Load(); n != 4 {
		t.Errorf("%d connections, want 4 (three stale, one new)", n)
	}
}

// TestIdleConnectionsHoldNoBuffers: a connection's read and write buffers
// are taken for a request and given back when it goes idle, so the many
// connections a poll keeps between its waves hold none; a connection used
// again gets buffers back and still reads answers whole.
func TestIdleConnectionsHoldNoBuffers(t *testing.T) {
	s := newServer(t, hello)
	tr := transport(s.Listener.Addr().String(), Options{MaxIdle: 2, ReadBufferSize: 2048, WriteBufferSize: 1024})
	defer tr.CloseIdleConnections()
	for i := range 3 {
		if got, want := getAll(t, tr, fmt.Sprintf("%s/%d", s.URL, i)), fmt.Sprintf("hello /%d", i); got != want {
			t.Fatalf("answer %q, want %q", got, want)
		}
		tr.mu.Lock()
		idle := slices.Clone(tr.idle)
		tr.mu.Unlock()
		if len(idle) != 1 {
			t.Fatalf("%d idle connections after answer %d, want 1", len(idle), i)
		}
		if c := idle[0]; c.br != nil || c.bw != nil {
			t.Errorf("an idle connection holds its buffers (read %v, write %v)", c.br != nil, c.bw != nil)
		}
	}
	if n := s.accepted.Load(); n != 1 {
		t.Errorf("3 requests in a row opened %d connections, want 1", n)
	}
}
