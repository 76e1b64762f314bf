package eventlog

import (
	"bytes"
	"testing"
	"time"
)

// FuzzRead feeds arbitrary bytes to the decoder: it must never panic, never
// keep more than the bounds allow and never read past MaxBytes.
func FuzzRead(f *testing.F) {
	f.Add([]byte(line("die", "c1", "web", t0, `"exitCode":"137"`)))
	f.Add([]byte(line("health_status: unhealthy", "c1", "web", t0, "") + "garbage\n{\"Action\":"))
	f.Add([]byte(`{"status":"die","id":"abc","time":1}` + "\n"))
	f.Add([]byte("\n\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxEvents: 8, MaxBytes: 4096}
		res := Read(bytes.NewReader(data), t0.Add(time.Hour), lim)
		if len(res.Events) > lim.MaxEvents {
			t.Fatalf("kept %d events, bound %d", len(res.Events), lim.MaxEvents)
		}
		if res.Bytes > lim.MaxBytes || res.Bytes > int64(len(data)) {
			t.Fatalf("read %d bytes of %d, bound %d", res.Bytes, len(data), lim.MaxBytes)
		}
		for _, ev := range res.Events {
			if ev.ContainerID == "" || ev.Action == "" {
				t.Fatalf("kept an event without ID or action: %+v", ev)
			}
			if ev.Time.After(t0.Add(time.Hour)) {
				t.Fatalf("kept an event past until: %+v", ev)
			}
		}
	})
}
