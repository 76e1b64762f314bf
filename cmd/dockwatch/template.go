package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"

	"github.com/dockwatch/dockwatch/internal/docker"
)

// tablePrefix starts a --format that prints a header row and aligns
// columns, as docker's "table ..." formats do.
const tablePrefix = "table"

// jsonFormat is docker's --format json: one object per container per line.
const jsonFormat = "json"

// statsRow is what a --format template sees for one container; its methods
// are docker stats' placeholders with docker's formatting.
type statsRow struct {
	c       docker.ContainerStats
	osType  string
	noTrunc bool
	asGiven string // the command-line argument naming c, if any
}

// Container is the container as named on the command line, else its
// 12-character ID (even with --no-trunc), as docker stats prints it.
func (r statsRow) Container() string {
	if r.asGiven != "" {
		return r.asGiven
	}
	if len(r.c.ID) > 12 {
		return r.c.ID[:12]
	}
	return r.c.ID
}

// Name is the container's name without docker's leading slash.
func (r statsRow) Name() string { return strings.TrimPrefix(r.c.Name, "/") }

// ID is the container ID, truncated to 12 characters unless --no-trunc.
func (r statsRow) ID() string {
	if !r.noTrunc && len(r.c.ID) > 12 {
		return r.c.ID[:12]
	}
	return r.c.ID
}

// CPUPerc is the CPU share with two decimals, "--" while unknown.
func (r statsRow) CPUPerc() string { return percent(r.c.CPUPercent) }

// MemUsage is "usage / limit" in binary units, as docker prints it.
func (r statsRow) MemUsage() string {
	return pair(r.c.MemoryUsageBytes, r.c.MemoryLimitBytes, binarySize)
}

// MemPerc is memory usage over the limit; Windows has no limit, so "--".
func (r statsRow) MemPerc() string {
	if r.windows() {
		return unknown
	}
	return fmt.Sprintf("%.2f%%", r.c.MemoryPercent)
}

// NetIO is "received / sent" in decimal units.
func (r statsRow) NetIO() string { return pair(r.c.NetRxBytes, r.c.NetTxBytes, decimalSize) }

// BlockIO is "read / written" in decimal units.
func (r statsRow) BlockIO() string {
	return pair(r.c.BlockReadBytes, r.c.BlockWriteBytes, decimalSize)
}

// PIDs is the number of processes; Windows reports none, so "--".
func (r statsRow) PIDs() string {
	if r.windows() {
		return unknown
	}
	return fmt.Sprint(r.c.PIDs)
}

func (r statsRow) windows() bool { return strings.EqualFold(r.osType, "windows") }

// statsHeader has the same methods as statsRow and returns docker's column
// names, so executing a table template on it renders the header row.
type statsHeader struct{}

// Container is the header of {{.Container}}.
func (statsHeader) Container() string { return "CONTAINER" }

// Name is the header of {{.Name}}.
func (statsHeader) Name() string { return "NAME" }

// ID is the header of {{.ID}}.
func (statsHeader) ID() string { return "CONTAINER ID" }

// CPUPerc is the header of {{.CPUPerc}}.
func (statsHeader) CPUPerc() string { return "CPU %" }

// MemUsage is the header of {{.MemUsage}}.
func (statsHeader) MemUsage() string { return "MEM USAGE / LIMIT" }

// MemPerc is the header of {{.MemPerc}}.
func (statsHeader) MemPerc() string { return "MEM %" }

// NetIO is the header of {{.NetIO}}.
func (statsHeader) NetIO() string { return "NET I/O" }

// BlockIO is the header of {{.BlockIO}}.
func (statsHeader) BlockIO() string { return "BLOCK I/O" }

// PIDs is the header of {{.PIDs}}.
func (statsHeader) PIDs() string { return "PIDS" }

// statsFormat is a parsed --format: a template, with or without a header
// row, or docker's json lines.
type statsFormat struct {
	tmpl  *template.Template
	table bool
	json  bool
	args  []string // the containers named on the command line
}

// parseFormat parses a --format value as docker does: "json", "table ..."
// (a header row, aligned), or a bare Go template; the two-character
// sequences \t and \n stand for a tab and a newline.
func parseFormat(format string) (*statsFormat, error) {
	if strings.TrimSpace(format) == jsonFormat {
		return &statsFormat{json: true}, nil
	}
	f := &statsFormat{}
	if rest, ok := strings.CutPrefix(format, tablePrefix); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
		f.table, format = true, strings.TrimLeft(rest, " \t")
		if format == "" {
			format = defaultTableFormat
		}
	}
	format = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(format)
	tmpl, err := template.New("format").Option("missingkey=error").Parse(format + "\n")
	if err != nil {
		return nil, usageErrorf("--format: %v", err)
	}
	f.tmpl = tmpl
	return f, nil
}

// defaultTableFormat is docker stats' own table: `table` alone means it.
const defaultTableFormat = "{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

// render writes every container through the format, aligned with the same
// tabwriter settings as the docker CLI (minimum width 10, padding 3).
func (f *statsFormat) render(out io.Writer, containers []docker.ContainerStats, osType string, noTrunc bool) error {
	rows := make([]statsRow, len(containers))
	given := namesGiven(containers, f.args)
	for i, c := range containers {
		rows[i] = statsRow{c: c, osType: osType, noTrunc: noTrunc, asGiven: given[c.ID]}
	}
	if f.json {
		return writeJSONLines(out, rows)
	}
	var buf bytes.Buffer
	w := tabwriter.NewWriter(&buf, 10, 1, 3, ' ', 0)
	if f.table {
		if err := f.tmpl.Execute(w, statsHeader{}); err != nil {
			return fmt.Errorf("render --format header: %w", err)
		}
	}
	for _, r := range rows {
		if err := f.tmpl.Execute(w, r); err != nil {
			return usageErrorf("--format: %v", err)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	_, err := out.Write(buf.Bytes())
	return err
}

// writeJSONLines prints one JSON object per container, keyed by docker's
// placeholder names, as `docker stats --format json` does.
func writeJSONLines(out io.Writer, rows []statsRow) error {
	enc := json.NewEncoder(out)
	for _, r := range rows {
		obj := map[string]string{
			"Container": r.Container(), "Name": r.Name(), "ID": r.ID(), "CPUPerc": r.CPUPerc(),
			"MemUsage": r.MemUsage(), "MemPerc": r.MemPerc(), "NetIO": r.NetIO(), "BlockIO": r.BlockIO(), "PIDs": r.PIDs(),
		}
		if err := enc.Encode(obj); err != nil {
			return fmt.Errorf("write JSON line: %w", err)
		}
	}
	return nil
}

// namesGiven maps container IDs to the argument that named them, so
// {{.Container}} prints what the user typed, as docker does.
func namesGiven(containers []docker.ContainerStats, args []string) map[string]string {
	given := make(map[string]string, len(args))
	for _, arg := range args {
		if c, err := findContainer(containers, arg); err == nil && given[c.ID] == "" {
			given[c.ID] = arg
		}
	}
	return given
}
