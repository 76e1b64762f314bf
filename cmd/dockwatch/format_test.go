package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/stats"
)

func TestSizesAreFormattedAsDockerStatsDoes(t *testing.T) {
	tests := []struct {
		bytes           float64
		binary, decimal string
	}{
		{0, "0B", "0B"},
		{999, "999B", "999B"},
		{1000, "1000B", "1kB"},
		{1023, "1023B", "1.02kB"},
		{1024, "1KiB", "1.02kB"},
		{1536, "1.5KiB", "1.54kB"},
		{64 << 20, "64MiB", "67.1MB"},
		{123456789, "117.7MiB", "123MB"},
		{2000000000, "1.863GiB", "2GB"},
		{1 << 40, "1TiB", "1.1TB"},
		{999999, "976.6KiB", "1e+03kB"}, // docker's %.3g shows this too
	}
	for _, tt := range tests {
		if got := binarySize(tt.bytes); got != tt.binary {
			t.Errorf("binarySize(%v) = %q, want %q", tt.bytes, got, tt.binary)
		}
		if got := decimalSize(tt.bytes); got != tt.decimal {
			t.Errorf("decimalSize(%v) = %q, want %q", tt.bytes, got, tt.decimal)
		}
	}
}

func TestPercentHasTwoDecimalsOrDashes(t *testing.T) {
	tests := []struct {
		in   *float64
		want string
	}{
		{nil, "--"},
		{ptr(0), "0.00%"},
		{ptr(99.996), "100.00%"},
		{ptr(3.125), "3.12%"},
		{ptr(187.5), "187.50%"},
	}
	for _, tt := range tests {
		if got := percent(tt.in); got != tt.want {
			t.Errorf("percent(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTableRowMatchesDockerStatsColumns(t *testing.T) {
	c := docker.ContainerStats{
		ID: strings.Repeat("ab", 32), Name: "web-1",
		Usage: stats.Usage{
			CPUPercent: ptr(99.5), MemoryUsageBytes: 3 << 20, MemoryLimitBytes: 64 << 20, MemoryPercent: 4.6875,
			NetRxBytes: 1500, NetTxBytes: 0, BlockReadBytes: 4096, BlockWriteBytes: 2 << 20, PIDs: 2,
		},
	}
	tests := []struct {
		name    string
		osType  string
		noTrunc bool
		want    []string
	}{
		{"linux", "linux", false, []string{"abababababab", "web-1", "99.50%", "3MiB / 64MiB", "4.69%", "1.5kB / 0B", "4.1kB / 2.1MB", "2"}},
		{"full ID", "linux", true, []string{strings.Repeat("ab", 32), "web-1", "99.50%", "3MiB / 64MiB", "4.69%", "1.5kB / 0B", "4.1kB / 2.1MB", "2"}},
		{"windows has no MEM % or PIDS", "windows", false, []string{"abababababab", "web-1", "99.50%", "3MiB / 64MiB", "--", "1.5kB / 0B", "4.1kB / 2.1MB", "--"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tableRow(c, tt.osType, tt.noTrunc)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("row\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestTableAlignsColumnsUnderDockerHeaders(t *testing.T) {
	var buf bytes.Buffer
	rows := []docker.ContainerStats{
		{ID: "1234567890abcdef", Name: "a", Usage: stats.Usage{CPUPercent: ptr(1)}},
		{ID: "fedcba0987654321", Name: "a-much-longer-name"},
	}
	if err := writeTable(&buf, rows, "linux", false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want header + 2:\n%s", len(lines), buf.String())
	}
	header := lines[0]
	for _, col := range tableHeader {
		if !strings.Contains(header, col) {
			t.Errorf("header %q lacks %q", header, col)
		}
	}
	cpuCol := strings.Index(header, "CPU %")
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l[cpuCol:], "1.00%") && !strings.HasPrefix(l[cpuCol:], "--") {
			t.Errorf("CPU figure not under its header at column %d: %q", cpuCol, l)
		}
	}
}

func TestFiltersBuildTheSelection(t *testing.T) {
	labels := map[string]string{"env": "prod", "tier": "web"}
	tests := []struct {
		name    string
		filters []string
		match   map[string]bool // container name -> selected (with labels above)
	}{
		{"no filter selects everything", nil, map[string]bool{"web-1": true, "db": true}},
		{"names are globs, any of them", []string{"name=web-*", "name=db"}, map[string]bool{"web-1": true, "db": true, "cache": false}},
		{"labels must all hold", []string{"label=env=prod", "label=tier in (web,api)"}, map[string]bool{"web-1": true}},
		{"a label that does not hold", []string{"label=env=prod", "label=tier=db"}, map[string]bool{"web-1": false}},
		{"label existence, docker's label=KEY", []string{"label=env"}, map[string]bool{"x": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := parseFilters(tt.filters, false)
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range tt.match {
				if got := sel.Matches("/"+name, labels); got != want {
					t.Errorf("%s selected = %v, want %v", name, got, want)
				}
			}
		})
	}
}

func TestFiltersRejectMistakesAsUsageErrors(t *testing.T) {
	for _, f := range []string{"name", "name=", "status=running", "name=[", "label=a b c"} {
		_, err := parseFilters([]string{f}, false)
		if _, ok := err.(*usageError); !ok {
			t.Errorf("--filter %q: err = %v, want a usage error", f, err)
		}
	}
}

func ptr(v float64) *float64 { return &v }
