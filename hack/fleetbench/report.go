package main

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

// Targets from issue 9, for the pass/miss column.
const (
	targetAgeP99 = 35 * time.Second
	targetCores  = 0.5
	targetRSS    = 200 << 20
)

// writeReport prints the fleet figures and whether each target is met;
// the per-process targets hold for each replica.
func writeReport(out io.Writer, o options, r *results) {
	p50, p99 := percentile(r.ages, 0.50), percentile(r.ages, 0.99)
	fmt.Fprintf(out, "fleet: %d hosts x %d containers (%d busy), %s interval, mutual TLS, %s, manager flags %q env %q; %s window after %s warm-up\n",
		o.hosts, o.containers, o.busy, o.interval, replicasLine(o.replicas), o.managerArgs, o.managerEnv, r.window, o.warmup)
	fmt.Fprintf(out, "machine: %d CPUs, load average %s at start, %s at end (fake fleet and API server on the same machine)\n",
		runtime.NumCPU(), r.load[0], r.load[1])
	row := reportRow(out)
	row("poll age p50 / p99", fmt.Sprintf("%.1fs / %.1fs", p50.Seconds(), p99.Seconds()), "p99 <= 35s", p99 <= targetAgeP99)
	row("hosts Ready=False / never polled", fmt.Sprintf("%d / %d (worst sample)", r.notReady, r.neverPoll), "0", r.notReady == 0 && r.neverPoll == 0)
	for i, m := range r.replicas {
		if len(r.replicas) > 1 {
			fmt.Fprintf(out, "  replica %d of %d: %d hosts owned, %d members seen (at the end)\n", i+1, len(r.replicas), m.hostsOwned, m.members)
		}
		writeReplica(row, &m)
	}
	row("TLS handshakes/s full / resumed", fmt.Sprintf("%.2f / %.1f", r.fullPerSec, r.resPerSec), "", true)
	row("fleet connections open (mean)", fmt.Sprintf("%.0f", r.fleetOpenMean), "", true)
	row("API writes/s PATCH / POST", fmt.Sprintf("%.1f / %.1f", r.patchPerSec, r.postPerSec), "", true)
	row("API reads/s GET", fmt.Sprintf("%.1f", r.getPerSec), "", true)
}

// writeReplica prints one manager process's figures.
func writeReplica(row func(name, value, target string, ok bool), m *replicaResults) {
	row("poll lag p99 (histogram)", m.lagP99, "", true)
	row("manager CPU", fmt.Sprintf("%.3f cores", m.cpuCores), "< 0.5", m.cpuCores < targetCores)
	row("manager peak RSS in the window", fmt.Sprintf("%.0f MiB (now %.0f MiB)", mib(m.peakRSS), mib(m.rss)), "< 200 MiB", m.peakRSS < targetRSS)
	row("  RSS in the window, median", fmt.Sprintf("%.0f MiB (sampled about once a second)", mib(m.rssMedian)), "", true)
	row("manager peak RSS before (start-up)", fmt.Sprintf("%.0f MiB", mib(m.startupPeakRSS)), "< 200 MiB", m.startupPeakRSS < targetRSS)
	row("  of RSS now, mapped from files", fmt.Sprintf("%.0f MiB (the binary's pages)", mib(m.fileRSS)), "", true)
	row("  peak RSS before the last scrape", fmt.Sprintf("%.0f MiB", mib(m.peakBeforeScrape)), "", true)
	row("  Go heap in use / stacks", fmt.Sprintf("%.0f / %.0f MiB", mib(m.heapInuse), mib(m.stackInuse)), "", true)
	row("  Go heap goal (next GC) / live", heapGoal(m), "", true)
	row("  goroutines / GC cycles per s", fmt.Sprintf("%d / %.2f", m.goroutines, m.gcPerSec), "", true)
	row("manager sockets mean / max", fmt.Sprintf("%.0f / %d", m.socketsMean, m.socketsMax), "", true)
}

// reportRow prints one aligned row: a figure, its target and the verdict.
func reportRow(out io.Writer) func(name, value, target string, ok bool) {
	return func(name, value, target string, ok bool) {
		verdict := ""
		if target != "" {
			verdict = "met"
			if !ok {
				verdict = "MISSED"
			}
		}
		fmt.Fprintf(out, "  %-34s %-32s %-12s %s\n", name, value, target, verdict)
	}
}

// replicasLine says how many managers share the fleet.
func replicasLine(n int) string {
	if n == 1 {
		return "one manager"
	}
	return fmt.Sprintf("%d manager replicas (--sharding)", n)
}

// heapGoal is the Go heap size at which the next collection starts, and
// the live heap it implies: the goal is the live heap after the last
// collection grown by GOGC percent, so it says how much of the RSS is the
// manager's data and how much the GC's headroom. A GOMEMLIMIT may hold the
// goal below that, and GOGC=off has no such goal: then the live heap is
// not derived.
func heapGoal(r *replicaResults) string {
	switch {
	case r.softLimit:
		return fmt.Sprintf("%.0f MiB (a GOMEMLIMIT is set: live not derived)", mib(r.heapGoal))
	case r.gogc <= 0:
		return fmt.Sprintf("%.0f MiB (GOGC off: live not derived)", mib(r.heapGoal))
	}
	return fmt.Sprintf("%.0f / ~%.0f MiB (GOGC %.0f)", mib(r.heapGoal), mib(r.heapGoal)/(1+r.gogc/100), r.gogc)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
