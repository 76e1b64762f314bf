package controllers

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/stats"
)

// Unit tests for the summarise step (status.go): pure functions of a snapshot.

// usage builds a container's stats; cpu may be nil (no CPU figure yet).
func usage(name string, cpu *float64, memBytes uint64) docker.ContainerStats {
	return docker.ContainerStats{ID: "id-" + name, Name: name, Image: "img",
		Usage: stats.Usage{CPUPercent: cpu, MemoryUsageBytes: memBytes}}
}

func TestHostSummaryTotalsAndDisplayStrings(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name                     string
		snap                     docker.Snapshot
		wantCPU                  *float64
		wantMemBytes             int64
		wantMemPct               float64
		wantCPUText, wantMemText string
		wantRunning, wantWatched int32
	}{{
		name: "cpu sums skip containers without a cpu figure",
		snap: docker.Snapshot{Running: 5, Containers: []docker.ContainerStats{
			usage("a", ptr(50.0), 0), usage("b", nil, 0), usage("c", ptr(49.7), 0)}},
		wantCPU: ptr(99.7), wantCPUText: "99.7%", wantMemText: "0B (0.0%)", wantRunning: 5, wantWatched: 3,
	}, {
		name: "no container with a CPU figure is no figure, not 0%; memory percent is 0 when the daemon's memory is unknown",
		snap: docker.Snapshot{Running: 1, Containers: []docker.ContainerStats{
			usage("a", nil, 1258291)}},
		wantMemBytes: 1258291, wantCPUText: "-", wantMemText: "1.2MiB (0.0%)", wantRunning: 1, wantWatched: 1,
	}, {
		name: "memory percent is taken against the daemon's total memory",
		snap: docker.Snapshot{Daemon: docker.DaemonInfo{MemTotalBytes: 2048 * mib}, Running: 2,
			Containers: []docker.ContainerStats{usage("a", ptr(1.2), 256*mib), usage("b", ptr(0.04), 256*mib)}},
		wantCPU: ptr(1.24), wantMemBytes: 512 * mib, wantMemPct: 25,
		wantCPUText: "1.2%", wantMemText: "512MiB (25.0%)", wantRunning: 2, wantWatched: 2,
	}, {
		name: "memory percent is rounded to two decimals",
		snap: docker.Snapshot{Daemon: docker.DaemonInfo{MemTotalBytes: 3 * mib},
			Containers: []docker.ContainerStats{usage("a", nil, mib)}},
		wantMemBytes: mib, wantMemPct: 33.33, wantCPUText: "-", wantMemText: "1MiB (33.3%)", wantWatched: 1,
	}, {
		name:    "an empty host sums to zero",
		snap:    docker.Snapshot{Running: 4},
		wantCPU: ptr(0.0), wantCPUText: "0.0%", wantMemText: "0B (0.0%)", wantRunning: 4,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := hostSummary(&tt.snap)
			if !reflect.DeepEqual(s.CPUPercent, tt.wantCPU) || s.MemoryBytes != tt.wantMemBytes || s.MemoryPercent != tt.wantMemPct {
				t.Errorf("cpu, memory, memory%% = %v, %v, %v; want %v, %v, %v",
					fmtPtr(s.CPUPercent), s.MemoryBytes, s.MemoryPercent, fmtPtr(tt.wantCPU), tt.wantMemBytes, tt.wantMemPct)
			}
			if s.CPU != tt.wantCPUText || s.Memory != tt.wantMemText {
				t.Errorf("display = %q, %q; want %q, %q", s.CPU, s.Memory, tt.wantCPUText, tt.wantMemText)
			}
			if s.ContainersRunning != tt.wantRunning || s.ContainersWatched != tt.wantWatched {
				t.Errorf("running, watched = %d, %d; want %d, %d",
					s.ContainersRunning, s.ContainersWatched, tt.wantRunning, tt.wantWatched)
			}
		})
	}
}

