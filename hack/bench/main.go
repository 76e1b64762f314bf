// Command bench times dockwatch snapshots of many containers on a real
// daemon against `docker stats --no-stream` on the same daemon, and the
// cgroup stats source against the API source, and prints medians, minimums
// and ratios. One program, so that every figure comes from the same daemon,
// the same containers and the same interleaved runs, and can be compared.
// `make bench` runs it through hack/bench.sh. It starts a private dockerd
// through the dockertest harness and removes it, with its containers, on
// exit, on failure and on Ctrl-C.
//
//	go run ./hack/bench [-containers 100] [-runs 5] [-cgroup=false]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// Exit statuses: 130 is what shells report for a command ended by Ctrl-C.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// workerGrace is how long, after Ctrl-C, the measuring goroutine gets to
// notice the daemon is gone before a final cleanup pass and exit.
const workerGrace = 5 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run parses flags, measures in a worker goroutine and does every cleanup
// itself, so Ctrl-C at any point still removes the containers and daemon.
func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseOptions(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop() // Ctrl-C during cleanup is absorbed until cleanup is done
	tb := newRecoveringTB(stderr)
	done := make(chan error, 1)
	go func() { done <- tb.guard(func() error { return measureAndReport(ctx, tb, opts, stdout) }) }()
	select {
	case err = <-done:
		tb.closeAll()
	case <-ctx.Done():
		fmt.Fprintln(stderr, "bench: interrupted; removing containers and the daemon")
		tb.closeAll()
		waitWorker(done, workerGrace)
		tb.closeAll() // anything the worker registered while we cleaned up
		return exitInterrupted
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// waitWorker gives the worker a moment to end after its daemon is gone.
func waitWorker(done <-chan error, grace time.Duration) {
	select {
	case <-done:
	case <-time.After(grace):
	}
}

// options are the command-line settings of the benchmark.
type options struct {
	containers, runs int
	// cgroup asks for measurement (d), the cgroup stats source. It can be
	// switched off where the cgroup files are not the daemon's (a daemon in
	// a VM) and would only produce a skip note.
	cgroup bool
}

// parseOptions reads -containers, -runs and -cgroup.
func parseOptions(args []string, stderr io.Writer) (options, error) {
	opts := options{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&opts.containers, "containers", 100, "idle containers to start")
	fs.IntVar(&opts.runs, "runs", 5, "repetitions of each measurement (median and min are printed)")
	fs.BoolVar(&opts.cgroup, "cgroup", true, "also time the cgroup stats source (skipped with a note where it cannot be built)")
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	if opts.containers < 1 || opts.runs < 1 || fs.NArg() > 0 {
		return opts, fmt.Errorf("want -containers >= 1, -runs >= 1 and no arguments")
	}
	return opts, nil
}

// recoveringTB is the harness's TB for a program: Fatalf unwinds the
// calling goroutine (a panic recovered by guard or closeAll) instead of
// exiting, so the main goroutine always gets to run the cleanups.
type recoveringTB struct {
	*dockertest.Standalone
}

// fatal is the panic value of Fatalf.
type fatal struct{ msg string }

func newRecoveringTB(out io.Writer) *recoveringTB {
	return &recoveringTB{Standalone: dockertest.NewStandalone(out)}
}

// Fatalf logs and unwinds to guard (or closeAll), like t.Fatalf ends a test.
func (r *recoveringTB) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.Logf("%s", msg)
	panic(fatal{msg: msg})
}

// guard runs f and turns a Fatalf inside it into an error.
func (r *recoveringTB) guard(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			ft, ok := p.(fatal)
			if !ok {
				panic(p)
			}
			err = errors.New(ft.msg)
		}
	}()
	return f()
}

// closeAll runs every registered cleanup. A cleanup that fails is logged
// and the remaining ones still run (each is removed before it runs).
func (r *recoveringTB) closeAll() {
	for {
		err := r.guard(func() error { r.Close(); return nil })
		if err == nil {
			return
		}
	}
}
