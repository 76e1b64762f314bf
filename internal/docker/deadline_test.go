package docker

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

func TestContainerDeadline(t *testing.T) {
	now := time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC)
	tests := []struct {
		left, want time.Duration
	}{
		{10 * time.Second, 8 * time.Second},              // a fifth kept back
		{3 * time.Second, 2400 * time.Millisecond},       // the fault suite's polls
		{500 * time.Millisecond, 300 * time.Millisecond}, // at least minPollReserve
		{300 * time.Millisecond, 100 * time.Millisecond}, // still minPollReserve
		{150 * time.Millisecond, 75 * time.Millisecond},  // shorter than the reserve: half
		{0, 0},
	}
	for _, tt := range tests {
		if got := containerDeadline(now, now.Add(tt.left)).Sub(now); got != tt.want {
			t.Errorf("containerDeadline with %s left = +%s, want +%s", tt.left, got, tt.want)
		}
	}
}

func TestFreshBaseline(t *testing.T) {
	at := func(sec int) *container.StatsResponse {
		return &container.StatsResponse{Read: time.Date(2026, 12, 1, 21, 0, sec, 0, time.UTC)}
	}
	tests := []struct {
		name      string
		prev, cur *container.StatsResponse
		maxAge    time.Duration
		fresh     bool
	}{
		{"first appearance", nil, at(30), 15 * time.Second, false},
		{"one interval old", at(25), at(30), 15 * time.Second, true},
		{"exactly the limit", at(15), at(30), 15 * time.Second, true},
		{"after an outage", at(0), at(30), 15 * time.Second, false},
		{"no limit", at(0), at(59), 0, true},
	}
	for _, tt := range tests {
		if got := freshBaseline(tt.prev, tt.cur, tt.maxAge); (got != nil) != tt.fresh {
			t.Errorf("%s: fresh = %v, want %v", tt.name, got != nil, tt.fresh)
		}
	}
}

// TestStaleBaselineIsReplacedWithinThePoll has a container burn CPU during
// a one-hour gap between polls: the figure after the gap comes from two
// samples one tick apart (25%), not from the hour (about 100%), and a
// container's first poll already carries a figure.
func TestStaleBaselineIsReplacedWithinThePoll(t *testing.T) {
	web := webAndDB()[0]
	fake, endpoint := newFakeDaemon(t, "1.41", web)
	outageAfter := 2 // requests before the gap
	fake.setReply(web.ID, func(n int) (int, string) {
		s := fakeSample(n, false)
		if n > outageAfter {
			s.Read = s.Read.Add(time.Hour)
			s.CPUStats.CPUUsage.TotalUsage += 1e12 // busy through the gap
			s.CPUStats.SystemUsage += 2e12
		}
		raw, _ := json.Marshal(s)
		return 200, string(raw)
	})
	c := newTestClient(t, Config{Endpoint: endpoint, MaxBaselineAge: 15 * time.Second})
	c.tick = 10 * time.Millisecond
	poll := func() ContainerStats {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		snap, err := c.Snapshot(ctx, Selection{})
		if err != nil || len(snap.Containers) != 1 {
			t.Fatalf("Snapshot: %v", err)
		}
		return snap.Containers[0]
	}
	wantCPU := float64(cpuPerSample) / systemPerSample * 2 * 100
	if first := poll(); first.CPUPercent == nil || *first.CPUPercent != wantCPU {
		t.Fatalf("first poll CPU %v, want %v from a second sample a tick later", first.CPUPercent, wantCPU)
	}
	if _, samples := fake.counts(web.ID); samples != 2 {
		t.Errorf("first poll took %d samples, want 2", samples)
	}
	after := poll()
	if after.CPUPercent == nil || *after.CPUPercent != wantCPU {
		t.Fatalf("after the gap CPU %v, want %v from a fresh baseline (not the gap's average)", after.CPUPercent, wantCPU)
	}
	if _, samples := fake.counts(web.ID); samples != 4 {
		t.Errorf("%d samples after two polls, want 4 (the stale baseline replaced)", samples)
	}
	poll()
	if _, samples := fake.counts(web.ID); samples != 5 {
		t.Errorf("%d samples after three polls, want 5 (a fresh baseline is reused)", samples)
	}
}

// TestNoSecondSampleWithoutRoom keeps to one sample when the poll's
// deadline leaves no room for a tick: no CPU figure, rather than a late poll.
func TestNoSecondSampleWithoutRoom(t *testing.T) {
	web := webAndDB()[0]
	fake, endpoint := newFakeDaemon(t, "1.41", web)
	c := newTestClient(t, Config{Endpoint: endpoint})
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	snap, err := c.Snapshot(ctx, Selection{})
	if err != nil || len(snap.Containers) != 1 || snap.Containers[0].CPUPercent != nil {
		t.Fatalf("Snapshot with 1.5s for a 1s tick: %+v, %v; want one container without CPU", snap, err)
	}
	if _, samples := fake.counts(web.ID); samples != 1 {
		t.Errorf("%d samples, want 1", samples)
	}
}
