// Package eventlog decodes the Docker Engine's event log
// (GET /events: newline-delimited JSON objects) within bounds.
//
// Read takes any io.Reader and never holds more than one line and the
// events it keeps: it stops at a count of events, a count of bytes, the end
// of the requested window (for a daemon that ignores `until` and keeps
// streaming) or the reader's first error (a deadline, a connection cut), and
// says in the Result which of these ended it. Malformed lines are counted
// and skipped. Only container events are kept, with the few attributes the
// lifecycle alerts read.
//
// The package does no I/O of its own and knows nothing of Docker clients or
// Kubernetes.
package eventlog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"
)

// Defaults for zero Limits fields.
const (
	// DefaultMaxEvents is far more container events than a healthy host
	// produces in a poll (a restart loop makes two a second), and keeps a
	// runaway host's poll at a few hundred KiB.
	DefaultMaxEvents = 1000
	// DefaultMaxBytes bounds the bytes read per poll. Real event lines are
	// 300-1000 bytes (labels make them longer).
	DefaultMaxBytes = 1 << 20
	// MaxLineBytes bounds one line; a longer one is skipped as malformed.
	MaxLineBytes = 64 << 10
)

// Limits bounds one Read.
type Limits struct {
	// MaxEvents is how many container events are kept; DefaultMaxEvents when 0.
	MaxEvents int
	// MaxBytes is how many bytes are read; DefaultMaxBytes when 0.
	MaxBytes int64
}

// Actions the lifecycle alerts read. Health events carry their status after
// a colon ("health_status: unhealthy").
const (
	ActionCreate       = "create"
	ActionOOM          = "oom"
	ActionDie          = "die"
	ActionKill         = "kill"
	ActionStop         = "stop"
	ActionStart        = "start"
	ActionRestart      = "restart"
	ActionDestroy      = "destroy"
	ActionHealthStatus = "health_status"
)

// Event is one container event.
type Event struct {
	// Action is the action verb without any ": detail" suffix ("die",
	// "health_status").
	Action string
	// Detail is what followed the colon, e.g. "unhealthy"; "" for most actions.
	Detail string
	// ContainerID is the full container ID (Actor.ID).
	ContainerID string
	// Name is the container name (Actor.Attributes.name).
	Name string
	// ExitCode is Actor.Attributes.exitCode ("" when absent), on die.
	ExitCode string
	// Signal is Actor.Attributes.signal ("" when absent), on kill.
	Signal string
	// Labels are the container's labels, which the daemon sends among the
	// attributes: every attribute but name, image, exitCode and signal.
	Labels map[string]string
	// Time is when the daemon logged the event (timeNano, else time).
	Time time.Time
}

// Cut says what ended a Read early.
type Cut string

// The ways a Read can end before the end of the stream.
const (
	// CutNone: the stream ended by itself, as the daemon does at `until`.
	CutNone Cut = ""
	// CutMaxEvents: MaxEvents events were kept; the rest were not read.
	CutMaxEvents Cut = "MaxEvents"
	// CutMaxBytes: MaxBytes bytes were read; the rest were not.
	CutMaxBytes Cut = "MaxBytes"
	// CutUntil: an event past the window's end arrived, so the daemon did
	// not honour `until`; reading stopped there.
	CutUntil Cut = "Until"
	// CutError: the reader failed (a deadline, a connection cut); a
	// partial last line is not decoded.
	CutError Cut = "Error"
)

// Result is what one Read found.
type Result struct {
	// Events are the container events in the order the daemon sent them.
	Events []Event
	// Malformed counts lines that were not a JSON event object (or were
	// longer than MaxLineBytes) and were skipped.
	Malformed int
	// Ignored counts well-formed events that were not container events.
	Ignored int
	// Bytes is how many bytes were consumed.
	Bytes int64
	// Cut says what ended the read early, CutNone when nothing did.
	Cut Cut
	// Err is the reader's error with CutError.
	Err error
	// Last is the time of the last event decoded (zero when none): the
	// point to resume from when the read was cut.
	Last time.Time
}

// wireEvent is the subset of the Engine's events.Message we read.
type wireEvent struct {
	Type   string `json:"Type"`
	Action string `json:"Action"`
	Actor  struct {
		ID         string            `json:"ID"`
		Attributes map[string]string `json:"Attributes"`
	} `json:"Actor"`
	// Before API 1.22 the daemon sent these instead of Type/Actor.
	Status   string `json:"status"`
	ID       string `json:"id"`
	Time     int64  `json:"time"`
	TimeNano int64  `json:"timeNano"`
}

