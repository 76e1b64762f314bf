package controllers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// oomScript needs 64 MiB in one process (tail keeps a newline-less input
// whole), so under -m 16m --memory-swap 16m the kernel OOM-kills it.
const oomScript = "head -c 64m /dev/zero | tail"

// runOOM starts a container that the kernel OOM-kills at once.
func runOOM(t *testing.T, d *dockertest.Daemon, name string) {
	t.Helper()
	d.Docker(t, "run", "-d", "--name", name, "--network", "none", "-m", "16m", "--memory-swap", "16m", d.Image(t), "sh", "-c", oomScript)
}

// lifecycleEvents are the host's events of reason about the container.
func lifecycleEvents(t *testing.T, key client.ObjectKey, reason, container string) []corev1.Event {
	t.Helper()
	var out []corev1.Event
	for _, e := range eventsFor(t, key, reason) {
		if e.Annotations[dockwatchv1.AnnotationContainer] == container {
			out = append(out, e)
		}
	}
	return out
}

// waitLifecycleEvent waits for the first event of reason about container.
func waitLifecycleEvent(t *testing.T, key client.ObjectKey, reason, container string, within time.Duration) corev1.Event {
	t.Helper()
	var got []corev1.Event
	waitFor(t, within, reason+" for "+container, func() (bool, string) {
		got = lifecycleEvents(t, key, reason, container)
		return len(got) > 0, describe(getHost(t, key))
	})
	return got[0]
}

// assertOnce fails unless exactly one event (seen once) of reason names container.
func assertOnce(t *testing.T, key client.ObjectKey, reason, container string) {
	t.Helper()
	events := lifecycleEvents(t, key, reason, container)
	if len(events) != 1 || events[0].Count > 1 {
		t.Errorf("%s for %s: %d events (first count %d), want exactly one", reason, container, len(events), firstCount(events))
	}
}

// assertNone fails if any lifecycle event names container.
func assertNone(t *testing.T, key client.ObjectKey, container string) {
	t.Helper()
	for _, reason := range []string{dockwatchv1.EventContainerOOMKilled, dockwatchv1.EventContainerExited,
		dockwatchv1.EventContainerRestartLoop, dockwatchv1.EventContainerUnhealthy} {
		if n := len(lifecycleEvents(t, key, reason, container)); n != 0 {
			t.Errorf("%d %s events for %s, want none", n, reason, container)
		}
	}
}

func firstCount(events []corev1.Event) int32 {
	if len(events) == 0 {
		return 0
	}
	return events[0].Count
}

