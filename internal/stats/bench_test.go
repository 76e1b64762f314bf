package stats_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/dockwatch/dockwatch/internal/stats"
)

// payload reads a recorded stats document from the stats package's testdata.
func payload(b *testing.B, name string) []byte {
	b.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		b.Fatalf("read payload: %v", err)
	}
	return data
}

// BenchmarkDecodeAndCompute measures the per-container cost of turning one
// stats document into figures, the work a poll does for every container:
// a two-sample document (precpu filled by the daemon) recorded from Engine
// 20.10, and a one-shot document with the client's previous sample.
func BenchmarkDecodeAndCompute(b *testing.B) {
	prevV2, err := stats.Decode(payload(b, "stats-cgroupv2-oneshot-1.json"))
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
		prev *container.StatsResponse
	}{
		{"cgroupv1-twosample-engine20.10", payload(b, "stats-cgroupv1-twosample-engine20.10.json"), nil},
		{"cgroupv2-oneshot-with-previous", payload(b, "stats-cgroupv2-oneshot-2.json"), prevV2},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.data)))
			b.ReportAllocs()
			for b.Loop() {
				cur, err := stats.Decode(tc.data)
				if err != nil {
					b.Fatal(err)
				}
				if u := stats.Compute(cur, tc.prev, "linux", 2); u.CPUPercent == nil {
					b.Fatal("no CPU figure: the payload pair is not what the benchmark expects")
				}
			}
		})
	}
}
