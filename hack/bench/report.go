package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// targetRatio is the goal: a warm snapshot in at most half the time of
// `docker stats --no-stream`.
const targetRatio = 0.5

// median returns the middle value (mean of the two middle ones for an even
// count); 0 for none.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// minimum returns the smallest value; 0 for none.
func minimum(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return slices.Min(ds)
}

// ratio divides two durations; 0 when the divisor is 0.
func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// seconds prints a duration as seconds with two decimals.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// writeReport prints the timings, the ratios and whether the target is met.
func writeReport(out io.Writer, r *results) error {
	fmt.Fprintf(out, "dockwatch snapshot vs docker stats --no-stream: %d idle containers, Docker %s (API %s), %d CPUs, %s, %d runs each\n\n",
		r.containers, r.daemon.Version, r.daemon.APIVersion, r.daemon.NCPU, r.endpoint, r.runs)
	w := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "measurement\t median\t    min\t  first")
	rows := []struct {
		name string
		ds   []time.Duration
	}{
		{"(a) dockwatch snapshot, warm (steady-state polling)", r.warm},
		{"    dockwatch snapshot, cold (first of a new client)", r.cold},
		{fmt.Sprintf("(b) dockwatch snapshot, warm, MaxConcurrentStats=%d", boundedStats), r.bounded},
		{"(c) docker stats --no-stream", r.dockerStats},
	}
	for _, row := range rows {
		fmt.Fprintf(w, "%s\t%7s\t%7s\t%7s\n", row.name, seconds(median(row.ds)), seconds(minimum(row.ds)), seconds(first(row.ds)))
	}
	for _, q := range []struct {
		name   string
		ds, of []time.Duration
	}{{"ratio a/c (warm)", r.warm, r.dockerStats}, {"ratio a/c (cold)", r.cold, r.dockerStats}, {"ratio b/c", r.bounded, r.dockerStats}} {
		fmt.Fprintf(w, "%s\t%7.2f\t%7.2f\t\n", q.name, ratio(median(q.ds), median(q.of)), ratio(minimum(q.ds), minimum(q.of)))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	verdict := "met"
	if got := ratio(median(r.warm), median(r.dockerStats)); got > targetRatio {
		verdict = "NOT met"
	}
	_, err := fmt.Fprintf(out, "\ntarget: warm snapshot <= %.1f x docker stats --no-stream (medians): %s\n", targetRatio, verdict)
	return err
}

// first returns the first value (the very first cold snapshot); 0 for none.
func first(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[0]
}
