package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

func TestValidateRejectsEveryBadFlagWithOneSentence(t *testing.T) {
	dir := t.TempDir()
	typo := writeFile(t, dir, "typo.yaml", "endpont: unix:///var/run/docker.sock\n")
	broken := writeFile(t, dir, "broken.yaml", "spec:\n  interval: [30s\n  timeout: 5s\n")
	file := writeFile(t, dir, "proc", "")
	node := []string{"--mode=node", "--node-name=n", "--namespace=x"}
	cgroup := append(slices.Clone(node), "--stats-source=cgroup", "--host-cgroup-root="+dir, "--host-proc="+dir)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--mode=edge"}, `--mode must be cluster or node, not "edge"`},
		{[]string{"--stats-source=cgroup"}, "--stats-source=cgroup is for --mode=node"},
		{[]string{"--mode=node", "--namespace=x"}, "--mode=node needs --node-name or NODE_NAME"},
		{[]string{"--mode=node", "--node-name=n", "--namespace=x", "--docker-socket=tcp://127.0.0.1:2375"}, "want a socket path or a unix:// URL"},
		{[]string{"--mode=node", "--node-name=n", "--namespace=x", "--docker-socket=docker.sock"}, "want an absolute path"},
		{[]string{"--metrics-bind-address=8080"}, "--metrics-bind-address \"8080\": want host:port or :port"},
		{[]string{"--max-concurrent-reconciles=0"}, "--max-concurrent-reconciles must be at least 1"},
		{[]string{"--retry-max-delay=0s"}, "--retry-max-delay must be positive"},
		{[]string{"--leader-elect"}, "--leader-elect outside a pod needs --leader-election-namespace"},
		{[]string{"--kube-api-qps=-1"}, "--kube-api-qps must be a finite number of at least 0"},
		{[]string{"--kube-api-qps=NaN"}, "--kube-api-qps must be a finite number of at least 0"},
		{[]string{"--kube-api-qps=+Inf"}, "--kube-api-qps must be a finite number of at least 0"},
		{[]string{"--kube-api-burst=-5"}, "--kube-api-burst must be at least 0"},
		{[]string{"--pprof-bind-address=6060"}, "--pprof-bind-address \"6060\": want host:port or :port"},
		{append(slices.Clone(node), "--dockerhost-template="+filepath.Join(dir, "missing.yaml")), "--dockerhost-template: read DockerHost template"},
		{append(slices.Clone(node), "--dockerhost-template="+typo), `--dockerhost-template: parse DockerHost template`},
		{append(slices.Clone(node), "--dockerhost-template="+broken), `--dockerhost-template: parse DockerHost template`},
		{append(slices.Clone(cgroup), "--host-cgroup-root="+filepath.Join(dir, "none")), "--host-cgroup-root \"" + filepath.Join(dir, "none") + "\" with --stats-source=cgroup"},
		{append(slices.Clone(cgroup), "--host-proc="+file), "--host-proc \"" + file + "\" with --stats-source=cgroup: not a directory"},
	}
	t.Setenv("POD_NAMESPACE", "")
	t.Setenv("NODE_NAME", "")
	for _, tt := range tests {
		f, _, err := parseFlags(tt.args, &bytes.Buffer{})
		if err == nil {
			err = validate(&f)
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: err = %v, want one line containing %q", tt.args, err, tt.want)
		}
	}
}

// writeFile writes content to dir/name and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateAcceptsGoodNodeFilesAndAddresses(t *testing.T) {
	dir := t.TempDir()
	template := writeFile(t, dir, "host.yaml", "interval: 15s\n")
	args := []string{"--mode=node", "--node-name=n", "--namespace=x", "--dockerhost-template=" + template,
		"--stats-source=cgroup", "--host-cgroup-root=" + dir, "--host-proc=" + dir,
		"--pprof-bind-address=127.0.0.1:6060", "--kube-api-qps=50", "--kube-api-burst=100"}
	f, _, err := parseFlags(args, &bytes.Buffer{})
	if err == nil {
		err = validate(&f)
	}
	if err != nil {
		t.Fatalf("%v: %v, want accepted", args, err)
	}
}

func TestDockerSocketAcceptsAPathOrDockersURL(t *testing.T) {
	for _, v := range []string{"/var/run/docker.sock", "unix:///var/run/docker.sock"} {
		f, _, err := parseFlags([]string{"--mode=node", "--node-name=n", "--namespace=x", "--docker-socket=" + v}, &bytes.Buffer{})
		if err == nil {
			err = validate(&f)
		}
		if err != nil || f.dockerSocket != "/var/run/docker.sock" {
			t.Errorf("--docker-socket=%s: socket %q, err %v; want /var/run/docker.sock", v, f.dockerSocket, err)
		}
	}
}

// buildManager builds bin/manager as `make build` does, into a temp dir.
func buildManager(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "manager")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestBuiltManagerExitsTwoWithOneLineOnABadFlag(t *testing.T) {
	bin := buildManager(t)
	template := writeFile(t, t.TempDir(), "host.yaml", "spec:\n  interval: [30s\n")
	for _, args := range [][]string{{"--bogus"}, {"--max-concurrent-reconciles=x"}, {"--mode=node", "--docker-socket=tcp://x"},
		{"--kube-api-qps=-1"}, {"--mode=node", "--dockerhost-template=" + template}} {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "NODE_NAME=n", "POD_NAMESPACE=x"}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 2 {
			t.Errorf("%v: %v, want exit status 2", args, err)
		}
		if s := stderr.String(); strings.Count(s, "\n") != 1 || !strings.HasPrefix(s, "manager: --") && !strings.Contains(s, " --") || strings.Contains(s, "{") {
			t.Errorf("%v: stderr %q, want one plain line naming the flag with two dashes", args, s)
		}
	}
}

// TestBuiltManagerLeaderElectsOutsideACluster runs bin/manager by hand, as
// the README's first steps do, against a real API server: with
// --leader-election-namespace it takes the Lease.
func TestBuiltManagerLeaderElectsOutsideACluster(t *testing.T) {
	if os.Getenv("DOCKWATCH_TEST_NO_CONTROLPLANE") == "1" && os.Getenv("CI") != "true" {
		t.Skip("no control plane here (DOCKWATCH_TEST_NO_CONTROLPLANE=1)")
	}
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join("..", "config", "crd", "bases")}, ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: controlPlaneAssets(t)}
	if _, err := env.Start(); err != nil {
		t.Fatalf("start envtest: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	user, err := env.ControlPlane.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	kcFile := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kcFile, kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, buildManager(t), "--kubeconfig", kcFile, "--leader-elect", "--leader-election-namespace", "default",
		"--metrics-bind-address=0", "--health-probe-bind-address=0")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var logs syncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for !strings.Contains(logs.String(), `"Successfully acquired lease","lock":"default/dockwatch.io"`) {
		if ctx.Err() != nil {
			t.Fatalf("manager did not take the Lease within 60s; its log:\n%s", logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// controlPlaneAssets finds kube-apiserver and etcd as the controllers suite
// does: KUBEBUILDER_ASSETS when set, else hack/setup-envtest.sh's cached build.
func controlPlaneAssets(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	cmd := exec.Command(filepath.Join("..", "hack", "setup-envtest.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("hack/setup-envtest.sh: %v", err)
	}
	return strings.TrimSpace(string(out))
}
