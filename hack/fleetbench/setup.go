package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// benchNamespace holds the benchmark's Secret and DockerHosts.
const benchNamespace = "fleet"

var scheme = runtime.NewScheme()

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(dockwatchv1.AddToScheme(scheme))
}

// controlPlane is the benchmark's envtest API server.
type controlPlane struct {
	env        *envtest.Environment
	client     client.Client
	kubeconfig string
}

// startControlPlane starts kube-apiserver and etcd with the CRD installed.
func startControlPlane(assets string, logf func(string, ...any)) (*controlPlane, error) {
	if assets == "" {
		out, err := exec.Command("hack/setup-envtest.sh").Output()
		if err != nil {
			return nil, fmt.Errorf("hack/setup-envtest.sh: %w", err)
		}
		assets = strings.TrimSpace(string(out))
	}
	env := &envtest.Environment{
		CRDDirectoryPaths: []string{filepath.Join("config", "crd", "bases")}, ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("start envtest: %w", err)
	}
	cp := &controlPlane{env: env}
	cfg.QPS, cfg.Burst = -1, -1
	if cp.client, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		cp.stop()
		return nil, err
	}
	user, err := env.AddUser(envtest.User{Name: "fleet-bench", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		cp.stop()
		return nil, fmt.Errorf("add user: %w", err)
	}
	raw, err := user.KubeConfig()
	if err == nil {
		cp.kubeconfig = filepath.Join(os.TempDir(), fmt.Sprintf("fleetbench-kubeconfig-%d", os.Getpid()))
		err = os.WriteFile(cp.kubeconfig, raw, 0o600)
	}
	if err != nil {
		cp.stop()
		return nil, fmt.Errorf("write kubeconfig: %w", err)
	}
	logf("control plane up (%s)", assets)
	return cp, nil
}

func (cp *controlPlane) stop() {
	_ = cp.env.Stop()
	if cp.kubeconfig != "" {
		_ = os.Remove(cp.kubeconfig)
	}
}

// fleetProc is the fake fleet process and what it announced.
type fleetProc struct {
	cmd       *exec.Cmd
	Endpoints []string `json:"endpoints"`
	CertsDir  string   `json:"certsDir"`
	Control   string   `json:"control"`
}

// startFleet runs hack/fakefleet and waits for its ready file.
func startFleet(ctx context.Context, o options, logf func(string, ...any)) (*fleetProc, error) {
	dir, err := os.MkdirTemp("", "fleetbench")
	if err != nil {
		return nil, err
	}
	ready := filepath.Join(dir, "ready.json")
	cmd := exec.Command(o.fleetBin, "-hosts", fmt.Sprint(o.hosts), "-containers", fmt.Sprint(o.containers),
		"-busy", fmt.Sprint(o.busy), "-tls", "-ready-file", ready)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", o.fleetBin, err)
	}
	f := &fleetProc{cmd: cmd}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		raw, err := os.ReadFile(ready)
		if err == nil {
			_ = os.RemoveAll(dir)
			if err := json.Unmarshal(raw, f); err != nil {
				f.stop()
				return nil, fmt.Errorf("read fake fleet description: %w", err)
			}
			logf("fake fleet pid %d: %d hosts x %d containers (%d busy), mutual TLS", cmd.Process.Pid, len(f.Endpoints), o.containers, o.busy)
			return f, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			f.stop()
			return nil, fmt.Errorf("fake fleet not ready within 2 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (f *fleetProc) stop() {
	_ = f.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = f.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = f.cmd.Process.Kill()
	}
}

// counters reads the fleet's counters.
func (f *fleetProc) counters() (fleetCounters, error) {
	var c fleetCounters
	cl := http.Client{Timeout: 10 * time.Second}
	resp, err := cl.Get("http://" + f.Control + "/counters")
	if err != nil {
		return c, err
	}
	defer resp.Body.Close()
	return c, json.NewDecoder(resp.Body).Decode(&c)
}

// fleetCounters mirrors fakefleet.Counters.
type fleetCounters struct {
	Requests, Lists, Stats, Inspects  int64
	FullHandshakes, ResumedHandshakes int64
	OpenConns, TotalConns             int64
}

