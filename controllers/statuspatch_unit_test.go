package controllers

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// sentPatch is one status patch as the API client was asked to send it.
type sentPatch struct {
	obj  client.Object
	typ  types.PatchType
	data string
}

func recordingStatusWriter(t *testing.T, host *dockwatchv1.DockerHost) (client.SubResourceWriter, *[]sentPatch) {
	t.Helper()
	var sent []sentPatch
	c := fake.NewClientBuilder().WithScheme(testScheme).WithObjects(host).WithStatusSubresource(host).
		WithInterceptorFuncs(interceptor.Funcs{SubResourcePatch: func(_ context.Context, _ client.Client, _ string, obj client.Object, p client.Patch, _ ...client.SubResourcePatchOption) error {
			data, err := p.Data(obj)
			sent = append(sent, sentPatch{obj: obj, typ: p.Type(), data: string(data)})
			return err
		}}).Build()
	return c.Status(), &sent
}

func TestPatchStatusSendsNothingWhenNothingChanged(t *testing.T) {
	host := unitHost(1)
	w, sent := recordingStatusWriter(t, host)
	if err := patchStatus(context.Background(), w, host, host.Status.DeepCopy()); err != nil {
		t.Fatal(err)
	}
	if len(*sent) != 0 {
		t.Errorf("unchanged status: sent %+v, want no request", *sent)
	}
}

func TestPatchStatusSendsTheDiffAndReadsBackOnlyMetadata(t *testing.T) {
	host := unitHost(1)
	w, sent := recordingStatusWriter(t, host)
	before := host.Status.DeepCopy()
	host.Status.ObservedGeneration = 7
	if err := patchStatus(context.Background(), w, host, before); err != nil {
		t.Fatal(err)
	}
	if len(*sent) != 1 {
		t.Fatalf("sent %d patches, want 1", len(*sent))
	}
	got := (*sent)[0]
	if want := `{"status":{"observedGeneration":7}}`; got.data != want || got.typ != types.MergePatchType {
		t.Errorf("patch %s %s, want %s %s", got.typ, got.data, types.MergePatchType, want)
	}
	m, ok := got.obj.(*metav1.PartialObjectMetadata)
	if !ok {
		t.Fatalf("patched a %T: the answer would be decoded whole; want *metav1.PartialObjectMetadata", got.obj)
	}
	if m.Name != host.Name || m.Namespace != host.Namespace || m.GroupVersionKind() != dockwatchv1.GroupVersion.WithKind("DockerHost") {
		t.Errorf("patched %s %s/%s, want DockerHost %s/%s", m.GroupVersionKind(), m.Namespace, m.Name, host.Namespace, host.Name)
	}
}

func TestStatusPatch(t *testing.T) {
	at := metav1.NewTime(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	later := metav1.NewTime(at.Add(30 * time.Second))
	marks := []dockwatchv1.ContainerLifecycle{{ID: "a1", Name: "web", RestartCount: 2}, {ID: "b2", Name: "db"}}
	usage := []dockwatchv1.ContainerUsage{{Name: "web"}}
	twoUsages, err := json.Marshal([]dockwatchv1.ContainerUsage{{Name: "web"}, {Name: "db"}})
	if err != nil {
		t.Fatal(err)
	}
	base := func() *dockwatchv1.DockerHostStatus {
		return &dockwatchv1.DockerHostStatus{
			ObservedGeneration: 1, LastPollTime: &at, PollDurationMillis: 900,
			Conditions: []metav1.Condition{{Type: dockwatchv1.ConditionReady, Status: metav1.ConditionTrue, Reason: "Polled", LastTransitionTime: at}},
			Containers: usage,
			Daemon:     &dockwatchv1.DaemonInfo{Version: "20.10.24"},
			Lifecycle:  &dockwatchv1.LifecycleStatus{EventsSince: &metav1.MicroTime{Time: at.Time}, Containers: marks},
		}
	}
	cases := []statusPatchCase{
		{"nothing changed", func(*dockwatchv1.DockerHostStatus) {}, `{}`},
		{"a scalar, unchanged lists left out",
			func(s *dockwatchv1.DockerHostStatus) { s.LastPollTime = &later },
			`{"status":{"lastPollTime":"2026-12-03T12:00:30Z"}}`},
		{"a changed list is sent whole",
			func(s *dockwatchv1.DockerHostStatus) {
				s.Containers = []dockwatchv1.ContainerUsage{{Name: "web"}, {Name: "db"}}
			},
			`{"status":{"containers":` + string(twoUsages) + `}}`},
		{"unchanged marks stay out while the cursor moves",
			func(s *dockwatchv1.DockerHostStatus) {
				s.Lifecycle = &dockwatchv1.LifecycleStatus{EventsSince: &metav1.MicroTime{Time: later.Time}, Containers: slices.Clone(marks)}
			},
			`{"status":{"lifecycle":{"eventsSince":"2026-12-03T12:00:30.000000Z"}}}`},
		{"a changed mark sends the marks whole",
			func(s *dockwatchv1.DockerHostStatus) {
				s.Lifecycle = &dockwatchv1.LifecycleStatus{EventsSince: s.Lifecycle.EventsSince, Containers: marks[:1]}
			},
			`{"status":{"lifecycle":{"containers":[{"id":"a1","name":"web","restartCount":2}]}}}`},
		{"a field cleared is nulled",
			func(s *dockwatchv1.DockerHostStatus) { s.Daemon, s.Lifecycle = nil, nil },
			`{"status":{"daemon":null,"lifecycle":null}}`},
		{"a list emptied is nulled",
			func(s *dockwatchv1.DockerHostStatus) { s.Conditions = nil },
			`{"status":{"conditions":null}}`},
	}
	runStatusPatchCases(t, base, cases, func(t *testing.T, before, after *dockwatchv1.DockerHostStatus, got string) {
		// Leaving unchanged lists out must not change the patch.
		whole := mergePatchOfWhole(t, before, after)
		if !jsonEqual(t, got, whole) {
			t.Errorf("patch %s, but the diff of the whole documents is %s", got, whole)
		}
	})
}

// statusPatchCase is one change to a status and the patch it must give.
type statusPatchCase struct {
	name   string
	change func(s *dockwatchv1.DockerHostStatus)
	want   string
}

// runStatusPatchCases checks each case's patch from base() to base() as
// changed, that statusPatch leaves its input alone, and what also adds.
func runStatusPatchCases(t *testing.T, base func() *dockwatchv1.DockerHostStatus, cases []statusPatchCase,
	also func(t *testing.T, before, after *dockwatchv1.DockerHostStatus, got string)) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, after := base(), base()
			tc.change(after)
			got, err := statusPatch(before, after)
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(t, string(got), tc.want) {
				t.Errorf("patch %s, want %s", got, tc.want)
			}
			if also != nil {
				also(t, before, after, string(got))
			}
			if !equality.Semantic.DeepEqual(before, base()) {
				t.Errorf("statusPatch changed its input: %+v", before)
			}
		})
	}
}

// mergePatchOfWhole is the merge patch of the two statuses as they are.
func mergePatchOfWhole(t *testing.T, before, after *dockwatchv1.DockerHostStatus) string {
	t.Helper()
	b, err := json.Marshal(statusDocument{Status: before})
	if err != nil {
		t.Fatal(err)
	}
	a, err := json.Marshal(statusDocument{Status: after})
	if err != nil {
		t.Fatal(err)
	}
	p, err := jsonpatch.CreateMergePatch(b, a)
	if err != nil {
		t.Fatal(err)
	}
	return string(p)
}

// jsonEqual compares two JSON documents, ignoring key order.
func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}
