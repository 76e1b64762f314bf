// Command demo runs dockwatch end to end on this machine: a local control
// plane (envtest's kube-apiserver and etcd), the local Docker daemon and a
// second daemon over mutual TLS on 127.0.0.1, the real manager binary, and
// kubectl as a user would drive it. `make demo` runs it; Ctrl-C or --for
// stops it, and everything it started is stopped and removed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// demoNamespace holds the demo's DockerHosts and Secret.
const demoNamespace = "dockwatch-demo"

func main() {
	runFor := flag.Duration("for", 0, "stop after this long; 0 runs until Ctrl-C")
	manager := flag.String("manager", "bin/manager", "path of the manager binary")
	workDir := flag.String("dir", ".demo", "where the kubeconfig and manager log go")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *runFor > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *runFor)
		defer cancel()
	}
	env := dockertest.NewStandalone(os.Stdout)
	ok, err := run(ctx, env, *manager, *workDir)
	step("Stopping everything the demo started")
	env.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
	if !ok {
		fmt.Println("DEMO INCOMPLETE: not every host became Ready with a ThresholdExceeded event (see above)")
		os.Exit(1)
	}
	fmt.Println("DEMO OK")
}

// run sets the stage, then watches until ctx ends. ok reports whether both
// hosts became Ready and the busy container's alert fired.
func run(ctx context.Context, env *dockertest.Standalone, managerPath, workDir string) (bool, error) {
	if err := dockertest.Available(); err != nil {
		return false, fmt.Errorf("this demo needs Docker: %v\n  install it with: %s", err, dockertest.InstallHint)
	}
	if err := os.MkdirAll(workDir, 0o755); err != nil {
		return false, err
	}
	step("Starting a local control plane (kube-apiserver + etcd) with the DockerHost CRD")
	cp, err := startControlPlane(env, workDir)
	if err != nil {
		return false, err
	}
	local, tlsDaemon := startDaemons(env)
	if err := cp.createHosts(local, tlsDaemon); err != nil {
		return false, err
	}
	step("Starting the dockwatch manager (log: " + filepath.Join(workDir, "manager.log") + ")")
	if err := cp.startManager(env, managerPath, filepath.Join(workDir, "manager.log")); err != nil {
		return false, err
	}
	return cp.watch(ctx), nil
}

// startDaemons finds the local Docker daemon (starting a private one when
// the machine runs none) and starts a --tlsverify daemon on 127.0.0.1, then
// gives each a few containers, one of them burning a core.
func startDaemons(env *dockertest.Standalone) (local, remote *dockertest.Daemon) {
	step("Connecting to the local Docker daemon at " + dockertest.SystemSocket)
	local, err := dockertest.Attach(env, "unix://"+dockertest.SystemSocket)
	if err != nil {
		fmt.Printf("  %v\n  -> starting a private local daemon instead\n", firstLine(err))
		local = dockertest.Start(env, dockertest.Options{})
	}
	fmt.Printf("  local daemon: %s\n", local.Host)
	step("Starting a second daemon with --tlsverify on 127.0.0.1 (docker-machine style certificates)")
	remote = dockertest.Start(env, dockertest.Options{TLS: true})
	fmt.Printf("  TLS daemon: %s, client certificates in %s (ca.pem, cert.pem, key.pem)\n", remote.Host, remote.CertDir)

	step("Starting containers: demo-busy burns a core, demo-idle sleeps with a 64 MiB limit, demo-remote sleeps on the TLS daemon")
	local.RunBusy(env, "demo-busy")
	local.RunIdle(env, "demo-idle", "-m", "64m")
	remote.RunIdle(env, "demo-remote")
	return local, remote
}

func step(msg string) {
	fmt.Printf("\n==> %s\n", msg)
}

func firstLine(err error) string {
	return strings.SplitN(err.Error(), "\n", 2)[0]
}

// elapsed formats how long the demo has been watching.
func elapsed(since time.Time) string {
	return time.Since(since).Round(time.Second).String()
}
