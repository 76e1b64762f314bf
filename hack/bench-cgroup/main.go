// Command cgroupbench times a warm dockwatch snapshot of many containers
// through the API stats source and through the cgroup stats source on the
// same private daemon, and prints both with their ratio. hack/bench-cgroup.sh
// runs it. The daemon and its containers are removed on exit, on failure and
// on Ctrl-C.
//
//	go run ./hack/bench-cgroup [-containers 100] [-runs 5]
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

// Exit statuses; 130 is what a shell shows for a command ended by Ctrl-C.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// stopGrace is how long the measuring goroutine may take, after Ctrl-C
// removed its daemon, to notice and stop registering cleanups.
const stopGrace = 5 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command-line settings.
type options struct {
	containers, runs int
}

// parseOptions reads -containers and -runs.
func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("cgroupbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.containers, "containers", 100, "idle containers to start")
	fs.IntVar(&o.runs, "runs", 5, "timed snapshots per source (median, min and max are printed)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.containers < 1 || o.runs < 1 || fs.NArg() > 0 {
		return o, errors.New("want -containers >= 1, -runs >= 1 and no other arguments")
	}
	return o, nil
}

// run measures in a worker goroutine while this one waits for the result
// or a signal, so that the daemon is removed whichever comes first.
func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "cgroupbench: %v\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop() // a second Ctrl-C during cleanup must not cut it short
	tb := newBenchTB(stderr)
	done := make(chan error, 1)
	go func() { done <- tb.capture(func() error { return benchmark(ctx, tb, opts, stdout) }) }()
	select {
	case err = <-done:
		tb.cleanUp()
	case <-ctx.Done():
		fmt.Fprintln(stderr, "cgroupbench: interrupted; removing the containers and the daemon")
		tb.cleanUp()
		select {
		case <-done:
		case <-time.After(stopGrace):
		}
		tb.cleanUp() // whatever the worker registered meanwhile
		return exitInterrupted
	}
	if err != nil {
		fmt.Fprintf(stderr, "cgroupbench: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// benchTB is the harness's TB for this program. Fatalf unwinds the calling
// goroutine with a panic that capture turns into an error, where
// Standalone's would exit the process from whichever goroutine called it.
type benchTB struct {
	*dockertest.Standalone
}

// fatalf is the panic value of benchTB.Fatalf.
type fatalf struct{ err error }

func newBenchTB(out io.Writer) *benchTB {
	return &benchTB{Standalone: dockertest.NewStandalone(out)}
}

// Fatalf logs and unwinds to capture, as t.Fatalf ends a test.
func (b *benchTB) Fatalf(format string, args ...any) {
	err := fmt.Errorf(format, args...)
	b.Logf("%v", err)
	panic(fatalf{err})
}

// capture runs f and returns a Fatalf inside it as its error.
func (b *benchTB) capture(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			stopped, ok := p.(fatalf)
			if !ok {
				panic(p)
			}
			err = stopped.err
		}
	}()
	return f()
}

// cleanUp runs every registered cleanup. Each is removed before it runs,
// so one that fails (and Fatalfs) is logged and the rest still run.
func (b *benchTB) cleanUp() {
	for b.capture(func() error { b.Close(); return nil }) != nil {
	}
}