// assertRecovers makes container's health probe pass (it prints fix/ok)
// and checks for one Normal ContainerHealthy with the passing output.
func assertRecovers(t *testing.T, key client.ObjectKey, container, fix string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(fix, "ok"), []byte("probe says yes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	healthy := waitLifecycleEvent(t, key, dockwatchv1.EventContainerHealthy, container, 30*time.Second)
	time.Sleep(12 * time.Second) // two more polls: nothing may repeat
	t.Logf("%s %s %v: %s", healthy.Type, healthy.Reason, healthy.Annotations, healthy.Message)
	if healthy.Type != corev1.EventTypeNormal || !strings.Contains(healthy.Message, "probe says yes") ||
		healthy.Annotations[dockwatchv1.AnnotationReason] != dockwatchv1.EventContainerHealthy {
		t.Errorf("healthy event %s %q %v, want Normal with the passing check's output", healthy.Type, healthy.Message, healthy.Annotations)
	}
	assertOnce(t, key, dockwatchv1.EventContainerHealthy, container)
	assertOnce(t, key, dockwatchv1.EventContainerUnhealthy, container)
	if host := getHost(t, key); host.Status.Summary.ContainersUnhealthy != 0 {
		t.Errorf("summary %+v, want none unhealthy after the recovery", host.Status.Summary)
	}
}

// restartManager stops mgr, starts a new manager and lets it poll twice.
func restartManager(t *testing.T, mgr *runningManager) *runningManager {
	t.Helper()
	mgr.stop()
	time.Sleep(3 * time.Second)
	mgr = startManager(t, Scope{})
	time.Sleep(12 * time.Second)
	return mgr
}

func TestLifecycleAlertsOnARealDaemonSurviveAManagerRestart(t *testing.T) {
	daemon := startDaemon(t, dockertest.Options{})
	ns := newNamespace(t)
	mgr := startManager(t, Scope{})
	daemon.RunIdle(t, "idle")
	// Its probe fails until /fix/ok appears, then passes printing the file.
	fix := t.TempDir()
	daemon.RunIdle(t, "sick", "-v", fix+":/fix:ro", "--health-cmd", "cat /fix/ok 2>/dev/null || { echo probe says no; false; }",
		"--health-interval", "1s", "--health-retries", "1")
	key := applyHost(t, &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Name: "lifecycle", Namespace: ns},
		Spec:       dockwatchv1.DockerHostSpec{Endpoint: daemon.Host, Interval: dur(pollEvery)},
	})
	waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionTrue, dockwatchv1.ReasonPollSucceeded, readyWithin)

	runOOM(t, daemon, "hog")
	daemon.Docker(t, "run", "-d", "--name", "crash", "--network", "none", daemon.Image(t), "sh", "-c", "sleep 1; exit 7")
	// It ignores SIGTERM, so docker stop ends it with SIGKILL: exit 137.
	daemon.Docker(t, "run", "-d", "--name", "stopped", "--network", "none", daemon.Image(t), "sh", "-c", "trap '' TERM; while :; do sleep 1; done")
	daemon.Docker(t, "stop", "-t", "1", "stopped")

	oom := waitLifecycleEvent(t, key, dockwatchv1.EventContainerOOMKilled, "hog", 40*time.Second)
	exited := waitLifecycleEvent(t, key, dockwatchv1.EventContainerExited, "crash", 30*time.Second)
	sick := waitLifecycleEvent(t, key, dockwatchv1.EventContainerUnhealthy, "sick", 30*time.Second)
	time.Sleep(12 * time.Second) // two more polls: nothing may repeat
	for _, e := range []corev1.Event{oom, exited, sick} {
		t.Logf("%s %s %v: %s", e.Type, e.Reason, e.Annotations, e.Message)
		if e.Type != corev1.EventTypeWarning || e.Annotations[dockwatchv1.AnnotationContainerID] == "" ||
			e.Annotations[dockwatchv1.AnnotationHost] != ns+"/lifecycle" || e.Annotations[dockwatchv1.AnnotationReason] != e.Reason {
			t.Errorf("event %s lacks its type or annotations: %s %v", e.Reason, e.Type, e.Annotations)
		}
	}
	if !strings.Contains(oom.Message, "hog") || !strings.Contains(oom.Message, "16MiB") || oom.Annotations[dockwatchv1.AnnotationExitCode] != "137" {
		t.Errorf("OOM event %q %v, want the container, its 16MiB limit and exit code 137", oom.Message, oom.Annotations)
	}
	if !strings.Contains(exited.Message, "code 7") || exited.Annotations[dockwatchv1.AnnotationExitCode] != "7" {
		t.Errorf("exit event %q %v, want exit code 7", exited.Message, exited.Annotations)
	}
	if !strings.Contains(sick.Message, "probe says no") {
		t.Errorf("unhealthy event %q, want the last check's output", sick.Message)
	}
	assertOnce(t, key, dockwatchv1.EventContainerOOMKilled, "hog")
	assertOnce(t, key, dockwatchv1.EventContainerExited, "crash")
	assertOnce(t, key, dockwatchv1.EventContainerUnhealthy, "sick")
	if n := len(lifecycleEvents(t, key, dockwatchv1.EventContainerExited, "hog")); n != 0 {
		t.Errorf("the OOM kill also raised %d ContainerExited", n)
	}
	assertNone(t, key, "stopped")
	assertNone(t, key, "idle")
	if host := getHost(t, key); host.Status.Summary.ContainersUnhealthy != 1 || host.Status.Lifecycle == nil {
		t.Errorf("summary %+v lifecycle %+v, want 1 unhealthy and the lifecycle memory", host.Status.Summary, host.Status.Lifecycle)
	}

	// The manager goes; meanwhile another container is OOM-killed.
	mgr.stop()
	runOOM(t, daemon, "hog2")
	time.Sleep(3 * time.Second)
	startManager(t, Scope{})
	waitLifecycleEvent(t, key, dockwatchv1.EventContainerOOMKilled, "hog2", 40*time.Second)
	time.Sleep(12 * time.Second)
	assertOnce(t, key, dockwatchv1.EventContainerOOMKilled, "hog2")
	assertOnce(t, key, dockwatchv1.EventContainerOOMKilled, "hog")
	assertOnce(t, key, dockwatchv1.EventContainerExited, "crash")
	assertOnce(t, key, dockwatchv1.EventContainerUnhealthy, "sick")
	assertNone(t, key, "stopped")
	assertRecovers(t, key, "sick", fix)
	if out, err := kubectl(t, "get", "events", "-n", ns, "--sort-by=.lastTimestamp",
		"-o", "custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message"); err == nil {
		t.Logf("kubectl get events:\n%s", out)
	}
}