func TestTopContainersOrdersByCPUNilLastTiesByName(t *testing.T) {
	all := []docker.ContainerStats{
		usage("idle", nil, 0), usage("zeta", ptr(10.0), 0), usage("alpha", ptr(10.0), 0),
		usage("busy", ptr(95.5), 0), usage("aaa-idle", nil, 0), usage("zero", ptr(0.0), 0),
	}
	tests := []struct {
		name        string
		limit       int32
		wantNames   []string
		wantOmitted int32
	}{
		{"every container fits", 10, []string{"busy", "alpha", "zeta", "zero", "aaa-idle", "idle"}, 0},
		{"limit keeps the busiest and counts the rest", 3, []string{"busy", "alpha", "zeta"}, 3},
		{"limit one keeps only the busiest", 1, []string{"busy"}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, omitted := topContainers(all, tt.limit)
			names := make([]string, len(got))
			for i, c := range got {
				names[i] = c.Name
			}
			if strings.Join(names, ",") != strings.Join(tt.wantNames, ",") || omitted != tt.wantOmitted {
				t.Errorf("got %v (omitted %d), want %v (omitted %d)", names, omitted, tt.wantNames, tt.wantOmitted)
			}
		})
	}
	if all[0].Name != "idle" {
		t.Errorf("topContainers reordered its input: first is %q", all[0].Name)
	}
}

func TestTopContainersDefaultsToTwentyWhenSpecSaysZero(t *testing.T) {
	all := make([]docker.ContainerStats, 25)
	for i := range all {
		all[i] = usage(fmt.Sprintf("c%02d", i), ptr(float64(i)), 0)
	}
	got, omitted := topContainers(all, 0)
	if len(got) != defaultMaxContainersInStatus || omitted != 5 {
		t.Fatalf("got %d containers, %d omitted; want 20, 5", len(got), omitted)
	}
	if got[0].Name != "c24" || got[19].Name != "c05" {
		t.Errorf("kept %s..%s, want c24..c05", got[0].Name, got[19].Name)
	}
}

func TestFiveThousandContainersProduceAtMostTheBound(t *testing.T) {
	all := make([]docker.ContainerStats, 5000)
	for i := range all {
		var cpu *float64
		if i%7 != 0 {
			cpu = ptr(float64(i % 113))
		}
		all[i] = usage(fmt.Sprintf("c%04d", i), cpu, uint64(i))
	}
	for _, limit := range []int32{0, 1, 20, 100} {
		got, omitted := topContainers(all, limit)
		want := int(limit)
		if limit == 0 {
			want = defaultMaxContainersInStatus
		}
		if len(got) != want || int(omitted) != 5000-want {
			t.Errorf("limit %d: %d listed, %d omitted; want %d, %d", limit, len(got), omitted, want, 5000-want)
		}
		for i := 1; i < len(got); i++ {
			if cpuOrMinus(got[i].CPUPercent) > cpuOrMinus(got[i-1].CPUPercent) {
				t.Fatalf("limit %d: entry %d (%s) is busier than entry %d", limit, i, got[i].Name, i-1)
			}
		}
	}
}

func TestSummariseWritesDaemonPollTimeAndBoundedContainers(t *testing.T) {
	host := unitHost(3)
	host.Spec.MaxContainersInStatus = 2
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	snap := &docker.Snapshot{
		Daemon:  docker.DaemonInfo{Version: "27.1.1", APIVersion: "1.46", OS: "Ubuntu", NCPU: 8, MemTotalBytes: 1 << 30},
		Running: 3,
		Containers: []docker.ContainerStats{
			usage("a", ptr(1.0), 1), usage("b", ptr(2.0), 1), usage("c", ptr(3.0), 1)},
	}
	summarise(host, snap, now, 1500*time.Millisecond)
	st := host.Status
	if st.Daemon.Version != "27.1.1" || st.Daemon.NCPU != 8 || st.Daemon.MemTotalBytes != 1<<30 {
		t.Errorf("daemon = %+v", st.Daemon)
	}
	if !st.LastPollTime.Time.Equal(now) || st.PollDurationMillis != 1500 {
		t.Errorf("lastPollTime, pollDurationMillis = %v, %d", st.LastPollTime, st.PollDurationMillis)
	}
	if len(st.Containers) != 2 || st.ContainersOmitted != 1 || st.Containers[0].Name != "c" {
		t.Errorf("containers = %v, omitted %d; want c, b and 1 omitted", st.Containers, st.ContainersOmitted)
	}
	if st.Summary.ContainersWatched != 3 || st.Summary.CPUPercent == nil || *st.Summary.CPUPercent != 6 {
		t.Errorf("summary = %+v", st.Summary)
	}
}