// createHosts makes the Secret from the fleet's client certificates (as
// `kubectl create secret generic --from-file=...` would) and one DockerHost
// per daemon, with a CPU rule the busy containers breach.
func createHosts(ctx context.Context, cp *controlPlane, f *fleetProc, o options, logf func(string, ...any)) error {
	c := cp.client
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: benchNamespace}}); err != nil {
		return err
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "docker-machine-fleet", Namespace: benchNamespace}, Data: map[string][]byte{}}
	for _, name := range []string{"ca.pem", "cert.pem", "key.pem"} {
		raw, err := os.ReadFile(filepath.Join(f.CertsDir, name))
		if err != nil {
			return fmt.Errorf("read fleet client certificates: %w", err)
		}
		secret.Data[name] = raw
	}
	if err := c.Create(ctx, secret); err != nil {
		return err
	}
	start := time.Now()
	for i, ep := range f.Endpoints {
		host := &dockwatchv1.DockerHost{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("host-%04d", i), Namespace: benchNamespace},
			Spec: dockwatchv1.DockerHostSpec{
				Endpoint: ep, TLS: &dockwatchv1.TLSConfig{SecretRef: &dockwatchv1.SecretReference{Name: secret.Name}},
				Interval:   &metav1.Duration{Duration: o.interval},
				Thresholds: []dockwatchv1.ThresholdRule{{Name: "high-cpu", Metric: dockwatchv1.MetricCPUPercent, Above: intstr.FromInt32(80)}},
			},
		}
		if err := c.Create(ctx, host); err != nil {
			return fmt.Errorf("create DockerHost %d: %w", i, err)
		}
	}
	logf("created %d DockerHosts in %s", len(f.Endpoints), time.Since(start).Round(time.Millisecond))
	return nil
}

// managerProc is the manager under test.
type managerProc struct {
	cmd            *exec.Cmd
	metrics, pprof string
	log            *os.File
}

// startManagers starts o.replicas managers; on error, those it started
// are returned for the caller to stop.
func startManagers(cp *controlPlane, o options, logf func(string, ...any)) ([]*managerProc, error) {
	var managers []*managerProc
	for i := range o.replicas {
		m, err := startManager(cp, o, i, logf)
		if err != nil {
			return managers, err
		}
		managers = append(managers, m)
	}
	return managers, nil
}

// startManager runs the manager binary with its default flags, but for
// loopback metrics (scraped for API writes), if asked pprof, and when
// there are several replicas, sharding with Leases in the benchmark's
// namespace, replica i under its own identity.
func startManager(cp *controlPlane, o options, i int, logf func(string, ...any)) (*managerProc, error) {
	m := &managerProc{metrics: freeAddr()}
	args := []string{"--metrics-bind-address", m.metrics, "--health-probe-bind-address", "0"}
	if o.replicas > 1 {
		args = append(args, "--sharding", "--shard-lease-namespace", benchNamespace, "--shard-identity", fmt.Sprintf("fleetbench-%d", i))
	}
	if o.pprof {
		m.pprof = freeAddr()
		args = append(args, "--pprof-bind-address", m.pprof)
	}
	args = append(args, strings.Fields(o.managerArgs)...)
	var err error
	if m.log, err = os.CreateTemp("", "fleetbench-manager-*.log"); err != nil {
		return nil, err
	}
	m.cmd = exec.Command(o.managerBin, args...)
	m.cmd.Env = append(append(os.Environ(), strings.Fields(o.managerEnv)...), "KUBECONFIG="+cp.kubeconfig)
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", o.managerBin, err)
	}
	logf("manager pid %d, log: %s (args %s, env %s)", m.pid(), m.log.Name(), strings.Join(args, " "), o.managerEnv)
	return m, nil
}

func (m *managerProc) pid() int { return m.cmd.Process.Pid }

// stopManagers stops every manager at once: stopped one by one, sharding
// replicas would take over the hosts of each one stopped before them and
// poll them while the benchmark tears down, and each stop may wait 15 s.
func stopManagers(managers []*managerProc) {
	var stopped sync.WaitGroup
	for _, m := range managers {
		stopped.Go(m.stop)
	}
	stopped.Wait()
}

func (m *managerProc) stop() {
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = m.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = m.cmd.Process.Kill()
	}
	_ = m.log.Close()
}

// saveProfile writes one of the manager's pprof profiles (name "heap", or
// "profile?seconds=N" for CPU) next to its log, as <log>.<file>.pprof.
func (m *managerProc) saveProfile(name, file string, logf func(string, ...any)) {
	cl := http.Client{Timeout: 10 * time.Minute}
	resp, err := cl.Get("http://" + m.pprof + "/debug/pprof/" + name)
	if err != nil {
		logf("%s profile: %v", file, err)
		return
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	path := strings.TrimSuffix(m.log.Name(), ".log") + "." + file + ".pprof"
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err == nil {
		logf("%s profile: go tool pprof -top %s", file, path)
	}
}

// freeAddr is a free 127.0.0.1 port.
func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:0"
	}
	defer l.Close()
	return l.Addr().String()
}
