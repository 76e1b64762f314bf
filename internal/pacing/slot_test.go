package pacing

import (
	"fmt"
	"testing"
	"time"
)

func TestNextStart(t *testing.T) {
	const i = 30 * time.Second
	epoch := time.Unix(1_800_000_000, 0) // a multiple of 30 s: offset 0
	tests := []struct {
		name  string
		start time.Time
		slot  time.Duration
		want  time.Time
	}{
		{"on its slot: an interval later", epoch.Add(7 * time.Second), 7 * time.Second, epoch.Add(37 * time.Second)},
		{"a hair after its slot (a worker picked it up late)", epoch.Add(7*time.Second + 40*time.Millisecond), 7 * time.Second, epoch.Add(37 * time.Second)},
		{"slot 4 s before the interval ends: there", epoch, 26 * time.Second, epoch.Add(26 * time.Second)},
		{"slot just within a fifth: there", epoch, 24 * time.Second, epoch.Add(24 * time.Second)},
		{"slot further back: a fifth early", epoch, 10 * time.Second, epoch.Add(24 * time.Second)},
		{"slot right after start: a fifth early", epoch, 1 * time.Second, epoch.Add(24 * time.Second)},
		{"no interval: at once", epoch, 0, epoch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			interval := i
			if tc.name == "no interval: at once" {
				interval = 0
			}
			if got := NextStart(tc.start, interval, tc.slot); !got.Equal(tc.want) {
				t.Errorf("NextStart(+%s, %s, %s) = +%s, want +%s", tc.start.Sub(epoch), interval, tc.slot, got.Sub(epoch), tc.want.Sub(epoch))
			}
		})
	}
}

// TestPollsReachTheirSlotWithinFivePollsAndNeverComeLate: from any phase, a
// host's polls come every four fifths to one interval, and from the sixth
// poll on at its slot, exactly an interval apart (the worst phase is just
// before the slot: polls can only come earlier, so it walks back almost a
// whole interval, a fifth at a time).
func TestPollsReachTheirSlotWithinFivePollsAndNeverComeLate(t *testing.T) {
	const i = 30 * time.Second
	slot := 11 * time.Second
	for phase := time.Duration(0); phase < i; phase += 700 * time.Millisecond {
		start := time.Unix(1_800_000_000, 0).Add(phase)
		for poll := 1; poll <= 8; poll++ {
			next := NextStart(start, i, slot)
			if gap := next.Sub(start); gap < i*4/5 || gap > i {
				t.Fatalf("phase %s, poll %d: gap %s, want within [24s, 30s]", phase, poll, gap)
			}
			if onSlot := time.Duration(next.UnixNano()%int64(i)) == slot; poll >= 5 && !onSlot {
				t.Errorf("phase %s: poll %d starts at offset %s, want its slot %s", phase, poll+1, time.Duration(next.UnixNano()%int64(i)), slot)
			}
			start = next
		}
	}
}

// TestSlotsSpreadAFleetEvenly: 1,000 hosts named as a fleet names them fill
// every tenth of the interval with about a tenth of them, and a host's slot
// is the same at every call.
func TestSlotsSpreadAFleetEvenly(t *testing.T) {
	const i = 30 * time.Second
	var buckets [10]int
	for n := range 1000 {
		key := fmt.Sprintf("fleet/host-%04d", n)
		s := Slot(key, i)
		if s < 0 || s >= i || s != Slot(key, i) {
			t.Fatalf("Slot(%q) = %s: outside [0, %s) or not stable", key, s, i)
		}
		buckets[s*10/i]++
	}
	for b, n := range buckets {
		if n < 60 || n > 140 {
			t.Errorf("tenth %d of the interval holds %d of 1,000 hosts, want about 100: %v", b, n, buckets)
		}
	}
	if Slot("x", 0) != 0 {
		t.Error("Slot with no interval is not 0")
	}
}
