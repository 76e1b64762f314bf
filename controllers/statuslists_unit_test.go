package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/lifecycle"
)

func TestDockerHostTransformLeavesTheLongStatusListsOut(t *testing.T) {
	at := metav1.NewTime(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	host := unitHost(1)
	host.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "dockwatch"}}
	host.Status.Containers = []dockwatchv1.ContainerUsage{{Name: "web"}}
	host.Status.Alerts = []dockwatchv1.AlertStatus{{Container: "web"}}
	host.Status.Conditions = []metav1.Condition{{Type: dockwatchv1.ConditionReady, Status: metav1.ConditionTrue, LastTransitionTime: at}}
	host.Status.Lifecycle = &dockwatchv1.LifecycleStatus{EventsSince: &metav1.MicroTime{Time: at.Time},
		Containers: []dockwatchv1.ContainerLifecycle{{ID: "a1", RestartCount: 3}}}
	out, err := stripStatusLists(host)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*dockwatchv1.DockerHost)
	if !notCached(got.Status.Containers) || !notCached(got.Status.Lifecycle.Containers) {
		t.Errorf("lists kept: containers %v, lifecycle marks %v; want both left out", got.Status.Containers, got.Status.Lifecycle.Containers)
	}
	if len(got.Status.Alerts) != 1 || len(got.Status.Conditions) != 1 || got.Status.Lifecycle.EventsSince == nil {
		t.Errorf("what a reconcile reads must stay: %+v", got.Status)
	}
	if got.ManagedFields != nil {
		t.Errorf("managedFields kept: %v", got.ManagedFields)
	}
	if copied := got.DeepCopy(); !notCached(copied.Status.Containers) {
		t.Errorf("a copy from the cache loses the mark: %#v", copied.Status.Containers)
	}

	empty := unitHost(1)
	if out, _ := stripStatusLists(empty); out.(*dockwatchv1.DockerHost).Status.Containers != nil {
		t.Error("a host with no list must stay without one, not look like a left-out list")
	}
	for _, scope := range []Scope{{}, {NodeName: "n", Namespace: "ns"}} {
		if !hasDockerHostTransform(scope) {
			t.Errorf("scope %+v: no transform for DockerHosts", scope)
		}
	}
}

func hasDockerHostTransform(scope Scope) bool {
	for obj, by := range scope.CacheOptions().ByObject {
		if _, ok := obj.(*dockwatchv1.DockerHost); ok && by.Transform != nil {
			return true
		}
	}
	return false
}

func TestStatusPatchOfListsTheCacheLeftOut(t *testing.T) {
	usage := []dockwatchv1.ContainerUsage{{Name: "web"}}
	usageJSON, err := json.Marshal(usage)
	if err != nil {
		t.Fatal(err)
	}
	marks := []dockwatchv1.ContainerLifecycle{{ID: "a1", Name: "web"}}
	cached := func() *dockwatchv1.DockerHostStatus {
		st := &dockwatchv1.DockerHostStatus{ObservedGeneration: 1, Containers: usage,
			Lifecycle: &dockwatchv1.LifecycleStatus{Containers: marks}}
		markNotCached(&st.Containers)
		markNotCached(&st.Lifecycle.Containers)
		return st
	}
	cases := []statusPatchCase{
		{"a reconcile that polled nothing sends nothing", func(*dockwatchv1.DockerHostStatus) {}, `{}`},
		{"a poll's usage list is sent whole",
			func(s *dockwatchv1.DockerHostStatus) { s.Containers = usage },
			`{"status":{"containers":` + string(usageJSON) + `}}`},
		{"a usage list the poll emptied is nulled",
			func(s *dockwatchv1.DockerHostStatus) { s.Containers = nil },
			`{"status":{"containers":null}}`},
		{"a poll's empty (not nil) usage list is nulled too",
			func(s *dockwatchv1.DockerHostStatus) { s.Containers = []dockwatchv1.ContainerUsage{} },
			`{"status":{"containers":null}}`},
		{"marks are sent whole",
			func(s *dockwatchv1.DockerHostStatus) { s.Lifecycle.Containers = marks },
			`{"status":{"lifecycle":{"containers":[{"id":"a1","name":"web"}]}}}`},
		{"marks the poll emptied are nulled",
			func(s *dockwatchv1.DockerHostStatus) { s.Lifecycle.Containers = nil },
			`{"status":{"lifecycle":{"containers":null}}}`},
	}
	runStatusPatchCases(t, cached, cases, nil)
}

// cursorAt is the event-log cursor of the poll that wrote cachedHost.
var cursorAt = time.Date(2026, 12, 3, 12, 0, 0, 123456789, time.UTC)

// cachedHost is a host as the cache holds it after a poll wrote marks.
func cachedHost() *dockwatchv1.DockerHost {
	host := unitHost(1)
	host.UID = "uid-1"
	host.Status.Lifecycle = &dockwatchv1.LifecycleStatus{
		EventsSince: &metav1.MicroTime{Time: cursorAt.Truncate(time.Microsecond)}, // as the server keeps it
		Containers:  make([]dockwatchv1.ContainerLifecycle, 1),
	}
	return host
}

// restoringReconciler serves stored from the API server, counting reads.
func restoringReconciler(t *testing.T, stored *dockwatchv1.DockerHost, getErr error) (*DockerHostReconciler, *int) {
	t.Helper()
	gets := 0
	c := fake.NewClientBuilder().WithScheme(testScheme).WithObjects(stored).
		WithInterceptorFuncs(interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			gets++
			if getErr != nil {
				return getErr
			}
			return c.Get(ctx, key, obj, opts...)
		}}).Build()
	return &DockerHostReconciler{Client: c, APIReader: c, Lifecycle: NewLifecycleMemory()}, &gets
}

