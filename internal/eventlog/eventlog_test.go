package eventlog

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

// line is one container event as Engine 20.10 writes it.
func line(action, id, name string, at time.Time, attrs string) string {
	if attrs != "" {
		attrs = "," + attrs
	}
	return fmt.Sprintf(`{"status":%q,"id":%q,"from":"busybox","Type":"container","Action":%q,`+
		`"Actor":{"ID":%q,"Attributes":{"image":"busybox","name":%q%s}},"scope":"local","time":%d,"timeNano":%d}`+"\n",
		action, id, action, id, name, attrs, at.Unix(), at.UnixNano())
}

var t0 = time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC)

func TestReadDecodesContainerEventsAndTheirAttributes(t *testing.T) {
	stream := line("kill", "c1", "web", t0, `"signal":"15"`) +
		line("die", "c1", "web", t0.Add(time.Millisecond), `"exitCode":"143"`) +
		line("health_status: unhealthy", "c2", "db", t0.Add(2*time.Millisecond), "") +
		`{"Type":"network","Action":"connect","Actor":{"ID":"n1"},"timeNano":1}` + "\n"
	res := Read(strings.NewReader(stream), t0.Add(time.Second), Limits{})
	if res.Cut != CutNone || res.Malformed != 0 || res.Ignored != 1 || len(res.Events) != 3 {
		t.Fatalf("Read = %+v, want 3 events, 1 ignored, nothing cut", res)
	}
	want := []Event{
		{Action: "kill", ContainerID: "c1", Name: "web", Signal: "15", Time: t0},
		{Action: "die", ContainerID: "c1", Name: "web", ExitCode: "143", Time: t0.Add(time.Millisecond)},
		{Action: "health_status", Detail: "unhealthy", ContainerID: "c2", Name: "db", Time: t0.Add(2 * time.Millisecond)},
	}
	for i, ev := range res.Events {
		if ev.Labels != nil {
			t.Errorf("event %d labels = %v, want none (image and name are no labels)", i, ev.Labels)
		}
		if !ev.Time.Equal(want[i].Time) {
			t.Errorf("event %d time = %v, want %v", i, ev.Time, want[i].Time)
		}
		ev.Time = want[i].Time
		if !reflect.DeepEqual(ev, want[i]) {
			t.Errorf("event %d = %+v, want %+v", i, ev, want[i])
		}
	}
	if !res.Last.Equal(t0.Add(2*time.Millisecond)) || res.Bytes != int64(len(stream)) {
		t.Errorf("Last = %v, Bytes = %d; want the last event's time and %d", res.Last, res.Bytes, len(stream))
	}
}

func TestReadKeepsTheContainersLabels(t *testing.T) {
	res := Read(strings.NewReader(line("die", "c1", "web", t0, `"exitCode":"1","tier":"front"`)), time.Time{}, Limits{})
	if len(res.Events) != 1 || len(res.Events[0].Labels) != 1 || res.Events[0].Labels["tier"] != "front" {
		t.Fatalf("Read = %+v, want the one label tier=front", res)
	}
}

func TestReadCountsAndSkipsMalformedLines(t *testing.T) {
	stream := "not json\n" + line("die", "c1", "web", t0, `"exitCode":"1"`) +
		"{\"Action\":\n" + "\n   \n" + "[1,2]\n" + line("start", "c1", "web", t0, "")
	res := Read(strings.NewReader(stream), time.Time{}, Limits{})
	if res.Malformed != 3 || len(res.Events) != 2 || res.Cut != CutNone {
		t.Fatalf("Read = %+v, want 3 malformed, 2 events, nothing cut", res)
	}
}

func TestReadTruncatedStreamKeepsWholeLinesAndCountsTheHalfOne(t *testing.T) {
	full := line("die", "c1", "web", t0, `"exitCode":"1"`)
	half := line("start", "c1", "web", t0, "")
	res := Read(strings.NewReader(full+half[:len(half)/2]), time.Time{}, Limits{})
	if len(res.Events) != 1 || res.Malformed != 1 || res.Cut != CutNone {
		t.Fatalf("Read = %+v, want the whole event, the half line malformed", res)
	}
}