// Read decodes container events from r within lim, stopping at the first
// event after until (a zero until sets no window end).
func Read(r io.Reader, until time.Time, lim Limits) Result {
	maxEvents, maxBytes := lim.MaxEvents, lim.MaxBytes
	if maxEvents <= 0 {
		maxEvents = DefaultMaxEvents
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	counted := &countingReader{r: io.LimitReader(r, maxBytes)}
	lines := bufio.NewReaderSize(counted, 4096)
	var res Result
	for {
		line, tooLong, err := readLine(lines)
		atBound := counted.n >= maxBytes
		// A line the bound or an error cut short is not decoded; one the
		// stream simply ended without a newline is.
		if err == nil || (errors.Is(err, io.EOF) && !atBound) {
			res.Cut = res.take(line, tooLong, until)
		}
		if res.Cut == CutNone && len(res.Events) >= maxEvents {
			res.Cut = CutMaxEvents
		}
		if res.Cut == CutNone && err != nil {
			res.Cut, res.Err = endOfStream(err, atBound)
		}
		if res.Cut != CutNone || err != nil {
			res.Bytes = counted.n
			return res
		}
	}
}

// endOfStream names how the stream ended: by itself (CutNone), at the byte
// bound, or with the reader's error.
func endOfStream(err error, atByteBound bool) (Cut, error) {
	switch {
	case !errors.Is(err, io.EOF):
		return CutError, err
	case atByteBound:
		return CutMaxBytes, nil
	default:
		return CutNone, nil
	}
}

// take decodes one line into res: blank lines are skipped, overlong and
// undecodable ones counted as malformed. It returns CutUntil for an event
// past the window, which is not kept.
func (res *Result) take(line []byte, tooLong bool, until time.Time) Cut {
	line = bytes.TrimSpace(line)
	if len(line) == 0 && !tooLong {
		return CutNone
	}
	var w wireEvent
	if tooLong || json.Unmarshal(line, &w) != nil {
		res.Malformed++
		return CutNone
	}
	ev, ok := w.event()
	if !ok {
		res.Ignored++
		return CutNone
	}
	if !until.IsZero() && ev.Time.After(until) {
		return CutUntil
	}
	res.Events = append(res.Events, ev)
	res.Last = ev.Time
	return CutNone
}

// event converts a wire event; false when it is not a container event
// with an ID and an action.
func (w wireEvent) event() (Event, bool) {
	action, id := w.Action, w.Actor.ID
	if action == "" && w.Type == "" { // pre-1.22 shape
		action, id, w.Type = w.Status, w.ID, "container"
	}
	verb, detail, _ := strings.Cut(action, ":")
	verb = strings.TrimSpace(verb)
	if w.Type != "container" || verb == "" || id == "" {
		return Event{}, false // a blank action (" ", ": x") names nothing
	}
	ev := Event{
		Action:      verb,
		Detail:      strings.TrimSpace(detail),
		ContainerID: id,
		Name:        w.Actor.Attributes["name"],
		ExitCode:    w.Actor.Attributes["exitCode"],
		Signal:      w.Actor.Attributes["signal"],
		Labels:      labelsOf(w.Actor.Attributes),
	}
	switch {
	case w.TimeNano > 0:
		ev.Time = time.Unix(0, w.TimeNano)
	case w.Time > 0:
		ev.Time = time.Unix(w.Time, 0)
	}
	return ev, true
}

// labelsOf is attrs without the attributes that are not labels; nil when
// nothing is left.
func labelsOf(attrs map[string]string) map[string]string {
	var labels map[string]string
	for k, v := range attrs {
		switch k {
		case "name", "image", "exitCode", "signal":
			continue
		}
		if labels == nil {
			labels = map[string]string{}
		}
		labels[k] = v
	}
	return labels
}

// readLine returns the next line. tooLong reports a line longer than
// MaxLineBytes, whose bytes are read and dropped. err is the reader's error
// (io.EOF at the end) with whatever partial line preceded it.
func readLine(r *bufio.Reader) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > MaxLineBytes {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, tooLong, err
		}
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
