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

// maximum returns the largest value; 0 for none. With few runs on a shared
// machine, the spread says how far to trust the median.
func maximum(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return slices.Max(ds)
}

// first returns the first value (the very first cold snapshot); 0 for none.
func first(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[0]
}

// ratio divides two durations; 0 when the divisor is 0.
func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// millis prints a duration in milliseconds with one decimal: one unit for
// every row, since the figures run from a few milliseconds (the cgroup
// source) to many seconds (the worker pool).
func millis(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

// row names one row of the report and its timings.
type row struct {
	name string
	ds   []time.Duration
}

// quotient names one ratio of the report: the timings of ds over those of of.
type quotient struct {
	name   string
	ds, of []time.Duration
}

// rows are the report's measurements, (d) only when it was taken.
func rows(r *results) []row {
	rs := []row{
		{"(a) dockwatch snapshot, warm (steady-state polling)", r.warm},
		{"    dockwatch snapshot, cold (first of a new client)", r.cold},
		{fmt.Sprintf("(b) dockwatch snapshot, warm, MaxConcurrentStats=%d", boundedStats), r.bounded},
		{"(c) docker stats --no-stream", r.dockerStats},
	}
	if r.cgroup.skipped == "" {
		rs = append(rs, row{"(d) dockwatch snapshot, warm, cgroup stats source", r.cgroup.warm})
	}
	return rs
}

// quotients are the report's ratios, those of (d) only when it was taken.
func quotients(r *results) []quotient {
	qs := []quotient{
		{"ratio a/c (warm)", r.warm, r.dockerStats},
		{"ratio a/c (cold)", r.cold, r.dockerStats},
		{"ratio b/c", r.bounded, r.dockerStats},
	}
	if r.cgroup.skipped == "" {
		qs = append(qs, quotient{"ratio d/a (cgroup vs API source)", r.cgroup.warm, r.warm},
			quotient{"ratio d/c", r.cgroup.warm, r.dockerStats})
	}
	return qs
}

// writeReport prints the timings, the ratios, the cgroup files alone (or
// why the cgroup source was skipped) and whether the target is met.
func writeReport(out io.Writer, r *results) error {
	cgroup := ""
	if r.cgroup.version != "" {
		cgroup = ", cgroup v" + r.cgroup.version
	}
	fmt.Fprintf(out, "dockwatch snapshot vs docker stats --no-stream: %d idle containers, Docker %s (API %s), %d CPUs%s, %s, %d runs each\n\n",
		r.containers, r.daemon.Version, r.daemon.APIVersion, r.daemon.NCPU, cgroup, r.endpoint, r.runs)
	w := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprintf(w, "measurement\t%10s\t%10s\t%10s\t%10s\n", "median", "min", "max", "first")
	for _, row := range rows(r) {
		fmt.Fprintf(w, "%s\t%10s\t%10s\t%10s\t%10s\n", row.name, millis(median(row.ds)), millis(minimum(row.ds)), millis(maximum(row.ds)), millis(first(row.ds)))
	}
	for _, q := range quotients(r) {
		fmt.Fprintf(w, "%s\t%10.3f\t%10.3f\n", q.name, ratio(median(q.ds), median(q.of)), ratio(minimum(q.ds), minimum(q.of)))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out)
	if r.cgroup.skipped != "" {
		fmt.Fprintf(out, "(d) cgroup stats source: %s\n", r.cgroup.skipped)
	} else {
		fmt.Fprintf(out, "(d) cgroup files alone (Read of %d located containers, sequential): %s, %s per container\n",
			r.containers, millis(r.cgroup.filesOnly), (r.cgroup.filesOnly / time.Duration(r.containers)).Round(time.Microsecond))
	}
	verdict := "met"
	if got := ratio(median(r.warm), median(r.dockerStats)); got > targetRatio {
		verdict = "NOT met"
	}
	_, err := fmt.Fprintf(out, "target: warm snapshot <= %.1f x docker stats --no-stream (medians): %s\n", targetRatio, verdict)
	return err
}
