package pacing

import (
	"testing"
	"time"
)

func TestInFlight(t *testing.T) {
	spread := Plan{Floor: 8, Ceiling: 256}
	capped := Plan{Floor: 8, Ceiling: 256, MaxWaves: 5}
	tests := []struct {
		name       string
		plan       Plan
		left       int
		room, tick time.Duration
		want       int
	}{
		{"50 containers over the 7 waves of an 8 s deadline", spread, 50, 7900 * time.Millisecond, time.Second, 8},
		{"a first poll's 100 requests (each container sampled twice)", spread, 100, 7900 * time.Millisecond, time.Second, 15},
		{"a small host still in one wave", spread, 5, 7900 * time.Millisecond, time.Second, 8},
		{"ticks of 1.4 s leave 5 waves", spread, 50, 7900 * time.Millisecond, 1400 * time.Millisecond, 10},
		{"behind: 34 left, 3 waves of room", spread, 34, 5200 * time.Millisecond, 1400 * time.Millisecond, 12},
		{"one wave of room: all at once", spread, 40, 1500 * time.Millisecond, time.Second, 40},
		{"less than a wave of room: all at once", spread, 40, 300 * time.Millisecond, time.Second, 40},
		{"no room at all: all at once", spread, 40, -time.Second, time.Second, 40},
		{"the connection limit holds", spread, 5000, 7900 * time.Millisecond, time.Second, 256},
		{"nothing left", spread, 0, 7900 * time.Millisecond, time.Second, 0},
		{"no tick (a source that does not wait): all at once", Plan{Floor: 1, Ceiling: 256}, 50, 8 * time.Second, 0, 50},
		{"a 30 s timeout, 23 waves", spread, 120, 23900 * time.Millisecond, time.Second, 8},
		{"at most 5 waves: 50 over 10", capped, 50, 7900 * time.Millisecond, time.Second, 10},
		{"at most 5 waves, and fewer fit", capped, 50, 3900 * time.Millisecond, time.Second, 17},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.plan.InFlight(tc.left, tc.room, tc.tick); got != tc.want {
				t.Errorf("InFlight(%d, %s, %s) = %d, want %d", tc.left, tc.room, tc.tick, got, tc.want)
			}
		})
	}
}

func TestTick(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		out := make([]time.Duration, len(vs))
		for i, v := range vs {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		name      string
		latencies []time.Duration
		base      time.Duration
		want      time.Duration
	}{
		{"nothing answered yet: the base", nil, time.Second, time.Second},
		{"a first wave answered early stays at the base", ms(300, 300, 310), time.Second, time.Second},
		{"slow ticks show after the second wave", ms(300, 300, 1400, 1400), time.Second, 1400 * time.Millisecond},
		{"one hung container does not move it", ms(1000, 1000, 1000, 7900), time.Second, time.Second},
		{"a faster daemon than the last poll saw keeps the base", ms(1000, 1000), 1400 * time.Millisecond, 1400 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Tick(tc.latencies, tc.base); got != tc.want {
				t.Errorf("Tick(%v, %s) = %s, want %s", tc.latencies, tc.base, got, tc.want)
			}
		})
	}
}
