package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dockwatch/dockwatch/internal/docker"
)

// statsLong is `dockwatch stats --help`'s description.
const statsLong = `Show the utilization of running containers, like 'docker stats': all of
them, or the containers named (names or ID prefixes, as docker takes them).
By default a live table is redrawn every --interval until Ctrl-C; the first
table has no CPU % yet (it needs two samples). --no-stream prints one table:
two snapshots are taken --interval apart. 100% is one full core.

--format takes a Go template with docker's placeholders ({{.Container}},
{{.Name}}, {{.ID}}, {{.CPUPerc}}, {{.MemUsage}}, {{.MemPerc}}, {{.NetIO}},
{{.BlockIO}}, {{.PIDs}}); 'table ...' adds a header row, 'json' prints one
JSON object per container per line. --json prints one document and exits.

--filter name=VALUE matches names containing VALUE, as docker does; a VALUE
with glob characters (* ? [) is a glob on the whole name instead, e.g.
name='web-*'. Several name filters match any of them; several label filters
must all hold (label-selector syntax: env=prod, 'tier in (web,api)', !debug).`

// defaultInterval matches the daemon's one-second collector tick: two
// snapshots closer than that can land in the same tick and give no CPU.
const defaultInterval = time.Second

// statsFlags are the options of the stats command.
type statsFlags struct {
	filters            []string
	format             string
	all, json, noTrunc bool
	noStream           bool
	interval           time.Duration
}

// register adds the stats options to fs.
func (s *statsFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&s.filters, "filter", "f", nil, "Filter output: `name=VALUE` (substring; a glob with * ? [) or label=SELECTOR (repeatable)")
	fs.BoolVarP(&s.all, "all", "a", false, "Include stopped containers (without figures)")
	fs.BoolVar(&s.json, "json", false, "Print one JSON document instead of a table")
	fs.BoolVar(&s.noTrunc, "no-trunc", false, "Print full container IDs")
	fs.BoolVar(&s.noStream, "no-stream", false, "Print one table and exit instead of redrawing it")
	fs.StringVar(&s.format, "format", "", "Format output with a Go `template` ('table ...' adds a header row; 'json' prints JSON lines)")
	fs.DurationVar(&s.interval, "interval", defaultInterval, "Time between samples and redraws, with a unit (the daemon samples once a second, so keep it >= 1s)")
}

// newStatsCommand is `dockwatch stats [CONTAINER...]`.
func newStatsCommand(g *globalFlags, e env) *cobra.Command {
	var opts statsFlags
	cmd := &cobra.Command{
		Use:   "stats [flags] [CONTAINER...]",
		Short: "Show CPU, memory, network and block I/O of containers",
		Long:  statsLong,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStats(cmd.Context(), args, &opts, g, e)
		},
	}
	opts.register(cmd.Flags())
	return cmd
}

// runStats streams a redrawn table (see streamStats) or, with --no-stream
// or --json, takes two snapshots --interval apart and prints the second,
// whose CPU figures are computed against the first.
func runStats(ctx context.Context, names []string, opts *statsFlags, g *globalFlags, e env) error {
	if opts.interval <= 0 {
		return usageErrorf("--interval must be positive, got %s", opts.interval)
	}
	render, err := chooseRender(opts, names)
	if err != nil {
		return err
	}
	sel, err := parseFilters(opts.filters, opts.all)
	if err != nil {
		return err
	}
	client, err := connect(*g, e)
	if err != nil {
		return err
	}
	defer client.Close()
	if !opts.noStream && !opts.json {
		return streamStats(ctx, client, sel, names, opts.interval, e, render)
	}
	snap, err := snapshotPair(ctx, client, sel, opts.interval)
	if err != nil {
		return err
	}
	if snap.Containers, err = pickContainers(snap.Containers, names); err != nil {
		return err
	}
	warnSkipped(e.stderr, snap.Skipped)
	if opts.json {
		return writeJSON(e.stdout, snap)
	}
	return render(e.stdout, snap.Containers, snap.Daemon.OSType)
}

