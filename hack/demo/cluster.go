package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// controlPlane is the demo's API server and how to reach it with kubectl.
type controlPlane struct {
	kubeconfig string
	kubectl    string
}

// startControlPlane starts envtest with the CRD installed and writes a
// kubeconfig for kubectl and the manager.
func startControlPlane(env *dockertest.Standalone, workDir string) (*controlPlane, error) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		return nil, fmt.Errorf("KUBEBUILDER_ASSETS is not set: run the demo with `make demo`, which provides the control plane")
	}
	testEnv := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	if _, err := testEnv.Start(); err != nil {
		return nil, fmt.Errorf("start control plane: %w", err)
	}
	env.Cleanup(func() { _ = testEnv.Stop() })
	user, err := testEnv.AddUser(envtest.User{Name: "demo-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, fmt.Errorf("add kubectl user: %w", err)
	}
	raw, err := user.KubeConfig()
	if err != nil {
		return nil, err
	}
	cp := &controlPlane{kubeconfig: filepath.Join(workDir, "kubeconfig"), kubectl: filepath.Join(assets, "kubectl")}
	if err := os.WriteFile(cp.kubeconfig, raw, 0o600); err != nil {
		return nil, err
	}
	env.Cleanup(func() { _ = os.Remove(cp.kubeconfig) })
	fmt.Printf("  API server %s; try it yourself: kubectl --kubeconfig %s get dockerhosts -A\n", testEnv.Config.Host, cp.kubeconfig)
	return cp, nil
}

// run runs kubectl, echoing the command so the reader sees what a user types.
func (cp *controlPlane) run(echo bool, stdin string, args ...string) (string, error) {
	if echo {
		fmt.Printf("$ kubectl %s\n", strings.Join(args, " "))
	}
	cmd := exec.Command(cp.kubectl, append([]string{"--kubeconfig", cp.kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// createHosts creates the namespace, the docker-machine Secret and the two
// DockerHosts, the way the README tells a user to.
func (cp *controlPlane) createHosts(local, remote *dockertest.Daemon) error {
	step("Creating the DockerHosts with kubectl")
	if _, err := cp.run(true, "", "create", "namespace", demoNamespace); err != nil {
		return err
	}
	if _, err := cp.run(true, "", "create", "secret", "generic", "docker-machine-demo", "-n", demoNamespace,
		"--from-file="+remote.CertDir+"/ca.pem", "--from-file="+remote.CertDir+"/cert.pem", "--from-file="+remote.CertDir+"/key.pem"); err != nil {
		return err
	}
	manifest := fmt.Sprintf(hostsTemplate, demoNamespace, local.Host, demoNamespace, remote.Host)
	fmt.Print(manifest)
	out, err := cp.run(true, manifest, "apply", "-f", "-")
	fmt.Print(out)
	return err
}

// hostsTemplate: the local daemon with a CPU rule, the TLS daemon from the Secret.
const hostsTemplate = `apiVersion: dockwatch.io/v1alpha1
kind: DockerHost
metadata: {name: local, namespace: %s}
spec:
  endpoint: %s
  interval: 5s
  thresholds:
  - {name: high-cpu, metric: cpuPercent, above: 50, clearBelow: 40, for: 10s, severity: warning}
---
apiVersion: dockwatch.io/v1alpha1
kind: DockerHost
metadata: {name: docker-machine, namespace: %s}
spec:
  endpoint: %s
  tls: {secretRef: {name: docker-machine-demo}}
  interval: 5s
`

// startManager runs bin/manager against the demo's API server until cleanup.
func (cp *controlPlane) startManager(env *dockertest.Standalone, path, logPath string) error {
	metricsAddr, probeAddr := freeAddr(), freeAddr()
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(path, "--metrics-bind-address", metricsAddr, "--health-probe-bind-address", probeAddr)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+cp.kubeconfig)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s (did `make build` run?): %w", path, err)
	}
	fmt.Printf("  manager pid %d, metrics on http://%s/metrics\n", cmd.Process.Pid, metricsAddr)
	env.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logFile.Close()
	})
	return nil
}

// watch shows `kubectl get dockerhosts` every few seconds and the alert
// events as they arrive, until ctx ends. It reports whether both hosts were
// Ready and the busy container's ThresholdExceeded event was seen.
func (cp *controlPlane) watch(ctx context.Context) bool {
	step("Watching: kubectl get dockerhosts, and the events alerting pipelines consume")
	start, ready, alerted := time.Now(), false, false
	for {
		out, err := cp.run(false, "", "get", "dockerhosts", "-n", demoNamespace, "-o", "wide")
		fmt.Printf("\n[%s] $ kubectl get dockerhosts -n %s -o wide\n%s", elapsed(start), demoNamespace, out)
		ready = err == nil && strings.Count(out, " True ") == 2
		if !alerted {
			events, _ := cp.run(false, "", "get", "events", "-n", demoNamespace, "--field-selector", "reason=ThresholdExceeded")
			if strings.Contains(events, "demo-busy") {
				alerted = true
				fmt.Printf("\n$ kubectl get events -n %s --field-selector reason=ThresholdExceeded\n%s", demoNamespace, events)
			}
		}
		select {
		case <-ctx.Done():
			fmt.Printf("\nBoth hosts Ready: %v; ThresholdExceeded event for demo-busy: %v\n", ready, alerted)
			return ready && alerted
		case <-time.After(5 * time.Second):
		}
	}
}

// freeAddr picks a free loopback port for the manager's endpoints.
func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:0"
	}
	defer l.Close()
	return l.Addr().String()
}
