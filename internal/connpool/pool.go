// Package connpool is an HTTP/1.1 client transport to one server that runs
// no goroutine per connection. net/http's Transport keeps a read loop and a
// write loop goroutine for every open connection (about 16 KiB of stack
// between them, counted in the garbage collector's goal), which at 1,000
// Docker hosts is some 5,000 goroutines for connections that spend most of
// their life waiting for a collector tick. Here a request is written and its
// answer read on the caller's goroutine, an idle connection is a struct in
// a list, and cancellation is a deadline set in the past by
// context.AfterFunc.
//
// What it keeps from net/http: a limit on open connections with waiting for
// a free one, a bounded idle list with an idle timeout, a response header
// size limit and timeout, one retry of a request that met a reused
// connection the server had closed, and resp.TLS. What it leaves out, because
// a Docker client needs none of it: proxies, HTTP/2, compression,
// 1xx responses, request bodies that need rewinding.
package connpool

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"sync"
	"time"
)

// Options configure a Transport. Dial is required; zero limits mean none.
type Options struct {
	// Dial opens a connection to the server, TLS handshake included (a
	// *tls.Conn supplies resp.TLS).
	Dial func(ctx context.Context) (net.Conn, error)
	// MaxConns is the most connections open at once; a request beyond it
	// waits for one to come free, or for its context to end.
	MaxConns int
	// MaxIdle is the most connections kept open between requests, when no
	// request is waiting for one.
	MaxIdle int
	// IdleTimeout closes a connection idle that long.
	IdleTimeout time.Duration
	// HeaderTimeout bounds the time from writing a request to reading the
	// whole of the response headers.
	HeaderTimeout time.Duration
	// MaxHeaderBytes bounds the response headers (and whatever the read
	// buffer takes in with them).
	MaxHeaderBytes int64
	// ReadBufferSize and WriteBufferSize size each connection's buffers;
	// zero means bufio's default (4 KiB).
	ReadBufferSize, WriteBufferSize int
}

// Transport is an http.RoundTripper to the one server Options.Dial reaches.
// It is safe for concurrent use.
type Transport struct {
	opt Options
	// readers and writers hold the buffers of connections in use; an idle
	// connection gives its own back.
	readers, writers sync.Pool

	mu         sync.Mutex
	idle       []*conn // oldest first; requests take the newest
	open       int     // connections open or being dialled
	waiting    int     // requests waiting for a connection
	freed      chan struct{}
	sweep      *time.Timer // closes connections idle past IdleTimeout
	sweepArmed bool        // the sweep is due; armed while the idle list is not empty
}

// New returns a Transport with the given options.
func New(opt Options) *Transport {
	t := &Transport{opt: opt, freed: make(chan struct{})}
	readSize, writeSize := orDefault(opt.ReadBufferSize, 4096), orDefault(opt.WriteBufferSize, 4096)
	t.readers.New = func() any { return bufio.NewReaderSize(nil, readSize) }
	t.writers.New = func() any { return bufio.NewWriterSize(nil, writeSize) }
	return t
}

// get returns a connection for one request: the newest idle one (reused
// true), a new one while fewer than MaxConns are open, or else the first to
// come free before ctx ends.
func (t *Transport) get(ctx context.Context) (c *conn, reused bool, err error) {
	for {
		t.mu.Lock()
		if n := len(t.idle); n > 0 {
			c = t.idle[n-1]
			t.idle[n-1] = nil
			t.idle = t.idle[:n-1]
			t.mu.Unlock()
			return c, true, nil
		}
		if t.opt.MaxConns <= 0 || t.open < t.opt.MaxConns {
			t.open++
			t.mu.Unlock()
			c, err = t.dial(ctx)
			if err != nil {
				t.forget()
			}
			return c, false, err
		}
		t.waiting++
		freed := t.freed
		t.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
		}
		t.mu.Lock()
		t.waiting--
		t.mu.Unlock()
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
	}
}

// dial opens a connection and remembers its TLS state.
func (t *Transport) dial(ctx context.Context) (*conn, error) {
	nc, err := t.opt.Dial(ctx)
	if err != nil {
		return nil, err
	}
	c := newConn(t, nc)
	if tc, ok := nc.(*tls.Conn); ok {
		state := tc.ConnectionState()
		c.tls = &state
	}
	return c, nil
}

// put takes back a connection whose last response was read whole. It is
// kept idle if there is room or a request is waiting for it; else closed.
func (t *Transport) put(c *conn) {
	t.mu.Lock()
	if len(t.idle) >= t.opt.MaxIdle && t.waiting == 0 {
		t.mu.Unlock()
		c.close()
		return
	}
	c.idleSince = time.Now()
	t.idle = append(t.idle, c)
	if !t.sweepArmed {
		t.armSweepLocked(t.opt.IdleTimeout)
	}
	t.wakeLocked()
	t.mu.Unlock()
}

// forget counts a connection closed (or a dial failed).
func (t *Transport) forget() {
	t.mu.Lock()
	t.open--
	t.wakeLocked()
	t.mu.Unlock()
}

// wakeLocked tells the waiting requests that a connection came free.
func (t *Transport) wakeLocked() {
	if t.waiting > 0 {
		close(t.freed)
		t.freed = make(chan struct{})
	}
}

// armSweepLocked runs the sweep in d. It is armed once for the oldest
// idle connection, not again at each release (the poll loop's hot path):
// the sweep re-arms itself for the oldest of those left.
func (t *Transport) armSweepLocked(d time.Duration) {
	if t.opt.IdleTimeout <= 0 {
		return
	}
	t.sweepArmed = true
	if t.sweep == nil {
		t.sweep = time.AfterFunc(d, t.closeExpired)
		return
	}
	t.sweep.Reset(d)
}

// closeExpired closes the connections idle for IdleTimeout and runs again
// when the oldest of the rest expires.
func (t *Transport) closeExpired() {
	now := time.Now()
	t.mu.Lock()
	n := 0
	for n < len(t.idle) && now.Sub(t.idle[n].idleSince) >= t.opt.IdleTimeout {
		n++
	}
	expired := t.takeIdleLocked(n)
	t.sweepArmed = false
	if len(t.idle) > 0 {
		t.armSweepLocked(t.opt.IdleTimeout - now.Sub(t.idle[0].idleSince))
	}
	t.mu.Unlock()
	for _, c := range expired {
		c.close()
	}
}

// takeIdleLocked removes the n oldest idle connections and returns them.
func (t *Transport) takeIdleLocked(n int) []*conn {
	if n == 0 {
		return nil
	}
	taken := make([]*conn, n)
	copy(taken, t.idle[:n])
	rest := copy(t.idle, t.idle[n:])
	clear(t.idle[rest:])
	t.idle = t.idle[:rest]
	return taken
}

// CloseIdleConnections closes every idle connection; those in use close or
// come back idle when their responses end.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.takeIdleLocked(len(t.idle))
	t.mu.Unlock()
	for _, c := range idle {
		c.close()
	}
}