func TestContainerUsageRoundsAndClamps(t *testing.T) {
	c := docker.ContainerStats{ID: "abc", Name: "web", Image: "nginx", Usage: stats.Usage{
		CPUPercent: ptr(12.3456), CPULimitPercent: ptr(99.999), CPUThrottledPercent: ptr(66.6666), MemoryUsageBytes: math.MaxUint64,
		MemoryLimitBytes: 1 << 30, MemoryPercent: 33.3333, NetRxBytes: 1, NetTxBytes: 2,
		BlockReadBytes: 3, BlockWriteBytes: 4, PIDs: 5}}
	got := containerUsage(c)
	if *got.CPUPercent != 12.35 || *got.CPULimitPercent != 100 || got.MemoryPercent != 33.33 {
		t.Errorf("rounded figures = %v, %v, %v", *got.CPUPercent, *got.CPULimitPercent, got.MemoryPercent)
	}
	if got.MemoryBytes != math.MaxInt64 || got.MemoryLimitBytes != 1<<30 || got.PIDs != 5 || got.BlockWriteBytes != 4 {
		t.Errorf("counters = %+v", got)
	}
	if got.CPUThrottledPercent == nil || *got.CPUThrottledPercent != 66.67 {
		t.Errorf("cpuThrottledPercent = %v, want 66.67", got.CPUThrottledPercent)
	}
	if missing := containerUsage(usage("x", nil, 0)); missing.CPUPercent != nil || missing.CPUThrottledPercent != nil {
		t.Error("a missing CPU or throttling figure became a value")
	}
}

func TestHumanBytesUsesBinaryUnitsLikeDockerStats(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0B"}, {1023, "1023B"}, {1024, "1KiB"}, {1536, "1.5KiB"},
		{1258291, "1.2MiB"}, {5 << 30, "5GiB"}, {3 << 40, "3TiB"},
		{1 << 50, "1PiB"}, {math.MaxInt64, "8EiB"},
	}
	for _, tt := range tests {
		if got := humanBytes(tt.in); got != tt.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRound2KeepsTwoDecimals(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{0, 0}, {1.004, 1}, {1.005000001, 1.01}, {99.999, 100}, {-2.346, -2.35}, {12345.678, 12345.68},
	}
	for _, tt := range tests {
		if got := round2(tt.in); got != tt.want {
			t.Errorf("round2(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestClampInt64SaturatesInsteadOfWrappingNegative(t *testing.T) {
	tests := []struct {
		in   uint64
		want int64
	}{
		{0, 0}, {42, 42}, {math.MaxInt64, math.MaxInt64},
		{math.MaxInt64 + 1, math.MaxInt64}, {math.MaxUint64, math.MaxInt64},
	}
	for _, tt := range tests {
		if got := clampInt64(tt.in); got != tt.want {
			t.Errorf("clampInt64(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestTruncateCutsToMaxWithEllipsis(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly-10", 10, "exactly-10"},
		{"eleven-char", 10, "eleven-..."},
		{strings.Repeat("x", 2000), 1024, strings.Repeat("x", 1021) + "..."},
	}
	for _, tt := range tests {
		got := truncate(tt.in, tt.max)
		if got != tt.want || len(got) > tt.max {
			t.Errorf("truncate(%.20q, %d) = %.20q (len %d), want %.20q", tt.in, tt.max, got, len(got), tt.want)
		}
	}
}

// A condition message cut in the middle of a multi-byte character is not
// valid UTF-8; the API server's JSON then shows a replacement character.
func TestTruncateDoesNotSplitAMultiByteCharacter(t *testing.T) {
	msg := strings.Repeat("a", 1020) + "ünïcode error text"
	got := truncate(msg, 1024)
	if !utf8.ValidString(got) || len(got) > 1024 {
		t.Errorf("truncate produced invalid UTF-8 or too long a message: ...%q (len %d)", got[1015:], len(got))
	}
}

// fmtPtr prints a figure that may be absent.
func fmtPtr(v *float64) string {
	if v == nil {
		return "no figure"
	}
	return fmt.Sprint(*v)
}