func TestReadStopsAtTheFirstEventPastUntil(t *testing.T) {
	// A daemon that ignores until keeps streaming: the reader must stop.
	stream := line("die", "c1", "web", t0, `"exitCode":"1"`) +
		line("start", "c1", "web", t0.Add(2*time.Second), "") +
		line("die", "c1", "web", t0.Add(3*time.Second), `"exitCode":"1"`)
	res := Read(&endless{prefix: stream}, t0.Add(time.Second), Limits{})
	if res.Cut != CutUntil || len(res.Events) != 1 {
		t.Fatalf("Read = %+v, want 1 event and CutUntil", res)
	}
}

func TestReadStopsAtMaxEvents(t *testing.T) {
	var b strings.Builder
	for i := range 10 {
		b.WriteString(line("die", "c1", "web", t0.Add(time.Duration(i)), `"exitCode":"1"`))
	}
	res := Read(strings.NewReader(b.String()), time.Time{}, Limits{MaxEvents: 4})
	if res.Cut != CutMaxEvents || len(res.Events) != 4 || !res.Last.Equal(t0.Add(3)) {
		t.Fatalf("Read = %+v, want 4 events, CutMaxEvents, Last at the 4th", res)
	}
}

func TestReadOfAHugeBodyStopsAtMaxBytes(t *testing.T) {
	one := line("die", "c1", "web", t0, `"exitCode":"1"`)
	res := Read(&endless{repeat: one}, time.Time{}, Limits{MaxEvents: 1 << 30, MaxBytes: 100 << 10})
	if res.Cut != CutMaxBytes || res.Bytes != 100<<10 || res.Malformed != 0 {
		t.Fatalf("Read = cut %q, %d bytes, %d malformed; want CutMaxBytes at 102400 bytes, none malformed", res.Cut, res.Bytes, res.Malformed)
	}
	if want := (100 << 10) / len(one); len(res.Events) != want {
		t.Errorf("kept %d events, want the %d whole lines within the bound", len(res.Events), want)
	}
}

func TestReadSkipsALineLongerThanMaxLineBytes(t *testing.T) {
	long := `{"Action":"die","junk":"` + strings.Repeat("x", MaxLineBytes) + `"}` + "\n"
	stream := long + line("die", "c1", "web", t0, `"exitCode":"1"`)
	res := Read(strings.NewReader(stream), time.Time{}, Limits{})
	if res.Malformed != 1 || len(res.Events) != 1 || res.Cut != CutNone {
		t.Fatalf("Read = %+v, want the long line malformed and the next event kept", res)
	}
}

func TestReadReportsAReaderErrorAsACut(t *testing.T) {
	stream := line("die", "c1", "web", t0, `"exitCode":"1"`) + `{"Action":"st`
	res := Read(io.MultiReader(strings.NewReader(stream), errReader{}), time.Time{}, Limits{})
	if res.Cut != CutError || !errors.Is(res.Err, errDeadline) || len(res.Events) != 1 || res.Malformed != 0 {
		t.Fatalf("Read = %+v, want 1 event, CutError with the reader's error, the partial line not decoded", res)
	}
}

var errDeadline = errors.New("context deadline exceeded")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errDeadline }

// endless yields prefix, then repeat forever (or blank lines without one):
// a daemon that never ends its answer.
type endless struct {
	prefix, repeat string
	pending        string
}

func (e *endless) Read(p []byte) (int, error) {
	if e.pending == "" {
		e.pending, e.prefix = e.prefix, ""
		if e.pending == "" {
			e.pending = e.repeat
		}
		if e.pending == "" {
			e.pending = "\n"
		}
	}
	n := copy(p, e.pending)
	e.pending = e.pending[n:]
	return n, nil
}