// chooseRender picks the output: the --format template when given, else
// docker's default table.
func chooseRender(opts *statsFlags, names []string) (renderFunc, error) {
	if opts.format == "" {
		return func(out io.Writer, cs []docker.ContainerStats, osType string) error {
			return writeTable(out, cs, osType, opts.noTrunc)
		}, nil
	}
	if opts.json {
		return nil, usageErrorf("--json and --format cannot be combined")
	}
	f, err := parseFormat(opts.format)
	if err != nil {
		return nil, err
	}
	f.args = names
	return func(out io.Writer, cs []docker.ContainerStats, osType string) error {
		return f.render(out, cs, osType, opts.noTrunc)
	}, nil
}

// snapshotPair takes the baseline snapshot, waits, and returns the second.
func snapshotPair(ctx context.Context, client *docker.Client, sel docker.Selection, interval time.Duration) (*docker.Snapshot, error) {
	if _, err := client.Snapshot(ctx, sel); err != nil {
		return nil, err
	}
	timer := time.NewTimer(interval)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-timer.C:
	}
	return client.Snapshot(ctx, sel)
}

// warnSkipped says on stderr which selected containers have no figures
// (they stopped during the poll, or their own request failed); the output
// stays valid and the exit status 0, as the rest was read.
func warnSkipped(stderr io.Writer, skipped []docker.SkippedContainer) {
	for _, s := range skipped {
		fmt.Fprintf(stderr, "dockwatch: warning: no figures for container %s: %v\n", s.Name, s.Err)
	}
}

// statsDocument is the --json output: one document per run.
type statsDocument struct {
	Daemon     daemonJSON      `json:"daemon"`
	Containers []containerJSON `json:"containers"`
}

// daemonJSON identifies the daemon the figures come from.
type daemonJSON struct {
	Version       string `json:"version"`
	APIVersion    string `json:"apiVersion"`
	OS            string `json:"os"`
	NCPU          int    `json:"ncpu"`
	MemTotalBytes int64  `json:"memTotalBytes"`
	Engine        string `json:"engine,omitempty"`
	EngineVersion string `json:"engineVersion,omitempty"`
}

// containerJSON is one container; the CPU figures are null when unknown
// (a container first seen in the second snapshot, or not running).
type containerJSON struct {
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	Image            string   `json:"image"`
	CPUPercent       *float64 `json:"cpuPercent"`
	CPULimitPercent  *float64 `json:"cpuLimitPercent"`
	MemoryUsageBytes uint64   `json:"memoryUsageBytes"`
	MemoryLimitBytes uint64   `json:"memoryLimitBytes"`
	MemoryPercent    float64  `json:"memoryPercent"`
	NetRxBytes       uint64   `json:"netRxBytes"`
	NetTxBytes       uint64   `json:"netTxBytes"`
	BlockReadBytes   uint64   `json:"blockReadBytes"`
	BlockWriteBytes  uint64   `json:"blockWriteBytes"`
	PIDs             uint64   `json:"pids"`
}

// writeJSON prints the snapshot as one indented JSON document. Containers
// is always an array, never null, so consumers need no special case.
func writeJSON(out io.Writer, snap *docker.Snapshot) error {
	d := snap.Daemon
	doc := statsDocument{
		Daemon: daemonJSON{Version: d.Version, APIVersion: d.APIVersion, OS: d.OS,
			NCPU: d.NCPU, MemTotalBytes: d.MemTotalBytes, Engine: d.Engine, EngineVersion: d.EngineVersion},
		Containers: make([]containerJSON, 0, len(snap.Containers)),
	}
	for _, c := range snap.Containers {
		doc.Containers = append(doc.Containers, containerJSON{
			ID: c.ID, Name: c.Name, Image: c.Image,
			CPUPercent: c.CPUPercent, CPULimitPercent: c.CPULimitPercent,
			MemoryUsageBytes: c.MemoryUsageBytes, MemoryLimitBytes: c.MemoryLimitBytes, MemoryPercent: c.MemoryPercent,
			NetRxBytes: c.NetRxBytes, NetTxBytes: c.NetTxBytes,
			BlockReadBytes: c.BlockReadBytes, BlockWriteBytes: c.BlockWriteBytes, PIDs: c.PIDs,
		})
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}
