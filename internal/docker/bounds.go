package docker

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/docker/go-units"
	"golang.org/x/sync/semaphore"
)

// Caps on one daemon answer, by path. Each is sized from real payloads with
// wide headroom: a stats document is 2-6 KiB (with per-CPU figures for 64
// CPUs), an inspect answer 5-10 KiB, /info 3-5 KiB, a container list about
// 1-3 KiB per container (so 5,000 containers with Compose labels fit).
// Anything larger is not a Docker answer and is cut with an error, never
// silently truncated.
const (
	maxPingBytes    = 4 << 10
	maxVersionBytes = 64 << 10
	maxInfoBytes    = 256 << 10
	maxListBytes    = 16 << 20
	maxInspectBytes = 1 << 20
	maxStatsBytes   = 128 << 10
	// maxOtherBytes caps anything else the guard lets through (nothing today).
	maxOtherBytes = 64 << 10
)

// Bounds across answers.
const (
	// maxPollBytes is what one Snapshot may read from its daemon in all
	// (list, inspects, stats). A healthy 5,000-container host reads about
	// 70 MiB on its first poll (inspect included) and 30 MiB afterwards.
	maxPollBytes = 128 << 20
	// maxInFlightBytes bounds the daemon bytes held at once by every
	// Client in the process, so many hostile hosts polled together cannot
	// exhaust the manager: bodies being decoded, plus the container lists
	// of the polls in progress (their decoded names and labels live until
	// the poll ends).
	maxInFlightBytes = 24 << 20
	// freeBytesPerAnswer is the start of each answer that is not charged
	// to the process-wide bound, so the small answers of healthy hosts
	// never wait behind hostile ones. Concurrency bounds its sum: hosts
	// polled at once × MaxConcurrentStats × 8 KiB.
	freeBytesPerAnswer = 8 << 10
	// maxChunk is the most one Read may take before it is charged.
	maxChunk = 64 << 10
	// maxResponseHeaderBytes bounds a daemon's response headers; Docker
	// sends a few hundred bytes.
	maxResponseHeaderBytes = 64 << 10
)

// inFlight is the process-wide bound on daemon bytes held at once.
var inFlight = semaphore.NewWeighted(maxInFlightBytes)

// BodyTooLargeError is returned (and recorded as the call's cause) when a
// daemon's answer exceeds its path's cap, or a poll its byte budget.
type BodyTooLargeError struct {
	// Path is the request path without the API version prefix.
	Path string
	// What names the cap: "container list", "stats document", "poll budget".
	What string
	// Limit is the cap in bytes.
	Limit int64
}

func (e *BodyTooLargeError) Error() string {
	return fmt.Sprintf("the daemon's answer to GET %s exceeded the %s cap of %s; dockwatch stopped reading it",
		e.Path, e.What, units.BytesSize(float64(e.Limit)))
}

// bodyCap returns the cap for an allowed path (version prefix stripped),
// whether the decoded answer lives until the poll ends (the container
// list), and what the cap is called in errors.
func bodyCap(p string) (limit int64, what string, heldForPoll bool) {
	switch p {
	case "/_ping":
		return maxPingBytes, "ping", false
	case "/version":
		return maxVersionBytes, "/version", false
	case "/info":
		return maxInfoBytes, "/info", false
	case "/containers/json":
		return maxListBytes, "container list", true
	}
	switch {
	case strings.HasSuffix(p, "/stats"):
		return maxStatsBytes, "stats document", false
	case strings.HasPrefix(p, "/containers/") && strings.HasSuffix(p, "/json"):
		return maxInspectBytes, "inspect", false
	}
	return maxOtherBytes, "answer", false
}

// stripVersion removes the "/v1.41" prefix the Docker client adds.
func stripVersion(p string) string {
	if loc := apiVersionPrefix.FindStringIndex(p); loc != nil {
		return "/" + p[loc[1]:]
	}
	return p
}

// pollBudget is one Snapshot's byte budget, carried in its context: every
// answer it reads counts against maxPollBytes, and the container list's
// in-flight charge is kept until the poll ends.
type pollBudget struct {
	read atomic.Int64
	mu   sync.Mutex
	held int64
	done bool // finished: a late hold is released at once
}

type pollBudgetKey struct{}

// withPollBudget returns a context whose requests share one budget, and
// the function that releases what the poll still holds.
func withPollBudget(ctx context.Context) (context.Context, func()) {
	b := &pollBudget{}
	return context.WithValue(ctx, pollBudgetKey{}, b), b.finish
}

func pollBudgetFrom(ctx context.Context) *pollBudget {
	b, _ := ctx.Value(pollBudgetKey{}).(*pollBudget)
	return b
}

// hold keeps n in-flight bytes charged until the poll ends.
func (b *pollBudget) hold(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		inFlight.Release(n)
		return
	}
	b.held += n
}

// finish releases the bytes the poll held.
func (b *pollBudget) finish() {
	b.mu.Lock()
	n := b.held
	b.held, b.done = 0, true
	b.mu.Unlock()
	if n > 0 {
		inFlight.Release(n)
	}
}

// boundedBody wraps a response body: it fails (never truncates) past the
// path's cap or the poll's budget, charges the bytes beyond the free start
// to the process-wide bound, and releases them when closed (or, for the
// container list, when the poll ends).
type boundedBody struct {
	body    io.ReadCloser
	ctx     context.Context
	path    string
	what    string
	limit   int64
	hold    bool
	poll    *pollBudget
	sink    *rawErrorSink
	read    int64
	charged int64
	err     error
	closed  bool
}

// boundBody wraps resp.Body of an allowed request.
func boundBody(req *http.Request, resp *http.Response) {
	p := stripVersion(req.URL.Path)
	limit, what, hold := bodyCap(p)
	resp.Body = &boundedBody{
		body: resp.Body, ctx: req.Context(), path: p, what: what, limit: limit, hold: hold,
		poll: pollBudgetFrom(req.Context()), sink: rawErrorFrom(req.Context()),
	}
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if len(p) > maxChunk {
		p = p[:maxChunk]
	}
	n, err := b.body.Read(p)
	if n > 0 {
		if ferr := b.account(int64(n)); ferr != nil {
			b.err = ferr
			b.sink.record(ferr)
			return 0, ferr
		}
	}
	return n, err
}

// account checks n more bytes against the caps and charges them.
func (b *boundedBody) account(n int64) error {
	b.read += n
	if b.read > b.limit {
		return &BodyTooLargeError{Path: b.path, What: b.what, Limit: b.limit}
	}
	if b.poll != nil && b.poll.read.Add(n) > maxPollBytes {
		return &BodyTooLargeError{Path: b.path, What: "per-poll budget", Limit: maxPollBytes}
	}
	charge := min(n, b.read-freeBytesPerAnswer)
	if charge <= 0 {
		return nil
	}
	if err := inFlight.Acquire(b.ctx, charge); err != nil {
		return fmt.Errorf("read the answer to GET %s: waiting for the process-wide bound of %s on daemon bytes in flight: %w",
			b.path, units.BytesSize(maxInFlightBytes), err)
	}
	b.charged += charge
	return nil
}

// Close closes the body and releases its charge, or hands it to the poll.
func (b *boundedBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	err := b.body.Close()
	if b.charged > 0 {
		if b.hold && b.poll != nil {
			b.poll.hold(b.charged)
		} else {
			inFlight.Release(b.charged)
		}
	}
	return err
}
