package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/docker/go-units"

	"github.com/dockwatch/dockwatch/internal/docker"
)

// unknown is what docker prints for a figure it does not have.
const unknown = "--"

// binarySize formats memory as docker stats does (go-units' BytesSize):
// four significant digits in KiB/MiB/GiB, e.g. "64MiB", "1.953GiB".
func binarySize(size float64) string { return units.BytesSize(size) }

// decimalSize formats I/O counters as docker stats does (go-units'
// HumanSizeWithPrecision, 3 digits): kB/MB/GB, e.g. "1.23MB", "0B".
func decimalSize(size float64) string { return units.HumanSizeWithPrecision(size, 3) }

// percent formats a percentage with two decimals, "--" when unknown.
func percent(p *float64) string {
	if p == nil {
		return unknown
	}
	return fmt.Sprintf("%.2f%%", *p)
}

// pair formats "a / b" as docker does for usage/limit and rx/tx.
func pair(a, b uint64, format func(float64) string) string {
	return format(float64(a)) + " / " + format(float64(b))
}

// tableHeader is docker stats' header, column for column.
var tableHeader = []string{"CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"}

// tableRow renders one container the way `docker stats --no-stream` does.
// Windows reports neither a memory limit nor PIDs, so those show "--".
func tableRow(c docker.ContainerStats, osType string, noTrunc bool) []string {
	id := c.ID
	if !noTrunc && len(id) > 12 {
		id = id[:12]
	}
	memPct, pids := fmt.Sprintf("%.2f%%", c.MemoryPercent), fmt.Sprint(c.PIDs)
	if strings.EqualFold(osType, "windows") {
		memPct, pids = unknown, unknown
	}
	return []string{
		id, c.Name, percent(c.CPUPercent),
		pair(c.MemoryUsageBytes, c.MemoryLimitBytes, binarySize), memPct,
		pair(c.NetRxBytes, c.NetTxBytes, decimalSize),
		pair(c.BlockReadBytes, c.BlockWriteBytes, decimalSize), pids,
	}
}

// writeTable prints the header and one row per container, aligned with the
// same tabwriter settings as the docker CLI (minimum width 10, padding 3).
func writeTable(out io.Writer, containers []docker.ContainerStats, osType string, noTrunc bool) error {
	w := tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)
	fmt.Fprintln(w, strings.Join(tableHeader, "\t"))
	for _, c := range containers {
		fmt.Fprintln(w, strings.Join(tableRow(c, osType, noTrunc), "\t"))
	}
	return w.Flush()
}
