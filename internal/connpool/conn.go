package connpool

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// longAgo is the deadline that makes a blocked read or write return now.
var longAgo = time.Unix(1, 0)

// conn is one connection and, while a request uses it, its buffers. A
// request owns it from get until its response ends (put or close); only
// cancel runs beside the owner.
type conn struct {
	t         *Transport
	nc        net.Conn
	br        *bufio.Reader
	bw        *bufio.Writer
	tls       *tls.ConnectionState
	idleSince time.Time

	// Owned by the request: bytes read from the connection for it, and how
	// many more the response headers may take.
	nread          int64
	headLeft       int64
	headerDeadline time.Time // zero when none
	closeOnce      sync.Once

	mu        sync.Mutex
	cancelled bool // the request's context ended: deadlines stay in the past
}

func newConn(t *Transport, nc net.Conn) *conn {
	return &conn{t: t, nc: nc, headLeft: math.MaxInt64}
}

// takeBuffers gives the connection its read and write buffers for a
// request, from its Transport's pools: a connection spends most of its
// life idle (between the waves of a poll, or kept for the next one), and
// at 1,000 hosts ~2,000 of them held 3 KiB each for nothing.
func (c *conn) takeBuffers() {
	if c.br == nil {
		c.br = c.t.readers.Get().(*bufio.Reader)
		c.br.Reset(countingReader{c})
	}
	if c.bw == nil {
		c.bw = c.t.writers.Get().(*bufio.Writer)
		c.bw.Reset(c.nc)
	}
}

// dropBuffers gives the buffers back when the connection goes idle or
// closes. The caller owns the connection, and nothing is buffered: an
// idle connection's response was read whole.
func (c *conn) dropBuffers() {
	if c.br != nil {
		c.br.Reset(nil)
		c.t.readers.Put(c.br)
		c.br = nil
	}
	if c.bw != nil {
		c.bw.Reset(nil)
		c.t.writers.Put(c.bw)
		c.bw = nil
	}
}

// countingReader reads the connection for the bufio.Reader, counting bytes
// and stopping the response headers at their limit.
type countingReader struct{ c *conn }

func (r countingReader) Read(p []byte) (int, error) {
	c := r.c
	if c.headLeft <= 0 {
		return 0, errHeadersTooLong
	}
	if int64(len(p)) > c.headLeft {
		p = p[:c.headLeft]
	}
	n, err := c.nc.Read(p)
	c.nread += int64(n)
	c.headLeft -= int64(n)
	return n, err
}

var errHeadersTooLong = errors.New("response header limit reached")

// setDeadline sets the connection's deadline unless the request was cancelled.
func (c *conn) setDeadline(d time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.cancelled {
		_ = c.nc.SetDeadline(d)
	}
}

// cancel unblocks the request's reads and writes for good; it runs on the
// context's AfterFunc goroutine.
func (c *conn) cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cancelled = true
	_ = c.nc.SetDeadline(longAgo)
}

// close closes the connection; its owner (or the idle sweep) calls it.
func (c *conn) close() {
	c.closeOnce.Do(func() {
		_ = c.nc.Close()
		c.dropBuffers()
		c.t.forget()
	})
}

// roundTrip sends req and reads its response headers. On success the
// response's body owns the connection; on error the caller closes it.
func (c *conn) roundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	c.takeBuffers()
	stop := context.AfterFunc(ctx, c.cancel)
	c.nread = 0
	c.headerDeadline = c.headerDeadlineFor(ctx)
	if !c.headerDeadline.IsZero() {
		c.setDeadline(c.headerDeadline)
	}
	err := req.Write(c.bw)
	if err == nil {
		err = c.bw.Flush()
	}
	var resp *http.Response
	tooLong := false
	if err == nil {
		c.headLeft = c.t.opt.MaxHeaderBytes
		if c.headLeft <= 0 {
			c.headLeft = math.MaxInt64
		}
		resp, err = http.ReadResponse(c.br, req)
		tooLong = c.headLeft <= 0
		c.headLeft = math.MaxInt64
	}
	if err == nil && resp.StatusCode < 200 {
		err = fmt.Errorf("unexpected informational response %q", resp.Status)
	}
	if err != nil {
		stop()
		return nil, c.explain(ctx, err, tooLong)
	}
	c.setDeadline(time.Time{})
	resp.TLS = c.tls
	b := &body{rc: resp.Body, c: c, stop: stop, keep: !resp.Close, ctx: ctx}
	if resp.Body == http.NoBody {
		b.finish(true)
		return resp, nil
	}
	resp.Body = b
	return resp, nil
}