func TestRestoreStatusListsFromMemoryOrTheAPIServer(t *testing.T) {
	onServer := []dockwatchv1.ContainerLifecycle{{ID: "a1", Name: "web", RestartCount: 4}}
	stored := cachedHost()
	stored.Status.Lifecycle.Containers = onServer
	inMemory := []lifecycle.Mark{{ID: "b2", Name: "db", RestartCount: 1}}
	ctx := context.Background()

	t.Run("a host never polled here is read from the API server", func(t *testing.T) {
		r, gets := restoringReconciler(t, stored.DeepCopy(), nil)
		host := cachedHost()
		if err := r.restoreStatusLists(ctx, host); err != nil {
			t.Fatal(err)
		}
		if *gets != 1 || !equality.Semantic.DeepEqual(host.Status.Lifecycle.Containers, onServer) {
			t.Errorf("%d reads, marks %+v; want 1 read and %+v", *gets, host.Status.Lifecycle.Containers, onServer)
		}
		if kept := lifecycleFromStatus(host).marks.Marks(); len(kept) != 1 || kept[0].RestartCount != 4 {
			t.Errorf("memory rebuilt from the restored marks: %+v", kept)
		}
	})
	t.Run("the marks this manager wrote come from its memory", func(t *testing.T) {
		r, gets := restoringReconciler(t, stored.DeepCopy(), nil)
		host := cachedHost()
		r.Lifecycle.store(host, hostLifecycle{uid: host.UID, cursor: cursorAt, marks: lifecycle.Keep(inMemory)})
		if err := r.restoreStatusLists(ctx, host); err != nil {
			t.Fatal(err)
		}
		if *gets != 0 || !equality.Semantic.DeepEqual(host.Status.Lifecycle.Containers, statusMarks(inMemory)) {
			t.Errorf("%d reads, marks %+v; want none and the remembered ones", *gets, host.Status.Lifecycle.Containers)
		}
	})
	t.Run("after a failed patch the server's copy is read again", func(t *testing.T) {
		r, gets := restoringReconciler(t, stored.DeepCopy(), nil)
		host := cachedHost()
		r.Lifecycle.store(host, hostLifecycle{uid: host.UID, cursor: cursorAt, marks: lifecycle.Keep(inMemory)})
		r.Lifecycle.unsaved(client.ObjectKeyFromObject(host))
		if err := r.restoreStatusLists(ctx, host); err != nil {
			t.Fatal(err)
		}
		if *gets != 1 || !equality.Semantic.DeepEqual(host.Status.Lifecycle.Containers, onServer) {
			t.Errorf("%d reads, marks %+v; want the server's", *gets, host.Status.Lifecycle.Containers)
		}
		if kept, _ := r.Lifecycle.load(host); len(kept.marks.Marks()) != 1 || kept.marks.Marks()[0].ID != "b2" {
			t.Errorf("the memory itself must stay: %+v", kept.marks.Marks())
		}
	})
	t.Run("a status another replica wrote since is read again", func(t *testing.T) {
		r, gets := restoringReconciler(t, stored.DeepCopy(), nil)
		host := cachedHost()
		r.Lifecycle.store(host, hostLifecycle{uid: host.UID, cursor: cursorAt.Add(-30 * time.Second), marks: lifecycle.Keep(inMemory)})
		if err := r.restoreStatusLists(ctx, host); err != nil {
			t.Fatal(err)
		}
		if *gets != 1 || !equality.Semantic.DeepEqual(host.Status.Lifecycle.Containers, onServer) {
			t.Errorf("%d reads, marks %+v; want the server's", *gets, host.Status.Lifecycle.Containers)
		}
	})
	t.Run("a recreated host does not take the old one's marks", func(t *testing.T) {
		r, _ := restoringReconciler(t, stored.DeepCopy(), nil)
		host := cachedHost()
		host.UID = "uid-2"
		if err := r.restoreStatusLists(ctx, host); err != nil {
			t.Fatal(err)
		}
		if host.Status.Lifecycle.Containers != nil {
			t.Errorf("marks %+v of another object", host.Status.Lifecycle.Containers)
		}
	})
	t.Run("a failed read is an error, not an empty memory", func(t *testing.T) {
		r, _ := restoringReconciler(t, stored.DeepCopy(), errors.New("apiserver down"))
		if err := r.restoreStatusLists(ctx, cachedHost()); err == nil {
			t.Error("no error: the poll would rebuild its memory without the reported episodes")
		}
	})
	t.Run("nothing is read for a host suspended, without lifecycle alerts or without marks", func(t *testing.T) {
		r, gets := restoringReconciler(t, stored.DeepCopy(), nil)
		off := cachedHost()
		off.Spec.Lifecycle = &dockwatchv1.LifecycleSpec{Enabled: new(bool)}
		full := unitHost(1)
		full.Status.Lifecycle = &dockwatchv1.LifecycleStatus{Containers: onServer}
		suspended := cachedHost()
		suspended.Spec.Suspend = true
		for _, host := range []*dockwatchv1.DockerHost{off, suspended, unitHost(1), full} {
			if err := r.restoreStatusLists(ctx, host); err != nil {
				t.Fatal(err)
			}
		}
		if *gets != 0 {
			t.Errorf("%d reads, want none", *gets)
		}
	})
}
