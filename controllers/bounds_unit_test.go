package controllers

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dockwatch/dockwatch/internal/docker"
)

func TestCapStringCutsWithAMarkerOnARuneBoundary(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		max  int
	}{
		{"ascii megabyte", strings.Repeat("v", 1<<20), maxVersionLength},
		{"multi-byte at the cut", strings.Repeat("é", 200), maxVersionLength},
		{"exactly the cap", strings.Repeat("k", maxKernelLength), maxKernelLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := capString(tc.in, tc.max)
			if len(got) > tc.max || !utf8.ValidString(got) {
				t.Fatalf("capString gave %d bytes (valid UTF-8: %v), want at most %d", len(got), utf8.ValidString(got), tc.max)
			}
			if cut := len(tc.in) > tc.max; cut != strings.HasSuffix(got, truncatedMarker) {
				t.Fatalf("marker present = %v, want %v: %q", !cut, cut, got[max(0, len(got)-20):])
			}
			if len(tc.in) <= tc.max && got != tc.in {
				t.Fatalf("a string that fits was changed")
			}
		})
	}
}

func TestCapKeyKeepsLongNamesWithACommonPrefixApart(t *testing.T) {
	prefix := strings.Repeat("n", 4096)
	a, b := capKey(prefix+"a", maxNameLength), capKey(prefix+"b", maxNameLength)
	if a == b || len(a) > maxNameLength || len(b) > maxNameLength || !strings.Contains(a, "…(truncated ") {
		t.Fatalf("capKey: %q and %q (lens %d, %d)", a[len(a)-30:], b[len(b)-30:], len(a), len(b))
	}
	if capKey("web", maxNameLength) != "web" {
		t.Fatal("a short name was changed")
	}
}

// A daemon answering with megabyte strings everywhere must still give a
// status far below the API server's request limit.
func TestMegabyteDaemonStringsGiveASmallStatus(t *testing.T) {
	huge := strings.Repeat("x", 1<<20)
	snap := &docker.Snapshot{
		Daemon: docker.DaemonInfo{Version: huge, APIVersion: huge, OS: huge, KernelVersion: huge},
		Containers: []docker.ContainerStats{
			{ID: huge + "1", Name: huge + "1", Image: huge, State: "running"},
			{ID: huge + "2", Name: huge + "2", Image: huge, State: "running"},
		},
		Skipped: []docker.SkippedContainer{{ID: huge + "3", Name: huge + "3"}},
	}
	bounded := boundSnapshot(snap)
	if len(snap.Containers[0].Name) != len(huge)+1 {
		t.Fatal("boundSnapshot changed its input")
	}
	host := unitHost(1)
	summarise(host, bounded, time.Now(), time.Second)
	raw, err := json.Marshal(host.Status)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > 8<<10 {
		t.Fatalf("status is %d bytes from megabyte daemon strings, want under 8 KiB", len(raw))
	}
	if c := host.Status.Containers; len(c) != 2 || c[0].ID == c[1].ID || c[0].Name == c[1].Name {
		t.Fatalf("cut IDs or names collide: %+v", c)
	}
	if len(bounded.Skipped[0].Name) > maxNameLength {
		t.Fatal("a skipped container's name was not cut")
	}
}