func TestRestartLoopIsOneEventAndResolvesOnceFixed(t *testing.T) {
	daemon := startDaemon(t, dockertest.Options{})
	ns := newNamespace(t)
	mgr := startManager(t, Scope{})
	key := applyHost(t, &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Name: "looping", Namespace: ns},
		Spec: dockwatchv1.DockerHostSpec{Endpoint: daemon.Host, Interval: dur(pollEvery),
			Lifecycle: &dockwatchv1.LifecycleSpec{RestartLoopWindow: dur("30s")}},
	})
	waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionTrue, dockwatchv1.ReasonPollSucceeded, readyWithin)
	// It crashes a second after each start until /fix/ok appears; then it runs.
	fix := t.TempDir()
	daemon.Docker(t, "run", "-d", "--name", "looper", "--network", "none", "--restart", "always", "-v", fix+":/fix:ro",
		daemon.Image(t), "sh", "-c", "if [ -e /fix/ok ]; then exec sleep 3600; fi; sleep 1; exit 1")

	loop := waitLifecycleEvent(t, key, dockwatchv1.EventContainerRestartLoop, "looper", 40*time.Second)
	t.Logf("%s %s %v: %s", loop.Type, loop.Reason, loop.Annotations, loop.Message)
	time.Sleep(10 * time.Second) // it keeps restarting: still one event
	assertOnce(t, key, dockwatchv1.EventContainerRestartLoop, "looper")
	assertOnce(t, key, dockwatchv1.EventContainerExited, "looper")
	if host := getHost(t, key); host.Status.Summary.ContainersRestarting != 1 {
		t.Errorf("summary %+v, want 1 restarting", host.Status.Summary)
	}

	if loop.Type != corev1.EventTypeWarning {
		t.Errorf("restart loop event is %s, want Warning", loop.Type)
	}

	// The manager restarts while the loop is open and looper keeps crashing:
	// the episode is remembered, nothing is raised again.
	mgr = restartManager(t, mgr)
	assertOnce(t, key, dockwatchv1.EventContainerRestartLoop, "looper")
	assertOnce(t, key, dockwatchv1.EventContainerExited, "looper")
	if n := len(lifecycleEvents(t, key, dockwatchv1.EventContainerRestartLoopResolved, "looper")); n != 0 {
		t.Errorf("%d ContainerRestartLoopResolved while it still loops, want none", n)
	}

	// Fixed: its next start (after Docker's restart back-off) keeps
	// running, and a whole window later the loop resolves.
	if err := os.WriteFile(filepath.Join(fix, "ok"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	resolved := waitLifecycleEvent(t, key, dockwatchv1.EventContainerRestartLoopResolved, "looper", 150*time.Second)
	t.Logf("%s %s %v: %s", resolved.Type, resolved.Reason, resolved.Annotations, resolved.Message)
	if resolved.Type != corev1.EventTypeNormal || resolved.Annotations[dockwatchv1.AnnotationRestartCount] == "" {
		t.Errorf("resolved event %s %v, want Normal with the restart count", resolved.Type, resolved.Annotations)
	}
	if !strings.Contains(resolved.Message, "has run for 30s without restarting") {
		t.Errorf("resolved message %q, want it to say it has run for the whole 30s window", resolved.Message)
	}
	if state := daemon.Docker(t, "inspect", "-f", "{{.State.Status}}", "looper"); strings.TrimSpace(state) != "running" {
		t.Errorf("looper is %q after the resolution, want running", state)
	}
	assertOnce(t, key, dockwatchv1.EventContainerRestartLoop, "looper")
	assertOnce(t, key, dockwatchv1.EventContainerRestartLoopResolved, "looper")

	// And after another restart, the resolution is not raised again.
	restartManager(t, mgr)
	assertOnce(t, key, dockwatchv1.EventContainerRestartLoop, "looper")
	assertOnce(t, key, dockwatchv1.EventContainerRestartLoopResolved, "looper")
	assertOnce(t, key, dockwatchv1.EventContainerExited, "looper")
}

func TestAPIDefaultsAndValidatesSpecLifecycle(t *testing.T) {
	requireControlPlane(t)
	ns := newNamespace(t)
	host := validHost(ns)
	if err := k8sClient.Create(context.Background(), host); err != nil {
		t.Fatalf("create: %v", err)
	}
	l := getHost(t, client.ObjectKeyFromObject(host)).Spec.Lifecycle
	if l == nil || l.Enabled == nil || !*l.Enabled || l.RestartLoopCount != 3 || l.RestartLoopWindow == nil || l.RestartLoopWindow.Duration != 10*time.Minute {
		t.Errorf("spec.lifecycle defaults = %+v, want enabled, 3 restarts in 10m", l)
	}
	for name, spec := range map[string]dockwatchv1.LifecycleSpec{
		"window too short": {RestartLoopWindow: dur("5s")},
		"window too long":  {RestartLoopWindow: dur("25h")},
		"count too small":  {RestartLoopCount: 1},
		"count too large":  {RestartLoopCount: 101},
	} {
		bad := validHost(ns)
		bad.Spec.Lifecycle = &spec
		err := k8sClient.Create(context.Background(), bad)
		if err == nil || !strings.Contains(err.Error(), "spec.lifecycle.restartLoop") {
			t.Errorf("%s: %v, want a rejection naming spec.lifecycle", name, err)
		}
	}
	out, err := kubectl(t, "get", "dh", "-n", ns, "-o", "wide")
	if err != nil || !strings.Contains(out, "UNHEALTHY") {
		t.Errorf("kubectl get dh -o wide has no UNHEALTHY column (%v):\n%s", err, out)
	}
}