// headerDeadlineFor is when HeaderTimeout ends for a request sent now, or
// zero when the request's own deadline comes first (the context then
// speaks for the timeout, as in net/http).
func (c *conn) headerDeadlineFor(ctx context.Context) time.Time {
	d := c.t.opt.HeaderTimeout
	if d <= 0 {
		return time.Time{}
	}
	at := time.Now().Add(d)
	if ctxAt, ok := ctx.Deadline(); ok && !at.Before(ctxAt) {
		return time.Time{}
	}
	return at
}

// explain turns a failed read or write into the error net/http would give:
// the context's error after a cancellation, else a header size or timeout
// error. Those come first because a read cut short by them leaves a partial
// header line, which textproto reports as malformed.
func (c *conn) explain(ctx context.Context, err error, tooLong bool) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if tooLong {
		return fmt.Errorf("server response headers exceeded %d bytes; aborted", c.t.opt.MaxHeaderBytes)
	}
	if !c.headerDeadline.IsZero() && !time.Now().Before(c.headerDeadline) {
		return headerTimeoutError{}
	}
	return err
}

// headerTimeoutError is HeaderTimeout passing; it is a net.Error timeout.
type headerTimeoutError struct{}

func (headerTimeoutError) Error() string   { return "timeout awaiting response headers" }
func (headerTimeoutError) Timeout() bool   { return true }
func (headerTimeoutError) Temporary() bool { return true }

// body is a response body that hands its connection back when read to the
// end, and closes it when abandoned, cancelled or broken. It never drains
// what is left: a hostile server's body may have no end.
type body struct {
	rc   io.ReadCloser
	c    *conn
	ctx  context.Context
	stop func() bool
	keep bool // the server did not ask to close the connection
	done atomic.Bool
}

func (b *body) Read(p []byte) (int, error) {
	if b.done.Load() {
		return 0, http.ErrBodyReadAfterClose
	}
	n, err := b.rc.Read(p)
	switch {
	case err == io.EOF:
		b.finish(true)
	case err != nil:
		b.finish(false)
		if b.ctx.Err() != nil {
			err = b.ctx.Err()
		}
	}
	return n, err
}

func (b *body) Close() error {
	b.finish(false)
	return nil
}

// finish ends the response once: the connection goes back to the pool only
// after a whole answer with nothing read beyond it and no cancellation.
func (b *body) finish(eof bool) {
	if !b.done.CompareAndSwap(false, true) {
		return
	}
	notCancelled := b.stop()
	if eof && notCancelled && b.keep && b.c.br.Buffered() == 0 {
		b.c.dropBuffers()
		b.c.t.put(b.c)
		return
	}
	b.c.close()
}

// RoundTrip sends req on a pooled connection and returns its response
// once the headers are in. A request without a body that met a reused
// connection which failed before answering a single byte (the server
// closed it while idle, or restarted) is sent again on another one.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	for {
		c, reused, err := t.get(req.Context())
		if err != nil {
			if req.Body != nil {
				_ = req.Body.Close()
			}
			return nil, err
		}
		resp, err := c.roundTrip(req)
		if err == nil {
			return resp, nil
		}
		c.close()
		// Each idle connection is tried at most once, so this ends: with an
		// answer, a failure past the first byte, or one on a new connection.
		retry := reused && c.nread == 0 && req.Context().Err() == nil &&
			(req.Body == nil || req.Body == http.NoBody)
		if !retry {
			return nil, err
		}
	}
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}
