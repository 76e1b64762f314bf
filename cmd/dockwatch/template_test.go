package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/stats"
)

// sampleContainer has a figure for every placeholder.
func sampleContainer(cpu *float64) docker.ContainerStats {
	return docker.ContainerStats{ID: strings.Repeat("ab", 32), Name: "/web-1", Usage: stats.Usage{
		CPUPercent: cpu, MemoryUsageBytes: 1572864, MemoryLimitBytes: 64 << 20, MemoryPercent: 2.34375,
		NetRxBytes: 1234, NetTxBytes: 5_600_000, BlockReadBytes: 0, BlockWriteBytes: 4096, PIDs: 3,
	}}
}

// renderWith parses format and renders containers on a Linux daemon.
func renderWith(t *testing.T, format string, cs ...docker.ContainerStats) string {
	t.Helper()
	f, err := parseFormat(format)
	if err != nil {
		t.Fatalf("parse %q: %v", format, err)
	}
	var out bytes.Buffer
	if err := f.render(&out, cs, "linux", false); err != nil {
		t.Fatalf("render %q: %v", format, err)
	}
	return out.String()
}

func TestFormatPlaceholdersRenderAsDockerDoes(t *testing.T) {
	cpu := 12.3456
	c := sampleContainer(&cpu)
	cases := map[string]string{
		"{{.Container}}": "abababababab",
		"{{.Name}}":      "web-1",
		"{{.ID}}":        "abababababab",
		"{{.CPUPerc}}":   "12.35%",
		"{{.MemUsage}}":  "1.5MiB / 64MiB",
		"{{.MemPerc}}":   "2.34%",
		"{{.NetIO}}":     "1.23kB / 5.6MB",
		"{{.BlockIO}}":   "0B / 4.1kB",
		"{{.PIDs}}":      "3",
	}
	for format, want := range cases {
		if got := renderWith(t, format, c); got != want+"\n" {
			t.Errorf("%s = %q, want %q", format, got, want+"\n")
		}
	}
}

func TestFormatContainerIsTheNameAsGivenElseTheShortID(t *testing.T) {
	f, err := parseFormat("{{.Container}} {{.ID}}")
	if err != nil {
		t.Fatal(err)
	}
	c := sampleContainer(nil)
	c.Name = "web-1" // the engine hands names over without docker's slash
	for args, want := range map[string]string{"": "abababababab " + c.ID, "web-1": "web-1 " + c.ID, "ababab": "ababab " + c.ID} {
		f.args = strings.Fields(args)
		var out bytes.Buffer
		if err := f.render(&out, []docker.ContainerStats{c}, "linux", true); err != nil || out.String() != want+"\n" {
			t.Errorf("args %q with --no-trunc: %q (%v), want %q", args, out.String(), err, want)
		}
	}
}

func TestFormatMissingCPUShowsDockersPlaceholder(t *testing.T) {
	if got := renderWith(t, "{{.CPUPerc}}", sampleContainer(nil)); got != "--\n" {
		t.Errorf("CPUPerc without a figure = %q, want --", got)
	}
}

func TestFormatTablePrintsDockerHeadersAligned(t *testing.T) {
	cpu := 1.0
	got := renderWith(t, `table {{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.PIDs}}`, sampleContainer(&cpu))
	want := "NAME      CPU %     MEM USAGE / LIMIT   PIDS\n" +
		"web-1     1.00%     1.5MiB / 64MiB      3\n"
	if got != want {
		t.Errorf("table output:\n%q\nwant\n%q", got, want)
	}
	header := strings.Fields(strings.ReplaceAll(renderWith(t,
		`table {{.Container}}|{{.ID}}|{{.MemPerc}}|{{.NetIO}}|{{.BlockIO}}`), " ", "_"))
	if len(header) != 1 || header[0] != "CONTAINER|CONTAINER_ID|MEM_%|NET_I/O|BLOCK_I/O" {
		t.Errorf("header = %q", header)
	}
	if bare := renderWith(t, "table", sampleContainer(&cpu)); !strings.HasPrefix(bare, "CONTAINER ID   NAME      CPU %") {
		t.Errorf("bare table is not docker's default:\n%s", bare)
	}
}

func TestFormatJSONPrintsOneObjectPerContainerPerLine(t *testing.T) {
	cpu := 50.0
	got := renderWith(t, "json", sampleContainer(&cpu), sampleContainer(nil))
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), got)
	}
	var obj map[string]string
	if err := json.Unmarshal([]byte(lines[0]), &obj); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Container": "abababababab", "Name": "web-1", "ID": "abababababab", "CPUPerc": "50.00%",
		"MemUsage": "1.5MiB / 64MiB", "MemPerc": "2.34%", "NetIO": "1.23kB / 5.6MB", "BlockIO": "0B / 4.1kB", "PIDs": "3"}
	for k, v := range want {
		if obj[k] != v {
			t.Errorf("%s = %q, want %q", k, obj[k], v)
		}
	}
	if len(obj) != len(want) {
		t.Errorf("keys %v, want exactly docker's placeholders", obj)
	}
}

func TestFormatRejectsBadTemplatesAsUsageErrors(t *testing.T) {
	if _, err := parseFormat("{{.Name"); err == nil || !strings.Contains(err.Error(), "--format") {
		t.Errorf("unclosed action: err %v", err)
	}
	f, err := parseFormat("{{.Bogus}}")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.render(&bytes.Buffer{}, []docker.ContainerStats{sampleContainer(nil)}, "linux", false); err == nil {
		t.Error("unknown placeholder rendered without error")
	}
}
